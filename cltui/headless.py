"""`cltui run`: the same consensus as the TUI, for scripts.

Progress goes to stderr, the final answer (or the whole session as JSON) to stdout, and the session
is saved after every reply exactly as the TUI saves it. Exit codes: 0 success, 1 the run failed,
2 bad input (a session that cannot be saved where asked, or that another process is running,
included: found before any model is called), 3 finished but the session could not be saved (the
calls were made; the file is missing or behind), 130 interrupted (the session is then saved as
`interrupted` and can be resumed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from cltui.core.config import ConfigError, ProviderSpec, load_config
from cltui.core.config.limits import MAX_TEXT_CHARS
from cltui.core.config_choice import choose_config
from cltui.core.costs import format_tokens, format_total_cost, session_totals, turn_totals
from cltui.core.paths import sessions_dir
from cltui.core.preview import format_preview, planned_calls
from cltui.core.providers.keys import find_missing_key
from cltui.core.runner import ConsensusRunner
from cltui.core.sessions.errors import SessionError
from cltui.core.sessions.listing import resolve_session_ref
from cltui.core.sessions.model import Turn, final_reply
from cltui.core.settings import UserSettings, load_user_settings
from cltui.core.text import display, display_line
from cltui.progress import ProgressPrinter

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_SAVED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _error(message: str) -> None:
    sys.stderr.write(f"cltui: {display_line(message)}\n")


def main(args: argparse.Namespace) -> int:
    """Entry point of `cltui run`; returns the exit code."""
    prompt = getattr(args, "prompt", None)
    resume_ref = getattr(args, "resume", None)
    if prompt is not None and not prompt.strip():
        _error("--prompt is empty: give the question to ask")
        return EXIT_USAGE
    if prompt is not None and len(prompt) > MAX_TEXT_CHARS:
        _error(f"--prompt is {len(prompt):,} characters long; the limit is {MAX_TEXT_CHARS:,}")
        return EXIT_USAGE
    try:
        settings = load_user_settings()
        runner = _build_runner(args, settings)
    except (ConfigError, SessionError) as error:
        _error(str(error))
        return EXIT_USAGE
    if not prompt and not resume_ref:
        prompt = runner.config.question  # a seed input.json asks its own question
    if getattr(args, "dry_run", False):  # the cost of a turn needs no question, only its size
        return asyncio.run(_dry_run(runner, prompt or ""))
    if not prompt and not resume_ref:
        _error("run needs --prompt TEXT (or --resume SESSION to finish a saved session)")
        return EXIT_USAGE
    missing = find_missing_key(runner.config, settings.api_keys, os.environ)
    if missing:
        _error(missing)
        return EXIT_USAGE
    try:
        runner.claim()  # before any paid call: the file can be written, and by us alone
    except SessionError as error:
        _error(str(error))
        return EXIT_USAGE
    try:
        return asyncio.run(_run(runner, args, prompt))
    except KeyboardInterrupt:
        if runner.last_save_error:
            _error(f"interrupted, and the session could not be saved: {runner.last_save_error}")
        else:
            where = f"; resume with: cltui run --resume {runner.path}" if runner.path else ""
            _error(f"interrupted: the session was saved as interrupted{where}")
        return EXIT_INTERRUPTED


def _given_providers(args: argparse.Namespace) -> dict[str, ProviderSpec] | None:
    """The provider tables of a CONFIG given with --resume: the user's own word on where their
    keys may go, replacing the session file's tables of the same name (`sessions.seal`)."""
    path = getattr(args, "config", None)
    return dict(load_config(path).providers) if path else None


def _build_runner(args: argparse.Namespace, settings: UserSettings) -> ConsensusRunner:
    api_keys = settings.api_keys
    directory = sessions_dir(getattr(args, "sessions_dir", None))
    resume_ref = getattr(args, "resume", None)
    if resume_ref:
        path = resolve_session_ref(resume_ref, directory)
        runner = ConsensusRunner.open(
            path,
            demo=bool(getattr(args, "demo", False)),
            sessions_dir=directory,
            api_keys=api_keys,
            base_url=getattr(args, "base_url", None),
            environ=os.environ,
            view_if_locked=bool(getattr(args, "dry_run", False)),  # a dry run writes nothing
            api_key_env=getattr(args, "api_key_env", None),
            own_providers=_given_providers(args),
        )
        strategy = getattr(args, "strategy", None)
        if strategy and strategy != runner.config.strategy:
            raise ConfigError(str(path), "strategy", "a resumed session keeps its own strategy")
        return runner
    config = choose_config(
        getattr(args, "config", None),
        demo=bool(getattr(args, "demo", False)),
        settings=settings,
        environ=os.environ,
        strategy=getattr(args, "strategy", None),
        base_url=getattr(args, "base_url", None),
        api_key_env=getattr(args, "api_key_env", None),
    )
    save = getattr(args, "save", None)
    return ConsensusRunner(
        config,
        sessions_dir=directory,
        path=Path(save) if save else None,
        api_keys=api_keys,
    )


async def _dry_run(runner: ConsensusRunner, prompt: str) -> int:
    """Print what a run would cost, without calling any model."""
    try:
        await runner.load_prices()
        plan = planned_calls(runner.config)
        preview = runner.preview(prompt)
    finally:
        await runner.aclose()
    out = sys.stdout
    config = runner.config
    out.write(f"strategy: {display_line(config.strategy)}\n")
    out.write(f"models: {display_line(', '.join(m.name for m in config.models))}\n")
    if config.aggregator:
        out.write(f"aggregator: {display_line(config.aggregator.model.name)}\n")
    if config.strategy == "blender" and config.judge:
        out.write(f"judge: {display_line(config.judge.name)} ({config.ranking})\n")
    out.write(f"rounds: {config.rounds}\n")
    out.write(f"calls per round: {plan.describe_round()}\n")
    worst = f" (up to {plan.worst_case} in the worst case)" if plan.worst_case > plan.total else ""
    out.write(f"calls: {plan.total}{worst}\n")
    out.write(f"estimate: {format_preview(preview)}\n")
    return EXIT_OK


async def _run(runner: ConsensusRunner, args: argparse.Namespace, prompt: str | None) -> int:
    printer = ProgressPrinter(sys.stderr, quiet=bool(getattr(args, "quiet", False)))
    runner.add_sink(printer)
    turn: Turn | None = None
    try:
        if runner.copied_from is not None:
            example = display_line(str(runner.copied_from))
            sys.stderr.write(f"continuing the example {example} in a copy\n")
        if runner.path is not None:
            sys.stderr.write(f"session: {display_line(str(runner.path))}\n")
        await runner.fetch_credits()
        await runner.load_prices()
        for model in runner.unlisted_models():
            sys.stderr.write(
                f"warning: {display_line(model)} is not in the provider's model list "
                "(a typo, or retired?); `cltui models --search` finds the current ids\n"
            )
        if runner.can_resume:
            turn = await runner.resume()
            if turn.status != "complete":
                return _finish(runner, turn, args)
        elif getattr(args, "resume", None) and not prompt:
            sys.stderr.write("the session has nothing to resume; give --prompt to ask more\n")
        if prompt:
            turn = await runner.ask(prompt)
        await runner.fetch_credits()
    finally:
        await runner.aclose()
    return _finish(runner, turn, args)


def _answer(text: str) -> None:
    """The final answer on stdout, for people: the models' control characters shown as symbols,
    piped or not (`--json` gives the exact text)."""
    sys.stdout.write(display(text) + "\n")


def _json(text: str) -> None:
    """JSON on stdout as it is: it holds the exact text, every control character escaped."""
    sys.stdout.write(text + "\n")


def _warn_cut_off(turn: Turn) -> None:
    """Say on stderr when answers were cut off, and above all when the final one was: a script
    reading stdout alone would take it for a whole answer."""
    cut = [r for rnd in turn.rounds for r in (*rnd.replies, *rnd.reviews) if r.truncated]
    cut += [rnd.aggregate for rnd in turn.rounds if rnd.aggregate and rnd.aggregate.truncated]
    final = final_reply(turn)
    if final is not None and final.truncated:
        reason = display_line(final.error or "the answer is incomplete")
        sys.stderr.write(f"warning: the final answer was cut off ({reason})\n")
    elif cut:
        sys.stderr.write(
            f"warning: {len(cut)} {'reply was' if len(cut) == 1 else 'replies were'} cut off "
            "(status 'truncated' in the session); raise max_tokens to get whole answers\n"
        )


def _finish(runner: ConsensusRunner, turn: Turn | None, args: argparse.Namespace) -> int:
    """Print the result; the exit code says how the run went, and 3 whenever the file on disk
    does not hold it (however the turn ended: what was paid for is then only in this output)."""
    unsaved = runner.last_save_error
    if unsaved:
        _error(
            f"{unsaved}. The answer is only in this output; "
            "free the space or pick another place (--save PATH or --sessions-dir DIR)"
        )
    if getattr(args, "json", False):
        from cltui.core.export import session_to_json

        _json(session_to_json(runner.session).rstrip("\n"))
    elif turn is not None and turn.final:
        _answer(turn.final.rstrip("\n"))
    if turn is not None:
        _warn_cut_off(turn)
        totals = turn_totals(turn)
        whole = session_totals(runner.session)
        sys.stderr.write(
            f"turn: {totals.calls} calls · "
            f"{format_tokens(totals.tokens, totals.tokens_estimated)} tokens"
            f" · {format_total_cost(totals)} (session {format_total_cost(whole)})\n"
        )
    if runner.path is not None and not unsaved and runner.recorder and runner.recorder.saves:
        where = display_line(str(runner.path))
        sys.stderr.write(f"saved: {where}\n")
        if turn is not None and turn.status != "complete":
            sys.stderr.write(f"to try again from where it stopped: cltui run --resume {where}\n")
    if unsaved:
        return EXIT_NOT_SAVED
    if turn is None:
        return EXIT_OK
    return EXIT_OK if turn.status == "complete" else EXIT_FAILED
