"""What a turn will cost before it runs: how many model calls, and a price range.

`planned_calls` is the one place where the number of calls per strategy is written down; the
engine makes exactly these calls when every call succeeds at its first answer. With N proposers,
I improvement rounds (so I+1 rounds) and L layers:

- plain chat (one model, no aggregator): 1 call, whatever `iterations` says.
- iterative: (N + 1)(I + 1): each round, every proposer and then the aggregator.
- moa: (N·L + 1)(I + 1): each round, L layers of proposers, then the aggregator.
- blender: (N + J + 1)(I + 1): proposers, J judge calls, the aggregator; J = N(N-1) for
  `ranking = "maxwins"` (every pair in both orders) and 2(N-1) for `"bubble"`.
- council: (2N + 1)(I + 1): proposers, then every proposer reviews once, then the aggregator.
  A reviewer that would see fewer than two answers (N = 2 without self-votes, or N = 1) is not
  asked, so then the reviews are 0.

Early stop skips rounds and a failed proposer makes no review and is not judged, so both can
only lower the count. Re-asks can raise it: the judge is asked once more after an unreadable
verdict (up to J more per round), and the fallback aggregator runs when the aggregator fails (one
more per round). `CallPlan.worst_case` counts them, so a preview says e.g. "10 calls (up to 16
in the worst case)". Not counted: the client's retries of a request that failed (429, 5xx), which
repeat one call rather than make another.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from cltui.core.config import ConsensusConfig, ModelSpec
from cltui.core.costs import format_cost
from cltui.core.judging import JUDGE_SYSTEM
from cltui.core.ranking import COUNCIL_SYSTEM, MOA_SYSTEM

DEFAULT_MAX_TOKENS = 1000
"""Assumed completion limit for a model without `max_tokens`."""
LOW_COMPLETION_SHARE = 0.25
"""The low estimate assumes answers use this share of their `max_tokens`."""
CHARS_PER_TOKEN = 4
"""A rough, model-independent conversion; good enough for a range."""


def judge_calls(candidates: int, ranking: str) -> int:
    """Judge calls for one blender round: every ordered pair for MaxWins, two per step of the
    bubble pass."""
    if candidates < 2:
        return 0
    if ranking == "bubble":
        return 2 * (candidates - 1)
    return candidates * (candidates - 1)


@dataclass(frozen=True, slots=True)
class CallPlan:
    """The calls of one turn: per round by kind, and in all."""

    strategy: str
    """The config's strategy, or 'chat' for a plain chat."""
    rounds: int
    proposers: int
    """Proposer calls per round (all layers, for moa)."""
    judge: int = 0
    """Judge calls per round (blender)."""
    reviewers: int = 0
    """Review calls per round (council)."""
    aggregator: int = 0
    """Aggregator calls per round."""
    layers: int = 1
    """Proposer layers per round (moa); `proposers` counts all of them."""
    reasks: int = 0
    """Calls per round that only happen when an answer is unusable: the judge asked again for
    an unreadable verdict, the fallback aggregator standing in for a failed one."""

    @property
    def per_round(self) -> int:
        """Calls in one round."""
        return self.proposers + self.judge + self.reviewers + self.aggregator

    @property
    def total(self) -> int:
        """Calls in the whole turn, if no round is skipped."""
        return self.per_round * self.rounds

    @property
    def worst_case(self) -> int:
        """Calls in the whole turn if every re-ask happens too."""
        return (self.per_round + self.reasks) * self.rounds

    def describe_round(self) -> str:
        """The calls of one round by kind, e.g. '3 proposers + 6 judge + 1 aggregator'."""
        if self.strategy == "chat":
            return "1 model (plain chat)"
        per_layer = self.proposers // self.layers if self.layers else self.proposers
        proposers = _count(self.proposers, "proposer")
        if self.layers > 1:
            proposers += f" ({per_layer} × {self.layers} layers)"
        parts = [proposers]
        if self.judge:
            parts.append(f"{self.judge} judge")
        if self.reviewers:
            parts.append(_count(self.reviewers, "reviewer"))
        if self.aggregator:
            parts.append(_count(self.aggregator, "aggregator"))
        return " + ".join(parts)


def calls_with_worst_case(calls: int, worst: int) -> str:
    """'10 calls', or '10 calls (up to 16 in the worst case)' when re-asks can add calls."""
    text = _count(calls, "call")
    return f"{text} (up to {worst} in the worst case)" if worst > calls else text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def council_reviewers(models: int, self_vote: bool) -> int:
    """Review calls for one council round: every proposer, unless each would see fewer than two
    answers (its own left out without self-votes), when ranking them would mean nothing."""
    shown = models if self_vote else models - 1
    return models if shown >= 2 else 0


def planned_calls(config: ConsensusConfig) -> CallPlan:
    """The calls one turn makes with this config (see the module docstring for the formulas)."""
    if config.is_plain_chat:
        return CallPlan(strategy="chat", rounds=1, proposers=1)
    n = len(config.models)
    rounds = config.rounds
    fallback = 1 if config.aggregator is not None and config.aggregator.fallback else 0
    if config.strategy == "moa":
        layers = config.layers
        return CallPlan(
            "moa", rounds, proposers=n * layers, aggregator=1, layers=layers, reasks=fallback
        )
    if config.strategy == "blender":
        judge = judge_calls(n, config.ranking)
        return CallPlan(
            "blender", rounds, proposers=n, judge=judge, aggregator=1, reasks=judge + fallback
        )
    if config.strategy == "council":
        reviewers = council_reviewers(n, config.self_vote)
        return CallPlan(
            "council", rounds, proposers=n, reviewers=reviewers, aggregator=1, reasks=fallback
        )
    return CallPlan(config.strategy, rounds, proposers=n, aggregator=1, reasks=fallback)


# --------------------------------------------------------------------------------------------
# Cost


class PriceLookup(Protocol):
    """Per-token prices by model id: (prompt, completion) in US dollars, or None when unknown.

    `cltui.core.costs.PriceBook` fits; so does a plain dict (see `Prices`)."""

    def price(self, model_id: str, /) -> tuple[float, float] | None: ...


Prices = PriceLookup | Mapping[str, tuple[float, float]]


def _price_of(prices: Prices, model_id: str) -> tuple[float, float] | None:
    if isinstance(prices, Mapping):
        return prices.get(model_id)
    return prices.price(model_id)


@dataclass(frozen=True, slots=True)
class CostPreview:
    """The calls of a turn and its likely cost range in US dollars.

    `low` and `high` cover only the models with a known price; `unknown_models` lists the ids
    without one (each once, in config order)."""

    calls: int
    low: float
    high: float
    unknown_models: list[str] = field(default_factory=list)
    worst_calls: int = 0
    """Calls if every re-ask happens (0: no more than `calls`). `high` does not include them."""


@dataclass(frozen=True, slots=True)
class CallEstimate:
    """One planned call: the model, and the tokens it reads and writes, (low, high)."""

    model: ModelSpec
    prompt: tuple[int, int]
    completion: tuple[int, int]


def _tokens(chars: float) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN)


def _completion(model: ModelSpec) -> tuple[int, int]:
    limit = model.max_tokens or DEFAULT_MAX_TOKENS
    return math.ceil(limit * LOW_COMPLETION_SHARE), limit


def _plus(*parts: tuple[int, int]) -> tuple[int, int]:
    return sum(p[0] for p in parts), sum(p[1] for p in parts)


def call_estimates(
    config: ConsensusConfig, *, prompt_chars: int, history_chars: int = 0
) -> list[CallEstimate]:
    """Every call of `planned_calls`, with what it reads and writes in tokens.

    A proposer reads the conversation, its own system prompt, the history and the question; in
    improvement rounds also the improvement prompt and the last aggregate; in a later MoA layer
    also every answer of the layer before. A judge reads its instructions, the question and two
    answers; a reviewer its instructions, the question and every answer; the aggregator its
    messages, the history, the question and the answers it fuses (top_k of them for blender).
    """
    plan = planned_calls(config)
    opening = sum(len(m.content) for m in config.conversation) + history_chars + prompt_chars
    question = _tokens(prompt_chars)

    def own(model: ModelSpec) -> tuple[int, int]:
        tokens = _tokens(opening + len(model.system or ""))
        return tokens, tokens

    if plan.strategy == "chat":
        model = config.models[0]
        return [CallEstimate(model, own(model), _completion(model))]

    proposers = config.models
    answers = _plus(*(_completion(m) for m in proposers))
    n = len(proposers)
    mean_answer = (answers[0] / n, answers[1] / n)
    if config.aggregator is None:  # only a plain chat has none (the config checks that)
        raise ValueError(f"{config.source}: aggregator: is missing")
    aggregator = config.aggregator.model
    aggregate = _completion(aggregator)
    improvement = _tokens(len(config.improvement_prompt))
    calls: list[CallEstimate] = []
    for round_index in range(plan.rounds):
        feedback = (0, 0)
        if round_index > 0:
            feedback = _plus(aggregate, (improvement, improvement))
        layers = config.layers if plan.strategy == "moa" else 1
        for layer in range(layers):
            references = (0, 0)
            if layer > 0:
                overhead = _tokens(len(MOA_SYSTEM))
                references = _plus(answers, (overhead, overhead))
            for model in proposers:
                prompt = _plus(own(model), feedback, references)
                calls.append(CallEstimate(model, prompt, _completion(model)))
        if plan.judge and config.judge is not None:
            overhead = _tokens(len(JUDGE_SYSTEM) + history_chars) + question
            read = (overhead + round(2 * mean_answer[0]), overhead + round(2 * mean_answer[1]))
            calls += [CallEstimate(config.judge, read, _completion(config.judge))] * plan.judge
        if plan.reviewers:
            overhead = _tokens(len(COUNCIL_SYSTEM) + history_chars) + question
            read = _plus(answers, (overhead, overhead))
            calls += [CallEstimate(model, read, _completion(model)) for model in proposers]
        fused = min(config.top_k, n) if plan.strategy == "blender" else n
        own_messages = config.aggregator.context + config.aggregator.prompt
        overhead = _tokens(sum(len(m.content) for m in own_messages) + history_chars + prompt_chars)
        read = (overhead + round(fused * mean_answer[0]), overhead + round(fused * mean_answer[1]))
        calls.append(CallEstimate(aggregator, read, aggregate))
    return calls


def estimate_cost(
    config: ConsensusConfig,
    prices: Prices,
    *,
    prompt_chars: int,
    history_chars: int = 0,
) -> CostPreview:
    """The calls and cost range of one turn asking a question of `prompt_chars` characters after
    a conversation of `history_chars`.

    Tokens are estimated at four characters each. The low end assumes every answer uses a quarter
    of its model's `max_tokens` (1000 when unset), the high end all of it, for what each call
    writes and for the answers that judges, reviewers, later layers and the aggregator read.
    """
    calls = call_estimates(config, prompt_chars=prompt_chars, history_chars=history_chars)
    low = high = 0.0
    unknown: list[str] = []
    for call in calls:
        price = _price_of(prices, call.model.id)
        if price is None:
            if call.model.id not in unknown:
                unknown.append(call.model.id)
            continue
        prompt_price, completion_price = price
        low += call.prompt[0] * prompt_price + call.completion[0] * completion_price
        high += call.prompt[1] * prompt_price + call.completion[1] * completion_price
    worst = planned_calls(config).worst_case
    return CostPreview(len(calls), low, high, unknown, worst if worst > len(calls) else 0)


def format_preview(preview: CostPreview) -> str:
    """One line for the status bar or the command line, e.g. '12 calls · ≈ $0.004–$0.031'."""
    calls = calls_with_worst_case(preview.calls, preview.worst_calls)
    unknown = ""
    if preview.unknown_models:
        names = preview.unknown_models[:2]
        more = len(preview.unknown_models) - len(names)
        unknown = "cost unknown for " + ", ".join(names) + (f" and {more} more" if more else "")
        if preview.high == 0:
            return f"{calls} · {unknown}"
        unknown = " + " + unknown
    if preview.high == 0:
        return f"{calls} · free"
    low, high = format_cost(preview.low), format_cost(preview.high)
    cost = f"≈ {low}" if low == high else f"≈ {low}–{high}"
    return f"{calls} · {cost}{unknown}"
