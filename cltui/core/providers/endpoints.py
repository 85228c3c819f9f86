"""The endpoints besides chat: the model list, the balance, the key's limits, a call's stats.

They are plain GETs answered with JSON; `OpenAIClient` supplies `get_json`, which brings its
retries, error mapping and key handling, and checks the key before calling the ones that need
it. What is here is where each endpoint keeps its answer and the fallbacks between them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from cltui.core.providers.answers import data_of
from cltui.core.providers.errors import (
    BadRequestError,
    MalformedResponseError,
    ModerationError,
    ProviderError,
)
from cltui.core.providers.results import CreditsInfo, ModelInfo, as_float, parse_model

GetJson = Callable[[str, dict[str, str] | None], Awaitable[Any]]
"""GET a path below base_url with optional query parameters; the parsed JSON answer."""


async def fetch_models(get_json: GetJson, provider_name: str) -> list[ModelInfo]:
    """GET /models: every model the endpoint lists, skipping entries it cannot describe."""
    payload = await get_json("models", None)
    entries = payload.get("data") if isinstance(payload, Mapping) else payload
    if not isinstance(entries, list):
        raise MalformedResponseError(
            f"{provider_name}: GET /models did not return a list of models: "
            "is base_url an OpenAI-compatible endpoint?"
        )
    return [info for info in map(parse_model, entries) if info is not None]


async def fetch_credits(get_json: GetJson) -> CreditsInfo:
    """The balance from GET /credits, or from GET /key when /credits is refused (it needs a
    management key) or answers all zeros (observed with ordinary keys)."""
    try:
        payload = await get_json("credits", None)
    except (ModerationError, BadRequestError) as error:
        if error.status not in (403, 404):
            raise
        return await _credits_from_key(get_json)
    data = payload.get("data") if isinstance(payload, Mapping) else None
    data = data if isinstance(data, Mapping) else {}
    total = as_float(data.get("total_credits"))
    used = as_float(data.get("total_usage"))
    from_credits = CreditsInfo(
        remaining=None if total is None else total - (used or 0.0),
        used=used,
        limit=total,
        source="credits",
    )
    if not total and not used:
        try:
            return await _credits_from_key(get_json)
        except ProviderError:
            return from_credits
    return from_credits


async def fetch_key_info(get_json: GetJson) -> dict[str, Any]:
    """GET /key (falling back to the older /auth/key): this key's limit, usage, tier."""
    try:
        payload = await get_json("key", None)
    except BadRequestError as error:
        if error.status != 404:
            raise
        payload = await get_json("auth/key", None)
    return data_of(payload)


async def fetch_generation(get_json: GetJson, generation_id: str) -> dict[str, Any]:
    """GET /generation?id=...: the stats of one finished call (may 404 for a few seconds)."""
    return data_of(await get_json("generation", {"id": generation_id}))


async def _credits_from_key(get_json: GetJson) -> CreditsInfo:
    data = await fetch_key_info(get_json)
    free_tier = data.get("is_free_tier")
    return CreditsInfo(
        remaining=as_float(data.get("limit_remaining")),
        used=as_float(data.get("usage")),
        limit=as_float(data.get("limit")),
        source="key",
        is_free_tier=free_tier if isinstance(free_tier, bool) else None,
    )
