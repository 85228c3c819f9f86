"""The consensus engine: strategies that turn a question into calls, replies and events."""

from __future__ import annotations

from cltui.core.engine.context import PriceEstimator, TurnContext, TurnFailed
from cltui.core.engine.engine import ConsensusEngine

__all__ = ["ConsensusEngine", "PriceEstimator", "TurnContext", "TurnFailed"]
