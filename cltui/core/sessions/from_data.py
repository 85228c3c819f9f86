"""A session from parsed TOML, with every field checked.

A session file may be old, hand-edited or damaged, so each value is checked for its type and
range as it is read, and a bad one raises `SessionError` naming the file and the key path
(`turns[2].rounds[0].replies[1].status`), never a traceback from deep inside.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cltui.core.sessions.errors import SessionError
from cltui.core.sessions.model import SCHEMA_VERSION, Judgement, Reply, Round, Session, Turn

SESSION_STATUSES = ("running", "interrupted", "complete", "failed")
SAVED_REPLY_STATUSES = ("ok", "truncated", "error", "cancelled", "partial")
REPLY_ROLES = ("proposer", "aggregator", "judge", "reviewer")

_REQUIRED: Any = object()
"""Marks a field every session file must have."""


class _Reader:
    """Typed access to parsed TOML that fails with the file and the key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> SessionError:
        return SessionError.at(self.source, key, problem)

    def field(
        self, table: Mapping[str, Any], name: str, path: str, default: Any
    ) -> tuple[Any, str | None]:
        """The value and its key path, or (default, None) when absent and not required."""
        key = f"{path}.{name}" if path else name
        if name in table:
            return table[name], key
        if default is _REQUIRED:
            raise self.fail(key, "missing; every session file has it")
        return default, None

    def string(
        self, table: Mapping[str, Any], name: str, path: str, default: Any = _REQUIRED
    ) -> str:
        value, key = self.field(table, name, path, default)
        if key is not None and not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {_type_name(value)}")
        return str(value)

    def choice(
        self,
        table: Mapping[str, Any],
        name: str,
        path: str,
        choices: tuple[str, ...],
        default: Any = _REQUIRED,
    ) -> Any:
        value = self.string(table, name, path, default)
        if value not in choices:
            key = f"{path}.{name}" if path else name
            raise self.fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def integer(
        self, table: Mapping[str, Any], name: str, path: str, default: Any = _REQUIRED
    ) -> Any:
        value, key = self.field(table, name, path, default)
        if key is None:
            return value
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, f"expected a whole number, got {_type_name(value)}")
        if value < 0:
            raise self.fail(key, f"expected a number of at least 0, got {value}")
        return value

    def number(self, table: Mapping[str, Any], name: str, path: str) -> float | None:
        value, key = self.field(table, name, path, None)
        if key is None:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise self.fail(key, f"expected a number, got {_type_name(value)}")
        return float(value)

    def boolean(self, table: Mapping[str, Any], name: str, path: str) -> bool:
        value, key = self.field(table, name, path, False)
        if key is not None and not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {_type_name(value)}")
        return bool(value)

    def table(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a table, got {_type_name(value)}")
        return value

    def tables(self, table: Mapping[str, Any], name: str, path: str) -> Iterator[tuple[Any, str]]:
        """Each table of an array of tables (missing means empty), with its key path."""
        value, key = self.field(table, name, path, [])
        if key is None:
            return
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list of tables, got {_type_name(value)}")
        for i, item in enumerate(value):
            item_key = f"{key}[{i}]"
            yield self.table(item, item_key), item_key


def _type_name(value: Any) -> str:
    names = {str: "a string", int: "a whole number", float: "a number", bool: "true/false",
             list: "a list", dict: "a table"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def _reply_from_dict(r: _Reader, data: Mapping[str, Any], path: str) -> Reply:
    return Reply(
        model=r.string(data, "model", path),
        status=r.choice(data, "status", path, SAVED_REPLY_STATUSES),
        content=r.string(data, "content", path, ""),
        error=r.string(data, "error", path, ""),
        error_kind=r.string(data, "error_kind", path, ""),
        prompt_tokens=r.integer(data, "prompt_tokens", path, 0),
        completion_tokens=r.integer(data, "completion_tokens", path, 0),
        cost=r.number(data, "cost", path),
        cost_estimated=r.boolean(data, "cost_estimated", path),
        usage_estimated=r.boolean(data, "usage_estimated", path),
        ttft_ms=r.integer(data, "ttft_ms", path, None),
        duration_ms=r.integer(data, "duration_ms", path, None),
        reasoning=r.string(data, "reasoning", path, ""),
        role=r.choice(data, "role", path, REPLY_ROLES, "proposer"),
        model_id=r.string(data, "model_id", path, ""),
        served_by=r.string(data, "served_by", path, ""),
    )


def _round_from_dict(r: _Reader, data: Mapping[str, Any], path: str) -> Round:
    aggregate = None
    if "aggregate" in data:
        key = f"{path}.aggregate"
        aggregate = _reply_from_dict(r, r.table(data["aggregate"], key), key)
    return Round(
        index=r.integer(data, "index", path),
        replies=[_reply_from_dict(r, t, k) for t, k in r.tables(data, "replies", path)],
        aggregate=aggregate,
        agreement=r.number(data, "agreement", path),
        judgements=[
            Judgement(
                first=r.string(t, "first", k),
                second=r.string(t, "second", k),
                verdict=r.string(t, "verdict", k),
                raw=r.string(t, "raw", k, ""),
            )
            for t, k in r.tables(data, "judgements", path)
        ],
        ranking=[dict(t) for t, _ in r.tables(data, "ranking", path)],
        reviews=[_reply_from_dict(r, t, k) for t, k in r.tables(data, "reviews", path)],
        aggregate_attempts=[
            _reply_from_dict(r, t, k) for t, k in r.tables(data, "aggregate_attempts", path)
        ],
        layer=r.integer(data, "layer", path, None),
        ranking_read=r.integer(data, "ranking_read", path, None),
        ranking_asked=r.integer(data, "ranking_asked", path, None),
    )


def _rounds_from_dict(r: _Reader, data: Mapping[str, Any], path: str) -> list[Round]:
    """The turn's rounds, which must be numbered in order from 0: resuming finds a round's
    predecessor by its index, so a gap or a repeat would feed it the wrong aggregate."""
    rounds: list[Round] = []
    for table, key in r.tables(data, "rounds", path):
        rnd = _round_from_dict(r, table, key)
        if rnd.index != len(rounds):
            raise r.fail(f"{key}.index", f"expected {len(rounds)} (rounds are numbered in order)")
        rounds.append(rnd)
    return rounds


def _turn_from_dict(r: _Reader, data: Mapping[str, Any], path: str) -> Turn:
    return Turn(
        prompt=r.string(data, "prompt", path),
        status=r.choice(data, "status", path, SESSION_STATUSES, "running"),
        final=r.string(data, "final", path, ""),
        rounds=_rounds_from_dict(r, data, path),
        started_at=r.string(data, "started_at", path, ""),
    )


def session_from_dict(data: Mapping[str, Any], source: str) -> Session:
    """A session from parsed TOML; raises SessionError naming `source` and the key path."""
    r = _Reader(source)
    if "schema_version" not in data:
        raise r.fail("", "schema_version is missing: not a cltui session file")
    version = data["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise r.fail("schema_version", f"expected a whole number from 1, got {version!r}")
    if version > SCHEMA_VERSION:
        raise r.fail(
            "", f"was written by a newer cltui (schema {version}); upgrade cltui to open it"
        )
    config = r.table(r.field(data, "config", "", _REQUIRED)[0], "config")
    return Session(
        config=dict(config),
        id=r.string(data, "id", ""),
        title=r.string(data, "title", "", ""),
        created_at=r.string(data, "created_at", "", ""),
        updated_at=r.string(data, "updated_at", "", ""),
        status=r.choice(data, "status", "", SESSION_STATUSES),
        turns=[_turn_from_dict(r, t, k) for t, k in r.tables(data, "turns", "")],
        providers_seal=r.string(data, "providers_seal", "", ""),
    )
