"""Resuming blender, moa and council turns cut off part-way through a round."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cltui.core.engine import ConsensusEngine
from cltui.core.providers.base import ChatRequest
from cltui.core.sessions.files import load_session, save_session
from tests.support.scripted import Script, ScriptedBackend, consensus_config, until
from tests.support.strategies import JUDGE, council_responder, shown_pair


async def cancel(task: asyncio.Task[object]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_blender_resumes_after_the_proposals_judging_only_the_missing_pairs(
    tmp_path: Path,
) -> None:
    hold = asyncio.Event()
    backend = ScriptedBackend()

    def judge(request: ChatRequest, _n: int) -> Script:
        # One pair is judged at once; the others wait until the test lets them go.
        if shown_pair(request) == ("m/a", "m/b"):
            return ["Verdict: B"]
        return [hold, "Verdict: A"]

    backend.on(JUDGE, judge)
    config = consensus_config(
        ("m/a", "m/b", "m/c"), strategy="blender", judge={"model": JUDGE}, iterations=0
    )
    engine = ConsensusEngine(config, backend.backend_for)
    task = asyncio.create_task(engine.run_turn("Which?"))
    rnd_judgements = lambda: engine.session.turns[0].rounds[0].judgements  # noqa: E731
    await until(lambda: len(backend.requests_for(JUDGE)) == 6 and len(rnd_judgements()) == 1)
    await cancel(task)

    # Saved and opened again, as the app does after a crash or Ctrl+C.
    path = tmp_path / "s.toml"
    save_session(engine.session, path)
    session = load_session(path)
    assert session.turns[0].status == "interrupted"
    assert [(j.first, j.second, j.verdict) for j in session.turns[0].rounds[0].judgements] == [
        ("m/a", "m/b", "second")
    ]
    hold.set()
    fresh = ScriptedBackend()
    fresh.on(JUDGE, judge)
    resumed = ConsensusEngine(config, fresh.backend_for, session=session)

    turn = await resumed.resume()

    assert turn.status == "complete"
    assert fresh.models_called().count(JUDGE) == 5
    assert ("m/a", "m/b") not in [shown_pair(r) for r in fresh.requests_for(JUDGE)]
    assert [m for m in fresh.models_called() if m != JUDGE] == ["m/agg"]
    rnd = turn.rounds[0]
    assert len(rnd.judgements) == 6
    assert [(j.first, j.second) for j in rnd.judgements][:2] == [("m/a", "m/b"), ("m/b", "m/a")]
    assert [e["model"] for e in rnd.ranking][0] == "m/b"


async def test_moa_resumes_in_the_layer_where_it_stopped() -> None:
    hold = asyncio.Event()
    backend = ScriptedBackend()
    backend.on("m/b", lambda r, n: ["m/b answer 1"] if n == 1 else [hold, "never"])
    config = consensus_config(("m/a", "m/b"), strategy="moa", layers=2, iterations=0)
    engine = ConsensusEngine(config, backend.backend_for)
    task = asyncio.create_task(engine.run_turn("Q"))
    await until(lambda: "m/a" in backend.completed and backend.completed.count("m/a") == 2)
    await cancel(task)
    rnd = engine.session.turns[0].rounds[0]
    assert rnd.layer == 2 and [r.status for r in rnd.replies] == ["ok", "cancelled"]

    backend.on("m/b", lambda r, n: ["m/b layer 2"])
    turn = await engine.resume()

    assert turn.status == "complete"
    assert backend.models_called().count("m/a") == 2  # layer 1 and 2 kept, not redone
    retried = backend.requests_for("m/b")[-1]
    system = retried.messages[0].content
    assert "1. m/a answer 1" in system and "2. m/b answer 1" in system
    assert [r.content for r in rnd.replies] == ["m/a answer 2", "m/b layer 2"]
    assert [r.content for r in rnd.reviews] == ["m/a answer 1", "m/b answer 1"]


async def test_council_resumes_asking_only_the_reviewers_without_a_review() -> None:
    hold = asyncio.Event()
    backend = ScriptedBackend()
    preferences = {m: ["m/a", "m/b", "m/c"] for m in ("m/a", "m/b", "m/c")}
    for model in ("m/a", "m/b"):
        backend.on(model, council_responder(model, preferences))
    reviewer_c = council_responder("m/c", preferences)
    backend.on("m/c", lambda r, n: reviewer_c(r, n) if n == 1 else [hold, *reviewer_c(r, n)])
    config = consensus_config(("m/a", "m/b", "m/c"), strategy="council", iterations=0)
    engine = ConsensusEngine(config, backend.backend_for)
    task = asyncio.create_task(engine.run_turn("Q"))
    await until(lambda: backend.completed.count("m/a") == 2 and backend.completed.count("m/b") == 2)
    await cancel(task)
    hold.set()

    turn = await engine.resume()

    assert turn.status == "complete"
    assert backend.models_called().count("m/a") == 2 and backend.models_called().count("m/c") == 3
    reviews = turn.rounds[0].reviews
    assert [(r.model, r.status) for r in reviews] == [
        ("m/a", "ok"),
        ("m/b", "ok"),
        ("m/c", "ok"),
    ]
    assert [e["model"] for e in turn.rounds[0].ranking] == ["m/a", "m/b", "m/c"]
