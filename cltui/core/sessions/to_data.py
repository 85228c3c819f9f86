"""A session as plain data, laid out as the file is (DESIGN §6), ready for any writer.

TOML has no null, so None fields are left out and come back as their defaults; fields that hold
their usual value (no error on a good reply, the proposer role) are left out too, which keeps the
files short and readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cltui.core.sessions.model import (
    SCHEMA_VERSION,
    Judgement,
    Reply,
    Round,
    Session,
    Turn,
    final_reply,
)


def _pending_as_saved(reply: Reply) -> str:
    """A call still running is saved as what would survive a crash right now."""
    if reply.status == "pending":
        return "partial" if reply.content else "cancelled"
    return reply.status


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    """One reply as a TOML table: fixed fields first, the others only when they say something."""
    status = _pending_as_saved(reply)
    data: dict[str, Any] = {"model": reply.model, "status": status, "content": reply.content}
    if status != "ok":
        data["error"] = reply.error
    data["prompt_tokens"] = reply.prompt_tokens
    data["completion_tokens"] = reply.completion_tokens
    if reply.cost is not None:
        data["cost"] = reply.cost
    if reply.ttft_ms is not None:
        data["ttft_ms"] = reply.ttft_ms
    if reply.duration_ms is not None:
        data["duration_ms"] = reply.duration_ms
    if reply.error_kind:
        data["error_kind"] = reply.error_kind
    if reply.cost_estimated:
        data["cost_estimated"] = True
    if reply.usage_estimated:
        data["usage_estimated"] = True
    if reply.reasoning:
        data["reasoning"] = reply.reasoning
    if reply.role != "proposer":
        data["role"] = reply.role
    if reply.model_id:
        data["model_id"] = reply.model_id
    if reply.served_by:
        data["served_by"] = reply.served_by
    return data


def _round_to_dict(rnd: Round) -> dict[str, Any]:
    data: dict[str, Any] = {"index": rnd.index}
    if rnd.agreement is not None:
        data["agreement"] = rnd.agreement
    if rnd.layer is not None:
        data["layer"] = rnd.layer
    if rnd.replies:
        data["replies"] = [reply_to_dict(r) for r in rnd.replies]
    if rnd.aggregate is not None:
        data["aggregate"] = reply_to_dict(rnd.aggregate)
    if rnd.aggregate_attempts:
        data["aggregate_attempts"] = [reply_to_dict(r) for r in rnd.aggregate_attempts]
    if rnd.reviews:
        data["reviews"] = [reply_to_dict(r) for r in rnd.reviews]
    if rnd.judgements:
        data["judgements"] = [_judgement_to_dict(j) for j in rnd.judgements]
    if rnd.ranking:
        data["ranking"] = [_without_none(entry) for entry in rnd.ranking]
    if rnd.ranking_asked is not None:
        data["ranking_read"] = rnd.ranking_read or 0
        data["ranking_asked"] = rnd.ranking_asked
    return data


def _judgement_to_dict(judgement: Judgement) -> dict[str, Any]:
    data = {"first": judgement.first, "second": judgement.second, "verdict": judgement.verdict}
    if judgement.raw:
        data["raw"] = judgement.raw
    return data


def turn_to_dict(turn: Turn) -> dict[str, Any]:
    """One question with its rounds, as the `[[turns]]` table holds it."""
    data: dict[str, Any] = {
        "prompt": turn.prompt,
        "status": turn.status,
        "final": turn.final,
        "started_at": turn.started_at,
    }
    final = final_reply(turn)
    if final is not None and final.truncated:
        # Derived from the rounds (not read back), for scripts reading only `final`.
        data["final_truncated"] = True
    if turn.rounds:
        data["rounds"] = [_round_to_dict(r) for r in turn.rounds]
    return data


def header_to_dict(session: Session) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "id": session.id,
        "title": session.title,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
        "status": session.status,
        "config": _without_none(session.config),
    } | ({"providers_seal": session.providers_seal} if session.providers_seal else {})


def session_to_dict(session: Session) -> dict[str, Any]:
    """The whole session as plain data, laid out as the file is (DESIGN §6). TOML has no null:
    None fields are left out and come back as their defaults."""
    data = header_to_dict(session)
    if session.turns:
        data["turns"] = [turn_to_dict(t) for t in session.turns]
    return data


def _without_none(value: Any) -> Any:
    """A copy of nested tables and lists without None values."""
    if isinstance(value, Mapping):
        return {str(k): _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_without_none(v) for v in value if v is not None]
    return value
