"""Simulated models served as an OpenAI-compatible API inside the process.

`DemoTransport` plugs into httpx in place of the network, so `cltui --demo` and the tests go
through exactly the client code real endpoints use: the SSE parser, keep-alive comments, the
final usage chunk, retries on 429 and 5xx, mid-stream errors and typed error mapping. Timing is
real (asyncio.sleep, paced against a clock so it never drifts) and scaled by `speed`, so a test
can run the same conversation a thousand times faster than a person would watch it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import random
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx

from cltui.demo.text import Answer, Style, compose, split_tokens, stable_seed

SPEED_ENV = "CLTUI_DEMO_SPEED"
PROVIDER_NAME = "cltui demo"
TOTAL_CREDITS = 10.0
KEEPALIVE = b": OPENROUTER PROCESSING\n\n"
KEEPALIVE_EVERY = 1.0
"""Seconds (at speed 1) between keep-alive comments while the first token is awaited."""


@dataclass(frozen=True, slots=True)
class DemoModel:
    """One simulated model: its voice, its pace, its price, and how it misbehaves."""

    id: str
    name: str
    style: Style
    ttft: float
    """Seconds to the first token at speed 1."""
    tokens_per_second: float
    prompt_price: float = 0.0
    """USD per prompt token."""
    completion_price: float = 0.0
    context_length: int = 32_768
    max_completion_tokens: int = 4_096
    description: str = ""
    failure: str | None = None
    """None, 'flaky' (first call rate limited), 'overloaded' (always 502), 'glitch' (breaks
    mid-stream)."""

    def to_api(self) -> dict[str, Any]:
        """The model as `GET /models` lists it (prices as strings, per token)."""
        params = ["max_tokens", "temperature", "stream", "seed"]
        if self.style == "reasoning":
            params.append("reasoning")
        return {
            "id": self.id,
            "canonical_slug": self.id,
            "name": self.name,
            "created": 1_735_689_600,
            "description": self.description,
            "context_length": self.context_length,
            "architecture": {
                "modality": "text->text",
                "input_modalities": ["text"],
                "output_modalities": ["text"],
                "tokenizer": "demo",
                "instruct_type": None,
            },
            "pricing": {
                "prompt": price_text(self.prompt_price),
                "completion": price_text(self.completion_price),
                "request": "0",
                "image": "0",
            },
            "top_provider": {
                "context_length": self.context_length,
                "max_completion_tokens": self.max_completion_tokens,
                "is_moderated": False,
            },
            "per_request_limits": None,
            "supported_parameters": params,
        }


def price_text(price: float) -> str:
    """A per-token price the way OpenRouter writes it: a decimal string, "0" when free."""
    if price == 0:
        return "0"
    return f"{price:.12f}".rstrip("0").rstrip(".")


PER_MILLION = 1e-6
DEMO_MODELS: dict[str, DemoModel] = {
    m.id: m
    for m in (
        DemoModel("demo/atlas", "Demo: Atlas", "terse", 0.35, 110, 0.5 * PER_MILLION,
                  1.5 * PER_MILLION, 32_768, description="Terse; answers in bullet lists."),
        DemoModel("demo/borealis", "Demo: Borealis", "structured", 0.9, 60, 1.0 * PER_MILLION,
                  3.0 * PER_MILLION, 65_536,
                  description="Structured; headings, numbered points and an example."),
        DemoModel("demo/cirrus", "Demo: Cirrus", "discursive", 0.6, 40, 0.25 * PER_MILLION,
                  1.0 * PER_MILLION, 131_072, description="Discursive; flowing paragraphs."),
        DemoModel("demo/synthesis", "Demo: Synthesis", "aggregator", 0.5, 90,
                  2.0 * PER_MILLION, 6.0 * PER_MILLION, 131_072, 8_192,
                  description="Aggregator; merges labelled answers point by point."),
        DemoModel("demo/arbiter", "Demo: Arbiter", "judge", 0.3, 120, 0.2 * PER_MILLION,
                  0.6 * PER_MILLION, 32_768,
                  description="Judge; compares and ranks responses."),
        DemoModel("demo/deliberate", "Demo: Deliberate (reasoning)", "reasoning", 1.4, 75,
                  3.0 * PER_MILLION, 12.0 * PER_MILLION, 65_536, 16_384,
                  description="Thinks out loud (reasoning) before it answers."),
        DemoModel("demo/swift:free", "Demo: Swift (free)", "brief", 0.3, 120, 0, 0, 8_192,
                  1_024, description="Free and fast; two or three sentences."),
        DemoModel("demo/flaky", "Demo: Flaky", "terse", 0.4, 80, 0.5 * PER_MILLION,
                  1.5 * PER_MILLION, description="Rate limited on its first call.",
                  failure="flaky"),
        DemoModel("demo/overloaded", "Demo: Overloaded", "structured", 0.5, 60,
                  1.0 * PER_MILLION, 3.0 * PER_MILLION,
                  description="Its provider is always down.", failure="overloaded"),
        DemoModel("demo/glitch", "Demo: Glitch", "discursive", 0.5, 50, 0.5 * PER_MILLION,
                  1.5 * PER_MILLION, description="Breaks off in the middle of a reply.",
                  failure="glitch"),
    )
}  # fmt: skip


def speed_from_env(environ: Mapping[str, str] | None = None) -> float:
    """`CLTUI_DEMO_SPEED` as a positive multiplier ("inf" for no delays); 1.0 otherwise."""
    raw = (environ if environ is not None else os.environ).get(SPEED_ENV, "")
    try:
        value = float(raw)
    except ValueError:
        return 1.0
    return value if value > 0 and not math.isnan(value) else 1.0


class _Pacer:
    """Sleeps until scheduled offsets from a fixed start, so many small waits never drift."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.start = asyncio.get_running_loop().time()

    async def until(self, offset: float) -> None:
        """Wait until `offset` seconds (at speed 1) after the start."""
        delay = self.start + offset / self.speed - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)


class _EventStream(httpx.AsyncByteStream):
    """A response body produced while it is read; closing it stops the generator."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks:
            yield chunk

    async def aclose(self) -> None:
        await self._chunks.aclose()  # type: ignore[attr-defined]


@dataclass(slots=True)
class _Plan:
    """Everything about one reply, decided before the first byte is sent."""

    model: DemoModel
    generation_id: str
    prompt_tokens: int
    reasoning: list[str]
    content: list[str]
    finish_reason: str
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def completion_tokens(self) -> int:
        return len(self.reasoning) + len(self.content)

    def cost_of(self, completion_tokens: int) -> float:
        return (
            self.prompt_tokens * self.model.prompt_price
            + completion_tokens * self.model.completion_price
        )


class DemoTransport(httpx.AsyncBaseTransport):
    """An in-process OpenAI-compatible endpoint serving the simulated models.

    State (calls per model, credits spent, generations) lives in the instance, so each client, and
    each test, starts fresh.
    """

    def __init__(self, *, speed: float | None = None, seed: int = 0) -> None:
        self.speed = speed if speed is not None and speed > 0 else speed_from_env()
        self.seed = seed
        self.spent = 0.0
        self._calls: dict[str, int] = {}
        self._generations: dict[str, dict[str, Any]] = {}
        self._serial = itertools.count(1)

    # ---------------------------------------------------------------------------- routing

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.rstrip("/")
        method = request.method.upper()
        if method == "POST" and path.endswith("/chat/completions"):
            return await self._chat(await _json_body(request))
        if method == "POST" and path.endswith("/completions"):
            return await self._legacy_completion(await _json_body(request))
        if method == "GET" and path.endswith("/models"):
            return _json(200, {"data": [m.to_api() for m in DEMO_MODELS.values()]})
        if method == "GET" and path.endswith("/credits"):
            return _json(200, {"data": {"total_credits": TOTAL_CREDITS, "total_usage": self.spent}})
        if method == "GET" and (path.endswith("/key") or path.endswith("/auth/key")):
            return _json(200, {"data": self._key_info()})
        if method == "GET" and path.endswith("/generation"):
            ids = parse_qs(request.url.query.decode("ascii", "replace")).get("id", [""])
            record = self._generations.get(ids[0])
            if record is None:
                return _error(404, f"Generation {ids[0]!r} not found", "not_found")
            return _json(200, {"data": record})
        return _error(404, f"No route for {method} {path}", "not_found")

    def _key_info(self) -> dict[str, Any]:
        return {
            "label": "cltui demo key",
            "limit": TOTAL_CREDITS,
            "limit_reset": None,
            "limit_remaining": max(0.0, TOTAL_CREDITS - self.spent),
            "include_byok_in_limit": False,
            "usage": self.spent,
            "usage_daily": self.spent,
            "usage_weekly": self.spent,
            "usage_monthly": self.spent,
            "is_free_tier": False,
            "is_management_key": False,
        }

    # ---------------------------------------------------------------------------- chat

    async def _chat(self, body: Any) -> httpx.Response:
        if not isinstance(body, dict):
            return _error(400, "The request body must be a JSON object", "invalid_request")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(400, "messages: at least one message is required", "invalid_request")
        clean = [m for m in messages if isinstance(m, dict)]
        return await self._serve(body, clean, legacy=False)

    async def _legacy_completion(self, body: Any) -> httpx.Response:
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
            return _error(400, "prompt: a string is required", "invalid_request")
        return await self._serve(body, [{"role": "user", "content": body["prompt"]}], legacy=True)

    async def _serve(
        self, body: dict[str, Any], messages: list[dict[str, Any]], *, legacy: bool
    ) -> httpx.Response:
        model_id = body.get("model")
        model = DEMO_MODELS.get(model_id) if isinstance(model_id, str) else None
        if model is None:
            return _error(400, f"{model_id} is not a valid model ID", "invalid_request")
        calls = self._calls.get(model.id, 0) + 1
        self._calls[model.id] = calls
        if model.failure == "flaky" and calls == 1:
            await asyncio.sleep(0.05 / self.speed)
            return _error(
                429,
                f"{model.id} is temporarily rate-limited upstream. Please retry shortly.",
                "rate_limit_exceeded",
                headers={"Retry-After": "1"},
            )
        if model.failure == "overloaded":
            await asyncio.sleep(0.1 / self.speed)
            return _error(502, "Provider returned error", "provider_overloaded",
                          raw=f"{model.id}: the upstream provider is overloaded")  # fmt: skip
        plan = self._plan(model, body, messages)
        if plan.prompt_tokens > model.context_length:
            return _error(
                400,
                f"This endpoint's maximum context length is {model.context_length} tokens. "
                f"However, you requested about {plan.prompt_tokens} tokens. Please reduce the "
                'length of either one, or use the "middle-out" transform.',
                "context_length_exceeded",
            )
        headers = {"X-Generation-Id": plan.generation_id}
        if body.get("stream"):
            events = self._stream_events(plan, legacy=legacy)
            headers["Content-Type"] = "text/event-stream"
            headers["Cache-Control"] = "no-cache"
            return httpx.Response(200, headers=headers, stream=_EventStream(events))
        return await self._whole_reply(plan, legacy=legacy, headers=headers)

    def _plan(
        self, model: DemoModel, body: dict[str, Any], messages: list[dict[str, Any]]
    ) -> _Plan:
        texts = [str(m.get("content") or "") for m in messages]
        seed = stable_seed(self.seed, model.id, texts, [m.get("role") for m in messages],
                           body.get("seed"))  # fmt: skip
        answer: Answer = compose(model.style, messages, seed=seed)
        rng = random.Random(seed)
        reasoning = split_tokens(answer.reasoning, rng) if answer.reasoning else []
        content = split_tokens(answer.content, rng)
        limit = model.max_completion_tokens
        requested = body.get("max_tokens", body.get("max_completion_tokens"))
        if isinstance(requested, int) and not isinstance(requested, bool) and requested > 0:
            limit = min(limit, requested)
        finish = "stop"
        if len(reasoning) + len(content) > limit:
            finish = "length"
            reasoning = reasoning[:limit]
            content = content[: max(0, limit - len(reasoning))]
        if model.failure == "glitch":
            content = content[: max(3, len(content) * 2 // 5)]
            finish = "error"
        number = next(self._serial)
        generation_id = f"gen-demo-{number:06d}-{seed % 16**10:010x}"
        prompt_tokens = max(1, math.ceil(sum(len(t) for t in texts) / 4))
        return _Plan(model, generation_id, prompt_tokens, reasoning, content, finish)

    async def _stream_events(self, plan: _Plan, *, legacy: bool) -> AsyncIterator[bytes]:
        """The SSE body: keep-alives while 'thinking', a chunk per token, usage, [DONE]."""
        pacer = _Pacer(self.speed)
        model = plan.model
        sent = 0
        try:
            waited = 0.0
            while True:
                yield KEEPALIVE
                if waited + KEEPALIVE_EVERY >= model.ttft:
                    break
                waited += KEEPALIVE_EVERY
                await pacer.until(waited)
            await pacer.until(model.ttft)
            interval = 1.0 / model.tokens_per_second
            for kind, token in [("reasoning", t) for t in plan.reasoning] + [
                ("content", t) for t in plan.content
            ]:
                await pacer.until(model.ttft + sent * interval)
                yield _sse(self._chunk(plan, kind, token, legacy=legacy))
                sent += 1
            if model.failure == "glitch":
                yield _sse(self._midstream_error(plan, legacy=legacy))
                return
            yield _sse(self._chunk(plan, "content", "", legacy=legacy, finish=plan.finish_reason))
            usage = self._usage(plan, sent)
            yield _sse(self._envelope(plan, _chunk_kind(legacy), choices=[], usage=usage))
            yield b"data: [DONE]\n\n"
        finally:
            self._record(plan, sent, streamed=True)

    async def _whole_reply(
        self, plan: _Plan, *, legacy: bool, headers: dict[str, str]
    ) -> httpx.Response:
        pacer = _Pacer(self.speed)
        await pacer.until(plan.model.ttft + plan.completion_tokens / plan.model.tokens_per_second)
        sent = plan.completion_tokens
        self._record(plan, sent, streamed=False)
        if plan.model.failure == "glitch":
            return _error(502, "Provider disconnected in the middle of the reply", "server")
        content = "".join(plan.content)
        reasoning = "".join(plan.reasoning) or None
        if legacy:
            choice: dict[str, Any] = {"index": 0, "text": content, "reasoning": reasoning}
        else:
            choice = {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None,
                            "reasoning": reasoning},
            }  # fmt: skip
        choice.update(
            finish_reason=plan.finish_reason, native_finish_reason=plan.finish_reason, logprobs=None
        )
        kind = "text_completion" if legacy else "chat.completion"
        payload = self._envelope(plan, kind, choices=[choice], usage=self._usage(plan, sent))
        return _json(200, payload, headers=headers)

    # ---------------------------------------------------------------------------- pieces

    def _envelope(self, plan: _Plan, kind: str, **fields: Any) -> dict[str, Any]:
        return {
            "id": plan.generation_id,
            "provider": PROVIDER_NAME,
            "model": plan.model.id,
            "object": kind,
            "created": plan.created,
            **fields,
        }

    def _chunk(
        self, plan: _Plan, kind: str, token: str, *, legacy: bool, finish: str | None = None
    ) -> dict[str, Any]:
        if legacy:
            choice: dict[str, Any] = {"index": 0, "text": token if kind == "content" else ""}
            if kind == "reasoning":
                choice["reasoning"] = token
        else:
            delta: dict[str, Any] = {"role": "assistant", "content": "", "reasoning": None}
            delta[kind] = token
            choice = {"index": 0, "delta": delta}
        choice.update(finish_reason=finish, native_finish_reason=finish, logprobs=None)
        return self._envelope(plan, _chunk_kind(legacy), choices=[choice])

    def _midstream_error(self, plan: _Plan, *, legacy: bool) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0, "finish_reason": "error"}
        if legacy:
            choice["text"] = ""
        else:
            choice["delta"] = {"content": ""}
        error = {
            "code": 502,
            "message": "Provider disconnected in the middle of the reply",
            "metadata": {"error_type": "provider_unavailable", "provider_name": PROVIDER_NAME},
        }
        return self._envelope(plan, _chunk_kind(legacy), choices=[choice], error=error)

    def _usage(self, plan: _Plan, completion_tokens: int) -> dict[str, Any]:
        cost = plan.cost_of(completion_tokens)
        return {
            "prompt_tokens": plan.prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": plan.prompt_tokens + completion_tokens,
            "cost": round(cost, 12),
            "is_byok": False,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": min(completion_tokens, len(plan.reasoning))
            },
        }

    def _record(self, plan: _Plan, completion_tokens: int, *, streamed: bool) -> None:
        """Charge the reply (as far as it got) and keep its statistics for /generation."""
        if plan.generation_id in self._generations:
            return
        cost = plan.cost_of(completion_tokens)
        self.spent += cost
        finished = completion_tokens == plan.completion_tokens
        self._generations[plan.generation_id] = {
            "id": plan.generation_id,
            "total_cost": cost,
            "model": plan.model.id,
            "provider_name": PROVIDER_NAME,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(plan.created)),
            "streamed": streamed,
            "cancelled": not finished,
            "latency": round(plan.model.ttft * 1000),
            "generation_time": round(plan.completion_tokens / plan.model.tokens_per_second * 1000),
            "finish_reason": plan.finish_reason if finished else "cancelled",
            "native_finish_reason": plan.finish_reason if finished else "cancelled",
            "tokens_prompt": plan.prompt_tokens,
            "tokens_completion": completion_tokens,
            "native_tokens_prompt": plan.prompt_tokens,
            "native_tokens_completion": completion_tokens,
            "native_tokens_reasoning": min(completion_tokens, len(plan.reasoning)),
            "origin": "",
            "api_type": "completions",
        }


# -------------------------------------------------------------------------------- helpers


async def _json_body(request: httpx.Request) -> Any:
    try:
        return json.loads(await request.aread() or b"null")
    except ValueError:
        return None


def _json(status: int, payload: Any, *, headers: Mapping[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=headers)


def _error(
    status: int,
    message: str,
    error_type: str,
    *,
    headers: Mapping[str, str] | None = None,
    raw: str | None = None,
) -> httpx.Response:
    """An error answer shaped like OpenRouter's."""
    metadata: dict[str, Any] = {"error_type": error_type, "provider_name": PROVIDER_NAME}
    if raw is not None:
        metadata["raw"] = raw
    body = {"error": {"code": status, "message": message, "metadata": metadata}, "user_id": "demo"}
    return _json(status, body, headers=headers)


def _chunk_kind(legacy: bool) -> str:
    return "text_completion" if legacy else "chat.completion.chunk"


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode("utf-8") + b"\n\n"


def demo_model_ids(*, include_failures: bool = True) -> Sequence[str]:
    """The ids of the simulated models, e.g. for pickers and examples."""
    return [m.id for m in DEMO_MODELS.values() if include_failures or m.failure is None]
