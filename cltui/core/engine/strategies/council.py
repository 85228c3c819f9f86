"""Council (peer review): every model ranks the others' answers, and the aggregator knows it.

Each round: the proposers answer (as in `iterative`); every model that answered reviews the
answers, anonymised as Response 1..N and shuffled differently for each reviewer (the same order
again on resume), its own answer left out when `self_vote` is off; in a follow-up turn the
reviewer sees the conversation so far first. Each review's ranking line is read back and the
rankings are averaged (mean rank, 1 is best); the aggregator gets all answers best first with
the scores and writes the round's aggregate.

A reviewer that would see fewer than two answers is not asked. A review whose ranking can't be
read counts for nothing; when none can be read the round is unranked (no `Round.ranking`), and
the aggregator is told the answers are unranked rather than handed them as if ranked. A
reviewer's call is shown in its own model's slot with the role
'reviewer' and kept in `Round.reviews`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cltui.core.config import ModelSpec
from cltui.core.engine.calls import Call, run_calls
from cltui.core.engine.context import TurnContext
from cltui.core.engine.prompts import fusion_header, ranked_aggregator_messages
from cltui.core.engine.strategies.base import check_quorum
from cltui.core.engine.strategies.rounds import RoundsStrategy, ok_answers
from cltui.core.events import RankingReady
from cltui.core.ranking import (
    CouncilEntry,
    council_messages,
    council_orders,
    mean_ranks,
    parse_council_ranking,
)
from cltui.core.sessions.model import Reply, Round

RANKING_NOTE = "Peer review (mean rank given by the models, 1 is best): "


def ranking_note(entries: Sequence[CouncilEntry]) -> str:
    """The line telling the aggregator how the models ranked the answers."""
    parts = [
        f"{e.model} {e.score:.2f}" if e.score is not None else f"{e.model} unranked"
        for e in entries
    ]
    return RANKING_NOTE + "; ".join(parts) + "."


class CouncilStrategy(RoundsStrategy):
    name = "council"

    async def run_round(self, ctx: TurnContext, rnd: Round) -> str:
        self.started(ctx, rnd)
        await self.propose(ctx, rnd)
        check_quorum(self.config, rnd, self.config.models)
        answers = ok_answers(rnd.replies)
        texts = dict(answers)
        labels = [label for label, _ in answers]
        shown = self.review_orders(ctx, rnd, labels)
        if shown:
            self.started(ctx, rnd, "review")
            await self._review(ctx, rnd, shown, texts)
        rankings = read_rankings(rnd.reviews, shown)
        entries = mean_ranks(rankings, labels, self_vote=self.config.self_vote)
        read, asked = (len(rankings), len(shown)) if shown else (None, None)
        rnd.ranking_read, rnd.ranking_asked = read, asked
        # Without a readable review there is no ranking: the answers stay in config order.
        rnd.ranking = [entry.to_dict() for entry in entries] if rankings or not shown else []
        ranking = [dict(e) for e in rnd.ranking]
        ctx.emit(RankingReady(ctx.turn_index, rnd.index, ranking, read, asked, "reviews"))
        ranked = [(entry.model, texts[entry.model]) for entry in entries]
        note = ranking_note(entries) if rankings else ""
        header = fusion_header(read, asked, "peer review")
        return await self.aggregate(
            ctx,
            rnd,
            lambda model: ranked_aggregator_messages(
                model,
                self.aggregator,
                ctx.history,
                ctx.prompt,
                ranked,
                len(ranked),
                note,
                header=header,
            ),
        )

    def review_orders(
        self, ctx: TurnContext, rnd: Round, labels: list[str]
    ) -> dict[str, list[str]]:
        """For each reviewer, the answers it sees in the order it sees them (Response 1 first)."""
        return council_orders(
            ctx.session.id, ctx.turn_index, rnd.index, labels, self.config.self_vote
        )

    async def _review(
        self,
        ctx: TurnContext,
        rnd: Round,
        shown: Mapping[str, list[str]],
        texts: Mapping[str, str],
    ) -> None:
        """Ask every reviewer without a finished review, all at once."""
        models = {m.name: m for m in self.config.models}
        calls = [
            self._review_call(ctx, models[reviewer], order, texts)
            for reviewer, order in shown.items()
            if not ((r := _review_of(rnd, reviewer)) and r.done)
        ]
        await run_calls(ctx, rnd.index, calls, lambda _call, reply: _place_review(rnd, reply))

    def _review_call(
        self, ctx: TurnContext, model: ModelSpec, order: list[str], texts: Mapping[str, str]
    ) -> Call:
        shown = [(label, texts[label]) for label in order]
        messages = council_messages(ctx.prompt, shown, ctx.history)
        return Call(model.name, model, "reviewer", tuple(messages))


def read_rankings(reviews: Sequence[Reply], shown: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Each finished review's ranking as answer labels, best first; unreadable ones left out."""
    rankings: dict[str, list[str]] = {}
    for review in reviews:
        order = shown.get(review.model)
        if review.role != "reviewer" or not review.done or order is None:
            continue
        numbers = parse_council_ranking(review.content, len(order))
        if numbers:
            rankings[review.model] = [order[n - 1] for n in numbers]
    return rankings


def _review_of(rnd: Round, reviewer: str) -> Reply | None:
    return next((r for r in rnd.reviews if r.role == "reviewer" and r.model == reviewer), None)


def _place_review(rnd: Round, reply: Reply) -> None:
    """A new review replaces the reviewer's unfinished one (from an interrupted run)."""
    for i, existing in enumerate(rnd.reviews):
        if existing.role == "reviewer" and existing.model == reply.model:
            rnd.reviews[i] = reply
            return
    rnd.reviews.append(reply)
