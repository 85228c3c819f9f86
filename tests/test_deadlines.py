"""Call deadlines that keep-alive comments do not reset, bounded retry budgets, and waits that
say why: against a real HTTP server on 127.0.0.1.

The deadlines here are fractions of a second, so the stalls are real but short.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from cltui.core.config import ProviderSpec, parse_config
from cltui.core.events import ReplyStarted, ReplyWaiting, RoundStarted
from cltui.core.messages import ChatMessage
from cltui.core.providers.base import ChatRequest, RetryNotice, WaitNotice
from cltui.core.providers.client import OpenAIClient
from cltui.core.providers.errors import DeadlineExceededError, RateLimitedError
from cltui.core.providers.limits import ProviderLimits
from cltui.progress import ProgressPrinter
from cltui.ui.pane_state import PaneTitle
from tests.support.http_server import (
    DONE,
    KEEPALIVE,
    BackgroundServer,
    FakeOpenAI,
    Pause,
    RecordedRequest,
    Reply,
    ScriptedServer,
    chat_chunk,
)

CHAT = "/chat/completions"
MODEL = "test/model"


class FakeSleep:
    """Returns at once and remembers how long it was asked to sleep."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    @property
    def slept(self) -> float:
        return sum(self.delays)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer() as running:
        yield running


@pytest.fixture
async def make_client(server: ScriptedServer) -> AsyncIterator[Callable[..., OpenAIClient]]:
    clients: list[OpenAIClient] = []

    def factory(sleep: FakeSleep | None = None, **changes: object) -> OpenAIClient:
        spec = ProviderSpec("local", server.base_url, None, connect_timeout=2.0, idle_timeout=2.0)
        fake = sleep or FakeSleep()
        created = OpenAIClient(
            replace(spec, **changes),  # type: ignore[arg-type]
            api_key=None,
            sleep=fake,
            rng=random.Random(3),
            # Fake sleeps take no real time: count them on the deadline clock as if they had.
            deadline_clock=lambda: time.monotonic() + fake.slept,
        )
        clients.append(created)
        return created

    yield factory
    for created in clients:
        await created.aclose()


def request(model: str = MODEL) -> ChatRequest:
    return ChatRequest(model, [ChatMessage("user", "Why?")], max_tokens=20)


async def collect(client: OpenAIClient, notices: list[object] | None = None) -> str:
    on_retry = notices.append if notices is not None else None
    text = ""
    async for chunk in client.stream_chat(request(), on_retry=on_retry):
        text += chunk.content
    return text


async def test_keepalives_without_tokens_fail_after_first_token_timeout(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    client = make_client(first_token_timeout=0.5, idle_timeout=5.0, max_retries=3)
    beat = [KEEPALIVE, Pause(0.1)] * 200  # 20 s of "processing" if nobody stops it
    server.enqueue(CHAT, Reply.sse(*beat))
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError) as caught:
        await collect(client)
    assert time.monotonic() - started < 3.0
    assert "first_token_timeout" in str(caught.value) and "0.5 s" in str(caught.value)
    assert "[providers.local]" in str(caught.value)
    assert len(server.requests) == 1  # the deadline is the call's: no retry could meet it


async def test_tokens_trickling_for_ever_end_at_total_timeout_keeping_the_text(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    client = make_client(total_timeout=0.8, idle_timeout=5.0)
    trickle: list[object] = []
    for _ in range(200):
        trickle += [chat_chunk("word "), KEEPALIVE, Pause(0.05)]
    server.enqueue(CHAT, Reply.sse(*trickle, DONE))  # type: ignore[arg-type]
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError) as caught:
        await collect(client)
    assert time.monotonic() - started < 3.0
    assert "total_timeout" in str(caught.value) and "0.8 s" in str(caught.value)
    assert caught.value.partial_text.startswith("word word ")


async def test_waiting_for_a_concurrency_slot_does_not_count_against_total_timeout(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    """The provider's `max_concurrency` queue is cltui's own: a call behind it has not been
    sent, so its deadline starts when it gets a slot (two 0.7 s replies, one slot, 1 s each)."""
    client = make_client(max_concurrency=1, total_timeout=1.0, idle_timeout=5.0)
    for _ in range(2):
        server.enqueue(
            CHAT, Reply.sse(Pause(0.7), chat_chunk("done"), chat_chunk("", finish_reason="stop"),
                            DONE)  # fmt: skip
        )
    texts = await asyncio.gather(collect(client), collect(client))
    assert texts == ["done", "done"]
    assert len(server.requests) == 2


async def test_a_slow_but_finished_reply_within_the_deadlines_is_whole(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    client = make_client(first_token_timeout=1.0, total_timeout=5.0)
    server.enqueue(
        CHAT, Reply.sse(KEEPALIVE, Pause(0.2), chat_chunk("late "), Pause(0.2), chat_chunk("ok"),
                        chat_chunk("", finish_reason="stop"), DONE)  # fmt: skip
    )
    assert await collect(client) == "late ok"


async def test_retry_waits_never_pass_the_total_deadline(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    sleep = FakeSleep()
    client = make_client(sleep, total_timeout=8.0, max_retries=4)
    limited = Reply.error(429, "slow down", headers={"Retry-After": "5"})
    server.enqueue(CHAT, limited, limited, limited, limited)
    with pytest.raises(RateLimitedError):
        await collect(client)
    # One 5 s wait fits in 8 s; a second would end past the deadline, so the call gives up.
    assert sleep.delays == [5.0]
    assert len(server.requests) == 2


async def test_the_free_model_limiter_says_why_and_how_long_the_call_waits(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    sleep = FakeSleep()
    client = make_client(sleep)
    now = [0.0]
    client.limits = ProviderLimits(
        4, free_limit=1, free_window=60.0, clock=lambda: now[0] + sleep.slept, sleep=sleep
    )
    server.route(CHAT, FakeOpenAI(words=2))
    notices: list[object] = []
    for _ in range(2):
        async for _chunk in client.stream_chat(request("x/y:free"), on_retry=notices.append):
            pass
    assert notices == [WaitNotice("free-model limit", pytest.approx(60.0))]
    assert not any(isinstance(n, RetryNotice) for n in notices)


async def test_a_limiter_wait_past_the_total_deadline_fails_at_once(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    sleep = FakeSleep()
    client = make_client(sleep, total_timeout=30.0)
    client.limits = ProviderLimits(4, free_limit=1, free_window=60.0, clock=lambda: 0.0,
                                   sleep=sleep)  # fmt: skip
    server.route(CHAT, FakeOpenAI(words=2))
    await collect_model(client, "x/y:free")
    with pytest.raises(DeadlineExceededError) as caught:
        await collect_model(client, "x/y:free")
    assert "free-model limit" in str(caught.value) and "total_timeout" in str(caught.value)
    assert len(server.requests) == 1 and sleep.delays == []


async def collect_model(client: OpenAIClient, model: str) -> None:
    async for _chunk in client.stream_chat(request(model)):
        pass


def test_progress_and_pane_title_say_why_a_call_waits() -> None:
    err = io.StringIO()
    printer = ProgressPrinter(err, live=False)
    printer(RoundStarted(0, 0, 1))
    printer(ReplyStarted(0, 0, "m", "x/y:free", "proposer"))
    printer(ReplyWaiting(0, 0, "m", "free-model limit", 38.2))
    assert "waiting (free-model limit: 38 s)" in err.getvalue()
    title = PaneTitle("1 ", "x/y:free", "waiting", retry_note="free-model limit: 38 s")
    assert title.word == "free-model limit: 38 s"


def test_deadline_keys_are_read_bounded_and_kept_in_sessions() -> None:
    doc = {
        "models": [{"id": "m", "provider": "local"}],
        "providers": {"local": {"base_url": "http://127.0.0.1:9/v1", "first_token_timeout": 30,
                                "total_timeout": 900}},
    }  # fmt: skip
    config = parse_config(doc, "c.toml")
    local = config.providers["local"]
    assert (local.first_token_timeout, local.total_timeout) == (30.0, 900.0)
    assert parse_config(config.to_dict(), "again").providers["local"] == local
    assert config.providers["openrouter"].first_token_timeout == 120.0
    assert config.providers["openrouter"].total_timeout == 600.0
    bad = {**doc, "providers": {"local": {"base_url": "http://x/v1", "total_timeout": -1}}}
    with pytest.raises(ValueError, match=r"providers\.local\.total_timeout"):
        parse_config(bad, "c.toml")


def test_cltui_run_ends_a_keepalive_only_stream_at_the_configured_deadline(
    tmp_path: Path,
) -> None:
    def processing_for_ever(request: RecordedRequest) -> Reply:
        return Reply.sse(*([KEEPALIVE, Pause(0.1)] * 600))  # a minute of "processing"

    with BackgroundServer(processing_for_ever) as server:
        config = tmp_path / "c.toml"
        config.write_text(
            '[[models]]\nid = "local/slow"\nprovider = "local"\n'
            f'[providers.local]\nbase_url = "{server.base_url}"\nfirst_token_timeout = 0.6\n',
            encoding="utf-8",
        )
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "cltui", "run", str(config), "--prompt", "q",
             "--sessions-dir", str(tmp_path / "s")],
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},
            capture_output=True, text=True, encoding="utf-8", timeout=60,
        )  # fmt: skip
    assert time.monotonic() - started < 20
    assert result.returncode == 1, result.stderr
    assert "first_token_timeout" in result.stderr and "0.6 s" in result.stderr


async def test_a_side_call_that_only_keeps_the_connection_alive_ends_too(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    client = make_client(first_token_timeout=0.5, idle_timeout=5.0)
    server.enqueue("/models", Reply(chunks=[KEEPALIVE, Pause(0.1)] * 200,
                                    content_type="application/json"))  # fmt: skip
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError, match="first_token_timeout"):
        await client.list_models()
    assert time.monotonic() - started < 3.0


async def test_a_whole_chat_gives_up_when_a_retry_wait_would_pass_its_deadline(
    server: ScriptedServer, make_client: Callable[..., OpenAIClient]
) -> None:
    sleep = FakeSleep()
    client = make_client(sleep, total_timeout=8.0, max_retries=4)
    limited = Reply.error(429, "slow down", headers={"Retry-After": "5"})
    server.enqueue(CHAT, limited, limited, limited)
    with pytest.raises(RateLimitedError):
        await client.chat(request())
    assert sleep.delays == [5.0] and len(server.requests) == 2
