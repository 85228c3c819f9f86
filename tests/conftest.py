"""Shared fixtures: every test runs with its own config and sessions folders and no real key."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point config and sessions at temporary folders and drop any real key or endpoint, so no
    test reads the developer's files or reaches the internet."""
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "sessions").mkdir()
    monkeypatch.setenv("CLTUI_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("CLTUI_SESSIONS_DIR", str(home / "sessions"))
    for name in ("OPENROUTER_API_KEY", "OPENROUTER_BASE_URL", "TEXTUAL_THEME", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return home
