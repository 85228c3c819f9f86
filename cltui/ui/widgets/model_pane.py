"""One model's pane: its answer rendered as Markdown while it streams; state in the title, usage
below.

The same widget serves proposers and the aggregator (`aggregator=True` only changes the look).
A reply streams through one `MarkdownStream` (headings, lists and code blocks take shape as the
text arrives); when it finishes, the stream stops and the Markdown is set once from the
authoritative text. Prose and code go into the stream word by word; a list, table, quote or
heading still being written waits below the Markdown as plain text until its block is complete
(`BlockSplitter`: streamed Markdown would rebuild it on every word), then goes in whole. Each
batch the stream appends reports how late it reached the screen, and every fragment its size,
to the screen's `RenderLoad`. When that says the screen cannot keep up
(many models writing fast at once), the pane switches to *fast mode* for the rest of the reply:
the partial Markdown is hidden and the text so far, then every new fragment, goes into a
`LiveText` (wrapped plain lines, cheap to extend); the reply is still shown as Markdown once it
ends. History shows a saved reply without streaming. Reasoning streams as Markdown into its own
collapsible in both modes (it is rarer, shorter and collapsed).

Following the text: the pane anchors to its end once the text overflows it, and stops following
as soon as the user scrolls away (until they scroll back to the end).
"""

from __future__ import annotations

import time
from collections import deque
from contextlib import suppress
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Collapsible, Markdown, Static
from textual.widgets.markdown import MarkdownStream

from cltui.core.costs import format_cost, format_tokens
from cltui.core.events import (
    Event,
    ReplyDelta,
    ReplyFinished,
    ReplyRetrying,
    ReplyStarted,
    TurnFinished,
    TurnStarted,
)
from cltui.core.session import Reply
from cltui.ui.keymap import PANE_BINDINGS
from cltui.ui.markdown_split import BlockSplitter
from cltui.ui.messages import PaneEvent
from cltui.ui.render_load import RenderLoad
from cltui.ui.safe_text import plain, styled
from cltui.ui.widgets.live_text import LiveText
from cltui.ui.widgets.reply_markdown import ReplyMarkdown

PaneState = Literal["idle", "waiting", "streaming", "retrying", "done", "error", "stopped"]
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STATE_ICONS: dict[str, str] = {
    "idle": "",
    "waiting": "…",
    "streaming": "⠿",
    "retrying": "↻",
    "done": "✓",
    "error": "✗",
    "stopped": "■",
}


def reply_state(reply: Reply | None) -> PaneState:
    """The pane state that shows a settled reply."""
    if reply is None:
        return "idle"
    if reply.status == "ok":
        return "done"
    if reply.status == "error":
        return "error"
    if reply.status == "pending":
        return "waiting"
    return "stopped"


def usage_line(reply: Reply) -> str:
    """Tokens, cost and time of a finished reply, for the pane's subtitle."""
    parts: list[str] = []
    tokens = reply.prompt_tokens + reply.completion_tokens
    if tokens:
        parts.append(
            f"{format_tokens(reply.prompt_tokens)}↑ {format_tokens(reply.completion_tokens)}↓"
        )
    if reply.cost is not None:
        parts.append(format_cost(reply.cost, reply.cost_estimated))
    if reply.duration_ms is not None:
        parts.append(f"{reply.duration_ms / 1000:.1f}s")
    return " · ".join(parts)


class ModelPane(VerticalScroll, can_focus=True):
    """A scrollable pane showing one model's reply (or the aggregate)."""

    ALLOW_MAXIMIZE = True
    BINDINGS: ClassVar[list[BindingType]] = list(PANE_BINDINGS)

    def __init__(
        self,
        slot: str,
        name: str,
        *,
        index: int,
        aggregator: bool = False,
        load: RenderLoad | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="-aggregator" if aggregator else "")
        self.load = load
        """Decides fast mode for the screen's panes (None: always stream Markdown)."""
        self.slot = slot
        """Where the engine's events for this pane are addressed."""
        self.model_name = name
        self.index = index
        """1-based position, as used by the focus keys."""
        self.aggregator = aggregator
        self.state: PaneState = "idle"
        self.text = ""
        """The reply text shown (live or from history): what copy takes."""
        self.reasoning = ""
        self.reply: Reply | None = None
        self.address: tuple[int, int] | None = None
        """(turn, round) of the reply shown, used to retry it."""
        self.spinner_frame = 0
        self.retry_note = ""
        self.note = ""
        """What the reply shown is, after the state: 'layer 2/3', 'round 2/3 aggregate'."""
        self.final = False
        """The aggregate shown is the turn's final answer (title and border say so)."""
        self.fast = False
        """The reply streaming now goes into the live text (fast mode), not the Markdown."""
        self._live: LiveText | None = None
        self._markdown: ReplyMarkdown | None = None
        self._stream: MarkdownStream | None = None
        self._reasoning_stream: MarkdownStream | None = None
        self._unshown: deque[tuple[int, float]] = deque()
        """(length of the text, when its event was sent) for text streamed but not yet shown."""
        self._splitter = BlockSplitter()
        self._sent = 0
        """How much of the text went into the Markdown stream."""
        self._live_from = 0
        """The live text shows the text from here on (what the Markdown does not show yet)."""
        self._release_at: int | None = None
        """Text held in the live text went into the stream up to here: the live text drops it
        once an append covers it (so it never vanishes before the Markdown shows it)."""

    def compose(self) -> ComposeResult:
        # The reasoning box is mounted when a reply has reasoning (few do; fewer widgets make
        # the first frame sooner).
        yield ReplyMarkdown(id="reply-text")
        yield LiveText(id="live-text")
        yield Static("", id="error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#error").display = False
        self.markdown.on_appended = self._appended
        self.refresh_title()

    async def on_unmount(self) -> None:
        # A stream left running would append to a Markdown that is no longer there.
        with suppress(Exception):
            await self._stop_streams()

    # -- title and subtitle ----------------------------------------------------------------------

    @property
    def prefix(self) -> str:
        """What the title and the tab start with: the pane's number, or Σ for the aggregator."""
        return "Σ " if self.aggregator else f"{self.index} "

    def refresh_title(self) -> None:
        """Show the model name and state, e.g. "atlas ⠙ streaming" (never parsed as markup)."""
        if self.state == "streaming":
            icon = SPINNER[self.spinner_frame % len(SPINNER)]
        else:
            icon = STATE_ICONS[self.state]
        if self.state == "retrying":
            word = self.retry_note  # says when and how often
        else:
            word = "" if self.state == "idle" else self.state
        if self.fast and self.state == "streaming":
            word += " · fast"
        parts: list[Content | tuple[str, str] | str] = [
            (self.prefix, "dim"), plain(self.model_name), " ", (f"{icon} {word}".strip(), "italic")
        ]  # fmt: skip
        if self.final and self.state == "done":
            parts.append((" ★ final answer", "bold"))
        elif self.note:
            parts.append((f" · {self.note}", "dim"))
        self.border_title = Content.assemble(*parts)
        # One batch: each class change restyles the pane and every Markdown block inside it.
        self.update_classes(
            {
                "-final": self.final and self.state == "done",
                "-error": self.state == "error",
                "-streaming": self.state == "streaming",
                "-done": self.state == "done",
            }
        )

    def tick(self) -> None:
        """Advance the spinner (called by the screen's animation timer)."""
        if self.state == "streaming":
            self.spinner_frame += 1
            self.refresh_title()

    def _set_state(self, state: PaneState) -> None:
        self.state = state
        self.refresh_title()

    def set_note(self, note: str, *, final: bool = False) -> None:
        """Say what the reply shown is (a layer, a round's aggregate, the final answer)."""
        if (note, final) != (self.note, self.final):
            if final and not self.final:
                self._unfollow()
                # The final answer is read from its start (again once laid out, in case a
                # scroll to the end is still pending).
                self.scroll_home(animate=False)
                self.call_after_refresh(self.scroll_home, animate=False)
            self.note = note
            self.final = final
            self.refresh_title()

    def _follow(self) -> None:
        """Keep the newest text in view once it overflows the pane.

        Anchoring only when the text is taller than the pane (and not again after the user
        scrolled away): an anchored pane whose content is still shorter than itself can be
        laid out with a negative scroll offset, which pushes the text out of sight."""
        if not self.is_anchored and not self.final and self.max_scroll_y > 0:
            self.anchor()

    def _unfollow(self) -> None:
        """Stop following and put the scroll offset back in range."""
        if self.is_anchored:
            self.anchor(False)
        self._anchor_released = False
        if not 0 <= self.scroll_y <= self.max_scroll_y:
            self.scroll_to(y=min(max(self.scroll_y, 0), self.max_scroll_y), animate=False)

    # -- live events -----------------------------------------------------------------------------

    @on(PaneEvent)
    async def _on_pane_event(self, message: PaneEvent) -> None:
        await self.apply(message.event, message.note, sent_at=message.sent_at)

    async def apply(
        self, event: Event, note: str | None = None, *, sent_at: float | None = None
    ) -> None:
        """Apply one engine event addressed to this pane (`sent_at`: when the bridge posted it,
        on `time.monotonic`, to measure how late streamed text is shown)."""
        if isinstance(event, ReplyStarted):
            await self.begin(event.turn, event.round, event.model)
            self.set_note(note or "")
        elif isinstance(event, ReplyDelta):
            await self.add_delta(event.text, event.reasoning, sent_at=sent_at)
        elif isinstance(event, ReplyRetrying):
            self.retry_note = (
                f"retrying in {event.delay:.0f}s ({event.attempt}/{event.max_attempts})"
            )
            self._set_state("retrying")
        elif isinstance(event, ReplyFinished):
            await self.finish(event.reply)
        elif isinstance(event, TurnFinished):
            await self.interrupt()
            if self.aggregator and event.status == "complete" and self.reply is not None:
                self.set_note("", final=True)
        elif isinstance(event, TurnStarted):
            await self.clear()

    async def clear(self) -> None:
        """A new question: empty the pane until its model starts answering."""
        await self.show_reply(None, address=None)
        self._set_state("waiting")

    async def show_hint(self, text: str) -> None:
        """Show fixed guidance (our own Markdown) in an empty pane."""
        await self.markdown.update(text)

    async def begin(self, turn: int, round: int, model: str) -> None:
        """A new reply starts: clear the pane, pick the streaming mode and follow its text."""
        await self._stop_streams()
        self.address = (turn, round)
        self.final = False
        self.text = ""
        self.reasoning = ""
        self.reply = None
        self.fast = self.load.fast if self.load is not None else False
        self._reset_split()
        self.border_subtitle = ""
        self.query_one("#error").display = False
        self._unfollow()
        self.markdown.display = True
        await self.markdown.update("")
        await self._show_reasoning("")
        self.live.clear()
        self.scroll_home(animate=False)
        self._set_state("waiting")

    async def add_delta(self, text: str, reasoning: str, *, sent_at: float | None = None) -> None:
        """Append streamed text (and reasoning) to the reply: into the Markdown stream, or the
        live text in fast mode."""
        if self.state != "streaming":
            self._set_state("streaming")
        if reasoning:
            self.reasoning += reasoning
            if self._reasoning_stream is None:
                box = await self._reasoning_box()
                box.display = True
                self._reasoning_stream = Markdown.get_stream(box.query_one(Markdown))
            await self._reasoning_stream.write(reasoning)
        if not text:
            return
        self.text += text
        load = self.load
        if load is not None:
            load.note_text(len(text))
        if self.fast:
            self.live.append(text)
            self._follow()
        elif load is not None and load.fast:
            await self._go_fast()
        else:
            await self._stream_markdown(len(self.text) - len(text), sent_at)

    async def _stream_markdown(self, before: int, sent_at: float | None) -> None:
        """Stream what can be streamed of the text; the rest (a structured block in progress)
        shows in the live text. `before`: the text's length before this delta."""
        text = self.text
        safe = max(self._splitter.safe_end(text), self._sent)
        chunk = text[self._sent : safe]
        if chunk:
            if self._live_from < min(safe, before):
                self._release_at = safe  # held text on show: keep it until the append lands
            self._sent = safe
            if sent_at is not None:
                self._unshown.append((safe, sent_at))
        if self._release_at is None and self._live_from != self._sent:
            self._live_from = self._sent
            self.live.set_text(text[self._sent :])
        else:
            self.live.append(text[max(before, self._live_from) :])
        if self.live.text:
            self._follow()
        if chunk:
            if self._stream is None:
                self._stream = Markdown.get_stream(self.markdown)
            await self._stream.write(chunk)

    async def _go_fast(self) -> None:
        """Switch the streaming reply to fast mode: the live text takes over from here, starting
        with everything received so far; the partial Markdown is hidden until the reply ends."""
        self.fast = True
        stream, self._stream = self._stream, None
        self._unshown.clear()
        if stream is not None:
            await stream.stop()
        self.markdown.display = False
        self._release_at = None
        self._live_from = 0
        self.live.set_text(self.text)
        self.refresh_title()
        self._follow()

    def _reset_split(self) -> None:
        self._splitter = BlockSplitter()
        self._sent = self._live_from = 0
        self._release_at = None

    def _appended(self, covered: int) -> None:
        """A streamed append is done: report how late its oldest text is, let the live text
        drop what the Markdown now shows, and follow the text."""
        if self._stream is None:
            return  # the final flush of a stopped stream
        unshown = self._unshown
        oldest: float | None = None
        while unshown and unshown[0][0] <= covered:
            sent_at = unshown.popleft()[1]
            if oldest is None:
                oldest = sent_at
        if oldest is not None and self.load is not None:
            self.load.note_lag(time.monotonic() - oldest)
        if self._release_at is not None and covered >= self._release_at:
            self._release_at = None
            self._live_from = self._sent
            self.live.set_text(self.text[self._sent :])
        self.call_after_refresh(self._follow)

    async def _reasoning_box(self) -> Collapsible:
        """The collapsed reasoning box above the reply, mounted on first use."""
        found = self.query("#reasoning")
        if found:
            return found.first(Collapsible)
        box = Collapsible(
            Markdown(open_links=False, id="reasoning-text"),
            title="Reasoning",
            collapsed=True,
            id="reasoning",
        )
        await self.mount(box, before=self.markdown)
        return box

    async def _show_reasoning(self, text: str) -> None:
        """Settle the reasoning box on `text` (hidden when there is none)."""
        if not text and not self.query("#reasoning"):
            return
        box = await self._reasoning_box()
        box.display = bool(text)
        await box.query_one(Markdown).update(text)

    @property
    def live(self) -> LiveText:
        if self._live is None:
            self._live = self.query_one(LiveText)
        return self._live

    @property
    def markdown(self) -> ReplyMarkdown:
        """Where the reply is shown (streamed, or set once when settled)."""
        if self._markdown is None:
            self._markdown = self.query_one("#reply-text", ReplyMarkdown)
        return self._markdown

    async def finish(self, reply: Reply) -> None:
        """The reply ended: settle the Markdown on its final text and show usage."""
        await self._stop_streams()
        await self.show_reply(reply, address=self.address, scroll=False)

    async def interrupt(self) -> None:
        """The turn was cancelled: keep what arrived and mark the pane stopped."""
        if self.state not in ("waiting", "streaming", "retrying"):
            return
        await self._stop_streams()
        self._unfollow()
        await self._settle_markdown(self.text)
        self._set_state("stopped")

    async def _stop_streams(self) -> None:
        """Stop the reply's streams (each flushes what it still holds)."""
        stream, self._stream = self._stream, None
        self._unshown.clear()
        if stream is not None:
            await stream.stop()
        if self._reasoning_stream is not None:
            await self._reasoning_stream.stop()
        self._reasoning_stream = None

    async def _settle_markdown(self, text: str) -> None:
        """Show `text` as Markdown, set once, and drop the live text (after fast mode)."""
        self.markdown.display = True
        await self.markdown.update(text)
        self.live.clear()
        self.fast = False
        self._reset_split()

    # -- settled replies (finish and history) ----------------------------------------------------

    async def show_reply(
        self, reply: Reply | None, *, address: tuple[int, int] | None, scroll: bool = True
    ) -> None:
        """Show a settled reply (or nothing) without streaming."""
        await self._stop_streams()
        following = self.is_anchored and not self._anchor_released
        self._unfollow()
        streamed = self.text if address == self.address else ""
        self.reply = reply
        self.address = address
        text = reply.content if reply is not None else ""
        if reply is not None and not text and reply.status != "ok":
            text = streamed  # keep what arrived before the failure
        self.text = text
        self.reasoning = reply.reasoning if reply is not None else ""
        # The state (a CSS class) changes before the Markdown fills: a class change restyles
        # every widget in the pane, and right after streaming the pane holds only the live text.
        self._set_state(reply_state(reply))
        await self._show_reasoning(self.reasoning)
        await self._settle_markdown(text)
        error = self.query_one("#error", Static)
        if reply is not None and reply.status == "error":
            error.update(styled("[b]✗ $reason[/b]\n[dim]Press r to retry this model.[/dim]",
                                reason=reply.error or "the call failed"))  # fmt: skip
            error.display = True
        elif reply is not None and reply.status in ("partial", "cancelled") and reply.error:
            error.update(styled("[dim]■ $reason[/dim]", reason=reply.error))
            error.display = True
        else:
            error.display = False
        self.border_subtitle = plain(usage_line(reply)) if reply is not None else ""
        if scroll or self.final:
            self.scroll_home(animate=False)
        elif following:
            self.call_after_refresh(self._keep_following)

    def _keep_following(self) -> None:
        """After a settled reply is laid out, show its end again (unless it became the final
        answer meanwhile, which is read from its start)."""
        if not self.final:
            self.scroll_end(animate=False)

    @property
    def retryable(self) -> bool:
        """Failed replies can be asked again."""
        return self.state == "error" and self.address is not None
