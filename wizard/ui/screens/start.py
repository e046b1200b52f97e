"""First screen: resume a session (the default when there is one), start a new one, load an answers
file, delete a session; language buttons."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Static

from wizard.base.i18n import t
from wizard.ui.screens.base import WizardScreen
from wizard.ui.screens.check import CheckScreen
from wizard.ui.screens.dialogs import ConfirmDialog


def short_time(stamp: str) -> str:
    """'2026-11-21T10:30:00.000+00:00' -> '21/11 10:30' (the year is this year's: room at 80 columns)."""
    if len(stamp) < 16:
        return stamp
    return f"{stamp[8:10]}/{stamp[5:7]} {stamp[11:16]}"


class StartScreen(WizardScreen):
    HELP_KEY = "help.start"
    BINDINGS = [
        Binding("ctrl+n", "new", "start.new"),
        Binding("delete", "delete", "start.delete"),
        # Shown here (the app's own Ctrl+Q is out of every footer): the first screen says how to leave.
        Binding("ctrl+q", "quit_app", "bind.quit", priority=True),
    ]

    def compose(self) -> ComposeResult:
        app = self.wapp
        yield Header()
        with VerticalScroll(id="start"):
            yield Static(self.t("start.heading"), classes="heading")
            yield Static(self.t("start.intro"), classes="muted")
            # The sessions first: resuming is what a returning student does (Enter on the list).
            yield Label(self.t("start.sessions"), classes="group-title", id="sessions-title")
            yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="row buttons", id="session-buttons"):
                yield Button(self.t("start.resume"), id="resume", variant="primary", compact=True)
                yield Button(self.t("start.delete_btn"), id="delete", variant="error", compact=True)
            yield Label(self.t("start.new"), classes="group-title")
            with Horizontal(classes="row"):
                yield Label(self.t("start.name"), classes="row-label")
                yield Input(app.suggest_session_name(), id="session-name", compact=True)
                yield Button(self.t("start.create"), id="new", compact=True)
            yield Static("", id="name-error", classes="error")
            with Horizontal(classes="row"):
                yield Label(self.t("start.answers_file"), classes="row-label")
                yield Input(app.answers_path or "", id="answers-path", placeholder="my-lab.toml", compact=True)
                yield Button(self.t("start.load"), id="load", compact=True)
            yield Static(self.answers_status(), id="answers-status", classes="muted")
            with Horizontal(classes="row buttons"):
                yield Button(self.t("start.check"), id="check", compact=True)
                yield Button("Español", id="lang-es", compact=True)
                yield Button("English", id="lang-en", compact=True)
        yield Footer(show_command_palette=False)  # Ctrl+P is listed by F1: room for the keys that matter

    def answers_status(self) -> str:
        app = self.wapp
        if app.answers_error:
            return app.answers_error
        if app.answers_path:
            return self.t("start.loaded", path=app.answers_path)
        return self.t("start.defaults")

    def on_mount(self) -> None:
        self.fill_sessions()
        self.focus_default()

    def after_relocalize(self) -> None:
        self.fill_sessions()
        self.focus_default()

    async def on_screen_resume(self) -> None:
        # Back from a session (Esc, or its end): its progress and status changed since the list was made
        # (a run, an undo), and a new session may be there. Localized's handler rebuilds on a new language.
        if self.built_lang == self.wapp.lang and not self.stale:
            self.fill_sessions()

    def focus_default(self) -> None:
        """The sessions list when there is a session (Enter resumes the latest), else the new name."""
        table = self.query_one("#sessions", DataTable)
        if table.row_count:
            table.focus()
        else:
            self.query_one("#session-name", Input).focus()

    def fill_sessions(self) -> None:
        table = self.query_one("#sessions", DataTable)
        table.clear(columns=True)
        for key in ("col.name", "col.profile", "col.last", "col.progress", "col.status", "col.updated"):
            table.add_column(self.t(key), key=key)
        sessions = self.wapp.sessions()
        for s in sessions:
            updated = short_time(s.updated)
            table.add_row(s.name, s.profile, s.last_action or "—", s.progress,
                          t(f"sstatus.{s.status}", self.wapp.lang), updated, key=s.name)
        for widget in ("#sessions", "#session-buttons", "#sessions-title"):
            self.query_one(widget).display = bool(sessions)
        if not sessions:
            self.query_one("#answers-status", Static).update(
                self.answers_status() + "\n" + self.t("start.no_sessions"))

    def selected_session(self) -> str | None:
        table = self.query_one("#sessions", DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    @on(Input.Submitted, "#session-name")
    @on(Button.Pressed, "#new")
    def _new(self) -> None:
        name = self.query_one("#session-name", Input).value.strip()
        problem = self.wapp.check_new_session_name(name)
        self.query_one("#name-error", Static).update(problem or "")
        if problem is None:
            self.wapp.open_inventory_new(name)

    def action_new(self) -> None:
        """Ctrl+N: to the new session's name (Enter there, or the button, goes on to the inventory)."""
        self.query_one("#session-name", Input).focus()

    @on(Input.Submitted, "#answers-path")
    @on(Button.Pressed, "#load")
    def _load(self) -> None:
        path = self.query_one("#answers-path", Input).value.strip()
        self.wapp.load_answers_file(path)
        status = self.query_one("#answers-status", Static)
        status.update(self.answers_status())
        status.set_class(bool(self.wapp.answers_error), "error")

    @on(DataTable.RowSelected, "#sessions")
    def _resume_row(self, event: DataTable.RowSelected) -> None:
        self.wapp.resume_session(str(event.row_key.value))

    @on(Button.Pressed, "#resume")
    def _resume(self) -> None:
        name = self.selected_session()
        if name is None:
            self.notify(self.t("start.pick_session"))
            return
        self.wapp.resume_session(name)

    @on(Button.Pressed, "#delete")
    def action_delete(self) -> None:
        name = self.selected_session()
        if name is None:
            self.notify(self.t("start.pick_session"))
            return

        def answer(ok: bool | None) -> None:
            if ok:
                self.wapp.delete_session(name)
                self.fill_sessions()
                self.query_one("#session-name", Input).value = self.wapp.suggest_session_name()
                self.focus_default()

        self.app.push_screen(ConfirmDialog(self.t("start.delete_q", name=name), "start.delete_btn",
                                           danger=True), answer)

    async def action_quit_app(self) -> None:
        await self.app.action_quit()

    @on(Button.Pressed, "#check")
    def _check(self) -> None:
        self.app.push_screen(CheckScreen())

    @on(Button.Pressed, "#lang-es")
    async def _es(self) -> None:
        await self.wapp.set_lang("es")

    @on(Button.Pressed, "#lang-en")
    async def _en(self) -> None:
        await self.wapp.set_lang("en")
