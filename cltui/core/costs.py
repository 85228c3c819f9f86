"""Tokens and money: totals over replies, rounds, turns and sessions, list-price estimates, and
the short forms the status bar, the progress printer and exports show.

Costs are in US dollars (OpenRouter credits). A reply's cost is None when neither the API reported
it nor a list price was known; totals count such calls instead of pretending they were free.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from cltui.core.sessions.model import Reply, Round, Session, Turn


@dataclass(frozen=True, slots=True)
class Totals:
    """Usage summed over some calls."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    """Known costs summed; calls with unknown cost add nothing (see `unknown_cost`)."""
    calls: int = 0
    estimated: bool = False
    """At least one cost in the sum came from list prices rather than the API."""
    unknown_cost: int = 0
    """Calls that used tokens but whose cost is unknown, so `cost` is a lower bound."""
    priced: int = 0
    """Calls whose cost is known (reported or from list prices)."""
    tokens_estimated: bool = False
    """At least one call's token counts were estimated from its text (the server sent none)."""

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Totals) -> Totals:
        if not isinstance(other, Totals):
            return NotImplemented
        return Totals(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost=self.cost + other.cost,
            calls=self.calls + other.calls,
            estimated=self.estimated or other.estimated,
            unknown_cost=self.unknown_cost + other.unknown_cost,
            priced=self.priced + other.priced,
            tokens_estimated=self.tokens_estimated or other.tokens_estimated,
        )


def reply_totals(reply: Reply) -> Totals:
    """One call's usage. A call that failed before using any tokens is not an unknown cost: it
    cost nothing, so it does not make the total look uncertain."""
    known = reply.cost is not None and math.isfinite(reply.cost)
    used = reply.prompt_tokens > 0 or reply.completion_tokens > 0 or reply.done
    return Totals(
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
        cost=float(reply.cost) if known and reply.cost is not None else 0.0,
        calls=1,
        estimated=known and reply.cost_estimated,
        unknown_cost=0 if known or not used else 1,
        priced=1 if known else 0,
        tokens_estimated=reply.usage_estimated,
    )


def sum_totals(replies: Iterable[Reply]) -> Totals:
    """The usage of several calls."""
    total = Totals()
    for reply in replies:
        total = total + reply_totals(reply)
    return total


def round_totals(rnd: Round) -> Totals:
    """A round's proposals, reviews and aggregate (failed aggregator attempts included)."""
    calls = [*rnd.replies, *rnd.reviews, *rnd.aggregate_attempts]
    if rnd.aggregate is not None:
        calls.append(rnd.aggregate)
    return sum_totals(calls)


def turn_totals(turn: Turn) -> Totals:
    """Every call of one question."""
    total = Totals()
    for rnd in turn.rounds:
        total = total + round_totals(rnd)
    return total


def session_totals(session: Session) -> Totals:
    """Every call of the conversation."""
    total = Totals()
    for turn in session.turns:
        total = total + turn_totals(turn)
    return total


class PricedModel(Protocol):
    """What a price list entry needs: the client's `ModelInfo` fits."""

    @property
    def id(self) -> str: ...
    @property
    def prompt_price(self) -> Any: ...
    @property
    def completion_price(self) -> Any: ...


def _price(value: Any) -> float | None:
    """A usable per-token price, or None. Lists mark variable prices (routers) with negative
    numbers, and some endpoints send prices as strings."""
    if value is None or isinstance(value, bool):
        return None
    try:
        price = float(value)
    except (TypeError, ValueError):
        return None
    return price if math.isfinite(price) and price >= 0 else None


class PriceBook:
    """List prices per model id (USD per token), to estimate costs the API does not report."""

    def __init__(self, prices: dict[str, tuple[float, float]] | None = None) -> None:
        self._prices: dict[str, tuple[float, float]] = dict(prices or {})

    @classmethod
    def from_models(cls, models: Iterable[PricedModel]) -> PriceBook:
        """Prices from a model list; models without both prices are left out."""
        book = cls()
        for model in models:
            prompt = _price(getattr(model, "prompt_price", None))
            completion = _price(getattr(model, "completion_price", None))
            model_id = getattr(model, "id", None)
            if isinstance(model_id, str) and prompt is not None and completion is not None:
                book._prices[model_id] = (prompt, completion)
        return book

    def update(self, other: PriceBook) -> None:
        """Add (or replace) the prices of another book, e.g. another provider's list."""
        self._prices.update(other._prices)

    def price(self, model_id: str) -> tuple[float, float] | None:
        """(prompt, completion) USD per token, or None when the model is not listed."""
        return self._prices.get(model_id)

    def estimate(self, model_id: str, prompt_tokens: int, completion_tokens: int) -> float | None:
        """What a call should have cost at list prices; None when the price is unknown."""
        prices = self._prices.get(model_id)
        if prices is None:
            return None
        return prompt_tokens * prices[0] + completion_tokens * prices[1]

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._prices

    def __len__(self) -> int:
        return len(self._prices)


def format_cost(value: float | None, estimated: bool = False) -> str:
    """Dollars, short: "$0.0123", "$1.25", "<$0.0001", "~$0.02" when estimated, "—" unknown.

    The one money formatter: the status bar, panes, progress, exports, previews and the helper
    commands all print amounts with it, so one amount reads the same everywhere.

    Four decimals below a dollar because single calls often cost fractions of a cent; trailing
    zeros beyond the cents are dropped so round numbers stay readable."""
    if value is None or not math.isfinite(value):
        return "—"
    prefix = "~" if estimated else ""
    sign = "-" if value < 0 else ""
    amount = abs(value)
    if amount == 0:
        text = "$0.00"
    elif amount < 0.0001:
        return f"{prefix}<{sign}$0.0001"
    elif amount < 1:
        text = f"${amount:.4f}"
        while text.endswith("0") and len(text.split(".")[1]) > 2:
            text = text[:-1]
    else:
        text = f"${amount:,.2f}"
    return f"{prefix}{sign}{text}"


def format_total_cost(totals: Totals) -> str:
    """The cost of several calls: "—" when none of them has a known cost (a local model without
    prices is not free, its cost is unknown), "$0.0123+" when some are unknown (a lower
    bound), else the sum."""
    if totals.unknown_cost and not totals.priced:
        return "—"
    text = format_cost(totals.cost, totals.estimated)
    return text + ("+" if totals.unknown_cost else "")


def format_tokens(n: int, estimated: bool = False) -> str:
    """Token counts, short: "950", "12.3k", "1.2M"; "~950" when estimated from the text."""
    prefix = "~" if estimated else ""
    if n < 1000:
        return f"{prefix}{n}"
    if round(n / 1000, 1) < 1000:
        return f"{prefix}{n / 1000:.1f}k"
    return f"{prefix}{n / 1_000_000:.1f}M"
