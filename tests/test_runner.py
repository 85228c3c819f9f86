"""The runner both front ends drive: prices, stale model ids, credits, and the saved file."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path

import pytest

from cltui.core.config import demo_config, parse_config
from cltui.core.events import CreditsChanged, Event, SessionSaved
from cltui.core.providers.errors import ProviderDownError
from cltui.core.runner import ConsensusRunner
from tests.support.scripted import ScriptedBackend, consensus_config, until


@pytest.fixture(autouse=True)
def fast_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLTUI_DEMO_SPEED", "1000")


async def test_unlisted_model_ids_are_found_after_the_list_is_loaded(tmp_path: Path) -> None:
    config = parse_config(
        {
            "models": [
                {"id": "demo/atlass", "provider": "demo"},
                {"id": "demo/cirrus", "provider": "demo"},
            ],
            "aggregator": {"model": "demo/synthesis", "provider": "demo"},
        }
    )
    runner = ConsensusRunner(config, sessions_dir=tmp_path)
    try:
        assert runner.unlisted_models() == []  # nothing known before the list is fetched
        await runner.load_prices()
        assert runner.unlisted_models() == ["demo/atlass"]
    finally:
        await runner.aclose()


async def test_preview_uses_list_prices_and_credits_reach_the_sinks(tmp_path: Path) -> None:
    runner = ConsensusRunner(demo_config(), sessions_dir=tmp_path)
    seen: list[Event] = []
    runner.add_sink(seen.append)
    try:
        await runner.load_prices()
        preview = runner.preview("How do I choose a database?")
        assert preview.calls == 12
        assert preview.low is not None and preview.high is not None
        assert 0 < preview.low < preview.high
        credits = await runner.fetch_credits()
    finally:
        await runner.aclose()
    assert isinstance(credits, CreditsChanged) and credits.remaining == pytest.approx(10.0)
    assert credits in seen


async def test_a_turn_is_saved_and_announced(tmp_path: Path) -> None:
    runner = ConsensusRunner(demo_config(), sessions_dir=tmp_path)
    seen: list[Event] = []
    runner.add_sink(seen.append)
    try:
        turn = await runner.ask("What is a monad?")
    finally:
        await runner.aclose()
    assert turn.status == "complete"
    assert runner.path is not None and runner.path.parent == tmp_path
    saved = [e for e in seen if isinstance(e, SessionSaved)]
    assert saved and saved[-1].path == str(runner.path)
    doc = tomllib.loads(runner.path.read_text(encoding="utf-8"))
    assert doc["turns"][0]["final"] == turn.final


async def test_a_retry_that_revives_a_failed_turn_is_saved_as_resumable(tmp_path: Path) -> None:
    backend = ScriptedBackend()
    backend.once("m/b", ProviderDownError("down"))
    config = consensus_config(iterations=0, quorum=2)
    runner = ConsensusRunner(config, backend_for=backend.backend_for, sessions_dir=tmp_path)
    turn = await runner.engine.run_turn("Q")  # no price list: nothing to fetch offline
    assert turn.status == "failed"
    assert runner.path is not None

    await runner.retry_reply(0, 0, "m/b")

    reopened = ConsensusRunner.open(runner.path, sessions_dir=tmp_path)
    assert reopened.session.turns[0].status == "interrupted"
    assert reopened.can_resume


async def test_cancelling_a_retry_in_a_finished_turn_keeps_the_session_complete(
    tmp_path: Path,
) -> None:
    hold = asyncio.Event()
    backend = ScriptedBackend()
    backend.once("m/a", "fine")
    backend.once("m/a", ProviderDownError("down"))
    config = consensus_config(iterations=1)
    runner = ConsensusRunner(config, backend_for=backend.backend_for, sessions_dir=tmp_path)
    assert (await runner.engine.run_turn("Q")).status == "complete"
    backend.once("m/a", hold, "late")

    retry = asyncio.create_task(runner.retry_reply(0, 1, "m/a"))
    await until(lambda: len(backend.requests_for("m/a")) == 3)
    retry.cancel()
    with pytest.raises(asyncio.CancelledError):
        await retry

    assert runner.path is not None
    saved = tomllib.loads(runner.path.read_text(encoding="utf-8"))
    assert saved["status"] == "complete"
    assert [t["status"] for t in saved["turns"]] == ["complete"]
