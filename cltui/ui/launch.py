"""Start the TUI from parsed command-line arguments.

Everything that can fail on bad input (config, session file) is checked here, before the
terminal switches to the full-screen app, so errors come out as one readable line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cltui.core.config import ConfigError, ConsensusConfig
from cltui.core.config_choice import choose_config
from cltui.core.paths import sessions_dir as resolve_sessions_dir
from cltui.core.providers.keys import find_missing_key
from cltui.core.sessions.errors import SessionError
from cltui.core.sessions.files import check_save_target
from cltui.core.settings import UserSettings, load_user_settings
from cltui.core.text import display_line
from cltui.ui.bridge import Runner, RunnerSource, opening_notices
from cltui.ui.render_load import RENDER_ENV, parse_render_mode

if TYPE_CHECKING:
    from cltui.ui.app import ConsensusApp

EXIT_BAD_INPUT = 2


class LaunchError(Exception):
    """Bad input found before the app starts; the message is the one line to print."""


def missing_key_notice(
    config: ConsensusConfig, api_keys: Mapping[str, str], environ: Mapping[str, str]
) -> str | None:
    """A notice when a model needs a key that is nowhere to be found, else None."""
    missing = find_missing_key(config, api_keys, environ)
    if missing is None:
        return None
    return f"{missing}. Model calls will fail until then."


def save_target_notice(path: Path) -> list[str]:
    """A warning before the first question when its answers could not be saved where they
    would go (`--sessions-dir` naming a file, say), rather than after the first paid reply."""
    try:
        check_save_target(path)
    except SessionError as error:
        return [
            f"Answers cannot be saved: {display_line(str(error))}. Quit and pick another "
            "--sessions-dir, or ask and use 'Save session as…' (ctrl+p)."
        ]
    return []


def prepare_app(args: argparse.Namespace) -> ConsensusApp:
    """Build the app from parsed TUI arguments without running it. Raises `LaunchError`."""
    from cltui.core.runner import ConsensusRunner
    from cltui.core.sessions.listing import resolve_session_ref

    notices: list[str] = []
    try:
        settings = load_user_settings()
    except ConfigError as error:
        notices.append(f"Settings ignored: {error}")
        settings = UserSettings()
    demo = bool(getattr(args, "demo", False))
    sessions = resolve_sessions_dir(getattr(args, "sessions_dir", None))
    base_url = getattr(args, "base_url", None)
    api_key_env = getattr(args, "api_key_env", None)
    try:
        config = choose_config(
            getattr(args, "config", None),
            demo=demo,
            settings=settings,
            environ=os.environ,
            strategy=getattr(args, "strategy", None),
            base_url=base_url,
            api_key_env=api_key_env,
        )
    except ConfigError as error:
        raise LaunchError(str(error)) from None

    # A CONFIG given with --resume is the user's own word on its endpoints (`sessions.seal`).
    given_providers = dict(config.providers) if getattr(args, "config", None) else None

    def new_runner() -> Runner:
        return ConsensusRunner(config, sessions_dir=sessions, api_keys=settings.api_keys)

    def open_runner(path: Path) -> Runner:
        return ConsensusRunner.open(
            path, demo=demo, sessions_dir=sessions, api_keys=settings.api_keys,
            base_url=base_url, environ=os.environ, view_if_locked=True,
            api_key_env=api_key_env, own_providers=given_providers,
        )  # fmt: skip

    def key_notice(config: ConsensusConfig) -> str | None:
        return missing_key_notice(config, settings.api_keys, os.environ)

    resume = getattr(args, "resume", None)
    open_picker = resume == ""
    try:
        runner = open_runner(resolve_session_ref(resume, sessions)) if resume else new_runner()
    except (SessionError, OSError) as error:
        raise LaunchError(str(error)) from None
    notices.extend(opening_notices(runner))
    if not resume and runner.path is not None:
        notices.extend(save_target_notice(runner.path))
    render, render_notice = parse_render_mode(os.environ.get(RENDER_ENV))
    if render_notice:
        notices.append(render_notice)

    from cltui.ui.app import ConsensusApp

    return ConsensusApp(
        runner,
        RunnerSource(sessions_dir=sessions, new=new_runner, open=open_runner),
        theme=getattr(args, "theme", None) or settings.theme,
        keymap=settings.keys,
        notices=notices,
        open_picker=open_picker,
        key_notice=key_notice,
        render=render,
    )


def build_app(argv: Sequence[str]) -> ConsensusApp:
    """The app for these command-line words (`cltui`'s interface arguments), not yet running.

    Bad input prints one line on stderr and raises `SystemExit(2)`, as the command line does.
    """
    from cltui.cli import build_tui_parser

    args = build_tui_parser().parse_args(list(argv))  # usage errors exit with 2 themselves
    try:
        return prepare_app(args)
    except LaunchError as error:
        print(f"cltui: {display_line(str(error))}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT) from None


def main(args: argparse.Namespace) -> int:
    """Run the TUI; returns the process exit code."""
    try:
        app = prepare_app(args)
    except LaunchError as error:
        print(f"cltui: {display_line(str(error))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    result = app.run(mouse=not getattr(args, "no_mouse", False))
    return result if isinstance(result, int) else (app.return_code or 0)
