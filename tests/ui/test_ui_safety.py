"""Untrusted text is shown literally: model output, model names, errors, toasts, tabs."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cltui.core.events import AGGREGATOR_SLOT
from cltui.ui.launch import main, missing_key_notice
from cltui.ui.screens.main import MainScreen
from tests.support.scripted import ScriptedBackend
from tests.ui.support import demo_models_config, main_screen, make_app, settle

HOSTILE = "[/red] [link=x]y[/link] [@click=app.quit]q[/] [bold"
FRAGMENTS = ("[/red]", "[link=x]y[/link]", "[@click=app.quit]q[/]", "[bold")


def screen_text(app: object) -> str:
    """Everything on screen, as the terminal would show it (from the SVG export)."""
    svg = app.export_screenshot()  # type: ignore[attr-defined]
    return svg.replace("&#160;", " ").replace("&amp;", "&").replace("&lt;", "<")


@pytest.mark.parametrize("size", [(160, 40), (80, 24)])
async def test_markup_in_model_text_and_names_is_shown_literally(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    backend = ScriptedBackend()
    backend.on("m/a", f"text: {HOSTILE}")
    backend.on("m/agg", f"merged: {HOSTILE}")
    config = demo_models_config([{"id": "m/a", "label": f"x{HOSTILE}"}, "m/b"], iterations=0)
    app = make_app(config, backend, tmp_path)
    async with app.run_test(size=size, notifications=True) as pilot:
        screen = main_screen(app)
        await pilot.press(*"go", "enter")
        await settle(pilot)
        pane = screen.panes[f"x{HOSTILE}"]
        assert pane.text == f"text: {HOSTILE}"
        assert HOSTILE in pane._border_title.plain  # type: ignore[union-attr]
        assert HOSTILE in screen.panes[AGGREGATOR_SLOT].text
        pane.focus()
        await pilot.press("y")  # the toast names the model
        await pilot.pause()
        assert any(HOSTILE in n.message for n in app._notifications)
        shown = screen_text(app)
        for fragment in ("[/red]", "[@click=app.quit]q[/]", "[bold"):
            assert fragment in shown
        assert app.is_running and isinstance(app.screen, MainScreen)


async def test_an_error_with_markup_is_a_literal_toast(tmp_path: Path) -> None:
    backend = ScriptedBackend()
    app = make_app(demo_models_config(("m/a", "m/b")), backend, tmp_path)

    async def failing_ask(prompt: str) -> object:
        raise RuntimeError(f"server said {HOSTILE}")

    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.runner.ask = failing_ask  # type: ignore[method-assign]
        await pilot.press(*"go", "enter")
        await settle(pilot)
        assert any(HOSTILE in n.message for n in app._notifications)
        assert "[/red] [link=x]y[/link] [@click=app.quit]q[/]" in (
            main_screen(app).status.render().plain
        )
        assert app.is_running


def test_a_bad_config_is_one_line_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(
        config=str(tmp_path / "missing.toml"), demo=False, resume=None, theme=None,
        sessions_dir=None, base_url=None, strategy=None, no_mouse=False,
    )  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.toml" in err and "not found" in err


def test_a_missing_key_is_explained() -> None:
    from cltui.core.config import default_config, demo_config

    notice = missing_key_notice(default_config(), {}, {})
    assert notice is not None and "OPENROUTER_API_KEY" in notice and "--demo" in notice
    assert missing_key_notice(default_config(), {"openrouter": "k"}, {}) is None
    assert missing_key_notice(demo_config(), {}, {}) is None
