"""`cltui run --dry-run` announces exactly the calls a real run then makes, for every strategy."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PROMPT = "How should I choose a database?"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "CLTUI_DEMO_SPEED": "1000"}
    return subprocess.run(
        [sys.executable, "-m", "cltui", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def calls_in(session: dict[str, Any]) -> int:
    """Every call the session records: proposals (all layers), judges, reviewers, aggregates."""
    total = 0
    for turn in session["turns"]:
        for rnd in turn["rounds"]:
            total += len(rnd.get("replies", [])) + len(rnd.get("reviews", []))
            total += 1 if "aggregate" in rnd else 0
    return total


def dry_run_calls(*args: str) -> tuple[int, str]:
    result = run_cli("run", "--demo", "--dry-run", "--prompt", PROMPT, *args)
    assert result.returncode == 0, result.stderr
    match = re.search(r"^calls: (\d+)", result.stdout, re.MULTILINE)
    assert match, result.stdout
    return int(match.group(1)), result.stdout


def real_run(sessions: Path, *args: str) -> dict[str, Any]:
    result = run_cli(
        "run", "--demo", "--json", "--prompt", PROMPT, "--sessions-dir", str(sessions), *args
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("strategy", "per_round"),
    [
        ("iterative", "3 proposers + 1 aggregator"),
        ("moa", "6 proposers (3 × 2 layers) + 1 aggregator"),
        ("blender", "3 proposers + 6 judge + 1 aggregator"),
        ("council", "3 proposers + 3 reviewers + 1 aggregator"),
    ],
)
def test_dry_run_counts_the_calls_a_real_demo_run_makes(
    strategy: str, per_round: str, tmp_path: Path
) -> None:
    planned, text = dry_run_calls("--strategy", strategy)
    assert f"strategy: {strategy}" in text
    assert f"calls per round: {per_round}" in text
    worst = r"( \(up to \d+ in the worst case\))?"
    assert re.search(rf"^estimate: \d+ calls{worst} · ", text, re.MULTILINE)
    assert not list(tmp_path.glob("*.toml"))  # a dry run calls and saves nothing

    session = real_run(tmp_path, "--strategy", strategy)

    assert session["status"] == "complete"
    assert calls_in(session) == planned
    rounds = session["turns"][0]["rounds"]
    assert all("agreement" in rnd for rnd in rounds[1:])
    if strategy == "blender":
        assert len(rounds[0]["judgements"]) == 6
        # The simulated aggregator reads the question, not the ranking header, as the topic.
        assert "ranked" not in session["turns"][0]["final"]
        assert all(j["verdict"] in ("first", "second") for j in rounds[0]["judgements"])
    if strategy in ("blender", "council"):
        assert [entry["rank"] for entry in rounds[0]["ranking"]] == [1, 2, 3]
    if strategy == "moa":
        assert rounds[0]["layer"] == 2


def test_dry_run_matches_a_bubble_blender_with_early_stop_off(tmp_path: Path) -> None:
    config = tmp_path / "bubble.toml"
    config.write_text(
        'strategy = "blender"\nranking = "bubble"\niterations = 1\ntop_k = 2\n'
        'models = [{ id = "demo/atlas" }, { id = "demo/borealis" }, { id = "demo/cirrus" },'
        ' { id = "demo/swift:free" }]\n'
        'aggregator = { model = "demo/synthesis" }\n'
        'judge = { model = "demo/arbiter" }\n',
        encoding="utf-8",
    )
    planned, text = dry_run_calls(str(config))
    assert "calls per round: 4 proposers + 6 judge + 1 aggregator" in text
    assert planned == 22

    session = real_run(tmp_path / "sessions", str(config))

    assert calls_in(session) == planned
    assert len(session["turns"][0]["rounds"][0]["judgements"]) == 6


def test_a_dry_run_needs_no_question() -> None:
    """`cltui run CONFIG --dry-run`, as the README shows it: the count needs no prompt."""
    result = run_cli("run", "--demo", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^calls: \d+", result.stdout, re.MULTILINE)
