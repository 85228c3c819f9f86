"""Chat messages and token usage: the small value types every layer passes around."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Role = Literal["system", "user", "assistant"]
ROLES: tuple[str, ...] = get_args(Role)


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a chat conversation, as the OpenAI-compatible API takes it."""

    role: Role
    content: str

    def to_api(self) -> dict[str, str]:
        """The JSON object the chat completions endpoint expects."""
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens and cost of one call.

    `cost` is in credits (US dollars on OpenRouter) and is None when neither the API reported it
    nor a price was known to estimate it; `cost_estimated` says it came from list prices.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    cost_estimated: bool = False
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    estimated: bool = False
    """The token counts are estimated from the text (about 4 characters a token) because the
    server reported none; shown as "~123 tok", never passed off as counted."""

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens
