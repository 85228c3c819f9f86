"""Scripted judges and reviewers for the ranking strategies' tests.

A judge reads which proposals it is shown as Response A and B and answers from a decision
function; a council member proposes `<model> proposal` and, asked to review, ranks the shown
answers by a fixed preference in a messy format of its own, the way real models write.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from cltui.core.providers.base import ChatRequest
from tests.support.scripted import Script, ScriptedBackend

JUDGE = "m/judge"


def user_text(request: ChatRequest) -> str:
    return "\n".join(m.content for m in request.messages if m.role == "user")


def shown_pair(request: ChatRequest) -> tuple[str, str]:
    """The models whose answers the judge sees as Response A and Response B."""
    text = user_text(request)
    first = re.search(r"<response_a>\n(m/\w+) ", text)
    second = re.search(r"<response_b>\n(m/\w+) ", text)
    assert first and second, text
    return first.group(1), second.group(1)


def judge_by(decide: Callable[[str, str], str]) -> Callable[[ChatRequest, int], Script]:
    """A judge answering 'Verdict: ...' from `decide(a, b)` for the pair it is shown."""

    def respond(request: ChatRequest, _number: int) -> Script:
        a, b = shown_pair(request)
        return [f"Comparing the two.\n\nVerdict: {decide(a, b)}"]

    return respond


def judge_pairs(backend: ScriptedBackend) -> list[tuple[str, str]]:
    return [shown_pair(r) for r in backend.requests_for(JUDGE)]


def response_order(text: str) -> list[str]:
    return re.findall(r'<response model="([^"]+)">', text)


PREFERENCES = {
    "m/a": ["m/c", "m/a", "m/b"],
    "m/b": ["m/a", "m/c", "m/b"],
    "m/c": ["m/c", "m/b", "m/a"],
}
MESSY = {
    "m/a": (
        "Each has merits.\n\n**Final ranking:**\n1. Response {0}\n2. Response {1}\n3. Response {2}"
    ),
    "m/b": "Thoughts...\n\nRanking: Response {0} > Response {1} > Response {2}\n\nThanks!",
    "m/c": "<think>Ranking: 3 > 2 > 1</think>Reviewed.\n`ranking`: {0}, {1}, {2}",
}


def council_responder(model: str, preferences: Mapping[str, list[str]] = PREFERENCES):  # type: ignore[no-untyped-def]
    """Proposes `<model> proposal`, and reviews by ranking the shown answers by its preference,
    in a messy format of its own."""

    def respond(request: ChatRequest, _n: int) -> Script:
        if not any(
            "Ranking: 2 > 1 > 3" in m.content for m in request.messages if m.role == "system"
        ):
            return [f"{model} proposal"]
        text = user_text(request)
        shown = {m: int(n) for n, m in re.findall(r"<response_(\d+)>\n(m/\w) proposal", text)}
        numbers = [shown[m] for m in preferences[model] if m in shown]
        if model in MESSY and len(numbers) == 3:
            return [MESSY[model].format(*numbers)]
        return ["Ranking: " + " > ".join(f"Response {n}" for n in numbers)]

    return respond


def council_backend() -> ScriptedBackend:
    backend = ScriptedBackend()
    for model in PREFERENCES:
        backend.on(model, council_responder(model))
    return backend
