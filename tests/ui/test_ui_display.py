"""What a pane shows is all the model sent, and nothing of it acts on the terminal: HTML-like text
is shown as text (streamed and settled, in Markdown and fast mode), long headings wrap, and
control characters appear as symbols in every widget that draws model text."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from textual.widgets import Markdown

from cltui.core.providers.base import StreamChunk
from cltui.core.sessions.listing import SessionSummary
from cltui.ui.render_load import RenderMode
from cltui.ui.screens.session_picker import summary_prompt
from cltui.ui.widgets.model_pane import ModelPane
from tests.support.scripted import Gate, ScriptedBackend, Usage
from tests.ui.support import (
    demo_models_config,
    main_screen,
    make_app,
    settle,
    wait_until,
    with_label,
)

TAGGED = '<response model="x">\nThe answer is 42.\n</response>\n\n<thinking>\nnot hidden\n\n'
AFTER = "Text after the tags."
ACTING = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def markdown_text(markdown: Markdown) -> str:
    """The text of every block the Markdown widget shows (what reaches the screen)."""
    return "\n".join(
        block._content.plain  # type: ignore[attr-defined]
        for block in markdown.query("MarkdownBlock")
        if hasattr(block, "_content")
    )


def shown_text(pane: ModelPane) -> str:
    """Everything the pane draws: the Markdown's blocks, the live text, the fast view."""
    fast = pane.fast_view
    fast_lines = [fast._wrapped.line(y) for y in range(fast.line_count)]
    live = pane.live
    live_lines = [live._wrapped.line(y) for y in range(live.line_count)]
    return "\n".join([markdown_text(pane.markdown), *live_lines, *fast_lines])


@pytest.mark.parametrize("render", ["markdown", "fast"])
async def test_html_like_text_is_shown_while_streaming_and_once_settled(
    tmp_path: Path, render: RenderMode
) -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend()
    backend.on("m/a", TAGGED, AFTER + "\n\n", Gate(gate), "<div>More</div> done.", Usage(5, 5))
    backend.on("m/agg", "Merged.")
    app = make_app(demo_models_config(("m/a",), iterations=0), backend, tmp_path, render=render)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"why", "enter")
        pane = main_screen(app).panes["m/a"]
        await wait_until(pilot, lambda: AFTER in pane.text)
        await wait_until(pilot, lambda: AFTER in shown_text(pane))
        streaming = shown_text(pane)
        assert '<response model="x">' in streaming and "not hidden" in streaming
        gate.set()
        await settle(pilot)
        settled = markdown_text(pane.markdown)
        for part in ('<response model="x">', "The answer is 42.", "<thinking>", "not hidden",
                     AFTER, "<div>More</div> done."):  # fmt: skip
            assert part in settled
        # Maximised, the same widgets show the same text.
        pane.focus()
        await pilot.press("f")
        await pilot.pause()
        assert AFTER in markdown_text(pane.markdown)


async def test_escape_sequences_in_model_text_and_names_show_as_symbols(tmp_path: Path) -> None:
    gate = asyncio.Event()
    hostile = "wipe\x1b[2J\x1b[H title\x1b]0;pwned\x07 clip\x1b]52;c;aGk=\x07 \x9b6n end\r\n"
    backend = ScriptedBackend()
    backend.on("m/a", "# Head\x1b[31m\n\n", hostile, "- item\x1bc\n", Gate(gate), "\r\nrest\r")
    backend.on("m/agg", "Merged.")
    name = "evil\x1b]0;pwned\x07name"
    config = with_label(demo_models_config(["m/a"], iterations=0), 0, name)
    app = make_app(config, backend, tmp_path, render="markdown")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press(*"why", "enter")
        pane = main_screen(app).panes[name]
        await wait_until(pilot, lambda: "- item" in pane.text)
        await wait_until(pilot, lambda: "item" in shown_text(pane))
        streaming = shown_text(pane)
        assert "wipe␛[2J␛[H title␛]0;pwned␇ clip␛]52;c;aGk=␇ \ufffd6n end" in streaming
        assert not ACTING.search(streaming), repr(streaming)
        gate.set()
        await settle(pilot)
        settled = markdown_text(pane.markdown)
        assert "Head␛[31m" in settled and "item␛c" in settled and "rest␍" in settled
        assert not ACTING.search(settled), repr(settled)
        assert pane.text.endswith("\r\nrest\r")  # the reply itself is kept exact (copy, file)
        title = pane._border_title.plain  # type: ignore[union-attr]
        assert "evil␛]0;pwned␇name" in title and not ACTING.search(title)


async def test_an_entity_cannot_bring_a_control_character_back(tmp_path: Path) -> None:
    backend = ScriptedBackend()
    backend.on("m/a", "over&#13;write and &#12;feed")
    backend.on("m/agg", "Merged.")
    app = make_app(demo_models_config(("m/a",), iterations=0), backend, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"why", "enter")
        await settle(pilot)
        shown = markdown_text(main_screen(app).panes["m/a"].markdown)
        assert "over␍write and ␌feed" in shown


async def test_long_headings_wrap_inside_the_pane(tmp_path: Path) -> None:
    heading = "A heading far longer than the pane is wide, which must wrap to be read"
    backend = ScriptedBackend()
    backend.on("m/a", "".join(f"{'#' * level} {heading}\n\ntext\n\n" for level in range(1, 7)))
    backend.on("m/agg", "Merged.")
    app = make_app(demo_models_config(("m/a", "m/b"), iterations=0), backend, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press(*"why", "enter")
        await settle(pilot)
        pane = main_screen(app).panes["m/a"]
        headers = list(pane.markdown.query("MarkdownHeader"))
        assert len(headers) == 6
        room = pane.markdown.content_region.width
        assert room < len(heading)
        for header in headers:
            assert header.size.width <= room, type(header).__name__
            assert header.content_region.height >= 2, type(header).__name__


async def test_reasoning_shows_html_and_escape_sequences_as_text(tmp_path: Path) -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend()
    backend.on("m/a", StreamChunk(reasoning="<thinking>\nstep\x1b[2J one\n\n"), Gate(gate),
               StreamChunk(reasoning="then\x1b]0;pwned\x07 two"), "Answer.")  # fmt: skip
    backend.on("m/agg", "Merged.")
    app = make_app(demo_models_config(("m/a",), iterations=0), backend, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"why", "enter")
        pane = main_screen(app).panes["m/a"]
        box = pane.query_one("#reasoning-text", Markdown)
        await wait_until(pilot, lambda: "one" in markdown_text(box))
        assert "<thinking> step␛[2J one" in markdown_text(box)
        gate.set()
        await settle(pilot)
        shown = markdown_text(box)
        assert "<thinking> step␛[2J one" in shown and "then␛]0;pwned␇ two" in shown
        assert not ACTING.search(shown)
        assert pane.reasoning.endswith("then\x1b]0;pwned\x07 two")  # kept exact


@pytest.mark.parametrize("size", [(160, 40), (80, 24)])
async def test_a_hostile_model_name_shows_as_symbols_in_title_status_tabs_and_toasts(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    name = "evil\x1b]0;pwned\x07\x1b[2J"
    backend = ScriptedBackend()
    backend.on("m/a", "Answer.")
    backend.on("m/agg", "Merged.")
    config = with_label(demo_models_config(["m/a", "m/b"], iterations=0), 0, name)
    app = make_app(config, backend, tmp_path)
    async with app.run_test(size=size, notifications=True) as pilot:
        screen = main_screen(app)
        await pilot.press(*"go", "enter")
        await settle(pilot)
        pane = screen.panes[name]
        pane.focus()
        await pilot.press("y")  # the toast names the model
        await pilot.pause()
        shown = "evil␛]0;pwned␇␛[2J"
        toasts = [n.message for n in app._notifications]
        title = pane._border_title.plain  # type: ignore[union-attr]
        status = screen.status.render().plain
        everything = "\n".join([*toasts, title, status])
        assert shown in title and any(shown in t for t in toasts)
        assert not ACTING.search(everything), repr(everything)
        screenshot = app.export_screenshot()
        assert "\x1b" not in screenshot and "evil␛" in screenshot


def test_the_session_picker_shows_hostile_titles_models_and_errors_as_symbols() -> None:
    good = SessionSummary(Path("a.toml"), "id", "Title\x1b]0;pwned\x07\nsecond line", "", "",
                          "complete", 1, 0.0, models=("m\x1b[2J",))  # fmt: skip
    damaged = SessionSummary(Path("b\x1bc.toml"), "id", "", "", "", "", 0, 0.0,
                             error="bad \x1b[6n file")  # fmt: skip
    good_text, damaged_text = summary_prompt(good).plain, summary_prompt(damaged).plain
    assert "Title␛]0;pwned␇ second line" in good_text and "m␛[2J" in good_text
    assert "b␛c.toml" in damaged_text and "bad ␛[6n file" in damaged_text
    assert not ACTING.search(good_text + damaged_text)
