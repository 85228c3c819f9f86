"""Sharing from the app: the session exported as Markdown beside its file, the final answer
copied, both in the palette (and export on a key that works in the prompt box too)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cltui.core.sessions.model import Session, Turn
from cltui.ui.app import ConsensusApp
from cltui.ui.keymap import APP_BINDINGS
from cltui.ui.screens.help import key_table
from cltui.ui.session_export import export_path, latest_final_answer
from tests.support.scripted import ScriptedBackend
from tests.ui.support import demo_models_config, make_app, settle

QUESTION = "Why is the sky blue?"
FINAL = "Rayleigh scattering: [/red] short *blue* wavelengths scatter most."


def answered_app(sessions: Path) -> ConsensusApp:
    backend = ScriptedBackend()
    backend.on("m/a", "Because of scattering.")
    backend.on("m/b", "Air molecules scatter blue light.")
    backend.on("m/agg", FINAL)
    return make_app(demo_models_config(("m/a", "m/b"), iterations=0), backend, sessions)


def toasts(app: ConsensusApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_the_export_key_writes_the_session_as_markdown_beside_its_file(
    tmp_path: Path,
) -> None:
    sessions = tmp_path / "[b]odd[/b] sessions"  # a path that would be markup in a toast
    app = answered_app(sessions)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.press(*QUESTION, "enter")
        await settle(pilot)
        assert app.runner.session.turns[0].final == FINAL
        assert app.focused is not None and app.focused.id == "prompt"
        await pilot.press("ctrl+g")  # works with the prompt box focused
        await pilot.pause()
        session_path = app.runner.path
        assert session_path is not None
        exported = session_path.with_suffix(".md")
        assert exported.parent == session_path.parent and exported.is_file()
        text = exported.read_text(encoding="utf-8")
        assert QUESTION in text and FINAL in text
        if os.name == "posix":
            assert exported.stat().st_mode & 0o777 == 0o644
        assert any(str(exported) in message for message in toasts(app))
        assert not list(sessions.glob(".*.tmp"))


async def test_copy_final_answer_from_the_palette(tmp_path: Path) -> None:
    app = answered_app(tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.press(*QUESTION, "enter")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"Copy final answer")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.clipboard == FINAL
        assert any("Copied the final answer" in message for message in toasts(app))


async def test_the_palette_and_help_offer_both_commands(tmp_path: Path) -> None:
    app = answered_app(tmp_path)
    async with app.run_test(size=(120, 40)):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Export as Markdown" in titles and "Copy final answer" in titles
    assert "session.export" in {b.id for b in APP_BINDINGS}
    assert "session.export" in key_table({}).plain


async def test_before_any_question_there_is_nothing_to_export_or_copy(tmp_path: Path) -> None:
    app = answered_app(tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.copy_to_clipboard("untouched")
        await pilot.press("ctrl+g")
        app.action_copy_final_answer()
        await pilot.pause()
        assert app.clipboard == "untouched"
        assert not list(tmp_path.glob("*.md"))
        messages = toasts(app)
        assert any("Nothing to export" in m for m in messages)
        assert any("no final answer" in m for m in messages)


def session(final: str = "") -> Session:
    made = Session(config={}, id="20250101-120000-abcdef")
    if final:
        made.turns.append(Turn(prompt="q", final=final))
    return made


@pytest.mark.parametrize(
    ("saved_as", "exported_as"),
    [("s.toml", "s.md"), ("notes", "notes.md"), ("notes.md", "notes.md.md")],
)
def test_the_export_sits_beside_the_session_file(
    tmp_path: Path, saved_as: str, exported_as: str
) -> None:
    assert export_path(tmp_path / saved_as, tmp_path / "other", session()) == (
        tmp_path / exported_as
    )


def test_an_unsaved_session_exports_into_the_sessions_folder(tmp_path: Path) -> None:
    assert export_path(None, tmp_path, session()) == tmp_path / "20250101-120000-abcdef.md"


def test_the_final_answer_is_the_latest_turns() -> None:
    assert latest_final_answer(session()) == ""
    assert latest_final_answer(session("done")) == "done"
