"""Per-provider admission control: a concurrency cap and the `:free` model request rate.

The cap keeps a large consensus from opening more connections than the endpoint (or a local
server) handles well; extra calls wait their turn instead of failing. Free model variants on
OpenRouter allow 20 requests a minute per account, so starts of `:free` calls are spaced with a
sliding window: waiting a few seconds beats a 429 and a retry.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

FREE_SUFFIX = ":free"
FREE_REQUESTS_PER_WINDOW = 20
FREE_WINDOW_SECONDS = 60.0


def is_free_model(model: str) -> bool:
    """Whether the model id names a rate-limited free variant."""
    return model.endswith(FREE_SUFFIX)


class SlidingWindow:
    """At most `limit` starts in any `window` seconds; `reserve` books a start or says how long
    to wait for one."""

    def __init__(
        self,
        limit: int = FREE_REQUESTS_PER_WINDOW,
        window: float = FREE_WINDOW_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._starts: deque[float] = deque()

    def reserve(self) -> float:
        """Book a start now and return 0, or return the seconds until one is free."""
        now = self._clock()
        while self._starts and self._starts[0] <= now - self.window:
            self._starts.popleft()
        if len(self._starts) < self.limit:
            self._starts.append(now)
            return 0.0
        return max(self._starts[0] + self.window - now, 0.001)


class ProviderLimits:
    """The admission gate of one provider: hold `slot(model)` for the whole call."""

    def __init__(
        self,
        max_concurrency: int,
        *,
        free_limit: int = FREE_REQUESTS_PER_WINDOW,
        free_window: float = FREE_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.max_concurrency = max_concurrency
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._free = SlidingWindow(free_limit, free_window, clock=clock)
        self._sleep = sleep

    @asynccontextmanager
    async def slot(
        self,
        model: str,
        on_wait: Callable[[float], None] | None = None,
        on_queue: Callable[[bool], None] | None = None,
    ) -> AsyncIterator[None]:
        """Wait for a free concurrency slot (and a `:free` start when the model is free).

        `on_wait(seconds)` is told before each wait for the free-model window, so the caller can
        say why the call is held and for how long (it may raise to give up instead).
        `on_queue(True)` / `on_queue(False)` bracket each wait for a concurrency slot: that
        queue is cltui's own cap, so a call's deadline does not count it."""
        free = is_free_model(model)
        while True:
            if on_queue is not None:
                on_queue(True)
            try:
                await self._semaphore.acquire()
            finally:
                if on_queue is not None:
                    on_queue(False)
            if not free:
                break
            wait = self._free.reserve()
            if wait <= 0:
                break
            # Waiting for the rate window must not hold a slot other models could use.
            self._semaphore.release()
            if on_wait is not None:
                on_wait(wait)
            await self._sleep(wait)
        try:
            yield
        finally:
            self._semaphore.release()
