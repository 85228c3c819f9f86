"""A modal listing saved sessions, newest first; choosing one resumes it.

Damaged files are listed greyed out with the reason, so a session never silently disappears.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cltui.core.sessions.listing import SessionSummary, list_sessions
from cltui.ui.safe_text import one_line, plain


def summary_prompt(summary: SessionSummary) -> Content:
    """Two lines per session: the title, then when, how long, how it ended and what it cost."""
    if summary.damaged:
        return Content.assemble(
            plain(summary.path.name),
            ("  damaged", "bold $error"),
            "\n",
            (one_line(summary.error, 110), "$text-muted"),
        )
    title = one_line(summary.title, 80) or summary.id
    updated = summary.updated_at.replace("T", " ")[:16]
    turns = f"{summary.turns} turn" + ("" if summary.turns == 1 else "s")
    cost = summary.cost_text
    details = f"{updated} · {turns} · {summary.status} · {cost}"
    if summary.models:
        details += " · " + ", ".join(summary.models[:4])
    return Content.assemble(plain(title), "\n", (one_line(details, 110), "$text-muted"))


class SessionPicker(ModalScreen[Path | None]):
    """Dismisses with the chosen session's path, or None."""

    CSS_PATH = "session_picker.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Close")]

    def __init__(self, sessions_dir: Path) -> None:
        super().__init__()
        self.sessions_dir = sessions_dir
        self.summaries = list_sessions(sessions_dir)

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            if self.summaries:
                yield OptionList(
                    *(
                        Option(summary_prompt(s), id=str(i), disabled=s.damaged)
                        for i, s in enumerate(self.summaries)
                    ),
                    id="sessions",
                )
            else:
                yield Static(
                    plain(f"No saved sessions in {self.sessions_dir}"), id="empty", markup=False
                )

    def on_mount(self) -> None:
        picker = self.query_one("#picker")
        picker.border_title = "Open a session"
        picker.border_subtitle = "enter opens · escape closes"

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(self.summaries[int(event.option.id)].path)

    async def action_dismiss(self, result: Path | None = None) -> None:
        self.dismiss(result)
