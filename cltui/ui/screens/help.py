"""The help screen: every key the app binds (as currently mapped) and what the panes mean."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from cltui.ui.keymap import HELP_SECTIONS
from cltui.ui.safe_text import one_line, plain

PANE_LEGEND = [
    ("1 2 3 …", "model panes: each model's own answer to the question, numbered for the keys"),
    ("Σ", "the aggregator: the models' answers merged; it turns accent-coloured when final"),
    ("…", "waiting for the model"),
    ("⠋", "streaming"),
    ("✓", "done (subtitle: tokens in↑ out↓, cost, time)"),
    ("✗", "failed: the reason is shown in the pane; press r there to retry"),
    ("↻", "retrying after a rate limit or server error"),
    ("■", "stopped: the round was cancelled; the partial text is kept and saved"),
    ("✂", "cut off (max_tokens, or the stream ended early): kept, and marked so to the aggregator"),
    ("~", "before a number: estimated from the text (the server sent no usage)"),
    ("—", "a cost that is not known (a model without prices), never shown as $0.00"),
    (
        "fast",
        "many models stream fast at once: replies stream as plain text and become Markdown"
        " when they finish (CLTUI_RENDER=markdown|fast|auto, default auto)",
    ),
]


def key_table(keymap: dict[str, str]) -> Content:
    """All bindings, grouped, with the user's remapped keys where set."""
    lines: list[Content] = []
    for title, bindings in HELP_SECTIONS:
        lines.append(Content.styled(title, "bold $accent"))
        seen: set[str] = set()
        for binding in bindings:
            if binding.id in seen or binding.id is None:
                continue
            seen.add(binding.id)
            keys = keymap.get(binding.id, binding.key)
            if binding.id.startswith("pane.focus_"):
                if binding.id != "pane.focus_1":
                    continue
                keys, description = "1 … 9", "Focus pane N"
            else:
                description = binding.description
            lines.append(
                Content.assemble(
                    (f"  {one_line(keys):<22}", "bold"),
                    plain(f"{description:<18}"),
                    (binding.id, "dim"),
                )
            )
        lines.append(Content(""))
    lines.append(Content.assemble(("  ctrl+p", "bold"), "  command palette: every command"))
    return Content("\n").join(lines)


def legend() -> Content:
    lines = [Content.styled("Panes", "bold $accent")]
    for symbol, meaning in PANE_LEGEND:
        lines.append(Content.assemble((f"  {symbol:<8}", "bold"), meaning))
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    """Keys and pane legend; escape, f1 or q closes it."""

    CSS_PATH = "help.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "dismiss", "Close")]

    def __init__(self, keymap: dict[str, str] | None = None) -> None:
        super().__init__()
        self.keymap = dict(keymap or {})

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(key_table(self.keymap), id="keys")
            yield Static(legend(), id="legend")

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "cltui help"
        self.query_one("#help").border_subtitle = "escape closes"

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
