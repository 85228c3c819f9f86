"""The words of the simulated models: deterministic, prompt-dependent Markdown.

Everything here is a pure function of the request, so the same question always gets the same
answer and tests can assert on it. Answers are built from a bank of "points" derived from the
question's topic words; every model draws from the same bank, which is what gives the aggregator
real agreement to find. The aggregator itself parses the labelled answer blocks it is given and
merges them point by point, so its output visibly depends on what the proposers said, and
improvement rounds that echo the previous consensus make consecutive aggregates converge.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Style = Literal["terse", "structured", "discursive", "reasoning", "brief", "aggregator", "judge"]

CONSENSUS_PREFIX = "Consensus: "
RESPONSE_BLOCK = re.compile(r'<response model="([^"]*)">\n?(.*?)\n?</response>', re.DOTALL)

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below best between both but by can could did do does doing done down during each easy
    explain few for from further get give good had has have having he her here hers him his how i
    if in into is it its itself just know let like make me more most much must my need no nor not
    now of off on once only or other our out over own please quick same say see she should show so
    some such tell than that the their them then there these they thing things this those through
    to too under until up use using very want was way we well were what when where which while who
    whom why will with would you your yours reply makes made getting got works word words choose
    pick describe write short simple question answer help really""".split()
)
CODE_HINTS = {
    "python": "python", "py": "python", "function": "python", "script": "python",
    "code": "python", "implement": "python", "algorithm": "python", "class": "python",
    "bug": "python", "debug": "python", "program": "python", "programming": "python",
    "api": "python", "regex": "python", "loop": "python", "recursion": "python",
    "rust": "rust", "cargo": "rust", "javascript": "javascript", "js": "javascript",
    "typescript": "typescript", "node": "javascript", "react": "javascript",
    "sql": "sql", "query": "sql", "database": "sql", "bash": "bash", "shell": "bash",
    "linux": "bash", "go": "go", "golang": "go",
}  # fmt: skip
FILLER_TOPICS = ("the problem", "the details", "the context", "the constraints")

POINT_TEMPLATES = (
    "Start by pinning down what {a} means here, because most confusion about {topic} comes "
    "from mixing definitions.",
    "The core idea is that {a} depends on {b}, so changing one moves the other.",
    "A small experiment with {a} tells you more than a long debate about it.",
    "Keep the {b} part simple at first and add detail only where the results demand it.",
    "Watch the edge cases around {c}, since that is where most mistakes in {topic} hide.",
    "Write the trade-offs down explicitly: speed against accuracy, cost against clarity.",
    "Compare at least two approaches to {a} side by side before committing to one.",
    "Record the decision about {b} so nobody has to rediscover it later.",
    "Revisit {a} after a while, because what looked settled often needs a second pass.",
    "Sources disagree about {c}, so treat strong claims about it with some caution.",
)
CORE_POINTS = 2
"""The first points of the bank that every proposer makes: the seed of agreement."""


# --------------------------------------------------------------------------------------------
# Small helpers


def stable_seed(*parts: object) -> int:
    """A seed derived from the given values only (never from the process or the clock)."""
    blob = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return int.from_bytes(hashlib.sha256(blob.encode("utf-8")).digest()[:8], "big")


def topic_words(text: str, limit: int = 3) -> list[str]:
    """The first distinct content words of a question: what the answer is about."""
    found: list[str] = []
    for word in re.findall(r"[A-Za-z][A-Za-z0-9+#'-]*", text):
        lowered = re.sub(r"'s$", "", word.lower()).strip("'-")
        if len(lowered) < 3 and lowered not in CODE_HINTS:
            continue
        if lowered in STOPWORDS or lowered in found:
            continue
        found.append(lowered)
        if len(found) == limit:
            break
    return found


def code_language(text: str) -> str | None:
    """The language a code example should use, when the question smells of code."""
    for word in re.findall(r"[A-Za-z]+", text.lower()):
        if word in CODE_HINTS:
            return CODE_HINTS[word]
    return None


def short_name(label: str) -> str:
    """'demo/atlas' -> 'atlas': how answers are attributed in a merged text."""
    return label.rsplit("/", 1)[-1].strip() or label


def split_tokens(text: str, rng: random.Random) -> list[str]:
    """Cut text into stream tokens of one to three words; joining them gives the text back."""
    pieces = re.findall(r"\s*\S+", text)
    if not pieces:
        return [text] if text else []
    tail = text[len("".join(pieces)) :]
    tokens: list[str] = []
    i = 0
    while i < len(pieces):
        size = rng.choice((1, 1, 2, 2, 3))
        tokens.append("".join(pieces[i : i + size]))
        i += size
    tokens[-1] += tail
    return tokens


@dataclass(frozen=True, slots=True)
class Topic:
    """What a question is about, in the shapes the templates need."""

    words: tuple[str, ...]
    language: str | None

    @classmethod
    def of(cls, question: str) -> Topic:
        return cls(tuple(topic_words(question)), code_language(question))

    def word(self, index: int) -> str:
        if index < len(self.words):
            return self.words[index]
        return FILLER_TOPICS[index % len(FILLER_TOPICS)]

    @property
    def phrase(self) -> str:
        return " ".join(self.words[:3]) if self.words else "this question"

    @property
    def title(self) -> str:
        return " ".join(w.capitalize() for w in self.words[:3]) if self.words else "Overview"

    def points(self) -> list[str]:
        """The shared bank of points about this topic, in an order fixed by the topic."""
        filled = [
            template.format(a=self.word(0), b=self.word(1), c=self.word(2), topic=self.phrase)
            for template in POINT_TEMPLATES
        ]
        rng = random.Random(stable_seed("bank", self.words))
        head, rest = filled[:CORE_POINTS], filled[CORE_POINTS:]
        rng.shuffle(rest)
        return head + rest


# --------------------------------------------------------------------------------------------
# Reading the request


@dataclass(frozen=True, slots=True)
class Prompt:
    """The parts of a chat request the simulated models react to."""

    question: str
    """The last user message."""
    blocks: tuple[tuple[str, str], ...]
    """Labelled answers to merge, (label, text), when this is an aggregation request."""
    consensus: str | None
    """The previous aggregate, when this is an improvement-round request."""
    full_text: str

    @classmethod
    def of(cls, messages: Sequence[dict[str, str]]) -> Prompt:
        contents = [str(m.get("content") or "") for m in messages]
        roles = [m.get("role") for m in messages]
        blocks: list[tuple[str, str]] = []
        block_at: int | None = None
        consensus_at: int | None = None
        for index, content in enumerate(contents):
            found = RESPONSE_BLOCK.findall(content)
            if found:
                blocks.extend((label, text.strip()) for label, text in found)
                block_at = index if block_at is None else block_at
            if content.startswith(CONSENSUS_PREFIX):
                consensus_at = index
        consensus = None
        if consensus_at is not None:
            consensus = contents[consensus_at][len(CONSENSUS_PREFIX) :]
        question = _question(contents, roles, block_at, consensus_at)
        return cls(question, tuple(blocks), consensus, "\n".join(contents))


def _question(
    contents: list[str], roles: list[str | None], block_at: int | None, consensus_at: int | None
) -> str:
    """The question being answered: stated in the block message ("Question: ..."), else the last
    user message before the blocks or the consensus, else the last user message."""
    if block_at is not None:
        header = r"(?:Responses (?:from models|ranked best first):|<response )"
        stated = re.match(r"\s*Question:\s*(.*?)\s*" + header, contents[block_at], re.DOTALL)
        if stated and stated.group(1):
            return stated.group(1)
    end = block_at if block_at is not None else consensus_at
    if end is None:
        end = len(contents)
    before = [c for c, r in zip(contents[:end], roles[:end], strict=True) if r == "user"]
    if before:
        return before[-1]
    users = [c for c, r in zip(contents, roles, strict=True) if r == "user"]
    return users[-1] if users else (contents[-1] if contents else "")


def asks_for_verdict(prompt: Prompt) -> bool:
    """A pairwise judge prompt: compare Response A with Response B."""
    return "Response A" in prompt.full_text and "Response B" in prompt.full_text


def asks_for_ranking(prompt: Prompt) -> bool:
    """A peer-review prompt: rank the anonymised Responses 1..N."""
    text = prompt.full_text
    return "Response 1" in text and "Response 2" in text and "rank" in text.lower()


def echo_word(question: str) -> str | None:
    """'Reply with the word OK.' -> 'OK': lets a probe get the tiny answer it asks for."""
    match = re.search(r"reply with (?:just |only )?the word \W*(\w+)", question, re.IGNORECASE)
    return match.group(1) if match else None


# --------------------------------------------------------------------------------------------
# Answers


@dataclass(frozen=True, slots=True)
class Answer:
    content: str
    reasoning: str = ""


def compose(style: Style, messages: Sequence[dict[str, str]], *, seed: int) -> Answer:
    """The answer of a model with this style to these messages."""
    prompt = Prompt.of(messages)
    rng = random.Random(seed)
    if asks_for_verdict(prompt):
        return Answer(verdict(prompt, rng))
    if asks_for_ranking(prompt):
        return Answer(ranking(prompt, rng))
    if prompt.blocks:
        return Answer(merge_blocks(prompt))
    word = echo_word(prompt.question)
    if word and prompt.consensus is None:
        return Answer(word)
    topic = Topic.of(prompt.question)
    points = choose_points(topic, prompt.consensus, rng)
    # Wording choices depend on the model and the question only, so an answer keeps its voice
    # from one round to the next.
    rng = random.Random(stable_seed(style, topic.words))
    if style == "reasoning":
        return Answer(render_structured(topic, points, rng), reasoning_for(topic, points))
    return Answer(RENDERERS.get(style, render_structured)(topic, points, rng))


def choose_points(topic: Topic, consensus: str | None, rng: random.Random) -> list[str]:
    """The points an answer makes: its own pick from the bank, or mostly the consensus."""
    bank = topic.points()
    extra = bank[CORE_POINTS:]
    if consensus is None:
        return bank[:CORE_POINTS] + rng.sample(extra, k=rng.randint(2, 3))
    agreed = consensus_points(consensus)[:6]
    if len(agreed) < 2:
        return bank[:CORE_POINTS] + rng.sample(extra, k=rng.randint(2, 3))
    own = [p for p in extra if not any(similar(p, a) for a in agreed)]
    return agreed + ([rng.choice(own)] if own and len(agreed) < 4 else [])


def verdict(prompt: Prompt, rng: random.Random) -> str:
    """A pairwise judgement; deterministic from the request."""
    winner = rng.choice("AB")
    other = "B" if winner == "A" else "A"
    return (
        f"Verdict: {winner}\n\nResponse {winner} answers the question more directly and covers "
        f"the key trade-offs; Response {other} is reasonable but less complete."
    )


def ranking(prompt: Prompt, rng: random.Random) -> str:
    """A peer-review ranking of Responses 1..N; deterministic from the request."""
    numbers = sorted({int(n) for n in re.findall(r"Response (\d+)", prompt.full_text)})
    order = [n for n in numbers if 0 < n <= 50] or [1, 2]
    rng.shuffle(order)
    line = " > ".join(str(n) for n in order)
    return (
        f"Ranking: {line}\n\nResponse {order[0]} is the most complete and accurate; "
        f"Response {order[-1]} misses important points."
    )


# --------------------------------------------------------------------------------------------
# Styles


def code_example(topic: Topic) -> tuple[str, str]:
    """(language, code) for a small example about the topic."""
    name = "_".join(topic.words[:2]) or "solve"
    name = re.sub(r"\W", "_", name)
    language = topic.language or "text"
    if language == "rust":
        code = (
            f"fn {name}(items: &[i64]) -> Vec<i64> {{\n"
            "    let mut out: Vec<i64> = items.iter().copied().filter(|x| *x >= 0).collect();\n"
            "    out.sort_unstable();\n    out\n}"
        )
    elif language in ("javascript", "typescript"):
        camel = name.split("_")[0] + "".join(p.capitalize() for p in name.split("_")[1:])
        code = (
            f"function {camel}(items) {{\n"
            "  return items.filter((x) => x != null).map((x) => x.trim());\n}"
        )
    elif language == "sql":
        code = (
            f"SELECT id, {topic.word(0)}\nFROM {topic.word(1).replace(' ', '_')}\n"
            f"WHERE {topic.word(0)} IS NOT NULL\nORDER BY id;"
        )
    elif language == "bash":
        code = (
            f'#!/usr/bin/env bash\nset -euo pipefail\nfor f in "$@"; do\n  echo "{name}: $f"\ndone'
        )
    elif language == "go":
        code = (
            f"func {name}(items []int) int {{\n\ttotal := 0\n"
            "\tfor _, x := range items {\n\t\ttotal += x\n\t}\n\treturn total\n}"
        )
    elif language == "python":
        code = (
            f"def {name}(items):\n"
            f'    """Handle {topic.phrase} one step at a time."""\n'
            "    results = []\n    for item in items:\n        if item is None:\n"
            "            continue\n        results.append(item)\n    return results"
        )
    else:
        code = "\n".join(
            f"[ ] {step}" for step in ("define the goal", "try the simplest version",
                                       "measure the result", "write down what was learned")
        )  # fmt: skip
    return language, code


def render_terse(topic: Topic, points: list[str], rng: random.Random) -> str:
    """Atlas: a one-line answer, then bullets, then a bottom line."""
    parts = [f"### {topic.title}", f"**In short:** {points[0]}"]
    parts.append("\n".join(f"- {p}" for p in points[1:]))
    if topic.language:
        language, code = code_example(topic)
        parts.append(f"```{language}\n{code}\n```")
    parts.append(f"Bottom line: focus on {topic.word(0)} first; the rest follows.")
    return "\n\n".join(parts)


def render_structured(topic: Topic, points: list[str], rng: random.Random) -> str:
    """Borealis: headings, a numbered list, an example block and a conclusion."""
    language, code = code_example(topic)
    opener = rng.choice(("Here is a structured way to think about", "A practical guide to",
                         "Let's break down"))  # fmt: skip
    parts = [
        f"## {topic.title}",
        f"{opener} *{topic.phrase}*.",
        "### Key points",
        "\n".join(f"{i}. {p}" for i, p in enumerate(points, 1)),
        "### Example",
        f"```{language}\n{code}\n```",
        "### Conclusion",
        f"Getting {topic.word(0)} right is mostly about method: define it, test it, and "
        "keep the trade-offs visible.",
    ]
    return "\n\n".join(parts)


def render_discursive(topic: Topic, points: list[str], rng: random.Random) -> str:
    """Cirrus: flowing paragraphs with a little emphasis and a quote."""
    opener = rng.choice(("It helps to step back for a moment.", "This is a good question.",
                         "There is more to this than it first seems."))  # fmt: skip
    half = max(1, len(points) // 2)
    parts = [
        f"{opener} When people ask about *{topic.phrase}*, they usually want something "
        f"practical. {' '.join(points[:half])}",
        " ".join(points[half:]) or points[0],
    ]
    if topic.language:
        parts.append(f"In code this often comes down to something like `{code_name(topic)}()`.")
    parts.append(f"> The hard part of {topic.word(0)} is rarely the idea itself.")
    parts.append(
        f"In the end, {topic.phrase} rewards patience: a clear definition, a small experiment, "
        "and an honest look at what the results say."
    )
    return "\n\n".join(parts)


def code_name(topic: Topic) -> str:
    return re.sub(r"\W", "_", "_".join(topic.words[:2]) or "solve")


def render_brief(topic: Topic, points: list[str], rng: random.Random) -> str:
    """Swift: two or three sentences, no decoration."""
    return " ".join(points[:3])


def reasoning_for(topic: Topic, points: list[str]) -> str:
    """The visible thinking of the reasoning model, streamed before its answer."""
    lines = [
        f"The question is about {topic.phrase}. Let me think about what matters most.",
        *(f"- {p}" for p in points[:3]),
        "I should also mention the trade-offs and give a concrete example.",
        "Structure: a title, the key points as a list, an example, then a conclusion.",
    ]
    return "\n".join(lines)


RENDERERS = {
    "terse": render_terse,
    "structured": render_structured,
    "discursive": render_discursive,
    "brief": render_brief,
    "aggregator": render_structured,
    "judge": render_brief,
}


# --------------------------------------------------------------------------------------------
# Merging answers (the aggregator)

ATTRIBUTION = re.compile(r"\s*\(([\w .:#/+-]+(?:, [\w .:#/+-]+)*)\)\s*$")
LEADING_LABEL = re.compile(r"^\*\*[^*]{1,30}:\*\*\s*")
LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def text_units(text: str, *, lists_only: bool = False) -> list[str]:
    """The statements of an answer: its list items (and bold-labelled lines), or the sentences
    of its paragraphs when it has few of those.

    Headings, quotes and code are left out: they frame points rather than make them. So is the
    prose around a list, which is mostly introduction and sign-off.
    """
    without_code = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    listed: list[str] = []
    prose: list[str] = []
    for line in without_code.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ">", "|")):
            continue
        if LIST_MARKER.match(stripped) or LEADING_LABEL.match(stripped):
            listed.append(clean_unit(LIST_MARKER.sub("", stripped)))
            continue
        prose.extend(clean_unit(s) for s in re.split(r"(?<=[.!?])\s+(?=[A-Z*`])", stripped))
    if lists_only:
        units = listed if len(listed) >= 2 else listed + prose
    else:
        units = listed if len(listed) >= 3 else listed + prose
    return [u for u in units if len(u.split()) >= 6]


def clean_unit(unit: str) -> str:
    unit = LEADING_LABEL.sub("", unit.strip())
    return ATTRIBUTION.sub("", unit).strip()


def consensus_points(consensus: str) -> list[str]:
    """The points of a previous aggregate, without its attributions and framing."""
    return text_units(consensus, lists_only=True)


def words_of(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS}


def similar(a: str, b: str, threshold: float = 0.6) -> bool:
    """Whether two statements say the same thing (word overlap)."""
    left, right = words_of(a), words_of(b)
    if not left or not right:
        return a.strip().lower() == b.strip().lower()
    return len(left & right) / len(left | right) >= threshold


@dataclass(slots=True)
class MergedPoint:
    text: str
    supporters: list[str]
    order: int


def merge_blocks(prompt: Prompt) -> str:
    """An aggregate that merges the labelled answers point by point, naming who said what."""
    labels = [short_name(label) for label, _ in prompt.blocks]
    merged: list[MergedPoint] = []
    example: tuple[str, str] | None = None
    for (_, text), name in zip(prompt.blocks, labels, strict=True):
        if example is None:
            fence = re.search(r"```(\w*)\n(.*?)```", text, re.DOTALL)
            if fence:
                example = (fence.group(1), fence.group(2).rstrip("\n"))
        for unit in text_units(text):
            match = next((m for m in merged if similar(m.text, unit)), None)
            if match is None:
                merged.append(MergedPoint(unit, [name], len(merged)))
            elif name not in match.supporters:
                match.supporters.append(name)
    shared = [m for m in merged if len(m.supporters) > 1][:8]
    distinct = [m for m in merged if len(m.supporters) == 1][: max(2, 6 - len(shared))]
    count = len(prompt.blocks)
    topic = Topic.of(prompt.question)
    parts = ["## Consensus", intro_line(count, labels, shared)]
    if shared:
        parts.append("### Where they agree")
        parts.append("\n".join(f"- {m.text} ({', '.join(m.supporters)})" for m in shared))
    if distinct:
        parts.append("### Further points")
        parts.append("\n".join(f"- {m.text} ({m.supporters[0]})" for m in distinct))
    if example is not None:
        parts.append("### Example")
        parts.append(f"```{example[0]}\n{example[1]}\n```")
    parts.append("### Synthesis")
    parts.append(synthesis_line(topic, count, shared))
    return "\n\n".join(parts)


def intro_line(count: int, labels: list[str], shared: list[MergedPoint]) -> str:
    """Says how many answers were merged and which models agreed most."""
    names = ", ".join(dict.fromkeys(labels))
    noun = "answer" if count == 1 else "answers"
    line = f"{count} {noun} merged ({names})."
    if not shared:
        return line + " They share no points, so each contribution is listed on its own."
    pair_counts: dict[tuple[str, str], int] = {}
    for point in shared:
        for i, first in enumerate(point.supporters):
            for second in point.supporters[i + 1 :]:
                key = (first, second)
                pair_counts[key] = pair_counts.get(key, 0) + 1
    everyone = [m for m in shared if len(m.supporters) == len(set(labels))]
    if everyone and len(set(labels)) > 1:
        line += f" All of them agree on {len(everyone)} of the points below."
    if pair_counts:
        (first, second), together = max(pair_counts.items(), key=lambda kv: kv[1])
        line += f" {first} and {second} agree most closely ({together} shared points)."
    return line


def synthesis_line(topic: Topic, count: int, shared: list[MergedPoint]) -> str:
    if shared:
        return (
            f"Taken together, the {count} answers point the same way on {topic.phrase}: "
            f"{lower_first(shared[0].text)}"
        )
    return f"The answers approach {topic.phrase} from different angles; each is worth reading."


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text
