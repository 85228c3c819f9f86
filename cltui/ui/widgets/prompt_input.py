"""The prompt box: Enter sends; ctrl+j (or shift+enter, where reported) adds a line."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.widgets import TextArea

from cltui.ui.keymap import PROMPT_BINDINGS
from cltui.ui.messages import PromptSubmitted

PLACEHOLDER = "Ask the models…  (Enter sends · ctrl+j adds a line)"


class PromptInput(TextArea):
    """A multi-line prompt editor whose Enter key submits instead of breaking the line."""

    BINDINGS: ClassVar[list[BindingType]] = list(PROMPT_BINDINGS)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            "",
            id=id,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            placeholder=PLACEHOLDER,
            compact=True,
            highlight_cursor_line=False,
        )

    def action_submit(self) -> None:
        """Send the prompt (blank prompts are ignored) and clear the box.

        Deferred through this widget's own queue so a paste that arrived just before the Enter
        key (terminals deliver both in one burst) is in the text first."""
        self.call_later(self._submit)

    def _submit(self) -> None:
        text = self.text.strip()
        if not text:
            return
        self.post_message(PromptSubmitted(text))
        self.clear()

    def action_newline(self) -> None:
        """Break the line at the cursor."""
        self.insert("\n")
