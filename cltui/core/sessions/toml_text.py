"""The session file's text: tomli-w for the header, a lean writer for the turns.

The header and `[config]` go through tomli-w, but the turns, which hold nearly all the text, go
through a lean emitter. It writes the same escaped single-line basic strings tomli-w does by
default (the JSON string escapes are a subset of TOML's, plus DEL), via the C string encoder, so
a 50-turn session is a few milliseconds of work instead of a quarter second. `TomlRenderer` also
reuses the text of turns that did not change since its last render.

Multi-line TOML strings are never used: they fold `\\r\\n` into `\\n` and cannot hold every
control character, and a session must give back the model's text byte for byte.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from json.encoder import encode_basestring
from typing import Any

import tomli_w

from cltui.core.sessions.model import Session
from cltui.core.sessions.to_data import header_to_dict, turn_to_dict

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


class TomlRenderer:
    """Renders sessions to TOML text, reusing the text of turns that have not changed.

    Finished turns are compared as plain data (the strings are the very objects of the session,
    so the comparison is mostly identity checks) instead of being escaped again."""

    def __init__(self) -> None:
        self._turns: list[tuple[dict[str, Any], str]] = []

    def render(self, session: Session) -> str:
        parts = [_header_text(header_to_dict(session))]
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
    return TomlRenderer().render(session)
