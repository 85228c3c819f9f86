"""Streaming budget: 8 panes streaming 200 tokens/s each — the screen keeps up (display lag p95
under 100 ms), no text is lost, and the app stays under one CPU core — and, at normal loads,
replies stream as rendered Markdown the whole time.

Scenarios (each in a fresh app, render mode auto as shipped):

- heavy: 8 panes × 2,000 tokens at 200 tokens/s each. Auto mode must trip into fast mode
  (plain live text) and the budget must hold.
- normal: 3 panes × 600 tokens at 60 tokens/s. Replies must stream as Markdown from start to
  end (auto mode never trips), with no text lost; the display lag is reported.
- normal+: 4 panes × 1,000 tokens at 100 tokens/s, reported (it sits near the trip rate).

The whole app runs headless (`App.run_test`, 200×60) on the real runner and engine; only the
model calls are simulated, by a backend that paces each model exactly (no drift) with
prose-like Markdown (paragraphs, lists, headings, the odd code fence; about 6 characters a
token).

How the display lag is measured: every token's emit time is recorded by the backend as it is
yielded. Each pane records, over time, how much of its text is on screen:

- Markdown (the default): every `Markdown.append` the pane's stream makes (and the final
  `update`) records, when it has finished mounting, the length of the source it covers; that text
  counts as displayed at the next frame the screen composes after it (`App._display`).
- Fast mode: the `FastText`'s `render_line`, called when the compositor draws a line of the
  view for a frame, marks everything appended to it so far as displayed at that moment, while
  the view keeps the end of the text in sight. The same goes for the `LiveText` below the
  Markdown (a block still being written), which shows the text from the ledger's `live_from`.

A token's lag is the time its last character is first displayed minus its emit time: engine,
bridge, both message queues, the pane, the Markdown parse and mount, and the frame are all
inside the number (only writing the frame to a real terminal is not).

No text lost: each pane's streamed characters are all displayed, and the pane's settled text and
Markdown source equal the streamed reply exactly.

CPU: process CPU time (`time.process_time`, all threads) over wall time while the round runs;
under 1.0 means the app needs less than one core.

    uv run python bench/bench_streaming.py                 # all scenarios, each in its process
    uv run python bench/bench_streaming.py --panes 6 --rate 150 --render markdown   # one run
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from textual.await_complete import AwaitComplete
from textual.strip import Strip

from cltui.core.config import ConsensusConfig, ModelSpec, parse_config
from cltui.core.messages import Usage
from cltui.core.providers.base import ChatRequest, RetryCallback, StreamChunk
from cltui.core.runner import ConsensusRunner
from cltui.ui.app import ConsensusApp
from cltui.ui.bridge import RunnerSource
from cltui.ui.render_load import RenderMode
from cltui.ui.widgets.fast_text import FastText
from cltui.ui.widgets.live_text import LiveText
from cltui.ui.widgets.model_pane import ModelPane
from cltui.ui.widgets.reply_markdown import ReplyMarkdown

AGGREGATE_TOKENS = 200
LAG_BUDGET = 0.100
CPU_BUDGET = 1.0


@dataclass(frozen=True)
class Scenario:
    name: str
    panes: int
    rate: float
    """Tokens per second, per model."""
    tokens: int
    render: RenderMode = "auto"
    expect_fast: bool | None = None
    """True: auto mode must trip into fast mode; False: it must stay Markdown; None: either."""
    budget: bool = False
    """The streaming budget (lag p95 < 100 ms, < 1 core) applies; otherwise lag is reported."""


SCENARIOS = (
    Scenario("normal", 3, 60.0, 600, expect_fast=False),
    Scenario("normal+", 4, 100.0, 1000),
    Scenario("heavy", 8, 200.0, 2000, expect_fast=True, budget=True),
)

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
    """Streams each model's tokens at `rate` per second against the clock (no drift)."""

    def __init__(self, rate: float, tokens: int) -> None:
        self.rate = rate
        self.tokens = tokens
        self.emitted: dict[str, Emitted] = defaultdict(Emitted)

    def backend_for(self, model: ModelSpec) -> PacedBackend:
        return self

    def stream_chat(
        self, request: ChatRequest, *, on_retry: RetryCallback | None = None
    ) -> AsyncIterator[StreamChunk]:
        return self._stream(request.model)

    async def _stream(self, model: str) -> AsyncIterator[StreamChunk]:
        count = AGGREGATE_TOKENS if model == "m/agg" else self.tokens
        tokens = token_stream(sum(map(ord, model)), count)
        record = self.emitted[model]
        start = time.perf_counter()
        for index, token in enumerate(tokens):
            delay = start + index / self.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            record.tokens.append(token)
            record.times.append(time.perf_counter())
            yield StreamChunk(content=token)
        yield StreamChunk(usage=Usage(100, len(tokens)), finish_reason="stop")


@dataclass
class Shown:
    """What one pane had on screen over time, on either path."""

    live: list[tuple[float, int, int]] = field(default_factory=list)
    """(frame drawn, start, end): the live text or the fast view showed the pane's
    text[start:end]."""
    markdown: list[tuple[float, int]] = field(default_factory=list)
    """(append finished, characters covered): the Markdown shows text[:covered] from the next
    frame on."""


SHOWN: dict[int, Shown] = {}
"""Keyed by id() of the pane's live text, fast view or Markdown widget."""
FRAMES: list[float] = []
"""When the screen composed each frame that was written out."""


def watch_displays() -> None:
    """Wrap the live text, the fast view, the reply Markdown and the app's display to record
    what is shown.

    Live text and fast view: each time one draws a line for a frame, it records which part of
    the pane's text it holds (the fast view: all of it, while its end is in view). Markdown: the
    end of each append (or update) records the length of the source it covers. Frames drawn
    while a batch update is open are not written out, so they don't count.
    """
    original_render = LiveText.render_line
    original_fast_render = FastText.render_line
    original_md_append = ReplyMarkdown.append
    original_md_update = ReplyMarkdown.update
    original_display = ConsensusApp._display

    def render_line(self: LiveText, y: int) -> Strip:
        record = SHOWN.get(id(self))
        pane = self.parent
        if record is not None and isinstance(pane, ModelPane) and not self.app._batch_count:
            span = (pane.streamer.ledger.live_from, len(pane.streamer.shown))
            if not record.live or record.live[-1][1:] != span:
                record.live.append((time.perf_counter(), *span))
        return original_render(self, y)

    def fast_render_line(self: FastText, y: int) -> Strip:
        record = SHOWN.get(id(self))
        end_in_view = self.scroll_y >= self.max_scroll_y
        if record is not None and end_in_view and not self.app._batch_count:
            span = (0, len(self.text))
            if not record.live or record.live[-1][1:] != span:
                record.live.append((time.perf_counter(), *span))
        return original_fast_render(self, y)

    def timed(self: ReplyMarkdown, waiting: AwaitComplete) -> AwaitComplete:
        covered = len(self.source)

        async def wait_and_record() -> None:
            await waiting
            record = SHOWN.get(id(self))
            if record is not None:
                record.markdown.append((time.perf_counter(), covered))

        return AwaitComplete(wait_and_record())

    def md_append(self: ReplyMarkdown, markdown: str) -> AwaitComplete:
        return timed(self, original_md_append(self, markdown))

    def md_update(self: ReplyMarkdown, markdown: str) -> AwaitComplete:
        return timed(self, original_md_update(self, markdown))

    def display(self: ConsensusApp, screen, renderable) -> None:  # type: ignore[no-untyped-def]
        if renderable is not None and not self._batch_count:
            FRAMES.append(time.perf_counter())
        original_display(self, screen, renderable)

    LiveText.render_line = render_line  # type: ignore[method-assign]
    FastText.render_line = fast_render_line  # type: ignore[method-assign]
    ReplyMarkdown.append = md_append  # type: ignore[method-assign]
    ReplyMarkdown.update = md_update  # type: ignore[method-assign]
    ConsensusApp._display = display  # type: ignore[method-assign]


def next_frame(moment: float) -> float:
    """The first frame written at or after `moment` (inf when there was none)."""
    index = bisect_left(FRAMES, moment)
    return FRAMES[index] if index < len(FRAMES) else float("inf")


def config(scenario: Scenario) -> ConsensusConfig:
    models = [
        {"id": f"m/{n}", "provider": "demo", "max_tokens": scenario.tokens}
        for n in range(scenario.panes)
    ]
    return parse_config(
        {
            "iterations": 0,
            "models": models,
            "aggregator": {"model": "m/agg", "provider": "demo"},
        },
        source="<bench>",
    )


def lags(emitted: Emitted, shown: Shown) -> list[float]:
    """Per token: the first time its last character was on screen, minus its emit time."""
    markdown = sorted((next_frame(t), n) for t, n in shown.markdown if n)
    # The Markdown's covered prefix only grows: keep the first time each length was reached.
    reached: list[tuple[float, int]] = []
    for moment, covered in markdown:
        if not reached or covered > reached[-1][1]:
            reached.append((moment, covered))
    live = sorted(shown.live)
    found: list[float] = []
    end = 0
    md_cursor = 0
    for token, emitted_at in zip(emitted.tokens, emitted.times, strict=True):
        end += len(token)
        last = end - 1
        while md_cursor < len(reached) and reached[md_cursor][1] < end:
            md_cursor += 1
        first = reached[md_cursor][0] if md_cursor < len(reached) else float("inf")
        for index in range(bisect_left(live, (emitted_at, -1, -1)), len(live)):
            moment, start, stop = live[index]
            if moment >= first:
                break
            if start <= last < stop:
                first = moment
                break
        found.append(first - emitted_at)
    return found


@dataclass
class Result:
    scenario: Scenario
    wall: float
    cpu: float
    lags: list[float]
    lost: list[str]
    tripped: int
    fast_panes: int
    status: str
    trip_reason: str

    @property
    def finite(self) -> list[float]:
        return sorted(x for x in self.lags if x != float("inf"))

    def percentile(self, q: float) -> float:
        finite = self.finite
        return finite[int(q * (len(finite) - 1))] if finite else float("inf")

    @property
    def missing(self) -> int:
        return len(self.lags) - len(self.finite)

    @property
    def mode_ok(self) -> bool:
        expected = self.scenario.expect_fast
        return expected is None or expected == bool(self.tripped)

    @property
    def ok(self) -> bool:
        within = not self.scenario.budget or (
            self.percentile(0.95) < LAG_BUDGET and self.cpu / self.wall < CPU_BUDGET
        )
        return within and not self.missing and not self.lost and self.mode_ok


async def run(scenario: Scenario) -> Result:
    backend = PacedBackend(scenario.rate, scenario.tokens)
    sessions = Path(tempfile.mkdtemp(prefix="cltui-bench-"))
    cfg = config(scenario)

    def new() -> ConsensusRunner:
        return ConsensusRunner(cfg, backend_for=backend.backend_for, sessions_dir=sessions)

    SHOWN.clear()
    FRAMES.clear()
    app = ConsensusApp(
        new(), RunnerSource(sessions, new=new, open=lambda p: new()), render=scenario.render
    )
    fast_panes: set[str] = set()
    async with app.run_test(size=(200, 60)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.main_screen
        assert screen is not None
        labels = [f"m/{n}" for n in range(scenario.panes)]
        for label in labels:
            pane = screen.panes[label]
            shown = Shown()
            SHOWN[id(pane.query_one(LiveText))] = shown
            SHOWN[id(pane.query_one(FastText))] = shown
            SHOWN[id(pane.query_one(ReplyMarkdown))] = shown

        def watch_fast() -> None:
            fast_panes.update(label for label in labels if screen.panes[label].fast)

        watcher = app.set_interval(0.05, watch_fast)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        app.submit("Why is the sky blue?")
        await app.workers.wait_for_complete()
        for _ in range(5):
            await pilot.pause()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        watcher.stop()
        all_lags: list[float] = []
        lost: list[str] = []
        for label in labels:
            pane = screen.panes[label]
            streamed = "".join(backend.emitted[label].tokens)
            shown = SHOWN[id(pane.query_one(LiveText))]
            if pane.text != streamed:
                lost.append(f"{label}: streamed {len(streamed)}, pane has {len(pane.text)}")
            elif pane.query_one(ReplyMarkdown).source != streamed:
                lost.append(f"{label}: the settled Markdown differs from the streamed text")
            all_lags += lags(backend.emitted[label], shown)
        turn = app.runner.session.turns[-1]
        tripped = screen.render_load.trips
        trip_reason = screen.render_load.last_trip
        await app.runner.aclose()
    return Result(
        scenario, wall, cpu, all_lags, lost, tripped, len(fast_panes), turn.status, trip_reason
    )


HEADER = (
    f"{'scenario':<9} {'load':<14} {'mode':<5} {'render':<16} {'lag p50/p95/max ms':<20} "
    f"{'cores':>5}  {'text':<9} ok"
)


def print_row(r: Result) -> None:
    sc = r.scenario
    load = f"{sc.panes}×{sc.rate:.0f} tok/s"
    render = f"fast ({r.fast_panes}/{sc.panes} panes)" if r.tripped else "markdown"
    lag = (f"{r.percentile(0.5) * 1000:.0f} / {r.percentile(0.95) * 1000:.0f} / "
           f"{r.finite[-1] * 1000:.0f}" if r.finite else "—")  # fmt: skip
    text = "exact" if not r.lost and not r.missing else "LOST"
    print(f"{sc.name:<9} {load:<14} {sc.render:<5} {render:<16} {lag:<20} "
          f"{r.cpu / r.wall:>5.2f}  {text:<9} {'yes' if r.ok else 'NO'}")  # fmt: skip
    if r.lost or r.missing:
        never = f" ({r.missing} tokens never shown)" if r.missing else ""
        print(f"  lost: {'; '.join(r.lost)}{never}")
    if r.tripped:
        print(f"  auto mode tripped {r.tripped}× (last: {r.trip_reason})")
    if not r.mode_ok:
        print(f"  expected {'fast mode' if sc.expect_fast else 'Markdown all along'}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Streaming benchmark (headless).")
    parser.add_argument("--scenario", choices=[sc.name for sc in SCENARIOS])
    parser.add_argument("--panes", type=int, help="one custom run: this many panes")
    parser.add_argument("--rate", type=float, default=100.0, help="tokens/s per pane")
    parser.add_argument("--seconds", type=float, default=10.0, help="streaming time")
    parser.add_argument("--render", choices=("auto", "markdown", "fast"), default="auto")
    parser.add_argument("--no-header", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.panes:
        tokens = int(args.rate * args.seconds)
        scenario = Scenario("custom", args.panes, args.rate, tokens, render=args.render)
    elif args.scenario:
        scenario = next(sc for sc in SCENARIOS if sc.name == args.scenario)
    else:
        # Each scenario in a fresh process, as each is a fresh session of the app.
        print(HEADER)
        codes = [
            subprocess.run(
                [sys.executable, __file__, "--scenario", sc.name, "--no-header"], check=False
            ).returncode
            for sc in SCENARIOS
        ]
        ok = not any(codes)
        print("within budget" if ok else "OVER BUDGET")
        return 0 if ok else 1
    watch_displays()
    result = asyncio.run(run(scenario))
    if "--no-header" not in sys.argv:
        print(HEADER)
    print_row(result)
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
