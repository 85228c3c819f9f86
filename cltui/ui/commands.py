"""Command palette entries mirroring the app's keys, so everything is reachable from ctrl+p.

Titles and help texts here are fixed strings: the palette parses help text as markup, so nothing
from a model or a session goes into them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from cltui.ui.screens.main import MainScreen

if TYPE_CHECKING:
    from cltui.ui.app import ConsensusApp


def consensus_commands(app: ConsensusApp, screen: MainScreen) -> Iterator[SystemCommand]:
    """The app's own commands for the main screen."""
    yield SystemCommand("Send prompt", "Send the text in the prompt box", app.submit_prompt_box)
    yield SystemCommand("Cancel round", "Stop the running round; partial text is saved",
                        app.action_cancel_round)  # fmt: skip
    yield SystemCommand("Resume round", "Finish an interrupted or failed round",
                        app.action_resume_round)  # fmt: skip
    yield SystemCommand("Maximise pane", "Show the focused pane full screen (again to restore)",
                        screen.action_maximize_pane)  # fmt: skip
    yield SystemCommand("Copy pane", "Copy the focused pane's text to the clipboard",
                        screen.action_copy_pane)  # fmt: skip
    yield SystemCommand("Retry model", "Ask the focused failed model again",
                        screen.action_retry_pane)  # fmt: skip
    for number in range(1, len(screen.panes) + 1):
        yield SystemCommand(
            f"Focus pane {number}",
            "The aggregator is the last pane" if number == len(screen.panes) else "Focus a pane",
            lambda n=number: screen.action_focus_pane(n),
        )
    yield SystemCommand("Previous round", "History: step back one round",
                        lambda: screen.run_worker(screen.action_history("round", -1)))  # fmt: skip
    yield SystemCommand("Next round", "History: step forward one round",
                        lambda: screen.run_worker(screen.action_history("round", 1)))  # fmt: skip
    yield SystemCommand("Previous turn", "History: the previous question",
                        lambda: screen.run_worker(screen.action_history("turn", -1)))  # fmt: skip
    yield SystemCommand("Next turn", "History: the next question",
                        lambda: screen.run_worker(screen.action_history("turn", 1)))  # fmt: skip
    yield SystemCommand("Back to live", "Leave the history view",
                        lambda: screen.run_worker(screen.action_history_live()))  # fmt: skip
    if screen.ranking_panel is not None:
        yield SystemCommand("Toggle pairwise matrix",
                            "Ranking table ⇄ the verdict matrix (judge) or each reviewer's places",
                            screen.action_toggle_matrix)  # fmt: skip
    yield SystemCommand("Save session", "Write the session file now", app.action_save_session)
    yield SystemCommand("Save session as…", "Save to another file, and keep saving there",
                        app.action_save_session_as)  # fmt: skip
    yield SystemCommand("Export as Markdown", "Write the session as a Markdown file beside it",
                        app.action_export_session)  # fmt: skip
    yield SystemCommand("Copy final answer", "Copy the latest question's final answer",
                        app.action_copy_final_answer)  # fmt: skip
    yield SystemCommand("Open session", "Pick a saved session to resume", app.action_open_session)
    yield SystemCommand("New session", "Start a new conversation", app.action_new_session)
    yield SystemCommand("Help", "Keys and what the panes mean", app.action_help)
