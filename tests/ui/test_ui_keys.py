"""Keys and commands: maximise, copy, focus, palette, narrow layout, quitting, themes, help."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path

from textual.widgets import Tabs

from cltui.core.events import AGGREGATOR_SLOT
from cltui.core.sessions.files import load_session
from cltui.ui.screens.confirm import ConfirmScreen
from cltui.ui.screens.help import HelpScreen
from cltui.ui.screens.session_picker import SessionPicker
from tests.support.scripted import Gate, ScriptedBackend
from tests.ui.support import (
    demo_models_config,
    finished_session,
    main_screen,
    make_app,
    settle,
    wait_until,
)


async def test_maximise_copy_and_focus_keys(tmp_path: Path) -> None:
    config = demo_models_config(("m/a", "m/b"))
    path = finished_session(config, tmp_path / "s.toml", turns=1)
    app = make_app(config, ScriptedBackend(), tmp_path, opening=path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        screen.panes["m/a"].focus()
        await pilot.press("2")
        assert app.focused is screen.panes["m/b"]
        await pilot.press("3")
        assert app.focused is screen.panes[AGGREGATOR_SLOT]
        await pilot.press("f")
        assert screen.maximized is screen.panes[AGGREGATOR_SLOT]
        await pilot.press("escape")
        assert screen.maximized is None
        await pilot.press("y")
        assert app.clipboard == screen.panes[AGGREGATOR_SLOT].text
        assert "Final for turn 1" in app.clipboard


async def test_the_palette_offers_every_command_and_runs_them(tmp_path: Path) -> None:
    app = make_app(demo_models_config(("m/a", "m/b")), ScriptedBackend(), tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in ("Send prompt", "Cancel round", "Resume round", "Maximise pane",
                       "Focus pane 1", "Focus pane 3", "Copy pane", "Save session",
                       "Open session", "New session", "Help", "Theme", "Quit",
                       "Previous round", "Back to live"):  # fmt: skip
            assert wanted in titles
        await pilot.press("ctrl+p")
        await pilot.press(*"Focus pane 2")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is main_screen(app).panes["m/b"]


async def test_narrow_terminals_show_panes_as_tabs(tmp_path: Path) -> None:
    app = make_app(demo_models_config(("m/a", "m/b", "m/c")), ScriptedBackend(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        assert screen.has_class("-narrow")
        tabs = screen.query_one("#pane-tabs", Tabs)
        assert tabs.display and tabs.region.height > 0
        shown = [p for p in screen.panes.values() if p.region.height > 0]
        assert shown == [screen.panes["m/a"]]
        screen.panes["m/a"].focus()
        await pilot.press("4")
        await pilot.pause()
        shown = [p for p in screen.panes.values() if p.region.height > 0]
        assert shown == [screen.panes[AGGREGATOR_SLOT]]
        await pilot.resize_terminal(140, 40)
        await pilot.pause()
        assert screen.has_class("-wide")
        assert all(p.region.height > 0 for p in screen.panes.values())


async def test_quitting_while_a_round_runs_asks_first(tmp_path: Path) -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend()
    backend.on("m/a", "working ", Gate(gate))
    app = make_app(demo_models_config(("m/a", "m/b"), iterations=0), backend, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"q", "enter")
        await wait_until(pilot, lambda: screen.panes["m/a"].text == "working ")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.running and app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        path = app.runner.path
    assert app.return_code == 0
    assert path is not None
    saved = load_session(path)
    assert saved.turns[0].status == "interrupted"
    reply = saved.turns[0].rounds[0].reply_for("m/a")
    assert reply is not None and reply.content == "working "


async def test_help_and_the_session_picker_open(tmp_path: Path) -> None:
    config = demo_models_config(("m/a", "m/b"))
    finished_session(config, tmp_path / "20250101-120000-abcdef.toml", turns=2)
    (tmp_path / "broken.toml").write_text("this is [not toml", encoding="utf-8")
    app = make_app(config, ScriptedBackend(), tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("ctrl+o")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, SessionPicker)
        damaged = [s for s in picker.summaries if s.damaged]
        assert len(damaged) == 1 and damaged[0].path.name == "broken.toml"
        good = next(i for i, s in enumerate(picker.summaries) if not s.damaged)
        options = picker.query_one("#sessions")
        options.highlighted = good  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: main_screen(app).runner is app.runner
                         and bool(app.runner.session.turns))  # fmt: skip
        await pilot.pause()
        assert "Final for turn 2" in main_screen(app).panes[AGGREGATOR_SLOT].text


async def test_themes_load_apply_and_are_remembered(
    tmp_path: Path, isolated_environment: Path
) -> None:
    themes = isolated_environment / "config" / "themes"
    themes.mkdir()
    (themes / "bad.toml").write_text('name = "bad"\nprimary = "not a colour"\n')
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "#ff8800"\ndark = false\n')
    app = make_app(demo_models_config(), ScriptedBackend(), tmp_path, theme="cltui-paper")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        assert app.theme == "cltui-paper"
        assert {"cltui-dusk", "cltui-paper", "mine"} <= set(app.available_themes)
        warnings = [n.message for n in app._notifications if "theme" in n.message.lower()]
        assert any("bad.toml" in w for w in warnings)
        app.theme = "mine"
        await pilot.pause()
    settings = tomllib.loads((isolated_environment / "config" / "config.toml").read_text())
    assert settings["theme"] == "mine"


async def test_keys_can_be_remapped_by_binding_id(tmp_path: Path) -> None:
    config = demo_models_config(("m/a", "m/b"))
    path = finished_session(config, tmp_path / "s.toml", turns=1)
    app = make_app(config, ScriptedBackend(), tmp_path, keymap={"pane.maximize": "m"}, opening=path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        screen.panes["m/a"].focus()
        await pilot.press("f")
        assert screen.maximized is None
        await pilot.press("m")
        assert screen.maximized is screen.panes["m/a"]


async def test_a_transparent_screen_over_the_app_renders(tmp_path: Path) -> None:
    """A screen with a transparent background shows the app beneath it, which Textual draws by
    calling the app's `render()` and animates with its `animate()`: attributes of the app
    must not shadow either (a string `render` crashed every transparent screen)."""
    from textual.screen import ModalScreen
    from textual.widgets import Static

    class Overlay(ModalScreen[None]):
        DEFAULT_CSS = "Overlay { background: transparent; }"

        def compose(self):  # type: ignore[no-untyped-def]
            yield Static("over the app")

    app = make_app(demo_models_config(("m/a", "m/b")), ScriptedBackend(), tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.push_screen(Overlay())
        await pilot.pause()
        app.export_screenshot()  # draws the app beneath the transparent screen
        assert isinstance(app.screen, Overlay) and app.is_running
        screen = app.screen_stack[0]
        for owner in (app, screen):  # Textual's methods, not flags of ours
            assert callable(owner.render) and callable(owner.animate)
