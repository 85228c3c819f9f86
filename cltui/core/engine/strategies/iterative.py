"""Consensus Learning: propose, aggregate, feed the aggregate back, repeat.

Round 0: every model answers the conversation. The aggregator merges the answers. Improvement
rounds 1..iterations: every model gets its round-0 messages plus the consensus and the
improvement prompt, and the aggregator merges again. The last aggregate is the final answer.
Failed models don't sink a round while the quorum holds, and a fallback aggregator can stand in.
"""

from __future__ import annotations

from cltui.core.engine.context import TurnContext
from cltui.core.engine.prompts import aggregator_messages
from cltui.core.engine.strategies.base import check_quorum
from cltui.core.engine.strategies.rounds import RoundsStrategy, ok_answers
from cltui.core.sessions.model import Round


class IterativeStrategy(RoundsStrategy):
    name = "iterative"

    async def run_round(self, ctx: TurnContext, rnd: Round) -> str:
        self.started(ctx, rnd)
        await self.propose(ctx, rnd)
        check_quorum(self.config, rnd, self.config.models)
        answers = ok_answers(rnd.replies)
        return await self.aggregate(
            ctx,
            rnd,
            lambda model: aggregator_messages(
                model, self.aggregator, ctx.history, ctx.prompt, answers
            ),
        )
