"""`cltui run` killed with SIGKILL mid-round and resumed: no finished work is redone or lost.

The run talks to a real OpenAI-compatible server on 127.0.0.1; the session file is read over and
over while the run goes on, and must parse every single time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from tests.support.http_server import BackgroundServer, FakeOpenAI

CONFIG = """
iterations = 2
[[models]]
id = "fake/alpha"
[[models]]
id = "fake/beta"
[[models]]
id = "fake/gamma"
[aggregator]
model = "fake/alpha"
"""


def words(n: int, tag: str) -> str:
    return " ".join(f"{tag}{i}" for i in range(n))


def chat_requests(server: BackgroundServer) -> list[str]:
    """The text of every chat request the server saw, in order."""
    return [r.body.decode() for r in server.requests if r.route == "/chat/completions"]


def is_first_round_proposal(body: str) -> bool:
    """Round 0 proposals carry neither a consensus message nor the aggregator's answer blocks."""
    return "Consensus: " not in body and "<response model=" not in body


def cltui(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cltui", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_sigkill_in_round_one_then_resume(tmp_path: Path) -> None:
    fake = FakeOpenAI(
        chunk_delay=0.02,
        answers={
            "fake/alpha": words(6, "a"),  # fast: done long before the others
            "fake/beta": words(60, "b"),
            "fake/gamma": words(120, "g"),  # slow: still streaming when the run is killed
        },
    )
    config = tmp_path / "consensus.toml"
    config.write_text(CONFIG, encoding="utf-8")
    session = tmp_path / "run.toml"
    env = {**os.environ, "OPENROUTER_API_KEY": "sk-test-kill-resume"}

    with BackgroundServer(fake) as server:
        url = server.base_url
        run = cltui("run", str(config), "--prompt", "Why is the sky blue?", "--save",
                    str(session), "--base-url", url, env=env)  # fmt: skip
        observations = 0
        deadline = time.monotonic() + 60
        killed_at: dict | None = None
        try:
            while time.monotonic() < deadline and run.poll() is None:
                if session.exists():
                    doc = tomllib.loads(session.read_text(encoding="utf-8"))  # must always parse
                    observations += 1
                    rounds = doc.get("turns", [{}])[0].get("rounds", [])
                    if len(rounds) >= 2 and any(
                        r["status"] == "ok" for r in rounds[1].get("replies", [])
                    ):
                        run.send_signal(signal.SIGKILL)
                        run.wait()
                        killed_at = doc
                        break
                time.sleep(0.005)
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
        assert killed_at is not None, "the run never reached round 1"
        assert run.returncode == -signal.SIGKILL
        on_disk = tomllib.loads(session.read_text(encoding="utf-8"))
        assert on_disk["status"] == "running"  # killed: nobody could mark it
        round0 = on_disk["turns"][0]["rounds"][0]
        assert round0["aggregate"]["status"] == "ok"
        before = len(chat_requests(server))

        resumed = subprocess.run(
            [sys.executable, "-m", "cltui", "run", "--resume", str(session), "--base-url", url],
            env=env,
            capture_output=True,
            timeout=60,
        )
        assert resumed.returncode == 0, resumed.stderr.decode()
        after = chat_requests(server)[before:]

    assert observations > 3
    assert after, "the resume made no calls"
    assert not any(is_first_round_proposal(body) for body in after), "round 0 was redone"
    # alpha had finished round 1 before the kill: it is not asked again for round 1.
    round1_alpha = [b for b in after if '"fake/alpha"' in b and "Consensus: " in b]
    assert len(round1_alpha) == 1  # only its round 2 proposal

    final = tomllib.loads(session.read_text(encoding="utf-8"))
    assert final["status"] == "complete"
    turn = final["turns"][0]
    assert turn["status"] == "complete"
    assert [r["index"] for r in turn["rounds"]] == [0, 1, 2]
    assert turn["rounds"][0] == round0  # round 0 kept exactly as it was
    assert all(r["aggregate"]["status"] == "ok" for r in turn["rounds"])
    assert turn["final"] == turn["rounds"][2]["aggregate"]["content"]
    assert turn["final"] in resumed.stdout.decode()
    assert "sk-test-kill-resume" not in session.read_text(encoding="utf-8")
