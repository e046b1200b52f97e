"""One editable answer: label, input (or choice), and its error right under it."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from wizard.uicommon import FieldSpec


def field_id(path: str) -> str:
    """A DOM id for a field path: `directors[0].external_ip` -> `f-directors-0-external_ip`."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", path).strip("-")


class FieldRow(Vertical):
    """Label + input on one line, the problem (if any) on the next."""

    DEFAULT_CSS = """
    FieldRow { height: auto; }
    FieldRow > Horizontal { height: auto; }
    FieldRow .field-label { width: 26; padding: 0 1 0 0; height: 1; }
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
