"""How much of a reply that is still streaming can go into its Markdown stream now.

Textual's streamed Markdown re-renders the last block on every append. For a paragraph or a code
block that is cheap (its text is replaced in place), so prose and code are streamed word by word.
A list, a table or a block quote, though, is rebuilt widget by widget on every append — tens of
milliseconds for a list of a few items, holding back every repaint meanwhile — and a heading is
rebuilt for each word of it. So such a block in progress is held back: the pane shows it as plain
text below the Markdown until the block ends (a blank line; for a heading, the end of its line),
then it goes into the stream in one piece.

`BlockSplitter.safe_end(text)` answers with an offset into the text; it only ever grows while the
text grows (what went into the stream cannot be taken back), and it scans each line once.
"""

from __future__ import annotations

import re
from typing import Literal

LineKind = Literal["paragraph", "structured", "heading", "fence", "undecided"]

_LEAD = re.compile(r" {0,3}")
_RUN = re.compile(r"#+|\d+|`+|~+")


def classify(line: str) -> LineKind:
    """What a line (or the start of one) opens: prose, a structured block, a fence, or not yet
    known (`"- "` opens a list but `"-"` may still become `"-5 degrees"`)."""
    lead = _LEAD.match(line)
    rest = line[lead.end() :] if lead else line
    if len(line) - len(line.lstrip(" ")) > 3:
        return "paragraph"
    if not rest:
        return "undecided"
    first = rest[0]
    if first in ">|":
        return "structured"
    if first in "-*+":
        if len(rest) == 1:
            return "undecided"
        return "structured" if rest[1] in " \t" else "paragraph"
    run = _RUN.match(rest)
    if run is None:
        return "paragraph"
    after = rest[run.end() :]
    if first == "#":
        if len(run.group()) > 6:
            return "paragraph"
        if not after:
            return "undecided"
        return "heading" if after[0] in " \t" else "paragraph"
    if first.isdigit():
        if len(run.group()) > 9 or (after and after[0] not in ".)"):
            return "paragraph"
        if len(after) < 2:
            return "undecided"
        return "structured" if after[1] in " \t" else "paragraph"
    if len(run.group()) >= 3:
        return "fence"
    return "undecided" if not after else "paragraph"


class BlockSplitter:
    """Follows one streaming reply's lines and says where the streamable part ends."""

    def __init__(self) -> None:
        self._scanned = 0
        """Where the first line not yet seen whole starts."""
        self._held_from: int | None = None
        """Start of the structured block in progress (held back), if any."""
        self._fence: str | None = None
        """The marker of the open code fence, if any."""

    def safe_end(self, text: str) -> int:
        """How much of `text` (the reply so far) can be streamed as Markdown now."""
        while (newline := text.find("\n", self._scanned)) >= 0:
            self._line(text[self._scanned : newline], self._scanned)
            self._scanned = newline + 1
        if self._held_from is not None:
            return self._held_from
        if self._fence is not None:
            return len(text)
        partial = text[self._scanned :]
        if partial and classify(partial) not in ("paragraph", "fence"):
            return self._scanned
        return len(text)

    def _line(self, line: str, start: int) -> None:
        if self._fence is not None:
            if line.strip().startswith(self._fence) and not line.strip().strip(self._fence[0]):
                self._fence = None
            return
        if not line.strip():
            self._held_from = None  # a blank line ends the block
            return
        kind = classify(line)
        if kind == "fence":
            stripped = line.lstrip(" ")
            self._fence = stripped[: len(stripped) - len(stripped.lstrip(stripped[0]))]
        elif kind == "heading":
            self._held_from = None  # a heading is one line: it ends here
        elif kind in ("structured", "undecided") and self._held_from is None:
            self._held_from = start
