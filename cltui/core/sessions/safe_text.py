"""Text from users, models and other people's files, made safe to show and to write.

Titles and names end up on terminals and in exported documents, so they go through the one
display sanitiser (`cltui.core.text`): control characters shown as symbols, bidi overrides
dropped. Text with lone surrogates (from broken decoders) is repaired rather than
refused, since refusing to save it would lose work.
"""

from __future__ import annotations

from cltui.core.text import display_line

TITLE_LENGTH = 60


def title_from_prompt(prompt: str) -> str:
    """A session title: the prompt's first non-blank line, cleaned, cut near 60 characters at a
    word boundary when there is one."""
    line = next((ln for ln in prompt.splitlines() if display_line(ln)), "")
    title = display_line(line)
    if len(title) <= TITLE_LENGTH:
        return title
    cut = title[: TITLE_LENGTH - 1]
    space = cut.rfind(" ")
    if space >= TITLE_LENGTH // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def scrub_surrogates(text: str) -> str:
    """Text that can be encoded as UTF-8: surrogate pairs joined, lone ones replaced by U+FFFD.
    Such strings can come out of broken decoders; refusing to save over them would lose work."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def encode_utf8(text: str) -> bytes:
    """UTF-8 bytes of the text, repairing lone surrogates rather than failing."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return scrub_surrogates(text).encode("utf-8")
