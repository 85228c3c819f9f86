"""`cltui sessions` and `cltui export`: the saved sessions from the shell, without the TUI.

Both print plain text with control characters shown as symbols (`cltui.core.text`: titles, names
and answers come from files that can come from anywhere), to a terminal and to a pipe alike; JSON
keeps the exact text, escaped. Failures are one `cltui: ...` line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from cltui.core.export import session_to_json, session_to_markdown
from cltui.core.paths import sessions_dir
from cltui.core.sessions.errors import SessionError
from cltui.core.sessions.files import atomic_write_bytes, load_session
from cltui.core.sessions.listing import SessionSummary, list_sessions, resolve_session_ref
from cltui.core.sessions.safe_text import encode_utf8
from cltui.core.text import display, display_line, escape_json_text

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
TITLE_WIDTH = 48
FORMATS = ("md", "json")
EXPORT_FILE_MODE = 0o644
"""Exports are made to be shared, unlike the session files themselves."""


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> int:
    print(f"cltui: {display_line(message)}", file=sys.stderr)
    return code


def _write(stream: TextIO, text: str) -> None:
    """Print text (already made safe to show) even to a terminal whose encoding cannot show all
    of it."""
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = stream.encoding or "utf-8"
        stream.write(text.encode(encoding, "replace").decode(encoding, "replace"))
    stream.flush()


def _short_time(stamp: str) -> str:
    """'2025-01-02T03:04:05+00:00' -> '2025-01-02 03:04'."""
    return stamp.replace("T", " ")[:16] if stamp else "—"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _summary_row(summary: SessionSummary) -> list[str]:
    if summary.error:
        title = "damaged: " + summary.error.split(": ", 1)[-1]
        return [_short_time(summary.updated_at), "damaged", "", "", title, summary.path.name]
    cost = summary.cost_text if summary.turns else "—"  # "+": a lower bound, some unknown
    title = display_line(summary.title) or "(untitled)"
    return [_short_time(summary.updated_at), summary.status, str(summary.turns), cost, title,
            summary.path.name]  # fmt: skip


def _table(rows: list[list[str]]) -> str:
    header = ["UPDATED", "STATUS", "TURNS", "COST", "TITLE", "FILE"]
    cells = [header] + [[display_line(c) for c in row] for row in rows]
    for row in cells:
        row[4] = _clip(row[4], TITLE_WIDTH)
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    right = {2, 3}
    lines = []
    for row in cells:
        parts = [
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(row)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines) + "\n"


def _summary_json(summary: SessionSummary) -> dict[str, object]:
    data: dict[str, object] = {
        "path": str(summary.path),
        "id": summary.id,
        "title": summary.title,
        "created_at": summary.created_at,
        "updated_at": summary.updated_at,
        "status": summary.status,
        "turns": summary.turns,
        "cost": summary.cost,
        "cost_estimated": summary.estimated,
        "models": list(summary.models),
    }
    if summary.error:
        data["error"] = summary.error
    return data


def sessions_main(args: argparse.Namespace) -> int:
    """List saved sessions, newest first, as a table or (`--json`) as JSON."""
    folder = sessions_dir(getattr(args, "sessions_dir", None))
    summaries = list_sessions(folder)
    if getattr(args, "json", False):
        text = json.dumps([_summary_json(s) for s in summaries], indent=2, ensure_ascii=False)
        _write(sys.stdout, escape_json_text(text) + "\n")
        return EXIT_OK
    if not summaries:
        _write(sys.stdout, display(f"No sessions in {folder}\n"))
        return EXIT_OK
    table = _table([_summary_row(s) for s in summaries])
    _write(sys.stdout, display(f"Sessions in {folder}\n\n") + table)
    return EXIT_OK


def export_main(args: argparse.Namespace) -> int:
    """Write one session as Markdown (default) or JSON, to stdout or `--output`."""
    folder = sessions_dir(getattr(args, "sessions_dir", None))
    fmt = getattr(args, "format", None) or "md"
    if fmt not in FORMATS:
        return _fail(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    try:
        path = resolve_session_ref(str(args.session), folder)
        session = load_session(path)
    except SessionError as error:
        return _fail(str(error))
    text = session_to_json(session) if fmt == "json" else session_to_markdown(session)
    output = getattr(args, "output", None)
    if not output or str(output) == "-":
        _write(sys.stdout, text)
        return EXIT_OK
    target = Path(output).expanduser()
    if target.is_dir():
        return _fail(f"{target}: is a folder; give a file name for --output")
    try:
        atomic_write_bytes(target, encode_utf8(text), new_file_mode=EXPORT_FILE_MODE)
    except OSError as error:
        return _fail(f"{target}: cannot write: {error.strerror or error}", EXIT_FAILED)
    print(display_line(f"Exported {path.name} to {target}"), file=sys.stderr)
    return EXIT_OK
