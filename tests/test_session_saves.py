"""Saving a running session: what sinks are told, in which order, and what is on disk after a
failure, a stale temporary file, a shipped example, or a save elsewhere."""

from __future__ import annotations

import errno
import os
import shutil
import tomllib
from pathlib import Path

import pytest

from cltui.core import runner as runner_module
from cltui.core.events import AGGREGATOR_SLOT, SessionSaved, SessionSaveFailed
from cltui.core.runner import ConsensusRunner
from cltui.core.sessions import files
from cltui.core.sessions.errors import SessionError
from tests.support.scripted import EventLog, ScriptedBackend, consensus_config

REPO = Path(__file__).resolve().parent.parent


def scripted_runner(directory: Path, **options: object) -> tuple[ConsensusRunner, EventLog]:
    backend = ScriptedBackend()
    config = consensus_config(("m/a",), iterations=0)
    runner = ConsensusRunner(
        config, backend_for=backend.backend_for, sessions_dir=directory, **options
    )
    log = EventLog()
    runner.add_sink(log)
    return runner, log


async def test_session_saved_arrives_after_the_event_that_caused_the_save(
    tmp_path: Path,
) -> None:
    runner, log = scripted_runner(tmp_path)
    await runner.engine.run_turn("Q")
    await runner.aclose()
    assert log.sequence() == [
        ("TurnStarted", 0),
        ("SessionSaved",),
        ("RoundStarted", 0),
        ("ReplyStarted", 0, "m/a"),
        ("ReplyFinished", 0, "m/a", "ok"),
        ("SessionSaved",),
        ("ReplyStarted", 0, AGGREGATOR_SLOT),
        ("ReplyFinished", 0, AGGREGATOR_SLOT, "ok"),
        ("SessionSaved",),
        ("RoundFinished", 0),
        ("SessionSaved",),
        ("TurnFinished", "complete"),
        ("SessionSaved",),
    ]


async def test_a_save_that_fails_is_told_at_once_and_retried_after_every_reply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace
    attempts: list[str] = []

    def disk_full_twice(src: str, dst: str) -> None:
        attempts.append(dst)
        if len(attempts) <= 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", disk_full_twice)
    folder = tmp_path / "sessions"
    runner, log = scripted_runner(folder)
    assert runner.path is not None
    path = runner.path
    seen_on_disk: list[bool] = []

    def file_when_failed(event: object) -> None:
        if isinstance(event, SessionSaveFailed):
            seen_on_disk.append(path.exists())

    runner.add_sink(file_when_failed)
    turn = await runner.engine.run_turn("Q")
    await runner.aclose()

    failures = log.of_type(SessionSaveFailed)
    assert [(f.path, f.reason) for f in failures] == [
        (str(runner.path), os.strerror(errno.ENOSPC))
    ] * 2
    assert seen_on_disk == [False, False]
    sequence = log.sequence()
    assert sequence[:3] == [("TurnStarted", 0), ("SessionSaveFailed",), ("RoundStarted", 0)]
    assert sequence[5] == ("SessionSaveFailed",)  # after the first reply: tried again
    assert sequence[8] == ("SessionSaved",)  # and the one after that worked
    assert runner.last_save_error is None
    saved = tomllib.loads(runner.path.read_text(encoding="utf-8"))
    assert saved["turns"][0]["final"] == turn.final
    assert [p.name for p in folder.iterdir()] == [runner.path.name]  # no temp or lock left


async def test_a_full_disk_while_taking_the_lock_is_reported_and_leaves_no_lock_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock file's pid is the first write a new session makes: a full disk there is a failed
    save like any other, and the next save takes the lock afresh (not 'open in another
    process', which would be this one)."""
    from cltui.core.sessions import lock as lock_module

    real_write = lock_module.os.write
    failures_left = [1]

    def disk_full_once(fd: int, data: bytes) -> int:
        if failures_left[0]:
            failures_left[0] -= 1
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(lock_module.os, "write", disk_full_once)
    folder = tmp_path / "sessions"
    runner, log = scripted_runner(folder)
    await runner.engine.run_turn("Q")
    await runner.aclose()

    failures = log.of_type(SessionSaveFailed)
    assert len(failures) == 1 and os.strerror(errno.ENOSPC) in failures[0].reason
    assert "another process" not in failures[0].reason
    assert log.sequence()[:2] == [("TurnStarted", 0), ("SessionSaveFailed",)]
    assert isinstance(log.events[-1], SessionSaved) and runner.last_save_error is None
    runner.release()
    assert [p.name for p in folder.iterdir()] == [runner.path.name]  # type: ignore[union-attr]


async def test_a_folder_replaced_by_a_file_mid_run_is_reported_until_saved_elsewhere(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "sessions"
    runner, log = scripted_runner(folder)
    assert runner.path is not None

    def swap_folder_for_a_file(event: object) -> None:
        if isinstance(event, SessionSaved) and folder.is_dir():
            shutil.rmtree(folder)
            folder.write_text("not a folder any more", encoding="utf-8")

    runner.add_sink(swap_folder_for_a_file)
    await runner.engine.run_turn("Q")
    failures = log.of_type(SessionSaveFailed)
    assert len(failures) == 4  # every later save tried again, and said so
    assert failures[0].path == str(runner.path)
    assert failures[0].reason == f"{folder} is a file, not a folder"
    assert runner.last_save_error

    elsewhere = tmp_path / "rescued"
    elsewhere.mkdir()
    path = runner.save_as(elsewhere)
    await runner.aclose()
    assert path.parent == elsewhere and runner.path == path
    assert runner.last_save_error is None
    assert isinstance(log.events[-1], SessionSaved) and log.events[-1].path == str(path)
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert doc["turns"][0]["status"] == "complete"


def test_save_as_refuses_a_file_that_is_not_a_session(tmp_path: Path) -> None:
    runner, _ = scripted_runner(tmp_path / "sessions")
    config = tmp_path / "config.toml"
    config.write_text('theme = "nord"\n', encoding="utf-8")
    with pytest.raises(SessionError, match="config.toml: exists and is not a cltui session"):
        runner.save_as(config)
    assert config.read_text(encoding="utf-8") == 'theme = "nord"\n'


def test_stale_temp_files_of_the_session_are_removed_on_the_next_save(tmp_path: Path) -> None:
    first, _ = scripted_runner(tmp_path)
    first.save()
    assert first.path is not None
    first.release()
    runner = ConsensusRunner.open(first.path, sessions_dir=tmp_path)  # as after a kill
    assert runner.path is not None
    name = runner.path.name
    stale = [tmp_path / f".{name}.k1ll3d.tmp", tmp_path / f".{name}.x9.tmp"]
    someone_elses = tmp_path / ".20990101-000000-abcdef.toml.k1ll3d.tmp"
    for path in [*stale, someone_elses]:
        path.write_bytes(b"half a session")
    runner.save()
    assert not any(p.exists() for p in stale)
    assert someone_elses.exists()
    assert runner.path.exists()
    runner.release()


async def test_continuing_a_shipped_example_writes_a_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLTUI_DEMO_SPEED", "1000")
    example = tmp_path / "example-iterative.toml"
    shutil.copyfile(REPO / "sessions" / "example-iterative.toml", example)
    original = example.read_bytes()
    sessions = tmp_path / "sessions"
    opened = ConsensusRunner.open(example, demo=True, sessions_dir=sessions)
    before = tomllib.loads(original.decode("utf-8"))
    assert opened.copied_from == example
    assert opened.path is not None and opened.path.parent == sessions
    assert opened.session.id != before["id"]
    await opened.engine.run_turn("One more question")
    await opened.aclose()
    assert example.read_bytes() == original
    copy = tomllib.loads(opened.path.read_text(encoding="utf-8"))
    assert len(copy["turns"]) == len(before["turns"]) + 1
    assert copy["turns"][0]["prompt"] == before["turns"][0]["prompt"]


def test_the_example_rule_is_the_file_name() -> None:
    assert runner_module.is_shipped_example(Path("sessions/example-moa.toml"))
    assert not runner_module.is_shipped_example(Path("sessions/my-example-moa.toml"))
    assert not runner_module.is_shipped_example(Path("sessions/20250101-000000-abc.toml"))


def test_a_session_without_turns_yet_may_be_saved_over(tmp_path: Path) -> None:
    runner, _ = scripted_runner(tmp_path)
    runner.save()  # as right after the question was sent, before any reply
    runner.release()
    assert runner.path is not None
    files.check_save_target(runner.path)  # no error: it is a cltui session
