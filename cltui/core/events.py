"""What the engine tells its sinks while it runs.

The engine emits these to every sink in order: the TUI bridge turns them into Textual messages,
the headless printer into progress lines, the recorder into saved files. Replies are addressed by
(turn, round, slot): `slot` is the model's label for proposers and reviewers, and
`AGGREGATOR_SLOT` for the aggregator, so a UI can route events to panes by slot alone.

Judge calls (blender) run several at once, so each has its own slot:
`f"{JUDGE_SLOT}:{first}|{second}"`, the two candidates' labels in the order shown (first as
Response A). Every slot starting with `JUDGE_SLOT` belongs to the judge. Later MoA layers and
council reviews reuse the models' own slots (`ReplyStarted.role` tells a review apart), so a pane
shows a model's latest call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cltui.core.session import Judgement, Reply, ReplyRole, Session

AGGREGATOR_SLOT = "aggregator"
JUDGE_SLOT = "judge"


@dataclass(frozen=True, slots=True)
class TurnStarted:
    session: Session
    turn: int
    prompt: str


@dataclass(frozen=True, slots=True)
class RoundStarted:
    turn: int
    round: int
    total_rounds: int
    """Rounds planned for this turn (early stop may end sooner)."""
    stage: str = "propose"
    """What the round does first: 'propose', or 'layer 2/3' for moa."""


@dataclass(frozen=True, slots=True)
class ReplyStarted:
    turn: int
    round: int
    slot: str
    model: str
    role: ReplyRole


@dataclass(frozen=True, slots=True)
class ReplyRetrying:
    turn: int
    round: int
    slot: str
    attempt: int
    max_attempts: int
    delay: float
    reason: str


@dataclass(frozen=True, slots=True)
class ReplyDelta:
    """New text. `text` and `reasoning` are increments, not the whole reply."""

    turn: int
    round: int
    slot: str
    text: str = ""
    reasoning: str = ""


@dataclass(frozen=True, slots=True)
class ReplyFinished:
    """A call ended: `reply.status` says how (ok, error, partial, cancelled)."""

    turn: int
    round: int
    slot: str
    reply: Reply


@dataclass(frozen=True, slots=True)
class JudgementMade:
    turn: int
    round: int
    judgement: Judgement


@dataclass(frozen=True, slots=True)
class RankingReady:
    """The round's ranking; empty when no verdict or review could be read (`read` is 0)."""

    turn: int
    round: int
    ranking: list[dict[str, object]]
    read: int | None = None
    """Verdicts or reviews read (None: none were asked for, e.g. a single candidate)."""
    asked: int | None = None
    unit: str = "verdicts"
    """What was read: 'verdicts' (blender's judge) or 'reviews' (council)."""


@dataclass(frozen=True, slots=True)
class RoundFinished:
    turn: int
    round: int
    agreement: float | None = None
    stopped_early: bool = False
    """True when agreement reached the threshold and the remaining rounds are skipped."""


@dataclass(frozen=True, slots=True)
class CreditsChanged:
    remaining: float | None
    """Credits left (or the key's limit left); None when unknown or unlimited."""
    used: float | None = None


@dataclass(frozen=True, slots=True)
class SessionSaved:
    path: str


@dataclass(frozen=True, slots=True)
class TurnFinished:
    """The turn ended: complete, failed (with a reason) or interrupted."""

    turn: int
    status: str
    final: str = ""
    error: str = ""


Event = (
    TurnStarted
    | RoundStarted
    | ReplyStarted
    | ReplyRetrying
    | ReplyDelta
    | ReplyFinished
    | JudgementMade
    | RankingReady
    | RoundFinished
    | CreditsChanged
    | SessionSaved
    | TurnFinished
)


class EventSink(Protocol):
    """Receives every event, in order. Must not block: it runs on the engine's loop."""

    def __call__(self, event: Event) -> None: ...
