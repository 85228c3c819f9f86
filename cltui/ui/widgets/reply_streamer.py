"""Streams one reply's text into a pane: Markdown while the screen keeps up, plain text when not.

By default the text goes through one `MarkdownStream` (headings, lists and code blocks take shape
as it arrives), with a structured block still being written held below it as plain live text
(`StreamLedger` keeps the offsets). Each append the stream completes reports how late its text
reached the screen, and every fragment its size, to the screen's `RenderLoad`. When that says the
screen cannot keep up (many models writing fast at once), the reply switches to *fast mode* for
the rest of it: the partial Markdown is hidden, and the text so far, then every new fragment,
goes into the `FastText` (wrapped plain lines in a fixed-size view that scrolls itself, so a
growing reply never lays the screen out). Either way, once the reply ends the Markdown is set
once from the authoritative text (`settle`) and the fast view is hidden again.

Model text is untrusted: every widget gets its display form (`cltui.core.text`: control
characters as visible symbols, so an escape sequence never reaches the terminal), built once per
fragment; the ledger's offsets count that form. `text` stays the reply as the model sent it (what
copy takes).

This class owns that switching and nothing else; the pane decides when a reply starts and ends,
and how to follow its text (it passes `follow` and `went_fast` for that); in fast mode the
fast view follows the text itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream

from cltui.core.text import DisplayStream, display
from cltui.ui.render_load import RenderLoad
from cltui.ui.stream_ledger import StreamLedger
from cltui.ui.widgets.fast_text import FastText
from cltui.ui.widgets.live_text import LiveText
from cltui.ui.widgets.reply_markdown import ReplyMarkdown


class ReplyStreamer:
    """The text of the reply shown in one pane, and how it reaches the screen."""

    def __init__(
        self,
        markdown: ReplyMarkdown,
        live: LiveText,
        fast_view: FastText,
        *,
        load: RenderLoad | None,
        follow: Callable[[], None],
        went_fast: Callable[[], None],
    ) -> None:
        self.markdown = markdown
        self.live = live
        """Below the Markdown: a structured block still being written."""
        self.fast_view = fast_view
        """The whole reply in fast mode (shown instead of the Markdown)."""
        self.load = load
        """Decides fast mode for the screen's panes (None: always stream Markdown)."""
        self._follow = follow
        """Keeps the newest text in view (the pane's scrolling policy)."""
        self._went_fast = went_fast
        """Told when a reply switches to fast mode (the title says so)."""
        self.text = ""
        """The reply's text so far (or the settled reply's), as the model sent it."""
        self.shown = ""
        """`text` as the widgets show it (`display`), the text the ledger's offsets count."""
        self._display = DisplayStream()
        self.fast = False
        """The reply streaming now goes into the live text (fast mode), not the Markdown."""
        self.ledger = StreamLedger()
        self._stream: MarkdownStream | None = None

    def start(self) -> None:
        """A new reply: no text yet, and the streaming mode the screen's load asks for now."""
        self.text = self.shown = ""
        self._display = DisplayStream()
        self.fast = self.load.fast if self.load is not None else False
        self.ledger.reset()

    async def clear_view(self) -> None:
        """Empty the widgets for a reply about to stream, showing the one its mode uses."""
        self._show_fast_view(self.fast)
        await self.markdown.update("")
        self.live.clear()
        self.fast_view.clear()
        if self.fast:
            self.fast_view.follow()

    def _show_fast_view(self, fast: bool) -> None:
        """Show the fast view (fast mode) or the Markdown, not both."""
        self.markdown.display = not fast
        self.fast_view.display = fast

    async def add(self, text: str, sent_at: float | None) -> None:
        """Append streamed text: into the Markdown stream, or the live text in fast mode.
        `sent_at`: when the bridge posted it (on `time.monotonic`), to time how late it shows."""
        self.text += text
        load = self.load
        if load is not None:
            load.note_text(len(text))
        shown = self._display.feed(text)
        if not shown:
            return  # a CR held back until the next fragment says whether a LF follows
        self.shown += shown
        if self.fast:
            self.fast_view.append(shown)
        elif load is not None and load.fast:
            await self._go_fast()
        else:
            await self._stream_markdown(len(self.shown) - len(shown), sent_at)

    async def _stream_markdown(self, before: int, sent_at: float | None) -> None:
        """Stream what can be streamed of the text; the rest (a structured block in progress)
        shows in the live text. `before`: the text's length before this delta."""
        step = self.ledger.step(self.shown, before, sent_at)
        if step.live_text is not None:
            self.live.set_text(step.live_text)
        else:
            self.live.append(step.live_append)
        if self.live.text:
            self._follow()
        if step.chunk:
            if self._stream is None:
                self._stream = Markdown.get_stream(self.markdown)
            await self._stream.write(step.chunk)

    async def _go_fast(self) -> None:
        """Switch the streaming reply to fast mode: the fast view takes over from here, starting
        with everything received so far; the partial Markdown is hidden until the reply ends."""
        self.fast = True
        stream, self._stream = self._stream, None
        self.ledger.forget_unshown()
        if stream is not None:
            await stream.stop()
        self.ledger.hand_all_to_live()
        self.live.clear()
        self._show_fast_view(True)
        self.fast_view.set_text(self.shown)
        self.fast_view.follow()
        self._went_fast()

    def appended(self, covered: int) -> bool:
        """A streamed append is done (the Markdown shows `covered` characters): report how late
        its oldest text is and let the live text drop what the Markdown now shows. True when the
        text moved on screen (the pane should follow it once laid out)."""
        if self._stream is None:
            return False  # the final flush of a stopped stream
        shown = self.ledger.shown(covered, self.shown)
        if shown.oldest_sent_at is not None and self.load is not None:
            self.load.note_lag(time.monotonic() - shown.oldest_sent_at)
        if shown.live_text is not None:
            self.live.set_text(shown.live_text)
        return True

    async def stop(self) -> None:
        """Stop the Markdown stream (it flushes what it still holds)."""
        stream, self._stream = self._stream, None
        self.ledger.forget_unshown()
        if stream is not None:
            await stream.stop()

    async def settle(self, text: str) -> None:
        """Show `text` as Markdown, set once, and drop the live text and the fast view."""
        self.text = text
        self.shown = display(text)
        self._display = DisplayStream()
        self.markdown.display = True
        await self.markdown.update(self.shown)
        self.live.clear()
        if self.fast_view.display or self.fast_view.text:
            self.fast_view.display = False
            self.fast_view.clear()
        self.fast = False
        self.ledger.reset()
