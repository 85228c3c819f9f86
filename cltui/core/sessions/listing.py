"""The sessions folder as the user sees it: summaries for the picker, and finding the file a
user means by path, name, id or id prefix."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cltui.core.costs import Totals, format_total_cost, session_totals
from cltui.core.sessions.errors import SessionError
from cltui.core.sessions.files import load_session
from cltui.core.sessions.model import Session


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One line of the session picker or `cltui sessions`."""

    path: Path
    id: str
    title: str
    created_at: str
    updated_at: str
    status: str
    turns: int
    cost: float
    models: tuple[str, ...] = ()
    error: str = ""
    """Why the file could not be read; empty for a good file."""
    estimated: bool = False
    """The cost includes list-price estimates."""
    unknown_cost: int = 0
    priced: int = 0
    """Calls whose cost is known."""

    @property
    def damaged(self) -> bool:
        return bool(self.error)

    @property
    def cost_text(self) -> str:
        """The cost as every screen shows it: "—" when no call's cost is known."""
        totals = Totals(cost=self.cost, estimated=self.estimated, unknown_cost=self.unknown_cost,
                        priced=self.priced)  # fmt: skip
        return format_total_cost(totals)


def _model_labels(session: Session) -> tuple[str, ...]:
    models = session.config.get("models")
    labels: list[str] = []
    if isinstance(models, list):
        for entry in models:
            if isinstance(entry, Mapping):
                label = entry.get("label") or entry.get("id")
                if isinstance(label, str):
                    labels.append(label)
    if not labels and session.turns and session.turns[0].rounds:
        labels = [r.model for r in session.turns[0].rounds[0].replies]
    return tuple(labels)


def summarize(path: Path, session: Session) -> SessionSummary:
    """The picker's view of a loaded session."""
    totals = session_totals(session)
    return SessionSummary(
        path=path,
        id=session.id,
        title=session.title,
        created_at=session.created_at,
        updated_at=session.updated_at,
        status=session.status,
        turns=len(session.turns),
        cost=totals.cost,
        models=_model_labels(session),
        estimated=totals.estimated,
        unknown_cost=totals.unknown_cost,
        priced=totals.priced,
    )


def _mtime_iso(path: Path) -> str:
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return ""
    return datetime.fromtimestamp(stamp, UTC).replace(microsecond=0).isoformat()


def _session_files(directory: Path) -> list[Path]:
    try:
        entries = list(directory.iterdir())
    except OSError:
        return []
    return [
        p for p in entries if p.suffix == ".toml" and not p.name.startswith(".") and p.is_file()
    ]


def list_sessions(directory: str | os.PathLike[str]) -> list[SessionSummary]:
    """Every session file in the folder, newest first. Damaged files are listed too, with
    `error` set, so the user sees them rather than wondering where they went."""
    summaries: list[SessionSummary] = []
    for path in _session_files(Path(directory)):
        try:
            summaries.append(summarize(path, load_session(path)))
        except SessionError as error:
            summaries.append(
                SessionSummary(
                    path=path,
                    id=path.stem,
                    title="",
                    created_at="",
                    updated_at=_mtime_iso(path),
                    status="damaged",
                    turns=0,
                    cost=0.0,
                    error=str(error),
                )  # fmt: skip
            )
    summaries.sort(key=lambda s: (s.updated_at, s.path.name), reverse=True)
    return summaries


def resolve_session_ref(ref: str, directory: str | os.PathLike[str]) -> Path:
    """The session file a user means: a path, a file name or an id in the sessions folder, or
    a unique prefix of an id. Raises SessionError saying what to do otherwise."""
    folder = Path(directory)
    text = ref.strip()
    if not text:
        raise SessionError("no session given; run `cltui sessions` to list them")
    given = Path(text).expanduser()
    if given.is_file():
        return given
    for candidate in (folder / text, folder / f"{text}.toml"):
        if candidate.is_file():
            return candidate
    looks_like_path = os.sep in text or "/" in text or text.endswith(".toml")
    if looks_like_path:
        raise SessionError.at(text, "", "no such session file")
    matches = sorted(p for p in _session_files(folder) if p.stem.startswith(text))
    if not matches:  # saved under another name: look at the ids inside
        matches = sorted(s.path for s in list_sessions(folder) if s.id.startswith(text))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise SessionError(
            f"no session matches {text!r} in {folder}; run `cltui sessions` to list them"
        )
    names = ", ".join(p.stem for p in matches[:5]) + (", …" if len(matches) > 5 else "")
    raise SessionError(
        f"{text!r} matches {len(matches)} sessions in {folder} ({names}); give more of the id"
    )
