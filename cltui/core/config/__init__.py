"""The consensus configuration: typed objects (model), reading them (reader), built-ins (presets).

Import from here: `from cltui.core.config import ConsensusConfig, load_config`.
"""

from cltui.core.config.files import load_config, parse_seed_json
from cltui.core.config.model import (
    BUILTIN_PROVIDERS,
    DEFAULT_AGGREGATOR_CONTEXT,
    DEFAULT_AGGREGATOR_PROMPT,
    DEFAULT_IMPROVEMENT_PROMPT,
    DEFAULT_PROVIDER,
    DEMO_BASE_URL,
    OPENROUTER_BASE_URL,
    RANKINGS,
    STRATEGIES,
    AggregatorSpec,
    ConfigError,
    ConsensusConfig,
    ModelSpec,
    ProviderSpec,
    Ranking,
    Strategy,
)
from cltui.core.config.presets import (
    DEMO_AGGREGATOR,
    DEMO_JUDGE,
    DEMO_MODELS,
    default_config,
    demo_config,
)
from cltui.core.config.reader import parse_config

__all__ = [
    "BUILTIN_PROVIDERS",
    "DEFAULT_AGGREGATOR_CONTEXT",
    "DEFAULT_AGGREGATOR_PROMPT",
    "DEFAULT_IMPROVEMENT_PROMPT",
    "DEFAULT_PROVIDER",
    "DEMO_AGGREGATOR",
    "DEMO_BASE_URL",
    "DEMO_JUDGE",
    "DEMO_MODELS",
    "OPENROUTER_BASE_URL",
    "RANKINGS",
    "STRATEGIES",
    "AggregatorSpec",
    "ConfigError",
    "ConsensusConfig",
    "ModelSpec",
    "ProviderSpec",
    "Ranking",
    "Strategy",
    "default_config",
    "demo_config",
    "load_config",
    "parse_config",
    "parse_seed_json",
]
