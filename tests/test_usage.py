"""Usage is asked for, estimated (and marked so) when a server sends none, never shown as zero
when unknown; and one amount of money reads the same on every screen.

The server here is real (127.0.0.1) and, like llama.cpp, streams no usage at all.
"""

from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cltui.commands.helpers import money
from cltui.core.costs import Totals, format_cost, format_total_cost
from cltui.core.preview import CostPreview, format_preview
from cltui.core.sessions.model import Reply
from cltui.progress import _finished_state
from cltui.ui.pane_state import usage_line
from cltui.ui.widgets.status_bar import _cost
from tests.support.cli import run_cli
from tests.support.http_server import (
    DONE,
    DROP,
    BackgroundServer,
    FakeOpenAI,
    RecordedRequest,
    chat_chunk,
)
from tests.support.http_server import (
    Reply as HttpReply,
)

ANSWER = "Rayleigh scattering makes short wavelengths scatter most."  # 58 characters


def no_usage_server(request: RecordedRequest) -> HttpReply:
    """A llama.cpp-like endpoint: text and a finish reason, never a usage object."""
    if request.route != "/chat/completions":
        return HttpReply.error(404, "not found")
    words = [w + " " for w in ANSWER.split(" ")]
    words[-1] = words[-1].rstrip()
    chunks = [chat_chunk(w) for w in words]
    return HttpReply.sse(*chunks, chat_chunk("", finish_reason="stop"), DONE)


def local_config(path: Path, base_url: str) -> Path:
    path.write_text(
        'iterations = 0\n[[models]]\nid = "local/a"\nprovider = "local"\n'
        '[[models]]\nid = "local/b"\nprovider = "local"\n'
        '[aggregator]\nmodel = "local/c"\nprovider = "local"\n'
        f'[providers.local]\nbase_url = "{base_url}"\n',
        encoding="utf-8",
    )
    return path


def run_local(
    tmp_path: Path, handler: Callable[[RecordedRequest], HttpReply]
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    """`cltui run` of the two-model local config against `handler`: the result and the first
    round's replies as saved."""
    with BackgroundServer(handler) as server:
        config = local_config(tmp_path / "c.toml", server.base_url)
        result = run_cli("run", str(config), "--prompt", "q", "--sessions-dir", str(tmp_path / "s"))
    assert result.returncode == 0, result.stderr
    (session,) = (tmp_path / "s").glob("*.toml")
    doc = tomllib.loads(session.read_text(encoding="utf-8"))
    return result, doc["turns"][0]["rounds"][0]["replies"]


def test_usage_a_server_does_not_send_is_estimated_marked_and_never_free(tmp_path: Path) -> None:
    with BackgroundServer(no_usage_server) as server:
        config = local_config(tmp_path / "c.toml", server.base_url)
        result = run_cli("run", str(config), "--prompt", "Why is the sky blue?",
                       "--sessions-dir", str(tmp_path / "s"))  # fmt: skip
        chats = [r for r in server.requests if r.route == "/chat/completions"]
    assert result.returncode == 0, result.stderr
    # Asked for: servers that can send usage in a stream do so only when asked.
    assert chats and all(r.json()["stream_options"] == {"include_usage": True} for r in chats)
    (session,) = (tmp_path / "s").glob("*.toml")
    doc = tomllib.loads(session.read_text(encoding="utf-8"))
    replies = [*doc["turns"][0]["rounds"][0]["replies"], doc["turns"][0]["rounds"][0]["aggregate"]]
    for reply in replies:
        assert reply["usage_estimated"] is True
        assert reply["completion_tokens"] == 15  # 58 characters / 4, rounded up
        assert reply["prompt_tokens"] > 0
        assert "cost" not in reply  # unknown, not zero
    assert "~15 tokens" in result.stderr
    assert "$0.00" not in result.stderr and "$0.0" not in result.stderr
    exported = run_cli("export", str(session), "--format", "md")
    assert exported.returncode == 0, exported.stderr
    assert "~" in exported.stdout and "$0.00" not in exported.stdout
    listing = run_cli("sessions", "--sessions-dir", str(tmp_path / "s"))
    assert listing.returncode == 0, listing.stderr
    assert "—" in listing.stdout and "$0.00" not in listing.stdout


def test_usage_the_server_sends_is_not_marked_as_an_estimate(tmp_path: Path) -> None:
    with BackgroundServer(FakeOpenAI()) as server:
        config = local_config(tmp_path / "c.toml", server.base_url)
        result = run_cli("run", str(config), "--prompt", "q", "--sessions-dir", str(tmp_path / "s"))
    assert result.returncode == 0, result.stderr
    (session,) = (tmp_path / "s").glob("*.toml")
    doc = tomllib.loads(session.read_text(encoding="utf-8"))
    reply = doc["turns"][0]["rounds"][0]["replies"][0]
    assert "usage_estimated" not in reply and reply["cost"] > 0


def test_estimated_tokens_and_unknown_costs_read_as_such_on_screen() -> None:
    local = Reply("local/a", status="ok", content="x", prompt_tokens=40, completion_tokens=15,
                  usage_estimated=True, duration_ms=1200)  # fmt: skip
    assert usage_line(local) == "~40↑ ~15↓ · 1.2s"
    assert "~15 tokens" in _finished_state(local)[1]
    unknown = Totals(40, 15, 0.0, calls=1, unknown_cost=1, tokens_estimated=True)
    assert _cost(unknown) == format_total_cost(unknown) == "—"
    mixed = unknown + Totals(10, 10, 0.031, calls=1, priced=1)
    assert _cost(mixed) == "$0.031+"


def test_one_amount_reads_the_same_everywhere() -> None:
    for amount in (0.031, 0.5, 0.0041, 1234.5):
        shown = format_cost(amount)
        assert money(amount) == shown  # `cltui credits`
        assert shown in format_preview(CostPreview(1, amount, amount))  # the cost preview
        assert _cost(Totals(1, 1, amount, calls=1, priced=1)) == shown  # the status bar
        reply = Reply("m", status="ok", content="x", completion_tokens=1, cost=amount)
        assert shown in _finished_state(reply)[1]  # `cltui run` progress
        assert shown in usage_line(reply)  # the pane's subtitle


def test_a_reply_that_broke_off_counts_its_tokens_as_an_estimate(tmp_path: Path) -> None:
    def handler(request: RecordedRequest) -> HttpReply:
        if request.json().get("model") == "local/a":
            return HttpReply.sse(chat_chunk("Half an answer"), DROP)
        return no_usage_server(request)

    _result, replies = run_local(tmp_path, handler)
    broken = replies[0]
    assert broken["status"] == "partial" and broken["content"] == "Half an answer"
    assert broken["usage_estimated"] is True and broken["completion_tokens"] == 4


def zero_usage_server(request: RecordedRequest) -> HttpReply:
    """A proxy that puts a usage of zeros in every chunk (seen on legacy streams)."""
    if request.route != "/chat/completions":
        return HttpReply.error(404, "not found")
    zeros = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    chunks = [{**chat_chunk(w + " "), "usage": zeros} for w in ANSWER.split(" ")]
    return HttpReply.sse(*chunks, {**chat_chunk("", finish_reason="stop"), "usage": zeros}, DONE)


def test_a_usage_of_zeros_for_a_reply_with_text_is_estimated_instead(tmp_path: Path) -> None:
    result, replies = run_local(tmp_path, zero_usage_server)
    reply = replies[0]
    assert reply["usage_estimated"] is True and reply["completion_tokens"] > 0
    assert " 0 tokens" not in result.stderr


def strict_server(request: RecordedRequest) -> HttpReply:
    """A server that refuses fields it does not know, `stream_options` among them."""
    if request.route != "/chat/completions":
        return HttpReply.error(404, "not found")
    if "stream_options" in request.json():
        return HttpReply.error(400, "Extra inputs are not permitted: stream_options")
    return no_usage_server(request)


def test_a_server_that_refuses_the_usage_request_is_asked_without_it(tmp_path: Path) -> None:
    with BackgroundServer(strict_server) as server:
        config = local_config(tmp_path / "c.toml", server.base_url)
        result = run_cli("run", str(config), "--prompt", "q", "--sessions-dir", str(tmp_path / "s"))
        asked = [("stream_options" in r.json()) for r in server.requests
                 if r.route == "/chat/completions"]  # fmt: skip
    assert result.returncode == 0, result.stderr
    # The two proposers ask together and are each refused once; every call is then made
    # without it, and the aggregator, asked after the refusal, never sends it.
    assert asked.count(False) == 3 and asked.count(True) <= 2 and asked[-1] is False
    assert "~15 tokens" in result.stderr
