"""Streaming budget: 8 panes streaming 200 tokens/s each — the screen keeps up (display lag p95
under 100 ms), no text is lost, and the app stays under one CPU core.

The whole app runs headless (`App.run_test`, 200×60) on the real runner and engine; only the
model calls are simulated, by a backend that paces each model at exactly 200 tokens a second
(2,000 tokens each: 10 s of streaming) with prose-like Markdown (paragraphs, lists, headings,
the odd code fence).

How the display lag is measured: every token's emit time is recorded by the backend as it is
yielded. Each pane's `LiveText` (where a reply streams) is instrumented: `append` counts the
characters received, and `render_line` — called when the compositor draws the widget for a new
frame — marks everything appended so far as displayed at that moment. A token's lag is the time
of the first draw covering its last character minus its emit time: engine, bridge, both message
queues, the pane and the frame that paints it are all inside the number (only writing the frame
to a real terminal is not).

No text lost: for each pane, the characters that went through the stream equal the streamed
reply, and the pane's settled text and Markdown source equal it exactly.

CPU: process CPU time (`time.process_time`, all threads) over wall time while the round runs;
under 1.0 means the app needs less than one core.

    uv run python bench/bench_streaming.py
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from textual.strip import Strip
from textual.widgets import Markdown

from cltui.core.config import ModelSpec, parse_config
from cltui.core.messages import Usage
from cltui.core.providers.base import ChatRequest, RetryCallback, StreamChunk
from cltui.core.runner import ConsensusRunner
from cltui.ui.app import ConsensusApp
from cltui.ui.bridge import RunnerSource
from cltui.ui.widgets.live_text import LiveText

PANES = 8
RATE = 200.0
"""Tokens per second, per model."""
TOKENS = 2000
AGGREGATE_TOKENS = 200
LAG_BUDGET = 0.100
CPU_BUDGET = 1.0

WORDS = (
    "light scatters off the molecules of air and the shorter wavelengths scatter most so the "
    "sky looks blue while sunsets look red because the light crosses more air near the horizon"
).split()


def token_stream(seed: int, count: int) -> list[str]:
    """`count` tokens of Markdown: paragraphs, a heading, a list, and a code fence now and then."""
    tokens: list[str] = []
    i = seed
    while len(tokens) < count:
        block = (i // 7) % 6
        if block == 0:
            tokens.append(f"\n\n## Part {i}\n\n")
        elif block == 1:
            tokens += [f"\n- point {i}: ", *(w + " " for w in WORDS[i % 5 : i % 5 + 6])]
        elif block == 2 and i % 3 == 0:
            tokens += ["\n\n```python\n", f"x_{i} = {i}\n", "print(x)\n", "```\n\n"]
        else:
            tokens += [w + " " for w in WORDS[i % 11 : i % 11 + 12]]
            tokens.append("\n\n" if i % 4 == 0 else "")
        i += 1
    return [t for t in tokens if t][:count]


@dataclass
class Emitted:
    """What one model streamed, token by token."""

    tokens: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)


class PacedBackend:
    """Streams each model's tokens at `RATE` per second against the clock (no drift)."""

    def __init__(self) -> None:
        self.emitted: dict[str, Emitted] = defaultdict(Emitted)

    def backend_for(self, model: ModelSpec) -> PacedBackend:
        return self

    def stream_chat(
        self, request: ChatRequest, *, on_retry: RetryCallback | None = None
    ) -> AsyncIterator[StreamChunk]:
        return self._stream(request.model)

    async def _stream(self, model: str) -> AsyncIterator[StreamChunk]:
        count = AGGREGATE_TOKENS if model == "m/agg" else TOKENS
        tokens = token_stream(sum(map(ord, model)), count)
        record = self.emitted[model]
        start = time.perf_counter()
        for index, token in enumerate(tokens):
            delay = start + index / RATE - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            record.tokens.append(token)
            record.times.append(time.perf_counter())
            yield StreamChunk(content=token)
        yield StreamChunk(usage=Usage(100, len(tokens)), finish_reason="stop")


@dataclass
class Appended:
    """One pane's live text: characters appended, and (time drawn, characters covered)."""

    total: int = 0
    points: list[tuple[float, int]] = field(default_factory=list)


APPENDS: dict[int, Appended] = {}
"""Keyed by id() of the live-text widget being watched."""


def watch_displays() -> None:
    """Wrap the live text's `append` and `render_line` to record when appended text is drawn.

    An append only records how much text there is; the next time the widget draws a line (the
    compositor painting the pane for a new frame), everything appended until then counts as
    displayed at that moment."""
    original_append = LiveText.append
    original_render = LiveText.render_line

    def append(self: LiveText, text: str) -> None:
        original_append(self, text)
        record = APPENDS.get(id(self))
        if record is not None:
            record.total += len(text)

    def render_line(self: LiveText, y: int) -> Strip:
        record = APPENDS.get(id(self))
        if record is not None and (not record.points or record.points[-1][1] < record.total):
            record.points.append((time.perf_counter(), record.total))
        return original_render(self, y)

    LiveText.append = append  # type: ignore[method-assign]
    LiveText.render_line = render_line  # type: ignore[method-assign]


def config():  # type: ignore[no-untyped-def]
    models = [{"id": f"m/{n}", "provider": "demo", "max_tokens": TOKENS} for n in range(PANES)]
    return parse_config(
        {
            "iterations": 0,
            "models": models,
            "aggregator": {"model": "m/agg", "provider": "demo"},
        },
        source="<bench>",
    )


def lags(emitted: Emitted, appended: Appended) -> list[float]:
    """Per token: first finished append covering its last character, minus its emit time."""
    found: list[float] = []
    points = sorted(appended.points, key=lambda p: p[1])
    cursor = 0
    end = 0
    for token, emitted_at in zip(emitted.tokens, emitted.times, strict=True):
        end += len(token)
        while cursor < len(points) and points[cursor][1] < end:
            cursor += 1
        if cursor == len(points):
            found.append(float("inf"))
            continue
        found.append(points[cursor][0] - emitted_at)
    return found


async def run() -> int:
    watch_displays()
    backend = PacedBackend()
    sessions = Path(tempfile.mkdtemp(prefix="cltui-bench-"))
    cfg = config()

    def new() -> ConsensusRunner:
        return ConsensusRunner(cfg, backend_for=backend.backend_for, sessions_dir=sessions)

    app = ConsensusApp(new(), RunnerSource(sessions, new=new, open=lambda p: new()))
    async with app.run_test(size=(200, 60)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.main_screen
        assert screen is not None
        for n in range(PANES):
            pane = screen.panes[f"m/{n}"]
            APPENDS[id(pane.query_one(LiveText))] = Appended()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        app.submit("Why is the sky blue?")
        await app.workers.wait_for_complete()
        for _ in range(5):
            await pilot.pause()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        all_lags: list[float] = []
        lost: list[str] = []
        for n in range(PANES):
            label = f"m/{n}"
            pane = screen.panes[label]
            markdown = pane.query_one("#reply-text", Markdown)
            streamed = "".join(backend.emitted[label].tokens)
            appended = APPENDS[id(pane.query_one(LiveText))]
            if appended.total != len(streamed) or pane.text != streamed:
                lost.append(f"{label}: streamed {len(streamed)}, appended {appended.total}")
            elif markdown.source != streamed:
                lost.append(f"{label}: the settled Markdown differs from the streamed text")
            all_lags += lags(backend.emitted[label], appended)
        turn = app.runner.session.turns[-1]
        await app.runner.aclose()
    finite = sorted(x for x in all_lags if x != float("inf"))
    p95 = finite[int(0.95 * (len(finite) - 1))] if finite else float("inf")
    missing = len(all_lags) - len(finite)
    ideal = TOKENS / RATE
    print(f"{PANES} panes × {TOKENS} tokens @ {RATE:.0f}/s each "
          f"({PANES * RATE:.0f} tokens/s in all, ideal {ideal:.1f} s + aggregate)")  # fmt: skip
    print(f"round wall time: {wall:.2f} s (turn {turn.status})")
    print(f"display lag: p50 {statistics.median(finite) * 1000:.1f} ms · "
          f"p95 {p95 * 1000:.1f} ms · max {finite[-1] * 1000:.1f} ms"
          f"{f' · {missing} tokens never shown' if missing else ''}")  # fmt: skip
    print(f"CPU: {cpu:.2f} s over {wall:.2f} s wall = {cpu / wall:.2f} cores")
    print("text: " + ("every pane complete and exact" if not lost else "LOST " + "; ".join(lost)))
    ok = p95 < LAG_BUDGET and not missing and not lost and cpu / wall < CPU_BUDGET
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


def main() -> int:
    return asyncio.run(run())


if __name__ == "__main__":
    raise SystemExit(main())
