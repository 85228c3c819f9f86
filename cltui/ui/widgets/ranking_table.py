"""The ranking of a round as a table: candidates by rank with their score, or the pairwise matrix.

Every cell and header is a `rich.text.Text` built from the string as it is: DataTable reads plain
strings as markup, and candidate names come from the config (untrusted).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.widgets import DataTable

from cltui.core.text import display_line
from cltui.ui.keymap import RANKING_BINDINGS
from cltui.ui.ranking_view import Matrix, score_text
from cltui.ui.safe_text import one_line

NAME_WIDTH = 22


def _cell(value: object, style: str = "") -> Text:
    return Text(display_line(str(value)), style=style, no_wrap=True)


class RankingTable(DataTable[Text]):
    """Candidates × (rank, score, wins/losses or reviews); `m` flips to the matrix."""

    BINDINGS: ClassVar[list[BindingType]] = list(RANKING_BINDINGS)
    DEFAULT_CSS = """
    RankingTable { height: auto; max-height: 12; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, show_cursor=False)
        self.ranking: list[dict[str, Any]] = []
        """The entries shown, best first, as `Round.ranking` holds them."""
        self.matrix: Matrix | None = None
        self.show_matrix = False
        """True while the matrix is shown instead of the ranking."""

    def on_mount(self) -> None:
        self._redraw()

    def set_ranking(self, ranking: Sequence[Mapping[str, Any]], matrix: Matrix | None) -> None:
        """Show a round's ranking (or nothing) and keep its matrix for the toggle."""
        self.ranking = [dict(entry) for entry in ranking]
        self.matrix = matrix
        self._redraw()

    def toggle_matrix(self) -> bool:
        """Switch between ranking and matrix; returns whether the matrix is now shown."""
        self.show_matrix = not self.show_matrix
        self._redraw()
        return self.show_matrix

    def _redraw(self) -> None:
        if not self.is_mounted:
            return  # drawn on mount: columns need the app's console to measure
        self.clear(columns=True)
        if self.show_matrix:
            self._draw_matrix()
        else:
            self._draw_ranking()

    def _draw_ranking(self) -> None:
        has_record = any("wins" in e for e in self.ranking)
        has_reviews = any("reviews" in e for e in self.ranking)
        self.add_column(_cell("#"), key="rank")
        self.add_column(_cell("candidate"), key="model")
        self.add_column(_cell("score"), key="score")
        if has_record:
            self.add_column(_cell("W/L"), key="record")
        if has_reviews:
            self.add_column(_cell("reviews"), key="reviews")
        for entry in self.ranking:
            rank = entry.get("rank", "")
            style = "bold" if rank == 1 else ""
            cells = [
                _cell(rank, style),
                _cell(one_line(str(entry.get("model", "")), NAME_WIDTH), style),
                _cell(score_text(entry), style),
            ]
            if has_record:
                cells.append(_cell(f"{entry.get('wins', 0)}/{entry.get('losses', 0)}"))
            if has_reviews:
                cells.append(_cell(entry.get("reviews", 0)))
            self.add_row(*cells)

    def _draw_matrix(self) -> None:
        matrix = self.matrix
        if matrix is None or not matrix.rows:
            self.add_column(_cell("no pairwise verdicts for this round"))
            return
        self.add_column(_cell(""), key="row")
        for i, name in enumerate(matrix.columns):
            self.add_column(_cell(short_name(name)), key=f"col-{i}")
        for row, cells in matrix.rows:
            self.add_row(_cell(one_line(short_name(row), NAME_WIDTH)), *(_cell(c) for c in cells))


def short_name(label: str) -> str:
    """A model label without its provider prefix ('demo/atlas' → 'atlas'), for narrow columns."""
    return label.rsplit("/", 1)[-1] or label
