"""Themes from TOML files: the project's own (shipped in the package) and the user's.

A theme file holds the fields of `textual.theme.Theme`. Broken files do not stop the app: they are
collected and reported together in one warning, naming each file and what is wrong with it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

import cltui
from cltui.core.paths import user_themes_dir

COLOR_FIELDS = (
    "primary", "secondary", "accent", "foreground", "background", "surface", "panel",
    "warning", "error", "success", "boost",
)  # fmt: skip
OTHER_FIELDS = ("name", "dark", "variables", "luminosity_spread", "text_alpha")
DEFAULT_DARK = "cltui-dusk"


@dataclass(slots=True)
class ThemeLoad:
    """Themes read from disk and the problems found on the way."""

    themes: list[Theme] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """One line per broken file: "path: what is wrong"."""

    def summary(self) -> str:
        """The aggregated warning shown to the user."""
        return "Some theme files were skipped:\n" + "\n".join(self.problems)


def builtin_themes_dir() -> Path:
    """The project's themes: inside the installed package, else next to it in a source tree."""
    package_dir = Path(cltui.__file__).parent
    shipped = package_dir / "themes"
    return shipped if shipped.is_dir() else package_dir.parent / "themes"


def theme_from_table(table: dict[str, Any]) -> Theme:
    """Build a `Theme` from a parsed TOML table; raises ValueError naming the bad field."""
    unknown = sorted(set(table) - set(COLOR_FIELDS) - set(OTHER_FIELDS))
    if unknown:
        raise ValueError(f"unknown key '{unknown[0]}'")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("'name' must be a non-empty string")
    if not isinstance(table.get("primary"), str):
        raise ValueError("'primary' (a colour) is required")
    colors: dict[str, str] = {}
    for key in COLOR_FIELDS:
        if key in table:
            value = table[key]
            try:
                Color.parse(value)
            except (ColorParseError, TypeError, ValueError):
                raise ValueError(f"'{key}' is not a colour: {value!r}") from None
            colors[key] = value
    dark = table.get("dark", True)
    if not isinstance(dark, bool):
        raise ValueError("'dark' must be true or false")
    variables = table.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ValueError("'variables' must be a table of strings")
    extra: dict[str, float] = {}
    for key in ("luminosity_spread", "text_alpha"):
        if key in table:
            if not isinstance(table[key], int | float):
                raise ValueError(f"'{key}' must be a number")
            extra[key] = float(table[key])
    return Theme(name=name, dark=dark, variables=dict(variables), **colors, **extra)  # type: ignore[arg-type]


def load_theme_dirs(dirs: Iterable[Path]) -> ThemeLoad:
    """Every `*.toml` theme in `dirs` (missing folders are skipped), in name order per folder."""
    result = ThemeLoad()
    for folder in dirs:
        if not folder.is_dir():
            continue
        for file in sorted(folder.glob("*.toml")):
            try:
                table = tomllib.loads(file.read_text(encoding="utf-8"))
                result.themes.append(theme_from_table(table))
            except (OSError, UnicodeDecodeError) as error:
                result.problems.append(f"{file}: cannot be read ({error})")
            except tomllib.TOMLDecodeError as error:
                result.problems.append(f"{file}: invalid TOML ({error})")
            except ValueError as error:
                result.problems.append(f"{file}: {error}")
    return result


def load_all_themes() -> ThemeLoad:
    """The project's themes, then the user's (a user theme may replace one of ours by name)."""
    return load_theme_dirs([builtin_themes_dir(), user_themes_dir()])
