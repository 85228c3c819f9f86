"""The event sink that keeps a session file current while the engine runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cltui.core.events import (
    Event,
    JudgementMade,
    RankingReady,
    ReplyFinished,
    RoundFinished,
    TurnFinished,
    TurnStarted,
)
from cltui.core.sessions.errors import SessionError
from cltui.core.sessions.files import remove_stale_temp_files, write_session
from cltui.core.sessions.model import Session
from cltui.core.sessions.safe_text import title_from_prompt
from cltui.core.sessions.toml_text import TomlRenderer

SAVE_EVENTS = (TurnStarted, ReplyFinished, JudgementMade, RankingReady, RoundFinished, TurnFinished)
"""Events after which the file is rewritten: each marks work that cost time or money."""


class SessionRecorder:
    """An event sink that keeps the session file current after every finished piece of work.

    It runs on the engine's loop, so it saves synchronously; a failed save (disk full, no
    permission) is remembered and reported, never raised, so the run goes on and a later save
    can still succeed."""

    def __init__(
        self,
        session: Session,
        path: Path,
        *,
        on_saved: Callable[[Path], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        before_write: Callable[[], None] | None = None,
    ) -> None:
        self.session = session
        self.path = Path(path)
        self.on_saved = on_saved
        self.on_error = on_error
        self.before_write = before_write
        """Called before each write (the runner takes the session's lock there); a
        `SessionError` it raises fails the save like a failed write."""
        self.last_error: str | None = None
        """The message of the latest failed save, cleared by the next successful one."""
        self.saves = 0
        self._renderer = TomlRenderer()
        self._swept: Path | None = None
        """The file whose stale temp files are gone (once per file: the folder may be big)."""

    def __call__(self, event: Event) -> None:
        if isinstance(event, TurnStarted) and not self.session.title:
            self.session.title = title_from_prompt(event.prompt)
        if isinstance(event, SAVE_EVENTS):
            self.save()

    def save(self) -> bool:
        """Write the file now; True when it worked."""
        try:
            if self.before_write is not None:
                self.before_write()
            if self._swept != self.path:
                remove_stale_temp_files(self.path)
                self._swept = self.path
            write_session(self.session, self.path, self._renderer)
        except (SessionError, OSError) as error:
            self.last_error = str(error) if isinstance(error, SessionError) else (
                f"{self.path}: cannot save: {error.strerror or error}"
            )
            if self.on_error is not None:
                self.on_error(self.last_error)
            return False
        self.last_error = None
        self.saves += 1
        if self.on_saved is not None:
            self.on_saved(self.path)
        return True

    def mark_interrupted(self) -> bool:
        """Record that the run was stopped (Ctrl+C, cancel) and save: the session and its
        running turn become 'interrupted' so resuming knows what to finish. A session that was
        not running (a cancelled retry of one reply in a finished turn) keeps its status."""
        was_running = self.session.status == "running"
        for turn in self.session.turns:
            if turn.status == "running":
                turn.status = "interrupted"
                was_running = True
        if was_running:
            self.session.status = "interrupted"
        return self.save()
