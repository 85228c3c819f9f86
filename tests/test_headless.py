"""`cltui run`: the headless consensus, its output, its session file and its exit codes."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

from cltui import headless
from cltui.core.events import (
    ReplyDelta,
    ReplyFinished,
    ReplyStarted,
    RoundStarted,
    TurnFinished,
    TurnStarted,
)
from cltui.core.sessions.model import Reply, Session, Turn
from cltui.progress import ProgressPrinter
from tests.support.cli import run_cli
from tests.support.http_server import BackgroundServer, FakeOpenAI

FIXED_REPLY_KEYS = {"model", "status", "content", "prompt_tokens", "completion_tokens", "cost",
                    "ttft_ms", "duration_ms"}  # fmt: skip


def only_session(directory: Path) -> Path:
    files = sorted(directory.glob("*.toml"))
    assert len(files) == 1, files
    return files[0]


def test_demo_run_prints_the_final_answer_and_saves_the_session(isolated_environment: Path) -> None:
    result = run_cli("run", "--demo", "--prompt", "Compare tabs and spaces")
    assert result.returncode == 0, result.stderr
    path = only_session(isolated_environment / "sessions")
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert doc["schema_version"] == 1
    assert {"id", "title", "created_at", "updated_at", "status", "config", "turns"} <= set(doc)
    assert doc["status"] == "complete"
    turn = doc["turns"][0]
    assert turn["prompt"] == "Compare tabs and spaces"
    assert turn["status"] == "complete"
    assert len(turn["rounds"]) == 3
    for rnd in turn["rounds"]:
        assert FIXED_REPLY_KEYS <= set(rnd["aggregate"])
        for reply in rnd["replies"]:
            assert FIXED_REPLY_KEYS <= set(reply)
    assert result.stdout.strip() == turn["final"].strip()
    assert "round 3/3" in result.stderr
    assert f"saved: {path}" in result.stderr


def test_json_output_and_explicit_save_path(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "mine.toml"
    result = run_cli("run", "--demo", "--prompt", "hello", "--json", "--save", str(target))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "complete"
    assert data["turns"][0]["final"]
    assert tomllib.loads(target.read_text(encoding="utf-8"))["id"] == data["id"]


def test_follow_up_on_a_resumed_session_keeps_the_history(isolated_environment: Path) -> None:
    assert run_cli("run", "--demo", "--prompt", "first question").returncode == 0
    path = only_session(isolated_environment / "sessions")
    result = run_cli("run", "--demo", "--resume", str(path), "--prompt", "and a follow-up")
    assert result.returncode == 0, result.stderr
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert [t["prompt"] for t in doc["turns"]] == ["first question", "and a follow-up"]


def test_resuming_a_finished_session_without_a_prompt_claims_no_save(
    isolated_environment: Path,
) -> None:
    assert run_cli("run", "--demo", "--prompt", "first question").returncode == 0
    path = only_session(isolated_environment / "sessions")
    before = path.read_bytes()
    result = run_cli("run", "--demo", "--resume", str(path))
    assert result.returncode == 0, result.stderr
    assert "nothing to resume" in result.stderr
    assert "saved:" not in result.stderr
    assert path.read_bytes() == before


def test_against_an_openai_compatible_base_url(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[[models]]\nid = "fake/alpha"\n[[models]]\nid = "fake/beta"\n'
        '[aggregator]\nmodel = "fake/gamma"\n',
        encoding="utf-8",
    )
    with BackgroundServer(FakeOpenAI()) as server:
        result = run_cli("run", str(config), "--prompt", "q", "--base-url", server.base_url,
                         env={"OPENROUTER_API_KEY": "sk-test-headless"})  # fmt: skip
        chats = [r for r in server.requests if r.route == "/chat/completions"]
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("fake/gamma answers:")
    assert len(chats) == 6  # (2 models + aggregator) x 2 rounds
    # An ad-hoc endpoint gets no key it was not given, and no OpenRouter-only calls.
    assert all("authorization" not in r.headers for r in server.requests)
    assert all("sk-test-headless" not in str(r.headers) for r in server.requests)
    routes = {r.route for r in server.requests}
    assert not routes & {"/credits", "/key", "/auth/key", "/generation"}, routes
    assert "sk-test-headless" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "--demo"), "run needs --prompt"),
        (("run", "nope.toml", "--prompt", "x"), "nope.toml: file not found"),
        (("run", "--resume", "no-such-session"), "no session matches 'no-such-session'"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_failed_run_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[[models]]\nid = "demo/overloaded"\nprovider = "demo"\n', encoding="utf-8")
    result = run_cli("run", str(config), "--prompt", "q")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


def test_ctrl_c_exits_130_and_leaves_an_interrupted_session(isolated_environment: Path) -> None:
    env = {**os.environ, "CLTUI_DEMO_SPEED": "1"}
    run = subprocess.Popen(
        [sys.executable, "-m", "cltui", "run", "--demo", "--prompt", "a long question"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sessions = isolated_environment / "sessions"
    assert run.stderr is not None
    for line in run.stderr:  # interrupt once a model is streaming, as a user would
        if "streaming" in line:
            break
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=30)
    assert run.returncode == 130, err
    assert "interrupted" in err
    doc = tomllib.loads(only_session(sessions).read_text(encoding="utf-8"))
    assert doc["status"] == "interrupted"
    assert doc["turns"][0]["status"] == "interrupted"
    resumed = run_cli("run", "--demo", "--resume", doc["id"])
    assert resumed.returncode == 0, resumed.stderr
    done = tomllib.loads(only_session(sessions).read_text(encoding="utf-8"))
    assert done["status"] == "complete"


def test_a_missing_key_is_refused_before_any_call(isolated_environment: Path) -> None:
    config = isolated_environment / "c.toml"
    config.write_text('[[models]]\nid = "x/y"\n', encoding="utf-8")
    result = run_cli("run", str(config), "--prompt", "q")
    assert result.returncode == 2
    assert result.stderr.startswith("cltui: x/y needs a key: OPENROUTER_API_KEY is not set: export")
    assert "--demo" in result.stderr
    assert not list((isolated_environment / "sessions").glob("*.toml"))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


HOSTILE = "Fine \x1b]0;owned\x07answer\x1b[2J\x9b31m done"


def _finished_run(stdout: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdout", stdout)
    monkeypatch.setattr("sys.stderr", io.StringIO())
    runner = SimpleNamespace(last_save_error=None, session=Session(config={}), path=None)
    turn = Turn("q", status="complete", final=HOSTILE)
    return headless._finish(runner, turn, argparse.Namespace(json=False))  # type: ignore[arg-type]


def test_the_answer_on_a_terminal_has_no_escape_sequences(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    assert _finished_run(terminal, monkeypatch) == 0
    out = terminal.getvalue()
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert out.startswith("Fine ") and out.endswith(" done\n")


def test_the_answer_to_a_pipe_shows_escape_sequences_as_symbols(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    piped = io.StringIO()
    assert _finished_run(piped, monkeypatch) == 0
    assert piped.getvalue() == "Fine ␛]0;owned␇answer␛[2J\ufffd31m done\n"


def test_the_json_answer_keeps_the_exact_text_with_no_raw_control_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdout", piped := io.StringIO())
    monkeypatch.setattr("sys.stderr", io.StringIO())
    session = Session(config={}, turns=[Turn("q", status="complete", final=HOSTILE)])
    runner = SimpleNamespace(last_save_error=None, session=session, path=None)
    code = headless._finish(runner, session.turns[0], argparse.Namespace(json=True))  # type: ignore[arg-type]
    assert code == 0
    out = piped.getvalue()
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", out), repr(out)
    assert json.loads(out)["turns"][0]["final"] == HOSTILE


def test_progress_shows_hostile_model_names_and_errors_as_plain_text() -> None:
    for live in (False, True):
        err = _Terminal()
        printer = ProgressPrinter(err, live=live)
        name = "evil\x1b[2J\x1b]0;owned\x07\u202emodel"
        printer(TurnStarted(Session(config={}), 0, "\x1b[31mQ"))
        printer(RoundStarted(0, 0, 1))
        printer(ReplyStarted(0, 0, name, name, "proposer"))
        printer(ReplyDelta(0, 0, name, text="\x1b[2Jtext"))
        failed = Reply(name, status="error", error="bad \x1b[31m\x9b1mthing")
        printer(ReplyFinished(0, 0, name, failed))
        printer(TurnFinished(0, "failed", error="\x1b]0;x\x07reason"))
        out = err.getvalue()
        if live:  # the printer's own cursor moves are the only escapes
            out = re.sub(r"\x1b\[\d*[FK]", "", out)
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", out), repr(out)
        assert "evil" in out and "bad" in out and "reason" in out


def test_a_failed_models_progress_line_names_it_once() -> None:
    err = _Terminal()
    printer = ProgressPrinter(err, live=False)
    printer(TurnStarted(Session(config={}), 0, "Q"))
    printer(RoundStarted(0, 0, 1))
    printer(ReplyStarted(0, 0, "keepalive/x", "keepalive/x", "proposer"))
    failed = Reply("keepalive/x", status="error", error="keepalive/x: no text within 5 s")
    printer(ReplyFinished(0, 0, "keepalive/x", failed))
    assert "  ✗ keepalive/x  error: no text within 5 s\n" in err.getvalue()


def test_a_hostile_session_file_name_is_shown_as_symbols(tmp_path: Path) -> None:
    target = tmp_path / "evil\x1b]0;pwned\x07.toml"
    result = run_cli("run", "--demo", "--prompt", "q", "--save", str(target))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "evil␛]0;pwned␇.toml" in result.stderr
