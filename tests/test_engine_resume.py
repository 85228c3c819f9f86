"""Cancellation mid-turn, resuming an interrupted turn, and retrying one failed model."""

from __future__ import annotations

import asyncio

import pytest

from cltui.core.engine import ConsensusEngine
from cltui.core.events import AGGREGATOR_SLOT, Event, ReplyFinished, ReplyStarted, TurnFinished
from cltui.core.providers.errors import ProviderDownError
from cltui.core.sessions.model import Reply, Round, Session, Turn
from tests.support.scripted import EventLog, ScriptedBackend, consensus_config, until

AGG = AGGREGATOR_SLOT


async def test_cancelling_mid_stream_keeps_finished_and_partial_replies() -> None:
    never = asyncio.Event()
    backend, log = ScriptedBackend(), EventLog()
    backend.on("m/a", "half ", never, "rest")
    backend.on("m/c", never, "never seen")
    engine = ConsensusEngine(
        consensus_config(("m/a", "m/b", "m/c"), iterations=1), backend.backend_for, sinks=[log]
    )
    task = asyncio.create_task(engine.run_turn("Q"))
    await until(lambda: "m/b" in backend.completed and log.text("m/a") == "half ")

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    turn = engine.session.turns[0]
    replies = {r.model: r for r in turn.rounds[0].replies}
    assert (replies["m/a"].status, replies["m/a"].content) == ("partial", "half ")
    assert (replies["m/b"].status, replies["m/b"].content) == ("ok", "m/b answer 1")
    assert (replies["m/c"].status, replies["m/c"].content) == ("cancelled", "")
    assert turn.rounds[0].aggregate is None
    assert turn.status == "interrupted" and engine.session.status == "interrupted"
    assert sorted(backend.cancelled) == ["m/a", "m/c"]
    finished = {(e.slot, e.reply.status) for e in log.of_type(ReplyFinished)}
    assert finished == {("m/a", "partial"), ("m/b", "ok"), ("m/c", "cancelled")}
    assert log.sequence()[-1] == ("TurnFinished", "interrupted")
    assert engine.can_resume


async def test_cancelling_right_after_the_calls_started_settles_every_reply() -> None:
    hold = asyncio.Event()
    backend, log = ScriptedBackend(), EventLog()
    backend.on("m/a", hold, "a")
    backend.on("m/b", hold, "b")
    task: asyncio.Task[Turn]

    def cancel_on_second_start(event: Event) -> None:
        if isinstance(event, ReplyStarted) and event.slot == "m/b":
            task.cancel()

    engine = ConsensusEngine(
        consensus_config(iterations=0), backend.backend_for, sinks=[log, cancel_on_second_start]
    )
    task = asyncio.create_task(engine.run_turn("Q"))
    with pytest.raises(asyncio.CancelledError):
        await task

    assert [r.status for r in engine.session.turns[0].rounds[0].replies] == [
        "cancelled",
        "cancelled",
    ]
    *_, first, second, last = log.sequence()
    assert {first, second} == {
        ("ReplyFinished", 0, "m/a", "cancelled"),
        ("ReplyFinished", 0, "m/b", "cancelled"),
    }
    assert last == ("TurnFinished", "interrupted")
    assert backend.models_called() == ["m/a", "m/b"]


async def test_interrupted_final_is_the_last_good_aggregate() -> None:
    never = asyncio.Event()
    backend, log = ScriptedBackend(), EventLog()
    backend.once("m/a", "first")
    backend.on("m/a", never)
    engine = ConsensusEngine(consensus_config(iterations=2), backend.backend_for, sinks=[log])
    task = asyncio.create_task(engine.run_turn("Q"))
    await until(lambda: len(backend.requests_for("m/a")) == 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    finished = log.of_type(TurnFinished)[-1]
    assert (finished.status, finished.final) == ("interrupted", "m/agg answer 1")
    assert engine.session.turns[0].final == "m/agg answer 1"


def interrupted_session() -> Session:
    """Turn 0 complete; turn 1 cut off in round 1: m/a done, m/b partial, m/c never started."""
    config = consensus_config(("m/a", "m/b", "m/c"), iterations=2)

    def ok(model: str, text: str, role: str = "proposer") -> Reply:
        return Reply(model=model, status="ok", content=text, role=role)  # type: ignore[arg-type]

    earlier = Turn(prompt="Old question", status="complete", final="old final")
    earlier.rounds = [Round(0, [ok("m/a", "x"), ok("m/b", "y"), ok("m/c", "z")])]
    round0 = Round(
        0,
        [ok("m/a", "a zero"), ok("m/b", "b zero"), ok("m/c", "c zero")],
        aggregate=ok("m/agg", "agg zero", "aggregator"),
    )
    partial = Reply(model="m/b", status="partial", content="b-par", error="interrupted")
    round1 = Round(1, [ok("m/a", "a one"), partial])
    current = Turn(prompt="New question", status="interrupted", rounds=[round0, round1])
    return Session(config=config.to_dict(), status="interrupted", turns=[earlier, current])


async def test_resume_redoes_only_the_missing_proposers_then_continues() -> None:
    session = interrupted_session()
    config = consensus_config(("m/a", "m/b", "m/c"), iterations=2)
    backend, log = ScriptedBackend(), EventLog()
    engine = ConsensusEngine(config, backend.backend_for, sinks=[log], session=session)
    assert engine.can_resume

    turn = await engine.resume()

    assert backend.models_called() == ["m/b", "m/c", "m/agg", "m/a", "m/b", "m/c", "m/agg"]
    history = [("user", "Old question"), ("assistant", "old final")]
    assert backend.messages_for("m/c", 0)[-3:] == [
        ("user", "New question"),
        ("system", "Consensus: agg zero"),
        ("user", config.improvement_prompt),
    ]
    assert backend.messages_for("m/c", 0)[:2] == history
    aggregated = backend.messages_for("m/agg", 0)[3][1]
    assert aggregated.startswith("Question:\nNew question\n")
    assert "a one" in aggregated and "m/b answer 1" in aggregated and "b-par" not in aggregated
    assert [r.model for r in turn.rounds[1].replies] == ["m/a", "m/b", "m/c"]
    assert turn.rounds[0].aggregate is not None
    assert turn.rounds[0].aggregate.content == "agg zero"
    assert turn.status == "complete" and session.status == "complete"
    assert turn.final == "m/agg answer 2"
    assert log.sequence()[:5] == [
        ("TurnStarted", 1),
        ("RoundStarted", 1),
        ("ReplyStarted", 1, "m/b"),
        ("ReplyStarted", 1, "m/c"),
        ("ReplyFinished", 1, "m/b", "ok"),
    ]
    assert ("RoundStarted", 0) not in log.sequence()
    assert log.sequence()[-1] == ("TurnFinished", "complete")
    assert not engine.can_resume


async def test_resume_after_a_crash_mid_turn() -> None:
    session = interrupted_session()
    session.turns[-1].status = "running"
    config = consensus_config(("m/a", "m/b", "m/c"), iterations=2)
    engine = ConsensusEngine(config, ScriptedBackend().backend_for, session=session)
    assert engine.can_resume
    assert (await engine.resume()).status == "complete"


async def test_resume_makes_a_missing_aggregate_without_redoing_proposals() -> None:
    hold = asyncio.Event()
    first = ScriptedBackend()
    first.once("m/agg", "merg", hold)
    config = consensus_config(iterations=1)
    engine = ConsensusEngine(config, first.backend_for)
    task = asyncio.create_task(engine.run_turn("Q"))
    log = EventLog()
    engine.add_sink(log)
    await until(lambda: log.text(AGG) == "merg")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    aggregate = engine.session.turns[0].rounds[0].aggregate
    assert aggregate is not None and (aggregate.status, aggregate.content) == ("partial", "merg")

    second = ScriptedBackend()
    log.clear()
    resumed = ConsensusEngine(config, second.backend_for, sinks=[log], session=engine.session)
    turn = await resumed.resume()

    assert second.models_called() == ["m/agg", "m/a", "m/b", "m/agg"]
    assert [r.content for r in turn.rounds[0].replies] == ["m/a answer 1", "m/b answer 1"]
    assert backend_block_answers(second.messages_for("m/agg", 0)[1][1]) == [
        "m/a answer 1",
        "m/b answer 1",
    ]
    assert second.messages_for("m/a", 0)[-2][1] == "Consensus: m/agg answer 1"
    assert log.sequence()[:4] == [
        ("TurnStarted", 0),
        ("RoundStarted", 0),
        ("ReplyStarted", 0, AGG),
        ("ReplyFinished", 0, AGG, "ok"),
    ]
    assert turn.status == "complete" and turn.final == "m/agg answer 2"


def backend_block_answers(block: str) -> list[str]:
    parts = block.split("<response model=")[1:]
    return [p.split("\n", 1)[1].split("\n</response>")[0] for p in parts]


async def test_resume_plain_chat_after_cancel() -> None:
    never = asyncio.Event()
    first = ScriptedBackend()
    first.on("m/solo", "par", never)
    config = consensus_config(("m/solo",), aggregator=None)
    log = EventLog()
    engine = ConsensusEngine(config, first.backend_for, sinks=[log])
    task = asyncio.create_task(engine.run_turn("Q"))
    await until(lambda: log.text("m/solo") == "par")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert engine.session.turns[0].rounds[0].replies[0].status == "partial"

    second = ScriptedBackend()
    resumed = ConsensusEngine(config, second.backend_for, session=engine.session)
    turn = await resumed.resume()
    assert turn.status == "complete" and turn.final == "m/solo answer 1"
    assert len(turn.rounds) == 1 and len(turn.rounds[0].replies) == 1


async def test_resume_without_an_interrupted_turn_is_refused() -> None:
    engine = ConsensusEngine(consensus_config(), ScriptedBackend().backend_for)
    with pytest.raises(RuntimeError, match="no unfinished turn"):
        await engine.resume()


async def test_retrying_a_failed_model_lets_a_failed_turn_be_finished() -> None:
    backend, log = ScriptedBackend(), EventLog()
    backend.once("m/b", ProviderDownError("down"))
    engine = ConsensusEngine(
        consensus_config(iterations=0, quorum=2), backend.backend_for, sinks=[log]
    )
    turn = await engine.run_turn("Q")
    assert turn.status == "failed" and engine.can_resume  # failed turns can be taken up again
    log.clear()

    reply = await engine.retry_reply(0, 0, "m/b")

    assert (reply.status, reply.content) == ("ok", "m/b answer 2")
    assert turn.rounds[0].replies[1] is reply
    assert log.sequence() == [("ReplyStarted", 0, "m/b"), ("ReplyFinished", 0, "m/b", "ok")]
    assert turn.status == "interrupted" and engine.can_resume
    with pytest.raises(ValueError, match="already answered"):
        await engine.retry_reply(0, 0, "m/b")
    with pytest.raises(ValueError, match="turn 3"):
        await engine.retry_reply(3, 0, "m/b")
    with pytest.raises(ValueError, match="no reply from 'm/zzz'"):
        await engine.retry_reply(0, 0, "m/zzz")

    finished = await engine.resume()
    assert finished.status == "complete"
    assert backend.models_called() == ["m/a", "m/b", "m/b", "m/agg"]


async def test_retry_in_an_improvement_round_uses_that_rounds_messages() -> None:
    backend = ScriptedBackend()
    backend.once("m/a", "fine")
    backend.once("m/a", ProviderDownError("down"))
    config = consensus_config(iterations=1)
    engine = ConsensusEngine(config, backend.backend_for)
    turn = await engine.run_turn("Q")
    assert turn.status == "complete"
    assert turn.rounds[1].replies[0].status == "error"

    reply = await engine.retry_reply(0, 1, "m/a")
    assert reply.status == "ok"
    assert backend.messages_for("m/a", 2) == backend.messages_for("m/a", 1)
    assert turn.status == "complete"


async def test_a_turn_whose_aggregator_failed_is_resumed_without_redoing_the_answers() -> None:
    backend = ScriptedBackend()
    backend.once("m/agg", ProviderDownError("the aggregator is down"))
    engine = ConsensusEngine(consensus_config(iterations=0), backend.backend_for)
    turn = await engine.run_turn("Q")
    assert turn.status == "failed" and engine.session.status == "failed"
    assert engine.can_resume

    finished = await engine.resume()

    assert finished.status == "complete" and engine.session.status == "complete"
    assert finished.final == "m/agg answer 2"
    assert backend.models_called() == ["m/a", "m/b", "m/agg", "m/agg"]
