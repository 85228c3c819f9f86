"""The load monitor that decides fast mode, and the splitter that decides what streams as
Markdown: pure logic, driven by a fake clock."""

from __future__ import annotations

import pytest

from cltui.ui.markdown_split import BlockSplitter, classify
from cltui.ui.render_load import RenderLoad, parse_render_mode
from tests.support.scripted import FakeClock


def monitor(clock: FakeClock, **options: float) -> tuple[RenderLoad, list[bool]]:
    changes: list[bool] = []
    load = RenderLoad(
        "auto", trip_rate=1000, trip_lag=0.25, trip_after=0.5, calm_fraction=0.5,
        calm_after=2.0, window=0.5, clock=clock, on_change=changes.append, **options,
    )  # fmt: skip
    return load, changes


def stream(load: RenderLoad, clock: FakeClock, *, rate: float, seconds: float) -> None:
    """Report `rate` characters a second for `seconds`, in 10 ms steps."""
    for _ in range(round(seconds * 100)):
        clock.advance(0.01)
        load.note_text(round(rate / 100))


def test_a_normal_rate_stays_in_markdown() -> None:
    clock = FakeClock()
    load, changes = monitor(clock)
    stream(load, clock, rate=600, seconds=5)
    assert not load.fast and changes == [] and load.trips == 0


def test_a_high_rate_trips_at_once_and_stays_while_the_load_is_high() -> None:
    clock = FakeClock()
    load, changes = monitor(clock)
    stream(load, clock, rate=2000, seconds=0.5)
    assert load.fast and changes == [True]
    assert load.last_trip.startswith("rate")
    stream(load, clock, rate=900, seconds=5)  # below the trip rate, above the calm rate
    assert load.fast and changes == [True]


def test_hysteresis_calm_only_after_a_lasting_lower_rate() -> None:
    clock = FakeClock()
    load, changes = monitor(clock)
    stream(load, clock, rate=2000, seconds=1)
    stream(load, clock, rate=300, seconds=1.5)  # calm, but not for long enough
    assert load.fast
    stream(load, clock, rate=2000, seconds=0.1)  # a burst: the calm period starts again
    stream(load, clock, rate=300, seconds=1.9)
    assert load.fast
    stream(load, clock, rate=300, seconds=1.0)
    assert not load.fast and changes == [True, False]


def test_no_text_at_all_calms_it_down_for_the_next_reply() -> None:
    clock = FakeClock()
    load, changes = monitor(clock)
    stream(load, clock, rate=5000, seconds=0.3)
    assert load.fast
    clock.advance(1.9)
    assert load.fast
    clock.advance(0.2)
    assert not load.fast and changes == [True, False]


def test_lasting_lag_trips_but_a_single_late_append_does_not() -> None:
    clock = FakeClock()
    load, changes = monitor(clock)
    load.note_lag(0.8)
    clock.advance(0.3)
    load.note_lag(0.01)  # back on time: the late run is over
    clock.advance(0.3)
    load.note_lag(0.4)
    assert not load.fast
    clock.advance(0.3)
    load.note_lag(0.3)
    assert not load.fast
    clock.advance(0.25)
    load.note_lag(0.3)
    assert load.fast and changes == [True] and load.last_trip.startswith("lag")


def test_fixed_modes_ignore_the_load() -> None:
    clock = FakeClock()
    markdown = RenderLoad("markdown", trip_rate=10, clock=clock)
    fast = RenderLoad("fast", trip_rate=10, clock=clock)
    for load in (markdown, fast):
        stream(load, clock, rate=5000, seconds=1)
        load.note_lag(5.0)
    assert not markdown.fast and fast.fast


@pytest.mark.parametrize(
    ("value", "mode", "noticed"),
    [(None, "auto", False), ("", "auto", False), ("Fast", "fast", False),
     (" markdown ", "markdown", False), ("plain", "auto", True)],
)  # fmt: skip
def test_render_mode_from_the_environment(value: str | None, mode: str, noticed: bool) -> None:
    parsed, notice = parse_render_mode(value)
    assert parsed == mode
    assert (notice is not None) == noticed
    if notice:
        assert "CLTUI_RENDER" in notice and "markdown, fast or auto" in notice


@pytest.mark.parametrize(
    ("line", "kind"),
    [("Plain words", "paragraph"), ("- item", "structured"), ("-", "undecided"),
     ("-5 degrees", "paragraph"), ("**bold** start", "paragraph"), ("* item", "structured"),
     ("1999 was", "paragraph"), ("1.", "undecided"), ("12. item", "structured"),
     ("## Title", "heading"), ("#hashtag", "paragraph"), ("> quote", "structured"),
     ("| a | b |", "structured"), ("```python", "fence"), ("``", "undecided"),
     ("`code` first", "paragraph"), ("     indented", "paragraph")],
)  # fmt: skip
def test_line_kinds(line: str, kind: str) -> None:
    assert classify(line) == kind


def grow(text: str) -> list[int]:
    """The safe end after each character of `text` arrives."""
    splitter = BlockSplitter()
    return [splitter.safe_end(text[: i + 1]) for i in range(len(text))]


def test_prose_and_code_stream_word_by_word() -> None:
    text = "Some prose here.\n\n```py\nx = 1\n\ny = 2\n```\nMore prose"
    ends = grow(text)
    assert ends == sorted(ends)  # never taken back
    assert ends[len("Some pr") - 1] == len("Some pr")
    inside = text.index("y = 2") + 3
    assert ends[inside - 1] == inside  # blank lines inside a fence do not end it
    assert ends[-1] == len(text)


def test_lists_and_headings_wait_until_their_block_ends() -> None:
    text = "Intro.\n\n- one\n- two\n\n## Heading\nAfter"
    ends = grow(text)
    assert ends == sorted(ends)
    list_start = text.index("- one")
    assert ends[text.index("- two") + 2] == list_start  # held while the list grows
    blank = text.index("\n\n## ") + 2
    assert ends[blank - 1] == blank  # the blank line releases the list
    heading_end = text.index("\nAfter") + 1
    assert ends[heading_end - 2] == blank  # the heading line is held...
    assert ends[heading_end - 1] == heading_end  # ...until it ends
    assert ends[-1] == len(text)


def test_a_list_interrupting_a_paragraph_is_held_from_its_first_item() -> None:
    text = "Reasons:\n- one\n- two"
    ends = grow(text)
    assert ends[-1] == text.index("- one")
