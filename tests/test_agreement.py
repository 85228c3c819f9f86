"""Agreement between answers, the early-stop rule and the sparkline."""

from __future__ import annotations

import pytest

from cltui.core.agreement import SPARK_BARS, agreement, should_stop, sparkline, words

TEXTS = [
    "",
    "Paris.",
    "The capital of France is Paris.",
    "Paris is the capital of France.",
    "# Answer\n\n- **Paris** is the capital.\n- It lies on the Seine.",
    "Berlin is the capital of Germany, not France.",
    "x " * 50,
]


@pytest.mark.parametrize("a", TEXTS)
@pytest.mark.parametrize("b", TEXTS)
def test_agreement_is_symmetric_and_bounded(a: str, b: str) -> None:
    value = agreement(a, b)
    assert 0.0 <= value <= 1.0
    assert value == agreement(b, a)


@pytest.mark.parametrize("text", TEXTS)
def test_agreement_with_itself_is_one(text: str) -> None:
    assert agreement(text, text) == 1.0


def test_agreement_edge_cases() -> None:
    assert agreement("", "") == 1.0
    assert agreement("", "something") == 0.0
    assert agreement("**", "---") == 1.0  # Markdown only: no words on either side
    assert agreement("apples and pears", "quantum flux capacitor") == 0.0
    assert agreement("cat", "dog") == 0.0


@pytest.mark.parametrize(
    ("plain", "marked_up"),
    [
        ("Paris is the capital of France", "**Paris** is the _capital_ of France."),
        ("Steps: install it, run it", "## Steps\n\n1. Install it\n2. Run it"),
        ("one two three", "- one\n- two\n- three"),
        ("See the docs", "See [the docs](https://example.invalid/docs)"),
        ("use print x", "Use `print(x)`."),
        ("code here", "```\ncode here\n```"),
        ("Hello world", "HELLO, WORLD!!!"),
    ],
)
def test_agreement_ignores_markdown_case_and_punctuation(plain: str, marked_up: str) -> None:
    assert agreement(plain, marked_up) == 1.0


def test_words_normalise_text() -> None:
    assert words("**Bold** _it_ `code`, [link](http://x.invalid/y) 3. item") == [
        "bold",
        "it",
        "code",
        "link",
        "3",
        "item",
    ]
    assert words("1. First\n2) Second") == ["first", "second"]
    assert words("Grüße aus Köln") == ["grüße", "aus", "köln"]


def test_agreement_falls_as_more_words_change() -> None:
    base = [f"word{i}" for i in range(40)]
    text = " ".join(base)
    values = []
    for changed in range(0, 41, 4):
        other = [f"new{i}" for i in range(changed)] + base[changed:]
        values.append(agreement(text, " ".join(other)))
    assert values[0] == 1.0
    assert values[-1] == 0.0
    assert all(earlier > later for earlier, later in zip(values, values[1:], strict=False))


def test_agreement_notices_word_order() -> None:
    same_words = agreement("the dog bit the man", "the man bit the dog")
    assert 0.0 < same_words < 1.0
    assert same_words > agreement("the dog bit the man", "a cat saw a bird")


def test_agreement_handles_long_texts() -> None:
    long_text = " ".join(f"token{i % 997}" for i in range(10_000))
    assert agreement(long_text, long_text) == 1.0
    assert 0.0 < agreement(long_text, long_text.replace("token1", "other")) < 1.0


@pytest.mark.parametrize(
    ("agreements", "threshold", "stop"),
    [
        ([], 0.9, False),
        ([0.95], None, False),
        ([0.5, 0.95], 0.9, True),
        ([0.95, 0.5], 0.9, False),  # only the latest counts
        ([0.9], 0.9, True),  # reaching the threshold is enough
        ([None], 0.5, False),
        ([0.92, None], 0.9, True),  # an unmeasured round does not erase the last measurement
    ],
)
def test_should_stop(agreements: list[float | None], threshold: float | None, stop: bool) -> None:
    assert should_stop(agreements, threshold) is stop


def test_sparkline() -> None:
    assert sparkline([]) == ""
    assert sparkline([0.0, 1.0]) == "▁█"
    assert sparkline([0.0, 0.5, 1.0]) == "▁▅█"
    assert sparkline([None, 0.2]) == "·▂"
    assert sparkline([-3, 7]) == "▁█"  # clamped
    assert sparkline([i / 7 for i in range(8)]) == SPARK_BARS
    assert sparkline([5, 10], low=0, high=10) == "▅█"
    with pytest.raises(ValueError):
        sparkline([0.5], low=1, high=1)
