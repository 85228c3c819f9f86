"""Making model calls and recording them: the part every strategy shares.

`run_calls` starts a batch of calls together, streams each into its `Reply` and reports every
step as events. Each call's failure is caught and recorded on its own reply, so one broken model
never takes the round down; cancellation settles every unfinished reply before it propagates, so
sinks always see a `ReplyFinished` for each `ReplyStarted`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cltui.core.config import ModelSpec
from cltui.core.engine.context import TurnContext
from cltui.core.events import (
    ReplyDelta,
    ReplyFinished,
    ReplyRetrying,
    ReplyStarted,
    ReplyWaiting,
)
from cltui.core.messages import ChatMessage, Usage
from cltui.core.providers.base import NO_FINISH_REASON, ChatRequest, RetryNotice, WaitNotice
from cltui.core.providers.errors import ProviderError
from cltui.core.providers.results import estimated_usage
from cltui.core.sessions.model import Reply, ReplyRole

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Call:
    """One call to make: who answers, in which pane (`slot`), in which role, with what."""

    slot: str
    model: ModelSpec
    role: ReplyRole
    messages: tuple[ChatMessage, ...]

    def request(self) -> ChatRequest:
        return ChatRequest(
            model=self.model.id,
            messages=self.messages,
            max_tokens=self.model.max_tokens,
            temperature=self.model.temperature,
            params=dict(self.model.params),
        )


Place = Callable[[Call, Reply], None]
"""Puts a new reply where it belongs in the session (a round's replies, its aggregate, ...)."""


def new_reply(call: Call) -> Reply:
    model = call.model
    return Reply(
        model=model.name,
        role=call.role,
        model_id=model.id if model.name != model.id else "",
    )


async def run_calls(
    ctx: TurnContext, round_index: int, calls: Sequence[Call], place: Place
) -> list[Reply]:
    """Start the calls together and wait for all of them; returns their replies in order.

    Every reply is placed in the session and announced before any call begins, so a UI shows
    all panes as started at once and a saved session holds the calls that were under way.
    """
    replies: list[Reply] = []
    for call in calls:
        reply = new_reply(call)
        place(call, reply)
        replies.append(reply)
        ctx.emit(ReplyStarted(ctx.turn_index, round_index, call.slot, reply.model, call.role))
    try:
        async with asyncio.TaskGroup() as group:
            for call, reply in zip(calls, replies, strict=True):
                group.create_task(_stream_reply(ctx, round_index, call, reply))
    except asyncio.CancelledError:
        # Tasks cancelled before their first step never ran their own cleanup.
        for call, reply in zip(calls, replies, strict=True):
            if reply.status == "pending":
                _settle_cancelled(reply)
                ctx.emit(ReplyFinished(ctx.turn_index, round_index, call.slot, reply))
        raise
    return replies


async def run_call(ctx: TurnContext, round_index: int, call: Call, place: Place) -> Reply:
    """One call on its own (an aggregate, a retry)."""
    (reply,) = await run_calls(ctx, round_index, [call], place)
    return reply


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _settle_cancelled(reply: Reply) -> None:
    reply.status = "partial" if reply.content else "cancelled"
    reply.error = "interrupted before it finished"
    reply.error_kind = "cancelled"


def _append(reply: Reply, content: str, reasoning: str) -> None:
    """Add streamed text to the reply in amortised constant time.

    `reply.content += text` copies the whole reply on every chunk (the attribute holds a second
    reference, so CPython cannot grow the string in place): quadratic, seconds of CPU on the
    event loop for a long reasoning trace. Taking the string out of the reply first leaves one
    reference, and the concatenation grows it in place. The reply is complete again before
    this returns, so sinks and saves always see all the text so far."""
    if content:
        text = reply.content
        reply.content = ""
        text += content
        reply.content = text
    if reasoning:
        thought = reply.reasoning
        reply.reasoning = ""
        thought += reasoning
        reply.reasoning = thought


def _apply_usage(reply: Reply, usage: Usage) -> None:
    reply.prompt_tokens = usage.prompt_tokens
    reply.completion_tokens = usage.completion_tokens
    reply.cost = usage.cost
    reply.cost_estimated = usage.cost_estimated if usage.cost is not None else False
    reply.usage_estimated = usage.estimated


def _estimate_usage(call: Call, reply: Reply) -> None:
    """A call that broke off after some text used tokens though no usage came: estimate them
    (marked as an estimate) rather than show a paid, partial reply as 0 tokens and free."""
    if reply.prompt_tokens or reply.completion_tokens or not (reply.content or reply.reasoning):
        return
    messages = [m.to_api() for m in call.messages]
    _apply_usage(reply, estimated_usage(messages, len(reply.content) + len(reply.reasoning)))


def _estimate_cost(ctx: TurnContext, model: ModelSpec, reply: Reply) -> None:
    if reply.cost is not None or ctx.prices is None:
        return
    if not (reply.prompt_tokens or reply.completion_tokens):
        return
    try:
        cost = ctx.prices.estimate(model.id, reply.prompt_tokens, reply.completion_tokens)
    except Exception:  # a price table problem must not lose the reply
        logger.debug("price estimate failed for %s", model.id, exc_info=True)
        return
    if cost is not None:
        reply.cost = cost
        reply.cost_estimated = True


def cut_off_reason(finish_reason: str | None, model: ModelSpec) -> tuple[str, str] | None:
    """(error_kind, user-facing reason) when a finished answer was cut off; None when whole.

    `length` is the answer hitting its token limit; `content_filter` the provider stopping it;
    `NO_FINISH_REASON` a stream that ended without saying it was complete."""
    if finish_reason == "length":
        if model.max_tokens is not None:
            limit = f"max_tokens ({model.max_tokens})"
            fix = f"raise max_tokens for {model.name}"
        else:
            limit = "the server's token limit"
            fix = f"set a higher max_tokens for {model.name}"
        return "length", f"cut off at {limit} — {fix}"
    if finish_reason == "content_filter":
        return "content_filter", "cut off by the provider's content filter"
    if finish_reason == NO_FINISH_REASON:
        return "no_finish", "the stream ended without a finish reason — the answer may be cut off"
    return None


async def _stream_reply(ctx: TurnContext, round_index: int, call: Call, reply: Reply) -> None:
    """Stream one call into its reply; never raises except on cancellation."""
    turn, slot = ctx.turn_index, call.slot
    start = ctx.clock()
    finish_reason: str | None = None

    def on_retry(notice: RetryNotice | WaitNotice) -> None:
        if isinstance(notice, WaitNotice):
            ctx.emit(ReplyWaiting(turn, round_index, slot, notice.reason, notice.seconds))
            return
        retrying = ReplyRetrying(
            turn,
            round_index,
            slot,
            notice.attempt,
            notice.max_attempts,
            notice.delay,
            notice.reason,
        )
        ctx.emit(retrying)

    try:
        backend = ctx.backend_for(call.model)
        stream = backend.stream_chat(call.request(), on_retry=on_retry)
        try:
            async for chunk in stream:
                if chunk.content or chunk.reasoning:
                    if reply.ttft_ms is None:
                        reply.ttft_ms = _ms(ctx.clock() - start)
                    _append(reply, chunk.content, chunk.reasoning)
                    ctx.emit(ReplyDelta(turn, round_index, slot, chunk.content, chunk.reasoning))
                if chunk.usage is not None:
                    _apply_usage(reply, chunk.usage)
                if chunk.model and chunk.model != call.model.id:
                    reply.served_by = chunk.model
                if chunk.finish_reason:
                    finish_reason = chunk.finish_reason
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
    except asyncio.CancelledError:
        _settle_cancelled(reply)
        _estimate_usage(call, reply)
        reply.duration_ms = _ms(ctx.clock() - start)
        _estimate_cost(ctx, call.model, reply)
        ctx.emit(ReplyFinished(turn, round_index, slot, reply))
        raise
    except ProviderError as error:
        if not reply.content and error.partial_text:
            reply.content = error.partial_text
        reply.status = "partial" if reply.content else "error"
        reply.error = str(error)
        reply.error_kind = error.kind
        _estimate_usage(call, reply)
    except Exception as error:  # a backend bug is this call's failure, not the round's
        logger.debug("call to %s failed unexpectedly", call.model.id, exc_info=True)
        reply.status = "partial" if reply.content else "error"
        reply.error = f"unexpected error: {type(error).__name__}: {error}"
        reply.error_kind = "internal"
    else:
        if reply.content.strip():
            reply.status = "ok"
            cut = cut_off_reason(finish_reason, call.model)
            if cut is not None:
                reply.status = "truncated"
                reply.error_kind, reply.error = cut
        else:
            reply.status = "error"
            reply.error_kind = "empty"
            reply.error = "the model returned an empty answer"
            if finish_reason == "length":
                reply.error += " (it hit max_tokens; raise max_tokens for this model)"
    reply.duration_ms = _ms(ctx.clock() - start)
    _estimate_cost(ctx, call.model, reply)
    ctx.emit(ReplyFinished(turn, round_index, slot, reply))
