"""The one display sanitiser: untrusted text made harmless and visible before people see it.

Model output, reasoning, model names, server error messages, session titles and config contents
come from outside. Written to a terminal as they are, their control characters act: `ESC[2J`
wipes the screen, `ESC]0;…BEL` retitles the window, `ESC]52;…` writes the clipboard, a lone
carriage return overwrites what was printed before it. Dropping those characters would hide what
the model sent, so they are shown instead, as the Unicode control pictures (`␛[2J`): the text
reads the same on screen, in the Markdown export and in headless output, and acts on nothing.

Everything shown to people goes through `display` (multi-line places: panes, toasts, exports,
stdout) or `display_line` (one-line places: titles, status bar, table cells, error lines).
Session files and JSON output keep the exact text; they never pass through here.

No Textual or Rich here: the core, the CLI and the UI all use this one module.
"""

from __future__ import annotations

import re

ESC_SYMBOL = "\u241b"
"""What ESC (the start of every escape sequence) is shown as: ␛."""
DEL_SYMBOL = "\u2421"
"""What DEL is shown as: ␡."""
CR_SYMBOL = "\u240d"
"""What a carriage return not followed by a line feed is shown as: ␍."""
C1_SYMBOL = "\ufffd"
"""What a C1 control (U+0080..U+009F, e.g. the 8-bit CSI) is shown as: there is no control
picture for them, and some terminals act on them as they do on ESC sequences."""

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Characters a terminal may act on: C0 but tab and newline, DEL, C1 (carriage return included;
a CR of a CRLF pair is turned into the line feed first)."""

_SYMBOLS: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
_SYMBOLS.update({0x7F: DEL_SYMBOL, **{code: C1_SYMBOL for code in range(0x80, 0xA0)}})
del _SYMBOLS[0x09], _SYMBOLS[0x0A]

_INVISIBLE_FORMATTING = dict.fromkeys(
    map(ord, "\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)
"""Bidi overrides, embeddings, isolates and marks (and the zero-width space): in a one-line place
they can make a title read backwards or hide where one name ends. Dropped there."""

_LINE_BREAKS = dict.fromkeys(map(ord, "\u2028\u2029"), " ")


def display(text: str) -> str:
    """`text` with every character a terminal could act on turned into a visible symbol.

    C0 controls (but tab and newline) become their control pictures (ESC → ␛, NUL → ␀), DEL → ␡,
    C1 controls → U+FFFD, a CRLF pair becomes a newline and a lone CR ␍. Everything else, line
    breaks and tabs included, is kept, so Markdown and prose keep their shape."""
    if _UNSAFE.search(text) is None:
        return text
    return text.replace("\r\n", "\n").translate(_SYMBOLS)


def display_line(text: str) -> str:
    """`text` for a one-line place (a title, the status bar, a table cell, a toast's title, an
    error line): `display`, with newlines and tabs shown as spaces, runs of spaces collapsed, the
    ends trimmed, and bidi overrides dropped so the line reads in the order it was written."""
    shown = display(text.translate(_INVISIBLE_FORMATTING).translate(_LINE_BREAKS))
    return " ".join(shown.split())


class DisplayStream:
    """`display` for text that arrives in pieces (a streamed reply).

    A CR at the end of one piece may be the first half of a CRLF pair whose LF comes with the
    next piece, so it is held back until the next piece says which it was."""

    def __init__(self) -> None:
        self._held_cr = False

    def feed(self, piece: str) -> str:
        """The displayable form of `piece` (it may lack a trailing CR, held until the next)."""
        if self._held_cr:
            piece = "\r" + piece
            self._held_cr = False
        if piece.endswith("\r"):
            piece = piece[:-1]
            self._held_cr = True
        return display(piece)

    def flush(self) -> str:
        """What is still held back (the stream ended): a lone CR, shown as ␍."""
        held, self._held_cr = self._held_cr, False
        return CR_SYMBOL if held else ""


_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029]")


def escape_json_text(text: str) -> str:
    """JSON text (as `json.dumps(..., ensure_ascii=False)` writes it) with DEL, C1 and the
    Unicode line separators written as `\\uXXXX` escapes.

    `json.dumps` already escapes C0 (ESC becomes `\\u001b`) but writes DEL and C1 raw, and a
    terminal may act on those. Outside strings JSON text is plain ASCII, so every such character
    is inside a string, where the escape stands for the same character: the data stay exact and
    the text can go to a terminal as it is."""
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
