"""A Markdown widget for streamed replies that says when each append is done.

`Markdown.get_stream` batches fragments into `Markdown.append` calls (while an append runs, the
text that arrives waits and goes into the next one). This subclass reports the end of each
append with the length of the source it covers, so the pane can tell how late its streamed text
is (which decides fast mode, see `cltui.ui.render_load`), let its live text drop what the
Markdown now shows, and keep following the text.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.await_complete import AwaitComplete
from textual.widgets import Markdown


class ReplyMarkdown(Markdown):
    """`Markdown` whose appends call `on_appended(characters shown)` when they are done."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(open_links=False, id=id)
        self.on_appended: Callable[[int], None] | None = None

    def append(self, markdown: str) -> AwaitComplete:
        appending = super().append(markdown)  # takes the text now, in the order of the calls
        covered = len(self.source)

        async def append_and_report() -> None:
            await appending
            if self.on_appended is not None:
                self.on_appended(covered)

        return AwaitComplete(append_and_report())
