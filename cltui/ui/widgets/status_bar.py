"""The status/credits line: where the turn is, how each model is doing, and what it costs.

It keeps plain state and renders one `Content` line; the screen changes the state on events that
matter (not per token), so it redraws a few times per second at most. When the line does not
fit (80 columns), it first shortens its words, then leaves out whole parts, least important
first (session cost, tokens, credits, before elapsed time, agreement and the models' states),
so what stays is never cut in the middle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.content import Content
from textual.widget import Widget

from cltui.core.agreement import sparkline
from cltui.core.costs import Totals, format_cost, format_tokens, format_total_cost
from cltui.ui.pane_state import SPINNER, STATE_ICONS
from cltui.ui.safe_text import one_line, plain

STATE_STYLES = {
    "done": "$success",
    "truncated": "$warning",
    "error": "$error",
    "retrying": "$warning",
    "streaming": "$accent",
    "stopped": "$warning",
}


@dataclass(slots=True)
class StatusInfo:
    """Everything the status bar shows."""

    round: tuple[int, int] | None = None
    """(round shown 1-based, rounds planned)."""
    stage: str = ""
    slots: dict[str, str] = field(default_factory=dict)
    """Model name -> pane state, in pane order."""
    turn: Totals | None = None
    session: Totals | None = None
    credits: float | None = None
    credits_known: bool = False
    elapsed: float | None = None
    preview: str = ""
    """Shown before the first round: "≈ 12 calls, $0.01–0.04"."""
    history: str = ""
    """Set while browsing history: "Turn 2/3 · Round 1/3 (history)"."""
    notice: str = ""
    notice_severity: str = ""
    spinner_frame: int = 0
    agreement: list[float | None] = field(default_factory=list)
    """Agreement of each improvement round's aggregate with the one before (0-1)."""
    stopped_early: bool = False
    judging: str = ""
    """Progress of the judge calls or reviews of the round: 'judge 4/6'."""
    fast: bool = False
    """Replies stream as plain text for now: the screen could not keep up with Markdown."""
    save_failed: str = ""
    """Why the latest save failed; shown until a save works."""
    save_path: str = ""
    """The file that failed to save."""


PRIORITY = {
    "where": 0, "save": 0, "notice": 1, "slots": 2, "judging": 3, "preview": 3, "elapsed": 4,
    "agreement": 5, "turn": 6, "fast": 7, "credits": 8, "tokens": 9, "session": 10,
}  # fmt: skip
"""Which parts of the line stay when it does not fit (lower stays longer)."""


def _cost(totals: Totals | None) -> str:
    return "—" if totals is None else format_total_cost(totals)


class StatusBar(Widget):
    """One line above the footer."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.info = StatusInfo()

    def update_info(self, **changes: object) -> None:
        """Change some fields and redraw."""
        for key, value in changes.items():
            setattr(self.info, key, value)
        self.refresh()

    def render(self) -> Content:
        width = self.content_size.width
        # Shorten step by step: first the model names go, then the long words, then whole parts.
        for compact, bare_slots in ((False, False), (False, True), (True, True)):
            line = self._join(self.parts(compact=compact, bare_slots=bare_slots))
            if line.cell_length <= width:
                return line
        parts = self.parts(compact=True)
        while len(parts) > 1 and self._join(parts).cell_length > width:
            least = max(parts, key=lambda part: (PRIORITY[part[0]], parts.index(part)))
            parts.remove(least)
        return self._join(parts)

    def line(self, *, compact: bool) -> Content:
        """The whole line; `compact` drops model names and shortens the words."""
        return self._join(self.parts(compact=compact))

    @staticmethod
    def _join(parts: list[tuple[str, Content]]) -> Content:
        return Content(" · ").join(content for _, content in parts)

    def parts(self, *, compact: bool, bare_slots: bool = False) -> list[tuple[str, Content]]:
        """The line's parts in order, each named by its `PRIORITY` key.

        `bare_slots` shows each model's state without its name (`compact` implies it)."""
        info = self.info
        parts: list[tuple[str, Content]] = []
        if info.history:
            parts.append(("where", Content.styled(one_line(info.history), "bold $warning")))
        elif info.round is not None:
            text = f"Round {info.round[0]}/{info.round[1]}"
            if info.stage and info.stage != "propose":
                text += f" {info.stage}"
            parts.append(("where", Content.styled(one_line(text), "bold")))
        if info.save_failed:
            text = f"NOT SAVED: {info.save_failed} ({info.save_path})"
            parts.append(("save", Content.styled(one_line(text, 120), "bold $error")))
        if info.slots and not info.history:
            parts.append(("slots", self._slots(compact or bare_slots)))
        if info.judging and not info.history:
            parts.append(("judging", Content.styled(one_line(info.judging), "$accent")))
        if info.fast and not info.history:
            parts.append(("fast", Content.styled("fast", "$warning")))
        if info.preview and not info.history:
            parts.append(("preview", Content.styled(one_line(info.preview), "$text-muted")))
        if info.turn is not None and info.turn.calls:
            tokens = format_tokens(info.turn.tokens, info.turn.tokens_estimated)
            parts.append(("tokens", plain(f"{tokens} tok")))
            parts.append(("turn", plain(f"turn {_cost(info.turn)}")))
        if info.session is not None and info.session.calls:
            parts.append(("session", plain(f"session {_cost(info.session)}")))
        if info.credits_known:
            credits = format_cost(info.credits) if info.credits is not None else "unlimited"
            parts.append(("credits", plain(f"{'cr' if compact else 'credits'} {credits}")))
        agreement = self._agreement(compact)
        if agreement is not None:
            parts.append(("agreement", agreement))
        if info.elapsed is not None:
            parts.append(("elapsed", plain(f"{info.elapsed:.0f}s")))
        if info.notice:
            style = {"error": "$error", "warning": "$warning"}.get(info.notice_severity, "")
            parts.append(("notice", Content.styled(one_line(info.notice, 60), style)))
        return parts

    def _agreement(self, compact: bool) -> Content | None:
        """'agree ▃▇ 92%' (a bar per improvement round), plus 'stopped early' when it did."""
        values = self.info.agreement
        measured = [v for v in values if v is not None]
        if not measured:
            return None
        label = "" if compact else "agree "
        content = Content.assemble(
            (label, "$text-muted"), (sparkline(values), "$accent"), f" {measured[-1]:.0%}"
        )
        if self.info.stopped_early:
            content = Content.assemble(content, (" stopped early", "bold $success"))
        return content

    def _slots(self, compact: bool) -> Content:
        pieces: list[Content] = []
        for name, state in self.info.slots.items():
            icon = STATE_ICONS.get(state, "?")
            if state == "streaming":
                icon = SPINNER[self.info.spinner_frame % len(SPINNER)]
            styled_icon = Content.styled(icon, STATE_STYLES.get(state, "$text-muted"))
            if compact:
                pieces.append(styled_icon)
            else:
                pieces.append(Content.assemble(plain(one_line(name, 16)), " ", styled_icon))
        return Content(" ").join(pieces)
