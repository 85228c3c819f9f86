"""Live progress of a headless run on stderr: an event sink for `cltui run`.

On a terminal it redraws a compact block (one line per model) at most ten times a second; when
stderr is a file or a pipe it writes one line per state change, so logs stay readable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TextIO

from cltui.core.costs import format_cost, format_tokens
from cltui.core.events import (
    AGGREGATOR_SLOT,
    CreditsChanged,
    Event,
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
from cltui.core.judging import ranking_text
from cltui.core.sessions.model import Reply
from cltui.core.text import display_line


@dataclass(slots=True)
class _Line:
    slot: str
    model: str
    state: str = "waiting"
    chunks: int = 0
    detail: str = ""


class ProgressPrinter:
    """Prints round headers and per-model state: waiting, streaming N chunks, done, error."""

    def __init__(self, stream: TextIO, *, live: bool | None = None, quiet: bool = False) -> None:
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self.quiet = quiet
        self._lines: dict[str, _Line] = {}
        self._drawn = 0
        self._last_draw = 0.0
        self._round_label = ""
        self._save_failure = ""
        """The reason the latest save failed, until one works (said once, not per reply)."""

    def __call__(self, event: Event) -> None:
        if isinstance(event, SessionSaveFailed | SessionSaved):
            self._save_state(event)  # even when quiet: work that is not on disk is never silent
            return
        if self.quiet:
            return
        match event:
            case TurnStarted(turn=turn, prompt=prompt):
                opening = display_line(prompt.strip().splitlines()[0] if prompt.strip() else "")
                self._write(f"turn {turn + 1}: {opening[:70]}")
            case RoundStarted(round=rnd, total_rounds=total, stage=stage):
                self._flush_block()
                self._lines.clear()
                label = f"round {rnd + 1}/{total}"
                self._round_label = label if stage == "propose" else f"{label} · {stage}"
                self._write(self._round_label)
            case ReplyStarted(slot=slot, model=model, role=role):
                name = "aggregate" if slot == AGGREGATOR_SLOT else display_line(model)
                if role not in ("proposer", "aggregator"):
                    name = f"{role}: {display_line(model)}"
                self._lines[slot] = _Line(slot, name)
                self._show(slot)
            case ReplyDelta(slot=slot, text=text, reasoning=reasoning) if slot in self._lines:
                line = self._lines[slot]
                first = line.state != "streaming"
                line.state = "streaming"
                line.chunks += 1 if (text or reasoning) else 0
                if self.live:
                    self._redraw(force=False)
                elif first:
                    self._show(slot)
            case ReplyRetrying(slot=slot, delay=delay, reason=reason) if slot in self._lines:
                line = self._lines[slot]
                line.state = "retrying"
                line.detail = f"in {delay:.0f} s: {display_line(reason)[:80]}"
                self._show(slot)
            case ReplyWaiting(slot=slot, reason=reason, seconds=seconds) if slot in self._lines:
                line = self._lines[slot]
                line.state = "waiting"
                line.detail = f"{display_line(reason)[:80]}: {seconds:.0f} s"
                self._show(slot)
            case ReplyFinished(slot=slot, reply=reply) if slot in self._lines:
                line = self._lines[slot]
                line.state, line.detail = _finished_state(reply)
                self._show(slot)
            case RankingReady(ranking=ranking, read=read, asked=asked, unit=unit):
                self._write(f"  ranking: {display_line(ranking_text(ranking, read, asked, unit))}")
            case RoundFinished(agreement=agreement, stopped_early=stopped):
                self._flush_block()
                if agreement is not None:
                    note = " (stopping early)" if stopped else ""
                    self._write(f"  agreement with the previous round: {agreement:.0%}{note}")
            case CreditsChanged(remaining=remaining) if remaining is not None:
                self._write(f"credits left: {format_cost(remaining)}")
            case TurnFinished(status=status, error=error):
                self._flush_block()
                if status != "complete":
                    reason = f": {display_line(error)}" if error else ""
                    self._write(f"turn {status}{reason}")

    def _save_state(self, event: SessionSaveFailed | SessionSaved) -> None:
        if isinstance(event, SessionSaveFailed):
            if event.reason != self._save_failure:
                self._save_failure = event.reason
                self._write(
                    f"NOT SAVED: {display_line(event.path)}: {display_line(event.reason)}"
                    " (tried again after every reply)"
                )
        elif self._save_failure:
            self._save_failure = ""
            self._write(f"saved again: {display_line(event.path)}")

    # -- drawing -------------------------------------------------------------------------------

    def _format(self, line: _Line) -> str:
        match line.state:
            case "waiting":
                why = f" ({line.detail})" if line.detail else ""
                return f"  … {line.model}  waiting{why}"
            case "streaming":
                count = f" · ~{line.chunks} tokens" if self.live else ""  # a chunk is about a token
                return f"  ▸ {line.model}  streaming{count}"
            case "retrying":
                return f"  ↻ {line.model}  retrying {line.detail}"
            case "done":
                return f"  ✓ {line.model}  {line.detail}"
            case "truncated":
                return f"  ✂ {line.model}  cut off: {line.detail}"
            case _:
                return f"  ✗ {line.model}  {line.state}: {line.detail}"

    def _show(self, slot: str) -> None:
        if self.live:
            self._redraw(force=True)
        else:
            self._write(self._format(self._lines[slot]))

    def _redraw(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        out = []
        if self._drawn:
            out.append(f"\x1b[{self._drawn}F")  # back to the block's first line
        for line in self._lines.values():
            out.append("\x1b[2K" + self._format(line) + "\n")
        self.stream.write("".join(out))
        self.stream.flush()
        self._drawn = len(self._lines)

    def _flush_block(self) -> None:
        if self.live and self._lines:
            self._redraw(force=True)
        self._drawn = 0

    def _write(self, text: str) -> None:
        if self.live:
            self._drawn = 0
        self.stream.write(text + "\n")
        self.stream.flush()


def _finished_state(reply: Reply) -> tuple[str, str]:
    if reply.done:
        seconds = (reply.duration_ms or 0) / 1000
        tokens = format_tokens(reply.completion_tokens, reply.usage_estimated)
        cost = format_cost(reply.cost, reply.cost_estimated)
        done = f"done in {seconds:.1f} s · {tokens} tokens · {cost}"
        if reply.truncated:
            return "truncated", f"{done} · {display_line(reply.error)}"
        return "done", done
    # The line already names the model; provider errors start with it too.
    reason = (reply.error or reply.status).removeprefix(f"{reply.model}: ")
    return reply.status, display_line(reason)[:200]
