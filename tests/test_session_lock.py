"""One writer per session: a second process is refused with the holder's pid, and the lock dies
with its process (kill -9 included)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cltui.core.sessions.lock import SessionLock, SessionLocked, lock_path

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX flock and signals")

HOLD = """\
import sys, time
from cltui.core.sessions.lock import SessionLock
SessionLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(120)
"""


def cltui(*args: str, speed: str = "1000") -> subprocess.Popen[str]:
    env = {**os.environ, "CLTUI_DEMO_SPEED": speed}
    return subprocess.Popen(
        [sys.executable, "-m", "cltui", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(*args: str) -> subprocess.CompletedProcess[str]:
    process = cltui(*args)
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def killed(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)


@pytest.fixture
def session(tmp_path: Path) -> Path:
    path = tmp_path / "talk.toml"
    result = finished("run", "--demo", "--prompt", "first question", "--save", str(path))
    assert result.returncode == 0, result.stderr
    return path


def test_a_second_run_is_refused_while_another_process_holds_the_session(session: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(session)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        before = session.read_bytes()
        result = finished("run", "--demo", "--resume", str(session), "--prompt", "more")
        assert result.returncode == 2
        assert f"{session}: open in process {holder.pid}, which is writing it" in result.stderr
        assert session.read_bytes() == before
        dry = finished("run", "--demo", "--resume", str(session), "--dry-run")
        assert dry.returncode == 0, dry.stderr  # a dry run writes nothing: no lock needed
    finally:
        killed(holder)

    result = finished("run", "--demo", "--resume", str(session), "--prompt", "more")
    assert result.returncode == 0, result.stderr
    assert session.read_text(encoding="utf-8").count("[[turns]]") == 2
    assert not lock_path(session).exists()


def test_a_running_cltui_holds_its_session_until_killed(session: Path) -> None:
    first = cltui("run", "--demo", "--resume", str(session), "--prompt", "slow one", speed="1")
    try:
        deadline = time.monotonic() + 30
        lock = lock_path(session)
        while time.monotonic() < deadline:
            if lock.exists() and lock.read_text(encoding="ascii").strip() == str(first.pid):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the first run never took the session's lock")
        second = finished("run", "--demo", "--resume", str(session), "--prompt", "other")
        assert second.returncode == 2
        assert f"open in process {first.pid}" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        killed(first)

    after = finished("run", "--demo", "--resume", str(session), "--prompt", "after the kill")
    assert after.returncode == 0, after.stderr


def test_holders_in_one_process_share_the_lock_and_the_last_release_frees_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.toml"
    first, second = SessionLock(path), SessionLock(path)
    first.acquire()
    second.acquire()  # the app opens a session again before closing its old runner
    assert lock_path(path).read_text(encoding="ascii").strip() == str(os.getpid())
    first.release()
    assert lock_path(path).exists()
    second.release()
    assert not lock_path(path).exists()


def test_a_lock_in_a_missing_folder_is_a_save_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="cannot save here") as caught:
        SessionLock(tmp_path / "nope" / "s.toml").acquire()
    assert not isinstance(caught.value, SessionLocked)
