"""A small, real, scriptable HTTP/1.1 server on 127.0.0.1 for network tests.

It speaks just enough HTTP/1.1 for httpx: Content-Length bodies, chunked streaming (so a
dropped connection mid-body is a real protocol error to the client), keep-alive. Each request is
recorded (method, path, headers, body, client port) and answered by a scripted `Reply`: a status,
headers and body, or a sequence of stream chunks with pauses, an abrupt close (`DROP`) or a
stall (`STALL`) in between.

Two ways to run it:

- `async with ScriptedServer() as server:` inside a test's event loop;
- `with BackgroundServer(handler) as server:` on its own thread, for sync code and for
  subprocesses (`cltui run --base-url server.base_url`).

`FakeOpenAI` is a handler that acts as a minimal deterministic OpenAI-compatible endpoint, and
`python -m tests.support.http_server` serves it until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import inspect
import json
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"
PREFIX = "/v1"
"""Path prefix of the API: `base_url` ends with it and routes are matched without it."""

KEEPALIVE = b": OPENROUTER PROCESSING\n\n"
DONE = b"data: [DONE]\n\n"

REASONS = {
    200: "OK", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required",
    403: "Forbidden", 404: "Not Found", 408: "Request Timeout", 413: "Payload Too Large",
    422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error",
    502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}  # fmt: skip


# ------------------------------------------------------------------------------------------
# Scripting


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait this long before the next stream chunk."""

    seconds: float


class _Drop:
    """Close the connection at this point of the body, without finishing it."""

    def __repr__(self) -> str:
        return "DROP"


class _Stall:
    """Stop sending and keep the connection open until the client leaves or the server stops."""

    def __repr__(self) -> str:
        return "STALL"


DROP = _Drop()
STALL = _Stall()
StreamItem = bytes | str | Pause | _Drop | _Stall


@dataclass(slots=True)
class Reply:
    """One scripted response: a whole body, or `chunks` streamed with chunked encoding."""

    status: int = 200
    body: Any = b""
    """bytes or str as they are; any other value is sent as JSON."""
    headers: Mapping[str, str] = field(default_factory=dict)
    chunks: Sequence[StreamItem] | None = None
    chunk_delay: float = 0.0
    """Seconds between stream chunks (on top of any `Pause`)."""
    delay: float = 0.0
    """Seconds before the status line is sent."""
    content_type: str | None = None

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        return cls(status=status, body=data, headers=dict(headers or {}))

    @classmethod
    def error(
        cls,
        status: int,
        message: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """An OpenRouter-shaped error body with the status as its code."""
        return cls.json(error_body(status, message, metadata), status, headers)

    @classmethod
    def sse(cls, *items: StreamItem | Mapping[str, Any], chunk_delay: float = 0.0) -> Reply:
        """A stream; mappings become `data:` events, bytes/str and markers go as they are."""
        chunks: list[StreamItem] = [
            sse_event(item) if isinstance(item, Mapping) else item for item in items
        ]
        return cls(chunks=chunks, chunk_delay=chunk_delay)


def sse_event(data: Any) -> bytes:
    """One `data:` event with its closing blank line."""
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def error_body(code: int | str, message: str, metadata: Mapping[str, Any] | None = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": message}
    if metadata is not None:
        error["metadata"] = dict(metadata)
    return {"error": error}


def chat_chunk(
    content: str | None = "",
    *,
    reasoning: str | None = None,
    finish_reason: str | None = None,
    model: str = "test/model",
    id: str = "gen-test-1",
) -> dict[str, Any]:
    """A `chat.completion.chunk` as OpenRouter streams it."""
    delta: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning is not None:
        delta["reasoning"] = reasoning
    return {
        "id": id,
        "provider": "Test",
        "model": model,
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
    }


def usage_chunk(
    prompt_tokens: int = 10,
    completion_tokens: int = 5,
    cost: float | None = 0.00015,
    *,
    reasoning_tokens: int = 0,
    cached_tokens: int = 0,
    model: str = "test/model",
    id: str = "gen-test-1",
) -> dict[str, Any]:
    """The final usage chunk: empty `choices`, as OpenRouter sends it."""
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
    }
    if cost is not None:
        usage["cost"] = cost
    return {"id": id, "model": model, "object": "chat.completion.chunk", "choices": [],
            "usage": usage}  # fmt: skip


def chat_stream(
    pieces: Sequence[str],
    *,
    model: str = "test/model",
    usage: Mapping[str, Any] | None = None,
    done: bool = True,
) -> list[StreamItem]:
    """A complete, well-formed chat stream: content pieces, a stop chunk, usage, [DONE]."""
    items: list[StreamItem] = [sse_event(chat_chunk(p, model=model)) for p in pieces]
    items.append(sse_event(chat_chunk("", finish_reason="stop", model=model)))
    items.append(sse_event(usage or usage_chunk(model=model)))
    if done:
        items.append(DONE)
    return items


def chat_completion(content: str, *, model: str = "test/model", cost: float = 0.0001) -> dict:
    """A non-streamed chat completion body."""
    return {
        "id": "gen-test-1",
        "model": model,
        "object": "chat.completion",
        "choices": [
            {"index": 0, "finish_reason": "stop",
             "message": {"role": "assistant", "content": content}}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
                  "cost": cost},
    }  # fmt: skip


# ------------------------------------------------------------------------------------------
# The server


@dataclass(slots=True)
class RecordedRequest:
    """What the server received."""

    method: str
    path: str
    """As sent, query string included."""
    headers: dict[str, str]
    """Lower-cased header names."""
    body: bytes
    client_port: int

    @property
    def route(self) -> str:
        """The path without the API prefix and query: '/chat/completions'."""
        path = urlsplit(self.path).path
        return path[len(PREFIX) :] if path.startswith(PREFIX + "/") else path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


Handler = Callable[[RecordedRequest], "Reply | Awaitable[Reply]"]


class ScriptedServer:
    """The server itself; runs in the event loop that calls `start`."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.port = 0
        self._queues: dict[str, deque[Reply]] = {}
        self._routes: dict[str, Handler] = {}
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._stopping: asyncio.Event | None = None

    # scripting -----------------------------------------------------------------------------

    def enqueue(self, route: str, *replies: Reply) -> None:
        """Answer the next requests to `route` ('/chat/completions') with these, in order."""
        self._queues.setdefault(route, deque()).extend(replies)

    def route(self, route: str, handler: Handler) -> None:
        """Answer every request to `route` (when its queue is empty) with `handler`."""
        self._routes[route] = handler

    def requests_to(self, route: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.route == route]

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}{PREFIX}"

    # lifecycle -----------------------------------------------------------------------------

    async def start(self) -> ScriptedServer:
        self._stopping = asyncio.Event()
        self._server = await asyncio.start_server(self._connection, HOST, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        assert self._stopping is not None
        self._stopping.set()
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> ScriptedServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # HTTP ----------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        self._writers.add(writer)
        port = writer.get_extra_info("peername")[1]
        try:
            while True:
                request = await self._read_request(reader, port)
                if request is None:
                    break
                self.requests.append(request)
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                try:
                    reply = await self._reply_for(request)
                    keep_open = await self._write(writer, reply)
                finally:
                    self.in_flight -= 1
                if not keep_open or request.headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)  # type: ignore[arg-type]
            writer.close()

    async def _read_request(
        self, reader: asyncio.StreamReader, port: int
    ) -> RecordedRequest | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(parts)
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        return RecordedRequest(method, target, headers, body, port)

    async def _reply_for(self, request: RecordedRequest) -> Reply:
        queue = self._queues.get(request.route)
        if queue:
            return queue.popleft()
        handler = self._routes.get(request.route) or self.handler
        if handler is None:
            return Reply.error(404, f"no scripted reply for {request.method} {request.route}")
        result = handler(request)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def _write(self, writer: asyncio.StreamWriter, reply: Reply) -> bool:
        """Send a reply; False when the connection must not be reused."""
        if reply.delay:
            await asyncio.sleep(reply.delay)
        headers = {k.lower(): v for k, v in reply.headers.items()}
        status_line = f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Status')}\r\n"
        if reply.chunks is None:
            body = reply.body
            if isinstance(body, str):
                body = body.encode()
                headers.setdefault("content-type", reply.content_type or "text/plain")
            elif not isinstance(body, bytes):
                body = json.dumps(body).encode()
                headers.setdefault("content-type", reply.content_type or "application/json")
            elif reply.content_type:
                headers.setdefault("content-type", reply.content_type)
            headers["content-length"] = str(len(body))
            writer.write(status_line.encode() + _header_block(headers) + body)
            await writer.drain()
            return True
        headers.setdefault("content-type", reply.content_type or "text/event-stream")
        headers["transfer-encoding"] = "chunked"
        headers.setdefault("cache-control", "no-cache")
        writer.write(status_line.encode() + _header_block(headers))
        await writer.drain()
        first = True
        for item in reply.chunks:
            if isinstance(item, Pause):
                await asyncio.sleep(item.seconds)
                continue
            if isinstance(item, _Drop):
                writer.close()
                return False
            if isinstance(item, _Stall):
                assert self._stopping is not None
                await self._stopping.wait()
                return False
            if reply.chunk_delay and not first:
                await asyncio.sleep(reply.chunk_delay)
            first = False
            data = item.encode() if isinstance(item, str) else item
            if data:
                writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


def _header_block(headers: Mapping[str, str]) -> bytes:
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (lines + "\r\n").encode("latin-1")


class BackgroundServer:
    """A `ScriptedServer` on its own thread and event loop, for synchronous callers."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.server = ScriptedServer(handler)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.server.requests

    def enqueue(self, route: str, *replies: Reply) -> None:
        self.server.enqueue(route, *replies)

    def start(self) -> BackgroundServer:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.server.start())
            except BaseException as error:  # reported to the starting thread
                failure.append(error)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.server.stop())
            loop.close()

        self._thread = threading.Thread(target=run, name="test-http-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = None
        self._thread = None

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# ------------------------------------------------------------------------------------------
# A fake OpenAI-compatible endpoint

_VOCABULARY = (
    "consensus", "evidence", "models", "agree", "carefully", "answer", "detail", "reason",
    "because", "therefore", "summary", "example", "clear", "step", "result", "useful",
)  # fmt: skip


class FakeOpenAI:
    """A deterministic OpenAI-compatible endpoint: each model answers the same question the same
    way every time, streamed word by word with `chunk_delay` seconds between chunks."""

    def __init__(
        self,
        *,
        models: Sequence[str] = ("fake/alpha", "fake/beta", "fake/gamma"),
        chunk_delay: float = 0.0,
        first_token_delay: float = 0.0,
        answers: Mapping[str, str] | None = None,
        words: int = 24,
    ) -> None:
        self.models = tuple(models)
        self.chunk_delay = chunk_delay
        self.first_token_delay = first_token_delay
        self.answers = dict(answers or {})
        self.words = words

    def answer_for(self, model: str, prompt: str) -> str:
        """The deterministic answer of `model` to `prompt`."""
        if model in self.answers:
            return self.answers[model]
        digest = hashlib.sha256(f"{model}\n{prompt}".encode()).digest()
        words = [_VOCABULARY[b % len(_VOCABULARY)] for b in digest[: self.words]]
        return f"{model} answers: " + " ".join(words) + "."

    def __call__(self, request: RecordedRequest) -> Reply:
        if request.route == "/models" and request.method == "GET":
            return Reply.json({"data": [self._model_entry(m) for m in self.models]})
        if request.route == "/credits":
            return Reply.json({"data": {"total_credits": 10.0, "total_usage": 1.25}})
        if request.route in ("/key", "/auth/key"):
            return Reply.json({"data": {"label": "fake", "limit": None, "limit_remaining": None,
                                        "usage": 1.25, "is_free_tier": False}})  # fmt: skip
        if request.method == "POST" and request.route in ("/chat/completions", "/completions"):
            return self._completion(request)
        return Reply.error(404, f"no route {request.method} {request.route}")

    def _completion(self, request: RecordedRequest) -> Reply:
        body = request.json() or {}
        model = str(body.get("model") or self.models[0])
        legacy = request.route == "/completions"
        if legacy:
            prompt = str(body.get("prompt") or "")
        else:
            messages = body.get("messages") or []
            users = [m.get("content", "") for m in messages if m.get("role") == "user"]
            prompt = str(users[-1]) if users else ""
        answer = self.answer_for(model, prompt)
        pieces = [w + " " for w in answer.split(" ")]
        pieces[-1] = pieces[-1].rstrip()
        usage = {"prompt_tokens": len(prompt.split()) + 1, "completion_tokens": len(pieces),
                 "cost": len(pieces) * 1e-6}  # fmt: skip
        if not body.get("stream"):
            if legacy:
                choice = {"index": 0, "text": answer, "finish_reason": "stop"}
            else:
                choice = {"index": 0, "finish_reason": "stop",
                          "message": {"role": "assistant", "content": answer}}  # fmt: skip
            return Reply.json({"id": "gen-fake", "model": model, "choices": [choice],
                               "usage": usage})  # fmt: skip
        items: list[StreamItem] = [KEEPALIVE]
        if self.first_token_delay:
            items.append(Pause(self.first_token_delay))
        for piece in pieces:
            if legacy:
                choice = {"index": 0, "text": piece, "finish_reason": None}
                items.append(sse_event({"id": "gen-fake", "model": model, "choices": [choice]}))
            else:
                items.append(sse_event(chat_chunk(piece, model=model, id="gen-fake")))
        items.append(sse_event(chat_chunk("", finish_reason="stop", model=model, id="gen-fake")))
        items.append(sse_event({"id": "gen-fake", "model": model, "choices": [], "usage": usage}))
        items.append(DONE)
        return Reply(chunks=items, chunk_delay=self.chunk_delay)

    @staticmethod
    def _model_entry(model: str) -> dict[str, Any]:
        free = model.endswith(":free")
        price = "0" if free else "0.000001"
        return {
            "id": model,
            "name": model.split("/")[-1].title(),
            "context_length": 32768,
            "pricing": {"prompt": price, "completion": price, "request": "0", "image": "0"},
            "top_provider": {"context_length": 32768, "max_completion_tokens": 4096},
        }


def main(argv: Sequence[str] | None = None) -> None:
    """Serve `FakeOpenAI` until interrupted; prints the base URL first."""
    parser = argparse.ArgumentParser(description="A fake OpenAI-compatible endpoint for tests.")
    parser.add_argument("--chunk-delay", type=float, default=0.02)
    args = parser.parse_args(argv)
    with BackgroundServer(FakeOpenAI(chunk_delay=args.chunk_delay)) as running:
        print(running.base_url, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
