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

import tomlkit
from tomlkit.exceptions import TOMLKitError

from cltui.core.config import ConfigError
from cltui.core.paths import user_settings_file

KNOWN_KEYS = {"theme", "keys", "providers", "consensus"}


@dataclass(slots=True)
class UserSettings:
    """Parsed user settings; every field optional."""

    theme: str | None = None
    keys: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys, e.g. {"pane.maximize": "m"}."""
    api_keys: dict[str, str] = field(default_factory=dict, repr=False)
    """Provider name -> API key, for users who keep keys in the file instead of the environment.
    Left out of the repr, which crash reports print."""
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


class SettingsNotSaved(OSError):
    """The settings file exists but cannot be read back, so writing it would lose what is in it
    (API keys, for one). An OSError, so callers that handle a failed write handle this too."""


def save_setting(key: str, value: Any, path: Path | None = None) -> None:
    """Change one top-level setting, keeping the rest of the file as the user wrote it: the
    comments, the order and the layout stay, only the value of `key` changes (or is added).
    Written atomically; a new file, and any file holding keys, is readable by the user only.

    Raises `SettingsNotSaved` rather than replace a file it cannot parse."""
    from cltui.core.sessions.files import atomic_write_bytes

    file = path or user_settings_file()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except UnicodeDecodeError as error:
        raise SettingsNotSaved(f"{file} is not valid TOML ({error}); fix it first") from None
    try:
        tomllib.loads(text)  # the reader's verdict: what the app could not read is left alone
        doc = tomlkit.parse(text)
    except (tomllib.TOMLDecodeError, TOMLKitError) as error:
        raise SettingsNotSaved(f"{file} is not valid TOML ({error}); fix it first") from None
    doc[key] = value
    atomic_write_bytes(file, tomlkit.dumps(doc).encode("utf-8"))
    if "providers" in doc:
        os.chmod(file, 0o600)  # it holds keys
