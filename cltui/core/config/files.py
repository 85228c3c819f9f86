"""Reading config files: TOML, and the original project's `input.json` layout.

A file may come from anywhere (a download, an editor that writes a byte-order mark, a generator
gone wrong), so reading it is bounded and every failure is a `ConfigError` naming the file and
the key: a BOM is accepted, a file too large or nested too deeply is refused in one line rather
than with a RecursionError, and a mistake inside the seed's aggregator is reported at the seed's
own key (`aggregator[0].model.max_tokns`), not at the TOML key it is converted to.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cltui.core.config.limits import MAX_CONFIG_BYTES, MAX_DEPTH, nesting_depth
from cltui.core.config.model import ConfigError, ConsensusConfig
from cltui.core.config.reader import MODEL_KEYS, Reader, parse_config

SEED_KEYS = {"models", "aggregator", "aggregated_prompt_type", "improvement_prompt",
             "iterations", "initial_conversation"}  # fmt: skip
SEED_AGGREGATOR_KEYS = {"model", "approach", "aggregator_context", "aggregator_prompt"}
SEED_MODEL_KEYS = MODEL_KEYS - {"count"}


def parse_seed_json(data: Any, source: str) -> ConsensusConfig:
    """Read the original project's `input.json` layout and convert it to a config.

    `initial_conversation` is kept whole: when it ends with a user message, that message is the
    seed's question (`ConsensusConfig.question`, asked when no prompt is given) and the messages
    before it open every conversation."""
    r = Reader(source)
    doc = r.table(data, "")
    r.check_keys(doc, SEED_KEYS, "")
    converted: dict[str, Any] = {}
    if "models" in doc:
        converted["models"] = doc["models"]
    if "aggregator" in doc:
        converted["aggregator"] = _seed_aggregator(r, doc["aggregator"])
    for key in ("aggregated_prompt_type", "improvement_prompt", "iterations"):
        if key in doc:
            converted[key] = doc[key]
    if "initial_conversation" in doc:
        msgs = list(r.messages(doc["initial_conversation"], "initial_conversation"))
        if msgs and msgs[-1].role == "user" and msgs[-1].content.strip():
            converted["question"] = msgs.pop().content
        converted["conversation"] = [m.to_api() for m in msgs]
    try:
        return parse_config(converted, source)
    except ConfigError as error:
        raise ConfigError(source, _seed_key(error.key), error.problem) from None


def _seed_aggregator(r: Reader, value: Any) -> dict[str, Any]:
    """The seed's `aggregator` list (or object) as the TOML `[aggregator]` table, with each key
    checked where the seed has it."""
    aggs = [value] if isinstance(value, Mapping) else value
    if not isinstance(aggs, list) or not aggs:
        raise r.fail("aggregator", "must be a list with one aggregator object")
    first = r.table(aggs[0], "aggregator[0]")
    r.check_keys(first, SEED_AGGREGATOR_KEYS, "aggregator[0]")
    if "model" not in first:
        raise r.fail("aggregator[0]", "needs 'model', an object with 'id'")
    model = first["model"]
    if isinstance(model, str):
        model = {"id": model}
    model = dict(r.table(model, "aggregator[0].model"))
    r.check_keys(model, SEED_MODEL_KEYS, "aggregator[0].model")
    if "id" not in model:
        raise r.fail("aggregator[0].model", "needs 'id', the model id (e.g. 'openai/gpt-4o-mini')")
    agg: dict[str, Any] = {"model": model.pop("id")}
    agg.update(model)
    if "aggregator_context" in first:
        agg["context"] = first["aggregator_context"]
    if "aggregator_prompt" in first:
        agg["prompt"] = first["aggregator_prompt"]
    return agg


def _seed_key(key: str) -> str:
    """A TOML key path as the seed's input.json spells it."""
    head, dot, rest = key.partition(".")
    if head == "aggregator" and dot:
        field, _, tail = rest.partition(".")
        tail = f".{tail}" if tail else ""
        if field.startswith("context"):
            return "aggregator[0].aggregator_" + rest
        if field.startswith("prompt"):
            return "aggregator[0].aggregator_" + rest
        if field == "model":
            return "aggregator[0].model.id" + tail
        return "aggregator[0].model." + rest
    if key.startswith("conversation"):
        return "initial_conversation" + key.removeprefix("conversation")
    if key == "question":
        return "initial_conversation"
    return key


def load_config(path: str | os.PathLike[str]) -> ConsensusConfig:
    """Read a config file: TOML, or the original project's JSON (`.json`)."""
    file = Path(path)
    source = str(file)
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(source, "", "file not found") from None
    except IsADirectoryError:
        raise ConfigError(source, "", "is a folder, not a config file") from None
    except OSError as error:
        raise ConfigError(source, "", f"cannot be read: {error.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        limit = MAX_CONFIG_BYTES // (1024 * 1024)
        raise ConfigError(source, "", f"is larger than {limit} MB: is it really a config file?")
    try:
        text = raw.decode("utf-8-sig")  # an editor's byte-order mark is not part of the text
    except UnicodeDecodeError:
        raise ConfigError(source, "", "is not UTF-8 text") from None
    if file.suffix.lower() == ".json":
        return parse_seed_json(_json_document(text, source), source)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(source, "", f"invalid TOML: {error}") from None
    except RecursionError:
        raise _too_deep(source) from None
    if nesting_depth(doc) > MAX_DEPTH:
        raise _too_deep(source)
    return parse_config(doc, source)


def _json_document(text: str, source: str) -> Any:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(
            source, "", f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except RecursionError:
        raise _too_deep(source) from None
    except ValueError:  # Python refuses to read a number of more than 4300 digits
        raise ConfigError(source, "", "invalid JSON: a number in it has too many digits") from None
    if nesting_depth(data) > MAX_DEPTH:
        raise _too_deep(source)
    return data


def _too_deep(source: str) -> ConfigError:
    return ConfigError(
        source, "", f"lists or tables nest more than {MAX_DEPTH} levels deep: not a config"
    )
