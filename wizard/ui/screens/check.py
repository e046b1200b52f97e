""""Check my cluster": `ha-wizard check` inside the app — the same probes and the same table per section.

The probes run in a thread worker (blocking SSH); unknown host keys are asked with the app's dialog, as
the sections do. Nothing on the nodes changes (see wizard/run/check.py).
"""

from __future__ import annotations

import threading
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Header, Static
from textual.worker import Worker, WorkerState

from wizard.ui.screens.base import WizardScreen

# The app's engine options that are connection settings, under the names check_cluster takes.
_OPTIONS = ("identity_files", "known_hosts", "ssh_password", "connect_timeout", "pins", "trust_new_hosts")


class CheckScreen(WizardScreen):
    HELP_KEY = "help.check"
    BINDINGS = [
        Binding("escape", "back", "bind.back"),
        Binding("ctrl+r", "recheck", "bind.recheck"),
    ]

    def __init__(self, answers: Any = None) -> None:
        super().__init__()
        self.answers = answers
        self.report: Any = None
        self.error = ""
        self.done_probes = 0
        self.total_probes = 0
        self.cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="check"):
            yield Static(self.t("checkscr.heading"), classes="heading")
            yield Static(self.t("checkscr.intro", source=self.source()), classes="muted")
            yield Static(self.status_text(), id="check-status")
            with Vertical(id="check-results"):
                yield from self.result_widgets()
            with Horizontal(classes="row buttons"):
                yield Button(self.t("checkscr.again"), id="recheck", compact=True)
                yield Button(self.t("btn.back"), id="back", compact=True)
        yield Footer(show_command_palette=False)  # Ctrl+P is listed by F1: room for the keys that matter

    def source(self) -> str:
        app = self.wapp
        if app.session is not None:
            return self.t("checkscr.source_session", name=app.session.name)
        if app.answers_path:
            return self.t("checkscr.source_file", path=app.answers_path)
        return self.t("checkscr.source_defaults")

    def result_widgets(self) -> list[Static]:
        from wizard.run.check import render_tables

        if self.report is None:
            return []
        return [Static(table, classes="check-table") for table in render_tables(self.report, self.wapp.lang)]

    def status_text(self) -> str:
        from wizard.run.check import summary_text

        if self.error:
            return self.error
        if self.report is not None:
            return summary_text(self.report, self.wapp.lang)
        return self.t("checkscr.running", done=self.done_probes, total=self.total_probes or "…")

    def on_mount(self) -> None:
        super().on_mount()
        self.start()

    def on_unmount(self) -> None:
        self.cancel.set()

    def after_relocalize(self) -> None:
        self.query_one("#check-status", Static).set_class(bool(self.error), "error")

    # -- running -------------------------------------------------------------------------------------
    def start(self) -> None:
        if any(w.name == "check" and w.is_running for w in self.workers):
            return
        self.report, self.error, self.done_probes = None, "", 0
        self.cancel = threading.Event()
        answers = self.answers or (self.wapp.session.answers if self.wapp.session is not None
                                   else self.wapp.base_answers())
        self.refresh_results()
        self.run_worker(lambda: self.work(answers), thread=True, name="check", exclusive=True)

    def work(self, answers: Any) -> Any:
        """Worker thread: validate, then run every probe (bounded by their timeouts) and grade."""
        from steps.checks import build
        from steps.profiles import get_profile
        from wizard.base.validation import validate
        from wizard.run.check import check_cluster

        problems = validate(answers)
        if problems:
            raise ValueError(self.t("checkscr.bad_answers", problems="; ".join(p.line(self.wapp.lang)
                                                                             for p in problems)))
        self.total_probes = len(build(answers, get_profile(answers.profile)).probes)
        options = {k: v for k, v in self.wapp.engine_options.items() if k in _OPTIONS}

        def progress(probe: Any, result: Any) -> None:
            self.done_probes += 1
            self.app.call_from_thread(self.update_status)

        return check_cluster(answers, confirm_host_key=self.wapp.confirm_host_key, on_probe=progress,
                             state_root=self.wapp.state_root, cancel=self.cancel, **options)

    def update_status(self) -> None:
        self.query_one("#check-status", Static).update(self.status_text())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "check":
            return
        if event.state == WorkerState.SUCCESS:
            self.report = event.worker.result
        elif event.state == WorkerState.ERROR:
            self.error = str(event.worker.error)
        else:
            return
        self.refresh_results()

    def refresh_results(self) -> None:
        status = self.query_one("#check-status", Static)
        status.update(self.status_text())
        status.set_class(bool(self.error), "error")
        results = self.query_one("#check-results", Vertical)
        results.remove_children()
        results.mount_all(self.result_widgets())

    # -- actions -------------------------------------------------------------------------------------------
    @on(Button.Pressed, "#recheck")
    def action_recheck(self) -> None:
        self.start()

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.cancel.set()
        self.app.pop_screen()
