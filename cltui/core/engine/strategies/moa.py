"""Mixture-of-Agents: layers of proposers, each layer reading every answer of the layer before.

Each round: layer 1 answers the conversation (as in `iterative`, with the previous aggregate in
improvement rounds); every proposer of layer k gets the same messages with layer k-1's good
answers added to its system prompt (Aggregate-and-Synthesize); the aggregator merges the last
layer's answers into the round's aggregate.

Where the layers live in the session: `Round.replies` holds the current (in the end, the last)
layer and `Round.layer` its number, 1-based; each finished earlier layer is moved, in order, to
`Round.reviews` (role 'proposer'), one reply per model in config order, so layer k is
`reviews[(k-1)·N : k·N]`. Every layer's proposers use the models' own slots, so a UI's panes
show the latest layer, and a resumed round picks up in the layer where it stopped.
"""

from __future__ import annotations

from cltui.core.config import ModelSpec
from cltui.core.engine.calls import Call
from cltui.core.engine.context import TurnContext
from cltui.core.engine.prompts import aggregator_messages
from cltui.core.engine.strategies.base import check_quorum
from cltui.core.engine.strategies.rounds import RoundsStrategy, ok_answers
from cltui.core.ranking import moa_messages
from cltui.core.sessions.model import Reply, Round


class MoaStrategy(RoundsStrategy):
    name = "moa"

    async def run_round(self, ctx: TurnContext, rnd: Round) -> str:
        layers = self.config.layers
        if rnd.layer is None:
            rnd.layer = 1
        while True:
            self.started(ctx, rnd, f"layer {rnd.layer}/{layers}")
            await self.propose(ctx, rnd)
            check_quorum(self.config, rnd, self.config.models)
            if rnd.layer >= layers:
                break
            rnd.reviews.extend(rnd.replies)
            rnd.replies = []
            rnd.layer += 1
        answers = ok_answers(rnd.replies)
        return await self.aggregate(
            ctx,
            rnd,
            lambda model: aggregator_messages(
                model, self.aggregator, ctx.history, ctx.prompt, answers
            ),
        )

    def layer_replies(self, rnd: Round, layer: int) -> list[Reply]:
        """The replies of one layer (1-based) of the round, as far as it has got."""
        if rnd.layer is None or layer > rnd.layer or layer < 1:
            return []
        if layer == rnd.layer:
            return list(rnd.replies)
        n = len(self.config.models)
        earlier = [r for r in rnd.reviews if r.role == "proposer"]
        return earlier[(layer - 1) * n : layer * n]

    def proposer_call(self, ctx: TurnContext, rnd: Round, model: ModelSpec) -> Call:
        """Layer 1's call, with the previous layer's good answers added in later layers."""
        call = super().proposer_call(ctx, rnd, model)
        previous = ok_answers(self.layer_replies(rnd, (rnd.layer or 1) - 1))
        if not previous:
            return call
        return Call(call.slot, model, call.role, tuple(moa_messages(call.messages, previous)))
