"""The OpenAI-compatible client against a real HTTP server on 127.0.0.1.

Retry delays go through a fake sleep that records them and returns at once, so no test waits for
a backoff; only the idle-timeout tests wait (a fraction of a second) for a real stall.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest

from cltui.core.config import ProviderSpec
from cltui.core.messages import ChatMessage
from cltui.core.paths import user_settings_file
from cltui.core.providers.base import ChatRequest, RetryNotice, StreamChunk
from cltui.core.providers.client import OpenAIClient
from cltui.core.providers.errors import (
    AuthenticationError,
    BadRequestError,
    ConnectionFailedError,
    ContextTooLongError,
    InsufficientCreditsError,
    MalformedResponseError,
    MissingKeyError,
    ModelNotFoundError,
    ModerationError,
    ProviderDownError,
    ProviderError,
    RateLimitedError,
    RequestTimeoutError,
    StreamBrokenError,
)
from cltui.core.providers.limits import ProviderLimits
from tests.support.http_server import (
    DONE,
    DROP,
    KEEPALIVE,
    STALL,
    FakeOpenAI,
    Pause,
    Reply,
    ScriptedServer,
    chat_chunk,
    chat_completion,
    chat_stream,
    error_body,
    usage_chunk,
)

KEY = "sk-or-v1-" + "5eC12e7" * 8
MODEL = "test/model"
CHAT = "/chat/completions"


class FakeSleep:
    """Records requested delays, advances an optional fake clock, returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer() as running:
        yield running


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
async def make_client(
    server: ScriptedServer, sleep: FakeSleep
) -> AsyncIterator[Callable[..., OpenAIClient]]:
    clients: list[OpenAIClient] = []

    def factory(*, key: str | None = KEY, **changes: object) -> OpenAIClient:
        spec = ProviderSpec(
            "openrouter",
            server.base_url,
            "OPENROUTER_API_KEY",
            kind="openrouter",
            connect_timeout=2.0,
            idle_timeout=2.0,
            max_retries=2,
        )
        created = OpenAIClient(
            replace(spec, **changes),  # type: ignore[arg-type]
            api_key=key,
            sleep=sleep,
            clock=sleep.clock,
            rng=random.Random(7),
        )
        clients.append(created)
        return created

    yield factory
    for created in clients:
        await created.aclose()


@pytest.fixture
def client(make_client: Callable[..., OpenAIClient]) -> OpenAIClient:
    return make_client()


def request(model: str = MODEL, text: str = "What is consensus?") -> ChatRequest:
    return ChatRequest(model, [ChatMessage("user", text)], max_tokens=50)


async def collect(
    client: OpenAIClient, req: ChatRequest | None = None, notices: list[RetryNotice] | None = None
) -> list[StreamChunk]:
    on_retry = notices.append if notices is not None else None
    return [chunk async for chunk in client.stream_chat(req or request(), on_retry=on_retry)]


def text_of(chunks: list[StreamChunk]) -> str:
    return "".join(chunk.content for chunk in chunks)


# ------------------------------------------------------------------------------------------
# Streaming


async def test_streams_text_across_keepalive_comments(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    server.enqueue(
        CHAT,
        Reply.sse(
            KEEPALIVE,
            KEEPALIVE,
            chat_chunk("Hel"),
            KEEPALIVE,
            chat_chunk("lo"),
            b": OPENROUTER PROCESSING\r\n\r\n",
            chat_chunk(" world", finish_reason="stop"),
            usage_chunk(),
            DONE,
        ),
    )
    chunks = await collect(client)
    assert text_of(chunks) == "Hello world"
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["stop"]
    assert all(c.model == MODEL and c.generation_id == "gen-test-1" for c in chunks)
    sent = server.requests[0].json()
    assert sent["stream"] is True and sent["model"] == MODEL and sent["max_tokens"] == 50


async def test_usage_chunk_with_empty_choices_gives_usage_and_cost(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    usage = usage_chunk(12, 7, 0.00042, reasoning_tokens=3, cached_tokens=4)
    server.enqueue(CHAT, Reply(chunks=chat_stream(["ok"], usage=usage)))
    chunks = await collect(client)
    usages = [c.usage for c in chunks if c.usage]
    assert len(usages) == 1
    assert usages[0].prompt_tokens == 12 and usages[0].completion_tokens == 7
    assert usages[0].cost == pytest.approx(0.00042)
    assert usages[0].reasoning_tokens == 3 and usages[0].cached_tokens == 4


async def test_usage_with_infinite_nan_or_negative_numbers_is_made_sane(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    # Python's JSON reader accepts NaN, Infinity and 1e999; none may reach a total or a file.
    usage = (
        b'data: {"choices":[],"usage":{"prompt_tokens":1e999,"completion_tokens":-3,'
        b'"cost":NaN,"completion_tokens_details":{"reasoning_tokens":Infinity}}}\n\n'
    )
    server.enqueue(CHAT, Reply.sse(chat_chunk("ok"), usage, DONE))
    chunks = await collect(client)
    used, estimate = [c.usage for c in chunks if c.usage]
    assert (used.prompt_tokens, used.completion_tokens, used.reasoning_tokens) == (0, 0, 0)
    assert used.cost is None
    # Nothing sane was counted for a reply with text: it is estimated, and marked so.
    assert estimate.estimated and estimate.completion_tokens == 1 and estimate.cost is None


async def test_reasoning_deltas_are_separate_from_content(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    details = chat_chunk("")
    details["choices"][0]["delta"]["reasoning_details"] = [
        {"type": "reasoning.text", "text": " then"},
        {"type": "reasoning.summary", "summary": " decide."},
    ]
    both = chat_chunk("", reasoning="!")
    both["choices"][0]["delta"]["reasoning_details"] = [{"type": "reasoning.text", "text": "!"}]
    server.enqueue(
        CHAT,
        Reply.sse(
            chat_chunk("", reasoning="First think"), details, both, chat_chunk("Answer"), DONE
        ),
    )
    chunks = await collect(client)
    assert "".join(c.reasoning for c in chunks) == "First think then decide.!"
    assert text_of(chunks) == "Answer"


@pytest.mark.parametrize("code", [502, "server_error"])
async def test_mid_stream_error_keeps_partial_text(
    server: ScriptedServer, client: OpenAIClient, code: int | str
) -> None:
    failing = chat_chunk("", finish_reason="error") | error_body(code, "Provider disconnected")
    server.enqueue(CHAT, Reply.sse(chat_chunk("Partial "), chat_chunk("answer"), failing, DONE))
    with pytest.raises(StreamBrokenError) as caught:
        await collect(client)
    assert caught.value.partial_text == "Partial answer"
    assert "Provider disconnected" in str(caught.value) and MODEL in str(caught.value)
    assert len(server.requests) == 1  # text had arrived: never retried


async def test_error_as_first_event_is_typed_and_retried(
    server: ScriptedServer, client: OpenAIClient, sleep: FakeSleep
) -> None:
    server.enqueue(CHAT, Reply.sse(error_body(429, "Rate limit exceeded")))
    server.enqueue(CHAT, Reply(chunks=chat_stream(["fine"])))
    notices: list[RetryNotice] = []
    assert text_of(await collect(client, notices=notices)) == "fine"
    assert notices[0].reason == "rate limited (429)"
    assert len(sleep.delays) == 1


def choice_error(code: int | str, message: str, content: str = "") -> dict:
    """A chunk whose only choice finishes with `error` and carries it (no top-level error)."""
    failing = chat_chunk(content, finish_reason="error")
    failing["choices"][0]["error"] = {"code": code, "message": message}
    return failing


async def test_choice_error_with_a_string_code_before_text_is_typed_and_retried(
    server: ScriptedServer, client: OpenAIClient, sleep: FakeSleep
) -> None:
    server.enqueue(CHAT, Reply.sse(KEEPALIVE, choice_error("rate_limit_exceeded", "slow down")))
    server.enqueue(CHAT, Reply(chunks=chat_stream(["second try"])))
    notices: list[RetryNotice] = []
    assert text_of(await collect(client, notices=notices)) == "second try"
    assert notices[0].reason == "rate limited (429)" and len(sleep.delays) == 1


async def test_choice_error_after_text_keeps_it(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    failing = choice_error("server_error", "upstream \x1b[31mdied", content=" and")
    server.enqueue(CHAT, Reply.sse(chat_chunk("Half"), failing, DONE))
    with pytest.raises(StreamBrokenError) as caught:
        await collect(client)
    assert caught.value.partial_text == "Half and"
    assert "upstream" in str(caught.value) and "\x1b" not in str(caught.value)
    assert len(server.requests) == 1


async def test_error_as_first_event_not_retryable(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    server.enqueue(CHAT, Reply.sse(error_body(402, "Insufficient credits"), DONE))
    with pytest.raises(InsufficientCreditsError):
        await collect(client)
    assert len(server.requests) == 1


async def test_dropped_connection_mid_stream_keeps_partial(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    server.enqueue(CHAT, Reply.sse(chat_chunk("Half an "), chat_chunk("answer"), DROP))
    with pytest.raises(StreamBrokenError) as caught:
        await collect(client)
    assert caught.value.partial_text == "Half an answer"
    assert "connection dropped" in str(caught.value)
    assert len(server.requests) == 1


async def test_dropped_connection_before_text_is_retried(
    server: ScriptedServer, client: OpenAIClient, sleep: FakeSleep
) -> None:
    server.enqueue(CHAT, Reply.sse(KEEPALIVE, DROP))
    server.enqueue(CHAT, Reply(chunks=chat_stream(["recovered"])))
    assert text_of(await collect(client)) == "recovered"
    assert len(server.requests) == 2 and len(sleep.delays) == 1


async def test_dropped_connection_before_text_gives_up_after_retries(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    client = make_client(max_retries=1)
    server.enqueue(CHAT, Reply.sse(DROP), Reply.sse(DROP))
    with pytest.raises(ConnectionFailedError):
        await collect(client)
    assert len(server.requests) == 2


async def test_stall_after_text_breaks_stream_naming_the_timeout(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    client = make_client(idle_timeout=0.3)
    server.enqueue(CHAT, Reply.sse(chat_chunk("Some text"), STALL))
    with pytest.raises(StreamBrokenError) as caught:
        await collect(client)
    assert caught.value.partial_text == "Some text"
    assert "0.3 s" in str(caught.value)


async def test_stall_before_text_is_a_retryable_timeout(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient], sleep: FakeSleep
) -> None:
    client = make_client(idle_timeout=0.3, max_retries=1)
    server.enqueue(CHAT, Reply.sse(KEEPALIVE, STALL), Reply.sse(STALL))
    notices: list[RetryNotice] = []
    with pytest.raises(RequestTimeoutError) as caught:
        await collect(client, notices=notices)
    assert "0.3 s" in str(caught.value)
    assert len(server.requests) == 2
    assert [n.reason for n in notices] == ["timed out"]


async def test_keepalive_comments_reset_the_idle_timer(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    client = make_client(idle_timeout=0.5)
    gap = Pause(0.15)
    server.enqueue(
        CHAT,
        Reply.sse(gap, KEEPALIVE, gap, KEEPALIVE, gap, KEEPALIVE, gap, chat_chunk("alive"), DONE),
    )
    assert text_of(await collect(client)) == "alive"


async def test_malformed_chunk_before_text(server: ScriptedServer, client: OpenAIClient) -> None:
    server.enqueue(CHAT, Reply.sse(b"data: {not json\n\n", DONE))
    with pytest.raises(MalformedResponseError) as caught:
        await collect(client)
    assert "not valid JSON" in str(caught.value)
    assert len(server.requests) == 1


async def test_malformed_chunk_after_text_keeps_partial(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    server.enqueue(CHAT, Reply.sse(chat_chunk("good "), b'data: {"choices": [\n\n', DONE))
    with pytest.raises(StreamBrokenError) as caught:
        await collect(client)
    assert caught.value.partial_text == "good "


async def test_stream_without_done_is_accepted(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    server.enqueue(CHAT, Reply(chunks=chat_stream(["no ", "done"], done=False)))
    assert text_of(await collect(client)) == "no done"


async def test_stream_ending_without_finish_or_done_is_accepted(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    server.enqueue(
        CHAT, Reply.sse(chat_chunk("just "), b'data: {"choices":[{"delta":{"content":"this"}}]}')
    )
    assert text_of(await collect(client)) == "just this"


async def test_events_after_done_are_ignored(server: ScriptedServer, client: OpenAIClient) -> None:
    server.enqueue(CHAT, Reply.sse(chat_chunk("done"), DONE, b"data: garbage\n\n"))
    assert text_of(await collect(client)) == "done"


async def test_empty_stream_is_malformed(server: ScriptedServer, client: OpenAIClient) -> None:
    server.enqueue(CHAT, Reply.sse(KEEPALIVE))
    with pytest.raises(MalformedResponseError):
        await collect(client)


async def test_html_page_instead_of_stream(server: ScriptedServer, client: OpenAIClient) -> None:
    server.enqueue(CHAT, Reply(body="<html><body>Welcome</body></html>", content_type="text/html"))
    with pytest.raises(MalformedResponseError) as caught:
        await collect(client)
    assert "base_url" in str(caught.value)


async def test_json_body_on_stream_request_is_used(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    server.enqueue(CHAT, Reply.json(chat_completion("not streamed after all")))
    chunks = await collect(client)
    assert text_of(chunks) == "not streamed after all"
    assert chunks[0].usage is not None and chunks[0].usage.cost == pytest.approx(0.0001)


async def test_http_200_error_body_on_stream_request(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    server.enqueue(CHAT, Reply.json(error_body(401, "User not found.")))
    with pytest.raises(AuthenticationError):
        await collect(client)


# ------------------------------------------------------------------------------------------
# HTTP errors and retries


async def test_401_says_check_the_key(server: ScriptedServer, client: OpenAIClient) -> None:
    server.enqueue(CHAT, Reply.error(401, "User not found."))
    with pytest.raises(AuthenticationError) as caught:
        await collect(client)
    message = str(caught.value)
    assert "401: User not found." in message and "OPENROUTER_API_KEY" in message
    assert MODEL in message and caught.value.status == 401
    assert len(server.requests) == 1


async def test_402_says_add_credits(server: ScriptedServer, client: OpenAIClient) -> None:
    text = "This request requires more credits, or fewer max_tokens."
    server.enqueue(CHAT, Reply.error(402, text, metadata={"provider_name": None}))
    with pytest.raises(InsufficientCreditsError) as caught:
        await collect(client)
    assert text in str(caught.value) and "add credits" in str(caught.value)
    assert len(server.requests) == 1


async def test_402_that_names_an_affordable_amount_suggests_that_max_tokens(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    text = (
        "This request requires more credits, or fewer max_tokens. You requested up to 64000 "
        "tokens, but can only afford 2666. To increase, visit https://openrouter.ai/settings"
    )
    server.enqueue(CHAT, Reply.error(402, text, metadata={"provider_name": None}))
    with pytest.raises(InsufficientCreditsError) as caught:
        await collect(client)
    assert "set max_tokens to at most 2666" in str(caught.value)
    assert len(server.requests) == 1


async def test_403_moderation_lists_reasons(server: ScriptedServer, client: OpenAIClient) -> None:
    server.enqueue(
        CHAT, Reply.error(403, "Input was flagged", metadata={"reasons": ["violence", "spam"]})
    )
    with pytest.raises(ModerationError) as caught:
        await collect(client)
    assert "violence, spam" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (400, "x/y is not a valid model ID", ModelNotFoundError),
        (404, "No endpoints found for x/y", ModelNotFoundError),
        (400, "This endpoint's maximum context length is 8192 tokens.", ContextTooLongError),
        (400, "temperature must be <= 2", BadRequestError),
        (413, "Payload too large", BadRequestError),
        (422, "Unprocessable", BadRequestError),
    ],
)
async def test_client_errors_are_typed_and_not_retried(
    server: ScriptedServer,
    client: OpenAIClient,
    sleep: FakeSleep,
    status: int,
    message: str,
    expected: type[ProviderError],
) -> None:
    server.enqueue(CHAT, Reply.error(status, message))
    with pytest.raises(expected) as caught:
        await collect(client)
    assert message in str(caught.value)
    assert len(server.requests) == 1 and sleep.delays == []


async def test_non_json_error_body_is_cleaned(server: ScriptedServer, client: OpenAIClient) -> None:
    page = "<html><h1>Bad\x1b[31m gateway</h1>\r\n" + "x" * 2000 + "</html>"
    server.enqueue(CHAT, *[Reply(status=502, body=page, content_type="text/html")] * 3)
    with pytest.raises(ProviderDownError) as caught:
        await collect(client)
    message = str(caught.value)
    assert "Bad" in message and "\x1b" not in message and "<h1>" not in message
    assert len(message) < 500


async def test_429_with_retry_after_then_success(
    server: ScriptedServer, client: OpenAIClient, sleep: FakeSleep
) -> None:
    server.enqueue(CHAT, Reply.error(429, "Rate limit exceeded", headers={"Retry-After": "2"}))
    server.enqueue(CHAT, Reply(chunks=chat_stream(["after wait"])))
    notices: list[RetryNotice] = []
    assert text_of(await collect(client, notices=notices)) == "after wait"
    assert sleep.delays == [2.0]
    assert notices == [
        RetryNotice(attempt=2, max_attempts=3, delay=2.0, reason="rate limited (429)")
    ]


async def test_429_without_retry_after_uses_jittered_backoff(
    server: ScriptedServer, client: OpenAIClient, sleep: FakeSleep
) -> None:
    server.enqueue(CHAT, Reply.error(429, "slow down"), Reply.error(429, "slow down"))
    server.enqueue(CHAT, Reply(chunks=chat_stream(["ok"])))
    assert text_of(await collect(client)) == "ok"
    assert len(sleep.delays) == 2
    assert 0 <= sleep.delays[0] <= 0.5 and 0 <= sleep.delays[1] <= 1.0


async def test_429_reset_from_metadata_headers(
    server: ScriptedServer, client: OpenAIClient, sleep: FakeSleep
) -> None:
    reset_ms = str(int((time.time() + 3) * 1000))
    metadata = {"headers": {"X-RateLimit-Reset": reset_ms}}
    server.enqueue(CHAT, Reply.error(429, "Rate limit exceeded", metadata=metadata))
    server.enqueue(CHAT, Reply(chunks=chat_stream(["ok"])))
    assert text_of(await collect(client)) == "ok"
    assert 1.0 < sleep.delays[0] <= 3.5


async def test_daily_free_cap_is_not_retried_and_says_when_it_resets(
    server: ScriptedServer, client: OpenAIClient, sleep: FakeSleep
) -> None:
    reset_ms = str(int((time.time() + 5 * 3600) * 1000))
    server.enqueue(
        CHAT,
        Reply.error(
            429,
            "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free "
            "model requests per day",
            metadata={"headers": {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset_ms}},
        ),
    )
    with pytest.raises(RateLimitedError) as caught:
        await collect(client, request("x/y:free"))
    assert "resets in 5 h" in str(caught.value) or "resets in 4 h 59 min" in str(caught.value)
    assert len(server.requests) == 1 and sleep.delays == []


@pytest.mark.parametrize("status", [500, 502, 503, 529])
async def test_server_errors_retried_then_success(
    server: ScriptedServer, client: OpenAIClient, sleep: FakeSleep, status: int
) -> None:
    server.enqueue(CHAT, Reply.error(status, "Provider returned error"), Reply.error(502, "down"))
    server.enqueue(CHAT, Reply(chunks=chat_stream(["third time"])))
    notices: list[RetryNotice] = []
    assert text_of(await collect(client, notices=notices)) == "third time"
    assert [n.attempt for n in notices] == [2, 3]
    assert len(server.requests) == 3 and len(sleep.delays) == 2


async def test_503_retry_after_is_honoured(
    server: ScriptedServer, client: OpenAIClient, sleep: FakeSleep
) -> None:
    server.enqueue(CHAT, Reply.error(503, "busy", headers={"Retry-After": "1.5"}))
    server.enqueue(CHAT, Reply(chunks=chat_stream(["ok"])))
    assert text_of(await collect(client)) == "ok"
    assert sleep.delays == [1.5]


async def test_retry_after_beyond_a_minute_is_not_waited_for(
    server: ScriptedServer, client: OpenAIClient, sleep: FakeSleep
) -> None:
    server.enqueue(CHAT, Reply.error(429, "later", headers={"Retry-After": "3600"}))
    with pytest.raises(RateLimitedError) as caught:
        await collect(client)
    assert caught.value.retry_after == 3600 and "60 min" in str(caught.value)
    assert sleep.delays == [] and len(server.requests) == 1


async def test_redirect_is_reported_not_followed(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    server.enqueue(CHAT, Reply(status=301, headers={"Location": "https://elsewhere.example/v1"}))
    with pytest.raises(BadRequestError) as caught:
        await collect(client)
    assert "https://elsewhere.example/v1" in str(caught.value)
    assert len(server.requests) == 1


async def test_retries_are_bounded(
    server: ScriptedServer, client: OpenAIClient, sleep: FakeSleep
) -> None:
    server.enqueue(CHAT, *[Reply.error(503, "no provider")] * 5)
    with pytest.raises(ProviderDownError) as caught:
        await collect(client)
    assert "503: no provider" in str(caught.value)
    assert len(server.requests) == 3  # max_retries=2 extra attempts


async def test_408_is_retried(server: ScriptedServer, client: OpenAIClient) -> None:
    server.enqueue(CHAT, Reply.error(408, "timeout"), Reply(chunks=chat_stream(["ok"])))
    assert text_of(await collect(client)) == "ok"


async def test_unreachable_endpoint_is_a_connection_error(
    make_client: Callable[..., OpenAIClient], sleep: FakeSleep
) -> None:
    async with ScriptedServer() as gone:
        url = gone.base_url
    client = make_client(base_url=url)
    with pytest.raises(ConnectionFailedError) as caught:
        await collect(client)
    assert "could not connect" in str(caught.value)
    assert len(sleep.delays) == 2


# ------------------------------------------------------------------------------------------
# Non-streaming endpoints


async def test_non_streaming_chat(server: ScriptedServer, client: OpenAIClient) -> None:
    body = chat_completion("whole answer")
    body["choices"][0]["message"]["reasoning"] = "thought"
    server.enqueue(CHAT, Reply.json(body))
    result = await client.chat(request())
    assert result.content == "whole answer" and result.reasoning == "thought"
    assert result.finish_reason == "stop" and result.model == MODEL
    assert result.usage is not None and result.usage.total_tokens == 15
    assert server.requests[0].json()["stream"] is False


async def test_non_streaming_http_200_error_body(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    server.enqueue(CHAT, Reply.json({**error_body(402, "Insufficient credits"), "user_id": "u"}))
    with pytest.raises(InsufficientCreditsError):
        await client.chat(request())


async def test_non_streaming_partial_content_with_error(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    body = chat_completion("cut sho")
    body["choices"][0]["finish_reason"] = "error"
    body["choices"][0]["error"] = {"code": 502, "message": "upstream died"}
    server.enqueue(CHAT, Reply.json(body))
    with pytest.raises(StreamBrokenError) as caught:
        await client.chat(request())
    assert caught.value.partial_text == "cut sho"


async def test_non_streaming_retries(
    server: ScriptedServer, client: OpenAIClient, sleep: FakeSleep
) -> None:
    server.enqueue(CHAT, Reply.error(500, "oops"), Reply.json(chat_completion("fine")))
    assert (await client.chat(request())).content == "fine"
    assert len(sleep.delays) == 1


async def test_legacy_completions_streaming_and_not(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    server.route("/completions", FakeOpenAI(answers={"m/legacy": "text completion here"}))
    streamed = [c async for c in client.complete("m/legacy", "Once upon", stream=True)]
    whole = [c async for c in client.complete("m/legacy", "Once upon", max_tokens=9)]
    assert text_of(streamed) == "text completion here"
    assert [c.content for c in whole] == ["text completion here"]
    assert any(c.usage for c in streamed) and whole[0].usage is not None
    sent = server.requests[-1].json()
    assert sent == {"model": "m/legacy", "prompt": "Once upon", "stream": False, "max_tokens": 9}


async def test_list_models_parses_string_prices_and_free(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    models = [
        {"id": "a/paid", "name": "Paid", "context_length": 128000,
         "pricing": {"prompt": "0.0000025", "completion": "0.00001", "request": "0"},
         "top_provider": {"max_completion_tokens": 16384}},
        {"id": "b/free:free", "name": "Free", "context_length": 8192,
         "pricing": {"prompt": "0", "completion": "0"}},
        {"id": "c/zero", "pricing": {"prompt": "0", "completion": "0", "image": "0"}},
        {"id": "d/local", "object": "model", "owned_by": "library"},
        {"name": "no id"},
    ]  # fmt: skip
    server.enqueue("/models", Reply.json({"data": models}))
    client = make_client(key=None)  # /models is public
    found = {m.id: m for m in await client.list_models()}
    assert list(found) == ["a/paid", "b/free:free", "c/zero", "d/local"]
    paid = found["a/paid"]
    assert paid.prompt_price == pytest.approx(2.5e-6) and paid.completion_price == 1e-5
    assert paid.context_length == 128000 and paid.max_completion_tokens == 16384
    assert not paid.is_free and found["b/free:free"].is_free and found["c/zero"].is_free
    assert found["d/local"].prompt_price is None and not found["d/local"].is_free
    assert found["c/zero"].name == "c/zero"
    assert "authorization" not in server.requests[0].headers


async def test_list_models_survives_out_of_range_numbers(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    body = (
        b'{"data": [{"id": "a/huge", "context_length": 1e999, '
        b'"pricing": {"prompt": "NaN", "completion": "Infinity"}}]}'
    )
    server.enqueue("/models", Reply(body=body, content_type="application/json"))
    (model,) = await make_client(key=None).list_models()
    assert model.id == "a/huge" and model.context_length is None
    assert model.prompt_price is None and model.completion_price is None


async def test_credits_from_credits_endpoint(server: ScriptedServer, client: OpenAIClient) -> None:
    server.enqueue("/credits", Reply.json({"data": {"total_credits": 100.5, "total_usage": 25.75}}))
    info = await client.credits()
    assert (info.remaining, info.used, info.limit, info.source) == (74.75, 25.75, 100.5, "credits")


KEY_DATA = {"data": {"label": "k", "limit": 20.0, "limit_remaining": 15.5, "usage": 4.5,
                     "is_free_tier": False}}  # fmt: skip


@pytest.mark.parametrize(
    "credits_reply",
    [
        Reply.error(403, "Only management keys can perform this operation"),
        Reply.error(404, "Not found"),
        Reply.json({"data": {"total_credits": 0, "total_usage": 0}}),
    ],
    ids=["403", "404", "zeros"],
)
async def test_credits_fall_back_to_key(
    server: ScriptedServer, client: OpenAIClient, credits_reply: Reply
) -> None:
    server.enqueue("/credits", credits_reply)
    server.enqueue("/key", Reply.json(KEY_DATA))
    info = await client.credits()
    assert (info.remaining, info.used, info.limit, info.source) == (15.5, 4.5, 20.0, "key")
    assert info.is_free_tier is False


async def test_key_info_and_generation(server: ScriptedServer, client: OpenAIClient) -> None:
    server.enqueue("/key", Reply.error(404, "gone"))
    server.enqueue("/auth/key", Reply.json(KEY_DATA))
    server.enqueue("/generation", Reply.json({"data": {"id": "gen-1", "total_cost": 0.002}}))
    assert (await client.key_info())["limit_remaining"] == 15.5
    assert (await client.generation("gen-1"))["total_cost"] == 0.002
    assert server.requests[-1].query == {"id": ["gen-1"]}


# ------------------------------------------------------------------------------------------
# Headers, keys, connections, limits


async def test_headers_sent(server: ScriptedServer, client: OpenAIClient) -> None:
    server.enqueue(CHAT, Reply(chunks=chat_stream(["hi"])))
    await collect(client)
    headers = server.requests[0].headers
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["http-referer"] == "https://github.com/cltui/cltui"
    assert headers["x-openrouter-title"] == "cltui"
    assert headers["user-agent"].startswith("cltui/")


async def test_keyless_provider_sends_no_authorization(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    client = make_client(key=None, api_key_env=None)
    server.enqueue(CHAT, Reply(chunks=chat_stream(["local"])))
    assert text_of(await collect(client)) == "local"
    assert "authorization" not in server.requests[0].headers


async def test_missing_key_is_reported_before_any_request(
    server: ScriptedServer,
    make_client: Callable[..., OpenAIClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENROUTER_BASE_URL", server.base_url)  # the server stands in for it
    client = make_client(key=None)
    with pytest.raises(MissingKeyError) as caught:
        await collect(client)
    message = str(caught.value)
    assert "OPENROUTER_API_KEY is not set" in message and "--demo" in message
    assert str(user_settings_file()) in message and "[providers.openrouter]" in message
    with pytest.raises(MissingKeyError):
        await client.credits()
    assert server.requests == []


async def test_key_travels_only_in_the_authorization_header(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    server.route(CHAT, FakeOpenAI())
    server.route("/credits", FakeOpenAI())
    await collect(client)
    await client.chat(request())
    await client.credits()
    assert len(server.requests) == 3
    for seen in server.requests:
        assert seen.headers["authorization"] == f"Bearer {KEY}"
        others = {k: v for k, v in seen.headers.items() if k != "authorization"}
        assert KEY not in json.dumps(others)
        assert KEY not in seen.path and KEY.encode() not in seen.body


def _echo(status: int) -> Reply:
    return Reply.error(status, f"Invalid key {KEY} (Authorization: Bearer {KEY})")


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 429, 500])
async def test_key_echoed_in_error_bodies_is_scrubbed(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient], status: int
) -> None:
    client = make_client(max_retries=0)
    server.enqueue(CHAT, _echo(status))
    with pytest.raises(ProviderError) as caught:
        await collect(client)
    error = caught.value
    for text in (str(error), repr(error), error.message, repr(error.args)):
        assert KEY not in text
        assert "sk-or-v1-" not in text
    assert "***" in str(error)


async def test_key_echoed_mid_stream_and_in_json_body_is_scrubbed(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    client = make_client(max_retries=0)
    server.enqueue(CHAT, Reply.sse(chat_chunk("x"), error_body(500, f"bad {KEY}")))
    server.enqueue(CHAT, Reply.json(error_body(401, f"bad {KEY}")))
    server.enqueue(CHAT, Reply.sse(f"data: {{broken {KEY}\n\n"))
    for _ in range(3):
        with pytest.raises(ProviderError) as caught:
            await collect(client)
        assert KEY not in str(caught.value) and KEY not in repr(caught.value)


def test_the_key_stays_out_of_every_repr_a_crash_report_prints(client: OpenAIClient) -> None:
    # Textual's crash report shows each frame's locals; the client's error wording is one.
    shown = [repr(client), repr(client._wording), repr(client.http), repr(client.provider)]
    assert not [text for text in shown if KEY in text]


async def test_one_connection_pool_reused_across_calls(
    server: ScriptedServer, client: OpenAIClient
) -> None:
    server.route(CHAT, FakeOpenAI())
    pool = client.http
    for _ in range(3):
        await collect(client)
    await client.chat(request())
    assert client.http is pool
    assert len({seen.client_port for seen in server.requests}) == 1


async def test_concurrency_cap_counts_at_the_server(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    client = make_client(max_concurrency=2)
    server.route(CHAT, FakeOpenAI(chunk_delay=0.01, words=6))
    results = await asyncio.gather(*(collect(client, request(f"m/{i}")) for i in range(6)))
    assert all(text_of(chunks).startswith(f"m/{i} answers") for i, chunks in enumerate(results))
    assert server.max_in_flight == 2
    assert len(server.requests) == 6


async def test_free_models_limited_to_20_starts_a_minute(
    server: ScriptedServer, client: OpenAIClient, sleep: FakeSleep
) -> None:
    server.route(CHAT, FakeOpenAI(words=2))
    for _ in range(22):
        await client.chat(request("x/y:free"))
    assert len(server.requests) == 22
    # All 20 started at the same (fake) instant: the 21st waits a full minute, after which
    # the whole first batch has left the window and the 22nd starts at once.
    assert sleep.delays == [pytest.approx(60.0)]
    for _ in range(25):
        await client.chat(request("x/paid"))
    assert len(sleep.delays) == 1  # paid models are not limited


async def test_free_window_slides() -> None:
    now = [0.0]
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limits = ProviderLimits(4, free_limit=3, free_window=60.0, clock=lambda: now[0],
                            sleep=fake_sleep)  # fmt: skip
    for at in (0.0, 10.0, 20.0):
        now[0] = at
        async with limits.slot("m:free"):
            pass
    now[0] = 30.0
    async with limits.slot("m:free"):
        pass
    assert waits == [pytest.approx(30.0)]  # until the start at 0 leaves the window
    assert now[0] == pytest.approx(60.0)
    now[0] = 80.5  # the starts at 10 and 20 have left the window by now
    async with limits.slot("m:free"), limits.slot("m:free"):
        pass
    assert len(waits) == 1

