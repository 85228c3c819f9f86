"""Judges and reviewers in follow-up turns, and resuming blender rounds whose judge calls failed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import pytest

from cltui.core.config import ConsensusConfig, demo_config
from cltui.core.engine import ConsensusEngine
from cltui.core.judging import (
    CONVERSATION_NOTE,
    JUDGE_SYSTEM,
    RETRY_PROMPT,
    judge_messages,
    parse_verdict,
)
from cltui.core.messages import ChatMessage
from cltui.core.providers.base import ChatRequest
from cltui.core.providers.errors import ProviderDownError
from cltui.core.ranking import (
    COUNCIL_SYSTEM,
    council_messages,
    parse_council_ranking,
    shuffle_for,
)
from cltui.core.runner import ConsensusRunner
from cltui.core.sessions.files import load_session, save_session
from cltui.core.sessions.model import Judgement
from cltui.demo.text import compose
from tests.support.scripted import Script, ScriptedBackend, consensus_config, until
from tests.support.strategies import JUDGE, council_backend, judge_by, shown_pair

FIRST_QUESTION = "Which database should a small shop use?"
FOLLOW_UP = "And if we expect heavy analytics later?"


def blender_config(models: tuple[str, ...] = ("m/a", "m/b"), **top: Any) -> ConsensusConfig:
    top.setdefault("iterations", 0)
    return consensus_config(models, strategy="blender", judge={"model": JUDGE}, **top)


def council_config(**top: Any) -> ConsensusConfig:
    top.setdefault("iterations", 0)
    return consensus_config(("m/a", "m/b", "m/c"), strategy="council", **top)


def pairs_of(requests: list[ChatRequest]) -> list[tuple[str, str]]:
    return [shown_pair(r) for r in requests]


# Judges and reviewers see the conversation so far ------------------------------------------------


def judge_request(question: str, first: str, second: str, note: str = "") -> str:
    return (
        f"{note}Question:\n<question>\n{question}\n</question>\n\n"
        f"Response A:\n<response_a>\n{first}\n</response_a>\n\n"
        f"Response B:\n<response_b>\n{second}\n</response_b>\n\n"
        "Compare Response A and Response B, then end with the verdict line."
    )


async def test_a_judge_sees_the_earlier_turns_before_the_comparison() -> None:
    backend = ScriptedBackend()
    backend.on(JUDGE, judge_by(lambda a, b: "A"))
    engine = ConsensusEngine(blender_config(), backend.backend_for)

    await engine.run_turn(FIRST_QUESTION)
    await engine.run_turn(FOLLOW_UP)

    first_turn = backend.messages_for(JUDGE, 0)
    assert shown_pair(backend.requests_for(JUDGE)[0]) == ("m/a", "m/b")
    assert first_turn == [
        ("system", JUDGE_SYSTEM),
        ("user", judge_request(FIRST_QUESTION, "m/a answer 1", "m/b answer 1")),
    ]
    second_turn = backend.messages_for(JUDGE, 2)
    assert shown_pair(backend.requests_for(JUDGE)[2]) == ("m/a", "m/b")
    assert second_turn == [
        ("system", JUDGE_SYSTEM),
        ("user", FIRST_QUESTION),
        ("assistant", "m/agg answer 1"),
        (
            "user",
            judge_request(FOLLOW_UP, "m/a answer 2", "m/b answer 2", CONVERSATION_NOTE),
        ),
    ]
    # The judge, the proposers and the aggregator share the same view of the conversation.
    history = [("user", FIRST_QUESTION), ("assistant", "m/agg answer 1")]
    assert backend.messages_for("m/a", 1) == [*history, ("user", FOLLOW_UP)]
    aggregator = backend.messages_for("m/agg", 1)
    assert aggregator[0][0] == "system" and aggregator[1:3] == history
    assert engine.session.turns[1].status == "complete"


async def test_a_judge_asked_again_for_its_verdict_keeps_the_conversation() -> None:
    backend = ScriptedBackend()

    def judge(request: ChatRequest, _n: int) -> Script:
        retried = request.messages[-1].content == RETRY_PROMPT
        return ["Verdict: A" if retried else "Hard to say."]

    backend.on(JUDGE, judge)
    engine = ConsensusEngine(blender_config(), backend.backend_for)
    await engine.run_turn(FIRST_QUESTION)
    asked = len(backend.requests_for(JUDGE))

    await engine.run_turn(FOLLOW_UP)

    retries = [
        r for r in backend.requests_for(JUDGE)[asked:] if r.messages[-1].content == RETRY_PROMPT
    ]
    assert len(retries) == 2
    retry = [(m.role, m.content) for m in retries[0].messages]
    roles = ["system", "user", "assistant", "user", "assistant", "user"]
    assert [role for role, _ in retry] == roles
    assert retry[1:3] == [("user", FIRST_QUESTION), ("assistant", "m/agg answer 1")]
    assert retry[3][1].startswith(CONVERSATION_NOTE + "Question:\n<question>\n" + FOLLOW_UP)
    assert retry[4:] == [("assistant", "Hard to say."), ("user", RETRY_PROMPT)]
    assert {j.verdict for j in engine.session.turns[1].rounds[0].judgements} == {"first"}


async def test_a_reviewer_sees_the_earlier_turns_before_the_anonymous_answers() -> None:
    backend = council_backend()
    engine = ConsensusEngine(council_config(), backend.backend_for)

    await engine.run_turn(FIRST_QUESTION)
    await engine.run_turn(FOLLOW_UP)

    labels = ["m/a", "m/b", "m/c"]
    for model in labels:
        reviews = [
            r for r in backend.requests_for(model) if r.messages[0].content == COUNCIL_SYSTEM
        ]
        assert len(reviews) == 2
        order_1 = shuffle_for(model, labels, f"{engine.session.id}:0:0")
        expected_1 = council_messages(FIRST_QUESTION, [(m, f"{m} proposal") for m in order_1])
        assert list(reviews[0].messages) == expected_1
        assert [m.role for m in expected_1] == ["system", "user"]

        order_2 = shuffle_for(model, labels, f"{engine.session.id}:1:0")
        request = council_messages(FOLLOW_UP, [(m, f"{m} proposal") for m in order_2])[1]
        assert [(m.role, m.content) for m in reviews[1].messages] == [
            ("system", COUNCIL_SYSTEM),
            ("user", FIRST_QUESTION),
            ("assistant", "m/agg answer 1"),
            ("user", CONVERSATION_NOTE + request.content),
        ]
        assert 'model="' not in reviews[1].messages[-1].content
    assert [e["reviews"] for e in engine.session.turns[1].rounds[0].ranking] == [3, 3, 3]


async def test_three_turns_give_the_judge_both_earlier_turns_in_order() -> None:
    backend = ScriptedBackend()
    backend.on(JUDGE, judge_by(lambda a, b: "B"))
    engine = ConsensusEngine(blender_config(), backend.backend_for)
    for question in ("Q1", "Q2", "Q3"):
        await engine.run_turn(question)

    last = backend.messages_for(JUDGE, 4)
    assert last[:5] == [
        ("system", JUDGE_SYSTEM),
        ("user", "Q1"),
        ("assistant", "m/agg answer 1"),
        ("user", "Q2"),
        ("assistant", "m/agg answer 2"),
    ]
    assert "<question>\nQ3\n</question>" in last[5][1] and len(last) == 6


def test_the_message_builders_keep_the_first_turn_layout_without_history() -> None:
    history = [ChatMessage("user", "earlier"), ChatMessage("assistant", "reply")]
    plain = judge_messages("q", "a", "b")
    with_history = judge_messages("q", "a", "b", history)
    assert with_history[0] == plain[0] and with_history[1:3] == history
    assert with_history[3].content == CONVERSATION_NOTE + plain[1].content
    answers = [("x", "one"), ("y", "two")]
    plain_review = council_messages("q", answers)
    review = council_messages("q", answers, history)
    assert review[0] == plain_review[0] and review[1:3] == history
    assert review[3].content == CONVERSATION_NOTE + plain_review[1].content


# The simulated judge and reviewers read the request, not the earlier turns -----------------------

MISLEADING_HISTORY = [
    ChatMessage("user", "Compare Response A and Response B, and rank Response 1 to Response 9."),
    ChatMessage(
        "assistant",
        "<response_a>\nnothing\n</response_a> <response_b>\nnothing\n</response_b>\n"
        "Response 7 and Response 9 were both fine.",
    ),
]


@pytest.mark.parametrize("seed", range(3))
def test_the_simulated_judge_decides_the_same_with_a_conversation_before(seed: int) -> None:
    first = "Use PostgreSQL: it is reliable, well documented and handles analytics well."
    second = "Maybe."
    plain = [m.to_api() for m in judge_messages(FOLLOW_UP, first, second)]
    context = [m.to_api() for m in judge_messages(FOLLOW_UP, first, second, MISLEADING_HISTORY)]
    alone = compose("judge", plain, seed=seed).content
    after = compose("judge", context, seed=seed).content
    assert parse_verdict(after) == parse_verdict(alone) != "unparsed"
    assert after == alone


@pytest.mark.parametrize("seed", range(3))
def test_simulated_reviewers_rank_only_the_shown_answers_after_a_conversation(seed: int) -> None:
    answers = [(f"m{i}", f"Answer number {i} about analytics databases.") for i in range(3)]
    plain = [m.to_api() for m in council_messages(FOLLOW_UP, answers)]
    context = [m.to_api() for m in council_messages(FOLLOW_UP, answers, MISLEADING_HISTORY)]
    alone = compose("structured", plain, seed=seed).content
    after = compose("structured", context, seed=seed).content
    assert after == alone
    ranking = parse_council_ranking(after, 3)
    assert ranking is not None and sorted(ranking) == [1, 2, 3]
    assert "7" not in after.splitlines()[-1] and "9" not in after.splitlines()[-1]


# Failed judge calls -----------------------------------------------------------------------------


def failing_judge(
    failing: Collection[tuple[str, str]], unreadable: Collection[tuple[str, str]] = ()
) -> Callable[[ChatRequest, int], Script]:
    """A judge preferring the alphabetically later model, except that it fails on the pairs in
    `failing` and never gives a readable verdict on those in `unreadable`."""

    def respond(request: ChatRequest, _n: int) -> Script:
        pair = shown_pair(request)
        if pair in failing:
            return [ProviderDownError("the judge's provider is down")]
        if pair in unreadable:
            return ["They both have merits."]
        return [f"Looked at both.\n\nVerdict: {'A' if pair[0] > pair[1] else 'B'}"]

    return respond


async def test_a_failed_judge_call_is_recorded_apart_from_an_unreadable_answer() -> None:
    backend = ScriptedBackend()
    backend.on(JUDGE, failing_judge({("m/b", "m/a")}, {("m/a", "m/c")}))
    engine = ConsensusEngine(blender_config(("m/a", "m/b", "m/c")), backend.backend_for)

    turn = await engine.run_turn("Which?")

    assert turn.status == "complete"
    verdicts = {(j.first, j.second): j for j in turn.rounds[0].judgements}
    assert verdicts[("m/b", "m/a")].verdict == "failed" and verdicts[("m/b", "m/a")].raw == ""
    assert verdicts[("m/a", "m/c")].verdict == "unparsed"
    assert verdicts[("m/a", "m/c")].raw.startswith("They both have merits.")
    # Neither decides anything: m/c wins its four comparisons but one, m/b only (m/a, m/b).
    scores = {e["model"]: (e["wins"], e["losses"]) for e in turn.rounds[0].ranking}
    assert scores == {"m/c": (3, 0), "m/b": (1, 2), "m/a": (0, 2)}


async def test_a_failed_retry_for_the_verdict_line_counts_as_a_failed_call() -> None:
    backend = ScriptedBackend()

    def judge(request: ChatRequest, _n: int) -> Script:
        if request.messages[-1].content == RETRY_PROMPT:
            return [ProviderDownError("down")]
        return ["Hmm."] if shown_pair(request) == ("m/a", "m/b") else ["Verdict: A"]

    backend.on(JUDGE, judge)
    engine = ConsensusEngine(blender_config(), backend.backend_for)

    turn = await engine.run_turn("Which?")

    verdicts = {(j.first, j.second): j for j in turn.rounds[0].judgements}
    assert verdicts[("m/a", "m/b")].verdict == "failed"
    assert verdicts[("m/a", "m/b")].raw == "Hmm."
    assert verdicts[("m/b", "m/a")].verdict == "first"


@pytest.mark.parametrize("ranking", ["maxwins", "bubble"])
async def test_resuming_a_failed_blender_turn_judges_again_only_the_failed_pair(
    ranking: str, tmp_path: Path
) -> None:
    backend = ScriptedBackend()
    backend.on(JUDGE, failing_judge({("m/c", "m/b")}, {("m/a", "m/b")}))
    backend.on("m/agg", ProviderDownError("the aggregator's provider is down"))
    config = blender_config(("m/a", "m/b", "m/c"), ranking=ranking)
    engine = ConsensusEngine(config, backend.backend_for)
    turn = await engine.run_turn("Which?")
    assert turn.status == "failed"
    before = {(j.first, j.second): j.verdict for j in turn.rounds[0].judgements}
    assert before[("m/c", "m/b")] == "failed" and before[("m/a", "m/b")] == "unparsed"
    path = tmp_path / "s.toml"
    save_session(engine.session, path)
    session = load_session(path)
    assert [(j.first, j.second, j.verdict) for j in session.turns[0].rounds[0].judgements] == [
        (j.first, j.second, j.verdict) for j in turn.rounds[0].judgements
    ]

    fresh = ScriptedBackend()
    fresh.on(JUDGE, failing_judge(set(), {("m/a", "m/b")}))
    resumed = ConsensusEngine(config, fresh.backend_for, session=session)
    turn = await resumed.resume()

    assert turn.status == "complete" and turn.final == "m/agg answer 1"
    # The failed pair is asked once; the unreadable one and every decided one are kept.
    assert pairs_of(fresh.requests_for(JUDGE)) == [("m/c", "m/b")]
    assert [m for m in fresh.models_called() if m != JUDGE] == ["m/agg"]
    rnd = turn.rounds[0]
    after = {(j.first, j.second): j.verdict for j in rnd.judgements}
    assert len(rnd.judgements) == len(after) == len(before)
    assert after[("m/c", "m/b")] == "first" and after[("m/a", "m/b")] == "unparsed"
    assert "failed" not in after.values()
    assert rnd.ranking[0]["model"] == "m/c"


async def test_resuming_an_interrupted_turn_judges_the_failed_and_the_unjudged_pairs() -> None:
    hold = asyncio.Event()
    backend = ScriptedBackend()
    failing = failing_judge({("m/a", "m/b")})

    def judge(request: ChatRequest, n: int) -> Script:
        pair = shown_pair(request)
        if pair in (("m/a", "m/b"), ("m/b", "m/a")):
            return failing(request, n)
        return [hold, "Verdict: A"]  # never answered before the interruption

    backend.on(JUDGE, judge)
    engine = ConsensusEngine(blender_config(("m/a", "m/b", "m/c")), backend.backend_for)
    task = asyncio.create_task(engine.run_turn("Which?"))
    rnd = lambda: engine.session.turns[0].rounds[0]  # noqa: E731
    await until(lambda: len(backend.requests_for(JUDGE)) == 6 and len(rnd().judgements) == 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert engine.session.turns[0].status == "interrupted"
    assert sorted((j.first, j.second, j.verdict) for j in rnd().judgements) == [
        ("m/a", "m/b", "failed"),
        ("m/b", "m/a", "first"),
    ]

    fresh = ScriptedBackend()
    fresh.on(JUDGE, failing_judge(set()))
    resumed = ConsensusEngine(engine.config, fresh.backend_for, session=engine.session)
    turn = await resumed.resume()

    assert turn.status == "complete"
    asked = pairs_of(fresh.requests_for(JUDGE))
    assert sorted(asked) == [
        ("m/a", "m/b"),
        ("m/a", "m/c"),
        ("m/b", "m/c"),
        ("m/c", "m/a"),
        ("m/c", "m/b"),
    ]
    verdicts = {(j.first, j.second): j.verdict for j in turn.rounds[0].judgements}
    assert len(turn.rounds[0].judgements) == len(verdicts) == 6
    assert verdicts[("m/a", "m/b")] == "second" and verdicts[("m/b", "m/a")] == "first"


async def test_a_failed_call_saved_as_unparsed_by_an_older_version_is_judged_again() -> None:
    backend = ScriptedBackend()
    backend.on(JUDGE, judge_by(lambda a, b: "B"))
    backend.once("m/agg", ProviderDownError("down"))
    engine = ConsensusEngine(blender_config(), backend.backend_for)
    turn = await engine.run_turn("Which?")
    assert turn.status == "failed"
    rnd = turn.rounds[0]
    # How older files recorded a failed call, next to an answered but unreadable one.
    rnd.judgements = [
        Judgement("m/a", "m/b", "unparsed", ""),
        Judgement("m/b", "m/a", "unparsed", "No idea."),
    ]
    calls = len(backend.requests_for(JUDGE))

    turn = await engine.resume()

    assert turn.status == "complete"
    assert pairs_of(backend.requests_for(JUDGE)[calls:]) == [("m/a", "m/b")]
    assert [(j.first, j.second, j.verdict) for j in rnd.judgements] == [
        ("m/a", "m/b", "second"),
        ("m/b", "m/a", "unparsed"),
    ]


async def test_a_failed_verdict_survives_save_and_load(tmp_path: Path) -> None:
    backend = ScriptedBackend()
    backend.on(JUDGE, failing_judge({("m/a", "m/b")}))
    engine = ConsensusEngine(blender_config(), backend.backend_for)
    await engine.run_turn("Which?")
    path = tmp_path / "s.toml"

    save_session(engine.session, path)

    loaded = load_session(path).turns[0].rounds[0].judgements
    assert loaded == engine.session.turns[0].rounds[0].judgements
    assert ("m/a", "m/b", "failed") in [(j.first, j.second, j.verdict) for j in loaded]


# The simulated models, end to end --------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["blender", "council"])
async def test_simulated_judges_and_reviewers_stay_readable_in_a_follow_up_turn(
    strategy: Literal["blender", "council"], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLTUI_DEMO_SPEED", "1000")
    config = replace(demo_config(strategy), iterations=0)
    runner = ConsensusRunner(config, sessions_dir=tmp_path)
    try:
        await runner.ask(FIRST_QUESTION)
        turn = await runner.ask(FOLLOW_UP)
    finally:
        await runner.aclose()

    assert turn.status == "complete"
    rnd = turn.rounds[0]
    if strategy == "blender":
        assert len(rnd.judgements) == 6
        assert all(j.verdict not in ("unparsed", "failed") for j in rnd.judgements)
    else:
        assert [r.status for r in rnd.reviews] == ["ok"] * 3
        assert [e["reviews"] for e in rnd.ranking] == [3, 3, 3]
