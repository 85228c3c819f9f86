"""Every key binding of the app in one place, each with an id users can remap in `[keys]`.

The help screen reads these tables too, so what it lists is what the app binds.
"""

from __future__ import annotations

from textual.binding import Binding

APP_BINDINGS: list[Binding] = [
    Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit"),
    Binding("f1", "help", "Help", id="app.help"),
    Binding("escape", "cancel_round", "Cancel", id="consensus.cancel"),
    Binding("ctrl+r", "resume_round", "Resume round", id="consensus.resume"),
    Binding("ctrl+s", "save_session", "Save", show=False, id="session.save"),
    # Not ctrl+e: in the prompt box that moves to the end of the line.
    Binding("ctrl+g", "export_session", "Export Markdown", show=False, id="session.export"),
    Binding("ctrl+o", "open_session", "Open", id="session.open"),
    Binding("ctrl+n", "new_session", "New", show=False, id="session.new"),
    Binding("ctrl+t", "switch_theme", "Theme", show=False, id="app.theme"),
]

SCREEN_BINDINGS: list[Binding] = [
    Binding("ctrl+l", "screen.history_live", "Back to live", id="history.live"),
    Binding("m", "screen.toggle_matrix", "Matrix", show=False, id="ranking.matrix"),
    *(
        Binding(
            str(n), f"screen.focus_pane({n})", f"Focus pane {n}", show=False, id=f"pane.focus_{n}"
        )  # fmt: skip
        for n in range(1, 10)
    ),
]

PANE_BINDINGS: list[Binding] = [
    Binding("f", "screen.maximize_pane", "Maximise", id="pane.maximize"),
    Binding("y", "screen.copy_pane", "Copy", id="pane.copy"),
    Binding("r", "screen.retry_pane", "Retry", id="pane.retry"),
    Binding("[", "screen.history('round', -1)", "◀ Round", id="history.round_back"),
    Binding("]", "screen.history('round', 1)", "Round ▶", id="history.round_forward"),
    Binding("{", "screen.history('turn', -1)", "◀ Turn", show=False, id="history.turn_back"),
    Binding("}", "screen.history('turn', 1)", "Turn ▶", show=False, id="history.turn_forward"),
]

RANKING_BINDINGS: list[Binding] = [
    Binding("m", "screen.toggle_matrix", "Ranking ⇄ matrix", id="ranking.matrix"),
]

PROMPT_BINDINGS: list[Binding] = [
    Binding("enter", "submit", "Send", priority=True, id="consensus.submit"),
    Binding("ctrl+j,shift+enter", "newline", "New line", priority=True, id="prompt.newline"),
]

HELP_SECTIONS: list[tuple[str, list[Binding]]] = [
    ("Prompt", PROMPT_BINDINGS),
    ("Consensus and sessions", APP_BINDINGS),
    ("Panes (when a pane has focus)", PANE_BINDINGS),
    ("Ranking table (blender, council)", RANKING_BINDINGS),
    ("Anywhere outside the prompt", SCREEN_BINDINGS),
]
