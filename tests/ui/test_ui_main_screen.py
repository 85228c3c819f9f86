"""The main screen between turns: what panes, tabs and the status line show when a follow-up or a
resumed turn starts, and a status line that tells every pane apart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Tab

from cltui.core.events import AGGREGATOR_SLOT
from tests.support.scripted import Gate, ScriptedBackend, consensus_config
from tests.ui.support import demo_models_config, main_screen, make_app, settle, wait_until


async def test_a_follow_up_empties_the_aggregate_until_the_aggregator_answers(
    tmp_path: Path,
) -> None:
    backend = ScriptedBackend()
    app = make_app(demo_models_config(("m/a", "m/b"), iterations=0), backend, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        aggregate = screen.panes[AGGREGATOR_SLOT]
        await pilot.press(*"first", "enter")
        await settle(pilot)
        assert aggregate.text == "m/agg answer 1" and aggregate.final

        gate = asyncio.Event()
        backend.once("m/a", "slow ", Gate(gate), "answer")
        await pilot.press(*"second", "enter")
        await wait_until(pilot, lambda: screen.panes["m/b"].text == "m/b answer 2")
        # The last turn's answer is gone: the pane waits for this turn's aggregate.
        assert aggregate.text == "" and aggregate.state == "waiting" and not aggregate.final
        gate.set()
        await settle(pilot)
        assert aggregate.text == "m/agg answer 2" and aggregate.final


async def test_tabs_and_status_show_every_pane_waiting_when_a_round_starts(
    tmp_path: Path,
) -> None:
    backend = ScriptedBackend()
    app = make_app(demo_models_config(("m/a", "m/b"), iterations=0), backend, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        aggregator_tab = screen.query_one("#tab-pane-aggregator", Tab)
        await pilot.press(*"first", "enter")
        await settle(pilot)
        assert "✓" in aggregator_tab.label.plain

        gate = asyncio.Event()
        backend.once("m/a", "slow ", Gate(gate), "answer")
        await pilot.press(*"second", "enter")
        await wait_until(pilot, lambda: screen.panes["m/b"].state == "done")
        # The aggregator has not started on this round: its tab says so, as the status does.
        assert "…" in aggregator_tab.label.plain and "✓" not in aggregator_tab.label.plain
        assert screen.status.info.slots["m/agg"] == "waiting"
        # With the clock frozen (animate=False) no elapsed time is shown, even mid-turn.
        assert screen.status.info.elapsed is None
        gate.set()
        await settle(pilot)
        assert "✓" in aggregator_tab.label.plain


async def test_resuming_from_history_shows_the_round_it_continues(tmp_path: Path) -> None:
    backend = ScriptedBackend()
    config = demo_models_config(("m/a", "m/b"), iterations=0)
    first = make_app(config, backend, tmp_path)
    async with first.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"first", "enter")
        await settle(pilot)
        gate = asyncio.Event()
        backend.once("m/b", "partial ", Gate(gate))
        await pilot.press(*"second", "enter")
        await wait_until(pilot, lambda: main_screen(first).panes["m/b"].text == "partial ")
        await pilot.press("escape")
        await settle(pilot)
        path = first.runner.path
    assert path is not None

    reopened = make_app(config, backend, tmp_path, opening=path)
    async with reopened.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = main_screen(reopened)
        screen.panes["m/a"].focus()
        await pilot.press("{")
        await pilot.pause()
        assert screen.view == (0, 0) and screen.panes["m/a"].text == "m/a answer 1"
        await pilot.press("ctrl+r")
        await settle(pilot)
        turn = reopened.runner.session.turns[1]
        assert turn.status == "complete" and screen.view is None
        # m/a's reply was done before the interruption: it is the second turn's, not the first's.
        assert screen.panes["m/a"].text == turn.rounds[0].reply_for("m/a").content  # type: ignore[union-attr]
        assert screen.panes[AGGREGATOR_SLOT].text == turn.final


async def test_an_aggregator_on_a_proposers_model_has_its_own_status_entry(
    tmp_path: Path,
) -> None:
    config = consensus_config(
        [{"id": "m/a", "provider": "demo"}, {"id": "m/b", "provider": "demo"}],
        aggregator={"model": "m/a", "provider": "demo"},
        iterations=0,
    )
    app = make_app(config, ScriptedBackend(), tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"q", "enter")
        await settle(pilot)
        assert screen.status.info.slots == {"m/a": "done", "m/b": "done", "Σ m/a": "done"}
        assert "Σ m/a ✓" in screen.status.render().plain


async def test_a_cancelled_turn_leaves_no_pane_waiting_in_the_status(tmp_path: Path) -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend()
    backend.once("m/b", "partial ", Gate(gate))
    app = make_app(demo_models_config(("m/a", "m/b"), iterations=0), backend, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"q", "enter")
        await wait_until(pilot, lambda: screen.panes["m/b"].text == "partial ")
        assert screen.status.info.slots["m/agg"] == "waiting"
        await pilot.press("escape")
        await settle(pilot)
        # The aggregator never started: like its pane, the status says it stopped.
        assert screen.panes[AGGREGATOR_SLOT].state == "stopped"
        assert screen.status.info.slots == {"m/a": "done", "m/b": "stopped", "m/agg": "stopped"}
