"""When and how long to wait before trying a failed call again.

Only transient failures are retried (429, 408, 5xx, timeouts and connection failures); a bad key,
missing credits, moderation or a wrong model id fail the same way every time, so retrying them
would only waste the user's time. Delays use exponential backoff with full jitter so that many
panes hitting the same limit do not come back in lockstep, and the server's own `Retry-After`
wins when it gave one, within reason.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from cltui.core.providers.errors import (
    ConnectionFailedError,
    ProviderDownError,
    ProviderError,
    RateLimitedError,
    RequestTimeoutError,
)

BASE_DELAY = 0.5
MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 60.0
"""A server asking for a longer wait than this is reporting a cap, not a hiccup: give up."""


@dataclass(slots=True)
class RetryPolicy:
    """Decides, per failed attempt, whether to retry and after how many seconds."""

    max_retries: int = 4
    """Extra attempts after the first."""
    base_delay: float = BASE_DELAY
    max_backoff: float = MAX_BACKOFF
    max_retry_after: float = MAX_RETRY_AFTER
    rng: random.Random = field(default_factory=random.Random)

    @property
    def max_attempts(self) -> int:
        return self.max_retries + 1

    def delay_before_retry(self, error: ProviderError, attempt: int) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to give up and raise `error`.

        `attempt` is the number of the attempt that just failed (1 for the first).
        """
        if attempt >= self.max_attempts or not is_retryable(error):
            return None
        if error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            return error.retry_after
        ceiling = min(self.max_backoff, self.base_delay * 2 ** (attempt - 1))
        return self.rng.uniform(0.0, ceiling)


def is_retryable(error: ProviderError) -> bool:
    """Transient failures only; a daily rate cap is not transient."""
    if isinstance(error, RateLimitedError) and error.daily_limit:
        return False
    return isinstance(
        error, RateLimitedError | ProviderDownError | RequestTimeoutError | ConnectionFailedError
    )


def retry_reason(error: ProviderError) -> str:
    """A few words for the status line: 'rate limited (429)'."""
    status = f" ({error.status})" if error.status else ""
    if isinstance(error, RateLimitedError):
        return f"rate limited{status}"
    if isinstance(error, ProviderDownError):
        return f"provider error{status}"
    if isinstance(error, RequestTimeoutError):
        return f"timed out{status}"
    if isinstance(error, ConnectionFailedError):
        return "connection failed"
    return error.kind
