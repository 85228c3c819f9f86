"""Textual messages carrying the engine's events into the widget tree."""

from __future__ import annotations

import time

from textual.message import Message

from cltui.core.events import Event


class EngineEvent(Message):
    """One engine event, posted to the main screen by the bridge."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event
        self.sent_at = time.monotonic()
        """When the bridge posted it: streamed text's display lag is measured from here."""


class PaneEvent(Message, bubble=False):
    """An engine event forwarded by the screen to the pane it concerns.

    It does not bubble: the screen already saw the event, and each pane works through its own
    queue so panes settle independently of each other.
    """

    def __init__(
        self, event: Event, note: str | None = None, *, sent_at: float | None = None
    ) -> None:
        super().__init__()
        self.event = event
        self.note = note
        """For a reply that starts: what it is ('layer 2/3', 'round 2/3 aggregate')."""
        self.sent_at = sent_at
        """When the bridge posted the event (`time.monotonic`), if known."""


class PromptSubmitted(Message):
    """The user sent a prompt."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
