"""The example sessions shipped in `sessions/` open, and the interrupted one can be finished."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cltui.core.sessions.files import load_session

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "sessions").glob("example-*.toml"))


def test_there_are_examples_of_every_strategy() -> None:
    strategies = {load_session(p).config["strategy"] for p in EXAMPLES}
    assert strategies == {"iterative", "blender", "council", "moa"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_loads(path: Path) -> None:
    session = load_session(path)
    assert session.turns
    assert all(provider == "demo" for provider in _providers(session.config))


def _providers(config: dict) -> list[str]:
    found = [m.get("provider", "openrouter") for m in config["models"]]
    found.append(config["aggregator"].get("provider", "openrouter"))
    return found


def test_the_interrupted_example_resumes_offline_in_a_copy(
    tmp_path: Path, isolated_environment: Path
) -> None:
    source = next(p for p in EXAMPLES if p.name == "example-interrupted.toml")
    example = tmp_path / source.name
    shutil.copy(source, example)
    before = tomllib.loads(source.read_text(encoding="utf-8"))
    assert before["status"] == "interrupted"
    result = subprocess.run(
        [sys.executable, "-m", "cltui", "run", "--resume", str(example)],
        env={**os.environ, "CLTUI_DEMO_SPEED": "1000"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert example.read_bytes() == source.read_bytes()  # the shipped file is left as it is
    (copy,) = (isolated_environment / "sessions").glob("*.toml")
    after = tomllib.loads(copy.read_text(encoding="utf-8"))
    assert after["status"] == "complete"
    assert after["turns"][0]["rounds"][0] == before["turns"][0]["rounds"][0]
