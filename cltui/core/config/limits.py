"""The largest values a config may ask for.

Every count and size a config (or a prompt) sets is bounded, so no input can make cltui use
unbounded memory or time: `iterations = 1000000000` once made a dry run eat 22 GB, and
`count = 100000000` hung while building the model list. The maxima are far above any useful
consensus (each one multiplies the calls a turn makes) and are listed in the README.
"""

from __future__ import annotations

MAX_ITERATIONS = 20
"""Improvement rounds after the first answers (so at most 21 rounds)."""
MAX_LAYERS = 10
"""Proposer layers per round (moa)."""
MAX_MODELS = 32
"""Proposers in all, `count` included; also the largest `count` and `quorum`."""
MAX_TOP_K = MAX_MODELS
"""Answers the aggregator fuses (blender)."""
MAX_OUTPUT_TOKENS = 1_000_000
"""A model's `max_tokens`."""
MAX_TEXT_CHARS = 1_000_000
"""One prompt text: a conversation message, a system prompt, the improvement prompt, the
aggregator's messages, and the question itself (`--prompt`, the prompt box)."""
MAX_MESSAGES = 1_000
"""Messages in one list (`conversation`, the aggregator's `context` or `prompt`)."""
MAX_RETRIES = 10
"""A provider's `max_retries` (extra attempts per call)."""
MAX_CONCURRENCY = 256
"""A provider's `max_concurrency`."""
MAX_PROVIDERS = 64
"""`[providers.NAME]` tables."""
MAX_CONFIG_BYTES = 16 * 1024 * 1024
"""A config file's size."""
MAX_DEPTH = 32
"""How deeply tables and lists may nest (a model's `params`, an input.json)."""


def nesting_depth(value: object, limit: int = MAX_DEPTH) -> int:
    """How deeply `value`'s dicts and lists nest (a scalar is 0), counted without recursion and
    no further than `limit + 1`, so a hostile document cannot exhaust the stack here either."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = list(item)
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest
