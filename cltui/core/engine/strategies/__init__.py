"""The consensus strategies, by the name the config's `strategy` key uses."""

from __future__ import annotations

from cltui.core.config import STRATEGIES as KNOWN_STRATEGIES
from cltui.core.config import ConfigError, ConsensusConfig
from cltui.core.engine.strategies.base import Strategy
from cltui.core.engine.strategies.blender import BlenderStrategy
from cltui.core.engine.strategies.council import CouncilStrategy
from cltui.core.engine.strategies.iterative import IterativeStrategy
from cltui.core.engine.strategies.moa import MoaStrategy
from cltui.core.engine.strategies.plain import PlainChatStrategy

STRATEGIES: dict[str, type[Strategy]] = {
    "iterative": IterativeStrategy,
    "moa": MoaStrategy,
    "blender": BlenderStrategy,
    "council": CouncilStrategy,
}
"""Implemented strategies; a new one is added here."""


def strategy_for(config: ConsensusConfig) -> Strategy:
    """The strategy a config asks for; one model without an aggregator is a plain chat."""
    if config.is_plain_chat:
        return PlainChatStrategy(config)
    strategy = STRATEGIES.get(config.strategy)
    if strategy is None:
        available = ", ".join(sorted(STRATEGIES))
        problem = (
            f"'{config.strategy}' is not available yet; use one of: {available}"
            if config.strategy in KNOWN_STRATEGIES
            else f"'{config.strategy}' is not a strategy; use one of: {available}"
        )
        raise ConfigError(config.source, "strategy", problem)
    return strategy(config)


__all__ = [
    "STRATEGIES",
    "BlenderStrategy",
    "CouncilStrategy",
    "IterativeStrategy",
    "MoaStrategy",
    "PlainChatStrategy",
    "Strategy",
    "strategy_for",
]
