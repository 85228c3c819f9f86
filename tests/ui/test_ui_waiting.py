"""A call held back before it is sent says why and for how long in its pane, not just "waiting"."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cltui.core.providers.base import WaitNotice
from tests.support.scripted import Gate, ScriptedBackend
from tests.ui.support import demo_models_config, main_screen, make_app, settle, wait_until


async def test_a_pane_held_by_the_free_model_limit_says_so_and_for_how_long(
    tmp_path: Path,
) -> None:
    backend = ScriptedBackend()
    gate = asyncio.Event()
    backend.once("m/a", WaitNotice("free-model limit", 38.0), Gate(gate), "answer")
    app = make_app(demo_models_config(("m/a", "m/b"), iterations=0), backend, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        pane = screen.panes["m/a"]
        await pilot.press(*"question", "enter")
        await wait_until(pilot, lambda: "free-model limit" in str(pane.border_title))
        assert "free-model limit: 38 s" in str(pane.border_title)
        assert pane.state == "waiting"
        gate.set()
        await settle(pilot)
        assert pane.text == "answer" and "free-model limit" not in str(pane.border_title)
