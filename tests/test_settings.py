"""The user settings file: read with clear errors, and changed without losing what it holds."""

from __future__ import annotations

import stat
import sys
import tomllib
from pathlib import Path

import pytest

from cltui.core.config import ConfigError
from cltui.core.settings import SettingsNotSaved, load_user_settings, save_setting

KEY = "sk-or-v1-" + "ab12" * 16


def test_a_setting_is_changed_and_the_keys_are_kept(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    file = tmp_path / "conf" / "config.toml"
    file.write_text(f'theme = "old"\n[providers.openrouter]\napi_key = "{KEY}"\n', "utf-8")
    save_setting("theme", "nord", file)
    settings = load_user_settings(file)
    assert settings.theme == "nord" and settings.api_keys == {"openrouter": KEY}
    assert [p.name for p in file.parent.iterdir()] == ["config.toml"]  # no temporary file left


def test_a_file_that_cannot_be_read_back_is_not_replaced(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    text = f'theme = "old\n[providers.openrouter]\napi_key = "{KEY}"\n'  # unclosed string
    file.write_text(text, "utf-8")
    with pytest.raises(SettingsNotSaved, match="config.toml is not valid TOML") as caught:
        save_setting("theme", "nord", file)
    assert isinstance(caught.value, OSError)
    assert KEY not in str(caught.value)
    assert file.read_text("utf-8") == text


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_new_settings_file_is_private(tmp_path: Path) -> None:
    file = tmp_path / "new" / "config.toml"
    save_setting("theme", "nord", file)
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert tomllib.loads(file.read_text("utf-8")) == {"theme": "nord"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("theme = 3\n", "theme: must be a string"),
        ("colour = 'x'\n", "colour: unknown key"),
        ("[providers.openrouter]\napi_key = 5\n", "providers.openrouter.api_key: must be a str"),
        ("[providers.openrouter]\nbase_url = 'x'\n", "providers.openrouter.base_url: unknown"),
        ("theme = \n", "invalid TOML"),
    ],
)
def test_bad_settings_give_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    file = tmp_path / "config.toml"
    file.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_user_settings(file)
    message = str(caught.value)
    assert expected in message and str(file) in message and "\n" not in message


def test_the_keys_stay_out_of_the_repr_that_crash_reports_print(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text(f'[providers.openrouter]\napi_key = "{KEY}"\n', "utf-8")
    settings = load_user_settings(file)
    assert settings.api_keys == {"openrouter": KEY}
    assert KEY not in repr(settings)


COMMENTED = f"""\
# My cltui settings: kept by hand.
theme = "old"   # the look I like

consensus = "~/consensus/default.toml"  # where I start

[keys]
# m is easier than f
"pane.maximize" = "m"

[providers.openrouter]
api_key = "{KEY}"   # rotated monthly
"""


def test_a_theme_change_keeps_comments_and_layout(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text(COMMENTED, "utf-8")
    save_setting("theme", "nord", file)
    assert file.read_text("utf-8") == COMMENTED.replace('"old"', '"nord"')


def test_a_new_setting_lands_among_the_top_level_keys(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    original = COMMENTED.replace('theme = "old"   # the look I like\n', "")
    file.write_text(original, "utf-8")
    save_setting("theme", "nord", file)
    text = file.read_text("utf-8")
    settings = load_user_settings(file)
    assert settings.theme == "nord" and settings.keys == {"pane.maximize": "m"}
    assert settings.api_keys == {"openrouter": KEY}
    assert "# m is easier than f" in text and "# rotated monthly" in text
    assert text.index("theme") < text.index("[keys]")
