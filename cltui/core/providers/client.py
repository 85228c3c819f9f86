"""The one HTTP client for every OpenAI-compatible endpoint (OpenRouter, local servers, the demo).

Each provider gets one `OpenAIClient` and so one connection pool, reused by every call of a run:
opening a client per call costs a TLS handshake each time. The client streams chat over SSE,
turns every failure into a typed `ProviderError` whose text says what to do, retries transient
failures before the first text arrives, and keeps the key out of everything but the
Authorization header.

This module holds the transport (sending, retries, admission, HTTP failures); reading streamed
bodies is in `streaming`, whole answers in `answers`, the endpoints besides chat in `endpoints`,
and the wording of errors in `error_wording`.
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
from cltui.core.providers.base import ChatRequest, RetryCallback, RetryNotice, StreamChunk
from cltui.core.providers.endpoints import (
    fetch_credits,
    fetch_generation,
    fetch_key_info,
    fetch_models,
)
from cltui.core.providers.error_wording import ErrorWording, StreamProgress
from cltui.core.providers.errors import (
    BadRequestError,
    ConnectionFailedError,
    MissingKeyError,
    ProviderError,
    RequestTimeoutError,
)
from cltui.core.providers.http_errors import error_from_response
from cltui.core.providers.keys import missing_key_message
from cltui.core.providers.limits import ProviderLimits
from cltui.core.providers.results import ChatResult, CreditsInfo, ModelInfo
from cltui.core.providers.retry import RetryPolicy, retry_reason
from cltui.core.providers.streaming import read_body, stream_response

ATTRIBUTION_HEADERS = {
    "HTTP-Referer": "https://github.com/cltui/cltui",
    "X-OpenRouter-Title": "cltui",
}
MAX_ERROR_BODY = 64 * 1024
"""Bytes of an error body read for its message; an HTML error page can be large."""
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
    ) -> None:
        self.provider = provider
        self._key = api_key or None
        self._sleep = sleep
        self._key_hint = key_hint or provider.api_key_env or "the API key"
        self._wording = ErrorWording(provider, self._key, self._key_hint)
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
        self._require_key(None)
        return await fetch_credits(self._get_json)

    async def key_info(self) -> dict[str, Any]:
        """GET /key (falling back to the older /auth/key): this key's limit, usage, tier."""
        self._require_key(None)
        return await fetch_key_info(self._get_json)

    async def generation(self, generation_id: str) -> dict[str, Any]:
        """GET /generation?id=...: the stats of one finished call (may 404 for a few seconds)."""
        self._require_key(None)
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
        """Stream with retries: a failed attempt is retried only while no text was yielded."""
        self._require_key(model)
        attempt = 1
        while True:
            progress = StreamProgress()
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
        self, path: str, body: dict[str, Any], model: str, progress: StreamProgress
    ) -> AsyncIterator[StreamChunk]:
        headers = {"Accept": "text/event-stream", "Accept-Encoding": "identity"}
        response = await self._send("POST", path, model, json_body=body, headers=headers)
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
        wording = self._wording
        subject = wording.subject(model)
        request = self._http.build_request(
            method, path, json=json_body, params=params, headers=headers
        )
        backstop = self.provider.connect_timeout + self.provider.idle_timeout
        try:
            async with asyncio.timeout(backstop):
                response = await self._http.send(request, stream=True)
        except httpx.ConnectTimeout:
            raise RequestTimeoutError(
                f"{subject}: could not connect to {wording.where()} within "
                f"{self.provider.connect_timeout:g} s",
                model=model,
            ) from None
        except (httpx.TimeoutException, TimeoutError):
            raise RequestTimeoutError(
                f"{subject}: no answer from {wording.where()} within "
                f"{self.provider.idle_timeout:g} s (idle timeout)",
                model=model,
            ) from None
        except httpx.UnsupportedProtocol:
            raise ProviderError(
                f"{subject}: base_url '{wording.clean(self.provider.base_url)}' must start with "
                "http:// or https://",
                model=model,
            ) from None
        except httpx.ConnectError as error:
            raise ConnectionFailedError(
                f"{subject}: could not connect to {wording.where()} "
                f"({wording.clean(str(error))}): is the endpoint running and base_url right?",
                model=model,
            ) from None
        except httpx.RequestError as error:
            raise ConnectionFailedError(
                f"{subject}: the connection to {wording.where()} failed "
                f"({wording.clean(str(error)) or type(error).__name__})",
                model=model,
            ) from None
        if 300 <= response.status_code < 400:
            await response.aclose()
            location = wording.clean(response.headers.get("location", "elsewhere"), 200)
            raise BadRequestError(
                f"{subject}: the endpoint redirected ({response.status_code}) to {location}: "
                "use the final address as base_url",
                status=response.status_code,
                model=model,
            )
        if response.status_code < 400:
            return response
        try:
            raw = await read_body(response, model, wording, limit=MAX_ERROR_BODY)
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

    # ----------------------------------------------------------------------------------------
    # Keys and retries

    def _require_key(self, model: str | None) -> None:
        env = self.provider.api_key_env
        if env and not self._key:
            raise MissingKeyError(missing_key_message(self.provider), model=model)

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
