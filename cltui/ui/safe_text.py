"""Turning untrusted text into things Textual shows literally.

Model output, model names, session titles and API error messages come from outside: Textual parses
plain strings given to most widgets, titles and toasts as markup, where `[/red]` raises and
`[@click=app.quit]` becomes a live action. Everything external goes through these helpers, which
build `Content` objects (never parsed) or substitute values into a fixed template, so no string
from outside is ever read as markup. `markup.escape` is deliberately not used: it misses nested
brackets.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.content import Content

from cltui.core.text import display, display_line

ELLIPSIS = "…"


def plain(text: str) -> Content:
    """Untrusted text shown literally: never parsed, control characters as symbols."""
    return Content(display(text))


def styled(template: str, /, **values: object) -> Content:
    """A fixed markup `template` with `$name` placeholders filled in literally from `values`.

    Only the template (written in this package) is markup; the values are inserted as data,
    with control characters shown as symbols.
    """
    return Content.from_markup(template, **{k: display(str(v)) for k, v in values.items()})


def one_line(text: str, limit: int | None = None) -> str:
    """`text` on one line (`display_line`: line breaks as spaces, control characters as
    symbols), shortened to `limit` characters."""
    line = display_line(text)
    if limit is not None and len(line) > limit:
        return line[: max(limit - 1, 0)] + ELLIPSIS
    return line


def notify_safe(
    app: App[Any],
    message: str,
    *,
    title: str = "",
    severity: str = "information",
    timeout: float | None = None,
) -> None:
    """A toast whose message is never parsed as markup and whose control characters show as
    symbols (it may hold model or server text)."""
    app.notify(
        display(message),
        title=display_line(title),
        severity=severity,  # type: ignore[arg-type]
        timeout=timeout,
        markup=False,
    )
