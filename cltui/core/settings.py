"""The user's own settings file (`config.toml` in the config folder).

It holds what belongs to the user rather than to a consensus: the theme, remapped keys, API keys
for providers, and which consensus config to start with. A bad file is reported with its path and
key; the app then runs on defaults rather than refusing to start.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from cltui.core.config import ConfigError
from cltui.core.paths import user_settings_file

KNOWN_KEYS = {"theme", "keys", "providers", "consensus"}


@dataclass(slots=True)
class UserSettings:
    """Parsed user settings; every field optional."""

    theme: str | None = None
    keys: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys, e.g. {"pane.maximize": "m"}."""
    api_keys: dict[str, str] = field(default_factory=dict)
    """Provider name -> API key, for users who keep keys in the file instead of the environment."""
    consensus: str | None = None
    """Path of the consensus config to use when none is given on the command line."""
    path: Path | None = None


def load_user_settings(path: Path | None = None) -> UserSettings:
    """Read the settings file; a missing file gives defaults. Raises ConfigError on bad content."""
    file = path or user_settings_file()
    source = str(file)
    try:
        doc = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return UserSettings(path=file)
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(source, "", f"cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(source, "", f"invalid TOML: {error}") from None
    unknown = sorted(set(doc) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            source, unknown[0], f"unknown key; allowed: {', '.join(sorted(KNOWN_KEYS))}"
        )
    settings = UserSettings(path=file)
    if "theme" in doc:
        if not isinstance(doc["theme"], str):
            raise ConfigError(source, "theme", "must be a string (a theme name)")
        settings.theme = doc["theme"]
    if "keys" in doc:
        keys = doc["keys"]
        if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
            raise ConfigError(source, "keys", 'must be a table of binding id = "keys"')
        settings.keys = dict(keys)
    if "providers" in doc:
        providers = doc["providers"]
        if not isinstance(providers, dict):
            raise ConfigError(source, "providers", "must be a table of [providers.NAME] tables")
        for name, table in providers.items():
            if not isinstance(table, dict):
                raise ConfigError(source, f"providers.{name}", "must be a table")
            for key in table:
                if key != "api_key":
                    raise ConfigError(
                        source,
                        f"providers.{name}.{key}",
                        "unknown key; only api_key belongs here (endpoints: consensus config)",
                    )
            if "api_key" in table:
                if not isinstance(table["api_key"], str):
                    raise ConfigError(source, f"providers.{name}.api_key", "must be a string")
                settings.api_keys[name] = table["api_key"]
    if "consensus" in doc:
        if not isinstance(doc["consensus"], str):
            raise ConfigError(source, "consensus", "must be a string (a path to a config file)")
        settings.consensus = os.path.expanduser(doc["consensus"])
    return settings


def save_setting(key: str, value: Any, path: Path | None = None) -> None:
    """Change one top-level setting, keeping the rest of the file (written atomically)."""
    file = path or user_settings_file()
    try:
        doc = tomllib.loads(file.read_text(encoding="utf-8"))
    except (FileNotFoundError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        doc = {}
    doc[key] = value
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(file.name + ".tmp")
    with open(tmp, "wb") as handle:
        tomli_w.dump(doc, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, file)
    if "providers" in doc:
        os.chmod(file, 0o600)  # it holds keys
