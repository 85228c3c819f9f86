"""Starting the app: `build_app`, the missing-key warning for the config actually in use, and the
credits and cost preview shown before the first round."""

from __future__ import annotations

from pathlib import Path

import pytest

from cltui.ui.app import ConsensusApp
from cltui.ui.launch import build_app
from cltui.ui.screens.session_picker import SessionPicker
from tests.support.scripted import ScriptedBackend
from tests.ui.support import demo_models_config, main_screen, make_app

NOTICE = "No API key for openrouter: set OPENROUTER_API_KEY."


def test_build_app_builds_without_running(tmp_path: Path) -> None:
    app = build_app(["--demo", "--sessions-dir", str(tmp_path), "--strategy", "council"])
    assert isinstance(app, ConsensusApp)
    assert app.runner.config.strategy == "council"
    assert not app.is_running


def test_a_sessions_folder_that_cannot_be_written_is_said_before_the_first_question(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file", encoding="utf-8")
    app = build_app(["--demo", "--sessions-dir", str(blocker)])
    said = [n for n in app.notices if n.startswith("Answers cannot be saved")]
    assert len(said) == 1 and "is a file, not a folder" in said[0]
    assert "Save session as" in said[0]


def test_build_app_reports_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_app([str(tmp_path / "missing.toml")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cltui: ") and "missing.toml" in err and "\n" not in err


async def test_no_key_warning_while_the_picker_is_first(tmp_path: Path) -> None:
    asked: list[object] = []

    def key_notice(config: object) -> str:
        asked.append(config)
        return NOTICE

    app = make_app(demo_models_config(), ScriptedBackend(), tmp_path, open_picker=True,
                   key_notice=key_notice)  # fmt: skip
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SessionPicker)
        assert not asked
        assert not any(NOTICE in n.message for n in app._notifications)
        await pilot.press("escape")  # nothing picked: the new session behind it is in use
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert asked == [app.runner.config]
        assert any(NOTICE in n.message for n in app._notifications)


async def test_key_checked_for_a_session_started_afterwards(tmp_path: Path) -> None:
    asked: list[object] = []
    app = make_app(demo_models_config(), ScriptedBackend(), tmp_path,
                   key_notice=lambda config: asked.append(config) or None)  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(asked) == 1
        app.action_new_session()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(asked) == 2 and asked[-1] is app.runner.config


async def test_credits_and_cost_preview_before_the_first_round(tmp_path: Path) -> None:
    app = make_app(demo_models_config(("m/a", "m/b")), ScriptedBackend(), tmp_path)
    prompts: list[str] = []
    original = app.runner.preview

    def preview(prompt: str = "") -> object:
        prompts.append(prompt)
        return original(prompt)

    app.runner.preview = preview  # type: ignore[method-assign]
    async with app.run_test(size=(160, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = main_screen(app)
        info = screen.status.info
        assert info.credits_known  # the simulated provider reports its credits
        assert " calls" in info.preview
        assert "credits $" in screen.status.render().plain
        await pilot.press(*"why is the sky blue")
        await pilot.pause(0.5)  # the preview is redone after a pause in typing, not per key
        await pilot.pause()
        assert prompts[-1] == "why is the sky blue"
        assert prompts.count("why is the sky blue") == 1
        assert " calls" in screen.status.info.preview
