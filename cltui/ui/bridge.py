"""The seam between the engine and the UI: an event sink that posts Textual messages.

The engine runs on the app's event loop inside a worker and calls its sinks synchronously;
posting a message is cheap and never blocks, so the engine keeps its pace and widgets update from
their own message queues.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from textual.message_pump import MessagePump

from cltui.core.config import ConsensusConfig
from cltui.core.events import CreditsChanged, Event, EventSink, ReplyDelta
from cltui.core.sessions.model import Reply, Session, Turn
from cltui.ui.messages import EngineEvent


class Runner(Protocol):
    """What the UI needs from `cltui.core.runner.ConsensusRunner` (kept structural so the UI
    can be exercised with stand-ins)."""

    config: ConsensusConfig
    session: Session
    path: Path | None
    read_only: str
    """Why the session can only be viewed (another process writes it); empty otherwise."""
    last_save_error: str | None
    copied_from: Path | None

    def add_sink(self, sink: EventSink) -> None: ...

    async def ask(self, prompt: str) -> Turn: ...

    @property
    def can_resume(self) -> bool: ...

    async def resume(self) -> Turn: ...

    async def retry_reply(self, turn: int, round: int, slot: str) -> Reply: ...

    async def fetch_credits(self) -> CreditsChanged | None: ...

    async def load_prices(self) -> None: ...

    def preview(self, prompt: str = "") -> Any: ...

    def save(self) -> Path | None: ...

    def save_as(self, target: Path) -> Path: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RunnerSource:
    """How the app gets runners for a new session or a saved one."""

    sessions_dir: Path
    new: Callable[[], Runner]
    open: Callable[[Path], Runner]
    """Opens a saved session; raises `SessionError` (or `OSError`) with a user-facing message."""


def opening_notices(runner: Runner) -> list[str]:
    """What to tell the user on opening a saved session: viewing only, a copy of an example,
    or an unfinished round."""
    if runner.read_only:
        return [f"Viewing only: {runner.read_only}. Asking is off in this window."]
    notices = []
    if runner.copied_from is not None:
        notices.append(
            f"{runner.copied_from.name} is a shipped example: it is left as it is, and what you "
            f"add is saved in a copy, {runner.path}."
        )
    if runner.can_resume:
        notices.append("This session has an unfinished round: ctrl+r finishes it.")
    return notices


COALESCE_SECONDS = 0.0
"""How long text deltas may gather before they are posted (0: until the loop's next turn)."""


class UiSink:
    """An `EventSink` that posts each event as an `EngineEvent` to one target (the main screen).

    Text deltas are the exception: eight models at 200 tokens a second are 1,600 events a
    second, and each message costs a dispatch at the screen and another at the pane, which was
    most of the app's CPU at that load. Deltas of one reply that arrive within a frame are joined
    into one event. Every other event first flushes what is gathered, so each pane still sees
    its reply's events in order, and no text waits longer than a frame.
    """

    def __init__(self, target: MessagePump, *, window: float = COALESCE_SECONDS) -> None:
        self.target = target
        self.window = window
        self.active = True
        """Cleared when the target goes away, so a runner that outlives its screen posts nothing."""
        self._pending: dict[tuple[int, int, str], tuple[list[str], list[str]]] = {}
        self._flush_handle: asyncio.Handle | None = None

    def __call__(self, event: Event) -> None:
        if not self.active:
            return
        if isinstance(event, ReplyDelta):
            key = (event.turn, event.round, event.slot)
            texts, thoughts = self._pending.setdefault(key, ([], []))
            texts.append(event.text)
            thoughts.append(event.reasoning)
            if self._flush_handle is None:
                loop = asyncio.get_running_loop()
                self._flush_handle = (
                    loop.call_later(self.window, self.flush)
                    if self.window > 0
                    else loop.call_soon(self.flush)
                )
            return
        self.flush()
        self.target.post_message(EngineEvent(event))

    def flush(self) -> None:
        """Post the gathered deltas now, one event per reply."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        pending, self._pending = self._pending, {}
        if not self.active:
            return
        for (turn, rnd, slot), (texts, thoughts) in pending.items():
            delta = ReplyDelta(turn, rnd, slot, "".join(texts), "".join(thoughts))
            self.target.post_message(EngineEvent(delta))
