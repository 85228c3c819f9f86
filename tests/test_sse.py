"""The SSE parser: every way a real event stream arrives over the network."""

from __future__ import annotations

import pytest

from cltui.core.providers.sse import SSEEvent, SSEParser


def parse(chunks: list[bytes]) -> list[SSEEvent]:
    parser = SSEParser()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    events.extend(parser.finish())
    return events


def data_of(chunks: list[bytes]) -> list[str]:
    return [event.data for event in parse(chunks)]


def every_split(raw: bytes) -> list[list[bytes]]:
    """The stream cut in two at every byte position, and cut into single bytes."""
    splits = [[raw[:i], raw[i:]] for i in range(len(raw) + 1)]
    splits.append([raw[i : i + 1] for i in range(len(raw))])
    return splits


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(b'data: {"a":1}\n\n', ['{"a":1}'], id="plain"),
        pytest.param(b'data:{"a":1}\n\n', ['{"a":1}'], id="no-space-after-colon"),
        pytest.param(b"data:  two spaces\n\n", [" two spaces"], id="only-one-space-removed"),
        pytest.param(b"data: a\r\n\r\ndata: b\r\n\r\n", ["a", "b"], id="crlf"),
        pytest.param(b"data: a\r\rdata: b\r\r", ["a", "b"], id="cr-only"),
        pytest.param(b"data: a\n\r\ndata: b\r\n\n", ["a", "b"], id="mixed-endings"),
        pytest.param(b"data: first\ndata: second\n\n", ["first\nsecond"], id="multi-line-data"),
        pytest.param(b"data\n\n", [""], id="field-without-colon-is-empty-data"),
        pytest.param(
            b": OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\ndata: x\n\n",
            ["x"],
            id="keep-alive-comments-before",
        ),
        pytest.param(
            b"data: x\n\n: OPENROUTER PROCESSING\n\ndata: y\n\n", ["x", "y"], id="comment-between"
        ),
        pytest.param(b"data: x\n: inside an event\ndata: y\n\n", ["x\ny"], id="comment-inside"),
        pytest.param(
            b"event: message\nid: 7\nretry: 100\nfoo: bar\ndata: x\n\n", ["x"], id="other-fields"
        ),
        pytest.param(b"data: x\n\ndata: [DONE]\n\n", ["x", "[DONE]"], id="done"),
        pytest.param(b"data: x\n\n", ["x"], id="no-done"),
        pytest.param(b"data: x\n\ndata: last", ["x", "last"], id="final-event-without-newline"),
        pytest.param(b"data: x\n\ndata: last\n", ["x", "last"], id="final-event-without-blank"),
        pytest.param(b"data: x\r", ["x"], id="final-cr"),
        pytest.param(b"\n\n\n", [], id="only-blank-lines"),
        pytest.param(b"", [], id="empty"),
        pytest.param(b"\xef\xbb\xbfdata: bom\n\n", ["bom"], id="byte-order-mark"),
        pytest.param(b"id: 1\n\n", [], id="event-without-data-is-not-dispatched"),
    ],
)
def test_parses_variant_at_every_split(raw: bytes, expected: list[str]) -> None:
    for chunks in every_split(raw):
        assert data_of(chunks) == expected, chunks


def test_event_type_and_id_are_kept_but_optional() -> None:
    events = parse([b"event: error\nid: 42\ndata: {}\n\ndata: plain\n\n"])
    assert events == [SSEEvent("{}", "error", "42"), SSEEvent("plain", "message", "42")]


def test_utf8_split_at_every_byte() -> None:
    text = "héllo — 世界 🎉 ok"
    raw = f"data: {text}\n\ndata: {text[::-1]}\n\n".encode()
    for chunks in every_split(raw):
        assert data_of(chunks) == [text, text[::-1]]


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    assert data_of([b"data: a\xffb\n\n"]) == ["a\ufffdb"]


def test_crlf_split_between_cr_and_lf_is_one_line_ending() -> None:
    assert data_of([b"data: a\r", b"\n", b"\r", b"\ndata: b\r\n\r\n"]) == ["a", "b"]


def test_comments_are_counted() -> None:
    parser = SSEParser()
    parser.feed(b": OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\n")
    assert parser.comments == 2


def test_large_event_in_many_small_reads() -> None:
    payload = "x" * 100_000
    raw = f"data: {payload}\n\n".encode()
    chunks = [raw[i : i + 1000] for i in range(0, len(raw), 1000)]
    assert data_of(chunks) == [payload]


def test_a_final_unterminated_event_is_delivered_at_the_end() -> None:
    assert data_of([b": ping\n\ndata: one\n", b"\ndata: tw", b"o"]) == ["one", "two"]
