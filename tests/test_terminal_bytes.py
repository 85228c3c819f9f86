"""The bytes a real terminal receives: a model's escape sequences never reach it.

The app runs as users run it (`python -m cltui CONFIG --base-url URL`) in a pseudo-terminal of
120x40, against a local OpenAI-compatible server whose models answer with escape sequences that
clear the screen, retitle the window, write the clipboard, leave the alternate screen, reset the
terminal and ask for the cursor position. The test types a question, waits for the answer to be
saved, quits with ctrl+q, and looks at everything the app wrote to the terminal. Then it reopens
the saved session (`--resume PATH`) and looks again.

Textual writes escape sequences of its own (it enters and leaves the alternate screen, moves the
cursor, may ask for the cursor position), so the same run with a benign answer is the baseline:
each injected sequence may occur only as often as it does there.
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.http_server import BackgroundServer, FakeOpenAI

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX pty")]

HOSTILE = (
    "Answer\x1b[2J\x1b[H wiped \x1b]0;pwned\x07 titled \x1b]52;c;aGk=\x07 clipboard "
    "\x1b[?1049l left \x1bc reset \x1b[6n asked ENDMARK"
)
BENIGN = "Answer wiped titled clipboard left reset asked ENDMARK"
INJECTED = {
    "clear screen": b"\x1b[2J",
    "cursor home": b"\x1b[H",
    "window title": b"\x1b]0;",
    "window title (OSC 2)": b"\x1b]2;",
    "clipboard": b"\x1b]52;",
    "leave alternate screen": b"\x1b[?1049l",
    "reset": b"\x1bc",
    "cursor position query": b"\x1b[6n",
    "bell": b"\x07",
}
SYMBOLS = ["␛[2J␛[H", "␛]0;pwned␇", "␛]52;c;aGk=␇", "␛[?1049l", "␛c", "␛[6n"]
CONFIG = """\
iterations = 0

[[models]]
id = "fake/alpha"

[[models]]
id = "fake/beta"

[aggregator]
model = "fake/gamma"
"""
QUIT = b"\x11"  # ctrl+q
TIMEOUT = 60.0
"""Generous: the machine may be busy. Only a limit on waiting, never a measurement."""


class _Answering(FakeOpenAI):
    """Every model answers with the same text, whatever the question."""

    def __init__(self, answer: str) -> None:
        super().__init__(models=("fake/alpha", "fake/beta", "fake/gamma"))
        self.answer = answer

    def answer_for(self, model: str, prompt: str) -> str:
        return self.answer


class Terminal:
    """A process on a pseudo-terminal of 120x40, and every byte it wrote to it."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.process = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
            start_new_session=True, close_fds=True,
        )  # fmt: skip
        os.close(slave)
        self.output = bytearray()

    def read(self, wait: float = 0.1) -> bool:
        """Read what is there (waiting up to `wait` s); False once the process closed it."""
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the other end is closed
            return False
        self.output += data
        return bool(data)

    def wait_for(self, what: str, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            if time.monotonic() > deadline or self.process.poll() is not None:
                tail = bytes(self.output[-3000:])
                raise AssertionError(f"gave up waiting for {what}; the terminal ends {tail!r}")
            self.read()

    def settle(self, quiet: float = 0.5) -> None:
        """Read until nothing more arrives for `quiet` seconds (the screen is drawn)."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], quiet)
            if not ready or not self.read(0):
                return

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    def quit(self) -> bytes:
        """Press ctrl+q, read to the end; everything the terminal received."""
        self.type(QUIT)
        deadline = time.monotonic() + TIMEOUT
        while self.read() and time.monotonic() < deadline:
            if self.process.poll() is not None:
                while self.read(0.2):
                    pass
                break
        try:
            self.process.wait(timeout=TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            os.close(self.master)
        return bytes(self.output)


def _environment(home: Path, base_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLTUI_")}
    env.update(
        TERM="xterm-256color", HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"), CLTUI_SESSIONS_DIR=str(home / "sessions"),
        OPENROUTER_API_KEY="test-key-not-real", OPENROUTER_BASE_URL=base_url,
        CLTUI_RENDER="auto", PYTHONPATH=str(Path(__file__).resolve().parents[1]),
    )  # fmt: skip
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return env


def _saved_session(folder: Path) -> Path | None:
    for path in folder.glob("*.toml"):
        try:
            if tomllib.loads(path.read_text(encoding="utf-8")).get("status") == "complete":
                return path
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return None


def _ask_and_quit(tmp_path: Path, answer: str) -> tuple[bytes, Path, BackgroundServer]:
    """Run the app, ask, wait for the saved answer, quit: the bytes and the session file."""
    (tmp_path / "sessions").mkdir(parents=True)
    config = tmp_path / "consensus.toml"
    config.write_text(CONFIG, encoding="utf-8")
    server = BackgroundServer(_Answering(answer)).start()
    env = _environment(tmp_path, server.base_url)
    args = [sys.executable, "-m", "cltui", str(config), "--base-url", server.base_url]
    terminal = Terminal(args, env, tmp_path)
    terminal.wait_for("the first frame", lambda: b"fake/alpha" in terminal.output)
    terminal.settle()
    terminal.type(b"why?\r")
    terminal.wait_for("the saved answer", lambda: _saved_session(tmp_path / "sessions") is not None)
    terminal.settle()
    output = terminal.quit()
    saved = _saved_session(tmp_path / "sessions")
    assert saved is not None
    return output, saved, server


def _reopen(tmp_path: Path, session: Path, base_url: str) -> bytes:
    env = _environment(tmp_path, base_url)
    args = [sys.executable, "-m", "cltui", "--resume", str(session), "--base-url", base_url]
    terminal = Terminal(args, env, tmp_path)
    terminal.wait_for("the saved answer on screen", lambda: b"ENDMARK" in terminal.output)
    terminal.settle()
    return terminal.quit()


def _counts(output: bytes) -> dict[str, int]:
    return {name: output.count(sequence) for name, sequence in INJECTED.items()}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, int], dict[str, int]]:
    """How often Textual itself writes each sequence, with a benign answer: while asking, and
    while reopening the session."""
    folder = tmp_path_factory.mktemp("benign")
    asked, saved, server = _ask_and_quit(folder, BENIGN)
    try:
        reopened = _reopen(folder, saved, server.base_url)
    finally:
        server.stop()
    assert b"ENDMARK" in asked and b"ENDMARK" in reopened
    return _counts(asked), _counts(reopened)


def _assert_harmless(output: bytes, textual_own: dict[str, int]) -> None:
    counts = _counts(output)
    for name, count in counts.items():
        assert count <= textual_own[name], f"{name}: {count} times, Textual's own {textual_own}"
    assert b"\x1b]0;pwned" not in output and b"\x1b]2;" not in output  # the title is untouched
    text = output.decode("utf-8", "replace")
    for symbol in SYMBOLS:
        assert symbol in text, f"{symbol!r} is not shown"
    # "pwned" reaches the terminal only as shown text, after the visible ␛]0;.
    assert text.count("pwned") == text.count("␛]0;pwned")


def test_model_escape_sequences_never_reach_the_terminal(
    tmp_path: Path, baseline: tuple[dict[str, int], dict[str, int]]
) -> None:
    asked, saved, server = _ask_and_quit(tmp_path, HOSTILE)
    try:
        assert HOSTILE in tomllib.loads(saved.read_text(encoding="utf-8"))["turns"][0]["final"]
        _assert_harmless(asked, baseline[0])
        reopened = _reopen(tmp_path, saved, server.base_url)
    finally:
        server.stop()
    _assert_harmless(reopened, baseline[1])
