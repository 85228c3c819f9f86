"""Talking to OpenAI-compatible endpoints: the client, its errors, retries and limits.

Names are re-exported lazily: importing the contracts (`base`, `errors`) must not pull in httpx,
so commands such as `cltui --help` stay instant. `cltui.core.providers.demo` (the simulated
models) is not re-exported: only demo runs load it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "ChatBackend": "base",
    "ChatRequest": "base",
    "RetryCallback": "base",
    "RetryNotice": "base",
    "StreamChunk": "base",
    "WaitNotice": "base",
    "OpenAIClient": "client",
    "AuthenticationError": "errors",
    "BadRequestError": "errors",
    "ConnectionFailedError": "errors",
    "ContextTooLongError": "errors",
    "DeadlineExceededError": "errors",
    "InsufficientCreditsError": "errors",
    "MalformedResponseError": "errors",
    "MissingKeyError": "errors",
    "ModelNotFoundError": "errors",
    "ModerationError": "errors",
    "ProviderDownError": "errors",
    "ProviderError": "errors",
    "RateLimitedError": "errors",
    "RequestTimeoutError": "errors",
    "StreamBrokenError": "errors",
    "UnsupportedError": "errors",
    "ProviderLimits": "limits",
    "SlidingWindow": "limits",
    "is_free_model": "limits",
    "ProviderRegistry": "registry",
    "apply_base_url_override": "registry",
    "ChatResult": "results",
    "CreditsInfo": "results",
    "ModelInfo": "results",
    "RetryPolicy": "retry",
    "is_retryable": "retry",
    "SSEEvent": "sse",
    "SSEParser": "sse",
    "aiter_sse": "sse",
}

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ChatBackend",
    "ChatRequest",
    "ChatResult",
    "ConnectionFailedError",
    "ContextTooLongError",
    "CreditsInfo",
    "DeadlineExceededError",
    "InsufficientCreditsError",
    "MalformedResponseError",
    "MissingKeyError",
    "ModelInfo",
    "ModelNotFoundError",
    "ModerationError",
    "OpenAIClient",
    "ProviderDownError",
    "ProviderError",
    "ProviderLimits",
    "ProviderRegistry",
    "RateLimitedError",
    "RequestTimeoutError",
    "RetryCallback",
    "RetryNotice",
    "RetryPolicy",
    "SSEEvent",
    "SSEParser",
    "SlidingWindow",
    "StreamBrokenError",
    "StreamChunk",
    "UnsupportedError",
    "WaitNotice",
    "aiter_sse",
    "apply_base_url_override",
    "is_free_model",
    "is_retryable",
]

if TYPE_CHECKING:
    from cltui.core.providers.base import (
        ChatBackend,
        ChatRequest,
        RetryCallback,
        RetryNotice,
        StreamChunk,
        WaitNotice,
    )
    from cltui.core.providers.client import OpenAIClient
    from cltui.core.providers.errors import (
        AuthenticationError,
        BadRequestError,
        ConnectionFailedError,
        ContextTooLongError,
        DeadlineExceededError,
        InsufficientCreditsError,
        MalformedResponseError,
        MissingKeyError,
        ModelNotFoundError,
        ModerationError,
        ProviderDownError,
        ProviderError,
        RateLimitedError,
        RequestTimeoutError,
        StreamBrokenError,
        UnsupportedError,
    )
    from cltui.core.providers.limits import ProviderLimits, SlidingWindow, is_free_model
    from cltui.core.providers.registry import ProviderRegistry, apply_base_url_override
    from cltui.core.providers.results import ChatResult, CreditsInfo, ModelInfo
    from cltui.core.providers.retry import RetryPolicy, is_retryable
    from cltui.core.providers.sse import SSEEvent, SSEParser, aiter_sse


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
