"""Rankings say what they rest on: with no readable judge verdict or peer review the answers are
'unranked' (run output, session, export, aggregator prompt), a partial ranking says how many
were read, and `--dry-run` states the worst case with re-asks. End to end through `cltui run`
against a real HTTP server on 127.0.0.1, whose models never write a verdict or ranking line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from cltui.core.export import session_to_markdown
from cltui.core.sessions.files import load_session
from tests.support.cli import run_cli
from tests.support.http_server import BackgroundServer, FakeOpenAI
from tests.test_headless import only_session

MODELS = "".join(f'[[models]]\nid = "fake/{name}"\n' for name in ("alpha", "beta", "gamma"))


class PartialJudge(FakeOpenAI):
    """The judge writes a readable verdict only when fake/alpha's answer is Response A."""

    def answer_for(self, model: str, prompt: str) -> str:
        if model == "fake/judge" and "<response_a>\nfake/alpha answers" in prompt:
            return "Alpha is more careful.\nVerdict: A"
        return super().answer_for(model, prompt)


def write_config(tmp_path: Path, strategy: str) -> Path:
    config = tmp_path / f"{strategy}.toml"
    extra = '[judge]\nmodel = "fake/judge"\n' if strategy == "blender" else ""
    config.write_text(
        f'strategy = "{strategy}"\niterations = 0\n{MODELS}'
        f'[aggregator]\nmodel = "fake/agg"\n{extra}',
        encoding="utf-8",
    )
    return config


def run(server: BackgroundServer, config: Path, *extra: str):
    return run_cli("run", str(config), "--prompt", "q", "--base-url", server.base_url, *extra,
                   env={"OPENROUTER_API_KEY": "sk-test-rank"})  # fmt: skip


def aggregator_prompt(server: BackgroundServer) -> str:
    bodies = [r.json() for r in server.requests if r.route == "/chat/completions"]
    (body,) = [b for b in bodies if b["model"] == "fake/agg"]
    return "\n".join(m["content"] for m in body["messages"])


def chat_calls(server: BackgroundServer) -> int:
    return sum(1 for r in server.requests if r.route == "/chat/completions")


def test_blender_without_a_readable_verdict_is_unranked_everywhere(
    tmp_path: Path, isolated_environment: Path
) -> None:
    config = write_config(tmp_path, "blender")
    with BackgroundServer(FakeOpenAI()) as server:
        dry = run(server, config, "--dry-run")
        result = run(server, config)
        made = chat_calls(server)
        sent = aggregator_prompt(server)
    assert dry.returncode == 0, dry.stderr
    assert re.search(r"^calls: 10 \(up to 16 in the worst case\)$", dry.stdout, re.MULTILINE)
    assert result.returncode == 0, result.stderr
    assert made == 16  # every unreadable verdict was asked again: the stated worst case

    assert "ranking: unranked (0 of 6 verdicts read)" in result.stderr
    assert "fake/alpha > fake/beta" not in result.stderr
    assert "Responses, unranked (no judge verdict could be read" in sent
    assert "ranked best first" not in sent

    path = only_session(isolated_environment / "sessions")
    rnd = load_session(path).turns[0].rounds[0]
    assert rnd.ranking == [] and rnd.unranked
    assert (rnd.ranking_read, rnd.ranking_asked) == (0, 6)
    markdown = session_to_markdown(load_session(path))
    assert "unranked (0 of 6 verdicts read)" in markdown
    assert "| Rank | Model | Score |" not in markdown


def test_council_without_a_readable_review_is_unranked(tmp_path: Path) -> None:
    config = write_config(tmp_path, "council")
    with BackgroundServer(FakeOpenAI()) as server:
        result = run(server, config, "--json")
        sent = aggregator_prompt(server)
    assert result.returncode == 0, result.stderr
    assert "ranking: unranked (0 of 3 reviews read)" in result.stderr
    assert "Responses, unranked (no peer review could be read" in sent
    rnd: dict[str, Any] = json.loads(result.stdout)["turns"][0]["rounds"][0]
    assert "ranking" not in rnd
    assert (rnd["ranking_read"], rnd["ranking_asked"]) == (0, 3)


def test_a_partial_ranking_says_how_many_verdicts_it_rests_on(tmp_path: Path) -> None:
    config = write_config(tmp_path, "blender")
    with BackgroundServer(PartialJudge()) as server:
        result = run(server, config, "--json")
        sent = aggregator_prompt(server)
    assert result.returncode == 0, result.stderr
    assert "ranking: fake/alpha > fake/beta > fake/gamma (2 of 6 verdicts read)" in result.stderr
    assert "Responses ranked best first (from the 2 of 6 judge verdicts that could be read):" in (
        sent
    )
    rnd = json.loads(result.stdout)["turns"][0]["rounds"][0]
    assert rnd["ranking"][0]["model"] == "fake/alpha"
    assert (rnd["ranking_read"], rnd["ranking_asked"]) == (2, 6)
