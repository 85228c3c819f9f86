"""Checking a parsed config document (a TOML file, a converted `input.json`, a session's
`[config]`) into a `ConsensusConfig`; reading the files themselves is `files`.

Every problem is reported as a `ConfigError` naming the file, the key path and what to do, so the
command line can print one line instead of a traceback. Every count and size is bounded (see
`limits`), with the limit in the message.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from cltui.core.config.limits import (
    MAX_CONCURRENCY,
    MAX_DEPTH,
    MAX_ITERATIONS,
    MAX_LAYERS,
    MAX_MESSAGES,
    MAX_MODELS,
    MAX_OUTPUT_TOKENS,
    MAX_PROVIDERS,
    MAX_RETRIES,
    MAX_TEXT_CHARS,
    MAX_TOP_K,
    nesting_depth,
)
from cltui.core.config.model import (
    BUILTIN_PROVIDERS,
    PROVIDER_KINDS,
    RANKINGS,
    STRATEGIES,
    AggregatorSpec,
    ConfigError,
    ConsensusConfig,
    ModelSpec,
    ProviderSpec,
)
from cltui.core.config.urls import base_url_problem
from cltui.core.messages import ROLES, ChatMessage

TOP_KEYS = {
    "strategy", "iterations", "aggregated_prompt_type", "improvement_prompt", "models",
    "aggregator", "conversation", "providers", "quorum", "stop_when_agreement", "judge", "top_k",
    "ranking", "layers", "self_vote", "question",
}  # fmt: skip
MODEL_KEYS = {"id", "provider", "max_tokens", "temperature", "system", "count", "params", "label"}
CALL_OWNED_PARAMS = {"model", "messages", "prompt", "stream"}
"""Body fields each call sets itself: a `params` entry would silently replace them (a streamed
call answered as a whole, another model, another conversation)."""
AGGREGATOR_KEYS = (MODEL_KEYS - {"id", "count"}) | {"model", "context", "prompt", "fallback"}
JUDGE_KEYS = (MODEL_KEYS - {"id", "count"}) | {"model"}
PROVIDER_KEYS = {f.name for f in fields(ProviderSpec)} - {"name", "keys_withheld"}


class Reader:
    """Walks a parsed document, checking types and naming the key path in every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.source, key, problem)

    def check_keys(self, table: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for key in table:
            if key not in allowed:
                where = f"{path}.{key}" if path else key
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise self.fail(where, f"unknown key{hint}; allowed: {', '.join(sorted(allowed))}")

    def table(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"must be a table, not {_type_name(value)}")
        return value

    def string(
        self, value: Any, path: str, *, empty_ok: bool = False, limit: int = MAX_TEXT_CHARS
    ) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"must be a string, not {_type_name(value)}")
        if not empty_ok and not value.strip():
            raise self.fail(path, "must not be empty")
        if len(value) > limit:
            raise self.fail(
                path, f"is {len(value):,} characters long; the limit is {limit:,}: shorten it"
            )
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, from a JSON "\\ud800" escape
            raise self.fail(path, "holds an invalid character (a lone surrogate)") from None
        return value

    def name(self, value: Any, path: str) -> str:
        """A model id, label or provider name: one line of plain text."""
        text = self.string(value, path)
        bad = next((ch for ch in text if not ch.isprintable()), None)
        if bad is not None:
            raise self.fail(
                path, f"holds a control character (U+{ord(bad):04X}); names are plain text"
            )
        return text

    def integer(self, value: Any, path: str, *, minimum: int, maximum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"must be a whole number, not {_type_name(value)}")
        if value < minimum:
            raise self.fail(path, f"must be at least {minimum}, not {value}")
        if value > maximum:
            raise self.fail(path, f"must be at most {maximum:,}, not {value:,}")
        return value

    def number(self, value: Any, path: str, *, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"must be a number, not {_type_name(value)}")
        if not low <= value <= high:
            raise self.fail(path, f"must be between {low:g} and {high:g}, not {value}")
        return float(value)

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"must be true or false, not {_type_name(value)}")
        return value

    def choice(self, value: Any, path: str, choices: tuple[str, ...]) -> str:
        text = self.string(value, path)
        if text not in choices:
            raise self.fail(path, f"'{text}' is not one of: {', '.join(choices)}")
        return text

    def messages(self, value: Any, path: str) -> tuple[ChatMessage, ...]:
        if isinstance(value, str):  # a bare string is a convenient shorthand for one message
            return (ChatMessage("user", value),)
        if not isinstance(value, list):
            raise self.fail(
                path, f"must be a list of {{role, content}} tables, not {_type_name(value)}"
            )
        if len(value) > MAX_MESSAGES:
            raise self.fail(path, f"has {len(value):,} messages; the limit is {MAX_MESSAGES:,}")
        result = []
        for i, item in enumerate(value):
            where = f"{path}[{i}]"
            entry = self.table(item, where)
            self.check_keys(entry, {"role", "content"}, where)
            if "role" not in entry or "content" not in entry:
                raise self.fail(where, "needs both 'role' and 'content'")
            role = self.choice(entry["role"], f"{where}.role", ROLES)
            content = self.string(entry["content"], f"{where}.content", empty_ok=True)
            result.append(ChatMessage(role, content))  # type: ignore[arg-type]
        return tuple(result)

    def model(self, value: Any, path: str, *, id_key: str, allowed: set[str]) -> ModelSpec:
        if isinstance(value, str):
            return ModelSpec(id=self.name(value, path))
        entry = self.table(value, path)
        self.check_keys(entry, allowed, path)
        if id_key not in entry:
            raise self.fail(path, f"needs '{id_key}', the model id (e.g. 'openai/gpt-4o-mini')")
        spec = ModelSpec(id=self.name(entry[id_key], f"{path}.{id_key}"))
        changes: dict[str, Any] = {}
        if "provider" in entry:
            changes["provider"] = self.name(entry["provider"], f"{path}.provider")
        if "max_tokens" in entry:
            changes["max_tokens"] = self.integer(
                entry["max_tokens"], f"{path}.max_tokens", minimum=1, maximum=MAX_OUTPUT_TOKENS
            )
        if "temperature" in entry:
            changes["temperature"] = self.number(
                entry["temperature"], f"{path}.temperature", low=0.0, high=2.0
            )
        if "system" in entry:
            changes["system"] = self.string(entry["system"], f"{path}.system", empty_ok=True)
        if "params" in entry:
            params = self.table(entry["params"], f"{path}.params")
            if nesting_depth(dict(params)) > MAX_DEPTH:
                raise self.fail(f"{path}.params", f"nests more than {MAX_DEPTH} levels deep")
            for key in params:
                if key in CALL_OWNED_PARAMS:
                    raise self.fail(
                        f"{path}.params.{key}", "is set by cltui for every call; remove it here"
                    )
            changes["params"] = dict(params)
        if "label" in entry:
            changes["label"] = self.name(entry["label"], f"{path}.label")
        return replace(spec, **changes)

    def provider(self, name: str, value: Any, path: str) -> ProviderSpec:
        entry = self.table(value, path)
        self.check_keys(entry, PROVIDER_KEYS, path)
        base = BUILTIN_PROVIDERS.get(name)
        if base is None:
            if "base_url" not in entry:
                raise self.fail(path, "needs 'base_url', e.g. 'http://localhost:11434/v1'")
            base = ProviderSpec(name=name, base_url="", api_key_env=None)
        changes: dict[str, Any] = {}
        if "base_url" in entry:
            url = self.string(entry["base_url"], f"{path}.base_url").strip()
            if problem := base_url_problem(url):
                raise self.fail(f"{path}.base_url", problem)
            changes["base_url"] = url.rstrip("/")
        if "api_key_env" in entry:
            changes["api_key_env"] = self.string(entry["api_key_env"], f"{path}.api_key_env")
        if "kind" in entry:
            changes["kind"] = self.choice(entry["kind"], f"{path}.kind", PROVIDER_KINDS)
        if "max_concurrency" in entry:
            changes["max_concurrency"] = self.integer(
                entry["max_concurrency"], f"{path}.max_concurrency", minimum=1,
                maximum=MAX_CONCURRENCY,
            )  # fmt: skip
        for key in ("connect_timeout", "idle_timeout", "first_token_timeout", "total_timeout"):
            if key in entry:
                high = 86400 if key == "total_timeout" else 3600
                changes[key] = self.number(entry[key], f"{path}.{key}", low=0.1, high=high)
        if "max_retries" in entry:
            changes["max_retries"] = self.integer(
                entry["max_retries"], f"{path}.max_retries", minimum=0, maximum=MAX_RETRIES
            )
        return replace(base, **changes)


def _type_name(value: Any) -> str:
    names = {str: "a string", int: "a whole number", float: "a number", bool: "true/false",
             list: "a list", dict: "a table"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def _label_models(models: list[ModelSpec]) -> tuple[ModelSpec, ...]:
    """Label repeated model ids (x #1, x #2) so panes and sessions tell them apart."""
    counts: dict[str, int] = {}
    for m in models:
        counts[m.name] = counts.get(m.name, 0) + 1
    seen: dict[str, int] = {}
    result = []
    for m in models:
        if counts[m.name] > 1:
            seen[m.name] = seen.get(m.name, 0) + 1
            m = replace(m, label=f"{m.name} #{seen[m.name]}")
        result.append(m)
    return tuple(result)


def parse_config(data: Mapping[str, Any], source: str = "<config>") -> ConsensusConfig:
    """Validate a parsed TOML document (or a session's `[config]` table) into a config."""
    r = Reader(source)
    r.check_keys(data, TOP_KEYS, "")

    providers = dict(BUILTIN_PROVIDERS)
    if "providers" in data:
        tables = r.table(data["providers"], "providers")
        if len(tables) > MAX_PROVIDERS:
            raise r.fail("providers", f"has {len(tables)} tables; the limit is {MAX_PROVIDERS}")
        for name, value in tables.items():
            providers[name] = r.provider(name, value, f"providers.{name}")

    if "models" not in data:
        raise r.fail("models", "is missing: add at least one [[models]] table with an 'id'")
    raw_models = data["models"]
    if not isinstance(raw_models, list):
        raise r.fail("models", f"must be a list of [[models]] tables, not {_type_name(raw_models)}")
    if not raw_models:
        raise r.fail("models", "is empty: add at least one [[models]] table with an 'id'")
    models: list[ModelSpec] = []
    for i, item in enumerate(raw_models):
        path = f"models[{i}]"
        spec = r.model(item, path, id_key="id", allowed=MODEL_KEYS)
        count = 1
        if isinstance(item, Mapping) and "count" in item:
            count = r.integer(item["count"], f"{path}.count", minimum=1, maximum=MAX_MODELS)
        if len(models) + count > MAX_MODELS:
            raise r.fail(
                "models",
                f"lists more than {MAX_MODELS} models (count included); each one is called "
                "every round: use fewer",
            )
        models.extend([spec] * count)

    aggregator: AggregatorSpec | None = None
    if "aggregator" in data:
        path = "aggregator"
        entry = r.table(data["aggregator"], path)
        agg_model = r.model(entry, path, id_key="model", allowed=AGGREGATOR_KEYS)
        aggregator = AggregatorSpec(model=agg_model)
        if "context" in entry:
            aggregator = replace(
                aggregator, context=r.messages(entry["context"], f"{path}.context")
            )
        if "prompt" in entry:
            aggregator = replace(aggregator, prompt=r.messages(entry["prompt"], f"{path}.prompt"))
        if "fallback" in entry:
            fallback = r.model(entry["fallback"], f"{path}.fallback", id_key="id",
                               allowed=MODEL_KEYS - {"count"})  # fmt: skip
            aggregator = replace(aggregator, fallback=fallback)

    judge = None
    if "judge" in data:
        judge = r.model(data["judge"], "judge", id_key="model", allowed=JUDGE_KEYS)

    config = ConsensusConfig(models=_label_models(models), aggregator=aggregator,
                             providers=providers, judge=judge, source=source)  # fmt: skip
    changes: dict[str, Any] = {}
    if "strategy" in data:
        changes["strategy"] = r.choice(data["strategy"], "strategy", STRATEGIES)
    if "iterations" in data:
        changes["iterations"] = r.integer(
            data["iterations"], "iterations", minimum=0, maximum=MAX_ITERATIONS
        )
    if "aggregated_prompt_type" in data:
        changes["aggregated_prompt_type"] = r.choice(
            data["aggregated_prompt_type"], "aggregated_prompt_type", ROLES
        )
    if "improvement_prompt" in data:
        changes["improvement_prompt"] = r.string(data["improvement_prompt"], "improvement_prompt")
    if "conversation" in data:
        changes["conversation"] = r.messages(data["conversation"], "conversation")
    if "quorum" in data:
        changes["quorum"] = r.integer(data["quorum"], "quorum", minimum=1, maximum=MAX_MODELS)
    if "stop_when_agreement" in data:
        value = r.number(data["stop_when_agreement"], "stop_when_agreement", low=0.0, high=1.0)
        changes["stop_when_agreement"] = value or None  # 0 means off
    if "top_k" in data:
        changes["top_k"] = r.integer(data["top_k"], "top_k", minimum=1, maximum=MAX_TOP_K)
    if "ranking" in data:
        changes["ranking"] = r.choice(data["ranking"], "ranking", RANKINGS)
    if "layers" in data:
        changes["layers"] = r.integer(data["layers"], "layers", minimum=1, maximum=MAX_LAYERS)
    if "self_vote" in data:
        changes["self_vote"] = r.boolean(data["self_vote"], "self_vote")
    if "question" in data:
        changes["question"] = r.string(data["question"], "question")
    config = replace(config, **changes)
    _check_consistency(config, r)
    return config


def _check_consistency(config: ConsensusConfig, r: Reader) -> None:
    """Checks that span several keys: providers exist, quorum fits, strategies have their parts."""
    for path, model in _model_paths(config):
        if model.provider not in config.providers:
            known = ", ".join(sorted(config.providers))
            raise r.fail(
                f"{path}.provider",
                f"unknown provider '{model.provider}'; known: {known} "
                f"(add a [providers.{model.provider}] table with a base_url)",
            )
    if config.quorum > len(config.models):
        raise r.fail(
            "quorum", f"is {config.quorum} but only {len(config.models)} models are listed"
        )
    if config.aggregator is None and len(config.models) > 1:
        raise r.fail(
            "aggregator",
            "is missing: several models need an [aggregator] with a 'model' to merge their answers",
        )
    if config.strategy == "blender" and config.judge is None:
        raise r.fail("judge", "is missing: strategy 'blender' needs a [judge] with a 'model'")


def _model_paths(config: ConsensusConfig) -> list[tuple[str, ModelSpec]]:
    paths = [(f"models[{i}]", m) for i, m in enumerate(config.models)]
    if config.aggregator:
        paths.append(("aggregator", config.aggregator.model))
        if config.aggregator.fallback:
            paths.append(("aggregator.fallback", config.aggregator.fallback))
    if config.judge:
        paths.append(("judge", config.judge))
    return paths
