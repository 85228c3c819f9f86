"""Scripted fake chat backends and an event recorder, for tests that need no network.

A `ScriptedBackend` answers each model id from a script: a list of steps that are streamed in
order. Steps:

- `str`: a content chunk; `StreamChunk`: sent as it is; `Usage`: a usage chunk;
- an exception instance: raised at that point (before or after some chunks);
- `asyncio.Event` or `Gate(event)`: the stream waits there until the test sets the event;
- `Tick(seconds)`: advances the backend's `FakeClock` (time passes without sleeping);
- `Retry(...)`: calls the caller's `on_retry` with a `RetryNotice`;
- a `WaitNotice(reason, seconds)`: passed to `on_retry` (the call is held before it is sent).

Every request is recorded exactly as received (`requests`, `requests_for`, `messages_for`), and
`arrived(model_id)` is an event set when a request for that model comes in, so a test can wait
for "the call has started" without sleeping.

    backend = ScriptedBackend(clock=clock)
    backend.on("m/a", "Hello ", "world", Usage(10, 2))          # every call to m/a
    backend.once("m/b", "par", StreamBrokenError("dropped"))   # the next call only
    engine = ConsensusEngine(config, backend.backend_for, sinks=[log], clock=clock)

Models without a script answer `"<model id> answer <n>"` (n counts that model's calls from 1),
which makes it easy to see which answer travelled where.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cltui.core.config import ConsensusConfig, ModelSpec, parse_config
from cltui.core.events import (
    Event,
    ReplyDelta,
    ReplyFinished,
    ReplyRetrying,
    ReplyStarted,
    RoundFinished,
    RoundStarted,
    TurnFinished,
    TurnStarted,
)
from cltui.core.messages import ChatMessage, Usage
from cltui.core.providers.base import (
    ChatRequest,
    RetryCallback,
    RetryNotice,
    StreamChunk,
    WaitNotice,
)


class FakeClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True, slots=True)
class Gate:
    """Hold the stream here until the event is set."""

    event: asyncio.Event


@dataclass(frozen=True, slots=True)
class Tick:
    """Advance the backend's fake clock by this many seconds."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Retry:
    """Tell the caller a retry is about to happen (as the real client does before retrying)."""

    attempt: int = 2
    max_attempts: int = 5
    delay: float = 1.5
    reason: str = "rate limited (429)"

    def notice(self) -> RetryNotice:
        return RetryNotice(self.attempt, self.max_attempts, self.delay, self.reason)


Step = str | StreamChunk | Usage | BaseException | asyncio.Event | Gate | Tick | Retry | WaitNotice
Script = Sequence[Step]
Responder = Callable[[ChatRequest, int], Script]
"""Builds a script from the request and the model's call number (1-based)."""


def default_responder(request: ChatRequest, number: int) -> Script:
    return [f"{request.model} ", f"answer {number}"]


def answer(
    text: str,
    *,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    cost: float | None = None,
    pieces: int = 3,
) -> list[Step]:
    """A script streaming `text` in about `pieces` chunks, then usage when any was given."""
    words = text.split(" ")
    size = max(1, -(-len(words) // max(1, pieces)))
    steps: list[Step] = []
    for start in range(0, len(words), size):
        chunk = " ".join(words[start : start + size])
        steps.append(chunk if start + size >= len(words) else chunk + " ")
    if prompt_tokens or completion_tokens or cost is not None:
        steps.append(Usage(prompt_tokens, completion_tokens, cost))
    return steps


class ScriptedBackend:
    """A `ChatBackend` that plays scripts and records every request it receives."""

    def __init__(
        self,
        scripts: Mapping[str, Script | Responder] | None = None,
        *,
        clock: FakeClock | None = None,
        default: Responder = default_responder,
    ) -> None:
        self.clock = clock or FakeClock()
        self.default = default
        self._always: dict[str, Script | Responder] = dict(scripts or {})
        self._once: dict[str, deque[Script | Responder]] = defaultdict(deque)
        self._arrived: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._calls: dict[str, int] = defaultdict(int)
        self.requests: list[ChatRequest] = []
        self.specs: list[ModelSpec] = []
        """Every model spec the engine resolved a backend for, in order."""
        self.completed: list[str] = []
        """Model ids whose streams ran to the end, in the order they ended."""
        self.cancelled: list[str] = []
        """Model ids whose streams were cancelled while running."""

    # Scripting -------------------------------------------------------------------------------

    def on(self, model_id: str, *steps: Step | Responder) -> ScriptedBackend:
        """Script every call to `model_id` (a responder function may stand for the steps)."""
        self._always[model_id] = _script_or_responder(steps)
        return self

    def once(self, model_id: str, *steps: Step | Responder) -> ScriptedBackend:
        """Script only the next call to `model_id` (queued: several `once` play in order)."""
        self._once[model_id].append(_script_or_responder(steps))
        return self

    # Inspection ------------------------------------------------------------------------------

    def arrived(self, model_id: str) -> asyncio.Event:
        """Set as soon as a request for `model_id` comes in."""
        return self._arrived[model_id]

    def requests_for(self, model_id: str) -> list[ChatRequest]:
        return [r for r in self.requests if r.model == model_id]

    def messages_for(self, model_id: str, call: int = 0) -> list[tuple[str, str]]:
        """The (role, content) pairs the model received in its `call`-th request (0-based)."""
        return [(m.role, m.content) for m in self.requests_for(model_id)[call].messages]

    def models_called(self) -> list[str]:
        return [r.model for r in self.requests]

    # The backend -----------------------------------------------------------------------------

    def backend_for(self, model: ModelSpec) -> ScriptedBackend:
        """The resolver to hand the engine: every model is served by this backend."""
        self.specs.append(model)
        return self

    def stream_chat(
        self, request: ChatRequest, *, on_retry: RetryCallback | None = None
    ) -> AsyncIterator[StreamChunk]:
        # Recorded here, not in the generator, so "request received" means "call started".
        self.requests.append(request)
        self._calls[request.model] += 1
        number = self._calls[request.model]
        self._arrived[request.model].set()
        queued = self._once.get(request.model)
        source = queued.popleft() if queued else self._always.get(request.model, self.default)
        script = source(request, number) if callable(source) else source
        return self._play(request.model, list(script), on_retry)

    async def _play(
        self, model_id: str, script: list[Step], on_retry: RetryCallback | None
    ) -> AsyncIterator[StreamChunk]:
        try:
            for step in script:
                if isinstance(step, BaseException):
                    raise step
                if isinstance(step, Gate):
                    await step.event.wait()
                elif isinstance(step, asyncio.Event):
                    await step.wait()
                elif isinstance(step, Tick):
                    self.clock.advance(step.seconds)
                elif isinstance(step, Retry | WaitNotice):
                    if on_retry is not None:
                        on_retry(step.notice() if isinstance(step, Retry) else step)
                elif isinstance(step, Usage):
                    yield StreamChunk(usage=step)
                elif isinstance(step, StreamChunk):
                    yield step
                else:
                    yield StreamChunk(content=step)
                    await asyncio.sleep(0)  # let concurrent streams interleave, as real ones do
        except asyncio.CancelledError:
            self.cancelled.append(model_id)
            raise
        self.completed.append(model_id)


def _script_or_responder(steps: tuple[Step | Responder, ...]) -> Script | Responder:
    if len(steps) == 1 and callable(steps[0]) and not isinstance(steps[0], BaseException):
        return steps[0]  # type: ignore[return-value]
    return steps  # type: ignore[return-value]


# Events ---------------------------------------------------------------------------------------


def describe(event: Event) -> tuple[Any, ...]:
    """A compact, comparable summary of an event: its type name and where it happened."""
    name = type(event).__name__
    match event:
        case TurnStarted():
            return (name, event.turn)
        case RoundStarted() | RoundFinished():
            return (name, event.round)
        case ReplyStarted() | ReplyDelta() | ReplyRetrying():
            return (name, event.round, event.slot)
        case ReplyFinished():
            return (name, event.round, event.slot, event.reply.status)
        case TurnFinished():
            return (name, event.status)
    return (name,)


class EventLog:
    """A sink that keeps every event, with helpers to check order and content."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def sequence(self, *, deltas: bool = False) -> list[tuple[Any, ...]]:
        """`describe` of every event; deltas dropped, or (deltas=True) runs of them collapsed."""
        result: list[tuple[Any, ...]] = []
        for event in self.events:
            if isinstance(event, ReplyDelta) and not deltas:
                continue
            summary = describe(event)
            if isinstance(event, ReplyDelta) and result and result[-1] == summary:
                continue
            result.append(summary)
        return result

    def of_type(self, *types: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, types)]

    def index(self, summary: tuple[Any, ...]) -> int:
        """Position of the first event whose `describe` equals `summary` in `sequence()`."""
        return self.sequence(deltas=True).index(summary)

    def text(self, slot: str, round_index: int = 0, turn: int | None = None) -> str:
        """The text a UI would have shown for one slot, rebuilt from the deltas."""
        return "".join(
            e.text
            for e in self.of_type(ReplyDelta)
            if e.slot == slot and e.round == round_index and (turn is None or e.turn == turn)
        )

    def finished(self) -> TurnFinished:
        """The last TurnFinished event."""
        return self.of_type(TurnFinished)[-1]

    def clear(self) -> None:
        self.events.clear()


def roles_and_texts(messages: Iterable[ChatMessage]) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in messages]


async def until(predicate: Callable[[], bool], *, limit: int = 10_000) -> None:
    """Let the event loop run until `predicate()` holds (no sleeping, no wall-clock)."""
    for _ in range(limit):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never became true")


def consensus_config(
    models: Sequence[str | Mapping[str, Any]] = ("m/a", "m/b"),
    *,
    aggregator: str | Mapping[str, Any] | None = "m/agg",
    **top: Any,
) -> ConsensusConfig:
    """A config with these models (ids or full tables), an aggregator, and any top-level keys,
    built through the real parser so labels and defaults are what users get."""
    data: dict[str, Any] = {
        "models": [dict(m) if isinstance(m, Mapping) else {"id": m} for m in models],
        **top,
    }
    if aggregator is not None:
        data["aggregator"] = (
            dict(aggregator) if isinstance(aggregator, Mapping) else {"model": aggregator}
        )
    return parse_config(data, "<test>")
