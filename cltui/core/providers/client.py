"""The one HTTP client for every OpenAI-compatible endpoint (OpenRouter, local servers, the demo).

Each provider gets one `OpenAIClient` and so one connection pool, reused by every call of a run:
opening a client per call costs a TLS handshake each time. The client streams chat over SSE,
turns every failure into a typed `ProviderError` whose text says what to do, retries transient
failures before the first text arrives, and keeps the key out of everything but the
Authorization header.

This module holds the call logic (retries, admission, deadlines); sending one request and typing
its HTTP failures is in `sending`, reading streamed bodies in `streaming`, whole answers in
`answers`, the endpoints besides chat in `endpoints`, the call deadlines in `deadlines`, and the
wording of errors in `error_wording`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from typing import Any, TypeVar

import httpx

from cltui import __version__
from cltui.core.config import ProviderSpec
from cltui.core.providers.answers import (
    chat_result,
    error_object,
    json_or_malformed,
    result_as_chunk,
)
from cltui.core.providers.base import (
    ChatRequest,
    RetryCallback,
    RetryNotice,
    StreamChunk,
)
from cltui.core.providers.deadlines import CallDeadline, Limit, limit_waiter
from cltui.core.providers.endpoints import (
    fetch_credits,
    fetch_generation,
    fetch_key_info,
    fetch_models,
)
from cltui.core.providers.error_wording import ErrorWording, StreamProgress
from cltui.core.providers.errors import (
    MissingKeyError,
    ProviderError,
    UnsupportedError,
    refuses_usage_option,
)
from cltui.core.providers.keys import missing_key_message
from cltui.core.providers.limits import ProviderLimits
from cltui.core.providers.results import ChatResult, CreditsInfo, ModelInfo, estimated_usage
from cltui.core.providers.retry import RetryPolicy, retry_reason
from cltui.core.providers.sending import send
from cltui.core.providers.streaming import read_body, stream_response

ATTRIBUTION_HEADERS = {
    "HTTP-Referer": "https://github.com/cltui/cltui",
    "X-OpenRouter-Title": "cltui",
}
EXTRA_CONNECTIONS = 2
"""Pool room beyond the chat cap for side calls (credits, models) made while chats stream."""

T = TypeVar("T")


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
        deadline_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`clock` and `sleep` drive the free-model window and retry waits (tests pass fakes);
        `deadline_clock` measures the first-token and total deadlines."""
        self.provider = provider
        self._deadline_clock = deadline_clock
        self._key = api_key or None
        self._sleep = sleep
        self._key_hint = key_hint or provider.api_key_env or "the API key"
        self._wording = ErrorWording(provider, self._key, self._key_hint)
        self._refuses_usage_option = False
        """The server rejected `stream_options` once: streams ask without it from then on."""
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
        """Stream one chat completion (POST /chat/completions with stream: true). A server that
        sends no usage, or only zeros (some proxies send zeros in every chunk), gets an
        estimated one at the end, marked as an estimate."""
        body = request.to_body(stream=True)
        if self._refuses_usage_option:
            del body["stream_options"]
        counted, chars = False, 0
        try:
            async for chunk in self._stream("chat/completions", body, request.model, on_retry):
                if chunk.usage is not None:  # zeros for a reply with text are no count at all
                    counted = chunk.usage.prompt_tokens > 0 or chunk.usage.completion_tokens > 0
                chars += len(chunk.content) + len(chunk.reasoning)
                yield chunk
        except ProviderError as error:  # a strict server that knows no `stream_options`
            if chars or "stream_options" not in body or not refuses_usage_option(error):
                raise
            self._refuses_usage_option = True
            async for chunk in self.stream_chat(request, on_retry=on_retry):
                yield chunk
            return
        if not counted:
            yield StreamChunk(usage=estimated_usage(body.get("messages"), chars))

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
        return chat_result(payload, request.model, self._wording)

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
        yield result_as_chunk(chat_result(payload, model, self._wording))

    async def list_models(self) -> list[ModelInfo]:
        """GET /models (public on OpenRouter, so no key is required)."""
        return await fetch_models(self._get_json, self.provider.name)

    async def credits(self) -> CreditsInfo:
        """The balance from GET /credits, or from GET /key when /credits is refused (it needs a
        management key) or answers all zeros (observed with ordinary keys)."""
        self._require_openrouter("credits")
        return await fetch_credits(self._get_json)

    async def key_info(self) -> dict[str, Any]:
        """GET /key (falling back to the older /auth/key): this key's limit, usage, tier."""
        self._require_openrouter("key information")
        return await fetch_key_info(self._get_json)

    async def generation(self, generation_id: str) -> dict[str, Any]:
        """GET /generation?id=...: the stats of one finished call (may 404 for a few seconds)."""
        self._require_openrouter("generation stats")
        return await fetch_generation(self._get_json, generation_id)

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
        """Stream with retries: a failed attempt is retried only while no text was yielded, and
        only while the wait leaves time before the call's deadlines."""
        self._require_key(model)
        deadline = CallDeadline(self.provider, self._deadline_clock)
        on_wait = limit_waiter(on_retry, deadline, model, self._wording.subject(model))
        attempt = 1
        while True:
            progress = StreamProgress(deadline=deadline)
            try:
                async with self.limits.slot(model, on_wait, deadline.queued):
                    async for chunk in self._stream_attempt(path, body, model, progress):
                        yield chunk
                return
            except ProviderError as error:
                if progress.started:
                    raise
                delay = self.retry_policy.delay_before_retry(error, attempt)
                if delay is None or not deadline.allows_wait(delay):
                    raise
                failure = error
            attempt += 1
            self._notify(on_retry, attempt, delay, failure)
            await self._sleep(delay)

    async def _stream_attempt(
        self, path: str, body: dict[str, Any], model: str, progress: StreamProgress
    ) -> AsyncIterator[StreamChunk]:
        headers = {"Accept": "text/event-stream", "Accept-Encoding": "identity"}
        if progress.deadline is not None:
            progress.deadline.request_sent()
        response = await self._send(
            "POST", path, model, json_body=body, headers=headers, progress=progress
        )
        try:
            chunks = stream_response(response, model, progress, self._wording)
            async with aclosing(chunks):
                async for chunk in chunks:
                    yield chunk
        finally:
            await response.aclose()

    # ----------------------------------------------------------------------------------------
    # Plain requests

    async def _get_json(self, path: str, params: dict[str, str] | None) -> Any:
        """A GET answered with JSON, for the endpoints besides chat."""
        return await self._request_json("GET", path, params=params)

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
                raw = await read_body(response, model, self._wording)
            finally:
                await response.aclose()
            payload = json_or_malformed(raw, model, self._wording)
            if isinstance(payload, Mapping) and payload.get("error") and not payload.get("choices"):
                raise self._wording.from_payload(error_object(payload["error"]), model)
            return payload

        deadline = CallDeadline(self.provider, self._deadline_clock)
        on_wait = limit_waiter(on_retry, deadline, model or "", self._wording.subject(model or ""))

        async def admitted() -> Any:
            if not admission:
                return await once()
            async with self.limits.slot(model or "", on_wait, deadline.queued):
                return await once()

        limit: Limit = "total" if admission else "first_token"
        retried = self._with_retries(admitted, on_retry, deadline)
        return await self._within(retried, model, limit)

    async def _with_retries(
        self,
        call: Callable[[], Awaitable[T]],
        on_retry: RetryCallback | None,
        deadline: CallDeadline,
    ) -> T:
        attempt = 1
        while True:
            try:
                return await call()
            except ProviderError as error:
                delay = self.retry_policy.delay_before_retry(error, attempt)
                if delay is None or not deadline.allows_wait(delay):
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
        progress: StreamProgress | None = None,
    ) -> httpx.Response:
        """Send a request; the open response once its headers arrived (see `sending.send`)."""
        request = self._http.build_request(
            method, path, json=json_body, params=params, headers=headers
        )
        return await send(self._http, request, self._wording, model, progress)

    # ----------------------------------------------------------------------------------------
    # Keys and retries

    def _require_key(self, model: str | None) -> None:
        env = self.provider.api_key_env
        if env and not self._key:
            raise MissingKeyError(missing_key_message(self.provider), model=model)

    def _require_openrouter(self, what: str) -> None:
        """OpenRouter-only endpoints go to OpenRouter (or the simulated models) only: another
        server has no such endpoint (a 404 on every run) and must not be asked with a key."""
        if self.provider.kind not in ("openrouter", "demo"):
            raise UnsupportedError(
                f"{self.provider.name}: {what} are OpenRouter's own and {self._wording.where()} "
                "is not OpenRouter (to reach OpenRouter through a proxy, set "
                "OPENROUTER_BASE_URL instead of --base-url)"
            )
        self._require_key(None)

    async def _within(self, call: Awaitable[T], model: str | None, limit: Limit) -> T:
        """A whole (non-streamed) call, retries included, within `total_timeout`, or within
        `first_token_timeout` for a side call (models, credits), whose answer is its first
        token: keep-alive bytes must not hold either for ever."""
        provider = self.provider
        seconds = provider.total_timeout if limit == "total" else provider.first_token_timeout
        try:
            async with asyncio.timeout(seconds):
                return await call
        except TimeoutError:
            raise self._wording.deadline(limit, model or "", StreamProgress()) from None

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
