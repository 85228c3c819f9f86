"""The consensus configuration as typed, immutable objects.

`ConsensusConfig.to_dict()` gives a plain TOML-ready table that `parse_config` (in `reader`) reads
back to an equal config: sessions store the config they ran with that way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

from cltui.core.messages import ChatMessage

Strategy = Literal["iterative", "moa", "blender", "council"]
STRATEGIES: tuple[str, ...] = get_args(Strategy)
Ranking = Literal["maxwins", "bubble"]
RANKINGS: tuple[str, ...] = get_args(Ranking)

ProviderKind = Literal["openai", "demo", "openrouter"]
PROVIDER_KINDS: tuple[str, ...] = get_args(ProviderKind)

OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1"
DEMO_BASE_URL = "https://demo.cltui.invalid/api/v1"
DEFAULT_PROVIDER = "openrouter"

DEFAULT_AGGREGATOR_CONTEXT = (
    "You have been provided with a set of responses from various language models to the latest "
    "user query. Your task is to synthesize these responses into a single, high-quality response. "
    "It is crucial to critically evaluate the information provided in these responses, "
    "recognizing that some of it may be biased or incorrect. Your response should not simply "
    "replicate the given answers but should offer a refined, accurate, and comprehensive reply to "
    "the instruction. Ensure your response is well-structured, coherent, and adheres to the "
    "highest standards of accuracy and reliability."
)
DEFAULT_AGGREGATOR_PROMPT = (
    "Write the single best answer to the question above, drawing on the responses. Ensure that "
    "the length of your response is similar to that of the other responses."
)
DEFAULT_IMPROVEMENT_PROMPT = (
    "Please provide an answer to the initial query based on the aggregated responses provided."
)


class ConfigError(ValueError):
    """A configuration problem, phrased for the user: where it is and what to do."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: {key}: " if key else f"{source}: "
        super().__init__(where + problem)


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """An OpenAI-compatible endpoint. The key itself is never stored here, only where to find it."""

    name: str
    base_url: str
    api_key_env: str | None = None
    """Environment variable holding the key; None for endpoints that need none (local servers)."""
    kind: ProviderKind = "openai"
    """`demo` routes every call to the built-in simulated models; `openrouter` marks OpenRouter
    itself (or a proxy set with OPENROUTER_BASE_URL): only it gets the OpenRouter-only calls
    (credits, key, generation stats) and the OpenRouter key kept in the user settings."""
    max_concurrency: int = 8
    """Calls in flight at once to this provider; more wait their turn."""
    connect_timeout: float = 10.0
    idle_timeout: float = 120.0
    """Seconds without any stream event (keep-alive comments count) before a call is abandoned."""
    first_token_timeout: float = 120.0
    """Seconds from a call's first request to its first token. Keep-alive comments do not count:
    a server that only says it is processing must not hold a call for ever."""
    total_timeout: float = 600.0
    """Seconds for a whole call, retries and their waits included; keep-alives do not count."""
    max_retries: int = 4
    """Extra attempts after a retryable failure (429, 408, 5xx, connection errors)."""
    keys_withheld: str = ""
    """Why no key may be sent to this endpoint (a session file from elsewhere defines it: see
    `sessions.seal`); empty when keys go as configured. Never read from or written to a file."""

    def to_dict(self) -> dict[str, Any]:
        """A TOML-ready table with no key material in it."""
        data: dict[str, Any] = {
            "base_url": self.base_url,
            "kind": self.kind,
            "max_concurrency": self.max_concurrency,
            "connect_timeout": self.connect_timeout,
            "idle_timeout": self.idle_timeout,
            "first_token_timeout": self.first_token_timeout,
            "total_timeout": self.total_timeout,
            "max_retries": self.max_retries,
        }
        if self.api_key_env:
            data["api_key_env"] = self.api_key_env
        return data


BUILTIN_PROVIDERS: dict[str, ProviderSpec] = {
    "openrouter": ProviderSpec(
        "openrouter", OPENROUTER_BASE_URL, "OPENROUTER_API_KEY", kind="openrouter"
    ),
    "demo": ProviderSpec("demo", DEMO_BASE_URL, None, kind="demo", max_concurrency=16),
    "ollama": ProviderSpec("ollama", "http://localhost:11434/v1", None, max_concurrency=2),
}


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model call's settings. `label` tells apart several instances of the same model."""

    id: str
    provider: str = DEFAULT_PROVIDER
    max_tokens: int | None = None
    temperature: float | None = None
    system: str | None = None
    """A system prompt for this model only, put before the conversation."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """Further request body fields passed through as they are (top_p, reasoning, ...)."""
    label: str = ""

    @property
    def name(self) -> str:
        """What the user sees: the label, or the id when the id is unique."""
        return self.label or self.id

    def to_dict(self) -> dict[str, Any]:
        """A TOML-ready table (None fields left out)."""
        data: dict[str, Any] = {"id": self.id}
        if self.provider != DEFAULT_PROVIDER:
            data["provider"] = self.provider
        if self.max_tokens is not None:
            data["max_tokens"] = self.max_tokens
        if self.temperature is not None:
            data["temperature"] = self.temperature
        if self.system is not None:
            data["system"] = self.system
        if self.params:
            data["params"] = dict(self.params)
        if self.label and self.label != self.id:
            data["label"] = self.label
        return data


@dataclass(frozen=True, slots=True)
class AggregatorSpec:
    """The model that merges the answers, its prompt messages, and an optional stand-in."""

    model: ModelSpec
    context: tuple[ChatMessage, ...] = (ChatMessage("system", DEFAULT_AGGREGATOR_CONTEXT),)
    prompt: tuple[ChatMessage, ...] = (ChatMessage("user", DEFAULT_AGGREGATOR_PROMPT),)
    fallback: ModelSpec | None = None
    """Tried when the aggregator fails after its retries."""


@dataclass(frozen=True, slots=True)
class ConsensusConfig:
    """Everything one consensus run needs apart from the key and the question."""

    models: tuple[ModelSpec, ...]
    aggregator: AggregatorSpec | None = None
    strategy: Strategy = "iterative"
    iterations: int = 1
    """Improvement rounds after round 0 (so iterations + 1 rounds in all)."""
    aggregated_prompt_type: Literal["system", "user", "assistant"] = "system"
    improvement_prompt: str = DEFAULT_IMPROVEMENT_PROMPT
    conversation: tuple[ChatMessage, ...] = ()
    """Messages that open every conversation, e.g. a system prompt."""
    quorum: int = 1
    """How many proposers must answer for a round to go on."""
    stop_when_agreement: float | None = None
    """Skip the remaining improvement rounds once consecutive aggregates agree this much (0-1)."""
    judge: ModelSpec | None = None
    """The model comparing candidates (blender)."""
    top_k: int = 3
    """How many of the best candidates the aggregator fuses (blender)."""
    ranking: Ranking = "maxwins"
    layers: int = 2
    """Proposer layers (moa)."""
    self_vote: bool = True
    """Whether a model ranks its own answer too (council)."""
    question: str | None = None
    """The question to ask when none is given (a seed input.json's last user message)."""
    providers: Mapping[str, ProviderSpec] = field(default_factory=lambda: dict(BUILTIN_PROVIDERS))
    source: str = field(default="<built-in>", compare=False)
    """Where the config came from, for messages."""

    @property
    def rounds(self) -> int:
        """Total rounds per turn: round 0 plus the improvement rounds."""
        return self.iterations + 1

    @property
    def is_plain_chat(self) -> bool:
        """One model and no aggregator: a plain chat, no consensus."""
        return self.aggregator is None and len(self.models) == 1

    def provider_for(self, model: ModelSpec) -> ProviderSpec:
        """The provider a model runs on (validated to exist at load time)."""
        return self.providers[model.provider]

    def all_models(self) -> list[ModelSpec]:
        """Every model the config may call: proposers, aggregator, fallback, judge."""
        found = list(self.models)
        if self.aggregator:
            found.append(self.aggregator.model)
            if self.aggregator.fallback:
                found.append(self.aggregator.fallback)
        if self.judge:
            found.append(self.judge)
        return found

    def with_demo_models(self) -> ConsensusConfig:
        """The same config with every model routed to the simulated provider."""

        def to_demo(model: ModelSpec) -> ModelSpec:
            return replace(model, provider="demo")

        aggregator = self.aggregator
        if aggregator is not None:
            aggregator = replace(
                aggregator,
                model=to_demo(aggregator.model),
                fallback=to_demo(aggregator.fallback) if aggregator.fallback else None,
            )
        return replace(
            self,
            models=tuple(to_demo(m) for m in self.models),
            aggregator=aggregator,
            judge=to_demo(self.judge) if self.judge else None,
            providers={**self.providers, "demo": BUILTIN_PROVIDERS["demo"]},
        )

    def with_base_url(self, base_url: str, provider: str = DEFAULT_PROVIDER) -> ConsensusConfig:
        """The same config with one provider pointed at another OpenAI-compatible endpoint."""
        current = self.providers.get(provider, BUILTIN_PROVIDERS[DEFAULT_PROVIDER])
        updated = replace(current, base_url=base_url.rstrip("/"), keys_withheld="")  # yours
        return replace(self, providers={**self.providers, provider: updated})

    def to_dict(self) -> dict[str, Any]:
        """A TOML-ready table that `parse_config` reads back to an equal config."""
        data: dict[str, Any] = {
            "strategy": self.strategy,
            "iterations": self.iterations,
            "aggregated_prompt_type": self.aggregated_prompt_type,
            "improvement_prompt": self.improvement_prompt,
            "quorum": self.quorum,
            "top_k": self.top_k,
            "ranking": self.ranking,
            "layers": self.layers,
            "self_vote": self.self_vote,
        }
        if self.stop_when_agreement is not None:
            data["stop_when_agreement"] = self.stop_when_agreement
        data["models"] = [m.to_dict() for m in self.models]
        if self.aggregator is not None:
            agg = self.aggregator.model.to_dict()
            agg["model"] = agg.pop("id")
            agg["context"] = [m.to_api() for m in self.aggregator.context]
            agg["prompt"] = [m.to_api() for m in self.aggregator.prompt]
            if self.aggregator.fallback is not None:
                agg["fallback"] = self.aggregator.fallback.to_dict()
            data["aggregator"] = agg
        if self.judge is not None:
            judge = self.judge.to_dict()
            judge["model"] = judge.pop("id")
            data["judge"] = judge
        if self.conversation:
            data["conversation"] = [m.to_api() for m in self.conversation]
        if self.question is not None:
            data["question"] = self.question
        custom = {
            name: spec.to_dict()
            for name, spec in self.providers.items()
            if BUILTIN_PROVIDERS.get(name) != spec
        }
        if custom:
            data["providers"] = custom
        return data
