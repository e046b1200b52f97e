"""One editable answer: label, input (or choice), and its error right under it."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from wizard.base.fields import FieldSpec


def field_id(path: str) -> str:
    """A DOM id for a field path: `directors[0].external_ip` -> `f-directors-0-external_ip`."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", path).strip("-")


class FieldRow(Vertical):
    """Label + input on one line, the problem (if any) on the next."""

    DEFAULT_CSS = """
    FieldRow { height: auto; }
    FieldRow > Horizontal { height: auto; }
    FieldRow .field-label { width: 26; padding: 0 1 0 0; height: auto; }
    FieldRow Input, FieldRow Select { width: 1fr; }
    FieldRow .field-error { color: $error; padding-left: 26; display: none; height: auto; }
    FieldRow.-invalid .field-error { display: block; }
    """

    def __init__(self, spec: FieldSpec, label: str, value: str) -> None:
        super().__init__(id="row-" + field_id(spec.path)[2:], classes="field-row")
        self.spec = spec
        self.label = label
        self.value = value

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.label, classes="field-label")
            if self.spec.kind == "choice":
                yield Select([(c, c) for c in self.spec.choices], value=self.value, allow_blank=False,
                             id=field_id(self.spec.path), compact=True)
            else:
                yield Input(self.value, id=field_id(self.spec.path), compact=True,
                            type="integer" if self.spec.kind == "int" else "text")
        yield Static("", classes="field-error")

    shown: str | None = None

    def show_error(self, message: str | None) -> None:
        if message == self.shown:
            return  # most keystrokes change nothing here: skip the repaint
        self.shown = message
        self.set_class(bool(message), "-invalid")
        self.query_one(".field-error", Static).update(message or "")
        widget = self.query_one(f"#{field_id(self.spec.path)}")
        widget.set_class(bool(message), "-invalid")


class FieldGridRow(Vertical):
    """One field of several hosts side by side (a table row: the field, then one cell per host).

    The problems of any cell show under the row, each prefixed with its host's column name.
    """

    # Below 110 columns the field's name goes above its cells (app.tcss, the screen's -narrow class).
    DEFAULT_CSS = """
    FieldGridRow { height: auto; }
    FieldGridRow > Horizontal { height: auto; }
    FieldGridRow .grid-cells { height: auto; width: 1fr; }
    FieldGridRow .field-label { width: 26; padding: 0 1 0 0; height: auto; }
    FieldGridRow Input { width: 1fr; margin-right: 1; }
    FieldGridRow .field-error { color: $error; padding-left: 26; display: none; height: auto; }
    FieldGridRow.-invalid .field-error { display: block; }
    FieldGridRow.header .cell-title { width: 1fr; text-style: bold; color: $primary; }
    """

    def __init__(self, specs: list[FieldSpec], label: str, values: list[str], columns: list[str]) -> None:
        super().__init__(id="row-" + field_id(specs[0].path)[2:], classes="field-row")
        self.specs = specs
        self.label = label
        self.values = values
        self.columns = columns
        self.shown: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.label, classes="field-label")
            with Horizontal(classes="grid-cells"):
                for spec, value in zip(self.specs, self.values, strict=True):
                    yield Input(value, id=field_id(spec.path), compact=True,
                                type="integer" if spec.kind == "int" else "text")
        yield Static("", classes="field-error")

    def show_errors(self, problems: dict[str, str]) -> None:
        mine = {s.path: problems[s.path] for s in self.specs if s.path in problems}
        if mine == self.shown:
            return
        self.shown = mine
        for spec in self.specs:
            self.query_one(f"#{field_id(spec.path)}").set_class(spec.path in mine, "-invalid")
        names = dict(zip((s.path for s in self.specs), self.columns, strict=True))
        self.set_class(bool(mine), "-invalid")
        self.query_one(".field-error", Static).update("\n".join(f"{names[p]}: {m}" for p, m in mine.items()))


class GridHeader(Horizontal):
    """The column titles of a group of FieldGridRows (the hosts' names)."""

    DEFAULT_CSS = """
    GridHeader { height: auto; }
    GridHeader .field-label { width: 26; }
    GridHeader .grid-cells { height: 1; width: 1fr; }
    GridHeader .cell-title { width: 1fr; text-style: bold; color: $primary; margin-right: 1; }
    """

    def __init__(self, title: str, columns: list[str]) -> None:
        super().__init__(classes="group-title grid-header")
        self.title = title
        self.columns = columns

    def compose(self) -> ComposeResult:
        yield Label(self.title, classes="field-label")
        with Horizontal(classes="grid-cells"):
            for name in self.columns:
                yield Label(name, classes="cell-title")
