"""How much two answers agree, for the early stop: when consecutive aggregates say nearly the same
thing, further improvement rounds cost money and change little.

The measure is plain word overlap, not meaning: it needs no model and no network, is the same on
every run, and a user can check it by hand. Agreement is a similarity of wording; it is not a
measure of correctness.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_LIST_NUMBER = re.compile(r"^[ \t]*\d+[.)][ \t]+", re.MULTILINE)
_WORD = re.compile(r"[^\W_]+")
_START, _END = "\x02", "\x03"

SPARK_BARS = "▁▂▃▄▅▆▇█"


def words(text: str) -> list[str]:
    """The words of a text as compared: lower case, Markdown syntax gone (emphasis, headings,
    bullets, list numbers, code fences, link targets), punctuation dropped."""
    text = _LINK.sub(r"\1", text)
    text = _LIST_NUMBER.sub("", text)
    return _WORD.findall(text.lower())


def _dice(a: Counter[object], b: Counter[object]) -> float:
    """The Dice coefficient of two multisets: 2 |a ∩ b| / (|a| + |b|)."""
    size = a.total() + b.total()
    if size == 0:
        return 1.0
    return 2 * (a & b).total() / size


def agreement(a: str, b: str) -> float:
    """How alike two texts are, from 0.0 (no word in common) to 1.0 (the same words in the same
    order).

    The mean of two Dice coefficients over the texts' words (see `words`):
    - on the words themselves, counted with repeats: do they use the same vocabulary?
    - on pairs of adjacent words, with a start and end marker so one-word texts have pairs too:
      do they put the words in the same order?
    Each is twice the number of shared items over the total number of items. Identical texts (or
    texts differing only in case, punctuation or Markdown) score 1.0, texts with no word in
    common 0.0, two empty texts 1.0 and an empty text against a non-empty one 0.0. Symmetric, and
    linear in the length of the texts.
    """
    first, second = words(a), words(b)
    if not first and not second:
        return 1.0
    unigrams = _dice(Counter(first), Counter(second))
    bigrams = _dice(Counter(_pairs(first)), Counter(_pairs(second)))
    return (unigrams + bigrams) / 2


def _pairs(tokens: list[str]) -> list[tuple[str, str]]:
    padded = [_START, *tokens, _END]
    return list(zip(padded, padded[1:], strict=False))


def should_stop(agreements: Sequence[float | None], threshold: float | None) -> bool:
    """Whether to skip the remaining improvement rounds: the latest measured agreement (between
    this round's aggregate and the previous one) reaches the threshold. No threshold, or no
    measurement yet, never stops."""
    if threshold is None:
        return False
    measured = [value for value in agreements if value is not None]
    return bool(measured) and measured[-1] >= threshold


def sparkline(values: Sequence[float | None], low: float = 0.0, high: float = 1.0) -> str:
    """One bar per value (▁ at `low` to █ at `high`, values clamped), '·' for a missing one.

    The scale is fixed rather than fitted to the values, so 0.9 always looks high: agreements
    have a meaning of their own, and a fitted scale would make 0.91 vs 0.92 look like a leap.
    """
    if high <= low:
        raise ValueError("high must be greater than low")
    top = len(SPARK_BARS) - 1
    bars = []
    for value in values:
        if value is None:
            bars.append("·")
            continue
        share = min(max((value - low) / (high - low), 0.0), 1.0)
        bars.append(SPARK_BARS[round(share * top)])
    return "".join(bars)
