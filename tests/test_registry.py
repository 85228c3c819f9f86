"""The provider registry: one client per provider, keys from settings or environment, base URL
overrides, and the demo transport wired in for demo providers."""

from __future__ import annotations

import sys
import types
from collections.abc import AsyncIterator

import httpx
import pytest

from cltui.core.config import (
    BUILTIN_PROVIDERS,
    OPENROUTER_BASE_URL,
    ConfigError,
    ModelSpec,
    ProviderSpec,
    default_config,
)
from cltui.core.messages import ChatMessage
from cltui.core.providers.base import ChatRequest
from cltui.core.providers.errors import AuthenticationError, MissingKeyError
from cltui.core.providers.registry import ProviderRegistry, apply_base_url_override
from tests.support.http_server import FakeOpenAI, Reply, ScriptedServer

ENV_KEY = "sk-or-v1-test-from-the-environment"
FILE_KEY = "sk-or-v1-test-from-the-settings-file"


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer(FakeOpenAI()) as running:
        yield running


def providers_for(server: ScriptedServer) -> dict[str, ProviderSpec]:
    return {
        "openrouter": ProviderSpec(
            "openrouter", server.base_url, "OPENROUTER_API_KEY", kind="openrouter"
        ),
        "local": ProviderSpec("local", server.base_url, None, max_concurrency=2),
    }


def question(model: str = "fake/alpha") -> ChatRequest:
    return ChatRequest(model, [ChatMessage("user", "Why?")])


async def test_one_client_per_provider_reused(server: ScriptedServer) -> None:
    async with ProviderRegistry(providers_for(server), environ={}) as registry:
        first = registry.client("openrouter")
        assert registry.client("openrouter") is first
        assert registry.backend_for(ModelSpec("a/b")) is first
        local = registry.backend_for(ModelSpec("llama", provider="local"))
        assert local is registry.client("local") and local is not first


async def test_backend_streams_through_its_provider(server: ScriptedServer) -> None:
    async with ProviderRegistry(providers_for(server), environ={}) as registry:
        backend = registry.backend_for(ModelSpec("fake/beta", provider="local"))
        chunks = [c async for c in backend.stream_chat(question("fake/beta"))]
    assert "".join(c.content for c in chunks).startswith("fake/beta answers:")


async def test_key_from_environment(server: ScriptedServer) -> None:
    environ = {"OPENROUTER_API_KEY": ENV_KEY, "OPENROUTER_BASE_URL": server.base_url}
    async with ProviderRegistry(providers_for(server), environ=environ) as registry:
        await registry.client("openrouter").chat(question())
    assert server.requests[0].headers["authorization"] == f"Bearer {ENV_KEY}"


async def test_key_from_settings_wins_and_is_named_in_errors(server: ScriptedServer) -> None:
    environ = {"OPENROUTER_API_KEY": ENV_KEY, "OPENROUTER_BASE_URL": server.base_url}
    api_keys = {"openrouter": FILE_KEY}
    server.enqueue("/chat/completions", Reply.error(401, "User not found."))
    async with ProviderRegistry(
        providers_for(server), api_keys=api_keys, environ=environ
    ) as registry:
        with pytest.raises(AuthenticationError) as caught:
            await registry.client("openrouter").chat(question())
    assert server.requests[0].headers["authorization"] == f"Bearer {FILE_KEY}"
    assert "api_key under [providers.openrouter]" in str(caught.value)
    assert FILE_KEY not in str(caught.value)


async def test_the_openrouter_key_is_withheld_from_a_file_that_points_openrouter_elsewhere(
    server: ScriptedServer,
) -> None:
    """A config or session file may re-point the openrouter provider (or name its key variable
    for another provider): without OPENROUTER_BASE_URL naming that host, no key goes there."""
    environ = {"OPENROUTER_API_KEY": ENV_KEY}
    elsewhere = {
        **providers_for(server),
        "local": ProviderSpec("local", server.base_url, "OPENROUTER_API_KEY"),
    }
    async with ProviderRegistry(elsewhere, api_keys={"openrouter": FILE_KEY},
                                environ=environ) as registry:  # fmt: skip
        for name in ("openrouter", "local"):
            with pytest.raises(MissingKeyError) as caught:
                await registry.client(name).chat(question())
            assert "sent only to OpenRouter" in str(caught.value)
    assert server.requests == []


async def test_missing_key_raises_at_call_time(server: ScriptedServer) -> None:
    async with ProviderRegistry(providers_for(server), environ={}) as registry:
        client = registry.client("openrouter")  # creating it does not need the key
        with pytest.raises(MissingKeyError):
            await client.chat(question())
        local = registry.client("local")  # a provider without api_key_env needs none
        assert (await local.chat(question())).content
    assert "authorization" not in server.requests[0].headers


async def test_unknown_provider_is_a_config_error() -> None:
    async with ProviderRegistry(BUILTIN_PROVIDERS, environ={}) as registry:
        with pytest.raises(ConfigError) as caught:
            registry.client("nowhere")
    assert "nowhere" in str(caught.value) and "openrouter" in str(caught.value)


async def test_aclose_closes_every_client(server: ScriptedServer) -> None:
    registry = ProviderRegistry(providers_for(server), environ={})
    clients = [registry.client("openrouter"), registry.client("local")]
    await registry.aclose()
    assert all(c.http.is_closed for c in clients)


async def test_demo_provider_gets_the_demo_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo module is loaded only for demo providers; a stand-in proves the wiring."""

    class StandInTransport(httpx.MockTransport):
        created = 0

        def __init__(self) -> None:
            type(self).created += 1
            super().__init__(self.answer)

        def answer(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(
                200,
                json={
                    "model": "demo/atlas",
                    "choices": [{"message": {"content": f"demo via {request.url.host}"}}],
                },
            )

    stand_in = types.ModuleType("cltui.demo.server")
    stand_in.DemoTransport = StandInTransport  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cltui.demo.server", stand_in)
    async with ProviderRegistry(BUILTIN_PROVIDERS, environ={}) as registry:
        openrouter = registry.client("openrouter")
        assert StandInTransport.created == 0
        demo = registry.backend_for(ModelSpec("demo/atlas", provider="demo"))
        result = await demo.chat(question("demo/atlas"))  # type: ignore[attr-defined]
        assert openrouter is not demo
    assert StandInTransport.created == 1
    assert result.content == "demo via demo.cltui.invalid"


def test_base_url_flag_wins_over_environment() -> None:
    config = default_config()
    environ = {"OPENROUTER_BASE_URL": "http://env.example/v1"}
    changed = apply_base_url_override(config, "http://127.0.0.1:9/v1/", environ)
    assert changed.providers["openrouter"].base_url == "http://127.0.0.1:9/v1"
    # --base-url names an ad-hoc endpoint: no key unless one is named, not OpenRouter.
    assert changed.providers["openrouter"].api_key_env is None
    assert changed.providers["openrouter"].kind == "openai"
    named = apply_base_url_override(config, "http://127.0.0.1:9/v1", {}, "LOCAL_KEY")
    assert named.providers["openrouter"].api_key_env == "LOCAL_KEY"
    # OPENROUTER_BASE_URL re-points OpenRouter itself: its key goes with it.
    from_env = apply_base_url_override(config, None, environ)
    assert from_env.providers["openrouter"].base_url == "http://env.example/v1"
    assert from_env.providers["openrouter"].api_key_env == "OPENROUTER_API_KEY"
    assert from_env.providers["openrouter"].kind == "openrouter"


def test_base_url_override_is_a_no_op_without_flag_or_env() -> None:
    config = default_config()
    assert apply_base_url_override(config, None, {}) is config
    assert apply_base_url_override(config, "", {"OPENROUTER_BASE_URL": " "}) is config
    assert config.providers["openrouter"].base_url == OPENROUTER_BASE_URL


@pytest.mark.parametrize(
    ("flag", "environ", "source"),
    [("ftp://x", {}, "--base-url"), (None, {"OPENROUTER_BASE_URL": "localhost:8080"},
                                     "OPENROUTER_BASE_URL")],
)  # fmt: skip
def test_bad_base_url_names_its_source(
    flag: str | None, environ: dict[str, str], source: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        apply_base_url_override(default_config(), flag, environ)
    assert str(caught.value).startswith(source) and "http://" in str(caught.value)


def test_the_openrouter_key_never_goes_to_openrouter_in_clear_text() -> None:
    from cltui.core.providers.keys import resolve_key

    environ = {"OPENROUTER_API_KEY": ENV_KEY}
    secure = ProviderSpec("openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY",
                          kind="openrouter")  # fmt: skip
    assert resolve_key(secure, {}, environ) == ENV_KEY
    clear = ProviderSpec("openrouter", "http://openrouter.ai/api/v1", "OPENROUTER_API_KEY",
                         kind="openrouter")  # fmt: skip
    assert resolve_key(clear, {}, environ) is None


def test_a_missing_key_says_what_the_model_does_when_it_is_not_a_member() -> None:
    from cltui.core.config import parse_config
    from cltui.core.providers.keys import find_missing_key

    config = parse_config(
        {
            "models": [{"id": "x/y", "provider": "demo"}],
            "aggregator": {"model": "a/b", "provider": "demo", "fallback": "openai/gpt-4o"},
        },
        "c.toml",
    )
    message = find_missing_key(config, {}, {})
    assert message is not None
    assert message.startswith("openai/gpt-4o (the aggregator's fallback) needs a key: ")
