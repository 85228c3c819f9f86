"""The ranking strategies in the TUI: the judge/review pane, the ranking table and its matrix,
the agreement sparkline, moa layers, history of a ranked round, and hostile candidate names.

The strategies run end to end on the simulated models (the real client path), sped up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult

from cltui.core.config import demo_config
from cltui.core.events import AGGREGATOR_SLOT, RoundStarted, judge_slot
from cltui.core.runner import ConsensusRunner
from cltui.core.sessions.model import Judgement, Reply
from cltui.demo.server import SPEED_ENV
from cltui.ui.app import ConsensusApp
from cltui.ui.bridge import RunnerSource
from cltui.ui.messages import EngineEvent
from cltui.ui.ranking_view import pairwise_matrix
from cltui.ui.widgets.judge_pane import JudgePane
from cltui.ui.widgets.ranking_panel import RankingPanel
from cltui.ui.widgets.ranking_table import RankingTable
from tests.ui.support import FROZEN_CLOCK, main_screen, settle

HOSTILE = "[/red] [link=x]y[/link] [@click=app.quit]q[/] [type=x, v={'a[0]'}]"


@pytest.fixture(autouse=True)
def fast_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SPEED_ENV, "1000")


def demo_app(strategy: str, sessions: Path, **options: Any) -> ConsensusApp:
    config = demo_config(strategy)  # type: ignore[arg-type]

    def new() -> ConsensusRunner:
        return ConsensusRunner(config, sessions_dir=sessions)

    def open_(path: Path) -> ConsensusRunner:
        return ConsensusRunner.open(path, sessions_dir=sessions)

    options.setdefault("animate", False)
    options.setdefault("clock", FROZEN_CLOCK)
    return ConsensusApp(new(), RunnerSource(sessions, new=new, open=open_), **options)


def table_text(table: RankingTable) -> list[list[str]]:
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_blender_fills_the_judge_pane_and_the_ranking_table(tmp_path: Path) -> None:
    app = demo_app("blender", tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = main_screen(app)
        panel = screen.ranking_panel
        assert panel is not None
        await pilot.press(*"why is the sky blue", "enter")
        await settle(pilot)
        turn = app.runner.session.turns[-1]
        last = turn.rounds[-1]
        assert turn.status == "complete"
        # Six judge calls per round (three candidates, every pair both ways), each one line.
        calls = panel.judges.calls
        assert len(calls) == 6 == len(last.judgements)
        assert all(c.state == "done" and c.summary for c in calls.values())
        line = next(iter(calls.values())).line().plain
        assert " vs " in line and " → " in line
        # The table shows exactly the session's ranking for the last round.
        assert panel.table.ranking == last.ranking
        rows = table_text(panel.table)
        assert [row[1] for row in rows] == [e["model"] for e in last.ranking]
        assert rows[0][0] == "1"
        # The judge calls never reached the model panes or the status bar's model list.
        assert set(screen.status.info.slots) == {p.model_name for p in screen.panes.values()}
        for model in ("demo/atlas", "demo/borealis", "demo/cirrus"):
            assert screen.panes[model].text == last.reply_for(model).content  # type: ignore[union-attr]
        # The final answer stands out; the status bar has both costs and the agreement line.
        aggregator = screen.panes[AGGREGATOR_SLOT]
        assert "★ final answer" in (aggregator.border_title or "")
        assert aggregator.has_class("-final")
        status = screen.status.line(compact=False).plain
        assert "turn $" in status and "session $" in status and "credits $" in status
        assert "agree " in status and "%" in status

        # The matrix: m on the focused table flips it, and back.
        panel.table.focus()
        await pilot.press("m")
        assert panel.table.show_matrix
        matrix = table_text(panel.table)
        assert len(matrix) == 3 and all(len(row) == 4 for row in matrix)
        cells = {cell for row in matrix for cell in row[1:]}
        assert "·" in cells and cells <= {"·", "A", "B", "=", "✗", "?", ""}
        await pilot.press("m")
        assert not panel.table.show_matrix


async def test_history_shows_a_past_rounds_ranking_and_judgements(tmp_path: Path) -> None:
    app = demo_app("blender", tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = main_screen(app)
        panel = screen.ranking_panel
        assert panel is not None
        await pilot.press(*"question", "enter")
        await settle(pilot)
        rounds = app.runner.session.turns[-1].rounds
        screen.panes["demo/atlas"].focus()
        await pilot.press("[")
        await pilot.pause()
        assert screen.view == (0, len(rounds) - 2)
        past = rounds[-2]
        assert panel.table.ranking == past.ranking
        verdicts = {c.slot: c.summary for c in panel.judges.calls.values()}
        assert len(verdicts) == len(past.judgements)
        aggregator = screen.panes[AGGREGATOR_SLOT]
        title = aggregator.border_title or ""
        assert f"round {len(rounds) - 1}/{len(rounds)} aggregate" in title
        assert not aggregator.has_class("-final")


async def test_council_shows_each_reviewers_ranking_and_keeps_the_proposals(
    tmp_path: Path,
) -> None:
    app = demo_app("council", tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = main_screen(app)
        panel = screen.ranking_panel
        assert panel is not None and panel.kind == "reviewer"
        await pilot.press(*"why", "enter")
        await settle(pilot)
        last = app.runner.session.turns[-1].rounds[-1]
        reviews = [r for r in last.reviews if r.role == "reviewer"]
        assert len(panel.judges.calls) == len(reviews) == 3
        assert all(" > " in c.summary for c in panel.judges.calls.values())
        assert panel.table.ranking == last.ranking
        assert all("reviews" in entry for entry in last.ranking)
        # A reviewer's pane still shows its proposal, not its review.
        for model in ("demo/atlas", "demo/borealis", "demo/cirrus"):
            assert screen.panes[model].text == last.reply_for(model).content  # type: ignore[union-attr]
        panel.toggle_matrix()
        rows = table_text(panel.table)
        assert len(rows) == 3 and {row[0] for row in rows} == {"atlas", "borealis", "cirrus"}


async def test_moa_shows_the_layer_and_has_no_ranking_panel(tmp_path: Path) -> None:
    seen: list[object] = []
    app = demo_app("moa", tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        screen = main_screen(app)
        assert screen.ranking_panel is None
        await pilot.press(*"why", "enter")
        await settle(pilot)
        title = screen.panes["demo/atlas"].border_title or ""
        assert "layer 2/2" in title
        assert not app.query("#ranking-panel")
    # One event may be seen at more than one node (the hook sees every delivery): keep each once.
    events = {
        id(m.event): m.event
        for m in seen
        if isinstance(m, EngineEvent) and isinstance(m.event, RoundStarted)
    }
    stages = [(event.round, event.stage) for event in events.values()]
    assert stages[:2] == [(0, "layer 1/2"), (0, "layer 2/2")]


async def test_ranking_views_work_in_tabs_at_80x24(tmp_path: Path) -> None:
    app = demo_app("blender", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"q", "enter")
        await settle(pilot)
        screen.action_toggle_matrix()
        await pilot.pause()
        panel = screen.ranking_panel
        assert panel is not None and panel.table.show_matrix
        assert panel.region.width > 40  # the ranking tab fills the width
        assert screen.query_one("#panes").has_class("-show-ranking")


class RankingHost(App[None]):
    def compose(self) -> ComposeResult:
        yield RankingPanel("blender", id="ranking-panel")


async def test_hostile_names_are_shown_literally_in_the_ranking_views() -> None:
    names = [f"m/{HOSTILE}", "m/[b]bold[/b]"]
    judgement = Judgement(names[0], names[1], "first", raw=f"Verdict: A {HOSTILE}")
    app = RankingHost()
    async with app.run_test(size=(120, 30)) as pilot:
        panel = app.query_one(RankingPanel)
        ranking = [
            {"model": names[0], "score": 1, "rank": 1, "wins": 1, "losses": 0},
            {"model": names[1], "score": -1, "rank": 2, "wins": 0, "losses": 1},
        ]
        panel.table.set_ranking(ranking, pairwise_matrix(names, [judgement]))
        judges = panel.query_one(JudgePane)
        slot = judge_slot(names[0], names[1])
        judges.started(slot, f"judge {HOSTILE}", "judge")
        judges.delta(slot, HOSTILE)
        judges.finished(slot, Reply(model="judge", status="ok", role="judge", content=HOSTILE))
        judges.verdict(slot, judgement)
        judges.calls[slot].action_toggle_raw()
        await pilot.pause()
        rows = [[c.plain for c in panel.table.get_row_at(i)] for i in range(2)]
        assert rows[0][1].startswith("m/[/red]")
        assert all(isinstance(c, Text) for c in panel.table.get_row_at(0))
        panel.toggle_matrix()
        await pilot.pause()
        assert panel.table.get_row_at(0)[1].plain == "·"
        assert panel.table.get_row_at(0)[2].plain == "A"
        assert HOSTILE in judges.calls[slot].render().plain
        assert app.is_running


async def test_an_unranked_round_shows_no_order_and_says_why() -> None:
    from cltui.core.sessions.model import Round

    judgements = [Judgement("m/a", "m/b", "unparsed", raw="hmm"),
                  Judgement("m/b", "m/a", "failed")]  # fmt: skip
    unranked = Round(index=0, judgements=judgements, ranking_read=0, ranking_asked=2)
    partial = Round(
        index=1,
        judgements=[Judgement("m/a", "m/b", "first", raw="Verdict: A"), judgements[1]],
        ranking=[{"model": "m/a", "score": 1, "rank": 1, "wins": 1, "losses": 0},
                 {"model": "m/b", "score": -1, "rank": 2, "wins": 0, "losses": 1}],
        ranking_read=1,
        ranking_asked=2,
    )  # fmt: skip
    app = RankingHost()
    async with app.run_test(size=(120, 30)) as pilot:
        panel = app.query_one(RankingPanel)
        await panel.show_round(unranked, 0, "sid")
        await pilot.pause()
        title = str(panel.query_one("#ranking-title").render())
        assert "unranked (0 of 2 verdicts read)" in title
        assert panel.table.row_count == 0
        await panel.show_round(partial, 0, "sid")
        await pilot.pause()
        title = str(panel.query_one("#ranking-title").render())
        assert "1 of 2 verdicts read" in title
        assert panel.table.row_count == 2
