"""SVG snapshots at fixed sizes. Clocks, spinners and cursor blink are frozen (`animate=False`),
and each shot waits for every worker (credits included) so runs are identical.

Regenerate with `uv run pytest tests/ui --snapshot-update` and review the SVGs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from cltui.core.sessions.files import load_session, save_session
from cltui.core.sessions.model import Judgement
from cltui.ui.app import ConsensusApp
from tests.support.scripted import ScriptedBackend
from tests.ui.support import demo_models_config, finished_session, make_app


def session_app(tmp_path: Path, *, models: int = 3, **options: Any) -> ConsensusApp:
    config = demo_models_config([f"m/{name}" for name in ("a", "b", "c", "d")[:models]])
    path = finished_session(config, tmp_path / "s.toml", turns=2)
    app = make_app(config, ScriptedBackend(), tmp_path, **options, opening=path)
    return app


async def quiet(pilot: Pilot[Any]) -> None:
    """Let every worker finish and the screen settle before the shot."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def test_finished_round_wide_dark(tmp_path: Path, snap_compare: Any) -> None:
    """Three model panes side by side over the final aggregate (heavy border, "★ final answer");
    the status line shows round 2/2, tokens, turn and session cost, and the credits left."""
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


def blender_session_app(tmp_path: Path) -> ConsensusApp:
    """A saved blender session: every round with its six judgements and its ranking."""
    config = demo_models_config(
        ("m/a", "m/b", "m/c"), strategy="blender", judge={"model": "m/judge", "provider": "demo"}
    )
    path = finished_session(config, tmp_path / "blender.toml", turns=1)
    session = load_session(path)
    verdicts = {
        ("m/a", "m/b"): "first", ("m/b", "m/a"): "second", ("m/a", "m/c"): "first",
        ("m/c", "m/a"): "both_good", ("m/b", "m/c"): "second", ("m/c", "m/b"): "first",
    }  # fmt: skip
    for rnd in session.turns[0].rounds:
        rnd.judgements = [
            Judgement(first, second, verdict, raw=f"Both are fine.\n\nVerdict: {verdict}")
            for (first, second), verdict in verdicts.items()
        ]
        rnd.ranking = [
            {"model": "m/a", "score": 4, "rank": 1, "wins": 4, "losses": 0},
            {"model": "m/c", "score": 0, "rank": 2, "wins": 2, "losses": 2},
            {"model": "m/b", "score": -4, "rank": 3, "wins": 0, "losses": 4},
        ]
    for rnd in session.turns[0].rounds[1:]:
        rnd.agreement = 0.93
    save_session(session, path)
    app = make_app(config, ScriptedBackend(), tmp_path, opening=path)
    return app


def test_finished_blender_round(tmp_path: Path, snap_compare: Any) -> None:
    """A finished blender round: the final answer's pane (★ final answer, success border) beside
    the ranking table (m/a first, 4/0) over the judge pane's six 'a vs b → winner' lines; the
    status line shows the agreement sparkline."""
    assert snap_compare(blender_session_app(tmp_path), terminal_size=(140, 40), run_before=quiet)
