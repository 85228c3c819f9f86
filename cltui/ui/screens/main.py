"""The main screen: model panes, the aggregator pane, the prompt, the status bar.

The screen composes and wires; the work is done by its parts. `PaneLayout` builds and finds the
panes (grid or tabs), `EventRouter` shows the engine's events as they arrive, and `HistoryCursor`
says which round of the session is shown. The handlers here only ask them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static, Tabs, TextArea

from cltui.core.config import ConsensusConfig
from cltui.core.preview import format_preview, planned_calls
from cltui.ui.bridge import Runner, UiSink
from cltui.ui.event_router import EventRouter
from cltui.ui.history_cursor import HistoryCursor, Position, StepKind
from cltui.ui.keymap import SCREEN_BINDINGS
from cltui.ui.messages import EngineEvent, PromptSubmitted
from cltui.ui.pane_layout import NARROW_WIDTH, RANKING_TAB, PaneLayout, tab_id
from cltui.ui.render_load import RenderLoad, RenderMode
from cltui.ui.safe_text import notify_safe, one_line, plain
from cltui.ui.widgets.model_pane import ModelPane
from cltui.ui.widgets.prompt_input import PromptInput
from cltui.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from cltui.ui.app import ConsensusApp
    from cltui.ui.widgets.ranking_panel import RankingPanel

PREVIEW_DELAY = 0.3
"""Seconds of quiet typing before the cost preview is worked out again."""

WELCOME = """\
**Ask a question below.** Every model answers in its own pane at the same time; this pane
merges their answers, and improvement rounds refine the result.

*f1* shows every key · *ctrl+p* opens the command palette · *ctrl+o* reopens a saved session
"""


def config_summary(config: ConsensusConfig) -> str:
    """The top line before the first question: strategy, models and rounds."""
    models = len(config.models)
    rounds = config.rounds
    return (
        f"{config.strategy} · {models} model{'s' if models != 1 else ''} · "
        f"{rounds} round{'s' if rounds != 1 else ''} per question"
    )


class MainScreen(Screen[None]):
    """Where a conversation happens."""

    CSS_PATH = "main.tcss"
    BINDINGS: ClassVar[list[BindingType]] = list(SCREEN_BINDINGS)
    HORIZONTAL_BREAKPOINTS = [
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
        self.motion = animate
        """False freezes the spinners and the elapsed time (for stable screenshots)."""
        self.clock = clock
        self.render_load = RenderLoad(render, on_change=self._render_load_changed)
        """Whether the panes stream Markdown or plain text (fast mode), from the load."""
        self.sink = UiSink(self)
        self.pane_layout = PaneLayout(runner.config, self.render_load)
        self.history = HistoryCursor(runner.session, planned_calls(runner.config).rounds)
        self.router = EventRouter(self)
        self._preview_timer: Timer | None = None
        self._question = Static("", id="question", markup=False)
        self.status = StatusBar(id="status")
        """The status line (kept at hand: the router asks for it on every token)."""

    # -- what the app and the commands use -------------------------------------------------------

    @property
    def consensus_app(self) -> ConsensusApp:
        return self.app  # type: ignore[return-value]

    @property
    def panes(self) -> dict[str, ModelPane]:
        """Every pane by slot: the models in config order, then the aggregator."""
        return self.pane_layout.panes

    @property
    def ranking_panel(self) -> RankingPanel | None:
        return self.pane_layout.ranking_panel

    @property
    def view(self) -> Position | None:
        """(turn, round) shown from history, or None for the latest."""
        return self.history.shown

    @property
    def running(self) -> bool:
        """A turn is under way on this screen (history waits until it ends)."""
        return self.router.running

    # -- building --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield self._question
        yield from self.pane_layout.compose()
        yield PromptInput(id="prompt")
        yield self.status
        yield Footer()

    async def on_mount(self) -> None:
        self.pane_layout.on_mount()
        self.runner.add_sink(self.sink)
        prompt = self.query_one(PromptInput)
        prompt.cursor_blink = self.motion
        prompt.focus()
        if self.motion:
            self.set_interval(0.1, self._tick)
        if self.runner.read_only:
            self.status.update_info(notice="viewing only", notice_severity="warning")
            prompt.disabled = True
        if self.runner.session.turns:
            await self.show_position(self.history.latest())
        else:
            if self.runner.config.question:  # a seed input.json's own question, ready to send
                prompt.load_text(self.runner.config.question)
            self.refresh_preview()
            self._question.update(plain(config_summary(self.runner.config)))
            if self.pane_layout.aggregator is not None:
                await self.pane_layout.aggregator.show_hint(WELCOME)
        self.consensus_app.screen_ready(self)

    def on_unmount(self) -> None:
        self.sink.active = False

    # -- the lines around the panes --------------------------------------------------------------

    def show_question(self, prompt: str) -> None:
        """The question of the turn shown, on the line above the panes."""
        self._question.update(plain(f"› {one_line(prompt)}"))

    def show_failure(self, reason: str) -> None:
        """The turn's worker failed: nothing runs any more, and the status line says why."""
        self.router.turn_ended()
        self.status.update_info(notice=reason, notice_severity="error")

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

    def _render_load_changed(self, fast: bool) -> None:
        """Auto mode tripped into fast mode, or calmed down: say so in the status bar."""
        self.status.update_info(fast=fast)

    def _tick(self) -> None:
        """The animation timer: spinners in the panes and the status bar, the elapsed time."""
        for pane in self.panes.values():
            pane.tick()
        info = self.status.info
        if info.fast:
            _ = self.render_load.fast  # asking lets it calm down (and say so) between replies
        info.spinner_frame += 1
        if self.running:
            info.elapsed = self.router.elapsed()
            self.status.refresh()

    # -- messages --------------------------------------------------------------------------------

    @on(EngineEvent)
    async def _engine_event(self, message: EngineEvent) -> None:
        await self.router.route(message)

    @on(PromptSubmitted)
    def _prompt_submitted(self, message: PromptSubmitted) -> None:
        self.consensus_app.submit(message.text)

    @on(Tabs.TabActivated, "#pane-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab is not None and event.tab.id is not None:
            self.pane_layout.tab_activated(event.tab.id)

    # -- history ---------------------------------------------------------------------------------

    async def show_position(self, position: Position) -> None:
        """Show one round of the history in every pane (settled, not streamed)."""
        shown = self.history.show(position)
        if shown is None:
            return
        await self.pane_layout.show_round(shown, self.runner.session.id)
        self.show_question(shown.turn.prompt)
        names = self.pane_layout.status_names
        self.status.update_info(
            history=shown.history_label,
            round=(shown.round_index + 1, shown.total_rounds),
            stage="",
            slots={names[slot]: pane.state for slot, pane in self.panes.items()},
            preview="",
            agreement=shown.agreements,
            stopped_early=shown.stopped_early(self.runner.config.rounds),
            judging="",
        )
        self.router.refresh_totals(shown.turn)
        self.app.refresh_bindings()

    async def action_history(self, kind: StepKind, step: int) -> None:
        """Step through rounds (`kind="round"`) or turns (`kind="turn"`)."""
        if self.running:
            notify_safe(self.app, "History is available once the round finishes.")
            return
        target = self.history.target(kind, step)
        if target is None:
            notify_safe(self.app, "No history yet: ask something first.")
        elif target != self.history.current:
            await self.show_position(target)

    async def action_history_live(self) -> None:
        """Back to the latest round."""
        if self.view is not None and not self.running:
            await self.show_position(self.history.latest())

    # -- pane actions ----------------------------------------------------------------------------

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
        return pane if pane is not None else self.pane_layout.default_pane()

    def action_focus_pane(self, number: int) -> None:
        """Focus pane `number` (1-based; the aggregator comes last)."""
        pane = self.pane_layout.numbered(number)
        if pane is None:
            return
        if self.has_class("-narrow"):
            self.pane_layout.activate_tab(tab_id(pane))
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
            self.pane_layout.activate_tab(RANKING_TAB)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide the keys that would do nothing now (no ranking, not in history, nothing failed)."""
        if action == "toggle_matrix":
            return self.ranking_panel is not None
        if action == "history_live":
            return self.view is not None
        if action == "retry_pane":
            pane = self.focused_pane()
            return pane is not None and pane.retryable
        return True
