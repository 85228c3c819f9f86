"""Sending one request: its headers awaited under a backstop timer, failures typed.

Connection problems, redirects and error statuses all become `ProviderError`s whose text names the
endpoint and says what to do; an error body is read (at most `MAX_ERROR_BODY` bytes) for the
API's own message, scrubbed of the key.
"""

from __future__ import annotations

import asyncio

import httpx

from cltui.core.providers.deadlines import Limit
from cltui.core.providers.error_wording import ErrorWording, StreamProgress
from cltui.core.providers.errors import (
    BadRequestError,
    ConnectionFailedError,
    ProviderError,
    RequestTimeoutError,
)
from cltui.core.providers.http_errors import error_from_response
from cltui.core.providers.streaming import read_body

MAX_ERROR_BODY = 64 * 1024
"""Bytes of an error body read for its message; an HTML error page can be large."""


async def send(
    http: httpx.AsyncClient,
    request: httpx.Request,
    wording: ErrorWording,
    model: str | None,
    progress: StreamProgress | None = None,
) -> httpx.Response:
    """Send a request and return the open response once its headers arrived; an error
    status is read and raised as a typed error. The wait is bounded by the call's deadlines
    when `progress` carries them."""
    subject = wording.subject(model)
    backstop: float = wording.provider.connect_timeout + wording.provider.idle_timeout
    limit: Limit = "idle"
    if progress is not None and progress.deadline is not None:
        backstop, limit = progress.deadline.next_wait(backstop, text_started=False)
    try:
        async with asyncio.timeout(backstop):
            response = await http.send(request, stream=True)
    except httpx.ConnectTimeout:
        raise RequestTimeoutError(
            f"{subject}: could not connect to {wording.where()} within "
            f"{wording.provider.connect_timeout:g} s",
            model=model,
        ) from None
    except (httpx.TimeoutException, TimeoutError):
        if progress is not None and limit != "idle":
            raise wording.deadline(limit, model or "", progress) from None
        raise RequestTimeoutError(
            f"{subject}: no answer from {wording.where()} within "
            f"{wording.provider.idle_timeout:g} s (idle timeout)",
            model=model,
        ) from None
    except httpx.UnsupportedProtocol:
        raise ProviderError(
            f"{subject}: base_url '{wording.clean(wording.provider.base_url)}' must start with "
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
        secrets=(wording.key,),
        key_hint=wording.key_hint,
        reason_phrase=response.reason_phrase,
    )
