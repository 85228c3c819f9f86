"""Instructions reach local models through the chat templates they run.

A real local server applies a chat template to the messages it receives and the model only ever
sees the rendered prompt. Common templates (llama.cpp's built-in formats, several Ollama ones)
keep a leading system message and drop any later one, so the consensus sent as a system message
in improvement rounds, or an MoA reference block, would never reach the model. Here the server
renders a real Jinja chat template of that kind for every request, and the tests check what the
model would have read, through `cltui run` end to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import jinja2
import pytest

from cltui.core.messages import ChatMessage
from cltui.core.providers.base import ChatRequest
from tests.support.http_server import BackgroundServer, FakeOpenAI, RecordedRequest, Reply

# ChatML as llama.cpp and many GGUF models ship it, keeping only a leading system message (the
# shape of llama.cpp's built-in formats and of Llama/Mistral-style templates): a system message
# anywhere else is skipped.
FIRST_SYSTEM_ONLY = """
{%- if messages[0]['role'] == 'system' -%}
{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' -}}
{%- set loop_messages = messages[1:] -%}
{%- else -%}
{%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
{%- if message['role'] == 'user' or message['role'] == 'assistant' -%}
{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}
{%- endif -%}
{%- endfor -%}
{{- '<|im_start|>assistant\\n' -}}
"""


class TemplatedServer:
    """An OpenAI-compatible endpoint that renders each chat request's template, keeping the
    messages it got and the prompt its model would read, and answers as `FakeOpenAI`."""

    def __init__(self) -> None:
        self.template = jinja2.Environment().from_string(FIRST_SYSTEM_ONLY)
        self.answers = FakeOpenAI(words=8)
        self.rendered: list[tuple[list[dict[str, str]], str]] = []
        self._lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Reply:
        if request.route == "/chat/completions":
            messages = request.json()["messages"]
            prompt = self.template.render(messages=messages)
            with self._lock:
                self.rendered.append((messages, prompt))
        return self.answers(request)


def run(config: Path, server: BackgroundServer, sessions: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cltui", "run", str(config), "--prompt", "Why is the sky blue?",
         "--sessions-dir", str(sessions)],
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        capture_output=True, text=True, encoding="utf-8", timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def write_config(path: Path, base_url: str, strategy: str) -> Path:
    path.write_text(
        f'strategy = "{strategy}"\niterations = 1\naggregated_prompt_type = "system"\n'
        "layers = 2\n"
        '[[conversation]]\nrole = "system"\ncontent = "You are a careful physicist."\n'
        '[[models]]\nid = "fake/alpha"\nprovider = "local"\n'
        '[[models]]\nid = "fake/beta"\nprovider = "local"\n'
        '[aggregator]\nmodel = "fake/gamma"\nprovider = "local"\n'
        f'[providers.local]\nbase_url = "{base_url}"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("strategy", ["iterative", "moa"])
def test_the_consensus_reaches_the_rendered_prompt_in_improvement_rounds(
    strategy: str, tmp_path: Path
) -> None:
    handler = TemplatedServer()
    with BackgroundServer(handler) as server:
        run(write_config(tmp_path / "c.toml", server.base_url, strategy), server, tmp_path)
    aggregate = FakeOpenAI(words=8).answer_for("fake/gamma", "")[: len("fake/gamma answers:")]
    improving = [(m, p) for m, p in handler.rendered if "Consensus: " + aggregate in str(m)]
    assert len(improving) >= 2, [m for m, _ in handler.rendered]  # every member, round 2
    for messages, prompt in improving:
        consensus = next(
            m["content"][m["content"].index("Consensus: ") :]
            for m in messages
            if "Consensus: " in m["content"]
        )
        assert consensus in prompt  # what the model reads holds the whole consensus
        assert "You are a careful physicist." in prompt
        assert "Why is the sky blue?" in prompt


def test_the_moa_reference_block_reaches_the_rendered_prompt(tmp_path: Path) -> None:
    handler = TemplatedServer()
    with BackgroundServer(handler) as server:
        run(write_config(tmp_path / "c.toml", server.base_url, "moa"), server, tmp_path)
    first_layer = [FakeOpenAI(words=8).answer_for(m, "Why is the sky blue?")
                   for m in ("fake/alpha", "fake/beta")]  # fmt: skip
    later = [(m, p) for m, p in handler.rendered if "Answers from the models:" in str(m)]
    assert later
    for messages, prompt in later:
        assert "Answers from the models:" in prompt
        system_texts = [m["content"] for m in messages if m["role"] == "system"]
        assert all(text in prompt for text in system_texts)
    round_one = [p for m, p in later if "Consensus: " not in str(m)]
    assert round_one and all(answer in p for p in round_one for answer in first_layer)


def test_system_messages_are_folded_only_on_the_wire() -> None:
    request = ChatRequest(
        "m",
        (
            ChatMessage("system", "Be brief."),
            ChatMessage("user", "Q?"),
            ChatMessage("system", "Consensus: X"),
            ChatMessage("user", "Improve."),
        ),
    )
    assert request.to_body(stream=True)["messages"] == [
        {"role": "system", "content": "Be brief.\n\nConsensus: X"},
        {"role": "user", "content": "Q?"},
        {"role": "user", "content": "Improve."},
    ]
    assert request.messages[2] == ChatMessage("system", "Consensus: X")  # the logical messages
    plain = ChatRequest("m", (ChatMessage("system", "S"), ChatMessage("user", "Q")))
    assert plain.to_body(stream=False)["messages"][0] == {"role": "system", "content": "S"}
