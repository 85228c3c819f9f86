"""The command line: `cltui [CONFIG]` opens the terminal interface; `cltui COMMAND` runs a
subcommand (run, sessions, export, models, credits, probe, complete).

Only argparse and the standard library load before a handler runs; each handler's module (and
with it httpx or Textual) is imported when its command is chosen, so `cltui --help` is instant.
Every failure ends as one line on stderr and an exit code: 0 success, 1 a failed call, 2 bad
usage or config, 130 Ctrl+C.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from cltui import __version__

STRATEGY_CHOICES = ("iterative", "moa", "blender", "council")
"""The consensus strategies (kept equal to `cltui.core.config.STRATEGIES`, which is not imported
here to keep start-up light)."""
TUI_HANDLER = "cltui.ui.launch:main"
DEBUG_ENV = "CLTUI_DEBUG"
"""Set to show the traceback of an unexpected error instead of one line."""


@dataclass(frozen=True, slots=True)
class Command:
    """A subcommand: its one-line summary, the handler it runs, and how its flags are added."""

    name: str
    summary: str
    handler: str
    """'module:function', imported only when the command runs."""
    add_arguments: Callable[[argparse.ArgumentParser], None]


def _add_endpoint_flags(parser: argparse.ArgumentParser) -> None:
    """--base-url and --api-key-env, the same for the TUI and every command."""
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="an OpenAI-compatible endpoint instead of OpenRouter; it gets no key unless "
        "--api-key-env names one (OPENROUTER_BASE_URL re-points OpenRouter itself, key included)",
    )
    parser.add_argument(
        "--api-key-env",
        metavar="NAME",
        help="the environment variable holding the key for --base-url (default: no key)",
    )


def _add_provider_flags(parser: argparse.ArgumentParser) -> None:
    _add_endpoint_flags(parser)
    parser.add_argument(
        "--demo", action="store_true", help="use the built-in simulated models (offline, no key)"
    )


def _add_retries(parser: argparse.ArgumentParser, default: int | None = None) -> None:
    told = f"default {default}" if default is not None else "default: the provider's own"
    parser.add_argument(
        "--retries",
        type=_non_negative_int,
        default=default,
        metavar="N",
        help=f"retries after a rate limit, provider error or dropped connection ({told})",
    )


def _add_sessions_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sessions-dir", metavar="DIR", help="where sessions are kept (also: CLTUI_SESSIONS_DIR)"
    )


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
    return value


def _positive_int(text: str) -> int:
    return _whole_number(text, 1)


def _non_negative_int(text: str) -> int:
    return _whole_number(text, 0)


def _temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0.0 <= value <= 2.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2, not {value}")
    return value


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", metavar="CONFIG", help="consensus config file")
    parser.add_argument("--prompt", metavar="TEXT", help="the question to ask")
    parser.add_argument("--save", metavar="PATH", help="write the session to this file")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--resume", metavar="SESSION", help="continue a saved session (path or id)")
    parser.add_argument(
        "--dry-run", action="store_true", help="show the planned calls and cost; call nothing"
    )
    _add_sessions_dir(parser)
    parser.add_argument("--strategy", choices=STRATEGY_CHOICES, help="override the strategy")
    parser.add_argument("--quiet", action="store_true", help="print only the final answer")
    _add_provider_flags(parser)


def _sessions_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    _add_sessions_dir(parser)


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session", metavar="SESSION", help="session file path or id")
    parser.add_argument("--format", choices=("md", "json"), default="md", help="default: md")
    parser.add_argument("--output", metavar="PATH", help="write here instead of stdout")
    _add_sessions_dir(parser)


def _models_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--free", action="store_true", help="only free models")
    parser.add_argument("--search", metavar="TEXT", help="only models whose id or name has TEXT")
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    _add_retries(parser)
    _add_provider_flags(parser)


def _credits_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")
    _add_retries(parser)
    _add_provider_flags(parser)


def _probe_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--free", action="store_true", help="probe the free models")
    parser.add_argument(
        "--limit",
        type=_positive_int,
        metavar="N",
        help="probe at most N models (default 20 when taken from the model list)",
    )
    parser.add_argument("--models", nargs="+", metavar="ID", help="probe these models")
    parser.add_argument(
        "--concurrency", type=_positive_int, default=4, metavar="N", help="calls at once (4)"
    )
    _add_retries(parser, default=0)
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    _add_provider_flags(parser)


def _complete_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, metavar="ID", help="the model id")
    parser.add_argument("--prompt", required=True, metavar="TEXT", help="the prompt")
    parser.add_argument(
        "--chat", action="store_true", help="use chat completions instead of legacy completions"
    )
    parser.add_argument(
        "--stream",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="stream the reply as it is written (default: on)",
    )
    parser.add_argument("--max-tokens", type=_positive_int, metavar="N")
    parser.add_argument("--temperature", type=_temperature, metavar="T", help="0 to 2")
    parser.add_argument("--system", metavar="TEXT", help="a system prompt")
    _add_retries(parser)
    _add_provider_flags(parser)


COMMANDS: tuple[Command, ...] = (
    Command("run", "run a consensus without the interface, for scripts",
            "cltui.headless:main", _run_arguments),
    Command("sessions", "list saved sessions",
            "cltui.session_cli:sessions_main", _sessions_arguments),
    Command("export", "export a session as Markdown or JSON",
            "cltui.session_cli:export_main", _export_arguments),
    Command("models", "list the endpoint's models with context length and prices",
            "cltui.commands.helpers:models_main", _models_arguments),
    Command("credits", "show the credits used and remaining",
            "cltui.commands.helpers:credits_main", _credits_arguments),
    Command("probe", "check which models answer right now",
            "cltui.commands.helpers:probe_main", _probe_arguments),
    Command("complete", "stream one completion from one model to stdout",
            "cltui.commands.helpers:complete_main", _complete_arguments),
)  # fmt: skip
COMMAND_NAMES = frozenset(c.name for c in COMMANDS)


def _commands_epilog() -> str:
    width = max(len(c.name) for c in COMMANDS)
    lines = ["commands:"]
    lines += [f"  {c.name.ljust(width)}  {c.summary}" for c in COMMANDS]
    lines += ["", "Run 'cltui COMMAND --help' for a command's options."]
    return "\n".join(lines)


def build_tui_parser() -> argparse.ArgumentParser:
    """`cltui [CONFIG] [options]`: the terminal interface, and the top-level help."""
    parser = argparse.ArgumentParser(
        prog="cltui",
        usage="cltui [CONFIG] [options]\n       cltui COMMAND [options]",
        description="Consensus learning across several language models, live in your terminal.",
        epilog=_commands_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "config", nargs="?", metavar="CONFIG", help="consensus config (TOML, or an input.json)"
    )
    parser.add_argument("--version", action="version", version=f"cltui {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="run on built-in simulated models (offline, no key)"
    )
    parser.add_argument(
        "--resume",
        nargs="?",
        const="",
        metavar="SESSION",
        help="reopen a saved session: a path or id, or pick one from a list",
    )  # args.resume: None when absent, "" for the picker, else the session
    parser.add_argument("--theme", metavar="NAME", help="the color theme")
    _add_sessions_dir(parser)
    _add_endpoint_flags(parser)
    parser.add_argument("--strategy", choices=STRATEGY_CHOICES, help="override the strategy")
    parser.add_argument("--no-mouse", action="store_true", help="do not capture the mouse")
    parser.set_defaults(command=None, handler=TUI_HANDLER)
    return parser


def build_command_parser() -> argparse.ArgumentParser:
    """`cltui COMMAND ...`: one subparser per command."""
    parser = argparse.ArgumentParser(prog="cltui")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        sub = subparsers.add_parser(
            command.name, help=command.summary, description=command.summary[:1].upper()
            + command.summary[1:] + "."
        )  # fmt: skip
        command.add_arguments(sub)
        sub.set_defaults(handler=command.handler)
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """argparse cannot mix an optional CONFIG positional with subcommands, so the first word
    decides: a command name selects that command, anything else is the interface."""
    if argv and argv[0] in COMMAND_NAMES:
        return build_command_parser().parse_args(argv)
    return build_tui_parser().parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, run the chosen handler, and turn every failure into an exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error (already printed)
        return exit_.code if isinstance(exit_.code, int) else 2
    except KeyboardInterrupt:
        return 130
    return run_handler(args)


def run_handler(args: argparse.Namespace) -> int:
    """Import and call the handler named by `args.handler`, mapping errors to exit codes."""
    from cltui.commands.common import (
        EXIT_FAILED,
        EXIT_INTERRUPTED,
        EXIT_USAGE,
        CommandError,
        fail,
    )
    from cltui.core.config import ConfigError
    from cltui.core.providers.errors import ProviderError

    try:
        handler = _load_handler(args.handler, args.command)
        if handler is None:
            return EXIT_FAILED
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        return fail("interrupted", EXIT_INTERRUPTED)
    except CommandError as error:
        return fail(str(error), error.code)
    except ConfigError as error:
        return fail(str(error), EXIT_USAGE)
    except ProviderError as error:
        return fail(str(error), EXIT_FAILED)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_FAILED
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        return fail(f"{error.strerror or error}{where}", EXIT_FAILED)
    except Exception as error:  # the last line of defence: one line, never a traceback
        if os.environ.get(DEBUG_ENV):
            raise
        return fail(
            f"unexpected error ({type(error).__name__}: {error}); "
            f"set {DEBUG_ENV}=1 to see the details",
            EXIT_FAILED,
        )


def _load_handler(target: str, command: str | None) -> Callable[[argparse.Namespace], int] | None:
    """The handler function, or None (after saying so) when this build lacks its module."""
    from cltui.commands.common import fail

    module_name, _, function_name = target.partition(":")
    what = f"the '{command}' command" if command else "the terminal interface"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if (
            missing in ("textual", "httpx")
            or module_name == missing
            or (module_name.startswith(missing + "."))
        ):
            fail(f"{what} is not available in this build")
            return None
        raise
    handler = getattr(module, function_name, None)
    if not callable(handler):
        fail(f"{what} is not available in this build")
        return None
    return cast("Callable[[argparse.Namespace], int]", handler)


def _silence_stdout() -> None:
    """After the reader of a pipe went away, point stdout at /dev/null so Python's exit flush
    does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    raise SystemExit(main())
