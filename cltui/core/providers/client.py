"""The one HTTP client for every OpenAI-compatible endpoint (OpenRouter, local servers, the demo).

Each provider gets one `OpenAIClient` and so one connection pool, reused by every call of a run:
opening a client per call costs a TLS handshake each time. The client streams chat over SSE,
turns every failure into a typed `ProviderError` whose text says what to do, retries transient
failures before the first text arrives, and keeps the key out of everything but the
Authorization header.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from cltui import __version__
from cltui.core.config import ProviderSpec
from cltui.core.paths import user_settings_file
from cltui.core.providers.base import ChatRequest, RetryCallback, RetryNotice, StreamChunk
from cltui.core.providers.errors import (
    BadRequestError,
    ConnectionFailedError,
    MalformedResponseError,
    MissingKeyError,
    ModerationError,
    ProviderError,
    RequestTimeoutError,
    StreamBrokenError,
)
from cltui.core.providers.http_errors import (
    clean_text,
    error_from_payload,
    error_from_response,
    parse_json_body,
)
from cltui.core.providers.limits import ProviderLimits
from cltui.core.providers.results import (
    ChatResult,
    CreditsInfo,
    ModelInfo,
    as_float,
    parse_model,
    parse_usage,
)
from cltui.core.providers.retry import RetryPolicy, retry_reason
from cltui.core.providers.sse import SSEEvent, SSEParser

ATTRIBUTION_HEADERS = {
    "HTTP-Referer": "https://github.com/cltui/cltui",
    "X-OpenRouter-Title": "cltui",
}
MAX_ERROR_BODY = 64 * 1024
"""Bytes of an error body read for its message; an HTML error page can be large."""
DRAIN_AFTER_DONE = 1.0
"""Seconds to wait for the body's end after [DONE], so the connection can be reused."""
EXTRA_CONNECTIONS = 2
"""Pool room beyond the chat cap for side calls (credits, models) made while chats stream."""

T = TypeVar("T")


@dataclass(slots=True)
class _Progress:
    """What one attempt has streamed so far: decides retry versus 'broken, keep the text'."""

    text: str = ""
    started: bool = False
    events: int = 0


class OpenAIClient:
    """Chat, completions, models, credits and generation stats of one provider."""

    def __init__(
        self,
        provider: ProviderSpec,
        *,
        api_key: str | None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        key_hint: str = "",
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.provider = provider
        self._key = api_key or None
        self._sleep = sleep
        self._key_hint = key_hint or provider.api_key_env or "the API key"
        self.limits = ProviderLimits(provider.max_concurrency, clock=clock, sleep=sleep)
        self.retry_policy = RetryPolicy(provider.max_retries, rng=rng or random.Random())
        headers = {**ATTRIBUTION_HEADERS, "User-Agent": f"cltui/{__version__}"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        pool = provider.max_concurrency + EXTRA_CONNECTIONS
        self._http = httpx.AsyncClient(
            base_url=provider.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=httpx.Timeout(
                connect=provider.connect_timeout,
                read=provider.idle_timeout,
                write=provider.idle_timeout,
                pool=None,
            ),
            limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
            transport=transport,
            follow_redirects=False,
        )

    # ----------------------------------------------------------------------------------------
    # Public API

    @property
    def http(self) -> httpx.AsyncClient:
        """The connection pool shared by every call of this provider."""
        return self._http

    async def stream_chat(
        self, request: ChatRequest, *, on_retry: RetryCallback | None = None
    ) -> AsyncIterator[StreamChunk]:
        """Stream one chat completion (POST /chat/completions with stream: true)."""
        body = request.to_body(stream=True)
        async for chunk in self._stream("chat/completions", body, request.model, on_retry):
            yield chunk

    async def chat(
        self, request: ChatRequest, *, on_retry: RetryCallback | None = None
    ) -> ChatResult:
        """One chat completion without streaming."""
        self._require_key(request.model)
        payload = await self._request_json(
            "POST",
            "chat/completions",
            body=request.to_body(stream=False),
            model=request.model,
            on_retry=on_retry,
            admission=True,
        )
        return self._chat_result(payload, request.model)

    async def complete(
        self,
        model: str,
        prompt: str,
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stream: bool = False,
        on_retry: RetryCallback | None = None,
    ) -> AsyncIterator[StreamChunk]:
        """Legacy text completion (POST /completions, `choices[].text`); one chunk when not
        streaming."""
        body: dict[str, Any] = {"model": model, "prompt": prompt, "stream": stream}
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        if temperature is not None:
            body["temperature"] = temperature
        if stream:
            async for chunk in self._stream("completions", body, model, on_retry):
                yield chunk
            return
        self._require_key(model)
        payload = await self._request_json(
            "POST", "completions", body=body, model=model, on_retry=on_retry, admission=True
        )
        result = self._chat_result(payload, model)
        yield StreamChunk(
            content=result.content,
            reasoning=result.reasoning,
            usage=result.usage,
            finish_reason=result.finish_reason,
            model=result.model,
            generation_id=result.generation_id,
        )

    async def list_models(self) -> list[ModelInfo]:
        """GET /models (public on OpenRouter, so no key is required)."""
        payload = await self._request_json("GET", "models")
        entries = payload.get("data") if isinstance(payload, Mapping) else payload
        if not isinstance(entries, list):
            raise MalformedResponseError(
                f"{self.provider.name}: GET /models did not return a list of models: "
                "is base_url an OpenAI-compatible endpoint?"
            )
        return [info for info in map(parse_model, entries) if info is not None]

    async def credits(self) -> CreditsInfo:
        """The balance from GET /credits, or from GET /key when /credits is refused (it needs a
        management key) or answers all zeros (observed with ordinary keys)."""
        self._require_key(None)
        try:
            payload = await self._request_json("GET", "credits")
        except (ModerationError, BadRequestError) as error:
            if error.status not in (403, 404):
                raise
            return await self._credits_from_key()
        data = payload.get("data") if isinstance(payload, Mapping) else None
        data = data if isinstance(data, Mapping) else {}
        total = as_float(data.get("total_credits"))
        used = as_float(data.get("total_usage"))
        from_credits = CreditsInfo(
            remaining=None if total is None else total - (used or 0.0),
            used=used,
            limit=total,
            source="credits",
        )
        if not total and not used:
            try:
                return await self._credits_from_key()
            except ProviderError:
                return from_credits
        return from_credits

    async def key_info(self) -> dict[str, Any]:
        """GET /key (falling back to the older /auth/key): this key's limit, usage, tier."""
        self._require_key(None)
        try:
            payload = await self._request_json("GET", "key")
        except BadRequestError as error:
            if error.status != 404:
                raise
            payload = await self._request_json("GET", "auth/key")
        return _data_of(payload)

    async def generation(self, generation_id: str) -> dict[str, Any]:
        """GET /generation?id=...: the stats of one finished call (may 404 for a few seconds)."""
        self._require_key(None)
        payload = await self._request_json("GET", "generation", params={"id": generation_id})
        return _data_of(payload)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> OpenAIClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ----------------------------------------------------------------------------------------
    # Streaming

    async def _stream(
        self, path: str, body: dict[str, Any], model: str, on_retry: RetryCallback | None
    ) -> AsyncIterator[StreamChunk]:
        """Stream with retries: a failed attempt is retried only while no text was yielded."""
        self._require_key(model)
        attempt = 1
        while True:
            progress = _Progress()
            try:
                async with self.limits.slot(model):
                    async for chunk in self._stream_attempt(path, body, model, progress):
                        yield chunk
                return
            except ProviderError as error:
                if progress.started:
                    raise
                delay = self.retry_policy.delay_before_retry(error, attempt)
                if delay is None:
                    raise
                failure = error
            attempt += 1
            self._notify(on_retry, attempt, delay, failure)
            await self._sleep(delay)

    async def _stream_attempt(
        self, path: str, body: dict[str, Any], model: str, progress: _Progress
    ) -> AsyncIterator[StreamChunk]:
        headers = {"Accept": "text/event-stream", "Accept-Encoding": "identity"}
        response = await self._send("POST", path, model, json_body=body, headers=headers)
        try:
            content_type = response.headers.get("content-type", "").lower()
            if "json" in content_type:
                # The endpoint ignored stream: true, or reports an error as a JSON body.
                payload = self._json_or_malformed(await self._read_body(response, model), model)
                result = self._chat_result(payload, model)
                yield StreamChunk(
                    content=result.content,
                    reasoning=result.reasoning,
                    usage=result.usage,
                    finish_reason=result.finish_reason,
                    model=result.model,
                    generation_id=result.generation_id,
                )
                return
            if "html" in content_type:
                raise MalformedResponseError(
                    f"{self._subject(model)}: the endpoint answered a web page, not an event "
                    f"stream: is base_url ({self.provider.base_url}) an OpenAI-compatible API?",
                    status=response.status_code,
                    model=model,
                )
            header_id = response.headers.get("x-generation-id")
            parser = SSEParser()
            reader = response.aiter_bytes().__aiter__()
            done = False
            while not done:
                raw = await self._next_read(reader, model, progress)
                events = parser.finish() if raw is None else parser.feed(raw)
                for event in events:
                    progress.events += 1
                    if event.data.strip() == "[DONE]":
                        done = True
                        break
                    chunk = self._chunk_from_event(event, model, progress, header_id)
                    if chunk is not None:
                        yield chunk
                if raw is None:
                    break
            if progress.events == 0:
                raise MalformedResponseError(
                    f"{self._subject(model)}: the endpoint ended the reply without sending any "
                    f"event (HTTP {response.status_code}, {content_type or 'no content type'})",
                    status=response.status_code,
                    model=model,
                )
            if done:
                await self._drain(reader)
        finally:
            await response.aclose()

    async def _next_read(
        self, reader: AsyncIterator[bytes], model: str, progress: _Progress
    ) -> bytes | None:
        """The next raw read, or None at the end of the body. Every read, keep-alive comments
        included, restarts the idle timer."""
        idle = self.provider.idle_timeout
        try:
            async with asyncio.timeout(idle):
                return await reader.__anext__()
        except StopAsyncIteration:
            return None
        except (TimeoutError, httpx.TimeoutException):
            raise self._stall_error(model, progress) from None
        except httpx.RequestError as error:
            raise self._dropped_error(error, model, progress) from None

    async def _drain(self, reader: AsyncIterator[bytes]) -> None:
        """Read to the end of the body after [DONE] so the connection returns to the pool."""
        try:
            async with asyncio.timeout(DRAIN_AFTER_DONE):
                async for _ in reader:
                    pass
        except (TimeoutError, httpx.HTTPError):
            pass

    def _chunk_from_event(
        self, event: SSEEvent, model: str, progress: _Progress, header_id: str | None
    ) -> StreamChunk | None:
        try:
            payload = json.loads(event.data)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise self._malformed_event_error(event.data, model, progress)
        error = payload.get("error")
        if error or event.event == "error":
            raise self._stream_error(_error_object(error or payload), model, progress)
        content = reasoning = ""
        finish_reason = None
        choices = payload.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
            choice = choices[0]
            finish_reason = choice.get("finish_reason") or None
            delta = choice.get("delta")
            if isinstance(delta, Mapping):
                content = _text_of(delta.get("content"))
                reasoning = _reasoning_of(delta)
            elif "text" in choice:  # legacy /completions
                content = _text_of(choice.get("text"))
                reasoning = _text_of(choice.get("reasoning"))
            if finish_reason == "error":
                progress.text += content
                progress.started = progress.started or bool(content)
                raise self._stream_error(_error_object(choice.get("error")), model, progress)
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

    # ----------------------------------------------------------------------------------------
    # Plain requests

    async def _request_json(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        model: str | None = None,
        on_retry: RetryCallback | None = None,
        admission: bool = False,
    ) -> Any:
        """A JSON answer, with retries; an `error` object in a 200 body is raised as well."""

        async def once() -> Any:
            response = await self._send(method, path, model, json_body=body, params=params)
            try:
                raw = await self._read_body(response, model)
            finally:
                await response.aclose()
            payload = self._json_or_malformed(raw, model)
            if isinstance(payload, Mapping) and payload.get("error") and not payload.get("choices"):
                raise error_from_payload(
                    _error_object(payload["error"]),
                    status=None,
                    subject=self._subject(model),
                    model=model,
                    secrets=(self._key,),
                    key_hint=self._key_hint,
                )
            return payload

        async def admitted() -> Any:
            if not admission:
                return await once()
            async with self.limits.slot(model or ""):
                return await once()

        return await self._with_retries(admitted, on_retry)

    async def _with_retries(
        self, call: Callable[[], Awaitable[T]], on_retry: RetryCallback | None
    ) -> T:
        attempt = 1
        while True:
            try:
                return await call()
            except ProviderError as error:
                delay = self.retry_policy.delay_before_retry(error, attempt)
                if delay is None:
                    raise
                failure = error
            attempt += 1
            self._notify(on_retry, attempt, delay, failure)
            await self._sleep(delay)

    async def _send(
        self,
        method: str,
        path: str,
        model: str | None,
        *,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request and return the open response once its headers arrived; an error
        status is read and raised as a typed error."""
        subject = self._subject(model)
        request = self._http.build_request(
            method, path, json=json_body, params=params, headers=headers
        )
        backstop = self.provider.connect_timeout + self.provider.idle_timeout
        try:
            async with asyncio.timeout(backstop):
                response = await self._http.send(request, stream=True)
        except httpx.ConnectTimeout:
            raise RequestTimeoutError(
                f"{subject}: could not connect to {self._where()} within "
                f"{self.provider.connect_timeout:g} s",
                model=model,
            ) from None
        except (httpx.TimeoutException, TimeoutError):
            raise RequestTimeoutError(
                f"{subject}: no answer from {self._where()} within "
                f"{self.provider.idle_timeout:g} s (idle timeout)",
                model=model,
            ) from None
        except httpx.UnsupportedProtocol:
            raise ProviderError(
                f"{subject}: base_url '{self._clean(self.provider.base_url)}' must start with "
                "http:// or https://",
                model=model,
            ) from None
        except httpx.ConnectError as error:
            raise ConnectionFailedError(
                f"{subject}: could not connect to {self._where()} ({self._clean(str(error))}): "
                "is the endpoint running and base_url right?",
                model=model,
            ) from None
        except httpx.RequestError as error:
            raise ConnectionFailedError(
                f"{subject}: the connection to {self._where()} failed "
                f"({self._clean(str(error)) or type(error).__name__})",
                model=model,
            ) from None
        if 300 <= response.status_code < 400:
            await response.aclose()
            location = self._clean(response.headers.get("location", "elsewhere"), 200)
            raise BadRequestError(
                f"{subject}: the endpoint redirected ({response.status_code}) to {location}: "
                "use the final address as base_url",
                status=response.status_code,
                model=model,
            )
        if response.status_code < 400:
            return response
        try:
            raw = await self._read_body(response, model, limit=MAX_ERROR_BODY)
        except ProviderError:
            raw = b""
        finally:
            await response.aclose()
        raise error_from_response(
            response.status_code,
            raw,
            response.headers,
            subject=subject,
            model=model,
            secrets=(self._key,),
            key_hint=self._key_hint,
            reason_phrase=response.reason_phrase,
        )

    async def _read_body(
        self, response: httpx.Response, model: str | None, limit: int | None = None
    ) -> bytes:
        """The body, read with the idle timer (and at most `limit` bytes when given)."""
        progress = _Progress()
        parts: list[bytes] = []
        size = 0
        reader = response.aiter_bytes().__aiter__()
        while True:
            raw = await self._next_read(reader, model or "", progress)
            if raw is None:
                break
            parts.append(raw)
            size += len(raw)
            if limit is not None and size >= limit:
                break
        return b"".join(parts)

    # ----------------------------------------------------------------------------------------
    # Answers and errors

    def _chat_result(self, payload: Any, model: str) -> ChatResult:
        subject = self._subject(model)
        if not isinstance(payload, Mapping):
            raise MalformedResponseError(f"{subject}: the answer is not a JSON object", model=model)
        error = payload.get("error")
        choices = payload.get("choices")
        if error and not choices:
            raise error_from_payload(
                _error_object(error),
                status=None,
                subject=subject,
                model=model,
                secrets=(self._key,),
                key_hint=self._key_hint,
            )
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
            raise MalformedResponseError(
                f"{subject}: the answer has no choices: is base_url an OpenAI-compatible API?",
                model=model,
            )
        choice = choices[0]
        message = choice.get("message")
        if isinstance(message, Mapping):
            content = _text_of(message.get("content"))
            reasoning = _reasoning_of(message)
        else:
            content = _text_of(choice.get("text"))
            reasoning = _text_of(choice.get("reasoning"))
        if choice.get("finish_reason") == "error" or choice.get("error"):
            progress = _Progress(text=content, started=bool(content))
            raise self._stream_error(_error_object(choice.get("error")), model, progress)
        answered_by = payload.get("model")
        generation_id = payload.get("id")
        finish = choice.get("finish_reason")
        return ChatResult(
            content=content,
            reasoning=reasoning,
            usage=parse_usage(payload.get("usage")),
            finish_reason=str(finish) if finish else None,
            model=answered_by if isinstance(answered_by, str) else None,
            generation_id=generation_id if isinstance(generation_id, str) else None,
        )

    def _json_or_malformed(self, raw: bytes, model: str | None) -> Any:
        payload = parse_json_body(raw)
        if payload is None:
            snippet = self._clean(raw.decode("utf-8", "replace"), 80) or "an empty body"
            raise MalformedResponseError(
                f"{self._subject(model)}: the endpoint answered something that is not JSON "
                f"({snippet}): is base_url an OpenAI-compatible API?",
                model=model,
            )
        return payload

    def _stream_error(
        self, error: Mapping[str, Any], model: str, progress: _Progress
    ) -> ProviderError:
        """An error reported inside a 200 answer: its own type before any text, otherwise a
        broken stream that keeps the text."""
        mapped = error_from_payload(
            error,
            status=None,
            subject=self._subject(model),
            model=model,
            secrets=(self._key,),
            key_hint=self._key_hint,
            partial_text=progress.text,
        )
        if not progress.started:
            return mapped
        reason = mapped.message.removeprefix(f"{self._subject(model)}: ")
        return StreamBrokenError(
            f"{self._subject(model)}: the reply broke off after {len(progress.text)} characters "
            f"({reason}); the text so far is kept",
            status=mapped.status,
            model=model,
            partial_text=progress.text,
        )

    def _malformed_event_error(self, data: str, model: str, progress: _Progress) -> ProviderError:
        snippet = self._clean(data, 80)
        subject = self._subject(model)
        if progress.started:
            return StreamBrokenError(
                f"{subject}: the stream sent an event that is not valid JSON ({snippet}) after "
                f"{len(progress.text)} characters; the text so far is kept",
                model=model,
                partial_text=progress.text,
            )
        return MalformedResponseError(
            f"{subject}: the stream sent an event that is not valid JSON ({snippet}): is "
            "base_url an OpenAI-compatible API?",
            model=model,
        )

    def _stall_error(self, model: str, progress: _Progress) -> ProviderError:
        seconds = f"{self.provider.idle_timeout:g} s"
        subject = self._subject(model or None)
        if progress.started:
            return StreamBrokenError(
                f"{subject}: the reply stalled for {seconds} after {len(progress.text)} "
                "characters (idle timeout); the text so far is kept",
                model=model or None,
                partial_text=progress.text,
            )
        return RequestTimeoutError(
            f"{subject}: no data for {seconds} (idle timeout): the endpoint stalled",
            model=model or None,
        )

    def _dropped_error(
        self, error: httpx.RequestError, model: str, progress: _Progress
    ) -> ProviderError:
        detail = self._clean(str(error), 120) or type(error).__name__
        subject = self._subject(model or None)
        if progress.started:
            return StreamBrokenError(
                f"{subject}: the connection dropped after {len(progress.text)} characters "
                f"({detail}); the text so far is kept",
                model=model or None,
                partial_text=progress.text,
            )
        return ConnectionFailedError(
            f"{subject}: the connection dropped before any text ({detail})", model=model or None
        )

    async def _credits_from_key(self) -> CreditsInfo:
        data = await self.key_info()
        free_tier = data.get("is_free_tier")
        return CreditsInfo(
            remaining=as_float(data.get("limit_remaining")),
            used=as_float(data.get("usage")),
            limit=as_float(data.get("limit")),
            source="key",
            is_free_tier=free_tier if isinstance(free_tier, bool) else None,
        )

    def _require_key(self, model: str | None) -> None:
        env = self.provider.api_key_env
        if env and not self._key:
            raise MissingKeyError(
                f"{env} is not set: export it, add api_key under "
                f"[providers.{self.provider.name}] in {user_settings_file()}, or try --demo",
                model=model,
            )

    def _notify(
        self, on_retry: RetryCallback | None, attempt: int, delay: float, error: ProviderError
    ) -> None:
        if on_retry is not None:
            on_retry(
                RetryNotice(
                    attempt=attempt,
                    max_attempts=self.retry_policy.max_attempts,
                    delay=delay,
                    reason=retry_reason(error),
                )
            )

    def _subject(self, model: str | None) -> str:
        return self._clean(model, 120) if model else self.provider.name

    def _where(self) -> str:
        return self._clean(self.provider.base_url, 200)

    def _clean(self, text: str, limit: int = 300) -> str:
        return clean_text(text, (self._key,), limit)


def _error_object(error: Any) -> Mapping[str, Any]:
    """An `error` field in any of the shapes seen: an object, a string, or missing."""
    if isinstance(error, Mapping):
        inner = error.get("error")
        if isinstance(inner, Mapping) and "message" not in error:
            return inner
        return error
    if isinstance(error, str) and error:
        return {"message": error}
    return {"message": "the provider ended the reply with an error"}


def _text_of(value: Any) -> str:
    """Text from a content field: a string, or a list of `{type: text, text}` parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part["text"]
            for part in value
            if isinstance(part, Mapping) and isinstance(part.get("text"), str)
        )
    return ""


def _reasoning_of(delta: Mapping[str, Any]) -> str:
    """Reasoning text: `reasoning` when given, else the text of `reasoning_details` items
    (OpenRouter sends both with the same text; taking one avoids doubling it)."""
    reasoning = delta.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        return reasoning
    details = delta.get("reasoning_details")
    if not isinstance(details, list):
        return ""
    pieces = []
    for item in details:
        if isinstance(item, Mapping):
            text = item.get("text") if isinstance(item.get("text"), str) else item.get("summary")
            if isinstance(text, str):
                pieces.append(text)
    return "".join(pieces)


def _data_of(payload: Any) -> dict[str, Any]:
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if isinstance(data, Mapping):
        return dict(data)
    return dict(payload) if isinstance(payload, Mapping) else {}
