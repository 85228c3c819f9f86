"""One model's pane: its answer rendered as Markdown while it streams; state in the title, usage
below.

The same widget serves proposers and the aggregator (`aggregator=True` only changes the look).
The pane is the reply's lifecycle and its place on screen; the rest is delegated:
- `ReplyStreamer` carries the streamed text into the Markdown (or, in fast mode, the `FastText`
  view, which fills the pane) and settles it as Markdown once the reply ends;
- `PaneTitle` and the other helpers of `cltui.ui.pane_state` word the title, the state classes,
  the usage subtitle and the notice under a failed reply.
History shows a saved reply without streaming. Reasoning streams as Markdown into its own
collapsible in both modes (it is rarer, shorter and collapsed): `ReasoningView`.

Following the text: the pane anchors to its end once the text overflows it, and stops following
as soon as the user scrolls away (until they scroll back to the end). In fast mode the pane itself
does not scroll (the fast view fills it): the fast view follows its own end the same way, and the
pane's scrolling keys move the fast view.
"""

from __future__ import annotations

from contextlib import suppress
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from cltui.core.events import (
    Event,
    ReplyDelta,
    ReplyFinished,
    ReplyRetrying,
    ReplyStarted,
    ReplyWaiting,
    TurnFinished,
    TurnStarted,
)
from cltui.core.sessions.model import Reply
from cltui.ui.keymap import PANE_BINDINGS
from cltui.ui.messages import PaneEvent
from cltui.ui.pane_state import PaneState, PaneTitle, reply_notice, reply_state, usage_line
from cltui.ui.render_load import RenderLoad
from cltui.ui.safe_text import plain
from cltui.ui.widgets.fast_text import FastText
from cltui.ui.widgets.live_text import LiveText
from cltui.ui.widgets.reasoning_view import ReasoningView
from cltui.ui.widgets.reply_markdown import ReplyMarkdown
from cltui.ui.widgets.reply_streamer import ReplyStreamer


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
        """The model in the title: for the aggregator pane, the one whose reply it shows (the
        fallback, when it stood in for a failed aggregator)."""
        self.configured_name = name
        self.index = index
        """1-based position, as used by the focus keys."""
        self.aggregator = aggregator
        self.state: PaneState = "idle"
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
        self.streamer = ReplyStreamer(
            ReplyMarkdown(id="reply-text"),
            LiveText(id="live-text"),
            FastText(id="fast-text"),
            load=load,
            follow=self._follow,
            went_fast=self._went_fast,
        )
        self._reasoning = ReasoningView(self, before=self.streamer.markdown)

    def compose(self) -> ComposeResult:
        # The reasoning box is mounted when a reply has reasoning (few do; fewer widgets make
        # the first frame sooner).
        yield self.streamer.markdown
        yield self.streamer.live
        yield self.streamer.fast_view
        yield Static("", id="error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#error").display = False
        self.fast_view.display = False
        self.markdown.on_appended = self._appended
        self.refresh_title()

    async def on_unmount(self) -> None:
        # A stream left running would append to a Markdown that is no longer there.
        with suppress(Exception):
            await self._stop_streams()

    # -- what the screen and the commands read ---------------------------------------------------

    @property
    def text(self) -> str:
        """The reply text shown (live or from history): what copy takes."""
        return self.streamer.text

    @text.setter
    def text(self, text: str) -> None:
        self.streamer.text = text

    @property
    def fast(self) -> bool:
        """The reply streaming now goes into the live text (fast mode), not the Markdown."""
        return self.streamer.fast

    @property
    def markdown(self) -> ReplyMarkdown:
        """Where the reply is shown (streamed, or set once when settled)."""
        return self.streamer.markdown

    @property
    def live(self) -> LiveText:
        """The plain text below the Markdown: a block in progress."""
        return self.streamer.live

    @property
    def fast_view(self) -> FastText:
        """The reply streaming in fast mode (shown instead of the Markdown)."""
        return self.streamer.fast_view

    @property
    def retryable(self) -> bool:
        """Failed replies can be asked again."""
        return self.state == "error" and self.address is not None

    # -- title and subtitle ----------------------------------------------------------------------

    @property
    def prefix(self) -> str:
        """What the title and the tab start with: the pane's number, or Σ for the aggregator."""
        return "Σ " if self.aggregator else f"{self.index} "

    def refresh_title(self) -> None:
        """Show the model name and state, e.g. "atlas ⠙ streaming" (never parsed as markup)."""
        title = PaneTitle(
            prefix=self.prefix,
            model_name=self.model_name,
            state=self.state,
            spinner_frame=self.spinner_frame,
            retry_note=self.retry_note,
            note=self.note,
            final=self.final,
            fast=self.fast,
        )
        self.border_title = title.content()
        # One batch: each class change restyles the pane and every Markdown block inside it.
        self.update_classes(title.css_classes())

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

    # -- following the text ----------------------------------------------------------------------

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

    def _went_fast(self) -> None:
        """The reply switched to fast mode: the fast view fills the pane and follows the text,
        so the pane stops following and shows its top."""
        self._unfollow()
        self.scroll_home(animate=False)
        self.refresh_title()

    def action_scroll_up(self) -> None:
        if self.fast_view.display:
            self.fast_view.scroll_up()
        else:
            super().action_scroll_up()

    def action_scroll_down(self) -> None:
        if self.fast_view.display:
            self.fast_view.scroll_down()
        else:
            super().action_scroll_down()

    def action_page_up(self) -> None:
        if self.fast_view.display:
            self.fast_view.scroll_page_up()
        else:
            super().action_page_up()

    def action_page_down(self) -> None:
        if self.fast_view.display:
            self.fast_view.scroll_page_down()
        else:
            super().action_page_down()

    def action_scroll_home(self) -> None:
        if self.fast_view.display:
            self.fast_view.scroll_home()
        else:
            super().action_scroll_home()

    def action_scroll_end(self) -> None:
        if self.fast_view.display:
            self.fast_view.scroll_end()
        else:
            super().action_scroll_end()

    def _appended(self, covered: int) -> None:
        """A streamed append is done: follow the text once it is laid out."""
        if self.streamer.appended(covered):
            self.call_after_refresh(self._follow)

    def _keep_following(self) -> None:
        """After a settled reply is laid out, show its end again (unless it became the final
        answer meanwhile, which is read from its start)."""
        if not self.final:
            self.scroll_end(animate=False)

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
        elif isinstance(event, ReplyWaiting):
            self.retry_note = f"{event.reason}: {event.seconds:.0f} s"
            self._set_state("waiting")
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
        self.retry_note = ""
        if self.aggregator:
            self.model_name = model
        self.address = (turn, round)
        self.final = False
        self.reasoning = ""
        self.reply = None
        self.streamer.start()
        self.border_subtitle = ""
        self.query_one("#error").display = False
        self._unfollow()
        await self.streamer.clear_view()
        await self._reasoning.show("")
        self.scroll_home(animate=False)
        self._set_state("waiting")

    async def add_delta(self, text: str, reasoning: str, *, sent_at: float | None = None) -> None:
        """Append streamed text (and reasoning) to the reply: into the Markdown stream, or the
        live text in fast mode."""
        if self.state != "streaming":
            self._set_state("streaming")
        if reasoning:
            self.reasoning += reasoning
            await self._reasoning.write(reasoning)
        if text:
            await self.streamer.add(text, sent_at)

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
        await self.streamer.settle(self.text)
        self._set_state("stopped")

    async def _stop_streams(self) -> None:
        """Stop the reply's streams (each flushes what it still holds)."""
        await self.streamer.stop()
        await self._reasoning.stop()

    # -- settled replies (finish and history) ----------------------------------------------------

    async def show_reply(
        self, reply: Reply | None, *, address: tuple[int, int] | None, scroll: bool = True
    ) -> None:
        """Show a settled reply (or nothing) without streaming."""
        await self._stop_streams()
        following = (
            self.fast_view.following
            if self.fast_view.display
            else self.is_anchored and not self._anchor_released
        )
        self._unfollow()
        streamed = self.text if address == self.address else ""
        self.reply = reply
        self.address = address
        if self.aggregator:
            self.model_name = reply.model if reply is not None else self.configured_name
        text = reply.content if reply is not None else ""
        if reply is not None and not text and reply.status != "ok":
            text = streamed  # keep what arrived before the failure
        self.text = text
        self.reasoning = reply.reasoning if reply is not None else ""
        # The state (a CSS class) changes before the Markdown fills: a class change restyles
        # every widget in the pane, and right after streaming the pane holds only the live text.
        self._set_state(reply_state(reply))
        await self._reasoning.show(self.reasoning)
        await self.streamer.settle(text)
        error = self.query_one("#error", Static)
        notice = reply_notice(reply)
        if notice is not None:
            error.update(notice)
        error.display = notice is not None
        self.border_subtitle = plain(usage_line(reply)) if reply is not None else ""
        if scroll or self.final:
            self.scroll_home(animate=False)
        elif following:
            self.call_after_refresh(self._keep_following)
