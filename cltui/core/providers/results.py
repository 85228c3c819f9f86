"""Typed answers of the non-streaming endpoints: a whole chat reply, the model list, credits.

Parsing is lenient about what OpenAI-compatible servers leave out (a local server's model list
has no prices) and strict about nothing the user cannot fix, so a model entry with odd fields is
kept with those fields empty rather than failing the whole list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cltui.core.messages import Usage


@dataclass(frozen=True, slots=True)
class ChatResult:
    """A complete, non-streamed reply."""

    content: str
    reasoning: str = ""
    usage: Usage | None = None
    finish_reason: str | None = None
    model: str | None = None
    generation_id: str | None = None


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One entry of GET /models. Prices are US dollars per token; None when not listed."""

    id: str
    name: str
    context_length: int | None = None
    prompt_price: float | None = None
    completion_price: float | None = None
    is_free: bool = False
    max_completion_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class CreditsInfo:
    """The account's balance in US dollars; fields are None when the endpoint does not say."""

    remaining: float | None
    used: float | None
    limit: float | None
    source: Literal["credits", "key"]
    """Which endpoint answered: /credits (account) or /key (this key's limit)."""
    is_free_tier: bool | None = None


def as_float(value: Any) -> float | None:
    """A number from a JSON number or numeric string ('0.0000025'); None otherwise.

    Python's JSON reader accepts `NaN`, `Infinity` and `1e999` (as infinity): such values are
    None here, since a NaN cost poisons every total and `int(inf)` raises."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_int(value: Any) -> int | None:
    number = as_float(value)
    return int(number) if number is not None else None


def _count(value: Any) -> int:
    """A token count: a whole number of at least 0 (a session file refuses negative ones)."""
    return max(0, as_int(value) or 0)


def parse_usage(data: Any) -> Usage | None:
    """The `usage` object of a reply or of the last stream chunk."""
    if not isinstance(data, Mapping):
        return None
    prompt_details = data.get("prompt_tokens_details")
    completion_details = data.get("completion_tokens_details")
    cached = prompt_details.get("cached_tokens") if isinstance(prompt_details, Mapping) else None
    reasoning = (
        completion_details.get("reasoning_tokens")
        if isinstance(completion_details, Mapping)
        else None
    )
    return Usage(
        prompt_tokens=_count(data.get("prompt_tokens")),
        completion_tokens=_count(data.get("completion_tokens")),
        cost=as_float(data.get("cost")),
        reasoning_tokens=_count(reasoning),
        cached_tokens=_count(cached),
    )


CHARS_PER_TOKEN = 4
"""A rough average for English text and code, enough to show the order of magnitude."""


def estimated_usage(messages: Any, completion_chars: int) -> Usage:
    """Token counts guessed from the text, for servers that report none (llama.cpp, and vLLM,
    Ollama or OpenAI when they ignore `stream_options.include_usage`). The cost stays unknown."""
    prompt_chars = 0
    for message in messages if isinstance(messages, list) else []:
        content = message.get("content") if isinstance(message, Mapping) else None
        prompt_chars += len(content) if isinstance(content, str) else 0
    return Usage(
        prompt_tokens=math.ceil(prompt_chars / CHARS_PER_TOKEN),
        completion_tokens=math.ceil(completion_chars / CHARS_PER_TOKEN),
        estimated=True,
    )


def table(value: Any) -> Mapping[str, Any]:
    """`value` when it is a JSON object, else an empty one: fields of other servers' answers
    may be missing, null or of another type."""
    return value if isinstance(value, Mapping) else {}


def parse_model(entry: Any) -> ModelInfo | None:
    """One model of GET /models, or None when the entry has no usable id."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str) or not entry["id"]:
        return None
    model_id: str = entry["id"]
    name = entry.get("name") if isinstance(entry.get("name"), str) else model_id
    pricing = table(entry.get("pricing"))
    prompt_price = as_float(pricing.get("prompt"))
    completion_price = as_float(pricing.get("completion"))
    prices = [as_float(v) for v in pricing.values()]
    listed = [p for p in prices if p is not None]
    is_free = model_id.endswith(":free") or (
        prompt_price is not None and completion_price is not None and all(p == 0 for p in listed)
    )
    top = table(entry.get("top_provider"))
    context_length = as_int(entry.get("context_length")) or as_int(top.get("context_length"))
    return ModelInfo(
        id=model_id,
        name=name or model_id,
        context_length=context_length,
        prompt_price=prompt_price,
        completion_price=completion_price,
        is_free=is_free,
        max_completion_tokens=as_int(top.get("max_completion_tokens")),
    )
