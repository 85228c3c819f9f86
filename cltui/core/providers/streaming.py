"""Reading a response body: server-sent events turned into `StreamChunk`s, under an idle timer.

Every read, keep-alive comments included, restarts the idle timer, so a slow but living stream
is never cut while a stalled one fails after `idle_timeout`; the call's first-token and total
deadlines (`deadlines`) bound every read too, and comments do not move them. Errors that arrive
inside the stream (an `error` event, a choice finishing with `error`, invalid JSON, a dropped
connection) keep the text streamed so far, as `ErrorWording` phrases them. A body that ends
with text but neither a finish reason nor [DONE] ends with a `NO_FINISH_REASON` chunk, so the
caller can mark the answer as possibly cut off instead of whole.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator, Mapping

import httpx

from cltui.core.providers.answers import (
    chat_result,
    error_object,
    json_or_malformed,
    reasoning_of,
    result_as_chunk,
    text_of,
)
from cltui.core.providers.base import NO_FINISH_REASON, StreamChunk
from cltui.core.providers.deadlines import Limit
from cltui.core.providers.error_wording import ErrorWording, StreamProgress
from cltui.core.providers.errors import MalformedResponseError
from cltui.core.providers.results import parse_usage
from cltui.core.providers.sse import SSEEvent, SSEParser

DRAIN_AFTER_DONE = 1.0
"""Seconds to wait for the body's end after [DONE], so the connection can be reused."""


async def stream_response(
    response: httpx.Response, model: str, progress: StreamProgress, wording: ErrorWording
) -> AsyncGenerator[StreamChunk, None]:
    """The chunks of a streamed answer whose headers have arrived with a good status.

    A JSON body (an endpoint that ignored `stream: true`) becomes one chunk; a web page or a
    body without a single event is an error naming base_url. The caller closes the response."""
    content_type = response.headers.get("content-type", "").lower()
    if "json" in content_type:
        # The endpoint ignored stream: true, or reports an error as a JSON body.
        body = await read_body(response, model, wording)
        yield result_as_chunk(chat_result(json_or_malformed(body, model, wording), model, wording))
        return
    if "html" in content_type:
        raise MalformedResponseError(
            f"{wording.subject(model)}: the endpoint answered a web page, not an event "
            f"stream: is base_url ({wording.provider.base_url}) an OpenAI-compatible API?",
            status=response.status_code,
            model=model,
        )
    header_id = response.headers.get("x-generation-id")
    parser = SSEParser()
    reader = response.aiter_bytes().__aiter__()
    done = finished = False
    while not done:
        raw = await next_read(reader, model, progress, wording)
        events = parser.finish() if raw is None else parser.feed(raw)
        for event in events:
            progress.events += 1
            if event.data.strip() == "[DONE]":
                done = True
                break
            chunk = chunk_from_event(event, model, progress, header_id, wording)
            if chunk is not None:
                finished = finished or chunk.finish_reason is not None
                yield chunk
        if raw is None:
            break
    if progress.events == 0:
        raise MalformedResponseError(
            f"{wording.subject(model)}: the endpoint ended the reply without sending any "
            f"event (HTTP {response.status_code}, {content_type or 'no content type'})",
            status=response.status_code,
            model=model,
        )
    if done:
        await drain(reader)
    elif not finished and progress.text:
        # The body ended without a finish reason or [DONE]: the answer may be cut short.
        yield StreamChunk(finish_reason=NO_FINISH_REASON)


def chunk_from_event(
    event: SSEEvent,
    model: str,
    progress: StreamProgress,
    header_id: str | None,
    wording: ErrorWording,
) -> StreamChunk | None:
    """One event as a chunk, or None when it says nothing (a role-only delta); records the text
    in `progress` and raises the error an event reports."""
    try:
        payload = json.loads(event.data)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise wording.malformed_event(event.data, model, progress)
    error = payload.get("error")
    if error or event.event == "error":
        raise wording.in_stream(error_object(error or payload), model, progress)
    content = reasoning = ""
    finish_reason = None
    choices = payload.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
        choice = choices[0]
        finish_reason = choice.get("finish_reason") or None
        delta = choice.get("delta")
        if isinstance(delta, Mapping):
            content = text_of(delta.get("content"))
            reasoning = reasoning_of(delta)
        elif "text" in choice:  # legacy /completions
            content = text_of(choice.get("text"))
            reasoning = text_of(choice.get("reasoning"))
        if finish_reason == "error":
            progress.text += content
            progress.started = progress.started or bool(content)
            raise wording.in_stream(error_object(choice.get("error")), model, progress)
    usage = parse_usage(payload.get("usage"))
    if content or reasoning:
        progress.text += content
        progress.started = True
    if not (content or reasoning or usage or finish_reason):
        return None
    answered_by = payload.get("model")
    generation_id = payload.get("id")
    return StreamChunk(
        content=content,
        reasoning=reasoning,
        usage=usage,
        finish_reason=str(finish_reason) if finish_reason else None,
        model=answered_by if isinstance(answered_by, str) else None,
        generation_id=generation_id if isinstance(generation_id, str) else header_id,
    )


async def next_read(
    reader: AsyncIterator[bytes], model: str, progress: StreamProgress, wording: ErrorWording
) -> bytes | None:
    """The next raw read, or None at the end of the body. Every read, keep-alive comments
    included, restarts the idle timer; the call's deadlines (first token, total) do not move."""
    wait: float = wording.provider.idle_timeout
    limit: Limit = "idle"
    if progress.deadline is not None:
        wait, limit = progress.deadline.next_wait(wait, text_started=progress.started)
    try:
        async with asyncio.timeout(wait):
            return await reader.__anext__()
    except StopAsyncIteration:
        return None
    except (TimeoutError, httpx.TimeoutException):
        raise wording.deadline(limit, model, progress) from None
    except httpx.RequestError as error:
        raise wording.dropped(error, model, progress) from None


async def read_body(
    response: httpx.Response, model: str | None, wording: ErrorWording, limit: int | None = None
) -> bytes:
    """The body, read with the idle timer (and at most `limit` bytes when given)."""
    progress = StreamProgress()
    parts: list[bytes] = []
    size = 0
    reader = response.aiter_bytes().__aiter__()
    while True:
        raw = await next_read(reader, model or "", progress, wording)
        if raw is None:
            break
        parts.append(raw)
        size += len(raw)
        if limit is not None and size >= limit:
            break
    return b"".join(parts)


async def drain(reader: AsyncIterator[bytes]) -> None:
    """Read to the end of the body after [DONE] so the connection returns to the pool."""
    try:
        async with asyncio.timeout(DRAIN_AFTER_DONE):
            async for _ in reader:
                pass
    except (TimeoutError, httpx.HTTPError):
        pass
