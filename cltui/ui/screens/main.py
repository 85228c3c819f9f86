"""The main screen: model panes, the aggregator pane, the prompt, the status bar.

It receives every engine event from the bridge, forwards reply events to the pane they address
(each pane settles from its own queue, so a slow Markdown update in one pane never holds up the
others) and keeps the status bar current. History is read straight from the session.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static, Tab, Tabs, TextArea

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
    RoundFinished,
    RoundStarted,
    TurnFinished,
    TurnStarted,
)
from cltui.core.preview import format_preview, planned_calls
from cltui.core.session import Round, Turn
from cltui.ui.bridge import Runner, UiSink
from cltui.ui.keymap import SCREEN_BINDINGS
from cltui.ui.messages import EngineEvent, PaneEvent, PromptSubmitted
from cltui.ui.ranking_view import RANKING_STRATEGIES, is_judge_slot, judge_slot_of
from cltui.ui.render_load import RenderLoad, RenderMode
from cltui.ui.safe_text import notify_safe, one_line, plain
from cltui.ui.widgets.model_pane import STATE_ICONS, ModelPane, reply_state
from cltui.ui.widgets.prompt_input import PromptInput
from cltui.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from cltui.ui.app import ConsensusApp
    from cltui.ui.widgets.ranking_panel import RankingPanel

NARROW_WIDTH = 100
"""Below this many columns the model panes become tabs."""
PREVIEW_DELAY = 0.3
"""Seconds of quiet typing before the cost preview is worked out again."""
REVIEW_ROLES = frozenset({"judge", "reviewer"})
RANKING_TAB = "tab-ranking-panel"


WELCOME = """\
**Ask a question below.** Every model answers in its own pane at the same time; this pane
merges their answers, and improvement rounds refine the result.

*f1* shows every key · *ctrl+p* opens the command palette · *ctrl+o* reopens a saved session
"""


def config_summary(runner: Runner) -> str:
    """The top line before the first question: strategy, models and rounds."""
    config = runner.config
    models = len(config.models)
    rounds = config.rounds
    return (
        f"{config.strategy} · {models} model{'s' if models != 1 else ''} · "
        f"{rounds} round{'s' if rounds != 1 else ''} per question"
    )


def grid_columns(count: int) -> int:
    """Columns for `count` model panes: 1-3 side by side, 4 as 2×2, then up to 4 per row."""
    if count <= 3:
        return max(count, 1)
    if count == 4:
        return 2
    return min(math.ceil(count / 2), 4)


class MainScreen(Screen[None]):
    """Where a conversation happens."""

    CSS_PATH = "main.tcss"
    BINDINGS: ClassVar[list[BindingType]] = list(SCREEN_BINDINGS)
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [
        (0, "-narrow"),
        (NARROW_WIDTH, "-wide"),
    ]
    ALLOW_IN_MAXIMIZED_VIEW: ClassVar[str] = "Footer, StatusBar"

    def __init__(
        self,
        runner: Runner,
        *,
        animate: bool = True,
        clock: Callable[[], float] = time.monotonic,
        render: RenderMode = "auto",
    ) -> None:
        super().__init__()
        self.runner = runner
        self.animate = animate
        self.clock = clock
        self.render_load = RenderLoad(render, on_change=self._render_load_changed)
        """Whether the panes stream Markdown or plain text (fast mode), from the load."""
        self.sink = UiSink(self)
        self.view: tuple[int, int] | None = None
        """(turn, round) shown from history, or None for the latest."""
        self.running = False
        self._started_at: float | None = None
        self._review_slots: set[str] = set()
        """Slots whose current call is a judge call or a review (shown in the ranking panel)."""
        self._stage = ""
        self._total_rounds = 1
        self._preview_timer: Timer | None = None
        self._status: StatusBar | None = None
        self._tabs: dict[str, Tab] = {}
        config = runner.config
        self.ranking_panel: RankingPanel | None = None
        if config.strategy in RANKING_STRATEGIES and not config.is_plain_chat:
            from cltui.ui.widgets.ranking_panel import RankingPanel  # only ranking strategies

            self.ranking_panel = RankingPanel(
                config.strategy, self_vote=config.self_vote, id="ranking-panel"
            )
        self.panes: dict[str, ModelPane] = {}
        for i, model in enumerate(config.models):
            self.panes[model.name] = ModelPane(
                model.name,
                model.name,
                index=i + 1,
                load=self.render_load,
                id=f"pane-{i}",
            )
        if config.aggregator is not None:
            self.panes[AGGREGATOR_SLOT] = ModelPane(
                AGGREGATOR_SLOT,
                config.aggregator.model.name,
                index=len(config.models) + 1,
                aggregator=True,
                load=self.render_load,
                id="pane-aggregator",
            )

    @property
    def consensus_app(self) -> ConsensusApp:
        return self.app  # type: ignore[return-value]

    def model_panes(self) -> list[ModelPane]:
        return [p for p in self.panes.values() if not p.aggregator]

    def compose(self) -> ComposeResult:
        yield Static("", id="question", markup=False)
        tabs = [Tab(self._tab_label(pane), id=f"tab-{pane.id}") for pane in self.panes.values()]
        self._tabs = {str(tab.id): tab for tab in tabs}
        if self.ranking_panel is not None:
            tabs.append(Tab(Content("⚖ ranking"), id=RANKING_TAB))
        yield Tabs(*tabs, id="pane-tabs")
        with Vertical(id="panes"):
            with Container(id="models"):
                yield from self.model_panes()
            with Horizontal(id="bottom"):
                if AGGREGATOR_SLOT in self.panes:
                    yield self.panes[AGGREGATOR_SLOT]
                if self.ranking_panel is not None:
                    yield self.ranking_panel
        yield PromptInput(id="prompt")
        yield StatusBar(id="status")
        yield Footer()

    async def on_mount(self) -> None:
        self.query_one("#models").styles.grid_size_columns = grid_columns(len(self.model_panes()))
        self.runner.add_sink(self.sink)
        prompt = self.query_one(PromptInput)
        prompt.cursor_blink = self.animate
        prompt.focus()
        if self.animate:
            self.set_interval(0.1, self._tick)
        first = next(iter(self.panes.values()))
        first.add_class("-tab-active")
        if self.runner.session.turns:
            await self.show_position(self.latest())
        else:
            self.refresh_preview()
            self.query_one("#question", Static).update(plain(config_summary(self.runner)))
            if AGGREGATOR_SLOT in self.panes:
                await self.panes[AGGREGATOR_SLOT].show_hint(WELCOME)
        self.consensus_app.screen_ready(self)

    def on_unmount(self) -> None:
        self.sink.active = False

    # -- helpers ---------------------------------------------------------------------------------

    @property
    def status(self) -> StatusBar:
        if self._status is None:  # looked up once: the screen asks for it on every token
            self._status = self.query_one(StatusBar)
        return self._status

    def _tab_label(self, pane: ModelPane, state: str | None = None) -> Content:
        prefix = "Σ " if pane.aggregator else f"{pane.index} "
        icon = STATE_ICONS.get(state or pane.state, "")
        return Content.assemble((prefix, "dim"), plain(one_line(pane.model_name, 24)), f" {icon}")

    def _refresh_tab(self, pane: ModelPane, state: str | None = None) -> None:
        tab = self._tabs.get(f"tab-{pane.id}")
        if tab is not None:
            tab.label = self._tab_label(pane, state)

    def _set_slot_state(self, slot: str, state: str) -> None:
        """A pane's state in the status bar and its tab; runs per token, so it only touches
        the widgets when the state actually changes."""
        pane = self.panes.get(slot)
        if pane is None:
            return
        info = self.status.info
        if info.slots.get(pane.model_name) == state:
            return
        slots = dict(info.slots)
        slots[pane.model_name] = state
        self.status.update_info(slots=slots)
        self._refresh_tab(pane, state)

    def refresh_preview(self) -> None:
        """Show the calls and cost range of asking what is in the prompt box.

        Shown while idle, before the first question or while a follow-up is being typed; the
        estimate is arithmetic over the config and the list prices, so it is cheap enough to
        redo after every pause in typing."""
        self._preview_timer = None
        if self.running or self.view is not None:
            return
        prompt = self.query_one(PromptInput).text
        if self.runner.session.turns and not prompt.strip():
            self.status.update_info(preview="")
            return
        try:
            preview = self.runner.preview(prompt)
        except Exception as error:  # a preview is a nicety; never let it break the screen
            self.log.warning(f"no cost preview: {error}")
            return
        self.status.update_info(preview=format_preview(preview))

    @on(TextArea.Changed, "#prompt")
    def _prompt_changed(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY, self.refresh_preview)

    def _refresh_totals(self, turn: Turn | None) -> None:
        self.status.update_info(
            turn=turn_totals(turn) if turn is not None else None,
            session=session_totals(self.runner.session),
        )

    def _render_load_changed(self, fast: bool) -> None:
        """Auto mode tripped into fast mode, or calmed down: say so in the status bar."""
        self.status.update_info(fast=fast)

    def _tick(self) -> None:
        for pane in self.panes.values():
            pane.tick()
        if self.status.info.fast:
            _ = self.render_load.fast  # asking lets it calm down (and say so) between replies
        info = self.status.info
        info.spinner_frame += 1
        if self.running and self._started_at is not None:
            info.elapsed = self.clock() - self._started_at
        if self.running:
            self.status.refresh()

    def focused_pane(self) -> ModelPane | None:
        """The pane holding focus (or holding the focused widget), if any."""
        node = self.focused
        while node is not None:
            if isinstance(node, ModelPane):
                return node
            node = node.parent  # type: ignore[assignment]
        return None

    def target_pane(self) -> ModelPane:
        """The pane a pane command acts on: the focused one, else the aggregator (or first)."""
        pane = self.focused_pane()
        if pane is not None:
            return pane
        return self.panes.get(AGGREGATOR_SLOT) or next(iter(self.panes.values()))

    # -- engine events ---------------------------------------------------------------------------

    @on(EngineEvent)
    async def on_engine_event(self, message: EngineEvent) -> None:
        event = message.event
        if isinstance(event, ReplyStarted | ReplyDelta | ReplyRetrying | ReplyFinished):
            if self._is_review(event):
                self._review_event(event)
                return
            pane = self.panes.get(event.slot)
            if pane is not None:
                # The note travels with the event: the pane may still be settling older events.
                note = (
                    self._reply_note(pane, event.round) if isinstance(event, ReplyStarted) else None
                )
                pane.post_message(PaneEvent(event, note, sent_at=message.sent_at))
            if isinstance(event, ReplyStarted):
                self._set_slot_state(event.slot, "waiting")
            elif isinstance(event, ReplyDelta):
                self._set_slot_state(event.slot, "streaming")
            elif isinstance(event, ReplyRetrying):
                self._set_slot_state(event.slot, "retrying")
            else:
                self._set_slot_state(event.slot, reply_state(event.reply))
                self._refresh_totals(self._live_turn())
                self._update_elapsed()
        elif isinstance(event, TurnStarted):
            await self._turn_started(event)
        elif isinstance(event, RoundStarted):
            await self._round_started(event)
        elif isinstance(event, RoundFinished):
            turn = self._live_turn()
            agreements = [r.agreement for r in turn.rounds[1:]] if turn is not None else []
            self.status.update_info(agreement=agreements, stopped_early=event.stopped_early)
        elif isinstance(event, JudgementMade):
            if self.ranking_panel is not None:
                self.ranking_panel.judges.verdict(judge_slot_of(event.judgement), event.judgement)
        elif isinstance(event, RankingReady):
            rnd = self._live_round(event.turn, event.round)
            if self.ranking_panel is not None and rnd is not None:
                self.ranking_panel.ranking_ready(rnd, event.turn, self.runner.session.id)
            self.status.update_info(judging="")
        elif isinstance(event, CreditsChanged):
            self.status.update_info(credits=event.remaining, credits_known=True)
        elif isinstance(event, TurnFinished):
            self._turn_finished(event)

    def _live_turn(self) -> Turn | None:
        turns = self.runner.session.turns
        return turns[-1] if turns else None

    def _live_round(self, turn: int, round: int) -> Round | None:
        turns = self.runner.session.turns
        if turn < len(turns) and round < len(turns[turn].rounds):
            return turns[turn].rounds[round]
        return None

    def _is_review(self, event: ReplyStarted | ReplyDelta | ReplyRetrying | ReplyFinished) -> bool:
        """Judge calls and council reviews go to the ranking panel, not to the model panes
        (a reviewer's pane keeps showing its proposal). Only `ReplyStarted` names the role, so
        the slots of running reviews are remembered until their model proposes again."""
        if isinstance(event, ReplyStarted):
            if event.role in REVIEW_ROLES or is_judge_slot(event.slot):
                self._review_slots.add(event.slot)
                return True
            self._review_slots.discard(event.slot)
            return False
        return event.slot in self._review_slots or is_judge_slot(event.slot)

    def _review_event(
        self, event: ReplyStarted | ReplyDelta | ReplyRetrying | ReplyFinished
    ) -> None:
        panel = self.ranking_panel
        if panel is None:
            return
        if isinstance(event, ReplyStarted):
            panel.call_started(event.slot, event.model)
        elif isinstance(event, ReplyDelta):
            panel.call_delta(event.slot, event.text)
        elif isinstance(event, ReplyFinished):
            rnd = self._live_round(event.turn, event.round)
            panel.call_finished(event.slot, event.reply, rnd, event.turn, self.runner.session.id)
            self._refresh_totals(self._live_turn())
        self._refresh_judging()

    def _refresh_judging(self) -> None:
        """'judge 4/6' in the status bar while the round's judge calls or reviews run."""
        panel = self.ranking_panel
        if panel is None:
            return
        plan = planned_calls(self.runner.config)
        planned = plan.judge or plan.reviewers
        calls = panel.judges.calls.values()
        done = sum(1 for c in calls if c.state in ("done", "error"))
        word = "judge" if panel.kind == "judge" else "reviews"
        self.status.update_info(judging=f"{word} {done}/{max(planned, len(calls))}")

    def _reply_note(self, pane: ModelPane, round: int) -> str:
        """What a pane's new reply is: an moa layer, or which round's aggregate."""
        if pane.aggregator:
            total = self._total_rounds
            return f"round {round + 1}/{total} aggregate" if total > 1 else ""
        return self._stage if self._stage.startswith("layer") else ""

    async def _round_started(self, event: RoundStarted) -> None:
        self._stage = event.stage
        self._total_rounds = event.total_rounds
        changes: dict[str, object] = {
            "round": (event.round + 1, event.total_rounds),
            "stage": event.stage,
        }
        if event.stage in ("judge", "review"):
            if self.ranking_panel is not None:
                await self.ranking_panel.round_started(event.round)
                self._refresh_judging()
        else:  # a new round, or an moa layer: the proposers answer again
            changes["slots"] = {p.model_name: "waiting" for p in self.panes.values()}
            changes["judging"] = ""
        self.status.update_info(**changes)

    def _update_elapsed(self) -> None:
        if self._started_at is not None:
            self.status.update_info(elapsed=self.clock() - self._started_at)

    async def _turn_started(self, event: TurnStarted) -> None:
        self.running = True
        self.view = None
        self._started_at = self.clock()
        self.query_one("#question", Static).update(plain(f"› {one_line(event.prompt)}"))
        self._review_slots.clear()
        for pane in self.panes.values():
            pane.set_note("")
        self.status.update_info(
            history="", preview="", notice="", elapsed=0.0 if self.animate else None,
            agreement=[], stopped_early=False, judging="",
        )  # fmt: skip
        self._refresh_totals(self._live_turn())
        self.app.refresh_bindings()

    def _turn_finished(self, event: TurnFinished) -> None:
        self.running = False
        for pane in self.panes.values():
            pane.post_message(PaneEvent(event))
        self._update_elapsed()
        if not self.animate:
            self.status.info.elapsed = None
        self._refresh_totals(self._live_turn())
        self.status.update_info(judging="", stage="")
        if event.status == "failed":
            reason = event.error or "the turn failed"
            self.status.update_info(notice=reason, notice_severity="error")
            notify_safe(self.app, reason, title="Turn failed", severity="error")
        self.app.refresh_bindings()

    # -- prompt ----------------------------------------------------------------------------------

    @on(PromptSubmitted)
    def _prompt_submitted(self, message: PromptSubmitted) -> None:
        self.consensus_app.submit(message.text)

    # -- tabs (narrow layout) --------------------------------------------------------------------

    @on(Tabs.TabActivated, "#pane-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab is None or event.tab.id is None:
            return
        pane_id = event.tab.id.removeprefix("tab-")
        for pane in self.panes.values():
            pane.set_class(pane.id == pane_id, "-tab-active")
        panes = self.query_one("#panes")
        panes.set_class(pane_id == "pane-aggregator", "-show-aggregator")
        panes.set_class(pane_id == "ranking-panel", "-show-ranking")

    # -- history ---------------------------------------------------------------------------------

    def positions(self) -> Iterator[tuple[int, int]]:
        """Every (turn, round) that can be shown, oldest first."""
        for t, turn in enumerate(self.runner.session.turns):
            if not turn.rounds:
                yield (t, 0)
            for r in range(len(turn.rounds)):
                yield (t, r)

    def latest(self) -> tuple[int, int]:
        found = list(self.positions())
        return found[-1] if found else (0, 0)

    async def show_position(self, position: tuple[int, int]) -> None:
        """Show one round of the history in every pane (settled, not streamed)."""
        turns = self.runner.session.turns
        if not turns:
            return
        t, r = position
        turn = turns[t]
        rnd: Round | None = turn.rounds[r] if r < len(turn.rounds) else None
        live = position == self.latest()
        self.view = None if live else position
        for slot, pane in self.panes.items():
            if rnd is None:
                reply = None
            elif slot == AGGREGATOR_SLOT:
                reply = rnd.aggregate
            else:
                reply = rnd.reply_for(slot)
            await pane.show_reply(reply, address=(t, r))
            self._refresh_tab(pane)
        total_rounds = max(len(turn.rounds), 1)
        if AGGREGATOR_SLOT in self.panes:
            final = rnd is not None and r == len(turn.rounds) - 1 and turn.status == "complete"
            note = f"round {r + 1}/{total_rounds} aggregate" if total_rounds > 1 else ""
            self.panes[AGGREGATOR_SLOT].set_note("" if final else note, final=final)
        layer = rnd.layer if rnd is not None else None
        for pane in self.model_panes():
            pane.set_note(f"layer {layer}/{layer}" if layer and layer > 1 else "")
        if self.ranking_panel is not None:
            await self.ranking_panel.show_round(rnd, t, self.runner.session.id)
        self.query_one("#question", Static).update(plain(f"› {one_line(turn.prompt)}"))
        label = (
            "" if live else f"Turn {t + 1}/{len(turns)} · Round {r + 1}/{total_rounds} (history)"
        )
        slots = {p.model_name: p.state for p in self.panes.values()}
        agreements = [rn.agreement for rn in turn.rounds[1 : r + 1]]
        last = r == len(turn.rounds) - 1 and turn.status == "complete"
        stopped = last and len(turn.rounds) < self.runner.config.rounds
        self.status.update_info(
            history=label, round=(r + 1, total_rounds), stage="", slots=slots, preview="",
            agreement=agreements, stopped_early=stopped, judging="",
        )  # fmt: skip
        self._refresh_totals(turn)
        self.app.refresh_bindings()

    async def action_history(self, kind: str, step: int) -> None:
        """Step through rounds (`kind="round"`) or turns (`kind="turn"`)."""
        if self.running:
            notify_safe(self.app, "History is available once the round finishes.")
            return
        found = list(self.positions())
        if not found:
            notify_safe(self.app, "No history yet: ask something first.")
            return
        current = self.view or self.latest()
        index = found.index(current) if current in found else len(found) - 1
        if kind == "round":
            index = min(max(index + step, 0), len(found) - 1)
            target = found[index]
        else:
            turn = min(max(current[0] + step, 0), len(self.runner.session.turns) - 1)
            target = [p for p in found if p[0] == turn][-1]
        if target != current:
            await self.show_position(target)

    async def action_history_live(self) -> None:
        """Back to the latest round."""
        if self.view is not None and not self.running:
            await self.show_position(self.latest())

    # -- pane actions ----------------------------------------------------------------------------

    def action_focus_pane(self, number: int) -> None:
        """Focus pane `number` (1-based; the aggregator comes last)."""
        panes = list(self.panes.values())
        if not 1 <= number <= len(panes):
            return
        pane = panes[number - 1]
        if self.has_class("-narrow"):
            self.query_one("#pane-tabs", Tabs).active = f"tab-{pane.id}"
        pane.focus()

    def action_maximize_pane(self) -> None:
        """Maximise the focused pane (or the aggregator); again to restore."""
        if self.maximized is not None:
            self.minimize()
            return
        pane = self.target_pane()
        self.maximize(pane, container=False)
        pane.focus()

    def action_copy_pane(self) -> None:
        """Copy the focused pane's text (OSC 52)."""
        pane = self.target_pane()
        if not pane.text:
            notify_safe(self.app, f"Nothing to copy from {pane.model_name} yet.")
            return
        self.app.copy_to_clipboard(pane.text)
        notify_safe(self.app, f"Copied {len(pane.text)} characters from {pane.model_name}.")

    def action_retry_pane(self) -> None:
        """Ask a failed model again."""
        pane = self.target_pane()
        if not pane.retryable or pane.address is None:
            notify_safe(self.app, f"{pane.model_name} has no failed reply to retry.")
            return
        if self.view is not None:
            notify_safe(self.app, "Go back to the live round (ctrl+l) to retry a model.")
            return
        turn, rnd = pane.address
        self.consensus_app.retry(turn, rnd, pane.slot)

    def action_toggle_matrix(self) -> None:
        """Show the pairwise verdicts (blender) or each reviewer's places (council) instead of
        the ranking, or back."""
        panel = self.ranking_panel
        if panel is None:
            notify_safe(self.app, "Only the blender and council strategies rank the answers.")
            return
        panel.toggle_matrix()
        if self.has_class("-narrow"):
            self.query_one("#pane-tabs", Tabs).active = RANKING_TAB

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_matrix":
            return self.ranking_panel is not None
        if action == "history_live":
            return self.view is not None
        if action == "retry_pane":
            pane = self.focused_pane()
            return pane is not None and pane.retryable
        return True
