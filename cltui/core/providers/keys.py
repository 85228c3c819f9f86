"""Where a provider's API key comes from, and what to tell the user when there is none.

Checked before a run starts (so `cltui run` can refuse at once instead of failing every call)
and again by the client at call time. Only the key's source is named, never the key.
"""

from __future__ import annotations

from collections.abc import Mapping

from cltui.core.config import DEFAULT_PROVIDER, ConsensusConfig, ProviderSpec
from cltui.core.paths import user_settings_file


def resolve_key(
    provider: ProviderSpec, api_keys: Mapping[str, str], environ: Mapping[str, str]
) -> str | None:
    """The key for a provider: the user settings' api_key first, then its environment variable."""
    if settings_key_applies(provider) and api_keys.get(provider.name):
        return api_keys[provider.name]
    if provider.api_key_env:
        return environ.get(provider.api_key_env) or None
    return None


def settings_key_applies(provider: ProviderSpec) -> bool:
    """Whether the user settings' `[providers.NAME] api_key` belongs to this provider.

    `--base-url` re-points the provider named openrouter at an ad-hoc endpoint: the OpenRouter
    key in the settings must not follow it there."""
    return provider.name != DEFAULT_PROVIDER or provider.kind == "openrouter"


def missing_key_message(provider: ProviderSpec) -> str:
    """What to do when a provider that needs a key has none."""
    if not settings_key_applies(provider):
        return (
            f"{provider.api_key_env} (named by --api-key-env) is not set: export it, or leave "
            "out --api-key-env for an endpoint that needs no key"
        )
    return (
        f"{provider.api_key_env} is not set: export it, add api_key under "
        f"[providers.{provider.name}] in {user_settings_file()}, or try --demo"
    )


def find_missing_key(
    config: ConsensusConfig, api_keys: Mapping[str, str], environ: Mapping[str, str]
) -> str | None:
    """The message for the first provider the config uses that needs a key and has none."""
    for model in config.all_models():
        provider = config.provider_for(model)
        if provider.kind == "demo" or not provider.api_key_env:
            continue
        if resolve_key(provider, api_keys, environ) is None:
            return missing_key_message(provider)
    return None
