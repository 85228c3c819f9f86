"""Where a provider's API key comes from, and what to tell the user when there is none.

Checked before a run starts (so `cltui run` can refuse at once instead of failing every call)
and again by the client at call time. Only the key's source is named, never the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from cltui.core.config import DEFAULT_PROVIDER, OPENROUTER_BASE_URL, ConsensusConfig, ProviderSpec
from cltui.core.paths import user_settings_file

OPENROUTER_KEY_ENV = "OPENROUTER_API_KEY"
BASE_URL_ENV = "OPENROUTER_BASE_URL"
"""Re-points OpenRouter itself (a proxy, say): the OpenRouter key may go there too."""


def resolve_key(
    provider: ProviderSpec, api_keys: Mapping[str, str], environ: Mapping[str, str]
) -> str | None:
    """The key for a provider: the user settings' api_key first, then its environment variable.

    None for the OpenRouter key on its way to another host (`openrouter_key_withheld`)."""
    if provider.keys_withheld or openrouter_key_withheld(provider, environ):
        return None
    if settings_key_applies(provider) and api_keys.get(provider.name):
        return api_keys[provider.name]
    if provider.api_key_env:
        return environ.get(provider.api_key_env) or None
    return None


def _host(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port: the OpenRouter key must not go to the right host in clear text."""
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "", "", None


def openrouter_key_withheld(provider: ProviderSpec, environ: Mapping[str, str]) -> bool:
    """Whether this provider would get the OpenRouter key although it points elsewhere.

    The OpenRouter key belongs to OpenRouter: it goes to OpenRouter's host, or to the proxy
    `OPENROUTER_BASE_URL` names in this environment, and nowhere else. A config or a session
    file (which may come from anyone) naming `OPENROUTER_API_KEY` for another host, or a
    provider named openrouter re-pointed in a file, would otherwise send it to that host."""
    uses_openrouter_key = provider.api_key_env == OPENROUTER_KEY_ENV or (
        provider.name == DEFAULT_PROVIDER and settings_key_applies(provider)
    )
    if not uses_openrouter_key or provider.kind == "demo":
        return False
    allowed = {_host(OPENROUTER_BASE_URL)}
    if environ.get(BASE_URL_ENV, "").strip():
        allowed.add(_host(environ[BASE_URL_ENV]))
    return _host(provider.base_url) not in allowed


def settings_key_applies(provider: ProviderSpec) -> bool:
    """Whether the user settings' `[providers.NAME] api_key` belongs to this provider.

    `--base-url` re-points the provider named openrouter at an ad-hoc endpoint: the OpenRouter
    key in the settings must not follow it there."""
    return provider.name != DEFAULT_PROVIDER or provider.kind == "openrouter"


def missing_key_message(
    provider: ProviderSpec, environ: Mapping[str, str] | None = None
) -> str:
    """What to do when a provider that needs a key has none."""
    if provider.keys_withheld:
        return provider.keys_withheld
    if openrouter_key_withheld(provider, os.environ if environ is None else environ):
        host = _host(provider.base_url)[1] or provider.base_url
        return (
            f"the OpenRouter key is sent only to OpenRouter (or to {BASE_URL_ENV}), not to "
            f"{host} (provider '{provider.name}'): give that endpoint its own key variable "
            "(api_key_env, or --api-key-env with --base-url)"
        )
    if not settings_key_applies(provider):
        return (
            f"{provider.api_key_env} (named by --api-key-env) is not set: export it, or leave "
            "out --api-key-env for an endpoint that needs no key"
        )
    return (
        f"{provider.api_key_env} is not set: export it, add api_key under "
        f"[providers.{provider.name}] in {user_settings_file()}, or try --demo"
    )


def _roles(config: ConsensusConfig) -> dict[int, str]:
    """What each model that is not a member does, by identity: the user must find it."""
    roles: dict[int, str] = {}
    if config.aggregator is not None:
        roles[id(config.aggregator.model)] = " (the aggregator)"
        if config.aggregator.fallback is not None:
            roles[id(config.aggregator.fallback)] = " (the aggregator's fallback)"
    if config.judge is not None:
        roles[id(config.judge)] = " (the judge)"
    return roles


def find_missing_key(
    config: ConsensusConfig, api_keys: Mapping[str, str], environ: Mapping[str, str]
) -> str | None:
    """The message for the first provider the config uses that needs a key and has none."""
    roles = _roles(config)
    for model in config.all_models():
        provider = config.provider_for(model)
        if provider.kind == "demo" or not provider.api_key_env:
            continue
        if resolve_key(provider, api_keys, environ) is None:
            who = f"{model.id}{roles.get(id(model), '')}"
            return f"{who} needs a key: {missing_key_message(provider, environ)}"
    return None
