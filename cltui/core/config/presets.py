"""Built-in configurations: the simulated models for `--demo`, and an OpenRouter starting point."""

from __future__ import annotations

from cltui.core.config.model import ConsensusConfig, Strategy
from cltui.core.config.reader import parse_config

DEMO_MODELS = ("demo/atlas", "demo/borealis", "demo/cirrus")
DEMO_AGGREGATOR = "demo/synthesis"
DEMO_JUDGE = "demo/arbiter"


def demo_config(strategy: Strategy = "iterative") -> ConsensusConfig:
    """Three simulated models and a simulated aggregator: runs offline, no key."""
    return parse_config(
        {
            "strategy": strategy,
            "iterations": 2,
            "models": [{"id": m, "provider": "demo", "max_tokens": 600} for m in DEMO_MODELS],
            "aggregator": {"model": DEMO_AGGREGATOR, "provider": "demo", "max_tokens": 800},
            "judge": {"model": DEMO_JUDGE, "provider": "demo", "max_tokens": 50},
        },
        source=f"<demo {strategy}>",
    )


def default_config() -> ConsensusConfig:
    """A sensible OpenRouter setup for users who start without a config file."""
    return parse_config(
        {
            "iterations": 1,
            "models": [
                {"id": "openai/gpt-4o-mini", "max_tokens": 1500},
                {"id": "google/gemini-2.5-flash", "max_tokens": 1500},
                {"id": "meta-llama/llama-3.3-70b-instruct", "max_tokens": 1500},
            ],
            "aggregator": {"model": "openai/gpt-4o-mini", "max_tokens": 2000},
            "judge": {"model": "openai/gpt-4o-mini", "max_tokens": 300},
        },
        source="<default>",
    )
