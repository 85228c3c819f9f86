"""Answers cut off by `max_tokens` or by a stream that just stops are never passed off as whole:
end to end through `cltui run` against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from cltui.core.engine.prompts import CUT_OFF_NOTE
from cltui.core.export import session_to_markdown
from cltui.core.sessions.files import load_session
from cltui.core.sessions.model import Reply as SessionReply
from cltui.ui.pane_state import PaneTitle, reply_notice, reply_state
from tests.support.cli import run_cli
from tests.support.http_server import (
    DONE,
    BackgroundServer,
    FakeOpenAI,
    RecordedRequest,
    Reply,
    chat_chunk,
    sse_event,
    usage_chunk,
)
from tests.test_headless import only_session

CONFIG = """
iterations = 0
[[models]]
id = "fake/alpha"
[[models]]
id = "fake/beta"
max_tokens = 50
[aggregator]
model = "fake/gamma"
"""


class CuttingServer(FakeOpenAI):
    """fake/beta stops at its length limit; the aggregator's stream ends with neither a finish
    reason nor [DONE]; every other call answers normally."""

    def __init__(self, *, cut_aggregate: bool = True) -> None:
        super().__init__()
        self.cut_aggregate = cut_aggregate

    def __call__(self, request: RecordedRequest) -> Reply:
        body = request.json() or {}
        model = body.get("model") if isinstance(body, dict) else None
        if request.route == "/chat/completions" and model == "fake/beta":
            return Reply.sse(
                chat_chunk("Beta starts a long answer and ", model=model),
                chat_chunk("then", finish_reason="length", model=model),
                usage_chunk(model=model),
                DONE,
            )
        if request.route == "/chat/completions" and model == "fake/gamma" and self.cut_aggregate:
            return Reply(chunks=[sse_event(chat_chunk("The merged answer is", model=model))])
        return super().__call__(request)


def run_against(server: BackgroundServer, tmp_path: Path, *extra: str):
    config = tmp_path / "c.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return run_cli("run", str(config), "--prompt", "q", "--base-url", server.base_url, *extra,
                   env={"OPENROUTER_API_KEY": "sk-test-trunc"})  # fmt: skip


def aggregator_request(server: BackgroundServer) -> str:
    chats = [r.json() for r in server.requests if r.route == "/chat/completions"]
    bodies = [c for c in chats if c["model"] == "fake/gamma"]
    assert len(bodies) == 1
    return "\n".join(m["content"] for m in bodies[0]["messages"])


def test_cut_off_replies_are_stored_flagged_and_marked_for_the_aggregator(
    tmp_path: Path, isolated_environment: Path
) -> None:
    with BackgroundServer(CuttingServer()) as server:
        result = run_against(server, tmp_path)
        sent = aggregator_request(server)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "The merged answer is"
    assert "warning: the final answer was cut off" in result.stderr
    assert "cut off: " in result.stderr  # the progress line of the cut-off proposer

    path = only_session(isolated_environment / "sessions")
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    turn = doc["turns"][0]
    beta = turn["rounds"][0]["replies"][1]
    assert beta["status"] == "truncated"
    assert "max_tokens (50)" in beta["error"] and "raise max_tokens" in beta["error"]
    assert beta["content"] == "Beta starts a long answer and then"
    aggregate = turn["rounds"][0]["aggregate"]
    assert aggregate["status"] == "truncated"
    assert "without a finish reason" in aggregate["error"]
    assert turn["final_truncated"] is True

    # The aggregator read beta's answer inside beta's block, marked as cut off; alpha's whole.
    beta_block = sent.split('<response model="fake/beta">')[1].split("</response>")[0]
    assert beta_block.strip().endswith(CUT_OFF_NOTE)
    alpha_block = sent.split('<response model="fake/alpha">')[1].split("</response>")[0]
    assert CUT_OFF_NOTE not in alpha_block

    # The session still loads, and the export says what was cut off.
    session = load_session(path)
    markdown = session_to_markdown(session)
    assert "**Cut off:** this answer is incomplete" in markdown
    assert "fake/beta · truncated" in markdown


def test_json_output_flags_the_cut_off_final_answer(tmp_path: Path) -> None:
    with BackgroundServer(CuttingServer()) as server:
        result = run_against(server, tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["turns"][0]["final_truncated"] is True


def test_a_whole_final_answer_is_not_flagged(tmp_path: Path) -> None:
    with BackgroundServer(CuttingServer(cut_aggregate=False)) as server:
        result = run_against(server, tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    turn = json.loads(result.stdout)["turns"][0]
    assert "final_truncated" not in turn
    assert turn["rounds"][0]["aggregate"]["status"] == "ok"
    assert "the final answer was cut off" not in result.stderr
    assert "1 reply was cut off" in result.stderr


def test_the_pane_says_a_reply_was_cut_off_and_how_to_fix_it() -> None:
    reason = "cut off at max_tokens (50) — raise max_tokens for fake/beta"
    reply = SessionReply(model="fake/beta", status="truncated", content="half", error=reason)
    state = reply_state(reply)
    title = PaneTitle(prefix="Σ ", model_name="fake/beta", state=state, final=True)
    assert title.content().plain == "Σ fake/beta ✂ cut off ★ final answer (cut off)"
    assert title.css_classes()["-truncated"]
    notice = reply_notice(reply)
    assert notice is not None and "raise max_tokens for fake/beta" in notice.plain
