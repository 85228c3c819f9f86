"""Sharing a conversation from the app: the session as a Markdown file, the final answer as text.

The Markdown goes next to the session file, under the same name with `.md`, so the two are found
together; a session that is not saved to disk exports into the sessions folder. The document is
meant to be shared, so a new file is readable by others (0o644), unlike the session file itself;
it is written atomically, like the session, so a reader never sees half of it.
"""

from __future__ import annotations

from pathlib import Path

from cltui.core.export import session_to_markdown
from cltui.core.sessions.files import atomic_write_bytes, session_file_name
from cltui.core.sessions.model import Session
from cltui.core.sessions.safe_text import encode_utf8

EXPORT_MODE = 0o644
"""A new export's permissions: shareable, unlike the private session file."""


def export_path(session_path: Path | None, sessions_dir: Path, session: Session) -> Path:
    """Where the Markdown of `session` goes: beside its file, else in the sessions folder."""
    if session_path is None:
        return (sessions_dir / session_file_name(session)).with_suffix(".md")
    path = session_path.with_suffix(".md")
    if path == session_path:  # a session file that already ends in .md must not be replaced
        path = session_path.with_name(session_path.name + ".md")
    return path


def write_markdown_export(session: Session, path: Path) -> None:
    """Write the session as Markdown to `path` (atomically); raises OSError."""
    atomic_write_bytes(path, encode_utf8(session_to_markdown(session)), new_file_mode=EXPORT_MODE)


def latest_final_answer(session: Session) -> str:
    """The final answer of the latest turn ("" while it has none)."""
    return session.turns[-1].final if session.turns else ""
