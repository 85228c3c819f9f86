"""Asks where to save the session, when its own file cannot be written (or to keep a copy)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from cltui.ui.safe_text import plain


class SaveAsScreen(ModalScreen[Path | None]):
    """Dismisses with the path typed (a file, or a folder to put the session in), or None."""

    DEFAULT_CSS = """
    SaveAsScreen { align: center middle; }
    SaveAsScreen #dialog {
        width: 80; max-width: 95%; height: auto;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    SaveAsScreen #save-as-problem { color: $error; margin-bottom: 1; }
    SaveAsScreen #save-as-help { color: $text-muted; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, suggested: Path | None, problem: str = "") -> None:
        super().__init__()
        self.suggested = suggested
        self.problem = problem
        """Why the session is not saved now (shown above the path), or empty."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(plain("Save the session as"), id="save-as-title")
            if self.problem:
                yield Static(plain(self.problem), id="save-as-problem")
            yield Input(str(self.suggested or ""), placeholder="path/to/session.toml",
                        id="save-as-path")  # fmt: skip
            yield Static(
                plain("enter saves here and keeps saving here · escape cancels"),
                id="save-as-help",
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.dismiss(Path(text).expanduser() if text else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
