"""Typed provider errors whose messages tell the user what happened and what to do.

Messages never contain the API key: they are built from the status, the API's own error text
(which the client scrubs of the key before it gets here) and fixed advice.
"""

from __future__ import annotations


class ProviderError(Exception):
    """Base of every failure talking to a model endpoint.

    `kind` is a short stable name (for sessions, JSON output and tests); `str(error)` is the
    user-facing sentence.
    """

    kind = "provider"
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        model: str | None = None,
        retry_after: float | None = None,
        partial_text: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.model = model
        self.retry_after = retry_after
        """Seconds the server asked us to wait, when it said so."""
        self.partial_text = partial_text
        """Text streamed before the failure, kept for the user."""

    def __str__(self) -> str:
        return self.message


class AuthenticationError(ProviderError):
    """401: the key is missing, wrong or revoked."""

    kind = "auth"


class InsufficientCreditsError(ProviderError):
    """402: no credits left, or the request's max_tokens cost more than the balance allows."""

    kind = "credits"


class ModerationError(ProviderError):
    """403: the input was flagged, or the key lacks permission."""

    kind = "moderation"


class ModelNotFoundError(ProviderError):
    """The model id does not exist (any more) on this endpoint."""

    kind = "model_not_found"


class ContextTooLongError(ProviderError):
    """The conversation no longer fits the model's context window."""

    kind = "context_length"


class BadRequestError(ProviderError):
    """400/413/422: the endpoint rejected the request as malformed."""

    kind = "bad_request"


class RateLimitedError(ProviderError):
    """429: too many requests; retryable after `retry_after` seconds when known."""

    kind = "rate_limited"
    retryable = True
    daily_limit = False
    """Set on instances for a daily cap (e.g. free-model requests per day): retrying before the
    reset only burns attempts, so the retry policy gives up at once."""


class ProviderDownError(ProviderError):
    """5xx: the model's provider failed or is overloaded."""

    kind = "provider_down"
    retryable = True


class RequestTimeoutError(ProviderError):
    """408, or no byte arrived within the connect or idle timeout."""

    kind = "timeout"
    retryable = True


class DeadlineExceededError(ProviderError):
    """The call passed `first_token_timeout` or `total_timeout`. Not retried: the deadline is
    the call's, so another attempt would have no time left. Text streamed so far is kept."""

    kind = "timeout"


class ConnectionFailedError(ProviderError):
    """The endpoint could not be reached, or the connection dropped before any text."""

    kind = "connection"
    retryable = True


class StreamBrokenError(ProviderError):
    """The stream failed after text had arrived; `partial_text` holds what came."""

    kind = "stream_broken"


class MalformedResponseError(ProviderError):
    """The endpoint answered something that is not the OpenAI-compatible format."""

    kind = "malformed"


class MissingKeyError(ProviderError):
    """No API key in the environment or the user config for a provider that needs one."""

    kind = "missing_key"


class UnsupportedError(ProviderError):
    """The endpoint does not offer this (an OpenRouter-only call to another server): asked of
    it, nothing was sent."""

    kind = "unsupported"


def refuses_usage_option(error: ProviderError) -> bool:
    """Whether a strict server rejected the request for `stream_options` (the usage request
    most servers honour or ignore): the call is then made again without it."""
    return error.status in (400, 422) and "stream_options" in str(error)
