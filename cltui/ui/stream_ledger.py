"""The bookkeeping of one reply streaming into a pane: which part went into the Markdown stream,
which part the live text shows, and how late the Markdown is.

A reply streams into two widgets at once: its Markdown (prose and code, word by word) and, below
it, a plain live text holding what the Markdown cannot take yet (a list, table or heading still
being written, see `BlockSplitter`). When such a block is complete it goes into the Markdown
stream in one piece, but the Markdown shows it only once its append is done; until then the live
text keeps showing it, so text never vanishes and reappears. Each append also tells how late its
oldest text reached the screen, which decides fast mode (`RenderLoad`).

These are offsets and timestamps only, so they live apart from the widgets and are tested as
plain values; `ReplyStreamer` applies the steps to the widgets.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from cltui.ui.markdown_split import BlockSplitter


@dataclass(frozen=True, slots=True)
class StreamStep:
    """What to do with the widgets after the reply grew."""

    chunk: str
    """Text to write into the Markdown stream ("" for none)."""
    live_text: str | None
    """Show this in the live text instead of what it shows (None: append `live_append`)."""
    live_append: str = ""


@dataclass(frozen=True, slots=True)
class Shown:
    """What an append that is done means for the pane."""

    oldest_sent_at: float | None
    """When the oldest text this append brought on screen was sent (None: none was timed)."""
    live_text: str | None
    """The live text now shows only this (None: leave it as it is)."""


class StreamLedger:
    """Tracks one streaming reply's split between the Markdown stream and the live text."""

    def __init__(self) -> None:
        self._splitter = BlockSplitter()
        self.sent = 0
        """How much of the text went into the Markdown stream."""
        self.live_from = 0
        """The live text shows the text from here on (what the Markdown does not show yet)."""
        self._release_at: int | None = None
        """Text held in the live text went into the stream up to here: the live text drops it
        once an append covers it (so it never vanishes before the Markdown shows it)."""
        self._unshown: deque[tuple[int, float]] = deque()
        """(length of the text, when its event was sent) for text streamed but not yet shown."""

    def reset(self) -> None:
        """A new reply (or a settled one): nothing streamed, nothing held."""
        self._splitter = BlockSplitter()
        self.sent = self.live_from = 0
        self._release_at = None
        self._unshown.clear()

    def forget_unshown(self) -> None:
        """The stream stopped: its last appends are no measure of the screen's pace."""
        self._unshown.clear()

    def hand_all_to_live(self) -> None:
        """Fast mode took over: the fast view shows the whole reply (from offset 0) from now
        on, and nothing is held below a Markdown."""
        self._unshown.clear()
        self._release_at = None
        self.live_from = 0

    def step(self, text: str, before: int, sent_at: float | None) -> StreamStep:
        """The reply is now `text` (it was `before` characters long): what goes into the stream
        and what the live text shows. `sent_at`: when the new text was sent, to time it."""
        safe = max(self._splitter.safe_end(text), self.sent)
        chunk = text[self.sent : safe]
        if chunk:
            if self.live_from < min(safe, before):
                self._release_at = safe  # held text on show: keep it until the append lands
            self.sent = safe
            if sent_at is not None:
                self._unshown.append((safe, sent_at))
        if self._release_at is None and self.live_from != self.sent:
            self.live_from = self.sent
            return StreamStep(chunk, text[self.sent :])
        return StreamStep(chunk, None, text[max(before, self.live_from) :])

    def shown(self, covered: int, text: str) -> Shown:
        """An append is done and the Markdown shows the first `covered` characters of `text`."""
        unshown = self._unshown
        oldest: float | None = None
        while unshown and unshown[0][0] <= covered:
            sent_at = unshown.popleft()[1]
            if oldest is None:
                oldest = sent_at
        live_text: str | None = None
        if self._release_at is not None and covered >= self._release_at:
            self._release_at = None
            self.live_from = self.sent
            live_text = text[self.sent :]
        return Shown(oldest, live_text)
