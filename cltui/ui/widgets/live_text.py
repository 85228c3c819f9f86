"""A reply's text while it streams: plain wrapped lines, appended at the cost of the last line.

Streaming into a Markdown widget mounts a widget per block and lays the screen out again on
almost every append; with eight models writing 200 tokens a second each that cannot keep up
(see bench/bench_streaming.py). `WrappedLines` keeps text as wrapped screen lines and re-wraps
only the line still being written, so an append costs microseconds. Two widgets draw it:

- `LiveText` (here) sits below the streamed Markdown and holds a list, table or heading still
  being written (which streamed Markdown would rebuild on every word). It is a few lines tall
  and grows with its text, which is a layout of the screen each time it gains a line: cheap
  enough for one block at a time.
- `FastText` (`fast_text.py`) holds the whole reply in fast mode, at a fixed size with its own
  scrolling, so a growing reply never lays the screen out again.

The Markdown takes over the text once its block is complete, and the whole reply once it ends.
The text is never parsed: it is drawn as it is, in the widget's own style.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.content import Content
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget


def wrap_line(line: str, width: int) -> list[str]:
    """One source line as screen lines of at most `width` cells (an empty line stays one)."""
    if not line:
        return [""]
    return [part.plain for part in Content(line).wrap(max(width, 1))]


class WrappedLines:
    """Text that grows at the end, kept as screen lines wrapped to a width.

    Until a width is set (the widget is laid out) only the source is kept."""

    def __init__(self) -> None:
        self.text = ""
        self.width = 0
        self._complete: list[str] = []
        """Source lines that ended with a newline."""
        self._tail = ""
        """The source line still being written."""
        self._lines: list[str] = []
        """Screen lines of the complete source lines."""
        self._tail_lines: list[str] = []

    @property
    def line_count(self) -> int:
        return len(self._lines) + len(self._tail_lines)

    def append(self, text: str) -> int:
        """Add text at the end; returns the first screen line that changed."""
        first_changed = len(self._lines)
        self.text += text
        self._tail += text
        if "\n" in self._tail:
            *finished, self._tail = self._tail.split("\n")
            self._complete += finished
            if self.width:
                for line in finished:
                    self._lines += wrap_line(line, self.width)
        if self.width:
            self._tail_lines = wrap_line(self._tail, self.width) if self._tail else []
        return first_changed

    def clear(self) -> None:
        self.text = self._tail = ""
        self._complete, self._lines, self._tail_lines = [], [], []

    def rewrap(self, width: int) -> None:
        """Wrap the whole text again, to `width` cells."""
        self.width = width
        self._lines = [part for line in self._complete for part in wrap_line(line, width)]
        self._tail_lines = wrap_line(self._tail, width) if self._tail else []

    def line(self, y: int) -> str:
        """Screen line `y` ("" past the end)."""
        count = len(self._lines)
        if 0 <= y < count:
            return self._lines[y]
        if 0 <= y - count < len(self._tail_lines):
            return self._tail_lines[y - count]
        return ""


class LiveText(Widget):
    """Text that grows at the end, shown wrapped to the widget's width (as tall as its text)."""

    DEFAULT_CSS = """
    LiveText { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._wrapped = WrappedLines()

    @property
    def text(self) -> str:
        return self._wrapped.text

    @property
    def line_count(self) -> int:
        return self._wrapped.line_count

    def append(self, text: str) -> None:
        """Add text at the end; redraws only what changed (a layout only when it grew)."""
        if not text:
            return
        wrapped = self._wrapped
        before = wrapped.line_count
        first_changed = wrapped.append(text)
        if wrapped.line_count != before or not wrapped.width:
            self.refresh(layout=True)
        else:
            count = wrapped.line_count - first_changed
            self.refresh(Region(0, first_changed, self.size.width, count))

    def set_text(self, text: str) -> None:
        """Show `text` instead (the start of what was shown has moved into the Markdown)."""
        self.clear()
        self.append(text)

    def clear(self) -> None:
        """Forget the text (the reply has been handed to the Markdown)."""
        if not self._wrapped.text:
            return  # already empty: no layout
        self._wrapped.clear()
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if width != self._wrapped.width:
            self._wrapped.rewrap(width)
        return self._wrapped.line_count

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if width != self._wrapped.width and width:
            self._wrapped.rewrap(width)
        style = self.rich_style
        return Strip([Segment(self._wrapped.line(y), style)]).extend_cell_length(width, style)
