"""Plain chat: one model, no aggregator. One call per turn; its answer is the final answer."""

from __future__ import annotations

from functools import partial

from cltui.core.config import ConsensusConfig
from cltui.core.engine.calls import Call, run_call
from cltui.core.engine.context import TurnContext, TurnFailed
from cltui.core.engine.prompts import proposer_messages
from cltui.core.engine.strategies.base import Strategy, place_reply
from cltui.core.events import RoundFinished, RoundStarted
from cltui.core.sessions.model import Reply, Round, Turn


class PlainChatStrategy(Strategy):
    name = "plain"

    def __init__(self, config: ConsensusConfig) -> None:
        super().__init__(config)
        self.model = config.models[0]

    def _call(self, ctx: TurnContext) -> Call:
        messages = proposer_messages(self.model, self.config.conversation, ctx.history, ctx.prompt)
        return Call(self.model.name, self.model, "proposer", messages)

    async def run(self, ctx: TurnContext) -> str:
        rnd = ctx.round(0)
        existing = rnd.reply_for(self.model.name)
        if existing is not None and existing.done:
            return existing.content
        ctx.emit(RoundStarted(ctx.turn_index, 0, 1))
        place = partial(_place, rnd, self.model.name)
        reply = await run_call(ctx, 0, self._call(ctx), place)
        ctx.emit(RoundFinished(ctx.turn_index, 0))
        if not reply.done:
            raise TurnFailed(f"{reply.model}: {reply.error or reply.status}")
        return reply.content

    def retry_call(self, ctx: TurnContext, rnd: Round, slot: str) -> Call | None:
        return self._call(ctx) if slot == self.model.name and rnd.index == 0 else None

    def final_so_far(self, turn: Turn) -> str:
        return ""


def _place(rnd: Round, label: str, _call: Call, reply: Reply) -> None:
    place_reply(rnd, reply, [label])
