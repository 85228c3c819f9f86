"""What a strategy needs while it runs one turn, gathered in one object.

Strategies and the call helpers receive a `TurnContext` instead of the engine itself, so they
cannot reach into the engine's bookkeeping (sinks, busy flag) and are easy to drive in tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cltui.core.config import ConsensusConfig, ModelSpec
from cltui.core.events import Event
from cltui.core.messages import ChatMessage
from cltui.core.providers.base import ChatBackend
from cltui.core.sessions.model import Round, Session, Turn

BackendResolver = Callable[[ModelSpec], ChatBackend]
Clock = Callable[[], float]


class PriceEstimator(Protocol):
    """Anything that can price a call from list prices (`cltui.core.costs.PriceBook` does)."""

    def estimate(
        self, model_id: str, prompt_tokens: int, completion_tokens: int
    ) -> float | None: ...


class TurnFailed(Exception):
    """The turn cannot go on. `str(error)` is the user-facing reason, shown as it is."""


@dataclass(slots=True)
class TurnContext:
    """One turn being worked on: where to record replies and how to make and report calls."""

    config: ConsensusConfig
    session: Session
    turn_index: int
    history: tuple[ChatMessage, ...]
    """The earlier turns as (user, assistant) pairs, oldest first."""
    emit: Callable[[Event], None]
    backend_for: BackendResolver
    clock: Clock
    prices: PriceEstimator | None = None

    @property
    def turn(self) -> Turn:
        return self.session.turns[self.turn_index]

    @property
    def prompt(self) -> str:
        return self.turn.prompt

    def round(self, index: int) -> Round:
        """The turn's round with that index, created (in order) when it does not exist yet."""
        rounds = self.turn.rounds
        while len(rounds) <= index:
            rounds.append(Round(index=len(rounds)))
        return rounds[index]
