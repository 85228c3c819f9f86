"""The display sanitiser: whatever the input, what people see holds nothing a terminal acts on,
and nothing the model sent is hidden."""

from __future__ import annotations

import json
import random

import pytest

from cltui.core.text import DisplayStream, display, display_line, escape_json_text

_ACTING = {chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0))}
"""C0 but tab and newline, DEL, C1."""

_ALPHABET = [chr(c) for c in range(0x00, 0xA0)] + list("é中😀\u202e\u2066\u200b\u2028ab [];")

INJECTION = "a\x1b[2J\x1b[Hb\x1b]0;pwned\x07c\x1b]52;c;aGk=\x07d\x1b[?1049l\x1bc\x1b[6n"


def _random_texts(count: int = 400) -> list[str]:
    rng = random.Random(8)
    return ["".join(rng.choices(_ALPHABET, k=rng.randint(0, 60))) for _ in range(count)]


@pytest.mark.parametrize("sanitise", [display, display_line])
def test_no_output_holds_a_character_a_terminal_acts_on(sanitise) -> None:
    for text in [*_random_texts(), INJECTION, "\r", "\r\r\n", "\x9b2J"]:
        shown = sanitise(text)
        assert not set(shown) & _ACTING, (text, shown)


def test_escape_sequences_show_as_text() -> None:
    assert display(INJECTION) == "a␛[2J␛[Hb␛]0;pwned␇c␛]52;c;aGk=␇d␛[?1049l␛c␛[6n"


def test_multi_line_text_keeps_newlines_and_tabs_and_crlf_becomes_a_newline() -> None:
    assert display("# Title\r\n\tcode\nline") == "# Title\n\tcode\nline"


def test_lone_carriage_returns_del_and_c1_are_visible() -> None:
    assert display("done 50%\rdone 100%") == "done 50%␍done 100%"
    assert display("a\x7fb\x00c") == "a␡b␀c"
    assert display("a\x9b2Jb\x85c") == "a\ufffd2Jb\ufffdc"


def test_plain_text_is_returned_unchanged() -> None:
    text = "Plain *Markdown* with [brackets], émoji 😀 and\n\ttabs"
    assert display(text) == text


def test_display_line_is_one_line_in_the_order_written() -> None:
    assert display_line("  first\nsecond\tthird\u2028fourth  ") == "first second third fourth"
    # Bidi overrides would make the title read backwards: dropped, the letters kept.
    assert display_line("invoice\u202egpj.exe") == "invoicegpj.exe"
    assert display_line("\x1b]0;pwned\x07") == "␛]0;pwned␇"


def test_a_stream_split_inside_crlf_gives_the_same_text_as_the_whole() -> None:
    for text in [*_random_texts(100), "a\r\nb", "a\r", "\r\r\n\r"]:
        for cut in range(len(text) + 1):
            stream = DisplayStream()
            pieces = stream.feed(text[:cut]) + stream.feed(text[cut:]) + stream.flush()
            assert pieces == display(text), (text, cut)


def test_json_text_holds_no_raw_control_characters_and_the_same_data() -> None:
    data = {"answer": INJECTION + "\x7f\x9b\x85\u2028\r\n é", "\x1bkey": ["\x00"]}
    text = escape_json_text(json.dumps(data, indent=2, ensure_ascii=False))
    assert not set(text) & _ACTING
    assert "é" in text  # only what a terminal acts on is escaped
    assert json.loads(text) == data
