"""A session file cannot send the user's keys where it likes.

Sessions hold their providers (`base_url`, `api_key_env`) and may come from anyone. Through the
real command line against a real HTTP server on 127.0.0.1 that records every request's headers:
a session this user's cltui wrote resumes with its keys; one written for another user, or whose
providers were edited, is refused before any request and names what to do; giving the config
again (`cltui run CONFIG --resume`) trusts it; a key from the user's settings never follows a
provider that a foreign session re-points.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.http_server import BackgroundServer, FakeOpenAI

HELPER_KEY = "helper-" + "s3cret" * 5
GITHUB_TOKEN = "ghp_" + "n0tR3al" * 5
SETTINGS_KEY = "settings-" + "k3y" * 8


def config_text(base_url: str, key_env: str | None = "HELPER_KEY") -> str:
    key = f'api_key_env = "{key_env}"\n' if key_env else ""
    return (
        '[[models]]\nid = "fake/alpha"\nprovider = "helper"\n'
        '[aggregator]\nmodel = "fake/gamma"\nprovider = "helper"\n'
        f'[providers.helper]\nbase_url = "{base_url}"\n{key}'
    )


def cltui(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line as the user whose config folder is `home`, with two secrets exported."""
    secrets = {"HELPER_KEY": HELPER_KEY, "GITHUB_TOKEN": GITHUB_TOKEN}
    return run_cli(*args, env={"CLTUI_CONFIG_DIR": str(home), **secrets})


def authorizations(server: BackgroundServer) -> list[str | None]:
    return [r.headers.get("authorization") for r in server.requests]


def test_own_sessions_resume_with_their_keys_and_edited_ones_get_none(tmp_path: Path) -> None:
    me = tmp_path / "me"
    config = tmp_path / "c.toml"
    session = tmp_path / "s.toml"
    with BackgroundServer(FakeOpenAI()) as server:
        config.write_text(config_text(server.base_url), encoding="utf-8")
        made = cltui(me, "run", str(config), "--prompt", "q", "--save", str(session))
        assert made.returncode == 0, made.stderr
        assert "providers_seal" in session.read_text(encoding="utf-8")
        server.requests.clear()
        resumed = cltui(me, "run", "--resume", str(session), "--prompt", "more")
        assert resumed.returncode == 0, resumed.stderr
        assert set(authorizations(server)) == {f"Bearer {HELPER_KEY}"}

        edited = session.read_text(encoding="utf-8").replace('"HELPER_KEY"', '"GITHUB_TOKEN"')
        session.write_text(edited, encoding="utf-8")
        server.requests.clear()
        refused = cltui(me, "run", "--resume", str(session), "--prompt", "again")
        assert server.requests == []
    assert refused.returncode == 2, refused.stderr
    assert "was not written by cltui for this user" in refused.stderr
    assert "GITHUB_TOKEN is not sent to" in refused.stderr
    assert f"cltui run CONFIG --resume {session}" in refused.stderr
    assert GITHUB_TOKEN not in refused.stderr + refused.stdout


def test_another_users_session_needs_the_config_given_again(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    session = tmp_path / "s.toml"
    with BackgroundServer(FakeOpenAI()) as server:
        config.write_text(config_text(server.base_url), encoding="utf-8")
        made = cltui(tmp_path / "them", "run", str(config), "--prompt", "q", "--save", str(session))
        assert made.returncode == 0, made.stderr
        server.requests.clear()
        refused = cltui(tmp_path / "me", "run", "--resume", str(session), "--prompt", "more")
        assert server.requests == []
        trusted = cltui(tmp_path / "me", "run", str(config), "--resume", str(session),
                        "--prompt", "more")  # fmt: skip
        # The config given once is kept, sealed for this user: the next resume needs none.
        again = cltui(tmp_path / "me", "run", "--resume", str(session), "--prompt", "again")
    assert refused.returncode == 2 and "HELPER_KEY is not sent to" in refused.stderr
    assert trusted.returncode == 0, trusted.stderr
    assert again.returncode == 0, again.stderr
    assert set(authorizations(server)) == {f"Bearer {HELPER_KEY}"}


def test_a_settings_key_never_follows_a_provider_a_foreign_session_repoints(
    tmp_path: Path,
) -> None:
    me = tmp_path / "me"
    me.mkdir()
    (me / "config.toml").write_text(
        f'[providers.helper]\napi_key = "{SETTINGS_KEY}"\n', encoding="utf-8"
    )
    config = tmp_path / "c.toml"
    session = tmp_path / "s.toml"
    with BackgroundServer(FakeOpenAI()) as server:
        config.write_text(config_text(server.base_url, key_env=None), encoding="utf-8")
        made = cltui(tmp_path / "them", "run", str(config), "--prompt", "q", "--save", str(session))
        assert made.returncode == 0, made.stderr
        server.requests.clear()
        resumed = cltui(me, "run", "--resume", str(session), "--prompt", "more")
        sent = authorizations(server)
    assert resumed.returncode == 0, resumed.stderr
    assert sent and all(header is None for header in sent)
