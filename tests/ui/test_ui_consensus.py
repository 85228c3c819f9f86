"""A whole consensus in the TUI: streaming panes, the aggregate, follow-ups, cancel, resume."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cltui.core.events import AGGREGATOR_SLOT
from cltui.core.messages import Usage
from cltui.core.sessions.files import load_session
from cltui.ui.messages import EngineEvent
from tests.support.scripted import Gate, ScriptedBackend, answer
from tests.ui.support import (
    demo_models_config,
    finished_session,
    main_screen,
    make_app,
    settle,
    wait_until,
)


async def test_panes_stream_concurrently_and_the_aggregate_fills(tmp_path: Path) -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend()
    backend.on("m/a", *answer("Alpha says **blue**.", prompt_tokens=10, completion_tokens=5,
                              cost=0.001))  # fmt: skip
    backend.once("m/b", "Beta starts ", Gate(gate), "and finishes.", Usage(10, 6, 0.002))
    backend.on("m/agg", *answer("Merged: blue.", prompt_tokens=30, completion_tokens=4,
                                cost=0.003))  # fmt: skip
    seen: list[object] = []
    app = make_app(demo_models_config(("m/a", "m/b"), iterations=0), backend, tmp_path)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = main_screen(app)
        await pilot.press(*"why blue", "enter")
        panes = screen.panes
        await wait_until(pilot, lambda: panes["m/a"].state == "done")
        await wait_until(pilot, lambda: panes["m/b"].text == "Beta starts ")
        # m/b is still held mid-stream while m/a has already finished its text.
        assert panes["m/b"].state == "streaming"
        assert "Alpha says" in panes["m/a"].text
        assert "Round 1/1" in screen.status.render().plain
        gate.set()
        await settle(pilot)
        assert panes["m/b"].text == "Beta starts and finishes."
        assert panes[AGGREGATOR_SLOT].text == "Merged: blue."
        assert panes[AGGREGATOR_SLOT].has_class("-final")
        status = screen.status.render().plain
        assert "Round 1/1" in status
        assert "65 tok" in status
        assert "turn $0.006" in status
        assert "Beta starts and finishes." in panes["m/b"].query_one("#reply-text").source
    # The screen got the engine's events in the engine's order (each once; deltas aside):
    # both proposers start together, the held one finishes last, saves follow their causes.
    events = {id(m.event): m.event for m in seen if isinstance(m, EngineEvent)}
    sequence = [(type(e).__name__, getattr(e, "slot", "")) for e in events.values()]
    sequence = [step for step in sequence if step[0] not in ("ReplyDelta", "CreditsChanged")]
    assert sequence == [
        ("TurnStarted", ""), ("SessionSaved", ""), ("RoundStarted", ""),
        ("ReplyStarted", "m/a"), ("ReplyStarted", "m/b"),
        ("ReplyFinished", "m/a"), ("SessionSaved", ""),
        ("ReplyFinished", "m/b"), ("SessionSaved", ""),
        ("ReplyStarted", AGGREGATOR_SLOT), ("ReplyFinished", AGGREGATOR_SLOT), ("SessionSaved", ""),
        ("RoundFinished", ""), ("SessionSaved", ""), ("TurnFinished", ""), ("SessionSaved", ""),
    ]  # fmt: skip


async def test_a_follow_up_continues_the_conversation(tmp_path: Path) -> None:
    backend = ScriptedBackend()
    app = make_app(demo_models_config(("m/a", "m/b"), iterations=0), backend, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"first", "enter")
        await settle(pilot)
        await pilot.press(*"second", "enter")
        await settle(pilot)
        session = app.runner.session
        assert [t.prompt for t in session.turns] == ["first", "second"]
        contents = [content for _, content in backend.messages_for("m/a", call=1)]
        assert "first" in contents and session.turns[0].final in contents
        assert main_screen(app).panes["m/a"].text == "m/a answer 2"


async def test_escape_cancels_and_the_partial_text_is_saved(tmp_path: Path) -> None:
    gate = asyncio.Event()  # never set: m/b hangs mid-stream
    backend = ScriptedBackend()
    backend.on("m/b", "half an ", Gate(gate), "answer")
    app = make_app(demo_models_config(("m/a", "m/b")), backend, tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = main_screen(app)
        await pilot.press(*"question", "enter")
        await wait_until(pilot, lambda: screen.panes["m/b"].text == "half an ")
        await pilot.press("escape")
        await settle(pilot)
        assert not app.running
        assert screen.panes["m/b"].state == "stopped"
        assert screen.panes["m/b"].text == "half an "
        messages = [n.message for n in app._notifications]
        assert any("Round cancelled" in m and "saved" in m for m in messages)
        path = app.runner.path
    assert path is not None
    saved = load_session(path)
    reply = saved.turns[0].rounds[0].reply_for("m/b")
    assert reply is not None and reply.content == "half an "
    assert saved.turns[0].status == "interrupted"


async def test_a_resumed_session_shows_its_history_and_finishes_the_round(
    tmp_path: Path,
) -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend()
    backend.once("m/b", "partial ", Gate(gate))
    config = demo_models_config(("m/a", "m/b"), iterations=0)
    first = make_app(config, backend, tmp_path)
    async with first.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"question", "enter")
        await wait_until(pilot, lambda: main_screen(first).panes["m/b"].text == "partial ")
        await pilot.press("escape")
        await settle(pilot)
        path = first.runner.path
    assert path is not None

    reopened = make_app(config, backend, tmp_path, opening=path)
    async with reopened.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = main_screen(reopened)
        assert screen.panes["m/a"].text == "m/a answer 1"
        assert screen.panes["m/b"].text == "partial "
        assert "question" in str(screen.query_one("#question").render())
        assert reopened.runner.can_resume
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert screen.panes["m/b"].text == "m/b answer 2"
        assert screen.panes[AGGREGATOR_SLOT].state == "done"
        assert reopened.runner.session.turns[0].status == "complete"


async def test_history_steps_through_rounds_and_turns(tmp_path: Path) -> None:
    config = demo_models_config(("m/a", "m/b"))
    path = finished_session(config, tmp_path / "s.toml", turns=2)
    app = make_app(config, ScriptedBackend(), tmp_path, opening=path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        pane = screen.panes["m/a"]
        assert "round 2" in pane.text and "turn 2" in pane.text
        pane.focus()
        await pilot.press("[")
        await pilot.pause()
        assert "round 1" in pane.text and "turn 2" in pane.text
        assert "Turn 2/2 · Round 1/2 (history)" in screen.status.render().plain
        await pilot.press("{")
        await pilot.pause()
        assert "round 2" in pane.text and "turn 1" in pane.text
        assert "Question 1" in str(screen.query_one("#question").render())
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert screen.view is None
        assert "turn 2" in pane.text and "round 2" in pane.text
        assert "(history)" not in screen.status.render().plain


async def test_a_failed_model_shows_why_and_can_be_retried(tmp_path: Path) -> None:
    from cltui.core.providers.errors import RateLimitedError

    backend = ScriptedBackend()
    backend.once("m/b", RateLimitedError("rate limited by the provider [/red]"))
    app = make_app(demo_models_config(("m/a", "m/b"), iterations=0), backend, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"q", "enter")
        await settle(pilot)
        pane = screen.panes["m/b"]
        assert pane.state == "error"
        assert "rate limited by the provider [/red]" in str(pane.query_one("#error").render())
        pane.focus()
        await pilot.press("r")
        await settle(pilot)
        assert pane.state == "done"
        assert pane.text.startswith("m/b answer")
