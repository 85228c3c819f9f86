"""The words of the simulated models: deterministic, prompt-dependent Markdown.

Everything here is a pure function of the request, so the same question always gets the same
answer and tests can assert on it. A question is read for its kind and topic
(`demo_question`), which selects a bank of points written for that kind (`demo_points`). Every
model makes the bank's core points and a few of its own, each in its own voice, which gives the
aggregator real agreement and real differences to report. The aggregator finds the points in
the labelled answers it is given and merges them, naming who said what; improvement rounds adopt
the points of the previous consensus, so consecutive aggregates converge.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from cltui.demo.points import (
    CORE_POINTS,
    PHASES,
    PITFALLS,
    Point,
    bank,
    code_example,
    code_name,
    compare_rows,
    slots,
)
from cltui.demo.question import (
    STOPWORDS,
    Question,
    analyse,
    capitalize,
    code_language,
    stable_seed,
    topic_words,
)

__all__ = [
    "Answer",
    "Prompt",
    "Style",
    "code_language",
    "compose",
    "split_tokens",
    "stable_seed",
    "topic_words",
]

Style = Literal["terse", "structured", "discursive", "reasoning", "brief", "aggregator", "judge"]

CONSENSUS_PREFIX = "Consensus: "
FOLDED_CONSENSUS = "\n\n" + CONSENSUS_PREFIX
"""The consensus folded after other system text into the one leading system message."""
RESPONSE_BLOCK = re.compile(r'<response model="([^"]*)">\n?(.*?)\n?</response>', re.DOTALL)
REFERENCES_HEADER = "Answers from the models:"
POINTS_PER_STYLE = {"terse": 5, "structured": 6, "discursive": 5, "reasoning": 5, "brief": 3}
STYLE_OFFSETS = {"terse": 0, "structured": 2, "discursive": 4, "reasoning": 1, "brief": 3}
MOST_POINTS = 7
"""An improvement-round answer carries at most this many points of the consensus."""


# --------------------------------------------------------------------------------------------
# Small helpers


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


def lower_first(text: str, keep: frozenset[str] = frozenset()) -> str:
    """A sentence made to follow a connector: 'The idea' -> 'the idea', but 'TLS' and names the
    question capitalises stay as they are."""
    first = re.match(r"[\w'-]+", text)
    if not first:
        return text
    word = first.group(0)
    if word.lower() in keep or any(c.isupper() for c in word[1:]) or word == "I":
        return text
    return text[:1].lower() + text[1:]


def proper_words(question: Question) -> frozenset[str]:
    """Words the question writes with a capital inside a sentence: names to keep capitalised."""
    names = {"python", "python's", "rust", "typescript", "javascript", "postgresql", "sqlite"}
    for word in re.findall(r"(?<=\s)[A-Z][\w'-]*", question.text):
        names.add(word.lower())
    names.update(o.split()[0].lower() for o in question.options if o)
    return frozenset(names)


def join_list(items: Sequence[str], conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def head_phrase(point: Point) -> str:
    return lower_first(point.head) if point.head else ""


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
    references: str | None = None
    """Earlier answers shown in a system message (a later Mixture-of-Agents layer)."""
    request: str = ""
    """The last user message: what a judge or reviewer is asked to compare, read on its own so
    the earlier turns of the conversation before it are never taken for the answers."""

    @classmethod
    def of(cls, messages: Sequence[dict[str, str]]) -> Prompt:
        contents = [str(m.get("content") or "") for m in messages]
        roles = [m.get("role") for m in messages]
        blocks: list[tuple[str, str]] = []
        block_at: int | None = None
        consensus_at: int | None = None
        references: str | None = None
        consensus = None
        for index, content in enumerate(contents):
            found = RESPONSE_BLOCK.findall(content)
            if found:
                blocks.extend((label, text.strip()) for label, text in found)
                block_at = index if block_at is None else block_at
            if content.startswith(CONSENSUS_PREFIX):
                consensus_at, consensus = index, content[len(CONSENSUS_PREFIX) :]
            elif roles[index] == "system" and FOLDED_CONSENSUS in content:
                consensus_at = index
                consensus = content.split(FOLDED_CONSENSUS, 1)[1]
            if roles[index] == "system" and REFERENCES_HEADER in content:
                references = content.split(REFERENCES_HEADER, 1)[1].split(FOLDED_CONSENSUS)[0]
        if consensus_at is not None and roles[consensus_at] == "system":
            # System messages are sent folded into one leading message (chat templates keep
            # only that one): the consensus then stands before the question, whose answer is
            # asked for by the last user message.
            users_at = [i for i, r in enumerate(roles) if r == "user"]
            consensus_at = users_at[-1] if users_at else consensus_at
        question = _question(contents, roles, block_at, consensus_at)
        users = [c for c, r in zip(contents, roles, strict=True) if r == "user"]
        request = users[-1] if users else "\n".join(contents)
        return cls(question, tuple(blocks), consensus, "\n".join(contents), references, request)

    @property
    def guidance(self) -> str | None:
        """What the answer should move toward: the consensus, or the earlier layer's answers."""
        return self.consensus if self.consensus is not None else self.references


def _question(
    contents: list[str], roles: list[str | None], block_at: int | None, consensus_at: int | None
) -> str:
    """The question being answered: stated in the block message ("Question: ..."), else the last
    user message before the blocks or the consensus, else the last user message."""
    if block_at is not None:
        header = r"(?:Responses(?: from models| ranked best first|, unranked)[^\n]*:|<response )"
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
    """A pairwise judge prompt: the request compares Response A with Response B."""
    return "Response A" in prompt.request and "Response B" in prompt.request


def asks_for_ranking(prompt: Prompt) -> bool:
    """A peer-review prompt: the request ranks the anonymised Responses 1..N."""
    text = prompt.request
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
        return Answer(verdict(prompt, style))
    if asks_for_ranking(prompt):
        return Answer(ranking(prompt, style))
    if prompt.blocks:
        return Answer(tidy_capitals(merge_blocks(prompt)))
    word = echo_word(prompt.question)
    if word and prompt.guidance is None:
        return Answer(word)
    question = analyse(prompt.question)
    points = choose_points(question, style, prompt.guidance, rng)
    voice = Voice(question, points, random.Random(stable_seed(style, question.topic)))
    if prompt.guidance:
        voice.mentions = [p for p in set_aside(prompt.guidance, question) if p not in points]
    if style == "reasoning":
        return Answer(tidy_capitals(voice.reasoned()), voice.thinking())
    return Answer(tidy_capitals(RENDERERS.get(style, Voice.structured)(voice)))


_SENTENCE_START = re.compile(
    r"(^\s*(?:#+\s+|[-*]\s+|\d+\.\s+|>\s+)?(?:\*\*|\*|_)?|[.!?](?:\*\*|\*|_)?\s+(?:\*\*|\*|_)?)([a-z])"
)


def tidy_capitals(text: str) -> str:
    """Capitalise the first letter of headings, list items and sentences.

    Topic phrases come from the user's own words ("tabs", "sqlite") and may start a sentence;
    code blocks and tables are left exactly as they are."""
    lines = []
    in_code = False
    for line in text.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith("```"):
            in_code = not in_code
        elif not in_code and not stripped.startswith("|"):
            line = _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), line)
        lines.append(line)
    return "\n".join(lines)


def choose_points(
    question: Question, style: str, guidance: str | None, rng: random.Random
) -> list[Point]:
    """The points an answer makes: the core of the bank and a pick of its own, or, when there is
    a consensus (or earlier answers) to improve on, the points made there."""
    points = bank(question)
    if guidance:
        adopted = consensus_of(guidance, points)
        if len(adopted) < 2:
            adopted = points[:CORE_POINTS] + [
                Point("", unit, 100 + i, "text") for i, unit in enumerate(text_units(guidance)[:4])
            ]
        return sorted(adopted[:MOST_POINTS], key=lambda p: p.rank)
    core, extra = points[:CORE_POINTS], points[CORE_POINTS:]
    wanted = min(len(extra), max(0, POINTS_PER_STYLE.get(style, 5) - len(core)))
    # Each voice starts its own pick at a different place in the extras, so the answers overlap
    # only in part and the aggregator has differences to report.
    start = STYLE_OFFSETS.get(style, 0) + rng.choice((0, 0, 1))
    own = [extra[(start + i) % len(extra)] for i in range(wanted)] if extra else []
    return sorted(core + own, key=lambda p: p.rank)


def consensus_of(guidance: str, points: Sequence[Point]) -> list[Point]:
    """The points an improved answer keeps: those the previous aggregate says the models agree
    on, plus the first of the points only one model made (the rest are dropped, which is what
    makes consecutive aggregates converge). Earlier answers of a Mixture-of-Agents layer have
    no such sections: every point made in them counts."""
    agreed_part, _, differ_part = guidance.partition("### Where they differ")
    if "### Where they agree" not in agreed_part:
        return points_in(guidance, points)
    agreed = points_in(agreed_part, points)
    differing = [p for p in points_in(differ_part, points) if p not in agreed]
    return agreed + sorted(differing, key=lambda p: p.rank)[:1]


def set_aside(guidance: str, question: Question) -> list[Point]:
    """The points of a consensus that only one model made: an improved answer names them in
    passing (it has read them) without taking them on."""
    _, found, differ_part = guidance.partition("### Where they differ")
    return points_in(differ_part, bank(question)) if found else []


def normalised(text: str) -> str:
    """Text as compared when looking for a point: lower case, no emphasis, single spaces."""
    return re.sub(r"\s+", " ", re.sub(r"[*_`]", "", text)).lower()


def points_in(text: str, points: Sequence[Point]) -> list[Point]:
    """The points of the bank an answer makes (each point's body appears in it word for word)."""
    haystack = normalised(text)
    return [p for p in points if normalised(p.body).rstrip(".") in haystack]


# --------------------------------------------------------------------------------------------
# Voices

LEAD_BY_KIND = {
    "define": "{Topic} {is} easiest to understand through {its} core idea and one concrete "
    "example.",
    "compare": "Both {a} and {b} are solid choices: pick {x} for getting started quickly and "
    "{y} for demanding, long-lived projects.",
    "greeting": "Hello! Ask me anything and I will give you a clear, structured answer.",
}
YES_NO_LEANS = ("a cautious yes", "yes, under a few conditions", "probably not yet")
BOTTOM_BY_KIND = {
    "howto": "the best way to {task} is to start small, check real results and write down why.",
    "define": "approach {topic} through one concrete example before the formal definition.",
    "explain": "get the central mechanism clear and the details fall into place.",
    "why": "there is rarely a single cause; look for the main mechanism and what amplifies it.",
    "yesno": "decide what you want to achieve first; the yes or no follows from that.",
    "compare": "pick {x} unless you have a concrete reason to need {y}.",
    "general": "start small, check the results and adjust.",
    "greeting": "the more specific the question, the more useful the answer.",
}
OPENER_BY_KIND = {
    "howto": "Here is a step-by-step way to approach {topic}.",
    "define": "Here is {topic} in a few key points.",
    "explain": "A step-by-step look at {topic}.",
    "why": "A look at {topic}, reason by reason.",
    "yesno": "The answer to {topic} depends on a few conditions.",
    "compare": "{A} and {B} side by side, with the points that usually decide between them.",
    "general": "A few structured thoughts on {topic}.",
    "greeting": "Hello! Here is how to get the most out of this conversation.",
}
SECTION_BY_KIND = {
    "howto": "Steps", "define": "Key points", "explain": "How it works", "why": "Reasons",
    "yesno": "What it depends on", "compare": "Key differences", "general": "Key points",
    "greeting": "How I can help",
}  # fmt: skip
CONCLUSION_BY_KIND = {
    "howto": "Work through the steps in order, keep the first attempt small, and write down what "
    "you decide so it is easy to revisit.",
    "define": "Start from the problem {topic} addresses, then one example; the formal "
    "definition is much easier after that.",
    "explain": "Once the central mechanism is clear, the rest of {topic} is a matter of detail.",
    "why": "No single factor explains it on its own; the direct cause does most of the work and "
    "the others decide how strongly it shows.",
    "yesno": "Settle your goal first, weigh the downside honestly, and try it small if you can.",
    "compare": "Choose {x} if you want to get going quickly; choose {y} when its strengths "
    "match a concrete need.",
    "general": "Clarify the goal, try a small step and adjust based on what you learn.",
    "greeting": "Ask away whenever you are ready.",
}
CIRRUS_OPENERS = {
    "howto": ("There is no single recipe for *{topic}*, but a few habits make it much easier.",
              "Most people who ask about *{topic}* want something practical, so let me keep "
              "this grounded."),
    "define": ("The term *{topic}* sounds more intimidating than the idea behind it.",
               "It is worth approaching *{topic}* from the problem side rather than the "
               "definition side."),
    "explain": ("It helps to look at *{topic}* as a process rather than a single fact.",
                "The question of *{topic}* is a good one, because the usual one-line answer "
                "hides the interesting part."),
    "why": ("The question of *{topic}* has a short answer and a longer, more interesting one.",
            "It is tempting to look for one neat reason for *{topic}*, but the real story has "
            "a few strands."),
    "yesno": ("On the question of *{topic}*, the honest answer is that it depends.",
              "There is no universal answer to *{topic}*, but there is a good way to decide."),
    "compare": ("*{A}* and *{B}* are both good at what they were designed for, so the real "
                "question is what you need.",
                "Comparing *{A}* and *{B}* is less about which is better and more about which "
                "fits."),
    "general": ("It helps to step back for a moment before diving into *{topic}*.",
                "There is more to *{topic}* than it first seems."),
    "greeting": ("Hello, and *welcome*.", "Hi there, it is *good* to hear from you."),
}  # fmt: skip
CIRRUS_QUOTES = {
    "howto": "Start small, learn fast, and only then scale up.",
    "define": "Understand the problem first; the definition will follow.",
    "explain": "The details matter, but only once the big picture is clear.",
    "why": "Causes are rarely single; they are usually a chain.",
    "yesno": "A good decision depends more on your situation than on general rules.",
    "compare": "The best tool is the one that fits the job in front of you.",
    "general": "Clarity first, then action.",
    "greeting": "Good questions make good answers.",
}
CIRRUS_CLOSINGS = {
    "howto": "In the end, {doing} rewards patience: a clear goal, a small experiment, and an "
    "honest look at what the results say.",
    "define": "In the end, {topic} is best learned the way most ideas are: one good example at "
    "a time.",
    "explain": "In the end, {topic} is easier to remember once you have walked through a single "
    "concrete case yourself.",
    "why": "In the end, the most satisfying answer to {topic} is the one that also explains the "
    "exceptions.",
    "yesno": "In the end, the best answer to {topic} is the one that fits your goals, not the "
    "one that fits someone else's.",
    "compare": "In the end, both {a} and {b} will serve you well if you pick the one that "
    "matches the work in front of you.",
    "general": "In the end, a clear goal and a small first step take you further than a perfect "
    "plan.",
    "greeting": "Whenever you are ready, ask away.",
}
CONNECTORS = ("First of all,", "Beyond that,", "It also helps to remember that",
              "Just as important,", "On top of that,", "Also,")  # fmt: skip
KIND_LABELS = {
    "howto": ("a how-to question", "the answer should be a short sequence of steps"),
    "define": ("a request for a definition", "I should give the core idea, key points and an "
               "example"),
    "explain": ("a request for an explanation", "I should give the short version first, then "
                "the mechanism"),
    "why": ("a why question", "I should give the reasons, most important first"),
    "yesno": ("a yes-or-no question", "a hedged answer with the conditions that decide it "
              "fits best"),
    "compare": ("a comparison", "a side-by-side table will make the differences clear"),
    "general": ("an open question", "I should give a few practical points"),
    "greeting": ("a greeting", "a short, friendly reply is enough"),
}  # fmt: skip


class Voice:
    """One answer's points, written in one model's manner."""

    def __init__(self, question: Question, points: list[Point], rng: random.Random) -> None:
        self.question = question
        self.points = points
        self.rng = rng
        self.values = slots(question)
        self.kind = question.kind
        self.mentions: list[Point] = []
        """Points of the consensus this answer has read but does not take on."""

    def fill(self, template: str) -> str:
        return template.format_map(self.values)

    # ------------------------------------------------------------------------- pieces

    def lead(self) -> str:
        """A one-sentence answer, built from the answer's own first points."""
        q = self.question
        heads = [head_phrase(p) for p in self.points if p.head]
        if not q.english:
            return (
                "I can only answer in English here, but this general approach applies to most "
                "questions like yours."
            )
        if self.kind == "howto" and len(heads) >= 3:
            return f"To {q.task}{q.context}, {heads[0]} and {heads[1]}, then {heads[2]}."
        if self.kind == "why" and len(heads) >= 2:
            if q.topic.startswith("why "):
                return f"The short answer to {q.topic} is a mix of {heads[0]} and {heads[1]}."
            return f"The main points about {q.topic} are {heads[0]} and {heads[1]}."
        if self.kind == "explain":
            if q.topic.startswith("how "):
                return (
                    f"{capitalize(q.topic)} comes down to one central mechanism and a few "
                    "conditions that shape it."
                )
            return f"The answer to {q.topic} takes a little context, so here are the essentials."
        if self.kind == "yesno":
            lean = YES_NO_LEANS[stable_seed("lean", q.topic) % len(YES_NO_LEANS)]
            return f"It depends, but for most people it is {lean}."
        if self.kind == "general" and len(heads) >= 2:
            return f"A good way to approach {q.topic} is to {heads[0]} and {heads[1]}."
        if self.kind in LEAD_BY_KIND:
            return self.fill(LEAD_BY_KIND[self.kind])
        return self.fill(OPENER_BY_KIND.get(self.kind, OPENER_BY_KIND["general"]))

    def aside(self) -> str | None:
        """A sentence naming the consensus points this answer leaves out."""
        heads = [head_phrase(p) for p in self.mentions if p.head][:4]
        if not heads:
            return None
        return (
            f"Other answers also raise {join_list(heads, 'and')}; these are worth a look, "
            "though they are less central."
        )

    def bullet(self, point: Point) -> str:
        return f"**{point.head}.** {point.body}" if point.head else point.body

    def example(self) -> str | None:
        """A code block or a comparison table, when the question calls for one."""
        if self.kind == "compare":
            return self.table()
        if self.question.language:
            language, code = code_example(self.question)
            return f"```{language}\n{code}\n```"
        return None

    def phase_table(self) -> str:
        """The steps of a how-to with when each one happens."""
        steps = [p for p in self.points if p.head]
        lines = ["| Step | When |", "|---|---|"]
        for index, point in enumerate(steps):
            phase = PHASES[min(len(PHASES) - 1, index * len(PHASES) // max(1, len(steps)))]
            lines.append(f"| {point.head} | {phase} |")
        return "\n".join(lines)

    def table(self) -> str:
        a, b = self.question.options
        lines = [f"| | {a} | {b} |", "|---|---|---|"]
        lines += [f"| {c} | {x} | {y} |" for c, x, y in compare_rows(self.question)]
        return "\n".join(lines)

    # ------------------------------------------------------------------------- styles

    def terse(self) -> str:
        """Atlas: a small title, a one-line answer, bullets, an example if called for, a bottom
        line."""
        parts = [f"### {self.question.title}", f"**In short:** {self.lead()}"]
        parts.append("\n".join(f"- {self.bullet(p)}" for p in self.points))
        example = self.example()
        if example and self.kind != "compare":
            parts.append(example)
        if self.aside():
            parts.append(f"*{self.aside()}*")
        parts.append("Bottom line: " + self.fill(BOTTOM_BY_KIND[self.kind]))
        return "\n\n".join(parts)

    def structured(self) -> str:
        """Borealis: a title, numbered points, an example, a table or a checklist, a
        conclusion."""
        parts = [f"## {self.question.title}", self.fill(OPENER_BY_KIND[self.kind])]
        parts.append(f"### {SECTION_BY_KIND[self.kind]}")
        parts.append("\n".join(f"{i}. {self.bullet(p)}" for i, p in enumerate(self.points, 1)))
        example = self.example()
        if example and self.kind == "compare":
            parts += ["### At a glance", example]
        elif example:
            parts += ["### Example", example]
        elif self.kind == "howto":
            parts += ["### At a glance", self.phase_table()]
        elif self.kind in PITFALLS:
            parts += ["### Common pitfalls", "\n".join(f"- {p}" for p in PITFALLS[self.kind])]
        if self.aside():
            parts += ["### Also mentioned", self.aside() or ""]
        parts += ["### Conclusion", self.fill(CONCLUSION_BY_KIND[self.kind])]
        return "\n\n".join(parts)

    def discursive(self) -> str:
        """Cirrus: flowing paragraphs with a little emphasis, a quote and a closing thought."""
        keep = proper_words(self.question)
        opener = self.fill(self.rng.choice(CIRRUS_OPENERS[self.kind]))
        if not self.question.english:
            opener = "I will answer in English, since that is the only language I speak here."
        last = len(self.points) - 1
        sentences = [
            f"{'Finally,' if i == last else CONNECTORS[min(i, len(CONNECTORS) - 1)]} "
            f"{lower_first(p.body, keep)}"
            for i, p in enumerate(self.points)
        ]
        if len(sentences) == 1:
            sentences = [self.points[0].body]
        split = max(1, (len(sentences) + 1) // 2)
        parts = [f"{opener} {sentences[0]}"]
        if sentences[1:split]:
            parts[0] += " " + " ".join(sentences[1:split])
        if sentences[split:]:
            parts.append(" ".join(sentences[split:]))
        if self.kind == "compare":
            x, y = self.values["x"], self.values["y"]
            parts.append(
                f"If you want a rule of thumb: *{x}* when you want to get going quickly, "
                f"*{y}* when the project is demanding and long-lived."
            )
        elif self.question.language:
            parts.append(
                f"In code, this usually ends up as a small, well-named function such as "
                f"`{code_name(self.question)}()`, kept short and covered by a test or two."
            )
        if self.aside():
            parts.append(self.aside() or "")
        parts.append(f"> {CIRRUS_QUOTES[self.kind]}")
        parts.append(self.fill(CIRRUS_CLOSINGS[self.kind]))
        return "\n\n".join(parts)

    def reasoned(self) -> str:
        """Deliberate's answer (after its visible thinking): the conclusion first, then the
        points that support it, then a caveat."""
        parts = [f"## {self.question.title}", f"**Answer:** {self.lead()}"]
        parts.append(f"### {SECTION_BY_KIND[self.kind]}")
        parts.append("\n".join(f"{i}. {self.bullet(p)}" for i, p in enumerate(self.points, 1)))
        example = self.example()
        if example:
            parts.append(example)
        if self.aside():
            parts.append(f"**Also considered:** {self.aside()}")
        parts.append(
            "**Caveat:** this is general guidance; the specifics of your situation may change "
            "the priorities."
        )
        return "\n\n".join(parts)

    def thinking(self) -> str:
        """The visible reasoning streamed before Deliberate's answer."""
        label, plan = KIND_LABELS[self.kind]
        lines = [
            f"The question is about {self.question.topic}. This is {label}, so {plan}.",
            "The points that matter most:",
            *(f"- {p.head or p.body}" for p in self.points[:4]),
            "I should lead with a one-line answer and end with a caveat.",
        ]
        if self.question.language:
            lines.insert(-1, "A short code example will make it concrete.")
        return "\n".join(lines)

    def brief(self) -> str:
        """Swift: two or three sentences, no decoration."""
        bodies = [p.body for p in self.points[:2]]
        return " ".join([self.lead(), *bodies])


RENDERERS: dict[str, Callable[[Voice], str]] = {
    "terse": Voice.terse,
    "structured": Voice.structured,
    "discursive": Voice.discursive,
    "brief": Voice.brief,
    "aggregator": Voice.structured,
    "judge": Voice.brief,
}


# --------------------------------------------------------------------------------------------
# Judging and peer review


@dataclass(frozen=True, slots=True)
class Features:
    """What a reviewer notices about an answer at a glance."""

    words: int
    numbered: bool
    bullets: bool
    headings: bool
    code: bool
    table: bool

    @classmethod
    def of(cls, text: str) -> Features:
        lines = [line.strip() for line in text.splitlines()]
        return cls(
            words=len(text.split()),
            numbered=sum(bool(re.match(r"\d+[.)]\s", line)) for line in lines) >= 2,
            bullets=sum(line.startswith(("- ", "* ")) for line in lines) >= 2,
            headings=any(line.startswith("#") for line in lines),
            code="```" in text,
            table=sum(line.startswith("|") for line in lines) >= 3,
        )

    def score(self, salt: object) -> float:
        """Longer and more structured scores higher, with a deterministic dose of taste."""
        value = min(self.words, 400) / 80
        value += self.numbered + self.bullets * 0.6 + self.headings * 0.6
        value += (self.code or self.table) * 1.0
        return value + (stable_seed("taste", salt) % 1000) / 1000 * 1.6

    def strengths(self) -> list[str]:
        found = []
        if self.numbered:
            found.append("numbered steps")
        elif self.bullets:
            found.append("clear bullet points")
        if self.table:
            found.append("a comparison table")
        if self.code:
            found.append("a code example")
        if self.headings and len(found) < 2:
            found.append("helpful headings")
        return found or (["more detail"] if self.words > 40 else ["a direct answer"])


def _weakness(loser: Features, winner: Features) -> str:
    if winner.words > 40 and loser.words < winner.words * 0.6:
        return "covers similar ground in less detail"
    if (winner.code or winner.table) and not (loser.code or loser.table):
        return "has no example to make it concrete"
    if not (loser.numbered or loser.bullets or loser.headings):
        return "is harder to scan"
    if loser.words < 15:
        return "says less of substance"
    return "leaves out a few of the points the others make"


def _tagged(text: str, tag: str) -> str | None:
    match = re.search(rf"<{tag}>\n?(.*?)\n?</{tag}>", text, re.DOTALL)
    return match.group(1) if match else None


def verdict(prompt: Prompt, style: str = "judge") -> str:
    """A pairwise judgement that looks at the two answers and ends with the verdict line; the
    same pair gets the same preference in either order, so there is no position bias."""
    text = prompt.request
    first = _tagged(text, "response_a")
    second = _tagged(text, "response_b")
    if first is None or second is None:
        after_a = text.split("Response A", 1)[-1]
        first, _, second = after_a.partition("Response B")
    a, b = Features.of(first), Features.of(second)
    score_a, score_b = a.score((style, first)), b.score((style, second))
    if min(a.words, b.words) >= 60 and abs(score_a - score_b) < 0.35:
        return (
            "Both responses answer the question well and make the same main points; neither "
            "is clearly better.\n\nVerdict: both good"
        )
    winner, loser = ("A", "B") if score_a >= score_b else ("B", "A")
    win, lose = (a, b) if winner == "A" else (b, a)
    return (
        f"Response {winner} is more useful, with {join_list(win.strengths()[:2])}; "
        f"Response {loser} {_weakness(lose, win)}.\n\nVerdict: {winner}"
    )


def ranking(prompt: Prompt, style: str = "judge") -> str:
    """A peer review of Responses 1..N: a line about each, then the ranking line."""
    text = prompt.request
    numbers = sorted({int(n) for n in re.findall(r"Response (\d+)", text)})
    numbers = [n for n in numbers if 0 < n <= 50] or [1, 2]
    features = {}
    for n in numbers:
        body = _tagged(text, f"response_{n}")
        if body is None:
            found = re.search(rf"Response {n}:?\s*(.*?)(?=Response {n + 1}\b|$)", text, re.DOTALL)
            body = found.group(1) if found else ""
        features[n] = (Features.of(body), body)
    order = sorted(numbers, key=lambda n: -features[n][0].score((style, features[n][1])))
    lines = []
    best = features[order[0]][0]
    for position, n in enumerate(order[:6]):
        feature = features[n][0]
        if position == 0:
            lines.append(
                f"Response {n} is the strongest, with {join_list(feature.strengths()[:2])}."
            )
        elif position == len(order) - 1:
            lines.append(f"Response {n} is the weakest: it {_weakness(feature, best)}.")
        else:
            lines.append(f"Response {n} is solid, though it {_weakness(feature, best)}.")
    return "\n".join(lines) + "\n\nRanking: " + " > ".join(str(n) for n in order)


# --------------------------------------------------------------------------------------------
# Merging answers (the aggregator)

ATTRIBUTION = re.compile(r"\s*\(([\w .:#/+-]+(?:, [\w .:#/+-]+)*)\)\s*$")
LEADING_LABEL = re.compile(r"^\*\*[^*]{1,60}[.:]\*\*\s*")
LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ x]\]\s+)?")


def text_units(text: str, *, lists_only: bool = False) -> list[str]:
    """The statements of an answer the demo did not write: its list items, or the sentences of
    its paragraphs when it has few of those.

    Headings, quotes, tables and code are left out: they frame points rather than make them.
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
    point: Point
    supporters: list[str]

    @property
    def text(self) -> str:
        if self.point.head:
            return f"**{self.point.head}.** {self.point.body}"
        return self.point.body


def merge_blocks(prompt: Prompt) -> str:
    """An aggregate that merges the labelled answers point by point, naming who said what."""
    question = analyse(prompt.question)
    known = bank(question)
    labels = [short_name(label) for label, _ in prompt.blocks]
    merged: list[MergedPoint] = []
    example: str | None = None
    for (_, text), name in zip(prompt.blocks, labels, strict=True):
        example = example or _example_in(text)
        found = points_in(text, known)
        if not found:
            found = [Point("", unit, 1000 + len(merged), "text") for unit in text_units(text)]
        for point in found:
            match = next((m for m in merged if _same(m.point, point)), None)
            if match is None:
                merged.append(MergedPoint(point, [name]))
            elif name not in match.supporters:
                match.supporters.append(name)
    merged.sort(key=lambda m: m.point.rank)
    shared = [m for m in merged if len(m.supporters) > 1][:8]
    distinct = [m for m in merged if len(m.supporters) == 1][:6]
    parts = ["## Consensus", intro_line(len(prompt.blocks), labels, shared, distinct)]
    if shared:
        parts.append("### Where they agree")
        parts.append("\n".join(f"- {m.text} ({', '.join(m.supporters)})" for m in shared))
    if distinct:
        parts.append("### Where they differ" if shared else "### What each answer adds")
        parts.append("\n".join(f"- {m.text} ({m.supporters[0]})" for m in distinct))
    if example is not None:
        parts.append("### At a glance" if example.startswith("|") else "### Example")
        parts.append(example)
    parts.append("### Synthesis")
    parts.append(synthesis(question, len(prompt.blocks), shared, distinct))
    return "\n\n".join(parts)


def _same(a: Point, b: Point) -> bool:
    if a.source != "text" and b.source != "text":
        return a.body == b.body
    return similar(a.body, b.body)


def _example_in(text: str) -> str | None:
    """The first code block or table of an answer, kept whole for the merged answer."""
    fence = re.search(r"```(\w*)\n(.*?)```", text, re.DOTALL)
    if fence:
        return f"```{fence.group(1)}\n{fence.group(2).rstrip()}\n```"
    rows = [line for line in text.splitlines() if line.strip().startswith("|")]
    return "\n".join(rows) if len(rows) >= 3 else None


NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _count(n: int, noun: str) -> str:
    word = NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else str(n)
    return f"{word} {noun}{'' if n == 1 else 's'}"


def intro_line(
    count: int, labels: list[str], shared: list[MergedPoint], distinct: list[MergedPoint]
) -> str:
    """Says how many answers were merged, how far they agree, and who agrees most."""
    names = list(dict.fromkeys(labels))
    line = f"{count} {'answer' if count == 1 else 'answers'} merged ({', '.join(names)})."
    if not shared:
        return line + " They share no points, so each contribution is listed on its own."
    everyone = [m for m in shared if len(m.supporters) == len(names)]
    if everyone and len(names) > 1:
        n = len(names)
        all_of = "Both" if n == 2 else f"All {NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else n}"
        line += f" {all_of} agree on {_count(len(everyone), 'point')}"
        if distinct:
            line += f"; {_count(len(distinct), 'more point')} come from a single answer."
        else:
            line += ", and no real disagreement is left."
    pairs: dict[tuple[str, str], int] = {}
    for point in shared:
        for i, first in enumerate(point.supporters):
            for second in point.supporters[i + 1 :]:
                pairs[first, second] = pairs.get((first, second), 0) + 1
    if pairs and len(everyone) < len(shared):
        (first, second), together = max(pairs.items(), key=lambda kv: kv[1])
        line += f" {first} and {second} agree most closely ({together} shared points)."
    return line


def synthesis(
    question: Question, count: int, shared: list[MergedPoint], distinct: list[MergedPoint]
) -> str:
    """A closing paragraph that states the merged answer in a sentence or two."""
    kind = question.kind
    agreed = [m.point for m in shared if m.point.head]
    if not agreed:
        if shared:
            return (
                f"Taken together, the {count} answers point the same way: "
                f"{lower_first(shared[0].point.body)}"
            )
        return "The answers approach the question from different angles; each is worth reading."
    values = slots(question)
    phrases = [head_phrase(p) for p in agreed if kind in ("howto", "general") or p.source == "kind"]
    phrases = phrases[:4] or [head_phrase(p) for p in agreed[:3]]
    listed = join_list(phrases)
    if kind == "howto":
        text = f"The answers converge on a clear path for {question.topic}: {listed}."
    elif kind == "compare":
        text = (
            f"On {values['a']} versus {values['b']}, the answers weigh {listed}. In practice: "
            f"{values['x']} for getting started quickly, {values['y']} for demanding, "
            "long-lived projects."
        )
    elif kind == "yesno":
        lean = YES_NO_LEANS[stable_seed("lean", question.topic) % len(YES_NO_LEANS)]
        text = (
            f"On {question.topic}, the models lean towards {lean}, and they agree on the "
            f"conditions: {'; '.join(phrases)}."
        )
    elif kind == "general":
        text = f"Taken together, the answers suggest that you {listed}."
    elif kind == "greeting":
        text = "All the models are ready to help; the best next step is a concrete question."
    else:
        text = f"Put together, the answers explain {question.topic} through {listed}."
    if kind == "greeting":
        return text
    if distinct:
        text += " The points only one model raised are worth a look, but none contradicts the rest."
    else:
        text += " No real disagreement is left between the models."
    return text


def consensus_points(consensus: str) -> list[str]:
    """The statements of a previous aggregate, without its attributions and framing."""
    return text_units(consensus, lists_only=True)
