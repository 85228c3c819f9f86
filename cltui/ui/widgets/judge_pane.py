"""The judge's calls (blender) or the peer reviews (council), one compact line each.

Judge calls run several at once, so each gets its own line: "atlas vs cirrus → atlas" once the
verdict is in. A council review shows whom the reviewer ranked first. Enter (or a click) on a line
unfolds the raw answer, so a surprising verdict can be checked against what the judge wrote.
Everything shown is built as `Content` from the strings as they are: names and answers are
untrusted.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widget import Widget

from cltui.core.events import judge_pair
from cltui.core.sessions.model import Judgement, Reply
from cltui.core.text import display
from cltui.ui.ranking_view import verdict_text
from cltui.ui.safe_text import one_line, plain
from cltui.ui.widgets.ranking_table import short_name

CallKind = Literal["judge", "reviewer"]
CallState = Literal["waiting", "streaming", "done", "error"]
ICONS: dict[str, tuple[str, str]] = {
    "waiting": ("…", "$text-muted"),
    "streaming": ("⠿", "$accent"),
    "done": ("✓", "$success"),
    "error": ("✗", "$error"),
}
RAW_LIMIT = 4000
"""Characters of a raw answer shown when a line is unfolded (judges answer briefly)."""


class JudgeCall(Widget, can_focus=True):
    """One judge call or review: a line, and the raw answer when unfolded."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "toggle_raw", "Raw answer", id="ranking.raw")
    ]
    DEFAULT_CSS = """
    JudgeCall { height: auto; padding: 0 0; }
    JudgeCall:focus { background: $boost; }
    """

    def __init__(self, slot: str, kind: CallKind, model: str) -> None:
        super().__init__()
        self.slot = slot
        self.kind = kind
        self.model = model
        """The judge's or the reviewer's label."""
        self.state: CallState = "waiting"
        self.raw = ""
        self.summary = ""
        """What the call decided, e.g. 'atlas' or 'cirrus > atlas > borealis'."""
        self.error = ""
        self.expanded = False

    def line(self) -> Content:
        """The compact line, e.g. '✓ atlas vs cirrus → atlas'."""
        icon, style = ICONS[self.state]
        pair = judge_pair(self.slot)
        if self.kind == "judge" and pair is not None:
            what = f"{short_name(pair[0])} vs {short_name(pair[1])}"
        else:
            what = short_name(self.model)
        arrow = " → " if self.kind == "judge" else ": "
        parts = [Content.styled(icon, style), Content(" "), plain(one_line(what, 40))]
        if self.summary:
            parts += [Content.styled(arrow, "$text-muted"), plain(one_line(self.summary, 60))]
        elif self.state == "error":
            parts.append(Content.styled(f": {one_line(self.error or 'failed', 50)}", "$error"))
        elif self.state == "done" and self.kind == "reviewer":
            parts.append(Content.styled(": ranking unreadable", "$warning"))
        return Content.assemble(*parts)

    def render(self) -> Content:
        if not self.expanded:
            return self.line()
        raw = display(self.raw[:RAW_LIMIT]) or "(no text)"
        return Content.assemble(self.line(), "\n", Content.styled(raw, "$text-muted"), "\n")

    def action_toggle_raw(self) -> None:
        self.expanded = not self.expanded
        self.refresh(layout=True)

    def on_click(self) -> None:
        self.action_toggle_raw()

    def update(self) -> None:
        """Redraw after a change (the height changes only when unfolded)."""
        self.refresh(layout=self.expanded)


class JudgePane(VerticalScroll):
    """The round's judge calls or reviews, in the order they started."""

    DEFAULT_CSS = """
    JudgePane { border: round $panel-lighten-2; padding: 0 1; height: 1fr; }
    JudgePane:focus-within { border: round $primary; }
    """

    def __init__(self, kind: CallKind, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind = kind
        self.calls: dict[str, JudgeCall] = {}
        self.round_label = ""

    def on_mount(self) -> None:
        self.refresh_title()

    @property
    def done_count(self) -> int:
        """Calls that have ended, well or not."""
        return sum(1 for c in self.calls.values() if c.state in ("done", "error"))

    def refresh_title(self) -> None:
        """'⚖ judge · round 2 · 4/6 done' (fixed words and numbers only)."""
        name = "judge" if self.kind == "judge" else "peer review"
        parts = [f"⚖ {name}"]
        if self.round_label:
            parts.append(self.round_label)
        if self.calls:
            parts.append(f"{self.done_count}/{len(self.calls)} done")
        self.border_title = Content(" · ".join(parts))

    async def reset(self, round_label: str = "") -> None:
        """Empty the pane for a new round (or a round from history)."""
        self.calls = {}
        self.round_label = round_label
        await self.remove_children()
        self.refresh_title()

    def call_for(self, slot: str, model: str, kind: CallKind) -> JudgeCall:
        """The line of this slot, added at the end when new."""
        call = self.calls.get(slot)
        if call is None:
            call = JudgeCall(slot, kind, model)
            self.calls[slot] = call
            self.mount(call)
            self.refresh_title()
        return call

    def started(self, slot: str, model: str, kind: CallKind) -> None:
        call = self.call_for(slot, model, kind)
        if call.raw:  # a second call in the same slot (asked again for the verdict)
            call.raw += "\n\n"
        call.state = "waiting"
        call.update()

    def delta(self, slot: str, text: str) -> None:
        call = self.calls.get(slot)
        if call is None or not text:
            return
        call.raw += text
        if call.state != "streaming":
            call.state = "streaming"
            call.update()
        elif call.expanded:
            call.update()

    def finished(self, slot: str, reply: Reply, summary: str = "") -> None:
        call = self.call_for(slot, reply.model, "reviewer" if reply.role == "reviewer" else "judge")
        call.state = "done" if reply.done else "error"
        call.error = reply.error
        if reply.content and len(reply.content) >= len(call.raw):
            call.raw = reply.content
        if summary:
            call.summary = summary
        call.update()
        self.refresh_title()

    def verdict(self, slot: str, judgement: Judgement) -> None:
        call = self.calls.get(slot)
        if call is None or judgement.verdict == "failed":
            return  # the line keeps the provider's error
        words = verdict_text(judgement)
        if judgement.verdict in ("first", "second"):
            letter = "A" if judgement.verdict == "first" else "B"
            words = f"{short_name(words)} ({letter})"
        call.summary = words
        if judgement.raw:
            call.raw = judgement.raw
        call.update()
