"""The section screen's running half: what to ask before an action runs (a secret, a step by hand), the
engine in a thread worker, its events shown as they come, and what happens when the worker ends."""

from __future__ import annotations

from functools import partial
from typing import Any

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from wizard.base.i18n import Msg, msg, pick
from wizard.run.events import ActionFinished, ActionStarted, OutputLine, PlanChanged, Reconnecting
from wizard.session.progress import DONE_STATUSES, STATUS_ICONS
from wizard.ui.screens.dialogs import ConfirmDialog, ManualDialog, PasswordDialog
from wizard.ui.widgets.output import OutputLog
from wizard.ui.widgets.panels import FailurePanel, Sidebar


class EngineEvent(Message, bubble=False):
    """An engine event, carried from the engine's thread into the screen's message queue."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


class SectionRunning:
    """Mixed into SectionScreen (which provides the widgets, `wapp`, `actions`, `module` and the helpers
    named below)."""

    section_id: str
    status_width: int
    actions: list[Any]
    module: Any
    log_history: list[tuple[Text, Text]]

    # -- starting work -------------------------------------------------------------------------------
    def start(self, action: Any, mode: str, command: str | None = None) -> None:
        """Ask what is missing (secret, a by-hand step), then run in a thread worker."""
        app = self.wapp
        needed = list(action.secrets)
        if mode == "stale":
            needed += [n for a in self.stale_actions() for n in a.secrets if n not in needed]
        if mode == "section":
            needed += [n for n in app.engine.needed_secrets([self.section_id]) if n not in needed]
        missing = [n for n in needed if not app.secrets.get(n)]
        if missing:
            def got(value: str | None) -> None:
                if value:
                    for name in missing:
                        app.set_secret(name, value)
                    self.start(action, mode, command)

            self.app.push_screen(PasswordDialog(action.id), got)
            return
        if action.kind == "manual" and action.id not in app.manual_confirmed:
            def done(answer: str | None) -> None:
                if answer == "done":
                    app.manual_confirmed.add(action.id)
                    self.launch(action.id, mode, command)
                elif answer == "skip":  # not needed, or done some other way: the section goes on without it
                    app.engine.skip(action.id)
                    self.refresh_statuses()
                    if mode == "section" and app.engine.next_pending(self.section_id) is not None:
                        self.launch(None, "section")
                    else:
                        self.after_skip()

            self.app.push_screen(ManualDialog(action, app.lang, app.dark_theme), done)
            return
        self.launch(action.id, mode, command)

    def launch(self, action_id: str | None, mode: str, command: str | None = None) -> None:
        app = self.wapp
        app.busy = True
        app.stop_requested.clear()
        app.event_target = self
        self.query_one("#failure", FailurePanel).hide()
        self.update_buttons()
        self.run_worker(partial(self.work, action_id, mode, command), thread=True, name="engine",
                        group="engine", exit_on_error=False)

    def work(self, action_id: str | None, mode: str, command: str | None) -> tuple[str, str | None]:
        """Runs in a worker thread: only engine calls here, results go back through the worker."""
        app = self.wapp
        engine = app.engine
        if mode == "undo":
            from wizard.run.undo import run_undo

            result = run_undo(engine)
            if app.stop_requested.is_set():
                return "stopped", result.failed or None
            return ("undone", result.sections[0] if result.sections else None) if result.ok \
                else ("undo_failed", result.failed)
        if mode == "stale":  # the done actions that used changed values, in plan order, once each
            for action in self.stale_actions():
                status = engine.run_action(action.id, force=True)
                if app.stop_requested.is_set():
                    return "stopped", action.id
                if status == "failed":
                    return "failed", action.id
            return "stale_done", None
        if mode == "section" and command is None and getattr(self.module, "KEEP_GOING", False):
            # Checks: every one runs, failures included; the checklist shows them all.
            ok = engine.run_section(self.section_id, rerun=True)  # asked for: every check again
            if app.stop_requested.is_set():
                return "stopped", None
            failed = next((a.id for a in engine.section_actions(self.section_id)
                           if app.status(a.id) == "failed"), None)
            return ("done", None) if ok else ("checked", failed)
        if action_id is not None:
            status = engine.run_action(action_id, command)
            if app.stop_requested.is_set():
                return "stopped", action_id
            if status == "failed":
                return "failed", action_id
            if mode == "one":
                return status, action_id
        for _ in range(len(self.actions) + 1):  # bounded: each turn finishes one action or returns
            if app.stop_requested.is_set():
                return "stopped", None
            nxt = engine.next_pending(self.section_id)
            if nxt is None:
                return "done", None
            if nxt.kind == "manual" and nxt.id not in app.manual_confirmed:
                return "manual", nxt.id
            if any(not app.secrets.get(n) for n in nxt.secrets):
                return "secret", nxt.id
            status = engine.run_action(nxt.id)
            if app.stop_requested.is_set():
                return "stopped", nxt.id
            if status == "failed":
                return "failed", nxt.id
        return "done", None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "engine" or event.state not in (
                WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        app = self.wapp
        app.busy = False
        result: tuple[str, str | None] = ("error", None)
        if event.state == WorkerState.SUCCESS and event.worker.result:
            result = event.worker.result
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            # A checkpoint that could not be saved (StateError) says so in the user's language.
            text = error.text(app.lang) if hasattr(error, "text") else str(error)
            self.notify(text, severity="error", timeout=10)
        if app.worker_finished(result):
            return  # the app is quitting
        self.refresh_statuses()
        self.update_buttons()
        outcome, action_id = result
        table = self.query_one("#actions", DataTable)
        if outcome == "failed" and action_id is not None:
            table.move_cursor(row=self.index_of(action_id))
            self.show_selected()
            # The "has failed" box is below the table and the card: at 80x24 it was under the fold.
            self.call_after_refresh(self.show_failure_box)
            self.notify(self.t("sec.stopped_fail", action=action_id), severity="error")
            return
        if outcome == "checked":
            if action_id is not None:
                table.move_cursor(row=self.index_of(action_id))
            self.show_selected()
            self.notify(self.t("sec.checks_failed"), severity="error")
            return
        if outcome in ("manual", "secret") and action_id is not None:
            table.move_cursor(row=self.index_of(action_id))
            self.start(self.actions[self.index_of(action_id)], "section")
            return
        if outcome == "undone":
            self.notify(self.t("undo.app_done", snapshot=app.session.answers.snapshot_name), timeout=10)
            if action_id is not None:
                app.goto_section(action_id, warn=False)  # the first section undone: where to go on
            return
        if outcome == "undo_failed":
            rec = app.record(action_id) if action_id else None
            error = pick(rec.error, rec.error_es, app.lang) if rec is not None else ""
            self.notify(self.t("undo.failed", action=action_id) + (f" — {error}" if error else ""),
                        severity="error", timeout=15)
            return
        if outcome == "stopped":
            self.notify(self.t("sec.cancelled"), severity="warning")
        nxt = self.next_index()
        if nxt is not None:
            table.move_cursor(row=nxt)
        self.show_selected()
        self.show_stale()
        if outcome != "stopped" and nxt is None and app.section_state(self.section_id) == "ok":
            self.offer_next()

    def show_failure_box(self) -> None:
        failure = self.query_one("#failure", FailurePanel)
        if failure.display:
            self.query_one("#main").scroll_to_widget(failure, animate=False, top=True)

    def offer_next(self) -> None:
        """The section is done: the guide complete, or on to the next section (Enter) or stay (Esc)."""
        app = self.wapp
        if app.guide_complete():
            app.show_complete()
            return
        nxt = app.next_section(self.section_id)
        if nxt is None:
            return
        module, _ = app.section(nxt)
        message = self.t("sec.offer_next", done=self.module.TITLE.get(app.lang), n=app.section_number(nxt),
                         title=module.TITLE.get(app.lang))

        def answer(go: bool | None) -> None:
            if go:
                app.goto_section(nxt, warn=False)

        self.app.push_screen(ConfirmDialog(message, "sec.go_next", no_key="sec.stay", title_key="sec.done_title"),
                             answer)

    # -- engine events -------------------------------------------------------------------------------
    def write_log(self, line: Text | Msg, style: str = "") -> None:
        """One line in both languages (a Text is the same in both); shown in the current one."""
        pair = (line, line) if isinstance(line, Text) else (Text(line.en, style=style), Text(line.es, style=style))
        self.log_history.append(pair)
        if len(self.log_history) > 2000:
            del self.log_history[:500]
        self.query_one("#output", OutputLog).add(pair[1] if self.wapp.lang == "es" else pair[0])

    def on_engine_event(self, message: EngineEvent) -> None:
        ev = message.event
        log = self
        if isinstance(ev, ActionStarted):
            self.set_row(ev.action_id, "running")
            # The card under the table follows what runs (a whole section, a re-run).
            index = self.index_of(ev.action_id, None)
            if index is not None:
                self.query_one("#actions", DataTable).move_cursor(row=index)
            where = ", ".join(ev.nodes)
            log.write_log(Text.assemble(("▶ ", "bold"), (ev.action_id, "bold"), f"  @{where}"))
            if ev.command:
                log.write_log(Text(f"$ {ev.command}", style="cyan"))
        elif isinstance(ev, OutputLine):
            style = {"stderr": "red", "info": "dim italic"}.get(ev.stream, "")
            prefix = f"[{ev.node}] " if ev.node != "local" else ""
            log.write_log(Msg(prefix + ev.text, prefix + (ev.text_es or ev.text)), style)
        elif isinstance(ev, ActionFinished):
            if ev.status in DONE_STATUSES and ev.note != "already done":  # its probe skipping it changes nothing
                self.wapp.up_to_date(ev.action_id)
            self.set_row(ev.action_id, ev.status)
            style = "green" if ev.status in DONE_STATUSES else ("yellow" if ev.status == "stopped" else "red")
            error, note = Msg(ev.error, ev.error_es or ev.error), Msg(ev.note, ev.note_es or ev.note)
            extra = error or note
            head = Msg(f"{STATUS_ICONS.get(ev.status, '')} {ev.action_id}: ", f"{STATUS_ICONS.get(ev.status, '')} "
                       f"{ev.action_id}: ") + msg(f"status.{ev.status}")
            log.write_log(head + " — " + extra if extra else head, style)
            self.query_one("#sec-title", Static).update(self.title_text())
            self.query_one(Sidebar).set_status(self.section_id, self.wapp.section_state(self.section_id))
            self.refresh_figures()
            self.refresh_checklist()
            if ev.action_id == getattr(self.selected(), "id", None):
                self.show_selected()
        elif isinstance(ev, PlanChanged):
            self.plan_changed()
            if self.query("#sec-versions"):
                log.write_log(Msg.raw("ℹ ") + self.versions_msg(), "cyan")
        elif isinstance(ev, Reconnecting):
            log.write_log(Msg.raw("… ") + msg("eng.reconnecting", node=ev.node, address=ev.address,
                                              attempt=ev.attempt), "dim")

    def set_row(self, action_id: str, status: str) -> None:
        from rich.cells import cell_len

        table = self.query_one("#actions", DataTable)
        label = self.status_label(action_id, status)
        if self.status_width and cell_len(label) > self.status_width and action_id in table.rows:
            self.fill_table(keep_cursor=True)  # a longer status than any shown so far: fit the columns again
            return
        try:
            table.update_cell(action_id, "st", STATUS_ICONS.get(status, "·"))
            table.update_cell(action_id, "status", label)
        except Exception:  # noqa: BLE001 - an event of another section's action: nothing to show here
            return

    def refresh_statuses(self) -> None:
        for a in self.actions:
            self.set_row(a.id, self.wapp.status(a.id))
        self.query_one("#sec-title", Static).update(self.title_text())
        sidebar = self.query_one(Sidebar)
        for sid, _, status in self.wapp.sidebar_entries():
            sidebar.set_status(sid, status)
