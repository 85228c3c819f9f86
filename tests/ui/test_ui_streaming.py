"""How replies stream: rendered Markdown growing live by default, fast mode (plain live text)
when forced or when the screen cannot keep up, and the settled Markdown either way."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from cltui.core.messages import Usage
from cltui.core.providers.base import StreamChunk
from cltui.ui.app import ConsensusApp
from cltui.ui.launch import build_app
from cltui.ui.widgets.model_pane import ModelPane
from cltui.ui.widgets.status_bar import StatusBar
from tests.support.scripted import Gate, ScriptedBackend
from tests.ui.support import demo_models_config, main_screen, make_app, settle, wait_until

HEAD = "# Sky colour\n\nLight **scatters** off air "
TAIL = "molecules.\n\n- blue scatters most\n- red least\n\nDone."
FULL = HEAD + TAIL


def one_model_app(tmp_path: Path, gate: asyncio.Event, **options: object) -> ConsensusApp:
    backend = ScriptedBackend()
    backend.on("m/a", HEAD, Gate(gate), *re.findall(r"\S+\s*", TAIL), Usage(10, 20))
    backend.on("m/agg", "Merged.")
    config = demo_models_config(("m/a",), iterations=0)
    return make_app(config, backend, tmp_path, **options)


def pane_of(app: ConsensusApp) -> ModelPane:
    return main_screen(app).panes["m/a"]


async def test_a_reply_streams_as_rendered_markdown(tmp_path: Path) -> None:
    gate = asyncio.Event()
    app = one_model_app(tmp_path, gate)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"why", "enter")
        pane = pane_of(app)
        await wait_until(pilot, lambda: pane.text == HEAD)
        await wait_until(pilot, lambda: bool(pane.markdown.query("MarkdownH1")))
        # Mid-reply: the heading is already a rendered block, the prose streams behind it.
        assert pane.state == "streaming" and not pane.fast
        await wait_until(pilot, lambda: pane.markdown.source == HEAD)
        assert pane.markdown.query("MarkdownParagraph")
        assert pane.live.text == ""
        gate.set()
        await settle(pilot)
        assert pane.state == "done"
        assert pane.text == FULL and pane.markdown.source == FULL
        assert pane.markdown.query("MarkdownBulletList")
        assert pane.live.text == "" and pane.markdown.display


async def test_a_list_in_progress_waits_as_plain_text_below_the_markdown(tmp_path: Path) -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend()
    backend.on("m/a", "Intro words.\n\n- one\n- tw", Gate(gate), "o\n\nEnd.")
    backend.on("m/agg", "Merged.")
    app = make_app(demo_models_config(("m/a",), iterations=0), backend, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"why", "enter")
        pane = pane_of(app)
        await wait_until(pilot, lambda: pane.markdown.source == "Intro words.\n\n")
        assert pane.live.text == "- one\n- tw"
        assert not pane.markdown.query("MarkdownBulletList")
        gate.set()
        await settle(pilot)
        assert pane.markdown.source == "Intro words.\n\n- one\n- two\n\nEnd."
        assert pane.markdown.query("MarkdownBulletList") and pane.live.text == ""


async def test_forced_fast_mode_streams_plain_text_and_settles_to_markdown(
    tmp_path: Path,
) -> None:
    gate = asyncio.Event()
    app = one_model_app(tmp_path, gate, render="fast")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"why", "enter")
        pane = pane_of(app)
        await wait_until(pilot, lambda: pane.text == HEAD)
        assert pane.fast and pane.fast_view.text == HEAD and pane.live.text == ""
        assert pane.fast_view.display and not pane.markdown.display
        assert pane.markdown.source == "" and not pane.markdown.query("MarkdownH1")
        assert "streaming · fast" in str(pane.border_title)
        gate.set()
        await settle(pilot)
        assert pane.text == FULL and pane.markdown.source == FULL
        assert pane.markdown.query("MarkdownH1") and pane.live.text == ""
        assert pane.markdown.display and not pane.fast_view.display
        assert pane.fast_view.text == ""
        assert not pane.fast and "fast" not in str(pane.border_title)


async def test_auto_mode_switches_a_streaming_reply_to_fast_mode_without_losing_text(
    tmp_path: Path,
) -> None:
    gate = asyncio.Event()
    app = one_model_app(tmp_path, gate)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"why", "enter")
        pane = pane_of(app)
        await wait_until(pilot, lambda: pane.markdown.source == HEAD)
        assert not pane.fast
        screen.render_load.trip_rate = 1.0  # any more text now counts as too much
        gate.set()
        await wait_until(pilot, lambda: pane.fast)
        assert "fast" in screen.status.render().plain
        await settle(pilot)
        assert screen.render_load.trips == 1
        assert pane.text == FULL and pane.markdown.source == FULL
        assert pane.live.text == "" and pane.markdown.display
        assert not pane.fast_view.display and pane.fast_view.text == ""


async def test_a_switch_hands_the_live_text_everything_so_far(tmp_path: Path) -> None:
    gate = asyncio.Event()
    second = asyncio.Event()
    backend = ScriptedBackend()
    backend.on("m/a", HEAD, Gate(gate), "molecules ", Gate(second), "end.")
    backend.on("m/agg", "Merged.")
    app = make_app(demo_models_config(("m/a",), iterations=0), backend, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"why", "enter")
        pane = pane_of(app)
        await wait_until(pilot, lambda: pane.markdown.source == HEAD)
        screen.render_load.trip_rate = 1.0
        gate.set()
        await wait_until(pilot, lambda: pane.text == HEAD + "molecules ")
        await wait_until(pilot, lambda: pane.fast_view.text == HEAD + "molecules ")
        assert pane.fast and not pane.markdown.display and pane.fast_view.display
        assert pane.live.text == ""
        second.set()
        await settle(pilot)
        assert pane.markdown.source == HEAD + "molecules end." and pane.live.text == ""
        assert pane.markdown.display and not pane.fast_view.display


async def test_reasoning_streams_as_markdown_into_its_collapsed_box(tmp_path: Path) -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend()
    backend.on("m/a", StreamChunk(reasoning="## Plan\n\nThink "), Gate(gate),
               StreamChunk(reasoning="twice."), "Answer.")  # fmt: skip
    backend.on("m/agg", "Merged.")
    app = make_app(demo_models_config(("m/a",), iterations=0), backend, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"why", "enter")
        pane = pane_of(app)
        await wait_until(pilot, lambda: bool(pane.query("#reasoning MarkdownH2")))
        box = pane.query_one("#reasoning")
        assert box.display and box.collapsed  # type: ignore[attr-defined]
        gate.set()
        await settle(pilot)
        assert pane.reasoning == "## Plan\n\nThink twice." and pane.text == "Answer."
        assert pane.query_one("#reasoning-text").source == pane.reasoning  # type: ignore[attr-defined]
        await pilot.press("enter")  # an empty prompt: nothing asked
        await pane.begin(1, 0, "m/a")
        assert not box.display


def test_the_render_mode_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--demo", "--sessions-dir", str(tmp_path)]
    assert build_app(args).render_mode == "auto"
    monkeypatch.setenv("CLTUI_RENDER", "fast")
    assert build_app(args).render_mode == "fast"
    monkeypatch.setenv("CLTUI_RENDER", "pretty")
    app = build_app(args)
    assert app.render_mode == "auto"
    assert any("CLTUI_RENDER='pretty' ignored" in notice for notice in app.notices)


class StatusHost(App[None]):
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")


async def test_the_status_line_drops_its_least_important_parts_at_80_columns() -> None:
    from cltui.core.costs import Totals

    app = StatusHost()
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.query_one(StatusBar)
        totals = Totals(calls=9, prompt_tokens=12000, completion_tokens=34000, cost=0.1234)
        bar.update_info(
            round=(2, 3), stage="aggregate",
            slots={"openai/gpt-4o-mini": "done", "anthropic/claude-3.5-haiku": "streaming",
                   "google/gemini-flash-1.5": "done"},
            turn=totals, session=totals, credits=12.5, credits_known=True,
            agreement=[0.81, 0.93], elapsed=42.0, fast=True,
        )  # fmt: skip
        await pilot.pause()
        line = bar.render().plain
        assert len(line) <= bar.content_size.width
        assert line.startswith("Round 2/3 aggregate")
        assert "42s" in line and "93%" in line  # elapsed and agreement stay
        assert "session" not in line  # the session cost goes first
        bar.update_info(notice="the aggregator failed: rate limited", notice_severity="error")
        await pilot.pause()
        line = bar.render().plain
        assert "rate limited" in line and len(line) <= bar.content_size.width
