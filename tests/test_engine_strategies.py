"""The ranking and fusion strategies (blender, moa, council), early stop, and call counts."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from cltui.core.agreement import agreement
from cltui.core.config import ConfigError, ConsensusConfig
from cltui.core.engine import ConsensusEngine
from cltui.core.events import (
    AGGREGATOR_SLOT,
    JudgementMade,
    RankingReady,
    ReplyStarted,
    RoundFinished,
    RoundStarted,
    is_judge_slot,
    judge_pair,
    judge_slot,
)
from cltui.core.judging import RETRY_PROMPT
from cltui.core.preview import planned_calls
from cltui.core.providers.base import ChatRequest
from cltui.core.ranking import FUSION_HEADER
from cltui.core.sessions.files import load_session, save_session
from tests.support.scripted import EventLog, Script, ScriptedBackend, consensus_config
from tests.support.strategies import (
    JUDGE,
    council_backend,
    council_responder,
    judge_by,
    judge_pairs,
    response_order,
    shown_pair,
    user_text,
)

AGG = AGGREGATOR_SLOT


def engine_with(config: ConsensusConfig, backend: ScriptedBackend, log: EventLog | None = None):  # type: ignore[no-untyped-def]
    return ConsensusEngine(config, backend.backend_for, sinks=[log] if log else [])


def blender_config(models: tuple[str, ...] = ("m/a", "m/b", "m/c"), **top: Any) -> ConsensusConfig:
    top.setdefault("iterations", 0)
    return consensus_config(models, strategy="blender", judge={"model": JUDGE}, **top)


# Blender: judging every pair ------------------------------------------------------------------


async def test_blender_judges_every_pair_in_both_orders_and_records_it() -> None:
    backend, log = ScriptedBackend(), EventLog()
    backend.on(JUDGE, judge_by(lambda a, b: "A"))
    engine = engine_with(blender_config(), backend, log)

    turn = await engine.run_turn("Which?")

    assert turn.status == "complete"
    pairs = judge_pairs(backend)
    expected = {(a, b) for a in ("m/a", "m/b", "m/c") for b in ("m/a", "m/b", "m/c") if a != b}
    assert len(pairs) == 6 and set(pairs) == expected
    rnd = turn.rounds[0]
    assert {(j.first, j.second) for j in rnd.judgements} == expected
    assert all(j.verdict == "first" and "Verdict: A" in j.raw for j in rnd.judgements)
    assert [r.role for r in rnd.reviews] == ["judge"] * 6
    assert len(log.of_type(JudgementMade)) == 6
    judge_slots = {e.slot for e in log.of_type(ReplyStarted) if e.role == "judge"}
    assert judge_slots == {judge_slot(a, b) for a, b in expected}
    assert judge_pair(judge_slot("m/a|x", "judge")) == ("m/a|x", "judge")
    # A judge that always prefers the first answer shown decides nothing: all tie at 0.
    assert [e["score"] for e in rnd.ranking] == [0, 0, 0]
    # Judging waits for every proposal, and the fusion for every judgement.
    seq = log.sequence()
    last_proposal = max(seq.index(("ReplyFinished", 0, m, "ok")) for m in ("m/a", "m/b", "m/c"))
    first_judge = min(i for i, e in enumerate(seq) if len(e) > 2 and is_judge_slot(str(e[2])))
    assert last_proposal < first_judge < seq.index(("ReplyStarted", 0, AGG))
    assert ("RoundStarted", 0) in seq and log.of_type(RoundStarted)[1].stage == "judge"


# Verdict matrix for four candidates (A is the answer shown first):
#   m/c beats everyone in both orders; m/a vs m/b: the first shown wins (position bias);
#   m/a vs m/d: both good; m/b vs m/d: both bad.
# Scores: m/c +6 (6 wins); m/a, m/b: -2 with 1 win each; m/d: -2 with no win.
def matrix_verdict(a: str, b: str) -> str:
    if "m/c" in (a, b):
        return "A" if a == "m/c" else "B"
    pair = {a, b}
    if pair == {"m/a", "m/b"}:
        return "A"
    if pair == {"m/a", "m/d"}:
        return "both good"
    return "both bad"


@pytest.mark.parametrize(
    ("models", "expected"),
    [
        (("m/a", "m/b", "m/c", "m/d"), ["m/c", "m/a", "m/b", "m/d"]),
        (("m/b", "m/a", "m/d", "m/c"), ["m/c", "m/b", "m/a", "m/d"]),
    ],
)
async def test_max_wins_order_on_a_known_verdict_matrix_with_ties(
    models: tuple[str, ...], expected: list[str]
) -> None:
    backend, log = ScriptedBackend(), EventLog()
    backend.on(JUDGE, judge_by(matrix_verdict))
    engine = engine_with(blender_config(models, top_k=2), backend, log)

    turn = await engine.run_turn("Which?")

    rnd = turn.rounds[0]
    assert [e["model"] for e in rnd.ranking] == expected
    assert [e["rank"] for e in rnd.ranking] == [1, 2, 3, 4]
    scores = {e["model"]: (e["score"], e["wins"], e["losses"]) for e in rnd.ranking}
    assert scores == {"m/c": (6, 6, 0), "m/a": (-2, 1, 3), "m/b": (-2, 1, 3), "m/d": (-2, 0, 2)}
    (ready,) = log.of_type(RankingReady)
    assert ready.ranking == rnd.ranking
    # The fusion gets the top 2, best first, and nothing else.
    fusion = user_text(backend.requests_for("m/agg")[0])
    assert FUSION_HEADER in fusion and fusion.startswith("Question:\nWhich?")
    assert response_order(fusion) == expected[:2]
    assert f"{expected[0]} answer 1" in fusion and f"{expected[2]} answer 1" not in fusion
    assert turn.final == "m/agg answer 1"


async def test_bubble_finds_the_best_with_n_minus_1_comparisons_per_order() -> None:
    quality = {"m/a": 1, "m/b": 3, "m/c": 2, "m/d": 0}
    backend = ScriptedBackend()
    backend.on(JUDGE, judge_by(lambda a, b: "A" if quality[a] > quality[b] else "B"))
    config = blender_config(("m/a", "m/b", "m/c", "m/d"), ranking="bubble", top_k=1)
    engine = engine_with(config, backend)

    turn = await engine.run_turn("Which?")

    rnd = turn.rounds[0]
    pairs = [(j.first, j.second) for j in rnd.judgements]
    assert pairs == [
        ("m/a", "m/b"),
        ("m/b", "m/a"),
        ("m/b", "m/c"),
        ("m/c", "m/b"),
        ("m/b", "m/d"),
        ("m/d", "m/b"),
    ]
    assert sorted(judge_pairs(backend)) == sorted(pairs)
    assert rnd.ranking[0]["model"] == "m/b" and rnd.ranking[0]["rank"] == 1
    assert response_order(user_text(backend.requests_for("m/agg")[0])) == ["m/b"]
    assert planned_calls(engine.config).total == len(backend.requests) == 4 + 6 + 1


async def test_an_unreadable_verdict_is_asked_again_once_then_recorded_as_unparsed() -> None:
    backend = ScriptedBackend()
    answers = {
        ("m/a", "m/b"): ["I cannot decide.", "Verdict: B"],
        ("m/b", "m/a"): ["Hmm.", "Still thinking."],
    }

    def judge(request: ChatRequest, _n: int) -> Script:
        pair = shown_pair(request)
        retried = request.messages[-1].content == RETRY_PROMPT
        return [answers[pair][1 if retried else 0]]

    backend.on(JUDGE, judge)
    engine = engine_with(blender_config(("m/a", "m/b")), backend)

    turn = await engine.run_turn("Which?")

    judgements = {(j.first, j.second): j for j in turn.rounds[0].judgements}
    assert judgements[("m/a", "m/b")].verdict == "second"
    assert judgements[("m/b", "m/a")].verdict == "unparsed"
    raw = judgements[("m/b", "m/a")].raw
    assert raw.startswith("Hmm.") and raw.endswith("Still thinking.")
    retries = [r for r in backend.requests_for(JUDGE) if r.messages[-1].content == RETRY_PROMPT]
    assert len(retries) == 2
    assert retries[0].messages[-2].role == "assistant"
    assert len(turn.rounds[0].reviews) == 4  # two calls and two retries, all accounted for
    assert turn.status == "complete"


async def test_a_failed_judge_call_is_no_decision_and_the_round_goes_on() -> None:
    from cltui.core.providers.errors import ProviderDownError

    backend = ScriptedBackend()
    backend.once(JUDGE, ProviderDownError("judge down"))
    backend.on(JUDGE, judge_by(lambda a, b: "A"))
    engine = engine_with(blender_config(("m/a", "m/b")), backend)

    turn = await engine.run_turn("Which?")

    assert turn.status == "complete"
    verdicts = sorted(j.verdict for j in turn.rounds[0].judgements)
    assert verdicts == ["failed", "first"]
    assert len(backend.requests_for(JUDGE)) == 2  # a failed call is not retried for a verdict
    # A failed comparison decides nothing: the one good verdict alone ranks the answers.
    (failed,) = [j for j in turn.rounds[0].judgements if j.verdict == "failed"]
    winner = failed.second  # the other order was judged, with the first shown ('A') winning
    ranking = [(e["model"], e["wins"], e["losses"]) for e in turn.rounds[0].ranking]
    assert ranking == [(winner, 1, 0), (failed.first, 0, 1)]


async def test_blender_with_one_good_candidate_skips_judging() -> None:
    from cltui.core.providers.errors import ProviderDownError

    backend = ScriptedBackend()
    backend.on("m/b", ProviderDownError("down"))
    engine = engine_with(blender_config(("m/a", "m/b")), backend)

    turn = await engine.run_turn("Which?")

    assert turn.status == "complete"
    assert backend.requests_for(JUDGE) == []
    assert [e["model"] for e in turn.rounds[0].ranking] == ["m/a"]


async def test_blender_improvement_rounds_feed_back_the_fusion() -> None:
    backend = ScriptedBackend()
    backend.on(JUDGE, judge_by(lambda a, b: "A"))
    engine = engine_with(blender_config(("m/a", "m/b"), iterations=1), backend)

    turn = await engine.run_turn("Which?")

    second_round = backend.messages_for("m/a", 1)
    assert ("system", "Consensus: m/agg answer 1") in second_round
    assert turn.final == "m/agg answer 2" and len(turn.rounds) == 2


def test_blender_without_a_judge_fails_clearly() -> None:
    config = replace(blender_config(), judge=None)
    with pytest.raises(ConfigError, match=r"judge: is missing"):
        ConsensusEngine(config, ScriptedBackend().backend_for)


# MoA --------------------------------------------------------------------------------------------


def moa_config(models: tuple[str, ...] = ("m/a", "m/b"), **top: Any) -> ConsensusConfig:
    top.setdefault("iterations", 0)
    return consensus_config(models, strategy="moa", **top)


def system_of(backend: ScriptedBackend, model: str, call: int) -> str:
    return "\n".join(c for role, c in backend.messages_for(model, call) if role == "system")


async def test_moa_layer_k_receives_exactly_the_answers_of_layer_k_minus_1() -> None:
    backend, log = ScriptedBackend(), EventLog()
    engine = engine_with(moa_config(layers=3), backend, log)

    turn = await engine.run_turn("Q")

    for model in ("m/a", "m/b"):
        assert system_of(backend, model, 0) == ""
        layer2 = system_of(backend, model, 1)
        assert "1. m/a answer 1" in layer2 and "2. m/b answer 1" in layer2
        assert "answer 2" not in layer2
        layer3 = system_of(backend, model, 2)
        assert "1. m/a answer 2" in layer3 and "2. m/b answer 2" in layer3
        assert "answer 1" not in layer3
        assert backend.messages_for(model, 2)[-1] == ("user", "Q")
    aggregate_input = user_text(backend.requests_for("m/agg")[0])
    assert response_order(aggregate_input) == ["m/a", "m/b"]
    assert "m/a answer 3" in aggregate_input and "answer 2" not in aggregate_input
    rnd = turn.rounds[0]
    assert rnd.layer == 3
    assert [r.content for r in rnd.replies] == ["m/a answer 3", "m/b answer 3"]
    assert [r.content for r in rnd.reviews] == [
        "m/a answer 1",
        "m/b answer 1",
        "m/a answer 2",
        "m/b answer 2",
    ]
    assert [e.stage for e in log.of_type(RoundStarted)] == ["layer 1/3", "layer 2/3", "layer 3/3"]
    assert len(backend.requests) == planned_calls(engine.config).total == 2 * 3 + 1


async def test_moa_later_layers_get_only_the_good_answers_and_keep_the_system_prompt() -> None:
    from cltui.core.providers.errors import ProviderDownError

    backend = ScriptedBackend()
    backend.once("m/b", ProviderDownError("down"))
    config = moa_config(({"id": "m/a", "system": "Be brief."}, "m/b"), layers=2)
    engine = engine_with(config, backend)

    await engine.run_turn("Q")

    layer2 = backend.messages_for("m/a", 1)
    assert layer2[0][0] == "system" and layer2[0][1].startswith("Be brief.")
    assert "1. m/a answer 1" in layer2[0][1] and "m/b" not in layer2[0][1]
    assert sum(1 for role, _ in layer2 if role == "system") == 1


async def test_moa_improvement_rounds_start_each_round_with_the_consensus() -> None:
    backend = ScriptedBackend()
    engine = engine_with(moa_config(layers=2, iterations=1), backend)

    turn = await engine.run_turn("Q")

    round1_layer1 = backend.messages_for("m/a", 2)
    assert ("system", "Consensus: m/agg answer 1") in round1_layer1
    round1_layer2 = system_of(backend, "m/a", 3)
    assert "m/a answer 3" in round1_layer2 and "Consensus: m/agg answer 1" in round1_layer2
    assert len(turn.rounds) == 2 and turn.final == "m/agg answer 2"


# Council ----------------------------------------------------------------------------------------


async def test_council_rankings_are_parsed_from_messy_answers_and_averaged() -> None:
    backend, log = council_backend(), EventLog()
    config = consensus_config(("m/a", "m/b", "m/c"), strategy="council", iterations=0)
    engine = engine_with(config, backend, log)
    engine.session.id = "council-test"  # the shuffles are seeded by the session id

    turn = await engine.run_turn("Q")

    rnd = turn.rounds[0]
    assert [r.role for r in rnd.reviews] == ["reviewer"] * 3
    assert [e["model"] for e in rnd.ranking] == ["m/c", "m/a", "m/b"]
    scores = [round(e["score"], 2) for e in rnd.ranking]
    assert scores == [1.33, 2.0, 2.67]
    assert log.of_type(RankingReady)[0].ranking == rnd.ranking
    aggregate_input = user_text(backend.requests_for("m/agg")[0])
    assert response_order(aggregate_input) == ["m/c", "m/a", "m/b"]
    assert "m/c 1.33; m/a 2.00; m/b 2.67" in aggregate_input
    reviewer_starts = [e for e in log.of_type(ReplyStarted) if e.role == "reviewer"]
    assert sorted(e.slot for e in reviewer_starts) == ["m/a", "m/b", "m/c"]
    assert log.of_type(RoundStarted)[1].stage == "review"
    # The answers are anonymous and each reviewer sees its own shuffle.
    orders = set()
    for model in ("m/a", "m/b", "m/c"):
        review = user_text(backend.requests_for(model)[1])
        assert 'model="' not in review
        orders.add(tuple(re.findall(r"\n(m/\w) proposal", review)))
    assert len(orders) > 1


async def test_council_without_self_votes_leaves_each_reviewers_own_answer_out() -> None:
    backend = council_backend()
    config = consensus_config(
        ("m/a", "m/b", "m/c"), strategy="council", iterations=0, self_vote=False
    )
    engine = engine_with(config, backend)

    turn = await engine.run_turn("Q")

    for model in ("m/a", "m/b", "m/c"):
        review = user_text(backend.requests_for(model)[1])
        assert f"{model} proposal" not in review
        assert review.count(" proposal") == 2
    # m/a: c > b; m/b: a > c; m/c: b > a  -> every answer 1.5.
    assert {e["model"]: e["score"] for e in turn.rounds[0].ranking} == {
        "m/a": 1.5,
        "m/b": 1.5,
        "m/c": 1.5,
    }


async def test_council_with_two_models_and_no_self_votes_asks_no_reviewer() -> None:
    backend = council_backend()
    config = consensus_config(("m/a", "m/b"), strategy="council", iterations=0, self_vote=False)
    engine = engine_with(config, backend)

    turn = await engine.run_turn("Q")

    assert turn.status == "complete" and turn.rounds[0].reviews == []
    assert len(backend.requests) == planned_calls(engine.config).total == 3


async def test_an_unreadable_review_counts_for_nothing() -> None:
    backend = council_backend()
    backend.on("m/b", lambda r, n: ["m/b proposal"] if n == 1 else ["They are all fine."])
    config = consensus_config(("m/a", "m/b", "m/c"), strategy="council", iterations=0)
    engine = engine_with(config, backend)

    turn = await engine.run_turn("Q")

    # Only m/a (c, a, b) and m/c (c, b, a) count.
    ranking = {e["model"]: e["score"] for e in turn.rounds[0].ranking}
    assert ranking == {"m/c": 1.0, "m/a": 2.5, "m/b": 2.5}


# Early stop -------------------------------------------------------------------------------------


def strategy_config(strategy: str, **top: Any) -> ConsensusConfig:
    models = ("m/a", "m/b", "m/c")
    if strategy == "blender":
        return consensus_config(models, strategy=strategy, judge={"model": JUDGE}, **top)
    return consensus_config(models, strategy=strategy, **top)


STRATEGY_NAMES = ["iterative", "moa", "blender", "council"]
FIRST = "The answer is to use a queue with a bounded buffer."
SECOND = "The answer is to use a queue with a bounded ring buffer."


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
async def test_early_stop_skips_the_remaining_rounds_at_the_threshold(strategy: str) -> None:
    measured = agreement(FIRST, SECOND)
    backend, log = ScriptedBackend(), EventLog()
    backend.on("m/agg", lambda r, n: [FIRST if n == 1 else SECOND])
    backend.on(JUDGE, judge_by(lambda a, b: "A"))
    config = strategy_config(strategy, iterations=3, stop_when_agreement=measured)
    engine = engine_with(config, backend, log)

    turn = await engine.run_turn("Q")

    assert turn.status == "complete" and turn.final == SECOND
    assert len(turn.rounds) == 2
    assert [r.agreement for r in turn.rounds] == [None, measured]
    finished = [(e.round, e.agreement, e.stopped_early) for e in log.of_type(RoundFinished)]
    assert finished == [(0, None, False), (1, measured, True)]
    assert len(backend.requests_for("m/agg")) == 2


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
async def test_below_the_threshold_every_round_runs_and_agreement_is_recorded(
    strategy: str,
) -> None:
    measured = agreement(FIRST, SECOND)
    backend = ScriptedBackend()
    backend.on("m/agg", lambda r, n: [FIRST if n % 2 else SECOND])
    backend.on(JUDGE, judge_by(lambda a, b: "A"))
    config = strategy_config(strategy, iterations=2, stop_when_agreement=measured + 0.01)
    engine = engine_with(config, backend)

    turn = await engine.run_turn("Q")

    assert len(turn.rounds) == 3 and turn.final == FIRST
    assert [r.agreement for r in turn.rounds] == [None, measured, measured]
    assert len(backend.requests) == planned_calls(engine.config).total


async def test_agreement_is_measured_without_a_threshold_and_never_stops() -> None:
    backend = ScriptedBackend()
    backend.on("m/agg", "same words")
    engine = engine_with(consensus_config(iterations=2), backend)

    turn = await engine.run_turn("Q")

    assert [r.agreement for r in turn.rounds] == [None, 1.0, 1.0]
    assert len(turn.rounds) == 3


async def test_a_resumed_turn_that_had_reached_the_threshold_stays_stopped() -> None:
    backend = ScriptedBackend()
    backend.on("m/agg", "same words")
    config = consensus_config(iterations=3, stop_when_agreement=0.9)
    engine = engine_with(config, backend)
    turn = await engine.run_turn("Q")
    assert len(turn.rounds) == 2
    turn.status = engine.session.status = "interrupted"
    calls = len(backend.requests)

    await engine.resume()

    assert len(backend.requests) == calls and len(turn.rounds) == 2
    assert turn.status == "complete"


# Call counts and saving --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "top",
    [
        {"strategy": "iterative", "iterations": 2},
        {"strategy": "moa", "layers": 3, "iterations": 1},
        {"strategy": "moa", "layers": 1, "iterations": 0},
        {"strategy": "blender", "iterations": 1},
        {"strategy": "blender", "ranking": "bubble", "iterations": 1},
        {"strategy": "council", "iterations": 1},
        {"strategy": "council", "self_vote": False, "iterations": 1},
    ],
    ids=lambda top: "-".join(str(v) for v in top.values()),
)
@pytest.mark.parametrize("models", [2, 4])
async def test_the_engine_makes_exactly_the_planned_calls(top: dict[str, Any], models: int) -> None:
    names = tuple(f"m/{letter}" for letter in "abcd"[:models])
    backend = ScriptedBackend()
    for name in names:
        backend.on(name, council_responder(name, {m: list(names) for m in names}))
    backend.on(JUDGE, judge_by(lambda a, b: "B"))
    config = consensus_config(names, judge={"model": JUDGE}, **top)
    engine = engine_with(config, backend)

    turn = await engine.run_turn("Q")

    assert turn.status == "complete"
    assert len(backend.requests) == planned_calls(config).total
    assert len(engine.session.replies()) == planned_calls(config).total


@pytest.mark.parametrize("strategy", ["moa", "blender", "council"])
async def test_judgements_rankings_layers_and_agreement_survive_save_and_load(
    strategy: str, tmp_path: Any
) -> None:
    backend = council_backend()
    backend.on(JUDGE, judge_by(matrix_verdict))
    backend.on("m/agg", lambda r, n: ["one two three" if n == 1 else "one two four"])
    config = strategy_config(strategy, iterations=1)
    engine = engine_with(config, backend)
    await engine.run_turn("Q")
    path = tmp_path / "s.toml"

    save_session(engine.session, path)
    loaded = load_session(path)

    for before, after in zip(engine.session.turns[0].rounds, loaded.turns[0].rounds, strict=True):
        assert after.agreement == before.agreement
        assert after.judgements == before.judgements
        assert after.ranking == before.ranking
        assert after.layer == before.layer
        assert [(r.model, r.role, r.content) for r in after.reviews] == [
            (r.model, r.role, r.content) for r in before.reviews
        ]
    assert loaded.turns[0].rounds[1].agreement == agreement("one two three", "one two four")
    if strategy == "blender":
        assert loaded.turns[0].rounds[0].judgements[0].raw.endswith("Verdict: A")
