"""The session model: every turn, round and reply of a conversation, as plain data.

The engine mutates a `Session` as it runs; sinks (the TOML recorder, the TUI bridge) read it. The
field names follow DESIGN §6 and are fixed: users' scripts read these files.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

SCHEMA_VERSION = 1

SessionStatus = Literal["running", "interrupted", "complete", "failed"]
ReplyStatus = Literal["ok", "truncated", "error", "cancelled", "partial", "pending"]
"""`pending` exists only in memory while a call runs; it is saved as `cancelled`/`partial`.
`truncated`: the call finished, but the answer was cut off (it hit `max_tokens`, or the stream
ended without saying it was complete); its text is used like an ok answer, marked as cut off,
and `error` says why."""
USABLE_STATUSES = ("ok", "truncated")
"""Statuses of a finished call whose text is an answer (see `Reply.done`)."""
ReplyRole = Literal["proposer", "aggregator", "judge", "reviewer"]


def now_iso() -> str:
    """The current time, ISO 8601 in UTC to the second, as sessions record it."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def new_session_id() -> str:
    """A sortable, unique id: the start time plus random letters."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


@dataclass(slots=True)
class Reply:
    """One model call's result: a proposal, an aggregate, a judgement or a review."""

    model: str
    """The model's label as in the config (unique within a round)."""
    status: ReplyStatus = "pending"
    content: str = ""
    error: str = ""
    """The user-facing reason when status is not ok."""
    error_kind: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    cost_estimated: bool = False
    usage_estimated: bool = False
    """The token counts are cltui's estimate (about 4 characters a token): the server sent none."""
    ttft_ms: int | None = None
    duration_ms: int | None = None
    reasoning: str = ""
    role: ReplyRole = "proposer"
    model_id: str = ""
    """The API model id, when it differs from the label (several instances of one model)."""
    served_by: str = ""
    """The model that actually answered, when the router chose another."""

    @property
    def done(self) -> bool:
        """Finished with a usable answer: ok, or truncated (cut off, but what it says stands;
        asking again would cut it off again, so a resumed turn keeps it)."""
        return self.status in USABLE_STATUSES

    @property
    def truncated(self) -> bool:
        return self.status == "truncated"


@dataclass(slots=True)
class Judgement:
    """One pairwise comparison by the judge (blender)."""

    first: str
    second: str
    verdict: str
    """'first', 'second', 'both_good', 'both_bad', 'unparsed' (answered, no readable verdict) or
    'failed' (the judge call got no answer; judged again on resume)."""
    raw: str = ""


@dataclass(slots=True)
class Round:
    """One round: the proposals, optional ranking material, and the aggregate."""

    index: int
    replies: list[Reply] = field(default_factory=list)
    aggregate: Reply | None = None
    agreement: float | None = None
    """Similarity of this round's aggregate to the previous one (0-1), when measured."""
    judgements: list[Judgement] = field(default_factory=list)
    ranking: list[dict[str, Any]] = field(default_factory=list)
    """[{model, score, rank}] best first, for ranking strategies."""
    reviews: list[Reply] = field(default_factory=list)
    """Judge or reviewer calls (blender, council), kept apart from the proposals."""
    layer: int | None = None
    """The proposer layer (moa)."""
    aggregate_attempts: list[Reply] = field(default_factory=list)
    """Aggregator calls that failed before `aggregate` (e.g. the primary, when its fallback
    wrote the aggregate), oldest first."""
    ranking_read: int | None = None
    """How many of the judge verdicts (blender) or peer reviews (council) asked for could be
    read; the ranking rests on these alone. None when nothing was asked (one candidate, a
    non-ranking strategy, an older file)."""
    ranking_asked: int | None = None
    """How many judge verdicts or peer reviews were asked for."""

    @property
    def unranked(self) -> bool:
        """Judges or reviewers were asked, but not one answer could be read: the answers have
        no ranking, whatever order they are listed in."""
        return bool(self.ranking_asked) and not self.ranking_read

    def reply_for(self, model: str) -> Reply | None:
        """This round's reply from the model with that label."""
        return next((r for r in self.replies if r.model == model), None)

    @property
    def complete(self) -> bool:
        """The round has a good aggregate: resuming never redoes it. (A plain chat's round has
        no aggregate, so it never counts as complete; its strategy checks the reply instead.)"""
        return self.aggregate is not None and self.aggregate.done


@dataclass(slots=True)
class Turn:
    """One user question and the rounds that answered it."""

    prompt: str
    status: SessionStatus = "running"
    final: str = ""
    rounds: list[Round] = field(default_factory=list)
    started_at: str = field(default_factory=now_iso)


def final_reply(turn: Turn) -> Reply | None:
    """The reply whose text is the turn's final answer (the last good aggregate, or a plain
    chat's reply), so a sink can say whether that answer was cut off; None when there is none."""
    if not turn.final:
        return None
    for rnd in reversed(turn.rounds):
        candidates = [rnd.aggregate] if rnd.aggregate is not None else []
        for reply in [*candidates, *rnd.replies]:
            if reply.done and reply.content == turn.final:
                return reply
    return None


@dataclass(slots=True)
class Session:
    """A whole conversation with its config. Holds no API key, ever."""

    config: dict[str, Any]
    """The consensus config used, as `ConsensusConfig.to_dict()` gives it."""
    id: str = field(default_factory=new_session_id)
    title: str = ""
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    status: SessionStatus = "running"
    turns: list[Turn] = field(default_factory=list)
    providers_seal: str = ""
    """This user's seal of `config`'s provider tables (`sessions.seal`): which endpoints may
    get the user's keys when the file is reopened."""

    def replies(self) -> list[Reply]:
        """Every call of the session: proposals, reviews and aggregates."""
        found: list[Reply] = []
        for turn in self.turns:
            for rnd in turn.rounds:
                found.extend(rnd.replies)
                found.extend(rnd.reviews)
                found.extend(rnd.aggregate_attempts)
                if rnd.aggregate is not None:
                    found.append(rnd.aggregate)
        return found
