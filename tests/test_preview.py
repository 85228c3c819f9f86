"""Call plans per strategy and the cost range shown before a run."""

from __future__ import annotations

from typing import Any

import pytest

from cltui.core.config import ConsensusConfig, demo_config, parse_config
from cltui.core.costs import PriceBook
from cltui.core.judging import ordered_pairs
from cltui.core.preview import (
    CostPreview,
    call_estimates,
    estimate_cost,
    format_preview,
    judge_calls,
    planned_calls,
)


def make_config(
    strategy: str = "iterative", n: int = 3, iterations: int = 1, **extra: Any
) -> ConsensusConfig:
    data: dict[str, Any] = {
        "strategy": strategy,
        "iterations": iterations,
        "models": [{"id": f"p/m{i}", "max_tokens": 400} for i in range(n)],
        "aggregator": {"model": "p/agg", "max_tokens": 800},
        "judge": {"model": "p/judge", "max_tokens": 20},
    }
    data.update(extra)
    return parse_config(data, "<test>")


ALL_PRICED = {
    "p/m0": (1e-6, 2e-6),
    "p/m1": (1e-6, 2e-6),
    "p/m2": (1e-6, 2e-6),
    "p/m3": (1e-6, 2e-6),
    "p/agg": (3e-6, 6e-6),
    "p/judge": (1e-7, 1e-7),
}


# --------------------------------------------------------------------------------------------
# Call plans


@pytest.mark.parametrize(
    ("strategy", "n", "iterations", "extra", "per_round", "total"),
    [
        ("iterative", 3, 2, {}, 4, 12),  # (N + 1)(I + 1): the seed's default
        ("iterative", 5, 0, {}, 6, 6),
        ("moa", 3, 1, {"layers": 2}, 7, 14),  # (N·L + 1)(I + 1)
        ("moa", 4, 0, {"layers": 3}, 13, 13),  # MoA's 3 layers of 4, one aggregator
        ("blender", 3, 2, {"ranking": "maxwins"}, 3 + 6 + 1, 30),  # J = N(N-1)
        ("blender", 4, 1, {"ranking": "bubble"}, 4 + 6 + 1, 22),  # J = 2(N-1)
        ("blender", 1, 0, {}, 2, 2),  # a single candidate needs no judge
        ("council", 3, 1, {}, 7, 14),  # (2N + 1)(I + 1)
        ("council", 4, 0, {}, 9, 9),  # llm-council's 2N + 1
    ],
)
def test_planned_calls_per_strategy(
    strategy: str, n: int, iterations: int, extra: dict[str, Any], per_round: int, total: int
) -> None:
    plan = planned_calls(make_config(strategy, n, iterations, **extra))
    assert plan.per_round == per_round
    assert plan.total == total
    assert plan.rounds == iterations + 1
    assert plan.strategy == strategy


def test_planned_calls_breakdown() -> None:
    blender = planned_calls(make_config("blender", 3, 1))
    assert (blender.proposers, blender.judge, blender.reviewers, blender.aggregator) == (3, 6, 0, 1)
    council = planned_calls(make_config("council", 3, 1))
    assert (council.proposers, council.judge, council.reviewers, council.aggregator) == (3, 0, 3, 1)
    moa = planned_calls(make_config("moa", 3, 1, layers=3))
    assert (moa.proposers, moa.aggregator) == (9, 1)


def test_plain_chat_is_one_call_whatever_the_iterations() -> None:
    config = parse_config({"iterations": 3, "models": [{"id": "p/solo"}]}, "<test>")
    plan = planned_calls(config)
    assert plan.strategy == "chat"
    assert plan.total == plan.per_round == 1


def test_count_models_with_several_instances() -> None:
    config = make_config(models=[{"id": "p/m0", "count": 3}, {"id": "p/m1"}])
    assert planned_calls(config).per_round == 5


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_judge_calls_match_what_ranking_makes(n: int) -> None:
    assert judge_calls(n, "maxwins") == len(ordered_pairs([f"m{i}" for i in range(n)]))
    assert judge_calls(n, "bubble") == max(0, 2 * (n - 1))


@pytest.mark.parametrize(
    "config",
    [
        make_config("iterative", 3, 2),
        make_config("moa", 3, 1, layers=3),
        make_config("blender", 4, 1, ranking="maxwins"),
        make_config("blender", 4, 1, ranking="bubble"),
        make_config("council", 3, 2),
        parse_config({"models": [{"id": "p/solo"}]}, "<test>"),
    ],
    ids=["iterative", "moa", "maxwins", "bubble", "council", "chat"],
)
def test_cost_estimate_prices_exactly_the_planned_calls(config: ConsensusConfig) -> None:
    estimates = call_estimates(config, prompt_chars=100)
    assert len(estimates) == planned_calls(config).total
    assert estimate_cost(config, PriceBook({}), prompt_chars=100).calls == len(estimates)


# --------------------------------------------------------------------------------------------
# Cost


def test_plain_chat_cost_by_hand() -> None:
    config = parse_config({"models": [{"id": "p/solo", "max_tokens": 400}]}, "<test>")
    preview = estimate_cost(config, {"p/solo": (1e-6, 2e-6)}, prompt_chars=400)
    # 400 chars = 100 prompt tokens; low writes 25% of 400, high all 400
    assert preview.calls == 1
    assert preview.low == pytest.approx(100 * 1e-6 + 100 * 2e-6)
    assert preview.high == pytest.approx(100 * 1e-6 + 400 * 2e-6)
    assert preview.unknown_models == []


def test_unset_max_tokens_counts_as_1000() -> None:
    config = parse_config({"models": [{"id": "p/solo"}]}, "<test>")
    preview = estimate_cost(config, {"p/solo": (0.0, 1e-6)}, prompt_chars=0)
    assert preview.high == pytest.approx(1000 * 1e-6)
    assert preview.low == pytest.approx(250 * 1e-6)


@pytest.mark.parametrize("strategy", ["iterative", "moa", "blender", "council"])
def test_cost_range_is_ordered_and_grows_with_rounds(strategy: str) -> None:
    one = estimate_cost(make_config(strategy, 3, 0), PriceBook(ALL_PRICED), prompt_chars=200)
    three = estimate_cost(make_config(strategy, 3, 2), PriceBook(ALL_PRICED), prompt_chars=200)
    assert 0 < one.low < one.high
    assert three.low > 2 * one.low and three.high > 2 * one.high
    assert one.unknown_models == three.unknown_models == []


def test_aggregator_input_grows_with_the_number_of_answers() -> None:
    only_aggregator = PriceBook({"p/agg": (1e-6, 0.0)})
    costs = [
        estimate_cost(make_config("iterative", n, 0), only_aggregator, prompt_chars=100).high
        for n in (1, 2, 4)
    ]
    assert costs[0] < costs[1] < costs[2]
    # each extra answer adds about one answer's worth of tokens (400 at the high end)
    assert costs[2] - costs[1] == pytest.approx(2 * 400 * 1e-6)


def test_judge_reads_two_answers_per_call() -> None:
    only_judge = PriceBook({"p/judge": (1e-6, 0.0)})
    small = estimate_cost(make_config("blender", 3, 0), only_judge, prompt_chars=0)
    big = estimate_cost(
        make_config(
            "blender", 3, 0, models=[{"id": f"p/m{i}", "max_tokens": 800} for i in range(3)]
        ),
        only_judge,
        prompt_chars=0,
    )
    # 6 judge calls, each reading 2 answers that grew by 400 tokens (high end)
    assert big.high - small.high == pytest.approx(6 * 2 * 400 * 1e-6)


def test_history_and_question_length_raise_the_cost() -> None:
    config = make_config("iterative", 3, 1)
    prices = PriceBook(ALL_PRICED)
    base = estimate_cost(config, prices, prompt_chars=100)
    longer = estimate_cost(config, prices, prompt_chars=4000)
    with_history = estimate_cost(config, prices, prompt_chars=100, history_chars=8000)
    assert longer.low > base.low and longer.high > base.high
    assert with_history.low > base.low and with_history.high > base.high


def test_unknown_models_are_listed_once_in_order() -> None:
    config = make_config("blender", 3, 1)
    prices = PriceBook({"p/m1": (1e-6, 1e-6)})
    preview = estimate_cost(config, prices, prompt_chars=100)
    assert preview.unknown_models == ["p/m0", "p/m2", "p/judge", "p/agg"]
    assert preview.high > 0  # p/m1 is still priced


def test_free_models_cost_nothing() -> None:
    config = make_config("council", 3, 1)
    free = {model: (0.0, 0.0) for model in ALL_PRICED}
    preview = estimate_cost(config, free, prompt_chars=100)
    assert (preview.low, preview.high, preview.unknown_models) == (0.0, 0.0, [])
    assert format_preview(preview) == "14 calls · free"


@pytest.mark.parametrize(
    ("preview", "text"),
    [
        (CostPreview(12, 0.004, 0.031), "12 calls · ≈ $0.004–$0.031"),
        (CostPreview(1, 0.25, 1.5), "1 call · ≈ $0.25–$1.50"),
        (CostPreview(3, 0.0, 0.0, ["demo/x"]), "3 calls · cost unknown for demo/x"),
        (
            CostPreview(9, 0.0, 0.0, ["a/1", "b/2", "c/3", "d/4"]),
            "9 calls · cost unknown for a/1, b/2 and 2 more",
        ),
        (CostPreview(5, 0.01, 0.02, ["x/y"]), "5 calls · ≈ $0.01–$0.02 + cost unknown for x/y"),
        (CostPreview(2, 0.5, 0.5), "2 calls · ≈ $0.50"),
    ],
)
def test_format_preview(preview: CostPreview, text: str) -> None:
    assert format_preview(preview) == text


def test_demo_config_preview_mentions_calls() -> None:
    preview = estimate_cost(demo_config("blender"), {}, prompt_chars=50)
    assert preview.calls == planned_calls(demo_config("blender")).total == 30
    assert format_preview(preview).startswith(
        "30 calls (up to 48 in the worst case) · cost unknown for demo/"
    )


@pytest.mark.parametrize(
    ("n", "self_vote", "reviewers"),
    [(3, True, 3), (3, False, 3), (2, True, 2), (2, False, 0), (1, True, 0)],
)
def test_council_asks_no_reviewer_who_would_see_fewer_than_two_answers(
    n: int, self_vote: bool, reviewers: int
) -> None:
    plan = planned_calls(make_config("council", n, 0, self_vote=self_vote))
    assert plan.reviewers == reviewers
    assert plan.total == 2 * n + 1 - (n - reviewers)
    preview = estimate_cost(make_config("council", n, 0, self_vote=self_vote), ALL_PRICED,
                            prompt_chars=10)  # fmt: skip
    assert preview.calls == plan.total


@pytest.mark.parametrize(
    ("strategy", "extra", "text"),
    [
        ("iterative", {}, "3 proposers + 1 aggregator"),
        ("moa", {"layers": 2}, "6 proposers (3 × 2 layers) + 1 aggregator"),
        ("blender", {}, "3 proposers + 6 judge + 1 aggregator"),
        ("blender", {"ranking": "bubble"}, "3 proposers + 4 judge + 1 aggregator"),
        ("council", {}, "3 proposers + 3 reviewers + 1 aggregator"),
    ],
)
def test_describe_round_names_each_kind_of_call(
    strategy: str, extra: dict[str, Any], text: str
) -> None:
    assert planned_calls(make_config(strategy, 3, 1, **extra)).describe_round() == text


def test_describe_round_of_a_plain_chat_and_a_single_proposer() -> None:
    chat = parse_config({"models": [{"id": "p/solo"}]}, "<test>")
    assert planned_calls(chat).describe_round() == "1 model (plain chat)"
    assert planned_calls(make_config("iterative", 1, 0)).describe_round() == (
        "1 proposer + 1 aggregator"
    )
