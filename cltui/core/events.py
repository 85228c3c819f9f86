"""What the engine tells its sinks while it runs.

The engine emits these to every sink in order: the TUI bridge turns them into Textual messages,
the headless printer into progress lines, the recorder into saved files. Replies are addressed by
(turn, round, slot): `slot` is the model's label for proposers and reviewers, and
`AGGREGATOR_SLOT` for the aggregator, so a UI can route events to panes by slot alone.

Judge calls (blender) run several at once, so each has its own slot, `judge_slot(first,
second)`: the two candidates' labels in the order shown (first as Response A), read back with
`judge_pair`. Every slot starting with `JUDGE_SLOT` belongs to the judge. Later MoA layers and
council reviews reuse the models' own slots (`ReplyStarted.role` tells a review apart), so a pane
shows a model's latest call.

The reserved slots start with `RESERVED`, a control character, and a judge slot's parts are
separated by it: a model label is plain text (the config refuses control characters in labels
and ids), so no model can take the aggregator's pane or pass for a judge call, whether it is
called 'aggregator', 'judge' or 'a|b'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cltui.core.sessions.model import Judgement, Reply, ReplyRole, Session

RESERVED = "\x1f"
"""Starts every reserved slot and separates a judge slot's parts; never in a model label."""
AGGREGATOR_SLOT = RESERVED + "aggregator"
JUDGE_SLOT = RESERVED + "judge"


def judge_slot(first: str, second: str) -> str:
    """The slot of the judge call showing `first` as Response A and `second` as Response B."""
    return f"{JUDGE_SLOT}{RESERVED}{first}{RESERVED}{second}"


def is_judge_slot(slot: str) -> bool:
    """A blender judge call's slot."""
    return slot == JUDGE_SLOT or slot.startswith(JUDGE_SLOT + RESERVED)


def judge_pair(slot: str) -> tuple[str, str] | None:
    """The two candidates of a judge slot, in the order shown (first is Response A)."""
    if not slot.startswith(JUDGE_SLOT + RESERVED):
        return None
    first, sep, second = slot[len(JUDGE_SLOT) + 1 :].partition(RESERVED)
    return (first, second) if sep and RESERVED not in second else None


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
class ReplyWaiting:
    """The call is held before it is sent, and why: "free-model limit" for `seconds`."""

    turn: int
    round: int
    slot: str
    reason: str
    seconds: float


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
    """The file at `path` now holds everything up to the event that caused the save (which the
    sinks have already received)."""

    path: str


@dataclass(frozen=True, slots=True)
class SessionSaveFailed:
    """Writing the session failed: the file at `path` misses the latest work. Every later save
    tries again; a `SessionSaved` says when one worked."""

    path: str
    reason: str
    """Why, for the user: 'No space left on device', 'open in process 4242, ...'."""


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
    | ReplyWaiting
    | ReplyDelta
    | ReplyFinished
    | JudgementMade
    | RankingReady
    | RoundFinished
    | CreditsChanged
    | SessionSaved
    | SessionSaveFailed
    | TurnFinished
)


class EventSink(Protocol):
    """Receives every event, in order. Must not block: it runs on the engine's loop."""

    def __call__(self, event: Event) -> None: ...
