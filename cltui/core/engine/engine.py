"""The consensus engine: runs turns of a session with a strategy and reports them as events.

The engine owns the session's bookkeeping (turn and session status, title, final answer) and the
event delivery; the strategy owns the calls. Sinks get every event synchronously and in order,
and a sink that raises is logged and skipped so a display problem can never stop a run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from cltui.core.config import ConsensusConfig
from cltui.core.engine.calls import run_call
from cltui.core.engine.context import (
    BackendResolver,
    Clock,
    PriceEstimator,
    TurnContext,
    TurnFailed,
)
from cltui.core.engine.prompts import history_messages
from cltui.core.engine.strategies import strategy_for
from cltui.core.engine.strategies.base import place_reply
from cltui.core.events import Event, EventSink, TurnFinished, TurnStarted
from cltui.core.sessions.model import Reply, Session, SessionStatus, Turn, now_iso
from cltui.core.sessions.safe_text import title_from_prompt

logger = logging.getLogger(__name__)

RESUMABLE: tuple[SessionStatus, ...] = ("running", "interrupted", "failed")
"""A failed turn can be taken up again too: what failed is often passing (a provider down, a
key added since), and resuming keeps every good reply and redoes only the rest."""


class ConsensusEngine:
    """Runs consensus turns on one session.

    `backend_for` gives the backend for a model (the HTTP client of its provider, or a fake);
    `prices` fills in estimated costs when the API sent none; `clock` measures time to first
    token and duration (injectable so tests need no real time).
    """

    def __init__(
        self,
        config: ConsensusConfig,
        backend_for: BackendResolver,
        *,
        sinks: Sequence[EventSink] = (),
        session: Session | None = None,
        prices: PriceEstimator | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.config = config
        self.strategy = strategy_for(config)
        self.backend_for = backend_for
        self.session: Session = session if session is not None else Session(config.to_dict())
        self.prices = prices
        self.clock = clock
        self._sinks: list[EventSink] = list(sinks)
        self._busy = False

    # Events ----------------------------------------------------------------------------------

    def add_sink(self, sink: EventSink) -> None:
        self._sinks.append(sink)

    def emit(self, event: Event) -> None:
        """Deliver an event to every sink in order; a failing sink is logged and skipped."""
        for sink in tuple(self._sinks):
            try:
                sink(event)
            except Exception:
                logger.warning("an event sink failed on %s", type(event).__name__, exc_info=True)

    # Turns -----------------------------------------------------------------------------------

    @property
    def can_resume(self) -> bool:
        """Whether the last turn was cut off and can be finished with `resume`."""
        turns = self.session.turns
        return bool(turns) and turns[-1].status in RESUMABLE

    async def run_turn(self, prompt: str) -> Turn:
        """Ask a new question; returns the finished turn (complete or failed).

        Cancelling the task running this records the turn as interrupted, reports it, and
        re-raises `CancelledError`.
        """
        if not prompt.strip():
            raise ValueError("the question is empty")
        with self._claim():
            if not self.session.title:
                self.session.title = title_from_prompt(prompt)
            self.session.turns.append(Turn(prompt=prompt))
            return await self._drive(len(self.session.turns) - 1)

    async def resume(self) -> Turn:
        """Finish the last turn where it was cut off, keeping every good reply it has."""
        if not self.can_resume:
            raise RuntimeError("there is no unfinished turn to resume")
        with self._claim():
            return await self._drive(len(self.session.turns) - 1)

    async def retry_reply(self, turn: int, round: int, slot: str) -> Reply:
        """Run one proposer of the latest round again, after it failed or was cut off.

        When this gives a failed turn enough answers to go on, the turn becomes `interrupted`,
        so `resume` can finish it.
        """
        with self._claim():
            turns = self.session.turns
            if not turns or turn != len(turns) - 1:
                raise ValueError(f"only the latest turn's replies can be retried, not turn {turn}")
            target = turns[turn]
            if not target.rounds or round != len(target.rounds) - 1:
                raise ValueError(
                    f"only the latest round's replies can be retried, not round {round}"
                )
            rnd = target.rounds[round]
            existing = rnd.reply_for(slot)
            if existing is None:
                raise ValueError(f"round {round} has no reply from '{slot}' to retry")
            if existing.done:
                raise ValueError(f"'{slot}' already answered in round {round}")
            ctx = self._context(turn)
            call = self.strategy.retry_call(ctx, rnd, slot)
            if call is None:
                raise ValueError(f"'{slot}' cannot be retried with this strategy")
            order = [m.name for m in self.config.models]
            reply = await run_call(
                ctx, round, call, lambda _call, new: place_reply(rnd, new, order)
            )
            answered = sum(1 for r in rnd.replies if r.done)
            if target.status == "failed" and not rnd.complete and answered >= self.config.quorum:
                target.status = "interrupted"
                self.session.status = "interrupted"
            self.session.updated_at = now_iso()
            return reply

    # Internals -------------------------------------------------------------------------------

    def _claim(self) -> _Busy:
        if self._busy:
            raise RuntimeError("a turn is already running on this session")
        return _Busy(self)

    def _context(self, turn_index: int) -> TurnContext:
        return TurnContext(
            config=self.config,
            session=self.session,
            turn_index=turn_index,
            history=history_messages(self.session.turns[:turn_index]),
            emit=self.emit,
            backend_for=self.backend_for,
            clock=self.clock,
            prices=self.prices,
        )

    async def _drive(self, turn_index: int) -> Turn:
        turn = self.session.turns[turn_index]
        turn.status = "running"
        self.session.status = "running"
        self.session.updated_at = now_iso()
        ctx = self._context(turn_index)
        self.emit(TurnStarted(self.session, turn_index, turn.prompt))
        try:
            final = await self.strategy.run(ctx)
        except asyncio.CancelledError:
            self._finish(turn_index, "interrupted", self.strategy.final_so_far(turn))
            raise
        except TurnFailed as failure:
            self._finish(turn_index, "failed", self.strategy.final_so_far(turn), str(failure))
        except Exception as error:  # a bug must end the turn visibly, not crash the app
            logger.exception("the turn failed unexpectedly")
            reason = f"internal error: {type(error).__name__}: {error}"
            self._finish(turn_index, "failed", self.strategy.final_so_far(turn), reason)
        else:
            self._finish(turn_index, "complete", final)
        return turn

    def _finish(self, turn_index: int, status: SessionStatus, final: str, error: str = "") -> None:
        turn = self.session.turns[turn_index]
        turn.status = status
        turn.final = final
        self.session.status = status
        self.session.updated_at = now_iso()
        self.emit(TurnFinished(turn_index, status, final, error))


class _Busy:
    """Marks the engine busy for one operation: turns on one session never overlap."""

    def __init__(self, engine: ConsensusEngine) -> None:
        self.engine = engine

    def __enter__(self) -> None:
        self.engine._busy = True

    def __exit__(self, *_exc: object) -> None:
        self.engine._busy = False
