"""What a model pane says about its reply, worked out without a widget: the state, the title, the
usage line and the notice under a failed or stopped reply.

These are decisions about words and styles, not about layout, so they live apart from the pane
and are tested as plain values. The status bar and the tabs use the same state icons, so a state
looks the same everywhere. Model names and error messages are untrusted: they go into `Content`
literally (never parsed as markup).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.content import Content

from cltui.core.costs import format_cost, format_tokens
from cltui.core.sessions.model import Reply
from cltui.ui.safe_text import one_line, plain, styled

PaneState = Literal[
    "idle", "waiting", "streaming", "retrying", "done", "truncated", "error", "stopped"
]
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STATE_ICONS: dict[str, str] = {
    "idle": "",
    "waiting": "…",
    "streaming": "⠿",
    "retrying": "↻",
    "done": "✓",
    "truncated": "✂",
    "error": "✗",
    "stopped": "■",
}


def reply_state(reply: Reply | None) -> PaneState:
    """The pane state that shows a settled reply."""
    if reply is None:
        return "idle"
    if reply.status == "ok":
        return "done"
    if reply.status == "truncated":
        return "truncated"
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
        guess = reply.usage_estimated
        parts.append(
            f"{format_tokens(reply.prompt_tokens, guess)}↑ "
            f"{format_tokens(reply.completion_tokens, guess)}↓"
        )
    if reply.cost is not None:
        parts.append(format_cost(reply.cost, reply.cost_estimated))
    if reply.duration_ms is not None:
        parts.append(f"{reply.duration_ms / 1000:.1f}s")
    return " · ".join(parts)


RETRY_HINT = "Click this pane (or tab to it) and press r to retry this model."


def reply_notice(reply: Reply | None) -> Content | None:
    """The line under a settled reply that did not end well (None: nothing to say).

    A failed reply says why and how to ask again; a partial or cancelled one says why it
    stopped, quietly, since its text is still worth reading."""
    if reply is None:
        return None
    if reply.status == "error":
        return styled(f"[b]✗ $reason[/b]\n[dim]{RETRY_HINT}[/dim]",
                      reason=reply.error or "the call failed")  # fmt: skip
    if reply.status == "truncated":
        return styled("[b]✂ $reason[/b]", reason=reply.error or "cut off before its end")
    if reply.status in ("partial", "cancelled") and reply.error:
        return styled("[dim]■ $reason[/dim]", reason=reply.error)
    return None


@dataclass(frozen=True, slots=True)
class PaneTitle:
    """Everything a pane's border title and state classes depend on, at one moment.

    The pane rebuilds one on every change (and every spinner frame); keeping it a value makes
    the wording testable without mounting a pane."""

    prefix: str
    """The pane's number ("1 ") or "Σ " for the aggregator."""
    model_name: str
    state: PaneState
    spinner_frame: int = 0
    retry_note: str = ""
    """When and how often the call is retried, or why it waits ("free-model limit: 38 s"):
    shown instead of the state word."""
    note: str = ""
    """What the reply is: 'layer 2/3', 'round 2/3 aggregate'."""
    final: bool = False
    fast: bool = False

    @property
    def shows_final(self) -> bool:
        """The pane holds the turn's final answer (only once it is done, cut off or not)."""
        return self.final and self.state in ("done", "truncated")

    @property
    def icon(self) -> str:
        if self.state == "streaming":
            return SPINNER[self.spinner_frame % len(SPINNER)]
        return STATE_ICONS[self.state]

    @property
    def word(self) -> str:
        """The state in words, e.g. "streaming · fast" or "retrying in 4s (2/5)"."""
        if self.state == "retrying" or (self.state == "waiting" and self.retry_note):
            word = self.retry_note
        elif self.state == "truncated":
            word = "cut off"
        else:
            word = "" if self.state == "idle" else self.state
        if self.fast and self.state == "streaming":
            word += " · fast"
        return word

    def content(self) -> Content:
        """The border title, e.g. "2 atlas ⠙ streaming" (the model name taken literally)."""
        parts: list[Content | tuple[str, str] | str] = [
            (self.prefix, "dim"), plain(one_line(self.model_name)), " ",
            (f"{self.icon} {self.word}".strip(), "italic"),
        ]  # fmt: skip
        if self.shows_final:
            cut = " (cut off)" if self.state == "truncated" else ""
            parts.append((f" ★ final answer{cut}", "bold"))
        elif self.note:
            parts.append((f" · {self.note}", "dim"))
        return Content.assemble(*parts)

    def css_classes(self) -> dict[str, bool]:
        """The pane's state classes (what `main.tcss` colours the border by)."""
        return {
            "-final": self.shows_final,
            "-error": self.state == "error",
            "-streaming": self.state == "streaming",
            "-done": self.state == "done",
            "-truncated": self.state == "truncated",
        }
