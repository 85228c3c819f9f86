"""The TUI when the session cannot be saved, or another process writes it: the failure stays on
screen until a save works, the user can save elsewhere, and a session held elsewhere is shown
but not run."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from textual.widgets import Input

from cltui.ui.launch import build_app
from cltui.ui.screens.confirm import ConfirmScreen
from cltui.ui.screens.save_as import SaveAsScreen
from tests.support.scripted import ScriptedBackend
from tests.ui.support import demo_models_config, finished_session, main_screen, make_app, settle

REPO = Path(__file__).resolve().parents[2]
HOLD = """\
import sys, time
from cltui.core.sessions.lock import SessionLock
SessionLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(120)
"""


def screen_text(app: object) -> str:
    """Everything on screen, line by line as the terminal would show it (from the SVG export,
    which writes each differently styled run of a line as its own text element)."""
    svg = app.export_screenshot()  # type: ignore[attr-defined]
    lines: dict[int, list[str]] = {}
    for number, text in re.findall(r'clip-path="url\(#terminal-\d+-line-(\d+)\)">([^<]*)<', svg):
        lines.setdefault(int(number), []).append(html.unescape(text).replace("\xa0", " "))
    return "\n".join("".join(parts) for _, parts in sorted(lines.items()))


async def test_a_failed_save_stays_on_screen_until_saved_elsewhere(tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder\n", encoding="utf-8")
    sessions = blocker / "sessions"
    config = demo_models_config(("m/a", "m/b"), iterations=0)
    app = make_app(config, ScriptedBackend(), sessions)
    target = tmp_path / "rescued.toml"
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = main_screen(app)
        await pilot.press(*"why", "enter")
        await settle(pilot)
        assert app.runner.session.turns[0].status == "complete"
        toasts = [n for n in app._notifications if n.title == "The session is not saved"]
        assert len(toasts) == 1  # once, though every reply tried again
        assert "Save session as" in toasts[0].message
        app.clear_notifications()
        await pilot.pause()
        assert f"NOT SAVED: {blocker} is a file, not a folder" in screen_text(app)

        await pilot.press("ctrl+q")  # quitting now would lose the session: asked first
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "The session is NOT saved" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running

        await pilot.press("ctrl+p")
        await pilot.press(*"Save session as")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaveAsScreen)
        assert f"{blocker} is a file, not a folder" in screen_text(app)
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert app.runner.path == target
        assert "NOT SAVED" not in screen_text(app)
        assert screen.status.info.save_failed == ""
        assert any(f"Saved to {target}" in n.message for n in app._notifications)

        await pilot.press(*"again", "enter")  # later replies go to the new file
        await settle(pilot)
    doc = tomllib.loads(target.read_text(encoding="utf-8"))
    assert [t["prompt"] for t in doc["turns"]] == ["why", "again"]
    assert blocker.read_text(encoding="utf-8") == "a file, not a folder\n"


async def test_saving_as_a_file_that_is_not_a_session_is_refused(tmp_path: Path) -> None:
    precious = tmp_path / "config.toml"
    precious.write_text('theme = "nord"  # mine\n', encoding="utf-8")
    app = make_app(demo_models_config(("m/a",), iterations=0), ScriptedBackend(), tmp_path / "s")
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        app.action_save_session_as()
        await pilot.pause()
        app.screen.query_one(Input).value = str(precious)
        await pilot.press("enter")
        await pilot.pause()
        assert any(
            "exists and is not a cltui session" in n.message and n.title == "Not saved there"
            for n in app._notifications
        )
    assert precious.read_text(encoding="utf-8") == 'theme = "nord"  # mine\n'


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX flock")
async def test_a_session_another_process_writes_opens_for_viewing_only(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    path = finished_session(demo_models_config(("m/a", "m/b")), sessions / "talk.toml")
    before = path.read_bytes()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        app = build_app(["--demo", "--resume", str(path), "--sessions-dir", str(sessions)])
        assert f"open in process {holder.pid}" in app.runner.read_only
        async with app.run_test(size=(160, 40), notifications=True) as pilot:
            await settle(pilot)
            assert any(
                f"Viewing only: {path}: open in process {holder.pid}" in n.message
                for n in app._notifications
            )
            app.clear_notifications()
            await pilot.pause()
            shown = screen_text(app)
            assert "Question 2: why is the sky blue?" in shown  # the history is there
            assert "viewing only" in shown
            app.submit("ask anyway")
            app.action_save_session()
            await settle(pilot)
            assert len(app.runner.session.turns) == 2
    finally:
        holder.kill()
        holder.communicate(timeout=10)
    assert path.read_bytes() == before


def test_opening_a_shipped_example_says_additions_go_to_a_copy(tmp_path: Path) -> None:
    example = tmp_path / "example-moa.toml"
    shutil.copyfile(REPO / "sessions" / "example-moa.toml", example)
    sessions = tmp_path / "sessions"
    app = build_app(["--demo", "--resume", str(example), "--sessions-dir", str(sessions)])
    assert app.runner.copied_from == example
    assert app.runner.path is not None and app.runner.path.parent == sessions
    assert any(
        "example-moa.toml is a shipped example" in notice and str(app.runner.path) in notice
        for notice in app.notices
    )
