"""A reply in fast mode: plain wrapped lines in a view of fixed size that scrolls itself.

In fast mode eight models may each add a line to their pane several times a second. A widget
that grows with its text (as tall as its lines, inside the pane's scrolling) changes its outer
size on each new line, and Textual answers every such change with a layout of the whole screen:
at that rate the layouts alone would take most of a core. `FastText` fills the pane's content
area instead (`height: 1fr`) and keeps its own scroll position: a new line grows only its
*virtual* size (set without asking for a layout), repaints the lines that changed and moves its
scrollbar, at the next repaint tick (`REPAINT_PERIOD`). Only the lines in view are drawn.

It follows the end of the text (Textual's anchor) until the user scrolls up, and follows again
once they scroll back to the end. The scrollbar's column is always reserved (`scrollbar-gutter:
stable`), so the wrap width does not change when the scrollbar appears.
"""

from __future__ import annotations

import asyncio

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cltui.ui.widgets.live_text import WrappedLines

REPAINT_PERIOD = 1 / 40
"""Seconds between repaints of a growing view. Every view repaints on the same ticks of the
event loop's clock, so eight streaming panes make one frame per tick, not one each (a frame
costs about the same whatever part of the screen it redraws)."""


class FastText(ScrollView, can_focus=False):
    """Text that grows at the end, wrapped to the view's width, scrolled within the view."""

    DEFAULT_CSS = """
    FastText {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._wrapped = WrappedLines()
        self._line_style = Style()
        """The widget's style, looked up once per frame (`render_lines`)."""
        self._pending_from: int | None = None
        """The first screen line changed since the last repaint tick (None: none)."""
        self._repaint: asyncio.TimerHandle | None = None

    @property
    def text(self) -> str:
        return self._wrapped.text

    @property
    def line_count(self) -> int:
        """Screen lines of the text at the current width (0 before the first layout)."""
        return self._wrapped.line_count

    @property
    def following(self) -> bool:
        """The view keeps the end of the text in sight (the user has not scrolled away)."""
        return self.is_anchored and not self._anchor_released

    def follow(self) -> None:
        """Keep the end of the text in view from now on (until the user scrolls up)."""
        self.anchor()

    def append(self, text: str) -> None:
        """Add text at the end; the changed lines are repainted at the next repaint tick
        (never a layout of the screen)."""
        if not text:
            return
        first_changed = self._wrapped.append(text)
        if not self._wrapped.width:
            return  # not laid out yet: the first layout wraps it all
        if self._pending_from is None or first_changed < self._pending_from:
            self._pending_from = first_changed
        if self._repaint is None:
            loop = asyncio.get_running_loop()
            now = loop.time()
            tick = now - now % REPAINT_PERIOD + REPAINT_PERIOD
            self._repaint = loop.call_at(tick, self._repaint_pending)

    def _repaint_pending(self) -> None:
        """Show what was appended since the last repaint tick."""
        self._repaint = None
        first, self._pending_from = self._pending_from, None
        if first is None or not self.is_attached:
            return
        self._sync_virtual_size()
        self.refresh_lines(first, self._wrapped.line_count - first)

    def _cancel_repaint(self) -> None:
        if self._repaint is not None:
            self._repaint.cancel()
            self._repaint = None
        self._pending_from = None

    def on_unmount(self) -> None:
        self._cancel_repaint()

    def set_text(self, text: str) -> None:
        """Show `text` instead of what is shown (now)."""
        self._cancel_repaint()
        self._wrapped.clear()
        self._wrapped.append(text)
        if self._wrapped.width:
            self._wrapped.rewrap(self._wrapped.width)
        self._sync_virtual_size()
        self.refresh()

    def clear(self) -> None:
        """Forget the text (the reply has been handed to the Markdown)."""
        self.set_text("")

    def _wrap_width(self) -> int:
        # The scrollbar's column is reserved whether it shows or not (scrollbar-gutter: stable).
        return max(self.container_size.width - self.styles.scrollbar_size_vertical, 0)

    def _sync_virtual_size(self) -> None:
        """Give the view the text's height, without a layout (the `virtual_size` reactive
        would ask for one), and keep the end in view when following."""
        size = Size(self._wrapped.width, self._wrapped.line_count)
        if size != self.virtual_size:
            self.set_reactive(ScrollView.virtual_size, size)
            self._scroll_update(size)
        if self.following and self.scroll_y != self.max_scroll_y:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        width = self._wrap_width()
        if width and width != self._wrapped.width:
            self._cancel_repaint()  # all of it is repainted now
            self._wrapped.rewrap(width)
            self._sync_virtual_size()
            self.refresh()
        return changed

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Scrolled back to the end after scrolling away: follow the text again.
        if self.is_anchored and self._anchor_released and new_value >= self.max_scroll_y:
            self._anchor_released = False

    def render_lines(self, crop: Region) -> list[Strip]:
        # One look-up of the style per frame, not one per line.
        self._line_style = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self._wrapped.width
        line = self._wrapped.line(round(self.scroll_y) + y)
        padding = width - cell_len(line)
        if padding < 0:
            return Strip([Segment(line, self._line_style)]).crop(0, width)
        return Strip([Segment(line + " " * padding, self._line_style)], width)
