"""The figures a section measured (wizard.base.figures, stored by the engine in each action's record):
a table of every figure and a bar chart of the series with the most points (e.g. pi.php's time with
1, 2 and 3 real servers up). textual-plotext is imported only when there is something to chart.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.table import Table
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from wizard.base.i18n import t


def figure_label(fig: dict[str, Any]) -> str:
    labels = " ".join(f"{k}={v}" for k, v in (fig.get("labels") or {}).items() if k != "node")
    return f"{fig['name']} {labels}".strip()


def bar_label(fig: dict[str, Any]) -> str:
    """A bar's label in the chart: its labels only (the chart's title is the figure's name), so that the
    labels leave room for the bars at 80 columns."""
    labels = " ".join(f"{k}={v}" for k, v in (fig.get("labels") or {}).items() if k != "node")
    return labels or fig["name"]


def collect(records: list[tuple[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(action id, figure dict) for every figure of the given (action id, record) pairs."""
    out: list[tuple[str, dict[str, Any]]] = []
    for action_id, rec in records:
        for fig in getattr(rec, "figures", None) or []:
            out.append((action_id, fig))
    return out


class FiguresPanel(Vertical):
    DEFAULT_CSS = """
    FiguresPanel { height: auto; margin-top: 1; }
    FiguresPanel PlotextPlot { height: 12; }
    """

    def __init__(self, figures: list[tuple[str, dict[str, Any]]], lang: str = "en", **kw: Any) -> None:
        super().__init__(**kw)
        self.figures = figures
        self.lang = lang

    def compose(self) -> ComposeResult:
        # The value never wraps; the figure's name and the action wrap in what is left (never cut).
        table = Table(box=None, show_header=True, pad_edge=False, expand=True)
        for col in ("figure", "value", "action"):
            table.add_column(t(f"fig.{col}", self.lang), no_wrap=col == "value", overflow="fold",
                             ratio=1 if col == "action" else None)
        for action_id, fig in self.figures:
            table.add_row(figure_label(fig), f"{fig['value']:g} {fig.get('unit', '')}".strip(), action_id)
        yield Static(table)
        series = self.series()
        if len(series) >= 2:
            from textual_plotext import PlotextPlot

            plot = PlotextPlot()
            plot.plt.bar([label for label, _ in series], [value for _, value in series], orientation="horizontal")
            plot.plt.title(self.series_name)
            yield plot

    def series(self) -> list[tuple[str, float]]:
        """The figure name measured most often (one bar per label set)."""
        if not self.figures:
            return []
        name, _ = Counter(fig["name"] for _, fig in self.figures).most_common(1)[0]
        self.series_name = name
        return [(bar_label(fig), float(fig["value"])) for _, fig in self.figures if fig["name"] == name]
