"""The ranking panel beside the aggregator: the ranking table over the judge/review pane.

Only the ranking strategies get it (blender: a judge compares pairs; council: the models review
each other). It follows the live round from the engine's events and shows a past round from the
session, through the same code, so both look alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from cltui.core.judging import round_ranking_text
from cltui.core.sessions.model import Reply, Round
from cltui.ui.ranking_view import (
    Matrix,
    council_rankings,
    judge_slot_of,
    ok_labels,
    pairwise_matrix,
    review_matrix,
    review_orders,
    review_ranking,
)
from cltui.ui.safe_text import one_line, plain
from cltui.ui.widgets.judge_pane import CallKind, JudgePane
from cltui.ui.widgets.ranking_table import RankingTable, short_name


def review_summary(review: Reply, orders: Mapping[str, Sequence[str]]) -> str:
    """A council review's ranking in short names, 'cirrus > atlas > borealis' ('' if unread)."""
    ranking = review_ranking(review, orders.get(review.model))
    return " > ".join(short_name(m) for m in ranking) if ranking else ""


def ranking_basis(rnd: Round) -> str:
    """What a round's ranking rests on, when that needs saying: 'unranked (0 of 6 verdicts
    read)' with no readable verdict, '4 of 6 verdicts read' with some, '' with all."""
    if rnd.unranked:
        return round_ranking_text(rnd)
    if rnd.ranking_asked and rnd.ranking_read != rnd.ranking_asked:
        unit = "verdicts" if rnd.judgements else "reviews"
        return f"{rnd.ranking_read} of {rnd.ranking_asked} {unit} read"
    return ""


class RankingPanel(Vertical):
    """Ranking table + judge pane for one ranking strategy."""

    DEFAULT_CSS = """
    RankingPanel { width: 46; height: 1fr; }
    RankingPanel #ranking-title { height: auto; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, strategy: str, *, self_vote: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.strategy = strategy
        self.kind: CallKind = "judge" if strategy == "blender" else "reviewer"
        self.self_vote = self_vote
        self.round_index: int | None = None
        self.basis = ""
        """What the ranking shown rests on, when not every verdict or review could be read:
        'unranked (0 of 6 verdicts read)', '4 of 6 verdicts read'."""
        self._table = RankingTable(id="ranking-table")
        self._judges = JudgePane(self.kind, id="judge-pane")

    def compose(self) -> ComposeResult:
        yield Static("", id="ranking-title", markup=False)
        yield self._table
        yield self._judges

    def on_mount(self) -> None:
        self._set_title("ranking: after the first round")

    @property
    def table(self) -> RankingTable:
        return self._table

    @property
    def judges(self) -> JudgePane:
        """The judge calls or reviews (asked on every streamed token of one)."""
        return self._judges

    def _set_title(self, text: str) -> None:
        self.query_one("#ranking-title", Static).update(plain(one_line(text)))

    def toggle_matrix(self) -> bool:
        """Flip the table between ranking and matrix; the title line explains the cells."""
        shown = self.table.toggle_matrix()
        self._refresh_title()
        return shown

    def _refresh_title(self) -> None:
        round_text = f" · round {self.round_index + 1}" if self.round_index is not None else ""
        if self.table.show_matrix and self.table.matrix is not None:
            self._set_title(self.table.matrix.legend)
        else:
            basis = f": {self.basis}" if self.basis else ""
            self._set_title(f"ranking{round_text}{basis}")

    # -- live ------------------------------------------------------------------------------------

    async def round_started(self, round_index: int) -> None:
        """A round's judging (or reviewing) begins: clear what the last round showed."""
        if self.round_index == round_index and self.judges.calls:
            return
        self.round_index = round_index
        self.basis = ""
        await self.judges.reset(f"round {round_index + 1}")
        self.table.set_ranking([], None)
        self._set_title(f"ranking · round {round_index + 1}: in progress")

    def call_started(self, slot: str, model: str) -> None:
        self.judges.started(slot, model, self.kind)

    def call_delta(self, slot: str, text: str) -> None:
        self.judges.delta(slot, text)

    def call_finished(
        self, slot: str, reply: Reply, rnd: Round | None, turn: int, sid: str
    ) -> None:
        summary = ""
        if reply.role == "reviewer" and reply.done and rnd is not None:
            orders = review_orders(sid, turn, rnd.index, ok_labels(rnd), self.self_vote)
            summary = review_summary(reply, orders)
        self.judges.finished(slot, reply, summary)

    def ranking_ready(self, rnd: Round, turn: int, session_id: str) -> None:
        """Show the round's ranking (and keep its matrix for the toggle); an unranked round
        shows no order, only why."""
        self.round_index = rnd.index
        self.basis = ranking_basis(rnd)
        self.table.set_ranking(rnd.ranking, self._matrix(rnd, turn, session_id))
        self._refresh_title()

    def _matrix(self, rnd: Round, turn: int, session_id: str) -> Matrix:
        candidates = [str(e.get("model", "")) for e in rnd.ranking] or ok_labels(rnd)
        if self.strategy == "blender":
            return pairwise_matrix(candidates, rnd.judgements)
        return review_matrix(candidates, council_rankings(rnd, session_id, turn, self.self_vote))

    # -- history ---------------------------------------------------------------------------------

    async def show_round(self, rnd: Round | None, turn: int, session_id: str) -> None:
        """Show a settled round: its ranking and every judge call or review it made."""
        self.round_index = rnd.index if rnd is not None else None
        await self.judges.reset(f"round {rnd.index + 1}" if rnd is not None else "")
        if rnd is None:
            self.table.set_ranking([], None)
            self._set_title("ranking: none yet")
            return
        if self.strategy == "blender":
            for judgement in rnd.judgements:
                slot = judge_slot_of(judgement)
                call = self.judges.call_for(slot, "", "judge")
                failed = judgement.verdict == "failed"
                call.state = "error" if failed or judgement.verdict == "unparsed" else "done"
                call.error = "the judge call failed" if failed else "no readable verdict"
                self.judges.verdict(slot, judgement)
        else:
            orders = review_orders(session_id, turn, rnd.index, ok_labels(rnd), self.self_vote)
            for review in rnd.reviews:
                if review.role != "reviewer":
                    continue
                self.judges.finished(review.model, review, review_summary(review, orders))
        self.judges.refresh_title()
        if rnd.ranking or rnd.unranked:
            self.ranking_ready(rnd, turn, session_id)
        else:
            self.basis = ""
            self.table.set_ranking([], None)
            self._set_title(f"ranking · round {rnd.index + 1}: none")
