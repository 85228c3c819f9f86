"""The round loop every consensus strategy shares, and the proposal and aggregation steps.

A turn is `config.rounds` rounds. Round 0's proposers answer the conversation; in improvement
rounds they also get the previous aggregate and the improvement prompt (Consensus Learning's
feedback, the same for every strategy). What happens between proposing and aggregating (judging,
peer review, more layers) is each strategy's `run_round`. The loop measures how far each
aggregate agrees with the one before, records it, and skips the remaining rounds once it
reaches `stop_when_agreement`: that lives here, once, so every strategy stops the same way.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from functools import partial

from cltui.core.config import AggregatorSpec, ConfigError, ConsensusConfig, ModelSpec
from cltui.core.engine.calls import Call, run_call, run_calls
from cltui.core.engine.context import TurnContext, TurnFailed
from cltui.core.engine.prompts import answer_text, improvement_messages, proposer_messages
from cltui.core.engine.strategies.base import Strategy, place_reply
from cltui.core.events import AGGREGATOR_SLOT, RoundFinished, RoundStarted
from cltui.core.messages import ChatMessage
from cltui.core.sessions.model import Reply, Round

AggregatorMessages = Callable[[ModelSpec], Sequence[ChatMessage]]
"""Builds the aggregator's messages for the aggregator or its fallback model."""


class RoundsStrategy(Strategy):
    """A strategy made of rounds that each end in an aggregate; subclasses write `run_round`."""

    def __init__(self, config: ConsensusConfig) -> None:
        super().__init__(config)
        if config.aggregator is None:
            raise ConfigError(
                config.source,
                "aggregator",
                f"is missing: strategy '{self.name}' needs an [aggregator] with a 'model'",
            )
        self.aggregator: AggregatorSpec = config.aggregator

    @abstractmethod
    async def run_round(self, ctx: TurnContext, rnd: Round) -> str:
        """Work one round to its aggregate (keeping what an earlier run finished) and return it.

        Starts by emitting `RoundStarted` (see `started`); raises `TurnFailed` when it can't.
        """

    async def run(self, ctx: TurnContext) -> str:
        total = self.config.rounds
        aggregate = ""
        for index in range(total):
            rnd = ctx.round(index)
            if rnd.complete:  # done in an earlier run: never redone
                assert rnd.aggregate is not None
                aggregate = rnd.aggregate.content
                if index < total - 1 and self.should_stop(ctx, rnd):
                    break
                continue
            try:
                aggregate = await self.run_round(ctx, rnd)
            except TurnFailed:
                ctx.emit(RoundFinished(ctx.turn_index, index, rnd.agreement))
                raise
            if index > 0:  # round 0 has nothing to agree with
                rnd.agreement = self.measure_agreement(ctx, rnd)
            stop = index < total - 1 and self.should_stop(ctx, rnd)
            ctx.emit(RoundFinished(ctx.turn_index, index, rnd.agreement, stopped_early=stop))
            if stop:
                break
        return aggregate

    def started(self, ctx: TurnContext, rnd: Round, stage: str = "propose") -> None:
        """Announce that the round (or one stage of it, e.g. an moa layer) begins."""
        ctx.emit(RoundStarted(ctx.turn_index, rnd.index, self.config.rounds, stage))

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

    def previous_aggregate(self, ctx: TurnContext, rnd: Round) -> str | None:
        """The aggregate the proposers of `rnd` improve on; None in round 0."""
        if rnd.index == 0:
            return None
        previous = ctx.turn.rounds[rnd.index - 1].aggregate
        assert previous is not None and previous.done, "rounds run in order"
        return answer_text(previous)

    def proposer_call(self, ctx: TurnContext, rnd: Round, model: ModelSpec) -> Call:
        """The call a proposer makes in this round (at its current stage)."""
        messages = self.proposer_messages(ctx, model, self.previous_aggregate(ctx, rnd))
        return Call(model.name, model, "proposer", messages)

    async def propose(self, ctx: TurnContext, rnd: Round) -> None:
        """Call every proposer that has no good answer in this round yet."""
        models = self.config.models
        missing = [m for m in models if not ((r := rnd.reply_for(m.name)) and r.done)]
        calls = [self.proposer_call(ctx, rnd, m) for m in missing]
        order = [m.name for m in models]
        await run_calls(ctx, rnd.index, calls, lambda _call, reply: place_reply(rnd, reply, order))

    def retry_call(self, ctx: TurnContext, rnd: Round, slot: str) -> Call | None:
        model = next((m for m in self.config.models if m.name == slot), None)
        if model is None or (rnd.index > 0 and not ctx.turn.rounds[rnd.index - 1].complete):
            return None
        return self.proposer_call(ctx, rnd, model)

    # Aggregation -----------------------------------------------------------------------------

    async def aggregate(
        self, ctx: TurnContext, rnd: Round, messages_for: AggregatorMessages
    ) -> str:
        """Make the round's aggregate; the fallback stands in when the aggregator fails.

        A failed attempt is kept in `Round.aggregate_attempts` (it may have cost something, and
        the session must say the aggregator failed), so `Round.aggregate` is always the reply of
        the model that wrote the answer."""
        if rnd.aggregate is not None and rnd.aggregate.done:
            return rnd.aggregate.content
        candidates = [self.aggregator.model]
        if self.aggregator.fallback is not None:
            candidates.append(self.aggregator.fallback)
        failures: list[Reply] = []
        for model in candidates:
            if rnd.aggregate is not None:  # failed, here or in an earlier run
                rnd.aggregate_attempts.append(rnd.aggregate)
                rnd.aggregate = None
            call = Call(AGGREGATOR_SLOT, model, "aggregator", tuple(messages_for(model)))
            reply = await run_call(ctx, rnd.index, call, partial(_set_aggregate, rnd))
            if reply.done:
                return reply.content
            failures.append(reply)
        raise TurnFailed(_aggregation_failure(failures))


def ok_answers(replies: Sequence[Reply]) -> list[tuple[str, str]]:
    """(label, text) of the replies with a usable answer, in their order; a cut-off answer's
    text says so at its end (`answer_text`)."""
    return [(r.model, answer_text(r)) for r in replies if r.done]


def _set_aggregate(rnd: Round, _call: Call, reply: Reply) -> None:
    rnd.aggregate = reply


def _aggregation_failure(failures: list[Reply]) -> str:
    first = failures[0]
    reason = f"the aggregator {first.model} failed: {first.error or first.status}"
    if len(failures) > 1:
        fallback = failures[1]
        reason += f"; its fallback {fallback.model} failed too: {fallback.error or fallback.status}"
    return reason
