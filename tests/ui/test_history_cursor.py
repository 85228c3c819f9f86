"""The main screen's pure parts: the history cursor, what a shown round says, the pane layout's
arithmetic and which calls count as reviews (no app is started here)."""

from __future__ import annotations

import pytest

from cltui.core.events import (
    AGGREGATOR_SLOT,
    ReplyDelta,
    ReplyFinished,
    ReplyStarted,
    judge_slot,
)
from cltui.core.sessions.model import Reply, Round, Session, Turn
from cltui.ui.event_router import ReviewSlots
from cltui.ui.history_cursor import HistoryCursor, aggregate_note
from cltui.ui.pane_layout import grid_columns, status_names
from cltui.ui.widgets.model_pane import ModelPane


def reply(model: str, text: str = "") -> Reply:
    return Reply(model=model, status="ok", content=text or f"{model} says hi")


def session_with(*rounds_per_turn: int, last_status: str = "complete") -> Session:
    """Turns with the given numbers of rounds (0: a turn that never got a round)."""
    session = Session(config={})
    for t, count in enumerate(rounds_per_turn):
        status = last_status if t == len(rounds_per_turn) - 1 else "complete"
        turn = Turn(prompt=f"question {t + 1}", status=status)  # type: ignore[arg-type]
        for r in range(count):
            turn.rounds.append(
                Round(index=r, replies=[reply("m/a")], aggregate=reply("m/agg", f"agg {t}.{r}"))
            )
        session.turns.append(turn)
    return session


def test_positions_cover_every_round_and_a_turn_without_one() -> None:
    cursor = HistoryCursor(session_with(2, 0, 1))
    assert cursor.positions() == [(0, 0), (0, 1), (1, 0), (2, 0)]
    assert cursor.latest() == (2, 0)
    assert HistoryCursor(Session(config={})).latest() == (0, 0)


def test_stepping_by_round_stays_within_the_history() -> None:
    cursor = HistoryCursor(session_with(2, 2))
    assert cursor.current == (1, 1)
    assert cursor.target("round", -1) == (1, 0)
    assert cursor.target("round", 1) == (1, 1)  # already the newest
    cursor.show((0, 0))
    assert cursor.target("round", -1) == (0, 0)
    assert cursor.target("round", 1) == (0, 1)


def test_stepping_by_turn_lands_on_the_turns_last_round() -> None:
    cursor = HistoryCursor(session_with(3, 2))
    assert cursor.target("turn", -1) == (0, 2)
    cursor.show((0, 0))
    assert cursor.target("turn", 1) == (1, 1)
    assert cursor.target("turn", -5) == (0, 2)


def test_an_empty_session_has_no_history() -> None:
    cursor = HistoryCursor(Session(config={}))
    assert cursor.target("round", -1) is None
    assert cursor.show((0, 0)) is None


def test_showing_the_latest_position_means_live() -> None:
    cursor = HistoryCursor(session_with(2, 2))
    shown = cursor.show((0, 1))
    assert shown is not None and not shown.live and cursor.shown == (0, 1)
    assert shown.history_label == "Turn 1/2 · Round 2/2 (history)"
    latest = cursor.show((1, 1))
    assert latest is not None and latest.live and cursor.shown is None
    assert latest.history_label == ""
    cursor.show((0, 0))
    cursor.go_live()
    assert cursor.shown is None and cursor.current == (1, 1)


def test_a_shown_round_says_what_the_panes_show() -> None:
    session = session_with(3)
    session.turns[0].rounds[1].agreement = 0.8
    session.turns[0].rounds[2].agreement = 0.9
    cursor = HistoryCursor(session)

    middle = cursor.show((0, 1))
    assert middle is not None
    assert middle.reply_for(AGGREGATOR_SLOT).content == "agg 0.1"  # type: ignore[union-attr]
    assert middle.reply_for("m/a") is not None and middle.reply_for("m/x") is None
    assert not middle.is_last_of_complete_turn
    assert middle.aggregate_note == "round 2/3 aggregate"
    assert middle.agreements == [0.8]

    last = cursor.show((0, 2))
    assert last is not None and last.is_last_of_complete_turn
    assert last.aggregate_note == ""  # the final answer says so in its own title
    assert last.agreements == [0.8, 0.9]
    assert last.stopped_early(planned_rounds=5) and not last.stopped_early(planned_rounds=3)


def test_an_interrupted_turns_last_round_is_not_final() -> None:
    cursor = HistoryCursor(session_with(2, last_status="interrupted"))
    shown = cursor.show((0, 1))
    assert shown is not None and not shown.is_last_of_complete_turn
    assert shown.aggregate_note == "round 2/2 aggregate"
    assert not shown.stopped_early(planned_rounds=5)


def test_a_turn_without_rounds_shows_nothing() -> None:
    cursor = HistoryCursor(session_with(0, last_status="failed"))
    shown = cursor.show((0, 0))
    assert shown is not None and shown.round is None
    assert shown.reply_for("m/a") is None and shown.reply_for(AGGREGATOR_SLOT) is None
    assert shown.total_rounds == 1 and shown.layer_note == "" and shown.agreements == []


def test_moa_rounds_name_their_layer() -> None:
    session = session_with(1)
    session.turns[0].rounds[0].layer = 3
    shown = HistoryCursor(session).show((0, 0))
    assert shown is not None and shown.layer_note == "layer 3/3"


def test_aggregate_note_only_when_a_turn_has_several_rounds() -> None:
    assert aggregate_note(0, 1) == ""
    assert aggregate_note(1, 3) == "round 2/3 aggregate"


@pytest.mark.parametrize(
    ("count", "columns"), [(0, 1), (1, 1), (3, 3), (4, 2), (5, 3), (6, 3), (8, 4), (12, 4)]
)
def test_grid_columns(count: int, columns: int) -> None:
    assert grid_columns(count) == columns


def test_an_aggregator_on_a_proposers_model_gets_its_own_status_name() -> None:
    panes = {
        "m/a": ModelPane("m/a", "m/a", index=1),
        "m/b": ModelPane("m/b", "m/b", index=2),
        AGGREGATOR_SLOT: ModelPane(AGGREGATOR_SLOT, "m/a", index=3, aggregator=True),
    }
    assert status_names(panes) == {"m/a": "m/a", "m/b": "m/b", AGGREGATOR_SLOT: "Σ m/a"}
    panes[AGGREGATOR_SLOT] = ModelPane(AGGREGATOR_SLOT, "m/agg", index=3, aggregator=True)
    assert status_names(panes)[AGGREGATOR_SLOT] == "m/agg"


def test_review_slots_follow_a_reviewer_until_it_proposes_again() -> None:
    reviews = ReviewSlots()
    assert reviews.claims(ReplyStarted(0, 0, "m/a", "m/a", "reviewer"))
    assert reviews.claims(ReplyDelta(0, 0, "m/a", "ranking…"))
    assert reviews.claims(ReplyFinished(0, 0, "m/a", reply("m/a")))
    assert not reviews.claims(ReplyStarted(0, 1, "m/a", "m/a", "proposer"))
    assert not reviews.claims(ReplyDelta(0, 1, "m/a", "answer"))
    # Judge calls are known by their slot alone.
    assert reviews.claims(ReplyDelta(0, 0, judge_slot("m/a", "m/b"), "Verdict"))
    reviews.claims(ReplyStarted(0, 0, "m/b", "m/b", "reviewer"))
    reviews.clear()
    assert not reviews.claims(ReplyDelta(0, 0, "m/b", "x"))


def test_an_unfinished_turn_counts_the_rounds_it_will_make() -> None:
    # Interrupted after 2 of 3 planned rounds: 2/3 (resuming makes the third), never 2/2.
    cursor = HistoryCursor(session_with(2, last_status="interrupted"), planned_rounds=3)
    shown = cursor.show(cursor.latest())
    assert shown is not None and shown.total_rounds == 3
    assert shown.aggregate_note == "round 2/3 aggregate"
    # A complete turn that stopped early made fewer: its own count stands.
    done = HistoryCursor(session_with(2), planned_rounds=3).show((0, 1))
    assert done is not None and done.total_rounds == 2
