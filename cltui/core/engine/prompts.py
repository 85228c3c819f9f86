"""The message lists every call of a turn receives.

Kept as pure functions of the config, the history and the answers so the exact prompts can be
tested without running anything; the simulated models parse the aggregator's block, so its
layout is part of the contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cltui.core.config import AggregatorSpec, ModelSpec
from cltui.core.messages import ChatMessage, Role
from cltui.core.ranking import FUSION_HEADER, fusion_block
from cltui.core.sessions.model import Reply, Turn

CONSENSUS_PREFIX = "Consensus: "
CUT_OFF_NOTE = "[cut off: this answer stopped before its end and is incomplete]"
"""Ends the text of a truncated answer wherever other models read it (the aggregator's block,
a judge's or reviewer's comparison, a later MoA layer), so its missing end is not read as the
model's whole view."""


def answer_text(reply: Reply) -> str:
    """A reply's text as other models read it: marked when it was cut off."""
    if reply.truncated:
        return reply.content.rstrip() + "\n\n" + CUT_OFF_NOTE
    return reply.content


def history_messages(turns: Iterable[Turn]) -> tuple[ChatMessage, ...]:
    """Earlier turns as (user: prompt, assistant: final) pairs.

    Turns without a final answer (interrupted before any aggregate) are left out: an empty
    assistant message would only confuse the models.
    """
    messages: list[ChatMessage] = []
    for turn in turns:
        if turn.final:
            messages.append(ChatMessage("user", turn.prompt))
            messages.append(ChatMessage("assistant", turn.final))
    return tuple(messages)


def _own_system(model: ModelSpec) -> list[ChatMessage]:
    return [ChatMessage("system", model.system)] if model.system else []


def proposer_messages(
    model: ModelSpec,
    conversation: Sequence[ChatMessage],
    history: Sequence[ChatMessage],
    prompt: str,
) -> tuple[ChatMessage, ...]:
    """Round 0 (and plain chat): the model's own system prompt, the conversation, the question."""
    return (
        *_own_system(model),
        *conversation,
        *history,
        ChatMessage("user", prompt),
    )


def improvement_messages(
    first_round: Sequence[ChatMessage],
    aggregate: str,
    aggregated_prompt_type: Role,
    improvement_prompt: str,
) -> tuple[ChatMessage, ...]:
    """Improvement rounds: round 0's messages, the consensus so far, and the improvement prompt."""
    return (
        *first_round,
        ChatMessage(aggregated_prompt_type, CONSENSUS_PREFIX + aggregate),
        ChatMessage("user", improvement_prompt),
    )


def _clean_label(label: str) -> str:
    return label.replace('"', "'").replace("\n", " ")


def _clean_answer(text: str) -> str:
    # A model quoting the closing tag would otherwise end its block early for a parser.
    return text.lstrip("\n").rstrip().replace("</response>", "<\\/response>")


def responses_block(prompt: str, answers: Sequence[tuple[str, str]]) -> str:
    """The question and the labelled answers, in the layout the aggregator (and demo) reads."""
    blocks = "\n\n".join(
        f'<response model="{_clean_label(label)}">\n{_clean_answer(text)}\n</response>'
        for label, text in answers
    )
    return f"Question:\n{prompt}\n\nResponses from models:\n\n{blocks}"


def aggregator_messages(
    model: ModelSpec,
    aggregator: AggregatorSpec,
    history: Sequence[ChatMessage],
    prompt: str,
    answers: Sequence[tuple[str, str]],
) -> tuple[ChatMessage, ...]:
    """The aggregator's call: its context, the history, the answers, then its prompt.

    `model` is the aggregator or its fallback; its own system prompt, if any, comes first.
    """
    return (
        *_own_system(model),
        *aggregator.context,
        *history,
        ChatMessage("user", responses_block(prompt, answers)),
        *aggregator.prompt,
    )


def fusion_header(read: int | None, asked: int | None, unit: str) -> str:
    """The line above the answers the aggregator fuses, saying what their order rests on.

    `unit` names one verdict or review ('judge verdict', 'peer review'). When none could be
    read the answers are unranked, and the aggregator must not take their order as a ranking;
    when only some could be read it is told how many."""
    if asked and not read:
        return (
            f"Responses, unranked (no {unit} could be read, so their order says nothing about "
            "their quality):"
        )
    if asked and read != asked:
        return f"{FUSION_HEADER[:-1]} (from the {read} of {asked} {unit}s that could be read):"
    return FUSION_HEADER


def ranked_aggregator_messages(
    model: ModelSpec,
    aggregator: AggregatorSpec,
    history: Sequence[ChatMessage],
    prompt: str,
    ranked: Sequence[tuple[str, str]],
    top_k: int,
    note: str = "",
    header: str = FUSION_HEADER,
) -> tuple[ChatMessage, ...]:
    """The aggregator's call when the answers were ranked (blender, council): like
    `aggregator_messages`, but the best `top_k` answers come best first under a header saying
    so (LLM-Blender's GenFuser input), followed by `note` (e.g. the peer-review scores).
    `header` is that header: `fusion_header` words it for an unranked or partial ranking."""
    body = f"Question:\n{prompt}\n\n{fusion_block(ranked, top_k, header)}"
    if note:
        body += f"\n\n{note}"
    return (
        *_own_system(model),
        *aggregator.context,
        *history,
        ChatMessage("user", body),
        *aggregator.prompt,
    )
