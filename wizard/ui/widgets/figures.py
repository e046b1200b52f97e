"""The figures a section measured (wizard.base.figures, stored by the engine in each action's record):
a table of every figure and a bar chart of the series with the most points (e.g. pi.php's time with
1, 2 and 3 real servers up). textual-plotext is imported only when there is something to chart.

Figures carry the measuring scripts' names (`one_and_one_serving`, `ab_rps`) and labels (`server=cluster4`):
they are shown in the catalogue's words (`fig.name.*`, `fig.label.*`, `fig.unit.*`), and each row and bar says
which test measured it (the action's title), never the action's id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from rich.table import Table
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from wizard.base.i18n import STRINGS, t


def figure_name(name: str, lang: str = "en") -> str:
    """A figure's name in words ("director_failover" -> "failover when a director goes off")."""
    key = f"fig.name.{name}"
    return t(key, lang) if key in STRINGS else name.replace("_", " ")


def label_words(labels: dict[str, Any], lang: str = "en") -> str:
    """A figure's labels in words ("server=cluster4" -> "server cluster4"); the node is said elsewhere."""
    words = []
    for key, value in labels.items():
        if key == "node":
            continue
        catalogue = f"fig.label.{key}"
        words.append(t(catalogue, lang, value=value) if catalogue in STRINGS else f"{key} {value}")
    return ", ".join(words)


def unit_words(unit: str, lang: str = "en") -> str:
    key = f"fig.unit.{unit}"
    return t(key, lang) if key in STRINGS else unit


def figure_label(fig: dict[str, Any], lang: str = "en") -> str:
    labels = label_words(fig.get("labels") or {}, lang)
    name = figure_name(fig["name"], lang)
    return f"{name} ({labels})" if labels else name


def bar_label(fig: dict[str, Any], lang: str = "en") -> str:
    """A bar's label in the chart: its labels only, in words (the chart's title is the figure's name), so that the
    labels leave room for the bars at 80 columns."""
    return label_words(fig.get("labels") or {}, lang) or figure_name(fig["name"], lang)


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

    def __init__(self, figures: list[tuple[str, dict[str, Any]]], lang: str = "en",
                 title_of: Callable[[str], str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.figures = figures
        self.lang = lang
        # The test that measured a figure, in words: the action's title (the app's action_label).
        self.title_of = title_of or (lambda action_id: action_id)
        self.series_name = ""

    def compose(self) -> ComposeResult:
        # The value never wraps; the figure's name and the action wrap in what is left (never cut).
        table = Table(box=None, show_header=True, pad_edge=False, expand=True)
        for col in ("figure", "value", "action"):
            table.add_column(t(f"fig.{col}", self.lang), no_wrap=col == "value", overflow="fold",
                             ratio=None if col == "value" else 1)  # the name (in words) and the test share the rest
        for action_id, fig in self.figures:
            value = f"{fig['value']:g} {unit_words(fig.get('unit', ''), self.lang)}".strip()
            table.add_row(figure_label(fig, self.lang), value, self.title_of(action_id))
        yield Static(table)
        series = self.series()
        if len(series) >= 2:
            from textual_plotext import PlotextPlot

            plot = PlotextPlot()
            plot.plt.bar([label for label, _ in series], [value for _, value in series], orientation="horizontal")
            plot.plt.title(self.series_name)
            yield plot

    def series(self) -> list[tuple[str, float]]:
        """The figure name measured most often (one bar per label set). A name measured by several tests (the
        requests each real server answered) says on each bar which test it is."""
        if not self.figures:
            return []
        name, _ = Counter(fig["name"] for _, fig in self.figures).most_common(1)[0]
        points = [(action_id, fig) for action_id, fig in self.figures if fig["name"] == name]
        unit = unit_words(points[0][1].get("unit", ""), self.lang)
        self.series_name = figure_name(name, self.lang) + (f" ({unit})" if unit else "")
        several = len({action_id for action_id, _ in points}) > 1
        out = []
        for action_id, fig in points:
            labels = label_words(fig.get("labels") or {}, self.lang)
            bar = f"{self.title_of(action_id)}: {labels}" if several and labels else (
                self.title_of(action_id) if several else bar_label(fig, self.lang))
            out.append((bar, float(fig["value"])))
        return out
