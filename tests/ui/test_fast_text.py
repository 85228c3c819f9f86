"""Fast mode's view: a fixed-size view that grows only its virtual size (no screen layout),
follows the end of the text until the user scrolls away, re-wraps on resize, and hands the
reply to the Markdown when it ends."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Container
from textual.pilot import Pilot

from cltui.core.messages import Usage
from cltui.ui.widgets.fast_text import FastText
from cltui.ui.widgets.live_text import WrappedLines
from tests.support.scripted import Gate, ScriptedBackend
from tests.ui.support import demo_models_config, main_screen, make_app, settle, wait_until


class FastHost(App[None]):
    CSS = "#box { width: 30; height: 8; }"

    def compose(self) -> ComposeResult:
        with Container(id="box"):
            yield FastText(id="fast")


async def repainted(pilot: Pilot[Any], view: FastText) -> None:
    """Wait for the view's repaint tick to show everything appended."""
    for _ in range(100):
        await pilot.pause(0.01)
        if view.virtual_size.height == view.line_count and not view._pending_from:
            return
    raise AssertionError("the view never caught up with its text")


def screen_line(view: FastText, y: int) -> str:
    """Line `y` of the view as drawn now (relative to its scroll position)."""
    view._line_style = view.rich_style
    return view.render_line(y).text.rstrip()


def test_wrapped_lines_wrap_and_grow_at_the_end() -> None:
    wrapped = WrappedLines()
    wrapped.append("alpha beta ")
    assert wrapped.line_count == 0  # no width yet: only the source is kept
    wrapped.rewrap(6)
    assert [wrapped.line(y) for y in range(wrapped.line_count)] == ["alpha", "beta "]
    first = wrapped.append("gamma\n\ndelta")
    assert first == 0  # the line being written changed from its first screen line
    assert wrapped.text == "alpha beta gamma\n\ndelta"
    assert [wrapped.line(y) for y in range(wrapped.line_count)] == [
        "alpha", "beta", "gamma", "", "delta"
    ]  # fmt: skip
    assert wrapped.line(99) == ""


async def test_growing_text_keeps_its_size_lays_nothing_out_and_follows_the_end() -> None:
    app = FastHost()
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(FastText)
        view.follow()
        for n in range(12):
            view.append(f"line {n}\n")
        await repainted(pilot, view)
        await pilot.pause()
        region = view.region
        layouts: list[object] = []
        original = app.screen._refresh_layout

        def counted(*args: Any, **kwargs: Any) -> None:
            layouts.append(args)
            original(*args, **kwargs)

        app.screen._refresh_layout = counted  # type: ignore[method-assign]
        for n in range(12, 40):
            view.append(f"line {n} ")
            view.append("grows\n")
        await repainted(pilot, view)
        await pilot.pause()
        assert layouts == []
        assert view.region == region  # the outer size never changed
        assert view.virtual_size.height == view.line_count == 40
        assert view.following and view.scroll_y == view.max_scroll_y > 0
        bottom = [screen_line(view, y) for y in range(view.size.height)]
        assert bottom[-1] == "line 39 grows" and "line 0" not in bottom
        assert view.text.count("\n") == 40


async def test_scrolling_up_stops_following_and_scrolling_back_to_the_end_resumes() -> None:
    app = FastHost()
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(FastText)
        view.follow()
        view.append("".join(f"line {n}\n" for n in range(30)))
        await repainted(pilot, view)
        view.scroll_to(y=3, animate=False)  # the user scrolls up
        await pilot.pause()
        assert not view.following
        view.append("".join(f"more {n}\n" for n in range(10)))
        await repainted(pilot, view)
        assert view.scroll_y == 3 and screen_line(view, 0) == "line 3"
        view.scroll_to(y=view.max_scroll_y, animate=False)  # back to the end
        await pilot.pause()
        assert view.following
        view.append("last\n")
        await repainted(pilot, view)
        assert view.scroll_y == view.max_scroll_y
        assert screen_line(view, view.size.height - 1) == "last"


async def test_a_resize_wraps_the_text_again() -> None:
    app = FastHost()
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(FastText)
        words = "word " * 20
        view.append(words)
        await repainted(pilot, view)
        narrow = view.line_count
        app.query_one("#box").styles.width = 50
        await pilot.pause()
        await repainted(pilot, view)
        assert view.line_count < narrow
        assert view.virtual_size.height == view.line_count and view.text == words


async def test_fast_mode_streams_into_the_fixed_view_and_settles_to_markdown(
    tmp_path: Path,
) -> None:
    gate = asyncio.Event()
    lines = [f"Line {n} of the answer.\n\n" for n in range(40)]
    backend = ScriptedBackend()
    backend.on("m/a", *lines[:30], Gate(gate), *lines[30:], Usage(10, 20))
    backend.on("m/agg", "Merged.")
    app = make_app(demo_models_config(("m/a",), iterations=0), backend, tmp_path, render="fast")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"why", "enter")
        pane = main_screen(app).panes["m/a"]
        view = pane.fast_view
        await wait_until(pilot, lambda: pane.text == "".join(lines[:30]))
        await repainted(pilot, view)
        # The view fills the pane: the pane has nothing to scroll, the view scrolls itself.
        assert view.display and not pane.markdown.display
        assert pane.max_scroll_y == 0 and view.size.height == pane.scrollable_content_region.height
        assert view.following and view.scroll_y == view.max_scroll_y > 0
        # The pane's scrolling keys move the view: up stops following.
        pane.focus()
        await pilot.press("up")
        await pilot.pause(0.3)
        assert not view.following and view.scroll_y < view.max_scroll_y
        await pilot.press("end")
        await pilot.pause(0.3)
        assert view.following
        gate.set()
        await settle(pilot)
        full = "".join(lines)
        assert pane.text == full and pane.markdown.source == full  # no text lost
        assert pane.markdown.display and not view.display and view.text == ""
        assert len(pane.markdown.query("MarkdownParagraph")) == 40
