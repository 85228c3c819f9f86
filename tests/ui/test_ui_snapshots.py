"""SVG snapshots at fixed sizes. Clocks, spinners and cursor blink are frozen (`animate=False`),
and each shot waits for every worker (credits included) so runs are identical.

Regenerate with `uv run pytest tests/ui --snapshot-update` and review the SVGs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from cltui.ui.app import ConsensusApp
from tests.support.scripted import ScriptedBackend
from tests.ui.support import demo_models_config, finished_session, make_app


def session_app(tmp_path: Path, *, models: int = 3, **options: Any) -> ConsensusApp:
    config = demo_models_config([f"m/{name}" for name in ("a", "b", "c", "d")[:models]])
    path = finished_session(config, tmp_path / "s.toml", turns=2)
    app = make_app(config, ScriptedBackend(), tmp_path, **options)
    app.runner = app.source.open(path)
    return app


async def quiet(pilot: Pilot[Any]) -> None:
    """Let every worker finish and the screen settle before the shot."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def test_finished_round_wide_dark(tmp_path: Path, snap_compare: Any) -> None:
    """Three model panes side by side over the accent-bordered final aggregate; the status line
    shows round 2/2, tokens, turn and session cost, and the credits left."""
    assert snap_compare(session_app(tmp_path), terminal_size=(120, 40), run_before=quiet)


def test_finished_round_narrow_light(tmp_path: Path, snap_compare: Any) -> None:
    """At 80×24 the panes become tabs (first model shown); light cltui-paper theme."""
    app = session_app(tmp_path, theme="cltui-paper")
    assert snap_compare(app, terminal_size=(80, 24), run_before=quiet)


def test_maximised_aggregate(tmp_path: Path, snap_compare: Any) -> None:
    """The aggregator pane maximised, with the status line and footer still visible."""

    async def maximise(pilot: Pilot[Any]) -> None:
        await quiet(pilot)
        await pilot.press("shift+tab", "4", "f")
        await pilot.pause()

    assert snap_compare(session_app(tmp_path), terminal_size=(120, 40), run_before=maximise)


def test_start_screen_four_models(tmp_path: Path, snap_compare: Any) -> None:
    """A new session with four models in a 2×2 grid, the welcome text in the aggregator pane,
    the strategy summary on top and the call estimate in the status line."""
    config = demo_models_config(("m/a", "m/b", "m/c", "m/d"))
    app = make_app(config, ScriptedBackend(), tmp_path)
    assert snap_compare(app, terminal_size=(120, 40), run_before=quiet)
