"""The consensus engine: event order, concurrency, failures, fallback, plain chat, accounting."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from cltui.core.config import ConfigError
from cltui.core.engine import ConsensusEngine
from cltui.core.engine.strategies.iterative import IterativeStrategy
from cltui.core.events import (
    AGGREGATOR_SLOT,
    Event,
    ReplyDelta,
    ReplyFinished,
    ReplyRetrying,
    ReplyStarted,
    RoundFinished,
    TurnStarted,
)
from cltui.core.messages import Usage
from cltui.core.preview import planned_calls
from cltui.core.providers.base import StreamChunk
from cltui.core.providers.errors import (
    MissingKeyError,
    ModelNotFoundError,
    ProviderDownError,
    RateLimitedError,
    StreamBrokenError,
)
from cltui.core.sessions.model import Round
from tests.support.scripted import (
    EventLog,
    FakeClock,
    Retry,
    ScriptedBackend,
    Tick,
    answer,
    consensus_config,
    until,
)

AGG = AGGREGATOR_SLOT


def engine_with(config, backend, log=None, **kwargs) -> ConsensusEngine:  # type: ignore[no-untyped-def]
    sinks = [log] if log is not None else []
    return ConsensusEngine(config, backend.backend_for, sinks=sinks, **kwargs)


# Event order and concurrency ------------------------------------------------------------------


async def test_event_sequence_of_two_models_and_one_improvement_round() -> None:
    backend, log = ScriptedBackend(), EventLog()
    engine = engine_with(consensus_config(iterations=1), backend, log)

    turn = await engine.run_turn("Why?")

    def round_events(i: int) -> list[tuple[object, ...]]:
        return [
            ("RoundStarted", i),
            ("ReplyStarted", i, "m/a"),
            ("ReplyStarted", i, "m/b"),
            ("ReplyFinished", i, "m/a", "ok"),
            ("ReplyFinished", i, "m/b", "ok"),
            ("ReplyStarted", i, AGG),
            ("ReplyFinished", i, AGG, "ok"),
            ("RoundFinished", i),
        ]

    assert log.sequence() == [
        ("TurnStarted", 0),
        *round_events(0),
        *round_events(1),
        ("TurnFinished", "complete"),
    ]
    # Every reply streamed: its deltas sit between its start and its end.
    seq = log.sequence(deltas=True)
    for slot in ("m/a", "m/b", AGG):
        start = seq.index(("ReplyStarted", 0, slot))
        delta = seq.index(("ReplyDelta", 0, slot))
        end = seq.index(("ReplyFinished", 0, slot, "ok"))
        assert start < delta < end
    assert log.text("m/a", 0) == "m/a answer 1"
    assert log.finished().final == turn.final == "m/agg answer 2"
    assert engine.session.status == "complete"
    assert [r.index for r in turn.rounds] == [0, 1]
    assert turn.rounds[1].aggregate is not None and turn.rounds[1].aggregate.role == "aggregator"
    started = log.of_type(TurnStarted)[0]
    assert started.session is engine.session and started.prompt == "Why?"


async def test_proposers_start_together_and_the_aggregator_waits_for_the_slowest() -> None:
    hold_a, hold_b = asyncio.Event(), asyncio.Event()
    backend, log = ScriptedBackend(), EventLog()
    backend.on("m/a", "slow ", hold_a, "answer")
    backend.on("m/b", hold_b, "fast answer")
    engine = engine_with(consensus_config(iterations=0), backend, log)
    task = asyncio.create_task(engine.run_turn("Q"))

    await until(lambda: backend.arrived("m/a").is_set() and backend.arrived("m/b").is_set())
    assert len(log.of_type(ReplyStarted)) == 2
    assert not log.of_type(ReplyFinished)

    hold_b.set()
    await until(lambda: ("ReplyFinished", 0, "m/b", "ok") in log.sequence())
    assert not any(e.slot == "m/a" for e in log.of_type(ReplyFinished))
    assert not backend.requests_for("m/agg")
    assert ("ReplyStarted", 0, AGG) not in log.sequence()

    hold_a.set()
    turn = await task
    seq = log.sequence()
    assert (
        seq.index(("ReplyFinished", 0, "m/b", "ok"))
        < seq.index(("ReplyFinished", 0, "m/a", "ok"))
        < seq.index(("ReplyStarted", 0, AGG))
    )
    assert backend.completed == ["m/b", "m/a", "m/agg"]
    assert turn.status == "complete"


# Failures ------------------------------------------------------------------------------------


async def test_a_failing_model_is_recorded_and_left_out_while_the_quorum_holds() -> None:
    backend, log = ScriptedBackend(), EventLog()
    backend.on("m/b", RateLimitedError("rate limited by the provider; wait a minute"))
    turn = await engine_with(consensus_config(iterations=1), backend, log).run_turn("Q")

    assert turn.status == "complete"
    failed = turn.rounds[0].reply_for("m/b")
    assert failed is not None
    assert failed.status == "error"
    assert failed.error == "rate limited by the provider; wait a minute"
    assert failed.error_kind == "rate_limited"
    aggregated = backend.messages_for("m/agg", 0)[1][1]
    assert '<response model="m/a">' in aggregated
    assert "m/b" not in aggregated
    assert ("ReplyFinished", 0, "m/b", "error") in log.sequence()


async def test_turn_fails_when_the_quorum_is_not_reached() -> None:
    backend, log = ScriptedBackend(), EventLog()
    backend.on("m/b", ProviderDownError("the provider is down"))
    engine = engine_with(consensus_config(iterations=1, quorum=2), backend, log)

    turn = await engine.run_turn("Q")

    assert turn.status == "failed" and engine.session.status == "failed"
    finished = log.finished()
    assert finished.status == "failed"
    assert finished.error == "only 1 of 2 models answered (need 2): m/b: the provider is down"
    assert not backend.requests_for("m/agg")
    assert turn.final == ""
    assert log.sequence()[-2:] == [("RoundFinished", 0), ("TurnFinished", "failed")]


async def test_one_reason_shared_by_every_failed_model_is_said_once() -> None:
    backend, log = ScriptedBackend(), EventLog()
    for model in ("m/a", "m/b"):
        backend.on(model, ProviderDownError("KEY is not set"))
    turn = await engine_with(consensus_config(iterations=0), backend, log).run_turn("Q")

    assert turn.status == "failed"
    assert log.finished().error == (
        "only 0 of 2 models answered (need 1): all failed with: KEY is not set"
    )


async def test_a_shared_reason_with_some_answers_does_not_say_all_failed() -> None:
    backend, log = ScriptedBackend(), EventLog()
    config = consensus_config(["m/a", "m/b", "m/c"], iterations=0, quorum=2)
    backend.on("m/a", "Fine.")
    for model in ("m/b", "m/c"):
        backend.on(model, ProviderDownError("the model returned an empty answer"))
    await engine_with(config, backend, log).run_turn("Q")

    assert log.finished().error == (
        "only 1 of 3 models answered (need 2): "
        "the other 2 failed with: the model returned an empty answer"
    )


async def test_a_reason_that_names_its_model_is_not_prefixed_again() -> None:
    backend, log = ScriptedBackend(), EventLog()
    config = consensus_config(["m/a", "m/b"], iterations=0, quorum=2)
    backend.on("m/a", "Fine.")
    backend.on("m/b", ProviderDownError("m/b: could not connect to http://127.0.0.1:9/v1"))
    await engine_with(config, backend, log).run_turn("Q")

    assert log.finished().error == (
        "only 1 of 2 models answered (need 2): m/b: could not connect to http://127.0.0.1:9/v1"
    )


async def test_failed_improvement_round_keeps_the_last_good_aggregate_as_final() -> None:
    backend, log = ScriptedBackend(), EventLog()
    for model in ("m/a", "m/b"):
        backend.once(model, "fine")
        backend.on(model, ProviderDownError(f"{model} is down"))
    turn = await engine_with(consensus_config(iterations=2), backend, log).run_turn("Q")

    assert turn.status == "failed"
    assert turn.final == "m/agg answer 1"
    assert log.finished().error == (
        "only 0 of 2 models answered (need 1): m/a: m/a is down; m/b: m/b is down"
    )
    assert len(turn.rounds) == 2


async def test_fallback_aggregator_stands_in_when_the_aggregator_fails() -> None:
    backend, log = ScriptedBackend(), EventLog()
    backend.on("m/agg", ModelNotFoundError("model 'm/agg' does not exist"))
    config = consensus_config(
        aggregator={"model": "m/agg", "fallback": {"id": "m/fb"}}, iterations=1
    )
    turn = await engine_with(config, backend, log).run_turn("Q")

    assert turn.status == "complete"
    assert turn.final == "m/fb answer 2"
    aggregate = turn.rounds[0].aggregate
    assert aggregate is not None
    assert (aggregate.model, aggregate.status, aggregate.role) == ("m/fb", "ok", "aggregator")
    assert backend.messages_for("m/fb", 0) == backend.messages_for("m/agg", 0)
    assert log.sequence()[6:11] == [
        ("ReplyStarted", 0, AGG),
        ("ReplyFinished", 0, AGG, "error"),
        ("ReplyStarted", 0, AGG),
        ("ReplyFinished", 0, AGG, "ok"),
        ("RoundFinished", 0),
    ]
    started = [e.model for e in log.of_type(ReplyStarted) if e.slot == AGG and e.round == 0]
    assert started == ["m/agg", "m/fb"]


async def test_turn_fails_when_aggregator_and_fallback_both_fail() -> None:
    backend, log = ScriptedBackend(), EventLog()
    backend.on("m/agg", ProviderDownError("agg down"))
    backend.on("m/fb", ProviderDownError("fb down"))
    config = consensus_config(aggregator={"model": "m/agg", "fallback": {"id": "m/fb"}})
    turn = await engine_with(config, backend, log).run_turn("Q")

    assert turn.status == "failed"
    assert log.finished().error == (
        "the aggregator m/agg failed: agg down; its fallback m/fb failed too: fb down"
    )


async def test_aggregator_failure_without_fallback_fails_the_turn() -> None:
    backend, log = ScriptedBackend(), EventLog()
    backend.on("m/agg", ProviderDownError("agg down"))
    turn = await engine_with(consensus_config(), backend, log).run_turn("Q")
    assert turn.status == "failed"
    assert log.finished().error == "the aggregator m/agg failed: agg down"


async def test_broken_streams_unexpected_errors_and_empty_answers_become_error_replies() -> None:
    backend, log = ScriptedBackend(), EventLog()
    backend.on("m/a", "half an ", StreamBrokenError("the connection dropped mid-answer"))
    backend.on("m/b", ValueError("boom"))
    backend.on("m/c", StreamChunk(finish_reason="length"))
    backend.on("m/d", "fine")
    config = consensus_config(("m/a", "m/b", "m/c", "m/d"), iterations=0)
    turn = await engine_with(config, backend, log).run_turn("Q")

    replies = {r.model: r for r in turn.rounds[0].replies}
    assert (replies["m/a"].status, replies["m/a"].content) == ("partial", "half an ")
    assert replies["m/a"].error_kind == "stream_broken"
    assert replies["m/b"].status == "error"
    assert replies["m/b"].error == "unexpected error: ValueError: boom"
    assert replies["m/b"].error_kind == "internal"
    assert "Traceback" not in replies["m/b"].error
    assert (replies["m/c"].status, replies["m/c"].error_kind) == ("error", "empty")
    assert "max_tokens" in replies["m/c"].error
    assert turn.status == "complete"
    assert '<response model="m/d">' in backend.messages_for("m/agg", 0)[1][1]
    assert "half an" not in backend.messages_for("m/agg", 0)[1][1]


async def test_a_backend_that_cannot_be_made_is_that_models_error() -> None:
    backend, log = ScriptedBackend(), EventLog()

    def backend_for(model):  # type: ignore[no-untyped-def]
        if model.id == "m/b":
            raise MissingKeyError("no API key for provider 'openrouter'; set OPENROUTER_API_KEY")
        return backend

    engine = ConsensusEngine(consensus_config(iterations=0), backend_for, sinks=[log])
    turn = await engine.run_turn("Q")
    reply = turn.rounds[0].reply_for("m/b")
    assert reply is not None and (reply.status, reply.error_kind) == ("error", "missing_key")
    assert turn.status == "complete"


async def test_a_failing_sink_does_not_break_the_run() -> None:
    backend, log = ScriptedBackend(), EventLog()
    seen: list[Event] = []

    def broken_sink(event: Event) -> None:
        seen.append(event)
        raise RuntimeError("display went away")

    engine = ConsensusEngine(
        consensus_config(iterations=1), backend.backend_for, sinks=[broken_sink, log]
    )
    turn = await engine.run_turn("Q")
    assert turn.status == "complete"
    assert len(seen) == len(log.events)
    assert log.sequence()[-1] == ("TurnFinished", "complete")


# Plain chat, accounting, timing --------------------------------------------------------------


class FakePrices:
    def __init__(self) -> None:
        self.asked: list[tuple[str, int, int]] = []

    def estimate(self, model_id: str, prompt_tokens: int, completion_tokens: int) -> float | None:
        self.asked.append((model_id, prompt_tokens, completion_tokens))
        return (
            None if model_id == "m/unpriced" else prompt_tokens * 0.001 + completion_tokens * 0.002
        )


async def test_plain_chat_is_one_call_per_turn_with_usage_cost_and_timing() -> None:
    clock = FakeClock()
    backend, log, prices = ScriptedBackend(clock=clock), EventLog(), FakePrices()
    backend.once("m/solo", Tick(0.25), "Hel", Tick(0.5), "lo", Usage(12, 3))
    backend.once("m/solo", *answer("Again here", prompt_tokens=30, completion_tokens=2, cost=0.5))
    config = consensus_config(("m/solo",), aggregator=None, iterations=3)
    engine = engine_with(config, backend, log, prices=prices, clock=clock)
    assert planned_calls(engine.config).total == 1

    turn = await engine.run_turn("Hi\nthere")

    assert turn.status == "complete" and turn.final == "Hello"
    (rnd,) = turn.rounds
    assert rnd.aggregate is None
    (reply,) = rnd.replies
    assert (reply.model, reply.status, reply.content) == ("m/solo", "ok", "Hello")
    assert (reply.prompt_tokens, reply.completion_tokens) == (12, 3)
    assert reply.cost == pytest.approx(0.018) and reply.cost_estimated
    assert (reply.ttft_ms, reply.duration_ms) == (250, 750)
    assert log.sequence() == [
        ("TurnStarted", 0),
        ("RoundStarted", 0),
        ("ReplyStarted", 0, "m/solo"),
        ("ReplyFinished", 0, "m/solo", "ok"),
        ("RoundFinished", 0),
        ("TurnFinished", "complete"),
    ]
    assert engine.session.title == "Hi"

    second = await engine.run_turn("More")
    assert backend.messages_for("m/solo", 1) == [
        ("user", "Hi\nthere"),
        ("assistant", "Hello"),
        ("user", "More"),
    ]
    (again,) = second.rounds[0].replies
    assert (again.cost, again.cost_estimated) == (0.5, False)
    assert prices.asked == [("m/solo", 12, 3)]
    assert len(backend.requests) == 2


async def test_plain_chat_failure_names_the_model_and_reason() -> None:
    backend, log = ScriptedBackend(), EventLog()
    backend.on("m/solo", ProviderDownError("the provider is overloaded"))
    config = consensus_config(("m/solo",), aggregator=None)
    turn = await engine_with(config, backend, log).run_turn("Q")
    assert turn.status == "failed"
    assert log.finished().error == "m/solo: the provider is overloaded"


async def test_unpriced_models_keep_an_unknown_cost() -> None:
    backend, prices = ScriptedBackend(), FakePrices()
    backend.on("m/unpriced", *answer("text", prompt_tokens=5, completion_tokens=5))
    config = consensus_config(("m/unpriced",), aggregator=None)
    turn = await engine_with(config, backend, prices=prices).run_turn("Q")
    reply = turn.rounds[0].replies[0]
    assert (reply.cost, reply.cost_estimated) == (None, False)


async def test_retry_notices_are_forwarded_as_events() -> None:
    backend, log = ScriptedBackend(), EventLog()
    backend.on("m/a", Retry(attempt=2, max_attempts=5, delay=4.0, reason="rate limited"), "ok")
    await engine_with(consensus_config(iterations=0), backend, log).run_turn("Q")

    (retrying,) = log.of_type(ReplyRetrying)
    assert (retrying.turn, retrying.round, retrying.slot) == (0, 0, "m/a")
    assert (retrying.attempt, retrying.max_attempts, retrying.delay) == (2, 5, 4.0)
    assert retrying.reason == "rate limited"
    seq = log.sequence()
    assert seq.index(("ReplyStarted", 0, "m/a")) < seq.index(("ReplyRetrying", 0, "m/a"))


async def test_reasoning_and_served_by_are_recorded() -> None:
    backend, log = ScriptedBackend(), EventLog()
    backend.on(
        "m/solo",
        StreamChunk(reasoning="thinking...", model="m/solo-2025"),
        StreamChunk(content="answer", model="m/solo-2025"),
    )
    config = consensus_config(("m/solo",), aggregator=None)
    turn = await engine_with(config, backend, log).run_turn("Q")
    reply = turn.rounds[0].replies[0]
    assert (reply.reasoning, reply.content, reply.served_by) == (
        "thinking...",
        "answer",
        "m/solo-2025",
    )
    assert [e.reasoning for e in log.of_type(ReplyDelta)] == ["thinking...", ""]


# Construction, planning, guards --------------------------------------------------------------


def test_planned_calls_counts_every_proposer_and_aggregate() -> None:
    config = consensus_config(("m/a", "m/b", "m/c"), iterations=2)
    assert planned_calls(config).total == 12


@pytest.mark.parametrize("strategy", ["iterative", "moa", "blender", "council"])
def test_every_strategy_is_available(strategy: str) -> None:
    config = consensus_config(strategy=strategy, judge={"model": "m/judge"})
    assert ConsensusEngine(config, ScriptedBackend().backend_for).strategy.name == strategy


@pytest.mark.parametrize("strategy", ["moa", "blender", "council"])
def test_strategies_without_an_aggregator_fail_clearly(strategy: str) -> None:
    config = consensus_config(strategy=strategy, judge={"model": "m/judge"})
    config = replace(config, aggregator=None)  # two models: not a plain chat
    with pytest.raises(ConfigError, match=f"aggregator: is missing: strategy '{strategy}'"):
        ConsensusEngine(config, ScriptedBackend().backend_for)


async def test_the_session_is_created_from_the_config_and_titled_by_the_first_prompt() -> None:
    config = consensus_config(iterations=0)
    engine = ConsensusEngine(config, ScriptedBackend().backend_for)
    assert engine.session.config == config.to_dict()
    assert not engine.can_resume
    await engine.run_turn("\n  " + "word " * 40 + "\nsecond line")
    assert engine.session.title.startswith("word word")
    assert len(engine.session.title) <= 60 and engine.session.title.endswith("…")
    await engine.run_turn("Another")
    assert engine.session.title.startswith("word word")


async def test_the_title_holds_no_terminal_control_or_bidi_characters() -> None:
    engine = ConsensusEngine(consensus_config(iterations=0), ScriptedBackend().backend_for)
    await engine.run_turn("\x1b]0;owned\x07Why\x1b[31m is\u202e the sky\tblue?")
    title = engine.session.title
    assert "\x1b" not in title and "\x07" not in title and "\u202e" not in title
    assert "\t" not in title and "Why" in title and "the sky blue?" in title


async def test_turns_do_not_overlap_and_empty_questions_are_refused() -> None:
    hold = asyncio.Event()
    backend = ScriptedBackend()
    backend.on("m/a", hold, "a")
    engine = ConsensusEngine(consensus_config(iterations=0), backend.backend_for)
    with pytest.raises(ValueError, match="empty"):
        await engine.run_turn("  ")
    task = asyncio.create_task(engine.run_turn("Q"))
    await until(lambda: backend.arrived("m/a").is_set())
    with pytest.raises(RuntimeError, match="already running"):
        await engine.run_turn("Q2")
    hold.set()
    assert (await task).status == "complete"


async def test_early_stop_hook_skips_the_remaining_rounds() -> None:
    class Agreeing(IterativeStrategy):
        def measure_agreement(self, ctx, rnd: Round) -> float | None:  # type: ignore[no-untyped-def]
            return 0.95

    config = consensus_config(iterations=3, stop_when_agreement=0.9)
    backend, log = ScriptedBackend(), EventLog()
    engine = engine_with(config, backend, log)
    engine.strategy = Agreeing(config)
    turn = await engine.run_turn("Q")

    assert turn.status == "complete"
    assert len(turn.rounds) == 2 and turn.final == "m/agg answer 2"
    finished = log.of_type(RoundFinished)
    assert [(e.round, e.agreement, e.stopped_early) for e in finished] == [
        (0, None, False),
        (1, 0.95, True),
    ]
