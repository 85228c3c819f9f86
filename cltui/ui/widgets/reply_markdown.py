"""The Markdown widget for model text: nothing hidden, nothing clipped, appends reported.

Model text is untrusted, and Textual's default Markdown parser hides some of it:

- HTML. With markdown-it's `html` option on (the "gfm-like" preset), a line starting with a tag
  such as `<response model="x">`, `<div>` or `<thinking>` opens an HTML block that is not shown,
  nor is anything after it up to the next blank line; inline tags vanish too. Weak models copy
  cltui's own `<response model=…>` layout into their answers, so whole answers went missing while
  the session file and `cltui run` had them. `reply_parser` turns HTML off: tags show as text.
- Control characters. The pane sanitises the text before it gets here (`cltui.core.text`), but
  an entity such as `&#13;` decodes to a control character inside the parser; a core rule shows
  what the parser produced through the same sanitiser.
- Long headings. Textual gives `MarkdownH3` `width: auto`, so a heading longer than the pane ran
  past its edge and was clipped; here every heading takes the pane's width and wraps.

`Markdown.get_stream` batches fragments into `Markdown.append` calls (while an append runs, the
text that arrives waits and goes into the next one). `ReplyMarkdown` reports the end of each
append with the length of the source it covers, so the pane can tell how late its streamed text
is (which decides fast mode, see `cltui.ui.render_load`), let its live text drop what the
Markdown now shows, and keep following the text.
"""

from __future__ import annotations

from collections.abc import Callable

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from textual.await_complete import AwaitComplete
from textual.widgets import Markdown

from cltui.core.text import display


def _show_decoded_text_safely(state: StateCore) -> None:
    """Run what the parser decoded (entities included) through the display sanitiser."""
    for token in state.tokens:
        if token.type in ("fence", "code_block"):
            token.content = display(token.content)
        for child in token.children or ():
            if child.content:
                child.content = display(child.content)


def reply_parser() -> MarkdownIt:
    """Textual's "gfm-like" Markdown (tables, strikethrough, links) with HTML shown as text."""
    parser = MarkdownIt("gfm-like", {"html": False})
    parser.core.ruler.push("show_decoded_text_safely", _show_decoded_text_safely)
    return parser


class ReplyMarkdown(Markdown):
    """`Markdown` for model text (replies, reasoning): HTML shown as text, headings wrapped, and
    appends that call `on_appended(characters shown)` when they are done."""

    DEFAULT_CSS = """
    ReplyMarkdown MarkdownHeader {
        width: 1fr;
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(open_links=False, id=id, parser_factory=reply_parser)
        self.on_appended: Callable[[int], None] | None = None

    def append(self, markdown: str) -> AwaitComplete:
        appending = super().append(markdown)  # takes the text now, in the order of the calls
        covered = len(self.source)

        async def append_and_report() -> None:
            await appending
            if self.on_appended is not None:
                self.on_appended(covered)

        return AwaitComplete(append_and_report())
