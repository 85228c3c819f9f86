"""The panes of a main screen: which there are, how they are laid out, and how they are found.

A config gives one pane per model and one for the aggregator, plus the ranking panel for the
ranking strategies. Wide terminals show the model panes as a grid over the aggregator (and the
ranking panel); narrow ones show one pane at a time, picked with tabs (the classes this module
sets are what `main.tcss` switches on). The panes are found again by slot (engine events), by
number (focus keys) or by focus (pane commands).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.content import Content
from textual.widgets import Tab, Tabs

from cltui.core.config import ConsensusConfig
from cltui.core.events import AGGREGATOR_SLOT
from cltui.ui.history_cursor import ShownRound
from cltui.ui.pane_state import STATE_ICONS
from cltui.ui.ranking_view import RANKING_STRATEGIES
from cltui.ui.render_load import RenderLoad
from cltui.ui.safe_text import one_line, plain
from cltui.ui.widgets.model_pane import ModelPane

if TYPE_CHECKING:
    from cltui.ui.widgets.ranking_panel import RankingPanel

NARROW_WIDTH = 100
"""Below this many columns the model panes become tabs."""
RANKING_TAB = "tab-ranking-panel"
AGGREGATOR_PANE = "pane-aggregator"
RANKING_PANEL = "ranking-panel"


def grid_columns(count: int) -> int:
    """Columns for `count` model panes: 1-3 side by side, 4 as 2×2, then up to 4 per row."""
    if count <= 3:
        return max(count, 1)
    if count == 4:
        return 2
    return min(math.ceil(count / 2), 4)


def tab_id(pane: ModelPane) -> str:
    return f"tab-{pane.id}"


def tab_label(pane: ModelPane, state: str) -> Content:
    """'2 atlas ✓': the pane's number, model and state (the model name is shown literally)."""
    icon = STATE_ICONS.get(state, "")
    return Content.assemble((pane.prefix, "dim"), plain(one_line(pane.model_name, 24)), f" {icon}")


def build_panes(config: ConsensusConfig, load: RenderLoad) -> dict[str, ModelPane]:
    """One pane per model, numbered from 1, then the aggregator's; keyed by the events' slot."""
    panes: dict[str, ModelPane] = {}
    for i, model in enumerate(config.models):
        panes[model.name] = ModelPane(
            model.name, model.name, index=i + 1, load=load, id=f"pane-{i}"
        )
    if config.aggregator is not None:
        panes[AGGREGATOR_SLOT] = ModelPane(
            AGGREGATOR_SLOT,
            config.aggregator.model.name,
            index=len(config.models) + 1,
            aggregator=True,
            load=load,
            id=AGGREGATOR_PANE,
        )
    return panes


def status_names(panes: dict[str, ModelPane]) -> dict[str, str]:
    """The name each pane goes by in the status bar, one per pane.

    The aggregator often runs one of the proposers' models (the default config does): it is then
    told apart by its 'Σ', or the two would share one entry."""
    names = {slot: pane.model_name for slot, pane in panes.items()}
    aggregator = panes.get(AGGREGATOR_SLOT)
    if aggregator is not None:
        proposers = {pane.model_name for pane in panes.values() if not pane.aggregator}
        if aggregator.model_name in proposers:
            names[AGGREGATOR_SLOT] = f"Σ {aggregator.model_name}"
    return names


class PaneLayout:
    """Builds a screen's panes from the config, composes them, and finds them again."""

    def __init__(self, config: ConsensusConfig, load: RenderLoad) -> None:
        self.panes = build_panes(config, load)
        """Every pane by slot: the models in config order, then the aggregator."""
        self.status_names = status_names(self.panes)
        """Slot -> the pane's (unique) name in the status bar."""
        self.ranking_panel: RankingPanel | None = None
        if config.strategy in RANKING_STRATEGIES and not config.is_plain_chat:
            from cltui.ui.widgets.ranking_panel import RankingPanel  # only ranking strategies

            self.ranking_panel = RankingPanel(
                config.strategy, self_vote=config.self_vote, id=RANKING_PANEL
            )
        tabs = [Tab(tab_label(pane, pane.state), id=tab_id(pane)) for pane in self.panes.values()]
        self._tabs: dict[str, Tab] = {str(tab.id): tab for tab in tabs}
        """The narrow layout's tab of each pane, by tab id (looked up as states change)."""
        if self.ranking_panel is not None:
            tabs.append(Tab(Content("⚖ ranking"), id=RANKING_TAB))
        self._tab_bar = Tabs(*tabs, id="pane-tabs")
        self._area = Vertical(id="panes")
        self._grid = Container(id="models")

    @property
    def aggregator(self) -> ModelPane | None:
        return self.panes.get(AGGREGATOR_SLOT)

    def model_panes(self) -> list[ModelPane]:
        """The proposers' panes, in config order."""
        return [pane for pane in self.panes.values() if not pane.aggregator]

    def compose(self) -> ComposeResult:
        """The tab bar (shown only when narrow) and the pane area: the grid over the bottom row."""
        yield self._tab_bar
        with self._area:
            with self._grid:
                yield from self.model_panes()
            with Horizontal(id="bottom"):
                if self.aggregator is not None:
                    yield self.aggregator
                if self.ranking_panel is not None:
                    yield self.ranking_panel

    def on_mount(self) -> None:
        """Size the grid for the model panes; the first pane is the narrow layout's first tab."""
        self._grid.styles.grid_size_columns = grid_columns(len(self.model_panes()))
        next(iter(self.panes.values())).add_class("-tab-active")

    # -- finding panes ---------------------------------------------------------------------------

    def numbered(self, number: int) -> ModelPane | None:
        """Pane `number` (1-based, as the focus keys count; the aggregator comes last)."""
        panes = list(self.panes.values())
        return panes[number - 1] if 1 <= number <= len(panes) else None

    def default_pane(self) -> ModelPane:
        """The pane commands act on when no pane has focus: the aggregator, else the first."""
        return self.aggregator or next(iter(self.panes.values()))

    # -- tabs (narrow layout) --------------------------------------------------------------------

    def refresh_tab(self, pane: ModelPane, state: str | None = None) -> None:
        """Show `state` (default: the pane's own) in the pane's tab."""
        tab = self._tabs.get(tab_id(pane))
        if tab is not None:
            tab.label = tab_label(pane, state or pane.state)

    def activate_tab(self, tab: str) -> None:
        """Switch the tab bar to `tab` (which then shows its pane, see `tab_activated`)."""
        self._tab_bar.active = tab

    def tab_activated(self, tab: str) -> None:
        """Show the pane (or the ranking panel) of the tab just activated."""
        shown = tab.removeprefix("tab-")
        for pane in self.panes.values():
            pane.set_class(pane.id == shown, "-tab-active")
        self._area.set_class(shown == AGGREGATOR_PANE, "-show-aggregator")
        self._area.set_class(shown == RANKING_PANEL, "-show-ranking")

    # -- a settled round -------------------------------------------------------------------------

    async def show_round(self, shown: ShownRound, session_id: str) -> None:
        """Show one round of the history in every pane (settled, not streamed)."""
        address = (shown.turn_index, shown.round_index)
        for slot, pane in self.panes.items():
            await pane.show_reply(shown.reply_for(slot), address=address)
            self.refresh_tab(pane)
        if self.aggregator is not None:
            final = shown.is_last_of_complete_turn
            self.aggregator.set_note(shown.aggregate_note, final=final)
        for pane in self.model_panes():
            pane.set_note(shown.layer_note)
        if self.ranking_panel is not None:
            await self.ranking_panel.show_round(shown.round, shown.turn_index, session_id)
