"""Consensus Learning: propose, aggregate, feed the aggregate back, repeat.

Round 0: every model answers the conversation. The aggregator merges the answers. Improvement
rounds 1..iterations: every model gets its round-0 messages plus the consensus and the
improvement prompt, and the aggregator merges again. The last aggregate is the final answer.
Failed models don't sink a round while the quorum holds, and a fallback aggregator can stand in.
"""

from __future__ import annotations

from functools import partial

from cltui.core.config import AggregatorSpec, ConfigError, ConsensusConfig, ModelSpec
from cltui.core.engine.calls import Call, run_call, run_calls
from cltui.core.engine.context import TurnContext, TurnFailed
from cltui.core.engine.prompts import aggregator_messages, improvement_messages, proposer_messages
from cltui.core.engine.strategies.base import Strategy, check_quorum, place_reply
from cltui.core.events import AGGREGATOR_SLOT, RoundFinished, RoundStarted
from cltui.core.messages import ChatMessage
from cltui.core.session import Reply, Round


class IterativeStrategy(Strategy):
    name = "iterative"

    def __init__(self, config: ConsensusConfig) -> None:
        super().__init__(config)
        if config.aggregator is None:
            raise ConfigError(
                config.source,
                "aggregator",
                "is missing: strategy 'iterative' needs an [aggregator] with a 'model'",
            )
        self.aggregator: AggregatorSpec = config.aggregator

    def planned_calls(self) -> int:
        return (len(self.config.models) + 1) * self.config.rounds

    async def run(self, ctx: TurnContext) -> str:
        total = self.config.rounds
        aggregate = ""
        for index in range(total):
            rnd = ctx.round(index)
            if rnd.complete:  # done in an earlier run: never redone
                assert rnd.aggregate is not None
                aggregate = rnd.aggregate.content
                if self.should_stop(ctx, rnd):
                    break
                continue
            ctx.emit(RoundStarted(ctx.turn_index, index, total))
            await self._propose(ctx, rnd)
            try:
                check_quorum(self.config, rnd, self.config.models)
                aggregate = await self._aggregate(ctx, rnd)
            except TurnFailed:
                ctx.emit(RoundFinished(ctx.turn_index, index, rnd.agreement))
                raise
            if index > 0:
                rnd.agreement = self.measure_agreement(ctx, rnd)
            stop = index < total - 1 and self.should_stop(ctx, rnd)
            ctx.emit(RoundFinished(ctx.turn_index, index, rnd.agreement, stopped_early=stop))
            if stop:
                break
        return aggregate

    # Proposals -------------------------------------------------------------------------------

    def proposer_messages(
        self, ctx: TurnContext, model: ModelSpec, aggregate: str | None
    ) -> tuple[ChatMessage, ...]:
        """Round 0's messages, plus the consensus and improvement prompt after round 0."""
        first = proposer_messages(model, self.config.conversation, ctx.history, ctx.prompt)
        if aggregate is None:
            return first
        return improvement_messages(
            first, aggregate, self.config.aggregated_prompt_type, self.config.improvement_prompt
        )

    def _previous_aggregate(self, ctx: TurnContext, rnd: Round) -> str | None:
        if rnd.index == 0:
            return None
        previous = ctx.turn.rounds[rnd.index - 1].aggregate
        assert previous is not None and previous.done, "rounds run in order"
        return previous.content

    def _proposer_call(self, ctx: TurnContext, rnd: Round, model: ModelSpec) -> Call:
        messages = self.proposer_messages(ctx, model, self._previous_aggregate(ctx, rnd))
        return Call(model.name, model, "proposer", messages)

    async def _propose(self, ctx: TurnContext, rnd: Round) -> None:
        """Call every proposer that has no good answer in this round yet."""
        missing = [m for m in self.config.models if not ((r := rnd.reply_for(m.name)) and r.done)]
        calls = [self._proposer_call(ctx, rnd, m) for m in missing]
        order = [m.name for m in self.config.models]
        await run_calls(ctx, rnd.index, calls, lambda _call, reply: place_reply(rnd, reply, order))

    def retry_call(self, ctx: TurnContext, rnd: Round, slot: str) -> Call | None:
        model = next((m for m in self.config.models if m.name == slot), None)
        if model is None or (rnd.index > 0 and not ctx.turn.rounds[rnd.index - 1].complete):
            return None
        return self._proposer_call(ctx, rnd, model)

    # Aggregation -----------------------------------------------------------------------------

    async def _aggregate(self, ctx: TurnContext, rnd: Round) -> str:
        """Merge the round's good answers; the fallback stands in when the aggregator fails."""
        if rnd.aggregate is not None and rnd.aggregate.done:
            return rnd.aggregate.content
        answers = [(r.model, r.content) for r in rnd.replies if r.done]
        candidates = [self.aggregator.model]
        if self.aggregator.fallback is not None:
            candidates.append(self.aggregator.fallback)
        failures: list[Reply] = []
        for model in candidates:
            messages = aggregator_messages(model, self.aggregator, ctx.history, ctx.prompt, answers)
            call = Call(AGGREGATOR_SLOT, model, "aggregator", messages)
            reply = await run_call(ctx, rnd.index, call, partial(_set_aggregate, rnd))
            if reply.done:
                return reply.content
            failures.append(reply)
        raise TurnFailed(_aggregation_failure(failures))


def _set_aggregate(rnd: Round, _call: Call, reply: Reply) -> None:
    rnd.aggregate = reply


def _aggregation_failure(failures: list[Reply]) -> str:
    first = failures[0]
    reason = f"the aggregator {first.model} failed: {first.error or first.status}"
    if len(failures) > 1:
        fallback = failures[1]
        reason += f"; its fallback {fallback.model} failed too: {fallback.error or fallback.status}"
    return reason
