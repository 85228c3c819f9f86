"""What the engine needs from a provider, independent of HTTP.

The engine talks only to `ChatBackend`: the real HTTP client implements it, and tests implement it
with scripted fakes. Keeping the surface this small is what lets the engine be tested without a
network and the TUI never see a request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cltui.core.messages import ChatMessage, Usage


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat completion request."""

    model: str
    messages: Sequence[ChatMessage]
    max_tokens: int | None = None
    temperature: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    """Extra body fields, passed through as they are."""

    def to_body(self, *, stream: bool) -> dict[str, Any]:
        """The JSON body of POST /chat/completions."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m.to_api() for m in fold_system_messages(self.messages)],
            "stream": stream,
        }
        if stream:  # most servers send usage in a stream only when asked
            body["stream_options"] = {"include_usage": True}
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        if self.temperature is not None:
            body["temperature"] = self.temperature
        body.update(self.params)
        return body


NO_FINISH_REASON = "cltui:no-finish-reason"
"""The finish reason the client reports for a stream that ended (cleanly, with text) without
any finish reason and without [DONE]: the server may have cut the answer short, so it must not
pass as whole. Not a value any server sends."""


def fold_system_messages(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """The messages as chat templates keep them: every system message folded, in order and
    joined with blank lines, into one leading system message; the others unchanged.

    Common chat templates (llama.cpp's, several Ollama ones) keep only a leading system message
    and drop any later one, so the consensus sent as a system message in improvement rounds,
    or an MoA reference block, would silently never reach a local model. Done here, where the
    request is sent, so sessions keep the logical messages."""
    systems = [m.content for m in messages if m.role == "system"]
    if not systems or (len(systems) == 1 and messages[0].role == "system"):
        return list(messages)
    others = [m for m in messages if m.role != "system"]
    return [ChatMessage("system", "\n\n".join(systems)), *others]


@dataclass(frozen=True, slots=True)
class StreamChunk:
    """A piece of a streamed reply. Any field may be empty; `usage` comes once, near the end."""

    content: str = ""
    reasoning: str = ""
    usage: Usage | None = None
    finish_reason: str | None = None
    model: str | None = None
    """The model that actually answered (OpenRouter may route to a fallback)."""
    generation_id: str | None = None


@dataclass(frozen=True, slots=True)
class RetryNotice:
    """Told to the caller before a retry, so the UI can say 'rate limited, retrying in 4 s'."""

    attempt: int
    """The attempt about to start (2 = first retry)."""
    max_attempts: int
    delay: float
    reason: str


@dataclass(frozen=True, slots=True)
class WaitNotice:
    """Told to the caller when a call is held before it is sent, so the UI can say why and for
    how long ("free-model limit: 38 s") instead of a bare "waiting"."""

    reason: str
    seconds: float


RetryCallback = Callable[[RetryNotice | WaitNotice], None]
"""Receives retry notices and wait notices (one callback, so backends keep one keyword)."""


class ChatBackend(Protocol):
    """Streams one chat completion. Raises `ProviderError` subclasses on failure.

    A failure after some text was streamed raises `StreamBrokenError` (or another
    `ProviderError`); the caller keeps the text it already received. Retries happen inside,
    only before the first chunk of a reply arrives.
    """

    def stream_chat(
        self, request: ChatRequest, *, on_retry: RetryCallback | None = None
    ) -> AsyncIterator[StreamChunk]: ...
