"""Where the engine's events go on the main screen.

Each event the bridge delivers is routed here: a reply's events to the pane of its slot (each
pane settles from its own queue, so a slow Markdown update in one pane never holds up the others),
judge calls and council reviews to the ranking panel, and everything else to the status bar, the
tabs and the question line. Reply deltas arrive once per token, so their path only looks things up
and posts; the status bar and the tabs change only when a state actually changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cltui.core.costs import session_totals, turn_totals
from cltui.core.events import (
    AGGREGATOR_SLOT,
    CreditsChanged,
    JudgementMade,
    RankingReady,
    ReplyDelta,
    ReplyFinished,
    ReplyRetrying,
    ReplyStarted,
    ReplyWaiting,
    RoundFinished,
    RoundStarted,
    SessionSaved,
    SessionSaveFailed,
    TurnFinished,
    TurnStarted,
)
from cltui.core.preview import planned_calls
from cltui.core.sessions.model import Round, Turn
from cltui.ui.history_cursor import aggregate_note
from cltui.ui.messages import EngineEvent, PaneEvent
from cltui.ui.pane_state import reply_state
from cltui.ui.ranking_view import is_review_call, judge_slot_of
from cltui.ui.safe_text import notify_safe
from cltui.ui.widgets.model_pane import ModelPane

if TYPE_CHECKING:
    from cltui.ui.screens.main import MainScreen

ReplyEvent = ReplyStarted | ReplyDelta | ReplyRetrying | ReplyWaiting | ReplyFinished
REPLY_EVENTS = (ReplyStarted, ReplyDelta, ReplyRetrying, ReplyWaiting, ReplyFinished)
"""The events of one model call (checked per token: a tuple, not a union built each time)."""
LIVE_STATES = ("waiting", "streaming", "retrying")


class ReviewSlots:
    """Which slots are running a judge call or a council review right now.

    Those calls go to the ranking panel, not to the model panes (a reviewer's pane keeps showing
    its proposal). Only `ReplyStarted` names the role, so the slot of a running review is
    remembered until its model proposes again."""

    def __init__(self) -> None:
        self._slots: set[str] = set()

    def claims(self, event: ReplyEvent) -> bool:
        """Whether `event` belongs to a judge call or a review."""
        if isinstance(event, ReplyStarted):
            if is_review_call(event.slot, event.role):
                self._slots.add(event.slot)
                return True
            self._slots.discard(event.slot)
            return False
        return event.slot in self._slots or is_review_call(event.slot)

    def clear(self) -> None:
        self._slots.clear()


class EventRouter:
    """Follows the live turn for one main screen and shows it as the events arrive."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.pane_layout = screen.pane_layout
        self.running = False
        """A turn is under way (between its `TurnStarted` and `TurnFinished`)."""
        self.started_at: float | None = None
        """When the running (or last) turn started, on the screen's clock."""
        self._reviews = ReviewSlots()
        self._round: RoundStarted | None = None
        """The latest round (or stage) started: what new replies belong to."""
        self._planned_reviews: int | None = None
        self._settled_turns = len(screen.runner.session.turns)
        """Turns the session had while none ran: a turn that starts beyond them is a new
        question, one within them is resumed. (The session itself cannot tell: the engine has
        moved on by the time an event is shown.)"""

    def elapsed(self) -> float | None:
        """Seconds since the turn started; None when the clock is frozen or nothing ran yet."""
        if self.started_at is None or not self.screen.motion:
            return None
        return self.screen.clock() - self.started_at

    async def route(self, message: EngineEvent) -> None:
        """Show one engine event (in the order the bridge posted them)."""
        event = message.event
        if isinstance(event, REPLY_EVENTS):
            self._reply_event(event, message.sent_at)
        elif isinstance(event, TurnStarted):
            await self._turn_started(event)
        elif isinstance(event, RoundStarted):
            await self._round_started(event)
        elif isinstance(event, RoundFinished):
            turn = self._live_turn()
            agreements = [r.agreement for r in turn.rounds[1:]] if turn is not None else []
            self.screen.status.update_info(agreement=agreements, stopped_early=event.stopped_early)
        elif isinstance(event, JudgementMade):
            if self.pane_layout.ranking_panel is not None:
                slot = judge_slot_of(event.judgement)
                self.pane_layout.ranking_panel.judges.verdict(slot, event.judgement)
        elif isinstance(event, RankingReady):
            rnd = self._live_round(event.turn, event.round)
            if self.pane_layout.ranking_panel is not None and rnd is not None:
                session_id = self.screen.runner.session.id
                self.pane_layout.ranking_panel.ranking_ready(rnd, event.turn, session_id)
            self.screen.status.update_info(judging="")
        elif isinstance(event, CreditsChanged):
            self.screen.status.update_info(credits=event.remaining, credits_known=True)
        elif isinstance(event, TurnFinished):
            self._turn_finished(event)
        elif isinstance(event, SessionSaveFailed | SessionSaved):
            self._save_event(event)

    def _save_event(self, event: SessionSaveFailed | SessionSaved) -> None:
        """A failed save stays in the status bar (path and reason) until a save works; the
        toast comes once per new reason, not after every reply that fails again."""
        status = self.screen.status
        app = self.screen.app
        if isinstance(event, SessionSaveFailed):
            if status.info.save_failed != event.reason:
                notify_safe(
                    app,
                    f"{event.reason}\n{event.path}\nIt is tried again after every reply; "
                    "ctrl+p, 'Save session as' saves it elsewhere.",
                    title="The session is not saved",
                    severity="error",
                    timeout=20,
                )
            status.update_info(save_failed=event.reason, save_path=event.path)
        elif status.info.save_failed:
            status.update_info(save_failed="", save_path="")
            notify_safe(app, f"Saved to {event.path}.")

    # -- one model call --------------------------------------------------------------------------

    def _reply_event(self, event: ReplyEvent, sent_at: float) -> None:
        if self._reviews.claims(event):
            self._review_event(event)
            return
        pane = self.pane_layout.panes.get(event.slot)
        if pane is None:
            return
        # The note travels with the event: the pane may still be settling older events.
        note = self._reply_note(pane, event.round) if isinstance(event, ReplyStarted) else None
        pane.post_message(PaneEvent(event, note, sent_at=sent_at))
        if isinstance(event, ReplyDelta):
            self._set_slot_state(event.slot, "streaming")
        elif isinstance(event, ReplyStarted):
            if pane.aggregator:
                self._name_aggregator(event.model)
            self._set_slot_state(event.slot, "waiting")
        elif isinstance(event, ReplyRetrying):
            self._set_slot_state(event.slot, "retrying")
        elif isinstance(event, ReplyWaiting):
            self._set_slot_state(event.slot, "waiting")
        else:
            self._set_slot_state(event.slot, reply_state(event.reply))
            self.refresh_totals(self._live_turn())
            self.screen.status.update_info(elapsed=self.elapsed())

    def _reply_note(self, pane: ModelPane, round_index: int) -> str:
        """What a pane's new reply is: an moa layer, or which round's aggregate."""
        started = self._round
        if pane.aggregator:
            return aggregate_note(round_index, started.total_rounds if started else 1)
        stage = started.stage if started is not None else ""
        return stage if stage.startswith("layer") else ""

    def _name_aggregator(self, model: str) -> None:
        """The status bar names the aggregator by the model writing now: when the fallback
        stands in, the failed primary's name must not claim its answer."""
        layout, status = self.pane_layout, self.screen.status
        old = layout.status_names[AGGREGATOR_SLOT]
        proposers = {name for slot, name in layout.status_names.items() if slot != AGGREGATOR_SLOT}
        new = f"Σ {model}" if model in proposers else model
        if new == old:
            return
        layout.status_names[AGGREGATOR_SLOT] = new
        status.update_info(
            slots={(new if k == old else k): v for k, v in status.info.slots.items()}
        )

    def _set_slot_state(self, slot: str, state: str) -> None:
        """A pane's state in the status bar and its tab. Runs per token, so it only touches the
        widgets when the state changes."""
        pane = self.pane_layout.panes.get(slot)
        if pane is None:
            return
        name = self.pane_layout.status_names[slot]
        status = self.screen.status
        if status.info.slots.get(name) == state:
            return
        status.update_info(slots={**status.info.slots, name: state})
        self.pane_layout.refresh_tab(pane, state)

    def _review_event(self, event: ReplyEvent) -> None:
        panel = self.pane_layout.ranking_panel
        if panel is None:
            return
        if isinstance(event, ReplyDelta):
            panel.call_delta(event.slot, event.text)
            return  # the count of calls done stays as it is
        if isinstance(event, ReplyStarted):
            panel.call_started(event.slot, event.model)
        elif isinstance(event, ReplyFinished):
            rnd = self._live_round(event.turn, event.round)
            panel.call_finished(
                event.slot, event.reply, rnd, event.turn, self.screen.runner.session.id
            )
            self.refresh_totals(self._live_turn())
        self._refresh_judging()

    def _refresh_judging(self) -> None:
        """'judge 4/6' in the status bar while the round's judge calls or reviews run."""
        panel = self.pane_layout.ranking_panel
        if panel is None:
            return
        if self._planned_reviews is None:
            plan = planned_calls(self.screen.runner.config)
            self._planned_reviews = plan.judge or plan.reviewers
        calls = panel.judges.calls
        word = "judge" if panel.kind == "judge" else "reviews"
        planned = max(self._planned_reviews, len(calls))
        self.screen.status.update_info(judging=f"{word} {panel.judges.done_count}/{planned}")

    # -- turns and rounds ------------------------------------------------------------------------

    async def _turn_started(self, event: TurnStarted) -> None:
        screen = self.screen
        if event.turn < self._settled_turns:
            # A resumed turn carries on from its latest round: show that, not a past one.
            if screen.view is not None:
                await screen.show_position(screen.history.latest())
        else:
            # A new question: no pane keeps showing an answer to the last one (or to a round
            # from history) while its model has not started on this one.
            for pane in self.pane_layout.panes.values():
                pane.post_message(PaneEvent(event))
        self.running = True
        screen.history.go_live()
        self.started_at = screen.clock()
        screen.show_question(event.prompt)
        self._reviews.clear()
        for pane in self.pane_layout.panes.values():
            pane.set_note("")
        screen.status.update_info(
            history="", preview="", notice="", elapsed=self.elapsed(),
            agreement=[], stopped_early=False, judging="",
        )  # fmt: skip
        self.refresh_totals(self._live_turn())
        screen.app.refresh_bindings()

    async def _round_started(self, event: RoundStarted) -> None:
        self._round = event
        changes: dict[str, object] = {
            "round": (event.round + 1, event.total_rounds),
            "stage": event.stage,
        }
        if event.stage in ("judge", "review"):
            if self.pane_layout.ranking_panel is not None:
                await self.pane_layout.ranking_panel.round_started(event.round)
                self._refresh_judging()
        else:  # a new round, or an moa layer: the proposers answer again
            changes["slots"] = {name: "waiting" for name in self.pane_layout.status_names.values()}
            changes["judging"] = ""
            for pane in self.pane_layout.panes.values():
                self.pane_layout.refresh_tab(pane, "waiting")
        self.screen.status.update_info(**changes)

    def turn_ended(self, turn: int | None = None) -> None:
        """The running turn is over: turn number `turn` finished, or (None) its worker failed."""
        self.running = False
        count = len(self.screen.runner.session.turns) if turn is None else turn + 1
        self._settled_turns = max(self._settled_turns, count)

    def _turn_finished(self, event: TurnFinished) -> None:
        screen = self.screen
        self.turn_ended(event.turn)
        for pane in self.pane_layout.panes.values():
            pane.post_message(PaneEvent(event))
        self._settle_slot_states()
        self.refresh_totals(self._live_turn())
        screen.status.update_info(elapsed=self.elapsed(), judging="", stage="")
        if event.status == "failed":
            reason = event.error or "the turn failed"
            screen.status.update_info(notice=reason, notice_severity="error")
            notify_safe(
                screen.app,
                f"{reason}\n\nctrl+r tries again from where it stopped.",
                title="Turn failed",
                severity="error",
            )
        screen.app.refresh_bindings()

    def _settle_slot_states(self) -> None:
        """The turn ended: a pane still waiting or streaming in the status bar shows how its
        call ended, or that it stopped with the turn (as the pane itself does)."""
        turn = self._live_turn()
        rnd = turn.rounds[-1] if turn is not None and turn.rounds else None
        slots = self.screen.status.info.slots
        for slot, pane in self.pane_layout.panes.items():
            if slots.get(self.pane_layout.status_names[slot]) not in LIVE_STATES:
                continue
            reply = None
            if rnd is not None:
                reply = rnd.aggregate if pane.aggregator else rnd.reply_for(slot)
            state = reply_state(reply)
            self._set_slot_state(slot, "stopped" if state in LIVE_STATES + ("idle",) else state)

    # -- the session -----------------------------------------------------------------------------

    def refresh_totals(self, turn: Turn | None) -> None:
        """Tokens and cost of `turn` and of the whole session in the status bar."""
        self.screen.status.update_info(
            turn=turn_totals(turn) if turn is not None else None,
            session=session_totals(self.screen.runner.session),
        )

    def _live_turn(self) -> Turn | None:
        turns = self.screen.runner.session.turns
        return turns[-1] if turns else None

    def _live_round(self, turn: int, round_index: int) -> Round | None:
        turns = self.screen.runner.session.turns
        if turn < len(turns) and round_index < len(turns[turn].rounds):
            return turns[turn].rounds[round_index]
        return None
