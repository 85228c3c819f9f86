"""How the client phrases its errors: who failed, where, and what happened to the text so far.

Every message names the model (or the provider for calls without one), never holds the key,
and shows API text only after it has been cleaned. An error that arrives after some text was
streamed becomes a `StreamBrokenError` that keeps that text, so the caller can save it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from cltui.core.config import ProviderSpec
from cltui.core.providers.deadlines import CallDeadline, Limit
from cltui.core.providers.errors import (
    ConnectionFailedError,
    DeadlineExceededError,
    MalformedResponseError,
    ProviderError,
    RequestTimeoutError,
    StreamBrokenError,
)
from cltui.core.providers.http_errors import clean_text, error_from_payload


@dataclass(slots=True)
class StreamProgress:
    """What one attempt has streamed so far: decides retry versus 'broken, keep the text'."""

    text: str = ""
    started: bool = False
    events: int = 0
    deadline: CallDeadline | None = None
    """The call's first-token and total deadlines; None for plain requests (idle timer only)."""


@dataclass(frozen=True, slots=True)
class ErrorWording:
    """The facts every error message of one provider needs, and the messages built from them."""

    provider: ProviderSpec
    key: str | None = field(repr=False)
    """Only to scrub it out of API text; never shown, not even in a crash report's locals."""
    key_hint: str = "the API key"

    def subject(self, model: str | None) -> str:
        """Who the message is about: the model when there is one, else the provider."""
        return self.clean(model, 120) if model else self.provider.name

    def where(self) -> str:
        """The endpoint's address, safe to show."""
        return self.clean(self.provider.base_url, 200)

    def clean(self, text: str, limit: int = 300) -> str:
        """Untrusted text for a one-line message, with the key scrubbed out."""
        return clean_text(text, (self.key,), limit)

    def from_payload(
        self, error: Mapping[str, Any], model: str | None, *, partial_text: str = ""
    ) -> ProviderError:
        """The typed error for an `error` object found in a 200 answer."""
        return error_from_payload(
            error,
            status=None,
            subject=self.subject(model),
            model=model,
            secrets=(self.key,),
            key_hint=self.key_hint,
            partial_text=partial_text,
        )

    def in_stream(
        self, error: Mapping[str, Any], model: str, progress: StreamProgress
    ) -> ProviderError:
        """An error reported inside a 200 answer: its own type before any text, otherwise a
        broken stream that keeps the text."""
        mapped = self.from_payload(error, model, partial_text=progress.text)
        if not progress.started:
            return mapped
        reason = mapped.message.removeprefix(f"{self.subject(model)}: ")
        return StreamBrokenError(
            f"{self.subject(model)}: the reply broke off after {len(progress.text)} characters "
            f"({reason}); the text so far is kept",
            status=mapped.status,
            model=model,
            partial_text=progress.text,
        )

    def malformed_event(self, data: str, model: str, progress: StreamProgress) -> ProviderError:
        """An event whose data is not a JSON object."""
        snippet = self.clean(data, 80)
        subject = self.subject(model)
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

    def stalled(self, model: str, progress: StreamProgress) -> ProviderError:
        """No bytes for the idle timeout."""
        seconds = f"{self.provider.idle_timeout:g} s"
        subject = self.subject(model or None)
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

    def deadline(self, limit: Limit, model: str, progress: StreamProgress) -> ProviderError:
        """A deadline of the call passed (`idle` means the idle timer: see `stalled`)."""
        if limit == "idle":
            return self.stalled(model, progress)
        subject = self.subject(model or None)
        table = f"[providers.{self.provider.name}]"
        if limit == "first_token":
            seconds = f"{self.provider.first_token_timeout:g} s"
            return DeadlineExceededError(
                f"{subject}: no text within {seconds} (first_token_timeout; the endpoint only "
                f"kept the connection alive): try again later, pick another model, or raise "
                f"first_token_timeout under {table}",
                model=model or None,
            )
        seconds = f"{self.provider.total_timeout:g} s"
        kept = (
            f" after {len(progress.text)} characters; the text so far is kept"
            if progress.started
            else ""
        )
        return DeadlineExceededError(
            f"{subject}: the call took longer than {seconds} (total_timeout){kept}: raise "
            f"total_timeout under {table} for longer answers",
            model=model or None,
            partial_text=progress.text,
        )

    def dropped(
        self, error: httpx.RequestError, model: str, progress: StreamProgress
    ) -> ProviderError:
        """The connection failed while the body was being read."""
        detail = self.clean(str(error), 120) or type(error).__name__
        subject = self.subject(model or None)
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
