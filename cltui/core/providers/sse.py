"""An incremental Server-Sent Events parser fed raw bytes as they arrive from the network.

Network reads cut the stream anywhere: inside a line, between the CR and LF of a CRLF, or in the
middle of a multi-byte UTF-8 character. The parser keeps just enough state to get all of these
right, and follows the WHATWG event-stream rules (comments, `data:` with or without a space,
multi-line data, unknown fields ignored) with one deliberate difference: an event left without
its closing blank line when the stream ends is still delivered, because some endpoints end the
body right after their last `data:` line.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event: its data lines joined with newlines."""

    data: str
    event: str = "message"
    id: str | None = None


class SSEParser:
    """Turns byte chunks into events; call `feed` per read and `finish` at the end of the body."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._line_tail = ""
        """The unfinished last line of what has been fed so far."""
        self._skip_next_lf = False
        """The previous text ended in CR, so an LF starting the next text belongs to it."""
        self._at_start = True
        self._data: list[str] = []
        self._event_type = ""
        self._last_id: str | None = None
        self.comments = 0
        """Comment lines seen (keep-alives such as `: OPENROUTER PROCESSING`)."""

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Parse one network read; returns the events it completed (often none or one)."""
        return self._feed_text(self._decoder.decode(chunk))

    def finish(self) -> list[SSEEvent]:
        """End of the body: flush a trailing partial line and a final undispatched event."""
        events = self._feed_text(self._decoder.decode(b"", final=True))
        if self._line_tail:
            line, self._line_tail = self._line_tail, ""
            self._process_line(line, events)
        self._dispatch(events)
        return events

    def _feed_text(self, text: str) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        if not text:
            return events
        if self._at_start:
            self._at_start = False
            if text.startswith("\ufeff"):
                text = text[1:]
        if self._skip_next_lf and text.startswith("\n"):
            text = text[1:]
        self._skip_next_lf = text.endswith("\r")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" not in text:
            self._line_tail += text
            return events
        lines = (self._line_tail + text).split("\n")
        self._line_tail = lines.pop()
        for line in lines:
            self._process_line(line, events)
        return events

    def _process_line(self, line: str, events: list[SSEEvent]) -> None:
        if not line:
            self._dispatch(events)
            return
        if line.startswith(":"):
            self.comments += 1
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event_type = value
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        # `retry` and unknown fields carry nothing this client needs.

    def _dispatch(self, events: list[SSEEvent]) -> None:
        if self._data:
            events.append(
                SSEEvent("\n".join(self._data), self._event_type or "message", self._last_id)
            )
        self._data = []
        self._event_type = ""
