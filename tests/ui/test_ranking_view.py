"""The words and matrix cells the ranking panel shows for each judge verdict."""

from __future__ import annotations

from cltui.core.sessions.model import Judgement
from cltui.ui.ranking_view import pairwise_matrix, verdict_text


def test_every_verdict_has_its_own_words() -> None:
    words = {
        verdict: verdict_text(Judgement("a", "b", verdict))
        for verdict in ("first", "second", "both_good", "both_bad", "unparsed", "failed")
    }
    assert words == {
        "first": "a",
        "second": "b",
        "both_good": "both good",
        "both_bad": "both bad",
        "unparsed": "unread",
        "failed": "call failed",
    }


def test_the_matrix_tells_a_failed_call_from_an_unread_answer() -> None:
    judgements = [Judgement("a", "b", "failed"), Judgement("b", "a", "unparsed")]
    matrix = pairwise_matrix(["a", "b"], judgements)
    assert dict(matrix.rows) == {"a": ["·", "!"], "b": ["?", "·"]}
    assert "! judge call failed" in matrix.legend
