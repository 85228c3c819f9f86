"""The simulated models, exercised through the real client (SSE parser, retries, errors)."""

from __future__ import annotations

import difflib
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from cltui.core.agreement import agreement
from cltui.core.config import BUILTIN_PROVIDERS, DEMO_BASE_URL, AggregatorSpec, ModelSpec
from cltui.core.engine.prompts import aggregator_messages, improvement_messages, responses_block
from cltui.core.judging import judge_messages, parse_verdict
from cltui.core.messages import ChatMessage
from cltui.core.providers.base import ChatRequest, StreamChunk
from cltui.core.providers.client import OpenAIClient
from cltui.core.providers.errors import (
    ModelNotFoundError,
    ProviderDownError,
    StreamBrokenError,
)
from cltui.demo.points import bank
from cltui.demo.question import analyse
from cltui.demo.server import DEMO_MODELS, DemoTransport, speed_from_env
from cltui.demo.text import Prompt, compose, points_in, split_tokens, topic_words

SPEED = 1000.0
CODE_QUESTION = "How do I write a Python function that parses CSV files?"
PLAIN_QUESTION = "What makes a good night's sleep for shift workers?"
PROPOSERS = ("demo/atlas", "demo/borealis", "demo/cirrus")
IMPROVE = (
    "Please provide an answer to the initial query based on the aggregated responses provided."
)


class SleepRecorder:
    """Stands in for asyncio.sleep in the client: records the waits, waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def transport() -> DemoTransport:
    return DemoTransport(speed=SPEED)


@pytest.fixture
def sleeper() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def client(transport: DemoTransport, sleeper: SleepRecorder) -> AsyncIterator[OpenAIClient]:
    created = OpenAIClient(
        BUILTIN_PROVIDERS["demo"], api_key=None, transport=transport, sleep=sleeper
    )
    yield created
    await created.aclose()


def ask(model: str, *messages: ChatMessage | str, max_tokens: int | None = None) -> ChatRequest:
    converted = [m if isinstance(m, ChatMessage) else ChatMessage("user", m) for m in messages]
    return ChatRequest(model, converted, max_tokens=max_tokens)


async def collect(client: OpenAIClient, request: ChatRequest) -> list[StreamChunk]:
    return [chunk async for chunk in client.stream_chat(request)]


async def text_of(client: OpenAIClient, request: ChatRequest) -> str:
    return "".join(c.content for c in await collect(client, request))


def aggregation_request(question: str, answers: dict[str, str]) -> ChatRequest:
    """The aggregator's call as the engine builds it (default context and prompt)."""
    aggregator = AggregatorSpec(ModelSpec("demo/synthesis", provider="demo"))
    messages = aggregator_messages(
        aggregator.model, aggregator, (), question, list(answers.items())
    )
    return ChatRequest("demo/synthesis", messages)


def improvement_request(model: str, question: str, consensus: str) -> ChatRequest:
    """An improvement-round call as the engine builds it."""
    first = (ChatMessage("user", question),)
    return ChatRequest(model, improvement_messages(first, consensus, "system", IMPROVE))


def likeness(a: str, b: str) -> float:
    """Word-level similarity, as an agreement measure between two texts."""
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()


# ------------------------------------------------------------------------------------------
# Text


async def test_same_request_gives_same_text_and_prompts_change_it(client: OpenAIClient) -> None:
    first = await text_of(client, ask("demo/atlas", CODE_QUESTION))
    async with OpenAIClient(
        BUILTIN_PROVIDERS["demo"], api_key=None, transport=DemoTransport(speed=SPEED)
    ) as other:
        again = await text_of(other, ask("demo/atlas", CODE_QUESTION))
    different = await text_of(client, ask("demo/atlas", PLAIN_QUESTION))
    assert first == again
    assert first != different
    assert "sleep" in different.lower() or "shift" in different.lower()


async def test_streamed_and_whole_replies_agree(client: OpenAIClient) -> None:
    streamed = await text_of(client, ask("demo/borealis", PLAIN_QUESTION))
    whole = await client.chat(ask("demo/borealis", PLAIN_QUESTION))
    assert whole.content == streamed
    assert whole.usage is not None and whole.usage.completion_tokens > 0
    assert whole.generation_id and whole.generation_id.startswith("gen-demo-")
    assert whole.model == "demo/borealis"


async def test_answers_are_markdown_with_code_when_the_question_is_about_code(
    client: OpenAIClient,
) -> None:
    atlas = await text_of(client, ask("demo/atlas", CODE_QUESTION))
    borealis = await text_of(client, ask("demo/borealis", CODE_QUESTION))
    cirrus = await text_of(client, ask("demo/cirrus", PLAIN_QUESTION))
    assert atlas.startswith("### ") and "\n- " in atlas and "```python" in atlas
    assert borealis.startswith("## ") and "### Conclusion" in borealis and "```python" in borealis
    assert "\n1. " in borealis
    assert cirrus.count("\n\n") >= 3 and "```" not in cirrus and "*" in cirrus
    plain_atlas = await text_of(client, ask("demo/atlas", PLAIN_QUESTION))
    assert "```" not in plain_atlas


async def test_models_have_distinct_voices(client: OpenAIClient) -> None:
    texts = {m: await text_of(client, ask(m, PLAIN_QUESTION)) for m in PROPOSERS}
    assert len(set(texts.values())) == 3


# ------------------------------------------------------------------------------------------
# Streaming protocol


async def test_raw_stream_has_keepalive_tokens_usage_and_done(transport: DemoTransport) -> None:
    body = {"model": "demo/deliberate", "messages": [{"role": "user", "content": "hi"}],
            "stream": True}  # fmt: skip
    async with httpx.AsyncClient(transport=transport, base_url=DEMO_BASE_URL) as http:
        response = await http.post("/chat/completions", json=body)
    raw = response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    assert raw.startswith(": OPENROUTER PROCESSING\n\n")
    assert raw.rstrip().endswith("data: [DONE]")
    events = [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: {")]
    usage_events = [e for e in events if "usage" in e]
    assert len(usage_events) == 1 and usage_events[0]["choices"] == []
    assert usage_events[0] is events[-1]
    assert all(e["provider"] == "cltui demo" and e["model"] == "demo/deliberate" for e in events)
    token_events = [e for e in events if e["choices"] and e["choices"][0]["finish_reason"] is None]
    assert usage_events[0]["usage"]["completion_tokens"] == len(token_events)
    assert all(1 <= len(token.split()) <= 3 for e in token_events for token in _deltas(e))


def _deltas(event: dict) -> list[str]:
    delta = event["choices"][0]["delta"]
    return [v for v in (delta.get("content"), delta.get("reasoning")) if v]


async def test_usage_and_cost_come_from_the_final_chunk(client: OpenAIClient) -> None:
    chunks = await collect(client, ask("demo/atlas", PLAIN_QUESTION))
    usages = [c.usage for c in chunks if c.usage is not None]
    assert len(usages) == 1
    usage = usages[0]
    model = DEMO_MODELS["demo/atlas"]
    assert usage.prompt_tokens == -(-len(PLAIN_QUESTION) // 4)
    assert usage.completion_tokens == sum(1 for c in chunks if c.content)
    expected = usage.prompt_tokens * model.prompt_price
    expected += usage.completion_tokens * model.completion_price
    assert usage.cost == pytest.approx(expected)
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["stop"]


async def test_max_tokens_truncates_with_finish_reason_length(client: OpenAIClient) -> None:
    chunks = await collect(client, ask("demo/borealis", CODE_QUESTION, max_tokens=7))
    assert sum(1 for c in chunks if c.content) == 7
    assert "length" in [c.finish_reason for c in chunks]
    usage = next(c.usage for c in chunks if c.usage)
    assert usage.completion_tokens == 7


async def test_reasoning_model_streams_reasoning_before_content(client: OpenAIClient) -> None:
    chunks = await collect(client, ask("demo/deliberate", CODE_QUESTION))
    kinds = [("r" if c.reasoning else "c") for c in chunks if c.reasoning or c.content]
    assert kinds[0] == "r" and kinds[-1] == "c"
    assert "".join(kinds).count("rc") == 1  # all reasoning, then all content
    usage = next(c.usage for c in chunks if c.usage)
    assert usage.reasoning_tokens == kinds.count("r")


async def test_legacy_completions_stream_and_whole(client: OpenAIClient) -> None:
    streamed = [c async for c in client.complete("demo/cirrus", PLAIN_QUESTION, stream=True)]
    whole = [c async for c in client.complete("demo/cirrus", PLAIN_QUESTION, stream=False)]
    text = "".join(c.content for c in streamed)
    assert text and text == whole[0].content
    assert any(c.usage for c in streamed)


async def test_probe_prompt_gets_its_word(client: OpenAIClient) -> None:
    result = await client.chat(ask("demo/swift:free", "Reply with the word OK.", max_tokens=5))
    assert result.content == "OK"


# ------------------------------------------------------------------------------------------
# Consensus


async def _round_zero(client: OpenAIClient, question: str) -> dict[str, str]:
    return {m: await text_of(client, ask(m, question)) for m in PROPOSERS}


async def test_aggregation_merges_the_labelled_answers(client: OpenAIClient) -> None:
    answers = await _round_zero(client, CODE_QUESTION)
    merged = await text_of(client, aggregation_request(CODE_QUESTION, answers))
    assert merged.startswith("## Consensus")
    assert "3 answers merged (atlas, borealis, cirrus)" in merged
    assert "(atlas, borealis, cirrus)" in merged  # a point all three made
    known = bank(analyse(CODE_QUESTION))
    for model, text in answers.items():
        name = model.split("/")[1]
        assert name in merged
        # at least one of this answer's points is carried over word for word
        assert set(points_in(text, known)) & set(points_in(merged, known)), model
    assert "### Where they agree" in merged and "### Synthesis" in merged
    assert "```python" in merged  # the example is kept


async def test_aggregation_uses_the_block_labels(client: OpenAIClient) -> None:
    answers = {"alpha #1": "- Tea is best brewed with water just off the boil for taste.",
               "alpha #2": "- Tea is best brewed with water just off the boil for taste.",
               "beta": "- Coffee needs a coarser grind when it is brewed in a press."}  # fmt: skip
    merged = await text_of(client, aggregation_request("How to brew tea?", answers))
    assert "(alpha #1, alpha #2)" in merged
    assert "(beta)" in merged


async def _rounds(client: OpenAIClient, question: str, rounds: int = 3) -> tuple[list, list]:
    """Answers and aggregates of each round, as the iterative strategy runs them."""
    answers = [await _round_zero(client, question)]
    aggregates = [await text_of(client, aggregation_request(question, answers[-1]))]
    for _ in range(rounds - 1):
        answers.append(
            {
                m: await text_of(client, improvement_request(m, question, aggregates[-1]))
                for m in PROPOSERS
            }
        )
        aggregates.append(await text_of(client, aggregation_request(question, answers[-1])))
    return answers, aggregates


def _mutual_agreement(answers: dict[str, str]) -> float:
    texts = list(answers.values())
    pairs = [(a, b) for i, a in enumerate(texts) for b in texts[i + 1 :]]
    return sum(agreement(a, b) for a, b in pairs) / len(pairs)


@pytest.mark.parametrize(
    "question",
    [PLAIN_QUESTION, CODE_QUESTION, "How should a small team choose a database?",
     "What is a monad?", "Postgres vs MySQL", "Why is the sky blue?"],
)  # fmt: skip
async def test_improvement_rounds_converge(client: OpenAIClient, question: str) -> None:
    answers, aggregates = await _rounds(client, question)
    first_step = agreement(aggregates[0], aggregates[1])
    second_step = agreement(aggregates[1], aggregates[2])
    assert 0.5 <= first_step < 0.9  # the first improvement still changes the consensus
    assert second_step >= 0.9 and second_step > first_step
    # the models' answers move toward each other and keep their voices
    mutual = [_mutual_agreement(round_answers) for round_answers in answers]
    assert mutual[0] < min(mutual[1:])
    assert len(set(answers[-1].values())) == 3
    assert "### Where they differ" in aggregates[0]
    assert "no real disagreement is left" in aggregates[-1]


async def test_improved_answers_name_what_they_set_aside(client: OpenAIClient) -> None:
    answers, aggregates = await _rounds(client, PLAIN_QUESTION, rounds=2)
    assert "### Where they differ" in aggregates[0]
    for text in answers[1].values():
        assert "Other answers also raise" in text


async def test_judge_gives_a_verdict_and_a_ranking(client: OpenAIClient) -> None:
    pair = "Compare the two answers.\n\nResponse A:\nyes\n\nResponse B:\nno\n\nWhich is better?"
    verdict = await text_of(client, ask("demo/arbiter", pair))
    assert verdict.splitlines()[-1] in ("Verdict: A", "Verdict: B")
    assert len(verdict.splitlines()) > 1  # a reason comes first
    assert verdict == await text_of(client, ask("demo/arbiter", pair))
    rank = "Rank these.\nResponse 1: a\nResponse 2: b\nResponse 3: c"
    ranking = await text_of(client, ask("demo/arbiter", rank))
    last_line = ranking.splitlines()[-1]
    assert last_line.startswith("Ranking: ")
    assert sorted(last_line.removeprefix("Ranking: ").split(" > ")) == ["1", "2", "3"]


def _judge(question: str, first: str, second: str) -> str:
    messages = [m.to_api() for m in judge_messages(question, first, second)]
    return compose("judge", messages, seed=1).content


def _answer(model_style: str, question: str) -> str:
    return compose(model_style, [{"role": "user", "content": question}], seed=7).content  # type: ignore[arg-type]


def test_judge_prefers_the_same_answer_in_both_orders_and_verdicts_vary() -> None:
    verdicts = []
    for question in TOPIC_PHRASES:
        a, b = _answer("terse", question), _answer("discursive", question)
        forward, backward = (
            parse_verdict(_judge(question, a, b)),
            parse_verdict(_judge(question, b, a)),
        )
        flipped = {"first": "second", "second": "first", "both_good": "both_good"}
        assert forward in ("first", "second", "both_good")
        assert backward == flipped[forward]  # no position bias
        verdicts.append(forward)
        verdicts.append(parse_verdict(_judge(question, _answer("structured", question), a)))
    assert len(set(verdicts)) >= 2  # not always the same position


# ------------------------------------------------------------------------------------------
# Failures


async def test_flaky_is_retried_after_retry_after_then_answers(
    client: OpenAIClient, sleeper: SleepRecorder
) -> None:
    notices = []
    chunks = [
        c
        async for c in client.stream_chat(
            ask("demo/flaky", PLAIN_QUESTION), on_retry=notices.append
        )
    ]
    assert "".join(c.content for c in chunks)
    assert [n.attempt for n in notices] == [2]
    assert 1.0 in sleeper.waits
    again = await text_of(client, ask("demo/flaky", CODE_QUESTION))  # later calls just work
    assert again and len(notices) == 1


async def test_overloaded_fails_as_provider_down_after_retries(
    client: OpenAIClient, sleeper: SleepRecorder
) -> None:
    with pytest.raises(ProviderDownError) as caught:
        await text_of(client, ask("demo/overloaded", PLAIN_QUESTION))
    assert "overloaded" in str(caught.value)
    assert len(sleeper.waits) == BUILTIN_PROVIDERS["demo"].max_retries


async def test_glitch_breaks_mid_stream_and_keeps_the_partial_text(client: OpenAIClient) -> None:
    received = []
    with pytest.raises(StreamBrokenError) as caught:
        async for chunk in client.stream_chat(ask("demo/glitch", PLAIN_QUESTION)):
            received.append(chunk.content)
    assert caught.value.partial_text == "".join(received) != ""


async def test_unknown_model_is_model_not_found(client: OpenAIClient) -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        await text_of(client, ask("demo/unknown", "hi"))
    assert "demo/unknown" in str(caught.value)


# ------------------------------------------------------------------------------------------
# Account endpoints


async def test_models_list(client: OpenAIClient) -> None:
    models = {m.id: m for m in await client.list_models()}
    for expected in ("demo/atlas", "demo/borealis", "demo/cirrus", "demo/synthesis",
                     "demo/arbiter", "demo/deliberate", "demo/swift:free"):  # fmt: skip
        assert expected in models
    assert models["demo/swift:free"].is_free
    assert [m for m in models.values() if m.is_free] == [models["demo/swift:free"]]
    atlas = models["demo/atlas"]
    assert atlas.prompt_price == pytest.approx(0.5e-6) and atlas.context_length == 32_768
    assert atlas.name == "Demo: Atlas"


async def test_credits_go_down_as_calls_are_made(client: OpenAIClient) -> None:
    before = await client.credits()
    assert before.limit == 10.0 and before.remaining == pytest.approx(10.0)
    result = await client.chat(ask("demo/borealis", CODE_QUESTION))
    after = await client.credits()
    assert after.remaining < before.remaining
    assert after.used == pytest.approx(result.usage.cost)
    key = await client.key_info()
    assert key["usage"] == pytest.approx(after.used)


async def test_generation_stats(client: OpenAIClient) -> None:
    result = await client.chat(ask("demo/atlas", PLAIN_QUESTION))
    stats = await client.generation(result.generation_id)
    assert stats["model"] == "demo/atlas"
    assert stats["tokens_completion"] == result.usage.completion_tokens
    assert stats["total_cost"] == pytest.approx(result.usage.cost)


# ------------------------------------------------------------------------------------------
# Pieces


def test_speed_from_environment() -> None:
    assert speed_from_env({"CLTUI_DEMO_SPEED": "50"}) == 50.0
    assert speed_from_env({"CLTUI_DEMO_SPEED": "fast"}) == 1.0
    assert speed_from_env({"CLTUI_DEMO_SPEED": "-3"}) == 1.0
    assert speed_from_env({}) == 1.0
    assert DemoTransport().speed > 0


def test_tokens_rejoin_to_the_text() -> None:
    import random

    text = "## Title\n\n- one two  three\n\n```python\nx = 1\n```\n\nEnd.  "
    tokens = split_tokens(text, random.Random(3))
    assert "".join(tokens) == text
    assert all(1 <= len(t.split()) <= 3 for t in tokens)


def test_topic_words_skip_filler() -> None:
    assert topic_words("What is the best way to learn Rust programming?") == [
        "learn", "rust", "programming"
    ]  # fmt: skip


def test_prompt_finds_blocks_and_consensus() -> None:
    prompt = Prompt.of(
        [
            {"role": "user", "content": "Why?"},
            {"role": "user", "content": '<response model="demo/a">\nx\n</response>'},
            {"role": "system", "content": "Consensus: earlier"},
        ]
    )
    assert prompt.question == "Why?"
    assert prompt.blocks == (("demo/a", "x"),)
    assert prompt.consensus == "earlier"


def test_prompt_reads_the_question_from_the_block_message() -> None:
    block = responses_block("How do tides work?", [("m", "x")])
    prompt = Prompt.of(
        [
            {"role": "system", "content": "Merge the answers."},
            {"role": "user", "content": "An earlier question"},
            {"role": "assistant", "content": "An earlier answer"},
            {"role": "user", "content": block},
            {"role": "user", "content": "Write the single best answer."},
        ]
    )
    assert prompt.question == "How do tides work?"
    improvement = Prompt.of(
        [
            {"role": "user", "content": "An earlier question"},
            {"role": "assistant", "content": "An earlier answer"},
            {"role": "user", "content": "How do tides work?"},
            {"role": "system", "content": "Consensus: - the moon pulls the water"},
            {"role": "user", "content": "Please improve your answer."},
        ]
    )
    assert improvement.question == "How do tides work?"
    assert improvement.consensus == "- the moon pulls the water"


# ------------------------------------------------------------------------------------------
# Reading questions and answering in kind

TOPIC_PHRASES = {
    "How should a small team choose a database?": ("howto", "choosing a database for a small team"),
    "What is the best way to learn Rust?": ("howto", "learning Rust"),
    "How do I make my code faster?": ("howto", "making your code faster"),
    "How does TLS work?": ("explain", "how TLS works"),
    "What is a monad?": ("define", "a monad"),
    "Explain the CAP theorem in simple terms": ("define", "the CAP theorem"),
    "Why is the sky blue?": ("why", "why the sky is blue"),
    "Why does my code crash on startup?": ("why", "why your code crashes on startup"),
    "Why did the Roman Empire fall?": ("why", "why the Roman Empire fell"),
    "Should I learn Rust in 2025?": ("yesno", "whether you should learn Rust in 2025"),
    "Can dogs eat grapes?": ("yesno", "whether dogs can eat grapes"),
    "Postgres vs MySQL": ("compare", "choosing between Postgres and MySQL"),
    "What is the difference between TCP and UDP?": ("compare", "choosing between TCP and UDP"),
    "What should I cook tonight?": ("howto", "deciding what to cook tonight"),
    "How long does it take to learn Rust?": ("explain", "how long it takes to learn Rust"),
    "hi": ("greeting", "getting started"),
}
LONG_PROMPT = (
    "I run a small bakery and business has been slow this winter. We have loyal customers "
    "but foot traffic has dropped.\n\nHow can I get more customers without spending a lot on ads?"
)


@pytest.mark.parametrize(("question", "expected"), TOPIC_PHRASES.items())
def test_questions_become_grammatical_topic_phrases(question: str, expected: tuple) -> None:
    read = analyse(question)
    assert (read.kind, read.topic) == expected


def test_a_long_prompt_is_read_from_its_question() -> None:
    read = analyse(LONG_PROMPT)
    assert read.kind == "howto"
    assert read.task == "get more customers without spending a lot on ads"


@pytest.mark.parametrize("question", [*TOPIC_PHRASES, LONG_PROMPT, "Wie spät ist es, bitte?"])
@pytest.mark.parametrize("style", ["terse", "structured", "discursive", "reasoning", "brief"])
def test_answers_never_slot_a_lone_word_into_a_phrase(question: str, style: str) -> None:
    answer = compose(style, [{"role": "user", "content": question}], seed=3)  # type: ignore[arg-type]
    text = answer.content + answer.reasoning
    words = topic_words(question, limit=8)
    for word in words:
        assert f"what {word} means" not in text.lower()
        assert f"experiment with {word} " not in text.lower()
        for other in words:
            assert f" {word} depends on {other}" not in text.lower()
    assert "{" not in text.split("```")[0]  # every template slot was filled


def test_question_kinds_get_answers_of_their_kind() -> None:
    def answer(style: str, question: str) -> str:
        return compose(style, [{"role": "user", "content": question}], seed=5).content  # type: ignore[arg-type]

    steps = answer("structured", "How should a small team choose a database?")
    assert "### Steps" in steps and "\n1. **" in steps and "| Step | When |" in steps
    table = answer("structured", "Postgres vs MySQL")
    assert "| | Postgres | MySQL |" in table and "|---|---|---|" in table
    for style in ("terse", "structured", "reasoning"):
        assert "```python" in answer(style, "How do I write a Python function that parses CSV?")
    assert "```rust" in answer("structured", "Write a Rust function that reverses a string")
    assert "```sql" in answer("structured", "Write an SQL query that finds duplicate emails")
    assert "### Reasons" in answer("structured", "Why is the sky blue?")
    assert "**In short:** It depends, but" in answer("terse", "Can dogs eat grapes?")
    definition = answer("structured", "What is a monad?")
    assert "### Key points" in definition and "example" in definition.lower()
    assert "```" not in answer("discursive", "How do I write a Python function that parses CSV?")


def test_voices_are_distinct() -> None:
    question = [{"role": "user", "content": "What is the best way to learn Rust?"}]
    texts = {s: compose(s, question, seed=1) for s in ("terse", "structured", "discursive")}
    terse, structured, discursive = (texts[s].content for s in texts)
    assert terse.count("\n- ") >= 3 and "Bottom line:" in terse and "\n1. " not in terse
    assert structured.startswith("## ") and "\n1. " in structured and "### Conclusion" in structured
    assert "\n- " not in discursive and "\n1. " not in discursive and "> " in discursive
    reasoning = compose("reasoning", question, seed=1)
    assert reasoning.reasoning.startswith("The question is about learning Rust.")
    assert "**Answer:**" in reasoning.content


def test_answers_overlap_in_part() -> None:
    question = "How should a small team choose a database?"
    known = bank(analyse(question))
    made = {
        style: set(
            points_in(
                compose(style, [{"role": "user", "content": question}], seed=2).content, known
            )
        )  # type: ignore[arg-type]
        for style in ("terse", "structured", "discursive")
    }
    shared = made["terse"] & made["structured"] & made["discursive"]
    assert len(shared) >= 2  # common ground
    assert len(made["terse"] | made["structured"] | made["discursive"]) > len(shared) + 2


def test_composition_is_deterministic() -> None:
    messages = [{"role": "user", "content": "Why do cats purr?"}]
    assert compose("discursive", messages, seed=9) == compose("discursive", messages, seed=9)
    assert analyse("Why do cats purr?") == analyse("Why do cats purr?")
