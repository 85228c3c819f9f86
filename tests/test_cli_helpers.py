"""The command line and the helper subcommands (models, credits, probe, complete), run as the user
runs them: `python -m cltui ...` in a subprocess, on the demo models or against a real HTTP
server on 127.0.0.1."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cltui import __version__
from cltui.cli import COMMAND_NAMES, STRATEGY_CHOICES, parse_args, run_handler
from cltui.commands.helpers import format_models_table, per_million
from cltui.core.config import STRATEGIES
from cltui.core.providers.results import ModelInfo
from tests.support.http_server import (
    KEEPALIVE,
    STALL,
    BackgroundServer,
    FakeOpenAI,
    RecordedRequest,
    Reply,
)

REPO = Path(__file__).resolve().parents[1]
TEST_KEY = "sk-or-v1-cli-test-secret"


def cltui(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m cltui argv...` with fast demo models and the test's isolated folders."""
    environ = {**os.environ, "CLTUI_DEMO_SPEED": "1000", "PYTHONIOENCODING": "utf-8"}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "cltui", *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environ,
        cwd=REPO,
        timeout=60,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cltui: ")
    return lines[0]


@pytest.fixture
def fake_server() -> Iterator[BackgroundServer]:
    with BackgroundServer(FakeOpenAI(models=("fake/alpha", "fake/beta:free"))) as server:
        yield server


@pytest.fixture
def refusing_server() -> Iterator[BackgroundServer]:
    def refuse(request: RecordedRequest) -> Reply:
        return Reply.error(401, "No auth credentials found")

    with BackgroundServer(refuse) as server:
        yield server


# ------------------------------------------------------------------------------------------
# Top level


def test_version() -> None:
    result = cltui("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"cltui {__version__}"


def test_help_lists_the_commands_without_loading_httpx_or_textual() -> None:
    result = cltui("--help", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0
    for name in COMMAND_NAMES:
        assert f"\n  {name} " in result.stdout
    assert "--demo" in result.stdout and "--resume" in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert "cltui.cli" in imported  # the import-time report is there
    assert not {m for m in imported if m.split(".")[0] in ("httpx", "textual")}


def test_bad_flag_is_a_usage_error() -> None:
    result = cltui("models", "--no-such-flag")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "unrecognized arguments: --no-such-flag" in result.stderr


def test_bad_flag_value_is_a_usage_error() -> None:
    result = cltui("complete", "--demo", "--model", "demo/atlas", "--prompt", "x",
                   "--temperature", "7")  # fmt: skip
    assert result.returncode == 2
    assert "between 0 and 2" in result.stderr


def test_bad_base_url_is_a_usage_error() -> None:
    line = assert_one_line_error(cltui("models", "--base-url", "ftp://nowhere"), code=2)
    assert "--base-url" in line and "http://" in line


def test_the_first_word_picks_a_command_or_the_interface() -> None:
    tui = parse_args(["my.toml", "--demo", "--resume", "--strategy", "council"])
    assert tui.command is None and tui.config == "my.toml" and tui.demo
    assert tui.resume == "" and tui.strategy == "council"  # "" opens the picker
    assert parse_args(["--resume", "s1"]).resume == "s1"
    assert parse_args([]).resume is None and parse_args([]).config is None
    run = parse_args(["run", "c.toml", "--prompt", "q", "--dry-run", "--demo"])
    assert (run.command, run.config, run.prompt, run.dry_run, run.demo) == (
        "run", "c.toml", "q", True, True
    )  # fmt: skip
    assert run.handler == "cltui.headless:main"
    export = parse_args(["export", "s1", "--format", "json", "--output", "o.json"])
    assert (export.session, export.format, export.output) == ("s1", "json", "o.json")
    assert parse_args(["sessions", "--json"]).handler == "cltui.session_cli:sessions_main"
    probe = parse_args(["probe", "--models", "a/b", "c/d", "--concurrency", "2"])
    assert probe.models == ["a/b", "c/d"] and probe.concurrency == 2 and probe.retries == 0


def test_strategy_choices_match_the_config() -> None:
    assert STRATEGY_CHOICES == STRATEGIES


def test_a_missing_handler_module_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(handler="cltui.no_such_module:main", command=None)
    assert run_handler(args) == 1
    assert capsys.readouterr().err == (
        "cltui: the terminal interface is not available in this build\n"
    )


# ------------------------------------------------------------------------------------------
# models


def test_models_demo_json() -> None:
    result = cltui("models", "--demo", "--json")
    assert result.returncode == 0, result.stderr
    models = {m["id"]: m for m in json.loads(result.stdout)}
    assert "demo/atlas" in models and models["demo/atlas"]["context_length"] == 32768
    assert models["demo/swift:free"]["is_free"] is True


def test_models_demo_free_table() -> None:
    result = cltui("models", "--demo", "--free")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "CONTEXT", "PROMPT/M", "COMPLETION/M"]
    assert "demo/swift:free" in lines[1] and lines[1].split()[-2:] == ["free", "free"]
    assert "demo/atlas" not in result.stdout
    assert "1 models (1 free)" in result.stdout


def test_models_search() -> None:
    result = cltui("models", "--demo", "--search", "BOREAL", "--json")
    assert [m["id"] for m in json.loads(result.stdout)] == ["demo/borealis"]


def test_models_table_is_aligned() -> None:
    models = [
        ModelInfo("a/model", "A \x1b[31mred\x1b[0m name", 8192, 1e-6, 2.5e-6),
        ModelInfo("longer/model-id:free", "Free", None, 0.0, 0.0, is_free=True),
    ]
    lines = format_models_table(models).splitlines()
    assert "\x1b" not in "".join(lines)
    starts = {line.index(word) for line, word in zip(lines, ("NAME", "A ", "Free"), strict=True)}
    assert len(starts) == 1
    assert lines[1].endswith("1.00          2.50") and lines[2].endswith("free          free")
    assert per_million(None) == "-" and per_million(3e-9) == "0.0030"


def test_models_from_a_local_endpoint(fake_server: BackgroundServer) -> None:
    result = cltui("models", "--base-url", fake_server.base_url, "--json")
    assert result.returncode == 0, result.stderr
    assert [m["id"] for m in json.loads(result.stdout)] == ["fake/alpha", "fake/beta:free"]
    (request,) = fake_server.requests
    assert request.route == "/models" and "authorization" not in {
        k.lower() for k in request.headers
    }


def test_base_url_from_the_environment(fake_server: BackgroundServer) -> None:
    result = cltui("models", "--free", "--json", env={"OPENROUTER_BASE_URL": fake_server.base_url})
    assert [m["id"] for m in json.loads(result.stdout)] == ["fake/beta:free"]


# ------------------------------------------------------------------------------------------
# credits


def test_credits_demo_json() -> None:
    result = cltui("credits", "--demo", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["source"] == "credits" and info["limit"] == 10.0 and info["remaining"] == 10.0


def test_credits_text_names_the_source() -> None:
    result = cltui("credits", "--demo")
    assert "from /credits" in result.stdout and "remaining: $10.00" in result.stdout


def test_credits_need_a_key() -> None:
    line = assert_one_line_error(cltui("credits"))
    assert "OPENROUTER_API_KEY" in line and "--demo" in line


# ------------------------------------------------------------------------------------------
# probe


def test_probe_reports_working_and_failing_models() -> None:
    result = cltui("probe", "--demo", "--models", "demo/atlas", "demo/overloaded", "--json")
    assert result.returncode == 0, result.stderr
    by_model = {r["model"]: r for r in json.loads(result.stdout)}
    assert by_model["demo/atlas"]["ok"] is True
    assert isinstance(by_model["demo/atlas"]["latency_ms"], int)
    assert by_model["demo/atlas"]["error"] is None
    failed = by_model["demo/overloaded"]
    assert failed["ok"] is False and failed["latency_ms"] is None
    assert "provider failed" in failed["error"]


def test_probe_text_summary() -> None:
    result = cltui("probe", "--demo", "--models", "demo/atlas", "demo/unknown")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("✓ demo/atlas") and line.endswith(" ms") for line in lines)
    assert any(line.startswith("✗ demo/unknown") and "not found" in line for line in lines)
    assert lines[-1] == "1 of 2 work"


def test_probe_from_the_free_list_fails_when_nothing_works() -> None:
    result = cltui("probe", "--demo", "--free", "--json")
    assert result.returncode == 0, result.stderr
    assert [r["model"] for r in json.loads(result.stdout)] == ["demo/swift:free"]
    failing = cltui("probe", "--demo", "--models", "demo/overloaded")
    assert failing.returncode == 1 and failing.stdout.splitlines()[-1] == "0 of 1 work"


# ------------------------------------------------------------------------------------------
# complete


def test_complete_demo_streams_legacy_completion() -> None:
    result = cltui("complete", "--demo", "--model", "demo/atlas", "--prompt", "hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("### ") and result.stdout.endswith("\n")
    assert result.stderr == ""


def test_complete_chat_with_reasoning_on_stderr() -> None:
    result = cltui("complete", "--demo", "--chat", "--model", "demo/deliberate",
                   "--prompt", "Why is the sky blue?", "--system", "Be brief.")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("## ")
    assert result.stderr.startswith("thinking: The question is about")
    assert "\x1b[" not in result.stderr  # not a terminal: no dimming codes


def test_complete_chat_without_streaming_and_truncated() -> None:
    result = cltui("complete", "--demo", "--chat", "--no-stream", "--model", "demo/cirrus",
                   "--prompt", "Tell me about tides", "--max-tokens", "4")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert 1 <= len(result.stdout.split()) <= 12
    assert "the answer was cut off at max_tokens; raise --max-tokens" in result.stderr


def test_complete_reports_a_retry_then_answers() -> None:
    result = cltui("complete", "--demo", "--model", "demo/flaky", "--prompt", "hi")
    assert result.returncode == 0, result.stderr
    assert "retrying in 1 s (attempt 2 of" in result.stderr
    assert result.stdout.strip()


def test_complete_keeps_partial_text_when_the_stream_breaks() -> None:
    result = cltui("complete", "--demo", "--chat", "--model", "demo/glitch", "--prompt", "hi")
    line = assert_one_line_error(result)
    assert "broke off" in line and result.stdout.strip()


def test_complete_unknown_model() -> None:
    line = assert_one_line_error(
        cltui("complete", "--demo", "--model", "demo/unknown", "--prompt", "hi")
    )
    assert "demo/unknown" in line and "not found" in line


def test_complete_chat_against_a_local_endpoint(fake_server: BackgroundServer) -> None:
    result = cltui("complete", "--chat", "--base-url", fake_server.base_url,
                   "--model", "fake/alpha", "--prompt", "hello",
                   env={"OPENROUTER_API_KEY": TEST_KEY})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == FakeOpenAI().answer_for("fake/alpha", "hello") + "\n"
    (request,) = fake_server.requests
    assert request.route == "/chat/completions"
    assert request.json()["stream"] is True
    assert request.json()["messages"] == [{"role": "user", "content": "hello"}]
    # --base-url names an ad-hoc endpoint: the OpenRouter key does not go there.
    assert "authorization" not in request.headers
    assert TEST_KEY not in result.stdout + result.stderr


def test_key_from_user_settings_goes_to_openrouter_only(
    fake_server: BackgroundServer, isolated_environment: Path
) -> None:
    settings = isolated_environment / "config" / "config.toml"
    settings.write_text(f'[providers.openrouter]\napi_key = "{TEST_KEY}"\n', encoding="utf-8")
    # OPENROUTER_BASE_URL re-points OpenRouter itself (a proxy): its key goes with it.
    result = cltui("complete", "--model", "fake/alpha", "--prompt", "hello",
                   env={"OPENROUTER_BASE_URL": fake_server.base_url})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert fake_server.requests[0].headers["authorization"] == f"Bearer {TEST_KEY}"
    # An ad-hoc --base-url endpoint gets no key from the settings.
    result = cltui("complete", "--base-url", fake_server.base_url, "--model", "fake/alpha",
                   "--prompt", "hello")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "authorization" not in fake_server.requests[1].headers


def test_missing_key_is_one_clear_line(refusing_server: BackgroundServer) -> None:
    line = assert_one_line_error(
        cltui(
            "complete",
            "--chat",
            "--base-url",
            refusing_server.base_url,
            "--model",
            "fake/alpha",
            "--prompt",
            "hello",
            "--api-key-env",
            "CLTUI_TEST_LOCAL_KEY",
        )  # fmt: skip
    )
    assert "CLTUI_TEST_LOCAL_KEY" in line and "--api-key-env" in line


def test_rejected_key_is_one_clear_line(refusing_server: BackgroundServer) -> None:
    line = assert_one_line_error(
        cltui(
            "models", "--base-url", refusing_server.base_url, "--api-key-env", "LOCAL_KEY",
            env={"LOCAL_KEY": TEST_KEY, "OPENROUTER_API_KEY": "sk-or-v1-elsewhere"},
        )  # fmt: skip
    )
    assert "rejected" in line and "LOCAL_KEY" in line
    assert refusing_server.requests[0].headers["authorization"] == f"Bearer {TEST_KEY}"
    assert TEST_KEY not in line


def test_unreachable_endpoint_is_one_line() -> None:
    line = assert_one_line_error(
        cltui("models", "--base-url", "http://127.0.0.1:9/v1", "--retries", "0")
    )
    assert "127.0.0.1:9" in line or "connect" in line.lower()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT cannot be sent to a child on Windows")
def test_ctrl_c_exits_130_without_a_traceback() -> None:
    def stall(request: RecordedRequest) -> Reply:
        return Reply(chunks=[KEEPALIVE, STALL])

    with BackgroundServer(stall) as server:
        environ = {**os.environ, "OPENROUTER_API_KEY": TEST_KEY, "PYTHONIOENCODING": "utf-8"}
        process = subprocess.Popen(
            [sys.executable, "-m", "cltui", "complete", "--chat", "--base-url", server.base_url,
             "--model", "fake/alpha", "--prompt", "hello"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ, cwd=REPO,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while not server.requests and time.monotonic() < deadline:
                time.sleep(0.02)
            assert server.requests, "the request never arrived"
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert stderr.strip() == "cltui: interrupted"
