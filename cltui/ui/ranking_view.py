"""What the ranking views show, worked out from the session: no widgets here.

The judge's verdicts, a reviewer's ranking and the pairwise matrix are computed from the same
session data the engine saves, so a live round and a round reopened from history look the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cltui.core.events import is_judge_slot, judge_slot
from cltui.core.ranking import council_orders, parse_council_ranking
from cltui.core.sessions.model import Judgement, Reply, Round

RANKING_STRATEGIES = frozenset({"blender", "council"})
"""Strategies that rank the answers, and so get the ranking panel."""

VERDICT_CELLS: dict[str, str] = {
    "first": "A",
    "second": "B",
    "both_good": "=",
    "both_bad": "✗",
    "unparsed": "?",
    "failed": "!",
}
"""Matrix cells: the row candidate was shown as Response A, the column one as B."""

MATRIX_LEGEND = (
    "row shown as A, column as B: A/B won · = both good · ✗ both bad · ? unread"
    " · ! judge call failed"
)

REVIEW_ROLES = frozenset({"judge", "reviewer"})
"""Roles of the calls the ranking panel shows (the judge's, and council reviews)."""


def is_review_call(slot: str, role: str | None = None) -> bool:
    """A judge call or a council review (by its role when known, else by its slot)."""
    return role in REVIEW_ROLES or is_judge_slot(slot)


def judge_slot_of(judgement: Judgement) -> str:
    """The slot the engine used for this judgement's call."""
    return judge_slot(judgement.first, judgement.second)



def verdict_text(judgement: Judgement) -> str:
    """A judgement in words, e.g. 'demo/atlas' or 'both good'."""
    if judgement.verdict == "first":
        return judgement.first
    if judgement.verdict == "second":
        return judgement.second
    words = {"both_good": "both good", "both_bad": "both bad", "failed": "call failed"}
    return words.get(judgement.verdict, "unread")


def review_orders(
    session_id: str, turn: int, round: int, labels: Sequence[str], self_vote: bool
) -> dict[str, list[str]]:
    """For each council reviewer, the answers in the order it was shown them (the engine's own
    order, so "Response 2" in a saved review maps back to the right model)."""
    return council_orders(session_id, turn, round, labels, self_vote)


def review_ranking(review: Reply, order: Sequence[str] | None) -> list[str] | None:
    """A council review's ranking as model labels, best first; None when it can't be read."""
    if order is None or not review.content:
        return None
    numbers = parse_council_ranking(review.content, len(order))
    if not numbers:
        return None
    return [order[n - 1] for n in numbers]


def ok_labels(rnd: Round) -> list[str]:
    """The labels of the round's good answers, in order: the candidates that were ranked."""
    return [r.model for r in rnd.replies if r.done]


@dataclass(frozen=True, slots=True)
class Matrix:
    """A grid for the matrix view: column headers and one row of cells per candidate."""

    columns: list[str]
    rows: list[tuple[str, list[str]]]
    legend: str


def pairwise_matrix(candidates: Sequence[str], judgements: Sequence[Judgement]) -> Matrix:
    """Candidates × candidates; the cell at (row, column) is the verdict with the row's answer
    shown first. The diagonal is '·' and a pair not judged (yet) is empty."""
    verdicts = {(j.first, j.second): VERDICT_CELLS.get(j.verdict, "?") for j in judgements}
    rows = [
        (row, ["·" if row == col else verdicts.get((row, col), "") for col in candidates])
        for row in candidates
    ]
    return Matrix(list(candidates), rows, MATRIX_LEGEND)


def review_matrix(candidates: Sequence[str], rankings: Mapping[str, Sequence[str]]) -> Matrix:
    """Reviewers × candidates; each cell is the place the reviewer gave that answer (1 is best),
    '–' when it was not shown or not ranked."""
    rows = [
        (
            reviewer,
            [str(list(order).index(c) + 1) if c in order else "–" for c in candidates],
        )
        for reviewer, order in rankings.items()
    ]
    legend = "row = reviewer, column = answer: the place given (1 is best)"
    return Matrix(list(candidates), rows, legend)


def council_rankings(
    rnd: Round, session_id: str, turn: int, self_vote: bool
) -> dict[str, list[str]]:
    """Every readable council review of the round, as model labels best first."""
    orders = review_orders(session_id, turn, rnd.index, ok_labels(rnd), self_vote)
    found: dict[str, list[str]] = {}
    for review in rnd.reviews:
        if review.role != "reviewer" or not review.done:
            continue
        ranking = review_ranking(review, orders.get(review.model))
        if ranking:
            found[review.model] = ranking
    return found


def score_text(entry: Mapping[str, Any]) -> str:
    """A ranking entry's score as shown: a whole number of wins, or a mean rank."""
    score = entry.get("score")
    if score is None:
        return "–"
    if isinstance(score, float) and not score.is_integer():
        return f"{score:.2f}"
    return f"{score:g}" if isinstance(score, float) else str(score)
