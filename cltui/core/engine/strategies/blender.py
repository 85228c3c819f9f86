"""LLM-Blender: candidates, pairwise ranking by a judge model, then fusion of the best.

Each round: the proposers answer (as in `iterative`, with the previous aggregate in improvement
rounds); the judge compares the good candidates pairwise, every pair in both orders so position
bias cancels out (PairRanker); the candidates are ranked by MaxWins, or with
`ranking = "bubble"` only the best is found, with 2(N-1) comparisons instead of N(N-1); then the
aggregator fuses the best `top_k` in rank order (GenFuser), and that fusion is the round's
aggregate.

Judge calls run together (the provider's concurrency limit paces them). Each is shown under the
slot `judge_slot(first, second)` and kept in `Round.reviews`; its verdict is recorded as a
`Judgement`. In a follow-up turn the judge sees the conversation so far before the comparison.
An answer without a readable verdict is asked once more for the verdict line alone; if it still
can't be read the verdict is 'unparsed'. A call (or that second ask) that ended without an answer
is 'failed'. Both rank as no decision, but a resumed round judges again exactly the pairs that
failed or were never judged, and keeps every answered one: asking an unreadable judge again
would only repeat it, while a failed call often just met a passing provider error. The ranking
rests only on the verdicts read (`Round.ranking_read` of `ranking_asked`); with none the round is
unranked, and the aggregator is told so instead of getting the config order as a ranking.
"""

from __future__ import annotations

import asyncio

from cltui.core.config import ConfigError, ConsensusConfig, ModelSpec
from cltui.core.engine.calls import Call, run_call
from cltui.core.engine.context import TurnContext
from cltui.core.engine.prompts import fusion_header, ranked_aggregator_messages
from cltui.core.engine.strategies.base import check_quorum
from cltui.core.engine.strategies.rounds import RoundsStrategy, ok_answers
from cltui.core.events import JudgementMade, RankingReady, judge_slot
from cltui.core.judging import (
    FAILED,
    UNREAD_VERDICTS,
    Verdict,
    judge_messages,
    ordered_pairs,
    parse_verdict,
    retry_messages,
)
from cltui.core.ranking import RankEntry, bubble_best, max_wins
from cltui.core.sessions.model import Judgement, Reply, Round

RETRY_SEPARATOR = "\n\n[asked again for the verdict line]\n"
"""Joins the judge's first answer and its answer to the retry in `Judgement.raw`."""


class BlenderStrategy(RoundsStrategy):
    name = "blender"

    def __init__(self, config: ConsensusConfig) -> None:
        super().__init__(config)
        if config.judge is None:
            problem = "is missing: strategy 'blender' needs a [judge] with a 'model'"
            raise ConfigError(config.source, "judge", problem)
        self.judge: ModelSpec = config.judge

    async def run_round(self, ctx: TurnContext, rnd: Round) -> str:
        self.started(ctx, rnd)
        await self.propose(ctx, rnd)
        check_quorum(self.config, rnd, self.config.models)
        candidates = ok_answers(rnd.replies)
        texts = dict(candidates)
        labels = [label for label, _ in candidates]
        used: list[Judgement] | None = None
        if len(labels) < 2:
            entries = max_wins(labels, [])
        elif self.config.ranking == "bubble":
            self.started(ctx, rnd, "judge")
            entries, used = await self._bubble(ctx, rnd, labels, texts)
        else:
            self.started(ctx, rnd, "judge")
            entries, used = await self._max_wins(ctx, rnd, labels, texts)
        read = asked = None
        if used is not None:
            asked = len(used)
            read = sum(1 for j in used if j.verdict not in UNREAD_VERDICTS)
        rnd.ranking_read, rnd.ranking_asked = read, asked
        if asked and not read:  # no verdict to rank by: the answers stay in config order
            entries = max_wins(labels, [])
            rnd.ranking = []
        else:
            rnd.ranking = [entry.to_dict() for entry in entries]
        ranking = [dict(e) for e in rnd.ranking]
        ctx.emit(RankingReady(ctx.turn_index, rnd.index, ranking, read, asked, "verdicts"))
        ranked = [(entry.model, texts[entry.model]) for entry in entries]
        header = fusion_header(read, asked, "judge verdict")
        return await self.aggregate(
            ctx,
            rnd,
            lambda model: ranked_aggregator_messages(
                model,
                self.aggregator,
                ctx.history,
                ctx.prompt,
                ranked,
                self.config.top_k,
                header=header,
            ),
        )

    # Ranking ---------------------------------------------------------------------------------

    async def _max_wins(
        self, ctx: TurnContext, rnd: Round, labels: list[str], texts: dict[str, str]
    ) -> tuple[list[RankEntry], list[Judgement]]:
        """Judge every ordered pair not judged yet, all at once, then rank by MaxWins; returns
        the ranking and the judgements it rests on."""
        pairs = ordered_pairs(labels)
        done = {(j.first, j.second) for j in rnd.judgements if settled(j)}
        async with asyncio.TaskGroup() as group:
            for first, second in pairs:
                if (first, second) not in done:
                    group.create_task(self._judge(ctx, rnd, first, second, texts))
        position = {pair: i for i, pair in enumerate(pairs)}
        rnd.judgements.sort(key=lambda j: position.get((j.first, j.second), len(pairs)))
        relevant = [j for j in rnd.judgements if (j.first, j.second) in position]
        return max_wins(labels, relevant), relevant

    async def _bubble(
        self, ctx: TurnContext, rnd: Round, labels: list[str], texts: dict[str, str]
    ) -> tuple[list[RankEntry], list[Judgement]]:
        """One bubble pass for the best; the rest follow by their record in that pass."""

        async def compare(first: str, second: str) -> Judgement:
            known = _judgement_of(rnd, first, second)
            if known is not None and settled(known):
                return known
            return await self._judge(ctx, rnd, first, second, texts)

        best, made = await bubble_best(labels, compare)
        entries = max_wins(labels, made)
        ordered = sorted(entries, key=lambda e: e.model != best)  # stable: the rest keep order
        ranked = [
            RankEntry(e.model, e.score, rank, e.wins, e.losses, e.tied)
            for rank, e in enumerate(ordered, start=1)
        ]
        return ranked, made

    # Judging ---------------------------------------------------------------------------------

    async def _judge(
        self, ctx: TurnContext, rnd: Round, first: str, second: str, texts: dict[str, str]
    ) -> Judgement:
        """One judge call (plus one retry for an unreadable verdict), recorded and reported.

        The judgement replaces the pair's earlier failed one, so a round holds one per pair.
        """
        slot = judge_slot(first, second)
        messages = tuple(judge_messages(ctx.prompt, texts[first], texts[second], ctx.history))
        reply = await self._call_judge(ctx, rnd, Call(slot, self.judge, "judge", messages))
        verdict: Verdict = parse_verdict(reply.content) if reply.done else FAILED
        raw = reply.content
        if reply.done and verdict == "unparsed":
            again = tuple(retry_messages(messages, reply.content))
            retry = await self._call_judge(ctx, rnd, Call(slot, self.judge, "judge", again))
            verdict = parse_verdict(retry.content) if retry.done else FAILED
            if retry.content:
                raw += RETRY_SEPARATOR + retry.content
        judgement = Judgement(first, second, verdict, raw)
        _record(rnd, judgement)
        ctx.emit(JudgementMade(ctx.turn_index, rnd.index, judgement))
        return judgement

    async def _call_judge(self, ctx: TurnContext, rnd: Round, call: Call) -> Reply:
        return await run_call(ctx, rnd.index, call, lambda _call, reply: rnd.reviews.append(reply))


def settled(judgement: Judgement) -> bool:
    """Whether the pair was answered, so a resumed round keeps its judgement.

    Not settled: a 'failed' judgement, and an 'unparsed' one with no text at all, which is
    how a failed call was recorded before 'failed' existed (an answered call always has text,
    since an empty answer counts as a failed call).
    """
    if judgement.verdict == FAILED:
        return False
    return not (judgement.verdict == "unparsed" and not judgement.raw)


def _judgement_of(rnd: Round, first: str, second: str) -> Judgement | None:
    return next((j for j in rnd.judgements if (j.first, j.second) == (first, second)), None)


def _record(rnd: Round, judgement: Judgement) -> None:
    """Add the judgement to the round, in place of an earlier one of the same pair."""
    for i, existing in enumerate(rnd.judgements):
        if (existing.first, existing.second) == (judgement.first, judgement.second):
            rnd.judgements[i] = judgement
            return
    rnd.judgements.append(judgement)
