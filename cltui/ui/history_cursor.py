"""Stepping through a session's history: which (turn, round) is shown, and what the screen says
about it.

No widgets here: the main screen asks the cursor where a history key leads and gets back a
`ShownRound`, which holds everything the panes, the ranking panel and the status bar show for that
position (worked out from the session alone, so it is tested without an app).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cltui.core.events import AGGREGATOR_SLOT
from cltui.core.sessions.model import Reply, Round, Session, Turn

Position = tuple[int, int]
"""(turn, round), both 0-based. A turn without rounds has the one position (turn, 0)."""
StepKind = Literal["round", "turn"]


def aggregate_note(round_index: int, total_rounds: int) -> str:
    """What an aggregate is, when its turn has several: 'round 2/3 aggregate'."""
    return f"round {round_index + 1}/{total_rounds} aggregate" if total_rounds > 1 else ""


@dataclass(frozen=True, slots=True)
class ShownRound:
    """One position of the history and the words and numbers that go with it."""

    turn_index: int
    round_index: int
    turn: Turn
    round: Round | None
    """None for a turn that has no round yet (it failed or was stopped before one began)."""
    turn_count: int
    live: bool
    """It is the latest position: showing it is not browsing history."""
    planned_rounds: int | None = None
    """Rounds a turn of the session's config makes (None: unknown)."""

    @property
    def total_rounds(self) -> int:
        """The turn's rounds: those it made once it completed (early stop may have made fewer
        than planned), else those it will make when resumed, so an interrupted turn at its
        second of three rounds reads 2/3, not 2/2."""
        made = max(len(self.turn.rounds), 1)
        if self.turn.status == "complete" or self.planned_rounds is None:
            return made
        return max(made, self.planned_rounds)

    @property
    def is_last_of_complete_turn(self) -> bool:
        """The turn's last round, and the turn completed: its aggregate is the final answer."""
        return (
            self.round is not None
            and self.round_index == len(self.turn.rounds) - 1
            and self.turn.status == "complete"
        )

    @property
    def aggregate_note(self) -> str:
        """The aggregator pane's note ('' for the final answer, which says so itself)."""
        if self.is_last_of_complete_turn:
            return ""
        return aggregate_note(self.round_index, self.total_rounds)

    @property
    def layer_note(self) -> str:
        """The model panes' note for a multi-layer (moa) round: 'layer 3/3'."""
        layer = self.round.layer if self.round is not None else None
        return f"layer {layer}/{layer}" if layer and layer > 1 else ""

    @property
    def history_label(self) -> str:
        """'Turn 2/3 · Round 1/2 (history)', or '' for the latest position."""
        if self.live:
            return ""
        return (
            f"Turn {self.turn_index + 1}/{self.turn_count} · "
            f"Round {self.round_index + 1}/{self.total_rounds} (history)"
        )

    @property
    def agreements(self) -> list[float | None]:
        """Agreement of each improvement round up to this one with the round before."""
        return [rnd.agreement for rnd in self.turn.rounds[1 : self.round_index + 1]]

    def stopped_early(self, planned_rounds: int) -> bool:
        """The turn ended before its planned rounds because the answers agreed."""
        return self.is_last_of_complete_turn and len(self.turn.rounds) < planned_rounds

    def reply_for(self, slot: str) -> Reply | None:
        """What the pane of `slot` shows here (the aggregator's slot shows the aggregate)."""
        if self.round is None:
            return None
        if slot == AGGREGATOR_SLOT:
            return self.round.aggregate
        return self.round.reply_for(slot)


class HistoryCursor:
    """Which position of a session the screen shows, and where the history keys move it."""

    def __init__(self, session: Session, planned_rounds: int | None = None) -> None:
        self.session = session
        self.planned_rounds = planned_rounds
        """Rounds a turn makes with the session's config (for unfinished turns' totals)."""
        self.shown: Position | None = None
        """The position shown from history, or None while the latest one is shown."""

    def positions(self) -> list[Position]:
        """Every position that can be shown, oldest first."""
        found: list[Position] = []
        for t, turn in enumerate(self.session.turns):
            found.extend((t, r) for r in range(len(turn.rounds)))
            if not turn.rounds:
                found.append((t, 0))
        return found

    def latest(self) -> Position:
        """The newest position ((0, 0) for an empty session)."""
        found = self.positions()
        return found[-1] if found else (0, 0)

    @property
    def current(self) -> Position:
        return self.shown if self.shown is not None else self.latest()

    def target(self, kind: StepKind, step: int) -> Position | None:
        """Where `step` rounds (or turns) from the current position lead, kept within the
        history; None when there is no history yet. Stepping by turns lands on a turn's last
        round."""
        found = self.positions()
        if not found:
            return None
        current = self.current
        index = found.index(current) if current in found else len(found) - 1
        if kind == "round":
            return found[min(max(index + step, 0), len(found) - 1)]
        turn = min(max(current[0] + step, 0), len(self.session.turns) - 1)
        return [p for p in found if p[0] == turn][-1]

    def show(self, position: Position) -> ShownRound | None:
        """Make `position` the one shown and describe it (None when the session has no turns)."""
        turns = self.session.turns
        if not turns:
            return None
        t, r = position
        turn = turns[t]
        live = position == self.latest()
        self.shown = None if live else position
        return ShownRound(
            turn_index=t,
            round_index=r,
            turn=turn,
            round=turn.rounds[r] if r < len(turn.rounds) else None,
            turn_count=len(turns),
            live=live,
            planned_rounds=self.planned_rounds,
        )

    def go_live(self) -> None:
        """A new turn started: the latest position is the one shown."""
        self.shown = None
