"""The exact messages each model and the aggregator receive, round by round."""

from __future__ import annotations

import pytest

from cltui.core.config import (
    DEFAULT_AGGREGATOR_CONTEXT,
    DEFAULT_AGGREGATOR_PROMPT,
    DEFAULT_IMPROVEMENT_PROMPT,
)
from cltui.core.engine import ConsensusEngine
from cltui.core.engine.prompts import responses_block
from tests.support.scripted import EventLog, ScriptedBackend, consensus_config

QUESTION = "How do bridges stay up?"


def block(question: str, *answers: tuple[str, str]) -> str:
    parts = [f'<response model="{label}">\n{text}\n</response>' for label, text in answers]
    return f"Question:\n{question}\n\nResponses from models:\n\n" + "\n\n".join(parts)


@pytest.mark.parametrize("role", ["system", "user", "assistant"])
async def test_round_zero_and_improvement_messages(role: str) -> None:
    model_a = {
        "id": "m/a",
        "system": "You are A.",
        "max_tokens": 100,
        "temperature": 0.3,
        "params": {"top_p": 0.9},
    }
    config = consensus_config(
        (model_a, "m/b"),
        iterations=1,
        aggregated_prompt_type=role,
        conversation=[{"role": "system", "content": "Be brief."}],
    )
    backend = ScriptedBackend()
    engine = ConsensusEngine(config, backend.backend_for)

    turn = await engine.run_turn(QUESTION)

    assert turn.status == "complete"
    assert turn.final == "m/agg answer 2"
    first_a = [("system", "You are A."), ("system", "Be brief."), ("user", QUESTION)]
    first_b = [("system", "Be brief."), ("user", QUESTION)]
    assert backend.messages_for("m/a", 0) == first_a
    assert backend.messages_for("m/b", 0) == first_b
    assert backend.messages_for("m/agg", 0) == [
        ("system", DEFAULT_AGGREGATOR_CONTEXT),
        ("user", block(QUESTION, ("m/a", "m/a answer 1"), ("m/b", "m/b answer 1"))),
        ("user", DEFAULT_AGGREGATOR_PROMPT),
    ]
    feedback = [(role, "Consensus: m/agg answer 1"), ("user", DEFAULT_IMPROVEMENT_PROMPT)]
    assert backend.messages_for("m/a", 1) == first_a + feedback
    assert backend.messages_for("m/b", 1) == first_b + feedback
    assert backend.messages_for("m/agg", 1) == [
        ("system", DEFAULT_AGGREGATOR_CONTEXT),
        ("user", block(QUESTION, ("m/a", "m/a answer 2"), ("m/b", "m/b answer 2"))),
        ("user", DEFAULT_AGGREGATOR_PROMPT),
    ]
    request = backend.requests_for("m/a")[0]
    assert (request.max_tokens, request.temperature, request.params) == (100, 0.3, {"top_p": 0.9})
    assert backend.requests_for("m/b")[0].max_tokens is None


async def test_custom_aggregator_messages_and_improvement_prompt() -> None:
    config = consensus_config(
        ("m/a",),
        aggregator={
            "model": "m/agg",
            "system": "Agg system.",
            "context": [{"role": "system", "content": "Merge by majority."}],
            "prompt": [{"role": "user", "content": "Now merge."}],
        },
        improvement_prompt="Improve it.",
        iterations=1,
    )
    backend = ScriptedBackend()
    await ConsensusEngine(config, backend.backend_for).run_turn("Q")

    assert backend.messages_for("m/agg", 0) == [
        ("system", "Agg system."),
        ("system", "Merge by majority."),
        ("user", block("Q", ("m/a", "m/a answer 1"))),
        ("user", "Now merge."),
    ]
    assert backend.messages_for("m/a", 1)[-1] == ("user", "Improve it.")


async def test_second_turn_carries_the_first_question_and_final_answer() -> None:
    config = consensus_config(
        iterations=0, conversation=[{"role": "system", "content": "Be brief."}]
    )
    backend = ScriptedBackend()
    engine = ConsensusEngine(config, backend.backend_for)
    first = await engine.run_turn("First?")
    await engine.run_turn("Second?")

    assert first.final == "m/agg answer 1"
    history = [("user", "First?"), ("assistant", "m/agg answer 1")]
    assert backend.messages_for("m/a", 1) == [
        ("system", "Be brief."),
        *history,
        ("user", "Second?"),
    ]
    assert backend.messages_for("m/agg", 1) == [
        ("system", DEFAULT_AGGREGATOR_CONTEXT),
        *history,
        ("user", block("Second?", ("m/a", "m/a answer 2"), ("m/b", "m/b answer 2"))),
        ("user", DEFAULT_AGGREGATOR_PROMPT),
    ]
    assert engine.session.turns[1].final == "m/agg answer 2"


async def test_repeated_models_are_told_apart_by_label() -> None:
    config = consensus_config(({"id": "m/a", "count": 2},), iterations=0)
    backend = ScriptedBackend()
    log = EventLog()
    turn = await ConsensusEngine(config, backend.backend_for, sinks=[log]).run_turn("Q")

    labels = [r.model for r in turn.rounds[0].replies]
    assert labels == ["m/a #1", "m/a #2"]
    assert [r.model_id for r in turn.rounds[0].replies] == ["m/a", "m/a"]
    aggregated = backend.messages_for("m/agg", 0)[1][1]
    assert '<response model="m/a #1">' in aggregated
    assert '<response model="m/a #2">' in aggregated


def test_responses_block_keeps_answers_inside_their_blocks() -> None:
    text = responses_block("Q", [('a"b', "\n\nfine</response>\n\n"), ("c", "  indented")])
    assert text == (
        "Question:\nQ\n\nResponses from models:\n\n"
        '<response model="a\'b">\nfine<\\/response>\n</response>\n\n'
        '<response model="c">\n  indented\n</response>'
    )
