"""The offsets of a reply streaming into a pane: what goes into the Markdown stream, what the
live text shows, and how late the Markdown is."""

from __future__ import annotations

from cltui.ui.stream_ledger import Shown, StreamLedger, StreamStep


def test_prose_goes_into_the_stream_as_it_arrives() -> None:
    ledger = StreamLedger()
    assert ledger.step("Hello ", 0, 1.0) == StreamStep("Hello ", "")
    assert ledger.step("Hello world", 6, 2.0) == StreamStep("world", "")
    assert ledger.sent == 11 and ledger.live_from == 11


def test_a_list_in_progress_is_held_in_the_live_text() -> None:
    ledger = StreamLedger()
    text = "Intro.\n\n- one\n- tw"
    step = ledger.step(text, 0, None)
    assert step == StreamStep("Intro.\n\n", "- one\n- tw")
    assert ledger.live_from == len("Intro.\n\n")
    grown = text + "o"
    assert ledger.step(grown, len(text), None) == StreamStep("", None, "o")


def test_a_finished_block_stays_in_the_live_text_until_the_markdown_shows_it() -> None:
    ledger = StreamLedger()
    held = "Intro.\n\n- one\n- tw"
    ledger.step(held, 0, 1.0)
    full = held + "o\n\nEnd."
    step = ledger.step(full, len(held), 2.0)
    # The whole list goes into the stream; the live text keeps it and only appends.
    assert step == StreamStep("- one\n- two\n\nEnd.", None, "o\n\nEnd.")
    early = ledger.shown(len("Intro.\n\n"), full)
    assert early == Shown(1.0, None)
    assert ledger.shown(len(full), full) == Shown(2.0, "")
    assert ledger.live_from == len(full)


def test_an_append_reports_the_oldest_text_it_brought_on_screen() -> None:
    ledger = StreamLedger()
    ledger.step("a ", 0, 1.0)
    ledger.step("a b ", 2, 2.0)
    ledger.step("a b c ", 4, 3.0)
    assert ledger.shown(4, "a b c ").oldest_sent_at == 1.0
    assert ledger.shown(4, "a b c ").oldest_sent_at is None  # nothing new on screen
    assert ledger.shown(6, "a b c ").oldest_sent_at == 3.0


def test_untimed_text_is_not_measured() -> None:
    ledger = StreamLedger()
    ledger.step("a ", 0, None)
    assert ledger.shown(2, "a ").oldest_sent_at is None


def test_a_stopped_stream_forgets_what_it_did_not_show() -> None:
    ledger = StreamLedger()
    ledger.step("a ", 0, 1.0)
    ledger.forget_unshown()
    assert ledger.shown(2, "a ").oldest_sent_at is None


def test_fast_mode_hands_the_whole_reply_to_the_live_text() -> None:
    ledger = StreamLedger()
    held = "Intro.\n\n- one\n- tw"
    ledger.step(held, 0, 1.0)
    ledger.step(held + "o\n\n", len(held), 2.0)
    ledger.hand_all_to_live()
    assert ledger.live_from == 0
    assert ledger.shown(len(held) + 3, held + "o\n\n") == Shown(None, None)


def test_reset_starts_a_new_reply() -> None:
    ledger = StreamLedger()
    ledger.step("Intro.\n\n- one", 0, 1.0)
    ledger.reset()
    assert ledger.sent == 0 and ledger.live_from == 0
    assert ledger.step("# Title\n", 0, None) == StreamStep("# Title\n", "")
