"""The shape every consensus strategy has, and the helpers they share.

A strategy turns one `TurnContext` into a final answer by making calls (through
`cltui.core.engine.calls`) and recording them in the turn's rounds. It must cope with a turn
that already has rounds from an interrupted run: keep what is done, redo what is not. The engine
owns everything around it (turn status, `TurnStarted`/`TurnFinished`, cancellation reporting).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from cltui.core.agreement import agreement
from cltui.core.agreement import should_stop as agreement_reached
from cltui.core.config import ConsensusConfig, ModelSpec
from cltui.core.engine.calls import Call
from cltui.core.engine.context import TurnContext, TurnFailed
from cltui.core.sessions.model import Reply, Round, Turn


class Strategy(ABC):
    """One way of reaching a consensus. Subclasses implement `run`."""

    name: ClassVar[str]

    def __init__(self, config: ConsensusConfig) -> None:
        self.config = config

    @abstractmethod
    async def run(self, ctx: TurnContext) -> str:
        """Work the turn to its end and return the final answer; raise `TurnFailed` if it can't."""

    def retry_call(self, ctx: TurnContext, rnd: Round, slot: str) -> Call | None:
        """The call that re-runs one proposer of `rnd`, or None when the strategy can't."""
        return None

    # Early stop ------------------------------------------------------------------------------

    def measure_agreement(self, ctx: TurnContext, rnd: Round) -> float | None:
        """How much this round's aggregate agrees with the previous one (0-1), or None.

        None for round 0 and whenever either aggregate is missing. The value feeds the early
        stop (`should_stop`) and is recorded in the session, so it is measured even when no
        threshold is set: the agreement curve is worth seeing on its own.
        """
        if rnd.index == 0 or rnd.aggregate is None or not rnd.aggregate.done:
            return None
        previous = ctx.turn.rounds[rnd.index - 1].aggregate
        if previous is None or not previous.done:
            return None
        return agreement(previous.content, rnd.aggregate.content)

    def should_stop(self, ctx: TurnContext, rnd: Round) -> bool:
        """Whether the rounds after `rnd` can be skipped (called after every finished round)."""
        return agreement_reached([rnd.agreement], self.config.stop_when_agreement)

    # Shared helpers --------------------------------------------------------------------------

    def final_so_far(self, turn: Turn) -> str:
        """The best answer a cut-off turn has: its last good aggregate."""
        for rnd in reversed(turn.rounds):
            if rnd.aggregate is not None and rnd.aggregate.done:
                return rnd.aggregate.content
        return ""


def place_reply(rnd: Round, reply: Reply, order: Sequence[str]) -> None:
    """Put a proposer's reply in the round: in place of an earlier attempt, else in config order."""
    for i, existing in enumerate(rnd.replies):
        if existing.model == reply.model:
            rnd.replies[i] = reply
            return
    rank = {label: i for i, label in enumerate(order)}
    position = rank.get(reply.model, len(order))
    for i, existing in enumerate(rnd.replies):
        if rank.get(existing.model, len(order)) > position:
            rnd.replies.insert(i, reply)
            return
    rnd.replies.append(reply)


def _named_failure(reply: Reply) -> str:
    """`model: reason`, without naming the model twice (provider errors start with it)."""
    reason = reply.error or reply.status
    return reason if reason.startswith(f"{reply.model}:") else f"{reply.model}: {reason}"


def check_quorum(config: ConsensusConfig, rnd: Round, models: Sequence[ModelSpec]) -> None:
    """Raise `TurnFailed` when fewer proposers answered than the quorum needs."""
    answered = sum(1 for r in rnd.replies if r.done)
    if answered >= config.quorum:
        return
    failed = [r for r in rnd.replies if not r.done]
    reasons = {r.error or r.status for r in failed}
    if len(failed) > 1 and len(reasons) == 1:  # e.g. a missing key: say it once
        who = "all" if not answered else f"the other {len(failed)}"
        shown = f"{who} failed with: {reasons.pop()}"
    else:
        failures = [_named_failure(r) for r in failed]
        shown = "; ".join(failures[:3])
        if len(failures) > 3:
            shown += f"; and {len(failures) - 3} more"
    raise TurnFailed(
        f"only {answered} of {len(models)} models answered (need {config.quorum}): {shown}"
    )
