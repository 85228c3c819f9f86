"""A reply's text while it streams: plain wrapped lines, appended at the cost of the last line.

Streaming into a Markdown widget mounts a widget per block and lays the screen out again on
almost every append; with eight models writing 200 tokens a second each that cannot keep up
(see bench/bench_streaming.py). This widget keeps the text as wrapped lines and re-wraps only the
line still being written, so an append costs microseconds and a repaint of a few lines. The pane
uses it in fast mode for the whole reply, and otherwise for a list, table or heading still being
written (which streamed Markdown would rebuild on every word); the Markdown takes over the text
once its block is complete, and the whole reply once it ends.

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


class LiveText(Widget):
    """Text that grows at the end, shown wrapped to the widget's width."""

    DEFAULT_CSS = """
    LiveText { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = ""
        self._complete: list[str] = []
        """Source lines that ended with a newline."""
        self._tail = ""
        """The source line still being written."""
        self._width = 0
        self._lines: list[str] = []
        """Screen lines of the complete source lines."""
        self._tail_lines: list[str] = []

    @property
    def line_count(self) -> int:
        return len(self._lines) + len(self._tail_lines)

    def append(self, text: str) -> None:
        """Add text at the end; redraws only what changed (a layout only when it grew)."""
        if not text:
            return
        before = self.line_count
        first_changed = len(self._lines)
        self.text += text
        self._tail += text
        if "\n" in self._tail:
            *finished, self._tail = self._tail.split("\n")
            self._complete += finished
            if self._width:
                for line in finished:
                    self._lines += wrap_line(line, self._width)
        if self._width:
            self._tail_lines = wrap_line(self._tail, self._width) if self._tail else []
        if self.line_count != before or not self._width:
            self.refresh(layout=True)
        else:
            self.refresh(Region(0, first_changed, self.size.width, self.line_count - first_changed))

    def set_text(self, text: str) -> None:
        """Show `text` instead (the start of what was shown has moved into the Markdown)."""
        self.clear()
        self.append(text)

    def clear(self) -> None:
        """Forget the text (the reply has been handed to the Markdown)."""
        self.text = self._tail = ""
        self._complete, self._lines, self._tail_lines = [], [], []
        self.refresh(layout=True)

    def _rewrap(self, width: int) -> None:
        self._width = width
        self._lines = [part for line in self._complete for part in wrap_line(line, width)]
        self._tail_lines = wrap_line(self._tail, width) if self._tail else []

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if width != self._width:
            self._rewrap(width)
        return self.line_count

    def render_line(self, y: int) -> Strip:
        if self.size.width != self._width and self.size.width:
            self._rewrap(self.size.width)
        count = len(self._lines)
        if y < count:
            line = self._lines[y]
        elif y - count < len(self._tail_lines):
            line = self._tail_lines[y - count]
        else:
            line = ""
        style = self.rich_style
        return Strip([Segment(line, style)]).extend_cell_length(self.size.width, style)
