"""The two deadlines of one call, which keep-alive comments do not reset.

The idle timer alone cannot end a call whose server keeps sending `: OPENROUTER PROCESSING`
comments and never a token: each comment restarts it. So every call also has a deadline for its
first token (counted from its first request, so a wait for the free-model limiter does not eat
it) and one for the whole call (counted from the moment it was asked for, retries, `Retry-After`
waits and free-model limiter waits included, but not the wait for a slot under the provider's
own `max_concurrency`, which is cltui's queue rather than the call's time). Every read waits at
most until the nearest of the three.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from cltui.core.config import ProviderSpec
from cltui.core.providers.base import RetryCallback, WaitNotice
from cltui.core.providers.errors import DeadlineExceededError

Limit = Literal["idle", "first_token", "total"]


@dataclass(slots=True)
class CallDeadline:
    """When one call must have its first token and when it must be over."""

    provider: ProviderSpec
    clock: Callable[[], float] = time.monotonic
    started_at: float = field(init=False)
    first_token_by: float | None = field(init=False, default=None)
    """Set when the first request is sent; None before."""

    queued_since: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.started_at = self.clock()

    def queued(self, waiting: bool) -> None:
        """Bracket a wait in cltui's own concurrency queue: that time is not the call's, so the
        whole-call deadline moves on by it (a big round behind a cap of 4 must not time out
        calls that have not been sent yet)."""
        now = self.clock()
        if waiting:
            self.queued_since = now
        elif self.queued_since is not None:
            self.started_at += now - self.queued_since
            self.queued_since = None

    @property
    def total_by(self) -> float:
        return self.started_at + self.provider.total_timeout

    def request_sent(self) -> None:
        """Start the first-token clock with the call's first request (not with later retries)."""
        if self.first_token_by is None:
            self.first_token_by = self.clock() + self.provider.first_token_timeout

    def next_wait(self, idle: float, *, text_started: bool) -> tuple[float, Limit]:
        """How long the next read may wait, and which limit that is."""
        now = self.clock()
        wait, limit = idle, "idle"
        total_left = self.total_by - now
        if total_left <= wait:
            wait, limit = total_left, "total"
        if not text_started and self.first_token_by is not None:
            first_left = self.first_token_by - now
            if first_left <= wait:
                wait, limit = first_left, "first_token"
        return max(wait, 0.0), limit  # type: ignore[return-value]

    def allows_wait(self, seconds: float, *, text_started: bool = False) -> bool:
        """Whether waiting `seconds` (a retry delay, a rate window) still leaves time to answer."""
        wait, _limit = self.next_wait(float("inf"), text_started=text_started)
        return seconds < wait


def limit_waiter(
    on_retry: RetryCallback | None, deadline: CallDeadline, model: str, subject: str
) -> Callable[[float], None]:
    """What the free-model limiter calls before it holds a call: say why and how long, or give
    up when the wait would pass the call's total deadline. `subject` names the model in
    messages."""

    def waiting(seconds: float) -> None:
        if not deadline.allows_wait(seconds):
            raise DeadlineExceededError(
                f"{subject}: the free-model limit (20 requests a minute) would hold the call "
                f"{seconds:.0f} s, past total_timeout ({deadline.provider.total_timeout:g} s): "
                "ask fewer :free models at once",
                model=model,
            )
        if on_retry is not None:
            on_retry(WaitNotice("free-model limit", seconds))

    return waiting
