"""Screens that say what happened: the fallback aggregator's pane is titled with the model that
wrote it (and the session keeps the primary's failure), a resumed unfinished turn counts the
rounds it will make, and models labelled like the reserved panes keep their own panes."""

from __future__ import annotations

import tomllib
from pathlib import Path

from cltui.core.events import AGGREGATOR_SLOT
from cltui.core.providers.base import StreamChunk
from cltui.core.providers.errors import ProviderDownError
from cltui.core.sessions.files import save_session
from cltui.core.sessions.model import Reply, Round, Session, Turn
from cltui.ui.widgets.prompt_input import PromptInput
from tests.support.scripted import ScriptedBackend, consensus_config
from tests.ui.support import demo_models_config, main_screen, make_app, settle


async def test_the_fallback_aggregators_pane_is_titled_with_the_fallback(tmp_path: Path) -> None:
    backend = ScriptedBackend()
    backend.on("m/agg", ProviderDownError("the aggregator's provider is down (502)", status=502))
    backend.on("m/fb", "Fallback merged it.")
    config = consensus_config(
        [{"id": "m/a", "provider": "demo"}, {"id": "m/b", "provider": "demo"}],
        iterations=0,
        aggregator={"model": "m/agg", "provider": "demo",
                    "fallback": {"id": "m/fb", "provider": "demo"}},
    )  # fmt: skip
    app = make_app(config, backend, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"why", "enter")
        await settle(pilot)
        pane = screen.panes[AGGREGATOR_SLOT]
        title = str(pane.border_title or "")
        assert pane.text == "Fallback merged it."
        assert "m/fb" in title and "m/agg" not in title
        status = screen.status.info.slots
        assert status.get("m/fb") == "done" and "m/agg" not in status
        rnd = app.runner.session.turns[0].rounds[0]
        assert rnd.aggregate is not None and rnd.aggregate.model == "m/fb"
        assert [(r.model, r.status) for r in rnd.aggregate_attempts] == [("m/agg", "error")]
        path = app.runner.path
    assert path is not None
    saved = tomllib.loads(path.read_text(encoding="utf-8"))["turns"][0]["rounds"][0]
    assert saved["aggregate"]["model"] == "m/fb"
    failed = saved["aggregate_attempts"][0]
    assert (failed["model"], failed["status"]) == ("m/agg", "error")
    assert "502" in failed["error"]


def interrupted_session(path: Path) -> Path:
    """Two of the three rounds of a turn, then interrupted."""
    config = demo_models_config(("m/a", "m/b"), iterations=2)
    session = Session(config=config.to_dict(), status="interrupted")
    turn = Turn(prompt="why", status="interrupted")
    for r in range(2):
        replies = [Reply(model=m, status="ok", content=f"{m} {r}") for m in ("m/a", "m/b")]
        aggregate = Reply(model="m/agg", status="ok", role="aggregator", content=f"agg {r}")
        turn.rounds.append(Round(index=r, replies=replies, aggregate=aggregate))
    session.turns.append(turn)
    save_session(session, path)
    return path


async def test_a_resumed_unfinished_turn_counts_its_planned_rounds(tmp_path: Path) -> None:
    path = interrupted_session(tmp_path / "s.toml")
    config = demo_models_config(("m/a", "m/b"), iterations=2)
    app = make_app(config, ScriptedBackend(), tmp_path, opening=path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        status = screen.status.line(compact=False).plain
        assert "Round 2/3" in status and "Round 2/2" not in status
        title = str(screen.panes[AGGREGATOR_SLOT].border_title or "")
        assert "round 2/3 aggregate" in title


async def test_models_labelled_like_reserved_panes_keep_their_own(tmp_path: Path) -> None:
    backend = ScriptedBackend()
    backend.on("m/x", "X answers.")
    backend.on("m/y", "Y answers.")
    backend.on("m/z", "Z answers.")
    backend.on("m/agg", "The merge.")
    backend.on("m/judge", "Comparing.\n\nVerdict: A")
    labels = {"m/x": "aggregator", "m/y": "judge", "m/z": "judge:a|b"}
    config = demo_models_config(
        [{"id": model, "label": label} for model, label in labels.items()],
        iterations=0,
        strategy="blender",
        judge={"model": "m/judge", "provider": "demo"},
    )
    app = make_app(config, backend, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"why", "enter")
        await settle(pilot)
        assert app.runner.session.turns[0].status == "complete"
        panes = screen.panes
        assert len(panes) == 4
        assert panes["aggregator"].text == "X answers." and not panes["aggregator"].aggregator
        assert panes["judge"].text == "Y answers."
        assert panes["judge:a|b"].text == "Z answers."
        assert panes[AGGREGATOR_SLOT].text == "The merge."
        panel = screen.ranking_panel
        assert panel is not None and len(panel.judges.calls) == 6
        assert [call.state for call in panel.judges.calls.values()] == ["done"] * 6
        names = set(screen.status.info.slots)
        assert {"aggregator", "judge", "judge:a|b"} <= names


async def test_a_cut_off_final_answer_is_flagged_in_its_pane(tmp_path: Path) -> None:
    backend = ScriptedBackend()
    backend.on("m/agg", StreamChunk(content="The merged answer stops", finish_reason="length"))
    app = make_app(demo_models_config(("m/a", "m/b"), iterations=0), backend, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"why", "enter")
        await settle(pilot)
        pane = screen.panes[AGGREGATOR_SLOT]
        title = str(pane.border_title or "")
        assert "✂ cut off" in title and "★ final answer (cut off)" in title
        assert pane.has_class("-truncated") and pane.has_class("-final")
        notice = str(pane.query_one("#error").render())
        assert "cut off at the server's token limit" in notice
        assert "set a higher max_tokens for m/agg" in notice


async def test_a_seed_question_waits_in_the_prompt_box(tmp_path: Path) -> None:
    config = demo_models_config(("m/a", "m/b"), iterations=0, question="How do tides work?")
    app = make_app(config, ScriptedBackend(), tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert main_screen(app).query_one(PromptInput).text == "How do tides work?"
        await pilot.press("enter")
        await settle(pilot)
        assert app.runner.session.turns[0].prompt == "How do tides work?"
