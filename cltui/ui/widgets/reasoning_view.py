"""A reply's reasoning: a collapsed box above the reply, streamed as Markdown, settled once.

Few replies have reasoning, so the box is mounted on first use (fewer widgets make the first
frame sooner). Reasoning is model text like the reply: it goes through the display sanitiser
(`cltui.core.text`) in pieces while it streams, and whole when it is settled, and into a
`ReplyMarkdown` (HTML shown as text, headings wrapped).
"""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Collapsible, Markdown
from textual.widgets.markdown import MarkdownStream

from cltui.core.text import DisplayStream, display
from cltui.ui.widgets.reply_markdown import ReplyMarkdown


class ReasoningView:
    """The reasoning box of one pane, mounted in `pane` above `before` when first needed."""

    def __init__(self, pane: Widget, before: Widget) -> None:
        self._pane = pane
        self._before = before
        self._stream: MarkdownStream | None = None
        self._display = DisplayStream()

    async def _box(self) -> Collapsible:
        """The collapsed box, mounted on first use."""
        found = self._pane.query("#reasoning")
        if found:
            return found.first(Collapsible)
        box = Collapsible(
            ReplyMarkdown(id="reasoning-text"),
            title="Reasoning",
            collapsed=True,
            id="reasoning",
        )
        await self._pane.mount(box, before=self._before)
        return box

    async def write(self, reasoning: str) -> None:
        """Append streamed reasoning (showing the box)."""
        if self._stream is None:
            box = await self._box()
            box.display = True
            self._stream = Markdown.get_stream(box.query_one(Markdown))
            self._display = DisplayStream()
        shown = self._display.feed(reasoning)
        if shown:
            await self._stream.write(shown)

    async def stop(self) -> None:
        """Stop the stream (it flushes what it still holds)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.stop()

    async def show(self, text: str) -> None:
        """Settle the box on `text` (hidden when there is none)."""
        if not text and not self._pane.query("#reasoning"):
            return
        box = await self._box()
        box.display = bool(text)
        await box.query_one(Markdown).update(display(text))
