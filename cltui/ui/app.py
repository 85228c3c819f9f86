"""The Textual application: owns the runner, the consensus worker, themes, keys and modals.

Screens and widgets do the showing; this class only decides what runs and when: one worker in
the "consensus" group drives a turn (starting another cancels it), and every failure of it ends
in one place, `on_worker_state_changed`, as a toast and a status line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.screen import Screen
from textual.theme import Theme
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from cltui.core.config import ConsensusConfig
from cltui.core.config.limits import MAX_TEXT_CHARS
from cltui.core.settings import save_setting
from cltui.ui.bridge import Runner, RunnerSource, opening_notices
from cltui.ui.commands import consensus_commands
from cltui.ui.keymap import APP_BINDINGS
from cltui.ui.render_load import RenderMode
from cltui.ui.safe_text import notify_safe
from cltui.ui.screens.confirm import ConfirmScreen
from cltui.ui.screens.help import HelpScreen
from cltui.ui.screens.main import MainScreen
from cltui.ui.screens.save_as import SaveAsScreen
from cltui.ui.screens.session_picker import SessionPicker
from cltui.ui.session_export import export_path, latest_final_answer, write_markdown_export
from cltui.ui.themes import DEFAULT_DARK, load_all_themes
from cltui.ui.widgets.prompt_input import PromptInput

CONSENSUS = "consensus"
CANCEL_FIRST = "Cancel the running round first (escape)."


class ConsensusApp(App[int]):
    """cltui: several models answer, an aggregator merges, rounds refine."""

    TITLE = "cltui"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = list(APP_BINDINGS)

    def __init__(
        self,
        runner: Runner,
        source: RunnerSource,
        *,
        theme: str | None = None,
        keymap: dict[str, str] | None = None,
        notices: Iterable[str] = (),
        open_picker: bool = False,
        animate: bool = True,
        clock: Callable[[], float] = time.monotonic,
        extra_themes: Iterable[Theme] = (),
        key_notice: Callable[[ConsensusConfig], str | None] | None = None,
        render: RenderMode = "auto",
    ) -> None:
        super().__init__()
        self.runner = runner
        self.source = source
        self.requested_theme = theme
        self.user_keymap = dict(keymap or {})
        self.notices = list(notices)
        self.open_picker = open_picker
        self.motion = animate
        """False freezes spinners, clocks and cursor blink (for stable screenshots)."""
        self.clock = clock
        self.extra_themes = list(extra_themes)
        self.key_notice = key_notice
        """Says which API key the config in use lacks (None when all are there)."""
        self.render_mode: RenderMode = render
        """How replies stream: Markdown, fast (plain text) or auto (by the load)."""
        self._worker: Worker[object] | None = None
        self._remembered_theme = ""
        self._picking_first = False

    # -- start-up --------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._setup_themes()
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
        self.push_screen(self._main_screen(self.runner))
        for notice in self.notices:
            notify_safe(self, notice, severity="warning", timeout=12)
        if self.open_picker:
            # The session to be picked decides which provider (and key) is in use: say nothing
            # about the runner behind the picker until the choice is made.
            self._picking_first = True
            self.push_screen(SessionPicker(self.source.sessions_dir), self._first_session_chosen)

    def screen_ready(self, screen: MainScreen) -> None:
        """A main screen is mounted and listening to its runner's events."""
        if not self._picking_first and screen.runner is self.runner:
            # After the first frame: the look-ups load the HTTP stack, which the screen need not
            # wait for.
            self.call_after_refresh(self._runner_ready)

    def _runner_ready(self) -> None:
        """A runner has become the one in use: check its key, fetch prices and credits."""
        notice = self.key_notice(self.runner.config) if self.key_notice else None
        if notice:
            notify_safe(self, notice, severity="warning", timeout=12)
        self.warm_up()

    @work(exclusive=True, group="warm-up", exit_on_error=False)
    async def warm_up(self) -> None:
        """Credits and list prices in the background, so the status bar shows the credits left
        and a priced estimate before the first round. Failures only leave them unknown."""
        runner = self.runner
        self.fetch_credits()
        try:
            await runner.load_prices()
        except Exception as error:  # prices are a nicety: never in the user's way
            self.log.warning(f"no list prices: {error}")
            return
        screen = self.main_screen
        if screen is not None and screen.runner is runner:
            screen.refresh_preview()

    def _setup_themes(self) -> None:
        loaded = load_all_themes()
        for theme in [*loaded.themes, *self.extra_themes]:
            self.register_theme(theme)
        if loaded.problems:
            notify_safe(self, loaded.summary(), title="Themes", severity="warning", timeout=12)
        name = self.requested_theme or DEFAULT_DARK
        if name not in self.available_themes:
            notify_safe(self, f"Unknown theme {name!r}; using {DEFAULT_DARK}.", severity="warning")
            name = DEFAULT_DARK
        self.theme = name
        self._remembered_theme = name
        self.theme_changed_signal.subscribe(self, self._remember_theme)

    def _remember_theme(self, theme: Theme) -> None:
        if theme.name == self._remembered_theme:
            return  # the start-up theme: nothing to write
        self._remembered_theme = theme.name
        try:
            save_setting("theme", theme.name)
        except OSError as error:
            notify_safe(self, f"Could not remember the theme: {error}", severity="warning")

    def _main_screen(self, runner: Runner) -> MainScreen:
        return MainScreen(
            runner, animate=self.motion, clock=self.clock, render=self.render_mode
        )

    @property
    def main_screen(self) -> MainScreen | None:
        """The main screen under any modals."""
        for screen in reversed(self.screen_stack):
            if isinstance(screen, MainScreen):
                return screen
        return None

    # -- running ---------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """A turn, a resume or a retry is under way."""
        return self._worker is not None and not self._worker.is_finished

    def _busy(self, message: str) -> bool:
        """Whether a round runs (saying `message` if so): most commands wait until it ends."""
        if self.running:
            notify_safe(self, message, severity="warning")
        return self.running

    def _viewing_only(self) -> bool:
        """Whether the session is open for viewing only (saying why if so): another process
        writes it, and two writers would pay twice and lose each other's replies."""
        if self.runner.read_only:
            notify_safe(self, f"Viewing only: {self.runner.read_only}", severity="warning")
        return bool(self.runner.read_only)

    def submit(self, prompt: str) -> None:
        """Ask the models (a follow-up continues the conversation)."""
        if self._busy("A round is running: escape cancels it.") or self._viewing_only():
            return
        if len(prompt) > MAX_TEXT_CHARS:
            notify_safe(self, f"The question is {len(prompt):,} characters long; the limit is "
                        f"{MAX_TEXT_CHARS:,}. Shorten it.", severity="error")  # fmt: skip
            return
        self._worker = self.drive(prompt)
        self.refresh_bindings()

    def submit_prompt_box(self) -> None:
        """Send whatever is in the prompt box (palette command)."""
        if self.main_screen is not None:
            self.main_screen.query_one(PromptInput).action_submit()

    def retry(self, turn: int, round: int, slot: str) -> None:
        """Call one failed model of the latest round again."""
        if self._busy("Wait for the round to finish, then retry.") or self._viewing_only():
            return
        self._worker = self.drive_retry(turn, round, slot)

    @work(exclusive=True, group=CONSENSUS, exit_on_error=False)
    async def drive(self, prompt: str | None) -> None:
        """Run one turn (or, with no prompt, finish the interrupted one)."""
        if prompt is None:
            await self.runner.resume()
        else:
            await self.runner.ask(prompt)
        self.fetch_credits()

    @work(exclusive=True, group=CONSENSUS, exit_on_error=False)
    async def drive_retry(self, turn: int, round: int, slot: str) -> None:
        await self.runner.retry_reply(turn, round, slot)

    @work(exclusive=True, group="credits", exit_on_error=False)
    async def fetch_credits(self) -> None:
        """Ask for the credits left; the runner tells the sinks (status bar)."""
        await self.runner.fetch_credits()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != CONSENSUS:
            return
        self.refresh_bindings()
        if event.state == WorkerState.ERROR:
            reason = str(event.worker.error) or type(event.worker.error).__name__
            notify_safe(self, reason, title="The round failed", severity="error", timeout=15)
            if self.main_screen is not None:
                self.main_screen.show_failure(reason)
        elif event.state == WorkerState.CANCELLED and self.runner.last_save_error:
            notify_safe(self, "Round cancelled. The session is NOT saved (see the status line).",
                        severity="error")  # fmt: skip
        elif event.state == WorkerState.CANCELLED:
            where = f" to {self.runner.path}" if self.runner.path else ""
            notify_safe(self, f"Round cancelled. The partial replies were saved{where}.")

    async def _stop_running(self) -> None:
        """Cancel the running turn and wait until its partial state is saved."""
        worker = self._worker
        if worker is not None and not worker.is_finished:
            worker.cancel()
            with suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()

    # -- actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_round":
            return self.running
        if action == "resume_round":
            return not self.running and self.runner.can_resume and not self.runner.read_only
        return True

    async def action_cancel_round(self) -> None:
        if self.running:
            await self._stop_running()

    def action_resume_round(self) -> None:
        if self.running or self._viewing_only():
            return
        if not self.runner.can_resume:
            notify_safe(self, "There is no unfinished round to resume.")
            return
        self._worker = self.drive(None)
        self.refresh_bindings()

    def action_save_session(self) -> None:
        if self._viewing_only():
            return
        try:
            path = self.runner.save()
        except OSError as error:
            notify_safe(self, f"Could not save: {error}", severity="error")
            return
        if path is not None and self.runner.last_save_error:
            return  # the failure is in the status bar and its toast already
        notify_safe(self, f"Saved to {path}." if path else "This session is not saved to disk.")

    def action_save_session_as(self) -> None:
        """Ask for another place and keep saving there (the way out of a failing folder)."""
        if self._viewing_only():
            return
        problem = self.runner.last_save_error or ""
        self.push_screen(SaveAsScreen(self.runner.path, problem), self._save_as_chosen)

    def _save_as_chosen(self, target: Path | None) -> None:
        if target is None:
            return
        try:
            path = self.runner.save_as(target)
        except (ValueError, OSError) as error:  # SessionError is a ValueError
            notify_safe(self, str(error), title="Not saved there", severity="error", timeout=15)
            return
        notify_safe(self, f"Saved to {path}; later replies are saved there too.")

    def action_export_session(self) -> None:
        """Write the session as Markdown beside its file (a snapshot, even mid-round)."""
        session = self.runner.session
        if not session.turns:
            notify_safe(self, "Nothing to export yet: ask something first.")
            return
        path = export_path(self.runner.path, self.source.sessions_dir, session)
        try:
            write_markdown_export(session, path)
        except OSError as error:
            notify_safe(self, f"Could not export: {error}", severity="error")
            return
        notify_safe(self, f"Exported to {path}.")

    def action_copy_final_answer(self) -> None:
        """Copy the latest turn's final answer (OSC 52)."""
        answer = latest_final_answer(self.runner.session)
        if not answer:
            notify_safe(self, "There is no final answer yet.")
            return
        self.copy_to_clipboard(answer)
        notify_safe(self, f"Copied the final answer ({len(answer)} characters).")

    def action_open_session(self) -> None:
        if self._busy(CANCEL_FIRST):
            return
        self.push_screen(SessionPicker(self.source.sessions_dir), self._session_chosen)

    def _first_session_chosen(self, path: Path | None) -> None:
        self._picking_first = False
        if path is None:  # the picker was closed: the new session behind it is the one in use
            self._runner_ready()
        else:
            self._session_chosen(path)

    def _session_chosen(self, path: Path | None) -> None:
        if path is None:
            return
        try:
            runner = self.source.open(path)
        except (ValueError, OSError) as error:
            notify_safe(self, str(error), title="Cannot open the session", severity="error")
            return
        self.run_worker(self._switch_runner(runner), group="switch")
        for notice in opening_notices(runner):
            notify_safe(self, notice, severity="warning", timeout=12)

    def action_new_session(self) -> None:
        if self._busy(CANCEL_FIRST):
            return
        self.run_worker(self._switch_runner(self.source.new()), group="switch")

    async def _switch_runner(self, runner: Runner) -> None:
        old, self.runner = self.runner, runner
        await self.switch_screen(self._main_screen(runner))
        await old.aclose()

    def action_switch_theme(self) -> None:
        self.action_change_theme()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.user_keymap))

    async def action_quit(self) -> None:
        """Quit; while a round runs, ask first (its partial text is saved either way); when the
        session could not be saved, ask too: quitting would lose it (ctrl+p saves elsewhere)."""
        if self.runner.last_save_error:
            question = (
                "The session is NOT saved: quitting loses what is not on disk. Quit anyway? "
                "(ctrl+p, 'Save session as' saves it elsewhere.)"
            )
            self.push_screen(ConfirmScreen(question, yes="Quit", no="Keep it"), self._quit)
        elif self.running:
            question = "A round is still running. Quit anyway? Its partial replies are saved."
            self.push_screen(ConfirmScreen(question, yes="Quit", no="Keep going"), self._quit)
        else:
            await self._quit(True)

    async def _quit(self, confirmed: bool | None) -> None:
        if not confirmed:
            return
        await self._stop_running()
        await self.runner.aclose()
        self.exit(0)

    def get_system_commands(self, screen: Screen[object]) -> Iterator[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, MainScreen):
            yield from consensus_commands(self, screen)
