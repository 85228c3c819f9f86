"""One model's pane: its answer live as it streams, then as Markdown; state in the title, usage
below.

The same widget serves proposers and the aggregator (`aggregator=True` only changes the look).
While a reply streams, its text goes into a `LiveText` (wrapped plain lines, cheap to extend:
eight panes at 200 tokens a second each keep up, where a streamed Markdown falls seconds behind);
when the reply finishes, the Markdown is set once from the authoritative text and the live text
is dropped. History shows a saved reply the same way, without streaming. Reasoning, which is
rarer and shorter, streams into its own Markdown.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual import on
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
from cltui.ui.messages import PaneEvent
from cltui.ui.safe_text import plain, styled
from cltui.ui.widgets.live_text import LiveText

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
STATE_WORDS: dict[str, str] = {
    "idle": "",
    "waiting": "waiting",
    "streaming": "streaming",
    "retrying": "retrying",
    "done": "done",
    "error": "error",
    "stopped": "stopped",
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
        self, slot: str, name: str, *, index: int, aggregator: bool = False, id: str | None = None
    ) -> None:
        super().__init__(id=id, classes="-aggregator" if aggregator else "")
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
        self._live: LiveText | None = None
        self._reasoning_stream: MarkdownStream | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        with Collapsible(title="Reasoning", collapsed=True, id="reasoning"):
            yield Markdown(open_links=False, id="reasoning-text")
        yield LiveText(id="live-text")
        yield Markdown(open_links=False, id="reply-text")
        yield Static("", id="error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#reasoning").display = False
        self.query_one("#error").display = False
        self.refresh_title()

    # -- title and subtitle ----------------------------------------------------------------------

    def refresh_title(self) -> None:
        """Show the model name and state, e.g. "atlas ⠙ streaming" (never parsed as markup)."""
        if self.state == "streaming":
            icon = SPINNER[self.spinner_frame % len(SPINNER)]
        else:
            icon = STATE_ICONS[self.state]
        word = self.retry_note if self.state == "retrying" else STATE_WORDS[self.state]
        prefix = "Σ " if self.aggregator else f"{self.index} "
        parts: list[Content | tuple[str, str] | str] = [
            (prefix, "dim"), plain(self.model_name), " ", (f"{icon} {word}".strip(), "italic")
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
        await self.apply(message.event, message.note)

    async def apply(self, event: Event, note: str | None = None) -> None:
        """Apply one engine event addressed to this pane."""
        if isinstance(event, ReplyStarted):
            await self.begin(event.turn, event.round, event.model)
            self.set_note(note or "")
        elif isinstance(event, ReplyDelta):
            await self.add_delta(event.text, event.reasoning)
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
        await self.query_one("#reply-text", Markdown).update(text)

    async def begin(self, turn: int, round: int, model: str) -> None:
        """A new reply starts: clear the pane and follow its text."""
        await self._stop_streams()
        self.address = (turn, round)
        self.final = False
        self.text = ""
        self.reasoning = ""
        self.reply = None
        self.border_subtitle = ""
        self.query_one("#error").display = False
        self.query_one("#reasoning").display = False
        self._unfollow()
        await self.query_one("#reply-text", Markdown).update("")
        await self.query_one("#reasoning-text", Markdown).update("")
        self.live.clear()
        self.scroll_home(animate=False)
        self._set_state("waiting")

    async def add_delta(self, text: str, reasoning: str) -> None:
        """Append streamed text (and reasoning) to the live reply."""
        if self.state not in ("streaming",):
            self._set_state("streaming")
        if reasoning:
            self.reasoning += reasoning
            self.query_one("#reasoning").display = True
            if self._reasoning_stream is None:
                self._reasoning_stream = Markdown.get_stream(
                    self.query_one("#reasoning-text", Markdown)
                )
            await self._reasoning_stream.write(reasoning)
        if text:
            self.text += text
            self.live.append(text)
            self._follow()

    @property
    def live(self) -> LiveText:
        if self._live is None:
            self._live = self.query_one(LiveText)
        return self._live

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
        await self.query_one("#reply-text", Markdown).update(self.text)
        self.live.clear()
        self._set_state("stopped")

    async def _stop_streams(self) -> None:
        if self._reasoning_stream is not None:
            await self._reasoning_stream.stop()
        self._reasoning_stream = None

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
        reasoning_box = self.query_one("#reasoning", Collapsible)
        reasoning_box.display = bool(self.reasoning)
        # The state (a CSS class) changes before the Markdown fills: a class change restyles
        # every widget in the pane, and right after streaming the pane holds only the live text.
        self._set_state(reply_state(reply))
        await self.query_one("#reasoning-text", Markdown).update(self.reasoning)
        await self.query_one("#reply-text", Markdown).update(text)
        self.live.clear()
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
