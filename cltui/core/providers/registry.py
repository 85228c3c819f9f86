"""One client per provider for the whole run, and where each provider's key comes from.

The engine asks for a model's backend; the registry hands back the provider's single client
(created on first use), so all the calls of a run share that provider's connection pool and
concurrency cap. Demo providers get the simulated-model transport, so the demo runs through the
very same client code as the real endpoints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cltui.core.config import (
    BUILTIN_PROVIDERS,
    DEFAULT_PROVIDER,
    ConfigError,
    ConsensusConfig,
    ModelSpec,
    ProviderSpec,
)
from cltui.core.config.urls import base_url_problem
from cltui.core.paths import user_settings_file
from cltui.core.providers.base import ChatBackend
from cltui.core.providers.keys import BASE_URL_ENV, resolve_key, settings_key_applies

if TYPE_CHECKING:
    import httpx

    from cltui.core.providers.client import OpenAIClient

class ProviderRegistry:
    """Lazily created, reused clients for the providers of a config."""

    def __init__(
        self,
        providers: Mapping[str, ProviderSpec],
        *,
        api_keys: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
        **client_options: Any,
    ) -> None:
        """`api_keys` are the user settings' keys by provider name; they win over the
        environment. `client_options` go to every `OpenAIClient` (tests pass a fake sleep)."""
        self.providers = dict(providers)
        self._api_keys = dict(api_keys or {})
        self._environ = os.environ if environ is None else environ
        self._client_options = client_options
        self._clients: dict[str, OpenAIClient] = {}

    def client(self, name: str) -> OpenAIClient:
        """The provider's client, created on first use."""
        existing = self._clients.get(name)
        if existing is not None:
            return existing
        spec = self.providers.get(name)
        if spec is None:
            known = ", ".join(sorted(self.providers)) or "none"
            raise ConfigError(
                "<providers>",
                name,
                f"unknown provider; known: {known} (add a [providers.{name}] "
                "table with a base_url)",
            )
        # The HTTP stack loads with the first client, not with the app: the first frame of the
        # TUI need not wait for it.
        from cltui.core.providers.client import OpenAIClient

        api_key, key_hint = self._key_for(spec)
        transport: httpx.AsyncBaseTransport | None = None
        if spec.kind == "demo":
            from cltui.demo.server import DemoTransport  # only demo runs need it

            transport = DemoTransport()
        created = OpenAIClient(
            spec, api_key=api_key, transport=transport, key_hint=key_hint, **self._client_options
        )
        self._clients[name] = created
        return created

    def backend_for(self, model: ModelSpec) -> ChatBackend:
        """The backend that serves a model: its provider's client."""
        return self.client(model.provider)

    def _key_for(self, spec: ProviderSpec) -> tuple[str | None, str]:
        """The key (as `resolve_key` finds it, so the check before a run and the calls agree)
        and, for error messages, where it came from (never the key itself)."""
        key = resolve_key(spec, self._api_keys, self._environ)
        if settings_key_applies(spec) and self._api_keys.get(spec.name):
            return key, f"api_key under [providers.{spec.name}] in {user_settings_file()}"
        return key, spec.api_key_env or "the API key"

    async def aclose(self) -> None:
        """Close every client created so far."""
        clients = list(self._clients.values())
        self._clients.clear()
        for created in clients:
            await created.aclose()

    async def __aenter__(self) -> ProviderRegistry:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def apply_base_url_override(
    config: ConsensusConfig,
    flag: str | None,
    environ: Mapping[str, str],
    api_key_env: str | None = None,
) -> ConsensusConfig:
    """Point the openrouter provider at `--base-url`, else at `OPENROUTER_BASE_URL`; unchanged
    when neither is set.

    `--base-url` names an ad-hoc endpoint: it gets no key unless `api_key_env` (the
    `--api-key-env` flag) names the variable holding one, and none of the OpenRouter-only calls.
    `OPENROUTER_BASE_URL` re-points OpenRouter itself (a proxy, say), so its key goes with it.
    Raises ConfigError for a malformed URL, naming where it came from."""
    source, url = "--base-url", (flag or "").strip()
    if not url:
        source, url = BASE_URL_ENV, (environ.get(BASE_URL_ENV) or "").strip()
    if not url:
        if api_key_env:
            raise ConfigError("--api-key-env", "", "only applies with --base-url URL")
        return config
    problem = base_url_problem(url)
    if problem:
        raise ConfigError(source, "", problem)
    if source == BASE_URL_ENV:
        if api_key_env:
            raise ConfigError(
                "--api-key-env", "", f"only applies with --base-url URL, not with {BASE_URL_ENV}"
            )
        return config.with_base_url(url, DEFAULT_PROVIDER)
    current = config.providers.get(DEFAULT_PROVIDER, BUILTIN_PROVIDERS[DEFAULT_PROVIDER])
    ad_hoc = replace(
        current, base_url=url.rstrip("/"), kind="openai", api_key_env=api_key_env or None,
        keys_withheld="",
    )
    return replace(config, providers={**config.providers, DEFAULT_PROVIDER: ad_hoc})
