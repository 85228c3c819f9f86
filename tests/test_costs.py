"""Usage totals, list-price estimates and the short money/token formats."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from support.session_samples import sample_session

from cltui.core.costs import (
    PriceBook,
    Totals,
    format_cost,
    format_tokens,
    reply_totals,
    round_totals,
    session_totals,
    turn_totals,
)
from cltui.core.sessions.model import Reply, Round, Session, Turn


@dataclass(frozen=True)
class Listed:
    id: str
    prompt_price: float | str | None
    completion_price: float | str | None


def test_reply_totals_known_cost() -> None:
    reply = Reply("m", status="ok", prompt_tokens=10, completion_tokens=20, cost=0.5)
    assert reply_totals(reply) == Totals(10, 20, 0.5, calls=1, estimated=False, unknown_cost=0,
                                         priced=1)  # fmt: skip


def test_reply_totals_estimated_and_unknown() -> None:
    estimated = Reply("m", status="ok", prompt_tokens=1, cost=0.1, cost_estimated=True)
    assert reply_totals(estimated).estimated
    unknown = Reply("m", status="ok", prompt_tokens=1)
    assert reply_totals(unknown).unknown_cost == 1
    assert reply_totals(unknown).cost == 0.0


def test_failed_call_without_tokens_is_not_an_unknown_cost() -> None:
    failed = Reply("m", status="error", error="bad key")
    assert reply_totals(failed) == Totals(calls=1)


def test_totals_add_up() -> None:
    a = Totals(1, 2, 0.5, 1, False, 0)
    b = Totals(10, 20, 0.25, 2, True, 1)
    assert a + b == Totals(11, 22, 0.75, 3, True, 1)
    assert (a + b).tokens == 33


def test_round_turn_and_session_totals_include_reviews_and_aggregates() -> None:
    session = sample_session(turns=2)
    rnd = session.turns[0].rounds[0]
    totals = round_totals(rnd)
    # Two ok proposals, one failed, one judge review (no cost), one estimated aggregate.
    assert totals.calls == 5
    assert totals.prompt_tokens == 100 + 100 + 50 + 400
    assert totals.completion_tokens == 200 + 200 + 1 + 300
    assert totals.cost == pytest.approx(0.004)
    assert totals.estimated
    assert totals.unknown_cost == 1  # the judge used tokens but has no cost
    assert turn_totals(session.turns[0]).calls == 10
    assert session_totals(session).calls == 20
    assert session_totals(session).cost == pytest.approx(0.016)


def test_empty_session_totals() -> None:
    assert session_totals(Session(config={})) == Totals()
    assert turn_totals(Turn("q", rounds=[Round(0)])) == Totals()


def test_price_book_estimates_from_a_model_list() -> None:
    book = PriceBook.from_models(
        [
            Listed("a", 0.000001, 0.000002),
            Listed("b", "0.5", "1"),
            Listed("router", -1, -1),
            Listed("half", 0.1, None),
        ]
    )
    assert book.estimate("a", 1000, 500) == pytest.approx(0.002)
    assert book.estimate("b", 2, 1) == pytest.approx(2.0)
    assert book.estimate("router", 1, 1) is None
    assert book.estimate("half", 1, 1) is None
    assert book.estimate("unlisted", 1, 1) is None
    assert "a" in book and len(book) == 2


def test_empty_price_book_and_update() -> None:
    book = PriceBook()
    assert book.estimate("a", 1, 1) is None
    book.update(PriceBook.from_models([Listed("a", 0.0, 0.0)]))
    assert book.estimate("a", 100, 100) == 0.0
    assert book.price("a") == (0.0, 0.0)


@pytest.mark.parametrize(
    ("value", "estimated", "text"),
    [
        (0.0123, False, "$0.0123"),
        (0.02, True, "~$0.02"),
        (0.5, False, "$0.50"),
        (0.00001, False, "<$0.0001"),
        (0.00001, True, "~<$0.0001"),
        (0.0, False, "$0.00"),
        (1.5, False, "$1.50"),
        (1234.567, False, "$1,234.57"),
        (None, False, "—"),
        (float("nan"), False, "—"),
    ],
)
def test_format_cost(value: float | None, estimated: bool, text: str) -> None:
    assert format_cost(value, estimated) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0"), (950, "950"), (1000, "1.0k"), (12_345, "12.3k"), (999_960, "1.0M"),
     (1_234_567, "1.2M")],
)  # fmt: skip
def test_format_tokens(n: int, text: str) -> None:
    assert format_tokens(n) == text
