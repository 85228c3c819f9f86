"""Turning an endpoint's error answer into a typed `ProviderError` with a useful sentence.

Error bodies are untrusted: they may be JSON in OpenRouter's `{"error": {code, message,
metadata}}` shape, another vendor's shape, an HTML proxy page or nothing at all, and they may
echo the request (key included). Everything that reaches a message goes through `clean_text`,
which removes the key and excess length and shows control characters as symbols.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

from cltui.core.providers.errors import (
    AuthenticationError,
    BadRequestError,
    ContextTooLongError,
    InsufficientCreditsError,
    ModelNotFoundError,
    ModerationError,
    ProviderDownError,
    ProviderError,
    RateLimitedError,
    RequestTimeoutError,
)
from cltui.core.providers.results import table
from cltui.core.text import display_line


class _Common(TypedDict):
    """What every typed error of one answer shares."""

    status: int | None
    model: str | None
    partial_text: str

MAX_API_TEXT = 300
"""Characters of the API's own message kept in an error sentence."""
REDACTED = "***"

_KEY_PATTERNS = re.compile(r"(sk-or-v1-[A-Za-z0-9]+|Bearer\s+\S+)", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]{0,200}>")

_CONTEXT_TYPES = {"context_length_exceeded", "token_limit_exceeded", "string_too_long"}
_CONTEXT_WORDS = re.compile(
    r"context length|context window|maximum context|context_length|too many tokens|"
    r"prompt is too long|reduce the length",
    re.IGNORECASE,
)
_NOT_FOUND_WORDS = re.compile(
    r"not a valid model|model_not_found|no endpoints found|model .{0,80}does not exist|"
    r"unknown model|model not found",
    re.IGNORECASE,
)
_DAILY_WORDS = re.compile(r"per-day|per day|daily", re.IGNORECASE)
_AFFORDABLE = re.compile(r"can only afford (\d[\d,]*)", re.IGNORECASE)
"""OpenRouter's 402 when the balance covers some tokens but not max_tokens ("... You requested
up to 64000 tokens, but can only afford 2666")."""

_STRING_CODES = {
    "rate_limit_exceeded": 429,
    "rate_limited": 429,
    "too_many_requests": 429,
    "insufficient_quota": 402,
    "payment_required": 402,
    "context_length_exceeded": 400,
    "invalid_request": 400,
    "invalid_request_error": 400,
    "model_not_found": 404,
    "not_found": 404,
    "authentication": 401,
    "invalid_api_key": 401,
    "permission_denied": 403,
    "moderation": 403,
    "timeout": 408,
    "server_error": 502,
    "provider_overloaded": 529,
    "provider_unavailable": 503,
}


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Replace every known secret, and anything shaped like a key or bearer token, by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _KEY_PATTERNS.sub(REDACTED, text)


def clean_text(text: str, secrets: Iterable[str | None] = (), limit: int = MAX_API_TEXT) -> str:
    """Untrusted API text made safe for a one-line message: scrubbed, control characters shown
    as symbols (`display_line`), whitespace collapsed, truncated."""
    text = display_line(scrub(text, secrets))
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def parse_json_body(body: bytes | str) -> Any:
    """The body as JSON, or None when it is not JSON."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def status_from_code(code: Any, default: int) -> int:
    """An HTTP-like status from an error `code`, which may be a number, a numeric string or a
    name such as 'server_error'."""
    if isinstance(code, bool):
        return default
    if isinstance(code, int) and 100 <= code <= 599:
        return code
    if isinstance(code, str):
        if code.strip().isdigit() and 100 <= int(code) <= 599:
            return int(code)
        return _STRING_CODES.get(code.strip().lower(), default)
    return default


def retry_after_seconds(
    headers: Mapping[str, str] | None,
    error: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> float | None:
    """How long the endpoint asked us to wait: `Retry-After` (seconds or HTTP date), else
    `X-RateLimit-Reset` (epoch ms), in the response headers or echoed in `metadata.headers`,
    else `availability.retry_after`."""
    now = time.time() if now is None else now
    sources: list[Mapping[str, Any]] = []
    if headers is not None:
        sources.append(headers)
    if error:
        metadata = error.get("metadata")
        if isinstance(metadata, Mapping) and isinstance(metadata.get("headers"), Mapping):
            sources.append(metadata["headers"])
    for source in sources:
        lowered = {str(k).lower(): v for k, v in source.items()}
        value = _parse_retry_after(lowered.get("retry-after"), now)
        if value is not None:
            return value
        value = _parse_reset(lowered.get("x-ratelimit-reset"), now)
        if value is not None:
            return value
    if error:
        availability = error.get("availability")
        if isinstance(availability, Mapping):
            value = _parse_retry_after(availability.get("retry_after"), now)
            if value is not None:
                return value
    return None


def _parse_retry_after(value: Any, now: float) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return max(0.0, float(value))
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


def _parse_reset(value: Any, now: float) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number > 1e12:  # epoch milliseconds, as OpenRouter sends
        number /= 1000.0
    if number > 1e9:  # epoch seconds
        return max(0.0, number - now)
    return max(0.0, number)  # a plain delay


def describe_wait(seconds: float) -> str:
    """'45 s', '12 min', '6 h 20 min': how long until a limit resets."""
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def error_from_response(
    status: int,
    body: bytes | str,
    headers: Mapping[str, str] | None,
    *,
    subject: str,
    model: str | None = None,
    secrets: Iterable[str | None] = (),
    key_hint: str = "the API key",
    partial_text: str = "",
    reason_phrase: str = "",
) -> ProviderError:
    """The typed error for an HTTP error answer (any body, JSON or not)."""
    secrets = tuple(secrets)
    payload = parse_json_body(body)
    error: Mapping[str, Any] = {}
    if isinstance(payload, Mapping):
        inner = payload.get("error")
        if isinstance(inner, Mapping):
            error = inner
        elif isinstance(inner, str):
            error = {"message": inner}
        elif isinstance(payload.get("message"), str):
            error = payload
        elif isinstance(payload.get("detail"), str):
            error = {"message": payload["detail"]}
    if not error:
        raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        text = clean_text(_TAGS.sub(" ", raw), secrets)
        error = {"message": text or reason_phrase or "no details given"}
    return error_from_payload(
        error,
        status=status,
        headers=headers,
        subject=subject,
        model=model,
        secrets=secrets,
        key_hint=key_hint,
        partial_text=partial_text,
    )


def error_from_payload(
    error: Mapping[str, Any],
    *,
    status: int | None,
    headers: Mapping[str, str] | None = None,
    subject: str,
    model: str | None = None,
    secrets: Iterable[str | None] = (),
    key_hint: str = "the API key",
    partial_text: str = "",
) -> ProviderError:
    """The typed error for an `error` object, whether it came as an HTTP error body, inside an
    HTTP 200 body, or as a stream event (then `status` is None and comes from `code`; a code
    that names nothing known counts as a provider failure)."""
    secrets = tuple(secrets)
    if status is None:
        status = status_from_code(error.get("code"), 502)
    api_text = _api_message(error, secrets)
    metadata = table(error.get("metadata"))
    error_type = str(metadata.get("error_type") or error.get("type") or error.get("code") or "")
    searchable = f"{api_text} {error_type} {_availability_code(error)}"
    detail = f"({status}: {api_text})"
    common = _Common(status=status, model=model, partial_text=partial_text)

    if status == 401:
        return AuthenticationError(
            f"{subject}: the API key was rejected {detail}: check {key_hint}", **common
        )
    if status == 402:
        affordable = _AFFORDABLE.search(api_text)
        advice = (
            f"set max_tokens to at most {affordable.group(1)} for this model, or add credits"
            if affordable
            else "add credits or lower max_tokens"
        )
        return InsufficientCreditsError(
            f"{subject}: not enough credits {detail}: {advice}", **common
        )
    if status == 403:
        reasons = metadata.get("reasons")
        flagged = ""
        if isinstance(reasons, list) and reasons:
            flagged = "; flagged for: " + clean_text(", ".join(map(str, reasons)), secrets, 120)
        return ModerationError(
            f"{subject}: refused by moderation or permissions {detail}{flagged}", **common
        )
    if error_type in _CONTEXT_TYPES or (status in (400, 413) and _CONTEXT_WORDS.search(api_text)):
        return ContextTooLongError(
            f"{subject}: the conversation is too long for the model's context window {detail}: "
            "start a new session or lower max_tokens",
            **common,
        )
    if status == 404 or (status == 400 and _NOT_FOUND_WORDS.search(searchable)):
        if model:
            return ModelNotFoundError(
                f"{subject}: model not found {detail}: check the model id "
                "('cltui models' lists them)",
                **common,
            )
        return BadRequestError(f"{subject}: not found {detail}: is base_url right?", **common)
    if status == 408:
        return RequestTimeoutError(f"{subject}: the request timed out {detail}", **common)
    if status == 429:
        return _rate_limited(error, headers, subject, detail, common)
    if status >= 500:
        return ProviderDownError(
            f"{subject}: the model's provider failed {detail}: try again later or pick "
            "another model",
            retry_after=retry_after_seconds(headers, error),
            **common,
        )
    if 400 <= status < 500:
        return BadRequestError(f"{subject}: the request was rejected {detail}", **common)
    return ProviderError(f"{subject}: unexpected answer {detail}", **common)


def _rate_limited(
    error: Mapping[str, Any],
    headers: Mapping[str, str] | None,
    subject: str,
    detail: str,
    common: _Common,
) -> RateLimitedError:
    retry_after = retry_after_seconds(headers, error)
    metadata = table(error.get("metadata"))
    limit_source = str(metadata.get("limit_source") or "")
    daily = "daily" in limit_source or bool(_DAILY_WORDS.search(str(error.get("message") or "")))
    if retry_after is not None and daily:
        advice = f": the daily limit resets in {describe_wait(retry_after)}"
    elif daily:
        advice = ": the daily limit is used up; try again tomorrow or use a paid model"
    elif retry_after is not None:
        advice = f": retry after {describe_wait(retry_after)}"
    else:
        advice = ": wait a little and try again"
    limited = RateLimitedError(
        f"{subject}: rate limited {detail}{advice}", retry_after=retry_after, **common
    )
    limited.daily_limit = daily
    return limited


def _api_message(error: Mapping[str, Any], secrets: tuple[str | None, ...]) -> str:
    message = error.get("message")
    text = message if isinstance(message, str) else json.dumps(message) if message else ""
    metadata = error.get("metadata")
    if isinstance(metadata, Mapping) and isinstance(metadata.get("raw"), str | Mapping | list):
        raw = metadata["raw"]
        raw_text = raw if isinstance(raw, str) else json.dumps(raw)
        if raw_text and raw_text not in text:
            text = f"{text}: {raw_text}" if text else raw_text
    return clean_text(text, secrets) or "no details given"


def _availability_code(error: Mapping[str, Any]) -> str:
    availability = error.get("availability")
    if isinstance(availability, Mapping):
        return str(availability.get("code") or "")
    return ""
