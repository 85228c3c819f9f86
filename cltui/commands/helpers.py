"""The original project's helper scripts as subcommands: models, credits, probe, complete.

Each `*_main(args) -> int` is called by `cltui.cli` with the parsed flags. They raise
`ProviderError`, `ConfigError` or `CommandError` for the command line to turn into one line on
stderr and an exit code; output meant for scripts (`--json`) goes to stdout only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, TextIO

from cltui.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    build_registry,
    helper_client,
    print_json,
    run_async,
)
from cltui.core.costs import format_cost
from cltui.core.text import DisplayStream, display_line

if TYPE_CHECKING:
    from cltui.core.providers.base import RetryNotice, WaitNotice
    from cltui.core.providers.client import OpenAIClient
    from cltui.core.providers.results import CreditsInfo, ModelInfo

PROBE_PROMPT = "Reply with the word OK."
PROBE_MAX_TOKENS = 5
PROBE_DEFAULT_LIMIT = 20
"""Models probed from the list when neither --models nor --limit is given (probes cost money)."""
NAME_WIDTH = 40


# --------------------------------------------------------------------------------------------
# models


def models_main(args: argparse.Namespace) -> int:
    """`cltui models`: the endpoint's models with context length and prices."""
    models = run_async(_fetch_models(args))
    models = filter_models(models, free=args.free, search=args.search)
    if args.json:
        print_json([asdict(m) for m in models])
        return EXIT_OK
    if not models:
        sys.stdout.write("No models match.\n")
        return EXIT_OK
    sys.stdout.write(format_models_table(models))
    free = sum(1 for m in models if m.is_free)
    sys.stdout.write(f"\n{len(models)} models ({free} free); prices in USD per million tokens\n")
    return EXIT_OK


async def _fetch_models(args: argparse.Namespace) -> list[ModelInfo]:
    async with build_registry(args) as registry:
        return await helper_client(registry, args, max_retries=args.retries).list_models()


def filter_models(
    models: Sequence[ModelInfo], *, free: bool, search: str | None
) -> list[ModelInfo]:
    """The models matching `--free` and `--search` (case-insensitive, in id or name), by id."""
    needle = (search or "").casefold()
    chosen = [
        m
        for m in models
        if (not free or m.is_free) and (needle in m.id.casefold() or needle in m.name.casefold())
    ]
    return sorted(chosen, key=lambda m: m.id)


def per_million(price: float | None) -> str:
    """A per-token price as USD per million tokens; 'free' at zero, '-' when not listed."""
    if price is None:
        return "-"
    if price == 0:
        return "free"
    value = price * 1_000_000
    return f"{value:,.2f}" if value >= 0.01 else f"{value:.4f}"


def format_models_table(models: Sequence[ModelInfo]) -> str:
    """Aligned columns: id, name, context, prompt and completion price per million tokens."""
    header = ("ID", "NAME", "CONTEXT", "PROMPT/M", "COMPLETION/M")
    rows = [
        (
            display_line(m.id),
            _clip(display_line(m.name), NAME_WIDTH),
            f"{m.context_length:,}" if m.context_length else "-",
            per_million(m.prompt_price),
            per_million(m.completion_price),
        )
        for m in models
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        left = [row[i].ljust(widths[i]) for i in range(2)]
        right = [row[i].rjust(widths[i]) for i in range(2, len(header))]
        lines.append("  ".join(left + right).rstrip())
    return "\n".join(lines) + "\n"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --------------------------------------------------------------------------------------------
# credits


def credits_main(args: argparse.Namespace) -> int:
    """`cltui credits`: credits used and remaining, or the key's limit and usage."""
    info = run_async(_fetch_credits(args))
    if args.json:
        print_json(asdict(info))
        return EXIT_OK
    sys.stdout.write(describe_credits(info) + "\n")
    return EXIT_OK


async def _fetch_credits(args: argparse.Namespace) -> CreditsInfo:
    async with build_registry(args) as registry:
        return await helper_client(registry, args, max_retries=args.retries).credits()


def money(value: float | None) -> str:
    """An amount of credits as every other screen prints it; "unknown" when not reported."""
    return "unknown" if value is None else format_cost(value)


def describe_credits(info: CreditsInfo) -> str:
    """Two or three lines naming where the numbers come from."""
    if info.source == "credits":
        lines = [
            "Account credits (from /credits)",
            f"  used:      {money(info.used)}",
            f"  remaining: {money(info.remaining)}",
        ]
        if info.limit is not None:
            lines.append(f"  purchased: {money(info.limit)}")
    else:
        lines = [
            "This key's limit (from /key; /credits needs a management key)",
            f"  used:      {money(info.used)}",
            f"  remaining: {money(info.remaining) if info.limit is not None else 'no limit set'}",
        ]
        if info.limit is not None:
            lines.append(f"  limit:     {money(info.limit)}")
    if info.is_free_tier:
        lines.append("  free tier: no credits purchased yet (free models: 50 requests a day)")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# probe


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One model's answer to the probe prompt."""

    model: str
    ok: bool
    latency_ms: int | None
    error: str | None


def probe_main(args: argparse.Namespace) -> int:
    """`cltui probe`: which models answer right now (the original `working_models`)."""
    results = run_async(_probe(args))
    if args.json:
        print_json([asdict(r) for r in results])
    else:
        working = sum(1 for r in results if r.ok)
        sys.stdout.write(f"{working} of {len(results)} work\n")
    return EXIT_OK if any(r.ok for r in results) else EXIT_FAILED


async def _probe(args: argparse.Namespace) -> list[ProbeResult]:
    async with build_registry(args) as registry:
        client = helper_client(registry, args, max_retries=args.retries)
        models = list(dict.fromkeys(args.models or []))
        if not models:
            listed = filter_models(await client.list_models(), free=args.free, search=None)
            limit = args.limit if args.limit is not None else PROBE_DEFAULT_LIMIT
            models = [m.id for m in listed[:limit]]
        elif args.limit is not None:
            models = models[: args.limit]
        if not models:
            raise CommandError(
                "no models to probe (try without --free, or name some with --models)"
            )
        gate = asyncio.Semaphore(max(1, args.concurrency))
        marks = _marks(sys.stdout)
        width = max(len(display_line(m)) for m in models)

        async def one(model: str) -> ProbeResult:
            async with gate:
                result = await probe_model(client, model)
            if not args.json:
                _print_probe_line(result, marks, width)
            return result

        return list(await asyncio.gather(*(one(m) for m in models)))


async def probe_model(client: OpenAIClient, model: str) -> ProbeResult:
    """Send the tiny probe prompt; any typed failure becomes the result's reason."""
    from cltui.core.messages import ChatMessage
    from cltui.core.providers.base import ChatRequest
    from cltui.core.providers.errors import ProviderError

    request = ChatRequest(model, [ChatMessage("user", PROBE_PROMPT)], max_tokens=PROBE_MAX_TOKENS)
    started = time.perf_counter()
    try:
        await client.chat(request)
    except ProviderError as error:
        return ProbeResult(model, False, None, _reason(str(error), model))
    return ProbeResult(model, True, round((time.perf_counter() - started) * 1000), None)


def _reason(message: str, model: str) -> str:
    """The error sentence without the model name it starts with (the line names it already)."""
    prefix = f"{model}: "
    return display_line(message[len(prefix) :] if message.startswith(prefix) else message)


def _marks(stream: TextIO) -> tuple[str, str]:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "✓✗".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "ok", "FAIL"
    return "✓", "✗"


def _print_probe_line(result: ProbeResult, marks: tuple[str, str], width: int) -> None:
    name = display_line(result.model).ljust(width)
    if result.ok:
        line = f"{marks[0]} {name}  {result.latency_ms} ms"
    else:
        line = f"{marks[1]} {name}  {result.error}"
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# complete


def complete_main(args: argparse.Namespace) -> int:
    """`cltui complete`: one completion streamed to stdout; reasoning goes to stderr."""
    return run_async(_complete(args))


async def _complete(args: argparse.Namespace) -> int:
    from cltui.core.messages import ChatMessage
    from cltui.core.providers.base import NO_FINISH_REASON, ChatRequest
    from cltui.core.providers.errors import ProviderError

    printer = _CompletionPrinter(sys.stdout, sys.stderr)
    async with build_registry(args) as registry:
        client = helper_client(registry, args, max_retries=args.retries)
        try:
            if args.chat:
                messages = [ChatMessage("user", args.prompt)]
                if args.system:
                    messages.insert(0, ChatMessage("system", args.system))
                request = ChatRequest(
                    args.model, messages, max_tokens=args.max_tokens, temperature=args.temperature
                )
                if args.stream:
                    async for chunk in client.stream_chat(request, on_retry=_tell_retry):
                        printer.write(chunk.content, chunk.reasoning, chunk.finish_reason)
                else:
                    result = await client.chat(request, on_retry=_tell_retry)
                    printer.write(result.content, result.reasoning, result.finish_reason)
            else:
                prompt = f"{args.system}\n\n{args.prompt}" if args.system else args.prompt
                async for chunk in client.complete(
                    args.model,
                    prompt,
                    max_tokens=args.max_tokens,
                    temperature=args.temperature,
                    stream=args.stream,
                    on_retry=_tell_retry,
                ):
                    printer.write(chunk.content, chunk.reasoning, chunk.finish_reason)
        except ProviderError:
            printer.finish()
            raise
    printer.finish()
    if printer.finish_reason == "length":
        sys.stderr.write("cltui: the answer was cut off at max_tokens; raise --max-tokens\n")
    elif printer.finish_reason == NO_FINISH_REASON:
        sys.stderr.write("cltui: the stream ended without a finish reason: it may be cut off\n")
    return EXIT_OK


def _tell_retry(notice: RetryNotice | WaitNotice) -> None:
    from cltui.core.providers.base import WaitNotice  # light: no httpx behind it

    if isinstance(notice, WaitNotice):
        sys.stderr.write(f"cltui: {display_line(notice.reason)}: waiting {notice.seconds:.0f} s\n")
        sys.stderr.flush()
        return
    sys.stderr.write(
        f"cltui: {display_line(notice.reason)}; retrying in {notice.delay:.0f} s "
        f"(attempt {notice.attempt} of {notice.max_attempts})\n"
    )
    sys.stderr.flush()


class _CompletionPrinter:
    """Writes content to stdout as it arrives and reasoning to stderr, dimmed on a terminal;
    both with control characters shown as symbols (`DisplayStream`), piped or not."""

    DIM, RESET = "\x1b[2m", "\x1b[0m"

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err
        self.dim = err.isatty() if hasattr(err, "isatty") else False
        self.in_reasoning = False
        self.ends_with_newline = True
        self._content = DisplayStream()
        self._reasoning = DisplayStream()
        self.finish_reason: str | None = None
        """Why the answer ended, as the server said (so a cut-off answer is flagged)."""

    def write(self, content: str, reasoning: str = "", finish_reason: str | None = None) -> None:
        self.finish_reason = finish_reason or self.finish_reason
        if reasoning:
            if not self.in_reasoning:
                self.err.write((self.DIM if self.dim else "") + "thinking: ")
                self.in_reasoning = True
            self.err.write(self._reasoning.feed(reasoning))
            self.err.flush()
        if content:
            self._end_reasoning()
            self._write_out(self._content.feed(content))

    def _write_out(self, shown: str) -> None:
        if shown:
            self.out.write(shown)
            self.out.flush()
            self.ends_with_newline = shown.endswith("\n")

    def _end_reasoning(self) -> None:
        if self.in_reasoning:
            self.err.write(self._reasoning.flush())
            self.err.write((self.RESET if self.dim else "") + "\n")
            self.err.flush()
            self.in_reasoning = False

    def finish(self) -> None:
        """Close the reasoning section and end the output with a newline."""
        self._end_reasoning()
        self._write_out(self._content.flush())
        if not self.ends_with_newline:
            self.out.write("\n")
            self.ends_with_newline = True
        self.out.flush()
