"""Where cltui keeps its files: user config, themes, and sessions.

Resolved on each call (not at import) so tests and `--sessions-dir` can point them elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "cltui"
SESSIONS_ENV = "CLTUI_SESSIONS_DIR"
CONFIG_DIR_ENV = "CLTUI_CONFIG_DIR"


def config_dir() -> Path:
    """The user's config folder (`CLTUI_CONFIG_DIR` overrides the platform default)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def user_settings_file() -> Path:
    """The user's settings: theme, key bindings, provider keys."""
    return config_dir() / "config.toml"


def user_themes_dir() -> Path:
    """Themes the user adds, one TOML file each."""
    return config_dir() / "themes"


def sessions_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The sessions folder: the flag, else `CLTUI_SESSIONS_DIR`, else `./sessions` when it
    exists, else the platform's data folder. Not created here: writers create it on first save."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(SESSIONS_ENV)
    if env:
        return Path(env).expanduser()
    local = Path.cwd() / "sessions"
    if local.is_dir():
        return local
    return Path(platformdirs.user_data_dir(APP_NAME)) / "sessions"
