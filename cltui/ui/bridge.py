"""The seam between the engine and the UI: an event sink that posts Textual messages.

The engine runs on the app's event loop inside a worker and calls its sinks synchronously;
posting a message is cheap and never blocks, so the engine keeps its pace and widgets update from
their own message queues.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from textual.message_pump import MessagePump

from cltui.core.config import ConsensusConfig
from cltui.core.events import CreditsChanged, Event, EventSink
from cltui.core.session import Reply, Session, Turn
from cltui.ui.messages import EngineEvent


class Runner(Protocol):
    """What the UI needs from `cltui.core.runner.ConsensusRunner` (kept structural so the UI
    can be exercised with stand-ins)."""

    config: ConsensusConfig
    session: Session
    path: Path | None

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

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RunnerSource:
    """How the app gets runners for a new session or a saved one."""

    sessions_dir: Path
    new: Callable[[], Runner]
    open: Callable[[Path], Runner]
    """Opens a saved session; raises `SessionError` (or `OSError`) with a user-facing message."""


class UiSink:
    """An `EventSink` that posts each event as an `EngineEvent` to one target (the main screen)."""

    def __init__(self, target: MessagePump) -> None:
        self.target = target
        self.active = True
        """Cleared when the target goes away, so a runner that outlives its screen posts nothing."""

    def __call__(self, event: Event) -> None:
        if self.active:
            self.target.post_message(EngineEvent(event))
