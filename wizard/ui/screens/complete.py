"""The end of the guide: what was done, every figure measured, and the export to hand in."""

from __future__ import annotations

from collections import Counter

from rich.table import Table
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Header, Static

from wizard.session.progress import section_status
from wizard.ui.screens.base import WizardScreen
from wizard.ui.screens.dialogs import ExportDialog
from wizard.ui.widgets.figures import FiguresPanel, collect


class GuideCompleteScreen(WizardScreen):
    HELP_KEY = "help.complete"
    BINDINGS = [Binding("escape", "back", "bind.back")]

    def compose(self) -> ComposeResult:
        app = self.wapp
        plan = app.plan()
        statuses = Counter(app.status(a.id) for _, actions in plan for a in actions)
        yield Header()
        with VerticalScroll(id="complete"):
            yield Static(self.t("done.title"), classes="heading", id="done-title")
            yield Static(self.t("done.summary", sections=len(plan), ok=statuses["ok"], edited=statuses["edited"],
                                skipped=statuses["skipped"]), id="done-summary")
            # What to do now right under the verdict: at 80x24 the buttons were under the sections and the
            # chart, and focusing them scrolled the verdict out of sight.
            yield Static(self.t("done.export_why"), classes="muted")
            with Horizontal(classes="row buttons"):
                yield Button(self.t("done.export_md"), id="export-md", variant="primary", compact=True)
                yield Button(self.t("done.export_sh"), id="export-sh", compact=True)
                yield Button(self.t("done.back"), id="back", compact=True)
            table = Table(box=None, show_header=False, pad_edge=False)
            table.add_column("n", justify="right")
            table.add_column("title")
            for n, (module, actions) in enumerate(plan, 1):
                state = section_status([app.status(a.id) for a in actions])
                table.add_row(f"{n}.", f"{'✔' if state == 'ok' else '·'} {module.TITLE.get(app.lang)}")
            yield Static(table, id="done-sections")
            yield Static(self.t("done.figures"), classes="group-title")
            figures = collect([(a.id, app.record(a.id)) for _, actions in plan for a in actions])
            if figures:
                with Vertical(id="done-figures"):
                    yield FiguresPanel(figures, lang=app.lang)
            else:
                yield Static(self.t("done.no_figures"), classes="muted")
        yield Footer(show_command_palette=False)  # Ctrl+P is listed by F1: room for the keys that matter

    def on_mount(self) -> None:
        self.query_one("#export-md", Button).focus()

    def _export(self, fmt: str) -> None:
        def chosen(value: tuple[str, str] | None) -> None:
            if value:
                self.wapp.export(*value)

        self.app.push_screen(ExportDialog(self.wapp.session.name, fmt), chosen)

    @on(Button.Pressed, "#export-md")
    def _md(self) -> None:
        self._export("md")

    @on(Button.Pressed, "#export-sh")
    def _sh(self) -> None:
        self._export("sh")

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss(None)
