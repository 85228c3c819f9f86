"""What a pane says about its reply, as plain values: state, title, usage and notice."""

from __future__ import annotations

import pytest

from cltui.core.sessions.model import Reply
from cltui.ui.pane_state import (
    RETRY_HINT,
    SPINNER,
    PaneTitle,
    reply_notice,
    reply_state,
    usage_line,
)

HOSTILE = "[/red] [link=x]y[/link] [@click=app.quit]q[/]"


@pytest.mark.parametrize(
    ("status", "state"),
    [("ok", "done"), ("error", "error"), ("pending", "waiting"),
     ("partial", "stopped"), ("cancelled", "stopped")],
)  # fmt: skip
def test_a_settled_reply_shows_its_state(status: str, state: str) -> None:
    assert reply_state(Reply(model="m", status=status)) == state  # type: ignore[arg-type]


def test_no_reply_is_idle() -> None:
    assert reply_state(None) == "idle"


def test_usage_line_has_tokens_cost_and_time_when_known() -> None:
    reply = Reply(model="m", status="ok", prompt_tokens=1200, completion_tokens=80,
                  cost=0.0012, duration_ms=2100)  # fmt: skip
    assert usage_line(reply) == "1.2k↑ 80↓ · $0.0012 · 2.1s"
    assert usage_line(Reply(model="m", status="ok")) == ""
    assert usage_line(Reply(model="m", status="ok", duration_ms=500)) == "0.5s"


def test_the_title_names_the_model_and_its_state() -> None:
    assert PaneTitle("2 ", "atlas", "done").content().plain == "2 atlas ✓ done"
    assert PaneTitle("1 ", "atlas", "idle").content().plain == "1 atlas "
    streaming = PaneTitle("1 ", "atlas", "streaming", spinner_frame=1)
    assert streaming.content().plain == f"1 atlas {SPINNER[1]} streaming"
    wrapped = PaneTitle("1 ", "atlas", "streaming", spinner_frame=len(SPINNER) + 2)
    assert wrapped.icon == SPINNER[2]


def test_the_title_says_fast_mode_only_while_streaming() -> None:
    assert PaneTitle("1 ", "a", "streaming", fast=True).word == "streaming · fast"
    assert PaneTitle("1 ", "a", "done", fast=True).word == "done"


def test_a_retrying_title_says_when_instead_of_the_state() -> None:
    title = PaneTitle("1 ", "a", "retrying", retry_note="retrying in 4s (2/5)")
    assert title.content().plain == "1 a ↻ retrying in 4s (2/5)"


def test_the_final_answer_replaces_the_note_once_done() -> None:
    done = PaneTitle("Σ ", "agg", "done", note="round 2/2 aggregate", final=True)
    assert done.content().plain == "Σ agg ✓ done ★ final answer"
    assert done.css_classes() == {"-final": True, "-error": False, "-streaming": False,
                                  "-done": True, "-truncated": False}  # fmt: skip
    streaming = PaneTitle("Σ ", "agg", "streaming", note="layer 2/3", final=True)
    assert streaming.content().plain.endswith(" · layer 2/3")
    assert not streaming.shows_final and streaming.css_classes()["-streaming"]


def test_the_state_classes_follow_the_state() -> None:
    assert PaneTitle("1 ", "a", "error").css_classes() == {
        "-final": False, "-error": True, "-streaming": False, "-done": False,
        "-truncated": False,
    }  # fmt: skip


def test_a_model_name_in_the_title_is_never_markup() -> None:
    title = PaneTitle("1 ", HOSTILE, "done").content()
    assert HOSTILE in title.plain
    assert not any("link" in str(span.style) for span in title.spans)


def test_a_failed_reply_says_why_and_how_to_retry() -> None:
    notice = reply_notice(Reply(model="m", status="error", error=HOSTILE))
    assert notice is not None
    assert notice.plain == f"✗ {HOSTILE}\n{RETRY_HINT}"
    fallback = reply_notice(Reply(model="m", status="error"))
    assert fallback is not None and fallback.plain.startswith("✗ the call failed")


def test_a_stopped_reply_says_why_only_when_there_is_a_reason() -> None:
    notice = reply_notice(Reply(model="m", status="partial", error="the stream broke"))
    assert notice is not None and notice.plain == "■ the stream broke"
    assert reply_notice(Reply(model="m", status="cancelled")) is None
    assert reply_notice(Reply(model="m", status="ok", error="ignored")) is None
    assert reply_notice(None) is None
