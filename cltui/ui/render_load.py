"""Whether replies stream as Markdown or as plain text: a measured decision, with hysteresis.

Replies normally stream into a Markdown widget, so headings, lists and code blocks take shape as
they arrive. Streamed Markdown costs a parse and a layout per batch of text, and when many models
write fast at once (eight panes at 200 tokens a second each) the screen falls seconds behind.
Then panes switch to *fast mode*: the text streams as plain wrapped lines (`FastText`, a
fixed-size scroll view that grows without relaying out the screen) and is shown as Markdown once,
when the reply ends.

`RenderLoad` makes that call for a screen. Panes report two things:

- every streamed fragment's size (`note_text`), from which it keeps the characters per second
  streamed across all panes over a short window;
- how late streamed Markdown is on screen (`note_lag`): the time from the engine's event to the
  end of the Markdown append that shows it.

It *trips* into fast mode when the rate reaches `trip_rate` (the rate above which streamed
Markdown misses the 100 ms display budget, found with `bench/bench_streaming.py`), or when the
lag stays above `trip_lag` for `trip_after` seconds (a slower machine, a long document). Once
tripped it stays in fast mode until the load has been normal for `calm_after` seconds: a rate
below `calm_fraction` of the rate that tripped it and no late Markdown. Panes streaming when it
trips switch for the rest of their reply; a reply that starts asks `fast` once and keeps that
mode. So the mode never flaps within a reply, and later replies go back to Markdown.

The mode can also be fixed (`CLTUI_RENDER=markdown|fast|auto`, default auto).

The clock is injected so the decisions can be tested without waiting.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Literal, get_args

RenderMode = Literal["auto", "markdown", "fast"]
RENDER_MODES: tuple[str, ...] = get_args(RenderMode)
RENDER_ENV = "CLTUI_RENDER"

TRIP_RATE = 3000.0
"""Characters per second across panes from which streamed Markdown stops keeping up (measured
with bench/bench_streaming.py, about 6 characters a token: see the README's Benchmarks)."""
TRIP_LAG = 0.25
"""Seconds from an event to the end of the Markdown append that shows it: later than this..."""
TRIP_AFTER = 0.5
"""...for this long in a row trips fast mode (one late append, e.g. a long list rendered when
it ends, does not)."""
CALM_FRACTION = 0.6
CALM_AFTER = 2.0
WINDOW = 0.5
"""Seconds over which the streamed rate is counted."""


def parse_render_mode(value: str | None) -> tuple[RenderMode, str | None]:
    """The mode named by `CLTUI_RENDER`, and a notice when the value is not one we know."""
    text = (value or "").strip().lower()
    if not text:
        return "auto", None
    if text in RENDER_MODES:
        return text, None  # type: ignore[return-value]
    return "auto", f"{RENDER_ENV}={value!r} ignored: use markdown, fast or auto."


class RenderLoad:
    """Decides, for one screen, whether streaming replies use fast mode."""

    def __init__(
        self,
        mode: RenderMode = "auto",
        *,
        trip_rate: float = TRIP_RATE,
        trip_lag: float = TRIP_LAG,
        trip_after: float = TRIP_AFTER,
        calm_fraction: float = CALM_FRACTION,
        calm_after: float = CALM_AFTER,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        self.mode: RenderMode = mode
        self.trip_rate = trip_rate
        self.trip_lag = trip_lag
        self.trip_after = trip_after
        self.calm_fraction = calm_fraction
        self.calm_after = calm_after
        self.window = window
        self.clock = clock
        self.on_change = on_change
        """Told when auto mode trips (True) or calms down (False)."""
        self._sizes: deque[tuple[float, int]] = deque()
        self._chars_in_window = 0
        self._tripped = False
        self._calm_rate = 0.0
        self._last_high = 0.0
        """When the load was last seen too high to go back to Markdown."""
        self._late_since: float | None = None
        """When the current run of late Markdown began."""
        self.trips = 0
        """How many times auto mode has tripped (the benchmark reports it)."""
        self.last_trip = ""
        """Why it last tripped: 'rate 5200/s' or 'lag 0.31 s'."""

    @property
    def fast(self) -> bool:
        """Stream in fast mode now? (Asked when a reply starts, and after each report.)"""
        if self.mode != "auto":
            return self.mode == "fast"
        if self._tripped and self.clock() - self._last_high >= self.calm_after:
            self._set_tripped(False)
        return self._tripped

    @property
    def rate(self) -> float:
        """Characters per second streamed across panes over the last `window` seconds."""
        self._forget_before(self.clock() - self.window)
        return self._chars_in_window / self.window

    def note_text(self, size: int) -> None:
        """A pane received `size` characters of streamed text."""
        if self.mode != "auto" or size <= 0:
            return
        now = self.clock()
        self._sizes.append((now, size))
        self._chars_in_window += size
        rate = self.rate
        if self._tripped:
            if rate >= self._calm_rate:
                self._last_high = now
        elif rate >= self.trip_rate:
            self._trip(now, rate, f"rate {rate:.0f}/s")

    def note_lag(self, lag: float) -> None:
        """Streamed Markdown reached the screen `lag` seconds after its event was sent."""
        if self.mode != "auto":
            return
        now = self.clock()
        if lag < self.trip_lag:
            self._late_since = None
            return
        if self._tripped:
            self._last_high = now
            return
        if self._late_since is None:
            self._late_since = now
        if now - self._late_since >= self.trip_after:
            self._trip(now, self.rate, f"lag {lag:.2f} s")

    def _trip(self, now: float, rate: float, reason: str) -> None:
        # Markdown could not keep up at this rate: only a clearly lower one brings it back.
        self._calm_rate = min(rate, self.trip_rate) * self.calm_fraction
        self._last_high = now
        self._late_since = None
        self.trips += 1
        self.last_trip = reason
        self._set_tripped(True)

    def _set_tripped(self, tripped: bool) -> None:
        if tripped != self._tripped:
            self._tripped = tripped
            if self.on_change is not None:
                self.on_change(tripped)

    def _forget_before(self, cutoff: float) -> None:
        sizes = self._sizes
        while sizes and sizes[0][0] < cutoff:
            self._chars_in_window -= sizes.popleft()[1]
