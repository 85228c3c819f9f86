"""A key goes only to the provider it belongs to; base URLs are checked when they are given.

Through the real command line against a real HTTP server on 127.0.0.1 that records every
request's headers: `--base-url` is an ad-hoc endpoint that gets no key unless `--api-key-env`
names one, OpenRouter-only calls never go there, and a bad or credential-holding URL ends in one
line naming where it came from (exit 2) before any request.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cltui.core.config import ProviderSpec
from cltui.core.providers.client import OpenAIClient
from cltui.core.providers.errors import UnsupportedError
from tests.support.cli import run_cli
from tests.support.http_server import BackgroundServer, FakeOpenAI, ScriptedServer

OPENROUTER_KEY = "sk-or-v1-" + "0penR0uter" * 5
LOCAL_KEY = "local-" + "k3y" * 8
OPENROUTER_ONLY = {"/credits", "/key", "/auth/key", "/generation"}
CONFIG = (
    '[[models]]\nid = "fake/alpha"\n[[models]]\nid = "fake/beta"\n'
    '[aggregator]\nmodel = "fake/gamma"\n'
)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_base_url_runs_without_any_key_and_never_gets_the_openrouter_key(
    config: Path, tmp_path: Path
) -> None:
    with BackgroundServer(FakeOpenAI()) as server:
        keyless = run_cli("run", str(config), "--prompt", "q", "--base-url", server.base_url,
                        "--sessions-dir", str(tmp_path / "s1"))  # fmt: skip
        with_key = run_cli("run", str(config), "--prompt", "q", "--base-url", server.base_url,
                         "--sessions-dir", str(tmp_path / "s2"),
                         env={"OPENROUTER_API_KEY": OPENROUTER_KEY})  # fmt: skip
        requests = list(server.requests)
    assert keyless.returncode == 0, keyless.stderr
    assert with_key.returncode == 0, with_key.stderr
    assert len([r for r in requests if r.route == "/chat/completions"]) == 12
    for request in requests:
        assert "authorization" not in request.headers, request.path
        assert OPENROUTER_KEY not in repr(request.headers) + request.body.decode()
    assert not {r.route for r in requests} & OPENROUTER_ONLY


def test_api_key_env_names_the_key_for_the_base_url(config: Path, tmp_path: Path) -> None:
    with BackgroundServer(FakeOpenAI()) as server:
        result = run_cli("run", str(config), "--prompt", "q", "--base-url", server.base_url,
                       "--api-key-env", "MY_LOCAL_KEY", "--sessions-dir", str(tmp_path),
                       env={"MY_LOCAL_KEY": LOCAL_KEY,
                            "OPENROUTER_API_KEY": OPENROUTER_KEY})  # fmt: skip
        requests = list(server.requests)
    assert result.returncode == 0, result.stderr
    chats = [r for r in requests if r.route == "/chat/completions"]
    assert chats and all(r.headers["authorization"] == f"Bearer {LOCAL_KEY}" for r in chats)
    assert not {r.route for r in requests} & OPENROUTER_ONLY
    saved = "".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("*.toml"))
    assert LOCAL_KEY not in saved and "MY_LOCAL_KEY" in saved  # the variable's name, not the key


async def test_openrouter_only_calls_are_not_sent_to_other_endpoints() -> None:
    async with ScriptedServer(FakeOpenAI()) as server:
        spec = ProviderSpec("local", server.base_url, "LOCAL_KEY")
        async with OpenAIClient(spec, api_key=LOCAL_KEY) as client:
            for call in (client.credits(), client.key_info(), client.generation("gen-1")):
                with pytest.raises(UnsupportedError, match="OpenRouter"):
                    await call
        assert server.requests == []


def one_line_exit_2(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "unexpected error" not in lines[0] and "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:99999/v1",
        "http://127.0.0.1:0/v1",
        "http://127.0.0.1:port/v1",
        "http://[::1/v1",
        "http:///v1",
        "http://local host/v1",
    ],
)
def test_bad_base_url_flag_is_one_line_naming_the_flag(url: str, config: Path) -> None:
    line = one_line_exit_2(run_cli("run", str(config), "--prompt", "q", "--base-url", url))
    assert "--base-url" in line


def test_bad_port_in_the_environment_names_the_variable(config: Path) -> None:
    result = run_cli("run", str(config), "--prompt", "q",
                   env={"OPENROUTER_BASE_URL": "http://127.0.0.1:70000/v1",
                        "OPENROUTER_API_KEY": OPENROUTER_KEY})  # fmt: skip
    line = one_line_exit_2(result)
    assert "OPENROUTER_BASE_URL" in line and "65535" in line


def test_bad_port_in_a_provider_table_names_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "local.toml"
    path.write_text(
        '[[models]]\nid = "m"\nprovider = "local"\n'
        '[providers.local]\nbase_url = "http://127.0.0.1:123456/v1"\n',
        encoding="utf-8",
    )
    line = one_line_exit_2(run_cli("run", str(path), "--prompt", "q"))
    assert str(path) in line and "providers.local.base_url" in line and "65535" in line


def test_credentials_in_a_url_are_refused_and_never_printed(tmp_path: Path) -> None:
    with BackgroundServer(FakeOpenAI()) as server:
        with_password = server.base_url.replace("://", "://alice:hunter2@")
        flag = run_cli("models", "--base-url", with_password)
        path = tmp_path / "c.toml"
        path.write_text(
            f'[[models]]\nid = "m"\nprovider = "p"\n[providers.p]\nbase_url = "{with_password}"\n',
            encoding="utf-8",
        )
        in_file = run_cli("run", str(path), "--prompt", "q", "--sessions-dir", str(tmp_path / "s"))
        requests = list(server.requests)
    for result, where in ((flag, "--base-url"), (in_file, "providers.p.base_url")):
        line = one_line_exit_2(result)
        assert where in line and "credentials" in line and "api_key_env" in line
        assert "hunter2" not in result.stdout + result.stderr
        assert "alice" not in result.stdout + result.stderr
    assert requests == []
    assert not list(tmp_path.glob("s/*.toml"))


def test_a_session_file_pointing_openrouter_elsewhere_never_gets_the_key(
    config: Path, tmp_path: Path
) -> None:
    """Session files can come from anyone, and hold the provider's base URL: one that points the
    openrouter provider at another host is refused before any request; the key goes to such a
    host only while OPENROUTER_BASE_URL in the user's own environment names it."""
    session = tmp_path / "shared.toml"
    proxy = {"OPENROUTER_API_KEY": OPENROUTER_KEY}
    with BackgroundServer(FakeOpenAI()) as server:
        proxy["OPENROUTER_BASE_URL"] = server.base_url
        first = run_cli("run", str(config), "--prompt", "q", "--save", str(session), env=proxy)
        assert first.returncode == 0, first.stderr
        assert server.base_url in session.read_text(encoding="utf-8")
        server.requests.clear()
        refused = run_cli("run", "--resume", str(session), "--prompt", "more",
                        env={"OPENROUTER_API_KEY": OPENROUTER_KEY})  # fmt: skip
        sent = list(server.requests)
        allowed = run_cli("run", "--resume", str(session), "--prompt", "more", env=proxy)
        after = list(server.requests)
    assert refused.returncode == 2, refused.stderr
    assert "sent only to OpenRouter" in refused.stderr and OPENROUTER_KEY not in refused.stderr
    assert sent == []
    assert allowed.returncode == 0, allowed.stderr
    chats = [r for r in after if r.path.endswith("/chat/completions")]
    assert chats and all(r.headers["authorization"] == f"Bearer {OPENROUTER_KEY}" for r in chats)
