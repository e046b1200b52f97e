"""A section's keys and buttons: what each does, when it is offered."""

from __future__ import annotations

from typing import Any

from textual.widgets import Button, DataTable

from wizard.ui.screens.dialogs import EditCommandDialog, UndoDialog
from wizard.ui.widgets.panels import Sidebar

# The keys that start something: hidden while something runs or when there is no engine.
RUN_ACTIONS = ("run_next", "run_section", "skip", "edit", "retry", "rerun_stale", "undo")


class SectionKeys:
    """A mixin of the section screen (section.py): its keys and buttons, what each does, when it is offered."""

    wapp: Any
    section_id: str
    actions: list[Any]

    # -- buttons and bindings ------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # False hides the key from the footer (room at 80 columns): Stop only while something runs,
        # the run and move keys only while nothing does.
        busy = self.wapp.busy
        if action in RUN_ACTIONS:
            if busy:
                return False
            return None if self.wapp.engine is None else True
        if action == "stop":
            return busy
        if action in ("back", "next_section", "inventory"):
            return not busy
        return True

    def update_buttons(self) -> None:
        busy = self.wapp.busy
        no_engine = self.wapp.engine is None
        for name in RUN_ACTIONS:
            for button in self.query(f"#btn-{name}").results(Button):
                button.disabled = busy or no_engine
        self.query_one("#btn-stop", Button).disabled = not busy
        self.update_footer()

    def guard(self) -> bool:
        """True when an action cannot start now (and says why)."""
        if self.wapp.busy:
            self.notify(self.t("sec.busy"), severity="warning")
            return True
        if self.wapp.engine is None:
            self.notify(self.t("sec.no_engine", error=self.wapp.engine_error), severity="error")
            return True
        return False

    def _run_pending(self, mode: str) -> None:
        if self.guard():
            return
        action = self.wapp.engine.next_pending(self.section_id)
        if action is None and mode == "section" and getattr(self.module, "RERUN", False) and self.actions:
            action = self.actions[0]  # checks run again: they tell how things are now
        if action is None:
            self.notify(self.t("sec.none_left"))
            return
        self.start(action, mode)

    def action_run_next(self) -> None:
        self._run_pending("one")

    def action_run_section(self) -> None:
        self._run_pending("section")

    def action_skip(self) -> None:
        if self.guard():
            return
        action = self.selected()
        if action is None:
            return
        self.wapp.engine.skip(action.id)
        self.refresh_statuses()
        self.after_skip()

    def after_skip(self) -> None:
        """The cursor to what is next; the offer of the next section when nothing is left."""
        nxt = self.next_index()
        if nxt is not None:
            self.query_one("#actions", DataTable).move_cursor(row=nxt)
        self.show_selected()
        self.show_stale()

    def action_edit(self) -> None:
        if self.guard():
            return
        action = self.selected()
        if action is None:
            return
        rec = self.wapp.record(action.id)
        current = rec.command_run if rec is not None and rec.edited and rec.command_run else action.command

        def edited(text: str | None) -> None:
            if text is None or not text.strip():
                return
            self.start(action, "one", command=None if text == action.command else text)

        self.app.push_screen(EditCommandDialog(action.label(self.wapp.lang), current), edited)

    def action_retry(self) -> None:
        if self.guard():
            return
        action = self.selected()
        if action is not None:
            self.start(action, "one")

    def action_stop(self) -> None:
        if self.wapp.busy:
            self.wapp.stop_running()

    def action_back(self) -> None:
        """Esc: back to the start screen (the session is kept; resuming comes back here)."""
        self.wapp.go_start()

    def action_next_section(self) -> None:
        nxt = self.wapp.next_section(self.section_id)
        if nxt is None:
            if self.wapp.guide_complete():
                self.wapp.show_complete()
            else:
                self.notify(self.t("sec.last_section"))
            return
        self.wapp.goto_section(nxt, warn=False)

    def action_undo(self) -> None:
        """Back to the snapshot ("back to preHA"): every VM powered off, restored and started again."""
        from wizard.run.undo import UndoError, undo_preview

        if self.guard():
            return
        app = self.wapp
        try:
            preview = undo_preview(app.engine)
        except UndoError as exc:
            self.notify(exc.msg.get(app.lang), severity="error")
            return
        titles = [f"{app.section_number(s)}. {app.section(s)[0].TITLE.get(app.lang)}" for s in preview.sections]

        def answer(go: bool | None) -> None:
            if go:
                self.launch(None, "undo")

        self.app.push_screen(UndoDialog(preview, titles, app.dark_theme), answer)

    def action_rerun_stale(self) -> None:
        if self.guard():
            return
        stale = self.stale_actions()
        if stale:
            self.start(stale[0], "stale")

    def action_sidebar(self) -> None:
        """b: to the list of sections (shown again if it was hidden); Enter there opens one."""
        sidebar = self.query_one(Sidebar)
        sidebar.display = True
        sidebar.focus()

    def action_toggle_sidebar(self) -> None:
        """Ctrl+B: hide the sections for room (80 columns), or show them again."""
        sidebar = self.query_one(Sidebar)
        sidebar.display = not sidebar.display
        if not sidebar.display and self.focused is sidebar:
            self.focus_actions()

    def action_inventory(self) -> None:
        if self.guard():
            return
        self.wapp.open_inventory_edit()

    def index_of(self, action_id: str, default: int | None = 0) -> int | None:
        for i, a in enumerate(self.actions):
            if a.id == action_id:
                return i
        return default
