"""Session files: TOML that never loses work, and reads back exactly what was written.

A session is rewritten after every finished reply, so writing must be both safe and quick:
- Safe: the text is produced in full before anything touches the disk, then written to a temporary
  file in the same folder, flushed, fsynced and moved over the old file with `os.replace`. An
  outside reader sees the old file or the new one, never half of either.
- Quick: the header and `[config]` go through tomli-w, but the turns, which hold nearly all the
  text, go through a lean emitter. It writes the same escaped single-line basic strings tomli-w
  does by default (the JSON string escapes are a subset of TOML's, plus DEL), via the C string
  encoder, so a 50-turn session is a few milliseconds of work instead of a quarter second. The
  recorder also reuses the text of turns that did not change since the last save.

Multi-line TOML strings are never used: they fold `\\r\\n` into `\\n` and cannot hold every
control character, and a session must give back the model's text byte for byte.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
import tomllib
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import tomli_w

from cltui.core.costs import session_totals
from cltui.core.events import (
    Event,
    JudgementMade,
    RankingReady,
    ReplyFinished,
    RoundFinished,
    TurnFinished,
    TurnStarted,
)
from cltui.core.session import (
    SCHEMA_VERSION,
    Judgement,
    Reply,
    Round,
    Session,
    Turn,
    now_iso,
)

SESSION_STATUSES = ("running", "interrupted", "complete", "failed")
SAVED_REPLY_STATUSES = ("ok", "error", "cancelled", "partial")
REPLY_ROLES = ("proposer", "aggregator", "judge", "reviewer")
TITLE_LENGTH = 60


class SessionError(ValueError):
    """A session file problem, phrased for the user: which file, which key, what to do."""

    def __init__(self, message: str, *, source: str = "", key: str = "") -> None:
        self.source = source
        self.key = key
        super().__init__(message)

    @classmethod
    def at(cls, source: str, key: str, problem: str) -> SessionError:
        """An error located in a file and, when known, at a key path inside it."""
        where = f"{source}: {key}: " if key else f"{source}: "
        return cls(where + problem, source=source, key=key)


# --------------------------------------------------------------------------------------------
# Session <-> plain data


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
    if rnd.reviews:
        data["reviews"] = [reply_to_dict(r) for r in rnd.reviews]
    if rnd.judgements:
        data["judgements"] = [_judgement_to_dict(j) for j in rnd.judgements]
    if rnd.ranking:
        data["ranking"] = [_without_none(entry) for entry in rnd.ranking]
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
    if turn.rounds:
        data["rounds"] = [_round_to_dict(r) for r in turn.rounds]
    return data


def _header_to_dict(session: Session) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "id": session.id,
        "title": session.title,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
        "status": session.status,
        "config": _without_none(session.config),
    }


def session_to_dict(session: Session) -> dict[str, Any]:
    """The whole session as plain data, laid out as the file is (DESIGN §6). TOML has no null:
    None fields are left out and come back as their defaults."""
    data = _header_to_dict(session)
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


_REQUIRED: Any = object()


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
        return value

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
        return value

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
        layer=r.integer(data, "layer", path, None),
    )


def _turn_from_dict(r: _Reader, data: Mapping[str, Any], path: str) -> Turn:
    return Turn(
        prompt=r.string(data, "prompt", path),
        status=r.choice(data, "status", path, SESSION_STATUSES, "running"),
        final=r.string(data, "final", path, ""),
        rounds=[_round_from_dict(r, t, k) for t, k in r.tables(data, "rounds", path)],
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
    )


# --------------------------------------------------------------------------------------------
# TOML text

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def _toml_string(text: str) -> str:
    """A TOML basic string. JSON's escapes (\\" \\\\ \\b \\f \\n \\r \\t \\uXXXX for every
    control character) are all valid in TOML; TOML also forbids a raw DEL."""
    quoted = encode_basestring(text)
    return quoted.replace("\x7f", "\\u007f") if "\x7f" in quoted else quoted


def _toml_literal(value: Any, key: str) -> str:
    """A value on one line: scalars, and lists/tables of them as inline arrays/tables."""
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, list | tuple):
        items = [_toml_literal(v, key) for v in value if v is not None]
        return "[" + ", ".join(items) + "]"
    if isinstance(value, Mapping):
        items = [
            f"{_toml_key(str(k))} = {_toml_literal(v, key)}"
            for k, v in value.items()
            if v is not None
        ]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise TypeError(f"{key}: cannot store a value of type {type(value).__name__}")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _emit_table(header: str, table: Mapping[str, Any], array: bool, out: list[str]) -> None:
    """Write one table: its header, its values, then its sub-tables (TOML wants that order)."""
    out.append(f"\n[[{header}]]\n" if array else f"\n[{header}]\n")
    nested: list[tuple[str, Any]] = []
    for key, value in table.items():
        if value is None:
            continue
        if isinstance(value, Mapping) or _is_table_array(value):
            nested.append((key, value))
        else:
            out.append(f"{_toml_key(key)} = {_toml_literal(value, f'{header}.{key}')}\n")
    for key, value in nested:
        child = f"{header}.{_toml_key(key)}"
        if isinstance(value, Mapping):
            _emit_table(child, value, False, out)
        else:
            for item in value:
                _emit_table(child, item, True, out)


def _turn_text(turn_data: Mapping[str, Any]) -> str:
    out: list[str] = []
    _emit_table("turns", turn_data, True, out)
    return "".join(out)


def _header_text(header: Mapping[str, Any]) -> str:
    return tomli_w.dumps(header)


class _TomlRenderer:
    """Renders sessions to TOML text, reusing the text of turns that have not changed.

    Finished turns are compared as plain data (the strings are the very objects of the session,
    so the comparison is mostly identity checks) instead of being escaped again."""

    def __init__(self) -> None:
        self._turns: list[tuple[dict[str, Any], str]] = []

    def render(self, session: Session) -> str:
        parts = [_header_text(_header_to_dict(session))]
        cache: list[tuple[dict[str, Any], str]] = []
        for i, turn in enumerate(session.turns):
            data = turn_to_dict(turn)
            if i < len(self._turns) and self._turns[i][0] == data:
                text = self._turns[i][1]
            else:
                text = _turn_text(data)
            cache.append((data, text))
            parts.append(text)
        self._turns = cache
        return "".join(parts)


def session_to_toml(session: Session) -> str:
    """The session file's text."""
    return _TomlRenderer().render(session)


def scrub_surrogates(text: str) -> str:
    """Text that can be encoded as UTF-8: surrogate pairs joined, lone ones replaced by U+FFFD.
    Such strings can come out of broken decoders; refusing to save over them would lose work."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def encode_utf8(text: str) -> bytes:
    """UTF-8 bytes of the text, repairing lone surrogates rather than failing."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return scrub_surrogates(text).encode("utf-8")


# --------------------------------------------------------------------------------------------
# Writing files


def atomic_write_bytes(path: Path, data: bytes, *, new_file_mode: int = 0o600) -> None:
    """Replace `path` with `data` so that readers only ever see the old or the new content.

    The temporary file sits in the same folder (os.replace is atomic only within one file
    system) and is removed if anything fails. An existing file keeps its permissions; a new one
    gets `new_file_mode`, private to the user by default, as conversations may be."""
    path = Path(path)
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            mode = path.stat().st_mode & 0o7777
        except OSError:
            mode = new_file_mode
        with contextlib.suppress(OSError):
            os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable where the platform allows opening a folder."""
    if os.name == "nt":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_session(session: Session, path: Path, renderer: _TomlRenderer) -> None:
    session.updated_at = now_iso()
    try:
        data = encode_utf8(renderer.render(session))
    except (TypeError, ValueError) as error:
        raise SessionError.at(str(path), "", f"cannot save: {error}") from None
    try:
        atomic_write_bytes(path, data)
    except OSError as error:
        reason = error.strerror or str(error)
        raise SessionError.at(str(path), "", f"cannot save: {reason}") from None


def save_session(session: Session, path: str | os.PathLike[str]) -> None:
    """Write the session (updating `updated_at`) atomically; raises SessionError."""
    _write_session(session, Path(path), _TomlRenderer())


def load_session(path: str | os.PathLike[str]) -> Session:
    """Read a session file. Raises SessionError with one clear line; never writes the file."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise SessionError.at(source, "", "no such session file") from None
    except IsADirectoryError:
        raise SessionError.at(source, "", "is a folder, not a session file") from None
    except OSError as error:
        raise SessionError.at(source, "", f"cannot read: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        problem = f"not a text file (invalid UTF-8 at byte {error.start})"
        raise SessionError.at(source, "", problem) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SessionError.at(source, "", f"not valid TOML: {error}") from None
    return session_from_dict(data, source)


# --------------------------------------------------------------------------------------------
# The recorder

SAVE_EVENTS = (TurnStarted, ReplyFinished, JudgementMade, RankingReady, RoundFinished, TurnFinished)
"""Events after which the file is rewritten: each marks work that cost time or money."""


class SessionRecorder:
    """An event sink that keeps the session file current after every finished piece of work.

    It runs on the engine's loop, so it saves synchronously; a failed save (disk full, no
    permission) is remembered and reported, never raised, so the run goes on and a later save
    can still succeed."""

    def __init__(
        self,
        session: Session,
        path: Path,
        *,
        on_saved: Callable[[Path], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.session = session
        self.path = Path(path)
        self.on_saved = on_saved
        self.on_error = on_error
        self.last_error: str | None = None
        """The message of the latest failed save, cleared by the next successful one."""
        self.saves = 0
        self._renderer = _TomlRenderer()

    def __call__(self, event: Event) -> None:
        if isinstance(event, TurnStarted) and not self.session.title:
            self.session.title = title_from_prompt(event.prompt)
        if isinstance(event, SAVE_EVENTS):
            self.save()

    def save(self) -> bool:
        """Write the file now; True when it worked."""
        try:
            _write_session(self.session, self.path, self._renderer)
        except SessionError as error:
            self.last_error = str(error)
            if self.on_error is not None:
                self.on_error(self.last_error)
            return False
        self.last_error = None
        self.saves += 1
        if self.on_saved is not None:
            self.on_saved(self.path)
        return True

    def mark_interrupted(self) -> bool:
        """Record that the run was stopped (Ctrl+C, cancel) and save: the session and its
        running turn become 'interrupted' so resuming knows what to finish."""
        self.session.status = "interrupted"
        for turn in self.session.turns:
            if turn.status == "running":
                turn.status = "interrupted"
        return self.save()


# --------------------------------------------------------------------------------------------
# Names, titles, listing


_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def session_file_name(session: Session) -> str:
    """`<id>.toml`, with anything that could leave the folder or confuse a shell replaced."""
    stem = _UNSAFE_FILE_CHARS.sub("_", session.id).lstrip(".") or "session"
    return f"{stem}.toml"


def default_session_path(sessions_dir: str | os.PathLike[str], session: Session) -> Path:
    """Where a session is saved unless the user says otherwise."""
    return Path(sessions_dir) / session_file_name(session)


_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def clean_line(text: str) -> str:
    """One line of display text: control and bidi-override characters dropped, whitespace
    collapsed. Titles come from user prompts and other people's files; they go on terminals."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or (unicodedata.category(ch) != "Cc" and ch not in _BIDI_CONTROLS)
    )
    return " ".join(kept.split())


def title_from_prompt(prompt: str) -> str:
    """A session title: the prompt's first non-blank line, cleaned, cut near 60 characters at a
    word boundary when there is one."""
    line = next((ln for ln in prompt.splitlines() if clean_line(ln)), "")
    title = clean_line(line)
    if len(title) <= TITLE_LENGTH:
        return title
    cut = title[: TITLE_LENGTH - 1]
    space = cut.rfind(" ")
    if space >= TITLE_LENGTH // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One line of the session picker or `cltui sessions`."""

    path: Path
    id: str
    title: str
    created_at: str
    updated_at: str
    status: str
    turns: int
    cost: float
    models: tuple[str, ...] = ()
    error: str = ""
    """Why the file could not be read; empty for a good file."""
    estimated: bool = False
    """The cost includes list-price estimates."""
    unknown_cost: int = 0

    @property
    def damaged(self) -> bool:
        return bool(self.error)


def _model_labels(session: Session) -> tuple[str, ...]:
    models = session.config.get("models")
    labels: list[str] = []
    if isinstance(models, list):
        for entry in models:
            if isinstance(entry, Mapping):
                label = entry.get("label") or entry.get("id")
                if isinstance(label, str):
                    labels.append(label)
    if not labels and session.turns and session.turns[0].rounds:
        labels = [r.model for r in session.turns[0].rounds[0].replies]
    return tuple(labels)


def summarize(path: Path, session: Session) -> SessionSummary:
    """The picker's view of a loaded session."""
    totals = session_totals(session)
    return SessionSummary(
        path=path,
        id=session.id,
        title=session.title,
        created_at=session.created_at,
        updated_at=session.updated_at,
        status=session.status,
        turns=len(session.turns),
        cost=totals.cost,
        models=_model_labels(session),
        estimated=totals.estimated,
        unknown_cost=totals.unknown_cost,
    )


def _mtime_iso(path: Path) -> str:
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return ""
    return datetime.fromtimestamp(stamp, UTC).replace(microsecond=0).isoformat()


def _session_files(directory: Path) -> list[Path]:
    try:
        entries = list(directory.iterdir())
    except OSError:
        return []
    return [
        p for p in entries if p.suffix == ".toml" and not p.name.startswith(".") and p.is_file()
    ]


def list_sessions(directory: str | os.PathLike[str]) -> list[SessionSummary]:
    """Every session file in the folder, newest first. Damaged files are listed too, with
    `error` set, so the user sees them rather than wondering where they went."""
    summaries: list[SessionSummary] = []
    for path in _session_files(Path(directory)):
        try:
            summaries.append(summarize(path, load_session(path)))
        except SessionError as error:
            summaries.append(
                SessionSummary(
                    path=path,
                    id=path.stem,
                    title="",
                    created_at="",
                    updated_at=_mtime_iso(path),
                    status="damaged",
                    turns=0,
                    cost=0.0,
                    error=str(error),
                )  # fmt: skip
            )
    summaries.sort(key=lambda s: (s.updated_at, s.path.name), reverse=True)
    return summaries


def resolve_session_ref(ref: str, directory: str | os.PathLike[str]) -> Path:
    """The session file a user means: a path, a file name or an id in the sessions folder, or
    a unique prefix of an id. Raises SessionError saying what to do otherwise."""
    folder = Path(directory)
    text = ref.strip()
    if not text:
        raise SessionError("no session given; run `cltui sessions` to list them")
    given = Path(text).expanduser()
    if given.is_file():
        return given
    for candidate in (folder / text, folder / f"{text}.toml"):
        if candidate.is_file():
            return candidate
    looks_like_path = os.sep in text or "/" in text or text.endswith(".toml")
    if looks_like_path:
        raise SessionError.at(text, "", "no such session file")
    matches = sorted(p for p in _session_files(folder) if p.stem.startswith(text))
    if not matches:  # saved under another name: look at the ids inside
        matches = sorted(s.path for s in list_sessions(folder) if s.id.startswith(text))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise SessionError(
            f"no session matches {text!r} in {folder}; run `cltui sessions` to list them"
        )
    names = ", ".join(p.stem for p in matches[:5]) + (", …" if len(matches) > 5 else "")
    raise SessionError(
        f"{text!r} matches {len(matches)} sessions in {folder} ({names}); give more of the id"
    )
