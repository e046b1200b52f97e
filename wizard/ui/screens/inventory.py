"""Inventory: the topology as an editable form, validated as the user types; password; connection check."""

from __future__ import annotations

import copy
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static

from wizard.base.answers import Answers, Server
from wizard.base.fields import SECRET_HACLUSTER, FieldSpec, get_value, inventory_fields, set_value
from wizard.run.inventory import NodeCheck, suggested_profile
from wizard.ui.screens.base import WizardScreen
from wizard.ui.widgets.fields import FieldGridRow, FieldRow, GridHeader, field_id
from wizard.ui.widgets.panels import CheckTable


def group_title(screen: WizardScreen, group: str, answers: Answers) -> str:
    if group.startswith("director:"):
        i = int(group.split(":")[1])
        return screen.t("inv.director", n=i + 1, name=answers.directors[i].name)
    if group.startswith("server:"):
        i = int(group.split(":")[1])
        return screen.t("inv.server", n=i + 1, name=answers.servers[i].name)
    return screen.t(f"inv.{group}")


class InventoryScreen(WizardScreen):
    """`session_name` set: a new session; otherwise the current session's answers are edited."""

    HELP_KEY = "help.inventory"
    BINDINGS = [Binding("escape", "back", "bind.back"), Binding("ctrl+s", "next", "bind.next")]

    def __init__(self, answers: Answers, session_name: str | None = None) -> None:
        super().__init__()
        self.answers = copy.deepcopy(answers)
        self.session_name = session_name
        self.specs: dict[str, FieldSpec] = {}
        self.raw: dict[str, str] = {}  # typed text that is not stored (an int field with letters)
        self.parse_errors: dict[str, str] = {}
        self.problems: dict[str, str] = {}
        self.general: list[str] = []
        self.checks: list[NodeCheck] = []
        self.trusted: list[tuple[str, str, str, str, str]] = []
        self.detected: str | None = None

    # -- layout ------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="inventory"):
            yield Static(self.t("inv.title"), classes="heading")
            yield Static(self.t("inv.intro"), classes="muted")
            yield Static("", id="inv-summary")
            # The password first: the one value a student must type (the others start as the guide's); it
            # was the 70th field down the form.
            yield Label(self.t("inv.secret"), classes="group-title")
            if self.wapp.secrets.get(SECRET_HACLUSTER):  # given already (earlier, or the environment)
                yield Static("••••••••", classes="muted")
            else:
                with Horizontal(classes="field-line"):
                    yield Label(self.t("inv.password"), classes="field-label")
                    yield Input(password=True, id="pw1", compact=True)
                with Horizontal(classes="field-line"):
                    yield Label(self.t("inv.password2"), classes="field-label")
                    yield Input(password=True, id="pw2", compact=True)
                yield Static("", id="pw-error", classes="error")
            self.specs = {}
            specs = inventory_fields(self.answers)
            for spec in specs:
                self.specs[field_id(spec.path)] = spec
            group = None
            for spec in specs:
                if spec.group.startswith(("director:", "server:")):
                    kind = spec.group.split(":")[0]
                    if group != kind:
                        group = kind
                        yield from self.host_table(kind, [s for s in specs if s.group.startswith(kind + ":")])
                    continue
                if spec.group != group:
                    group = spec.group
                    yield Label(group_title(self, group, self.answers), classes="group-title")
                value = self.raw.get(spec.path, get_value(self.answers, spec.path))
                yield FieldRow(spec, self.t(spec.label_key), value)
            yield Label(self.t("inv.conn_title"), classes="group-title", id="conn-title")
            yield Static(self.t("inv.conn_none"), id="conn-status", classes="muted")
            yield CheckTable(id="conn")
            with Horizontal(classes="row buttons"):
                yield Button(self.t("inv.check"), id="check", compact=True)
                yield Button(self.t("inv.use_detected"), id="use-detected", compact=True, disabled=True)
        with Horizontal(id="nav"):
            yield Button(self.t("btn.back"), id="back", compact=True)
            label = "inv.next" if self.session_name else "inv.save"
            yield Button(self.t(label), id="next", variant="primary", compact=True)
        yield Footer(show_command_palette=False)  # Ctrl+P is listed by F1: room for the keys that matter

    def host_table(self, kind: str, specs: list[FieldSpec]) -> ComposeResult:
        """Directors or servers as a table: one row per field, one column per host."""
        hosts = self.answers.directors if kind == "director" else self.answers.servers
        columns = [h.name or "?" for h in hosts]
        yield GridHeader(self.t("inv.directors" if kind == "director" else "inv.servers"), columns)
        leaves: list[str] = []
        for spec in specs:
            leaf = spec.path.rsplit(".", 1)[1]
            if leaf not in leaves:
                leaves.append(leaf)
        for leaf in leaves:
            cells = [s for s in specs if s.path.rsplit(".", 1)[1] == leaf]
            values = [self.raw.get(c.path, get_value(self.answers, c.path)) for c in cells]
            yield FieldGridRow(cells, self.t(cells[0].label_key), values, columns)
        if kind == "server":
            with Horizontal(classes="row buttons"):
                yield Button(self.t("inv.add_server"), id="add-server", compact=True)
                yield Button(self.t("inv.del_server"), id="del-server", compact=True,
                             disabled=len(self.answers.servers) <= 1)

    def on_mount(self) -> None:
        self.setup_conn_table()
        self.revalidate()
        if self.session_name is not None and self.query("#pw1"):
            self.query_one("#pw1", Input).focus()  # a new session: the password is what is missing

    def after_relocalize(self) -> None:
        self.setup_conn_table()
        self.revalidate()

    def setup_conn_table(self) -> None:
        table = self.query_one("#conn", CheckTable)
        table.set_headers([self.t(key) for key in ("col.node", "col.address", "col.fingerprint", "col.system",
                                                   "col.result")])
        for check in self.checks:
            self.add_check_row(check)

    # -- validation ----------------------------------------------------------------------------------
    def revalidate(self) -> list[str]:
        """Run the lead's validation over the whole form; show each problem next to its field."""
        from wizard.base.validation import validate

        problems = validate(self.answers)
        by_field: dict[str, list[str]] = {}
        for p in problems:
            by_field.setdefault(p.field, []).append(p.text(self.wapp.lang))
        for path, message in self.parse_errors.items():
            by_field[path] = [message]
        joined = {f: "; ".join(m) for f, m in by_field.items()}
        shown = set()
        for row in self.query(FieldRow):
            row.show_error(joined.get(row.spec.path))
            shown.add(row.spec.path)
        for grid in self.query(FieldGridRow):
            grid.show_errors(joined)
            shown.update(s.path for s in grid.specs)
        # Problems of no single input ("directors", "servers") go to the summary.
        self.general = [f"{f}: {'; '.join(m)}" for f, m in by_field.items() if f not in shown]
        pw_problem = self.password_problem(typing=True)
        if pw_problem:
            self.general.append(f"{self.t('inv.secret')}: {pw_problem}")
        total = len(by_field) + (1 if pw_problem else 0)
        summary = self.query_one("#inv-summary", Static)
        text = self.t("inv.errors", n=total) if total else self.t("inv.ok")
        if self.general:
            text += "\n" + "\n".join(self.general)
        summary.update(text)
        summary.set_class(bool(total), "error")
        summary.set_class(not total, "ok")
        self.problems = {f: "; ".join(m) for f, m in by_field.items()}
        return list(self.problems)

    def password_problem(self, typing: bool = False) -> str | None:
        """What is wrong with the password fields; `typing`: while the form is filled in, an empty
        password is not yet a problem (the two that differ are)."""
        if not self.query("#pw1") or not self.query("#pw2"):
            return None  # given already (earlier, or the environment)
        pw1 = self.query_one("#pw1", Input).value
        pw2 = self.query_one("#pw2", Input).value
        if not pw1:
            if self.session_name is None or typing:
                return None  # editing a running session: keep the password already given (or ask later)
            return self.t("inv.pw_empty")
        if pw1 != pw2:
            return self.t("inv.pw_mismatch")
        return None

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.id in ("pw1", "pw2"):
            self.query_one("#pw-error", Static).update(self.password_problem(typing=True) or "")
            self.revalidate()
            return
        spec = self.specs.get(event.input.id or "")
        if spec is None:
            return
        problem = set_value(self.answers, spec.path, event.value, spec.kind)
        if problem:
            self.parse_errors[spec.path] = self.t("inv.not_int", value=event.value)
            self.raw[spec.path] = event.value
        else:
            self.parse_errors.pop(spec.path, None)
            self.raw.pop(spec.path, None)
        self.revalidate()

    @on(Select.Changed)
    def _choice(self, event: Select.Changed) -> None:
        spec = self.specs.get(event.select.id or "")
        if spec is not None and isinstance(event.value, str):
            set_value(self.answers, spec.path, event.value, spec.kind)
            self.revalidate()

    # -- servers ---------------------------------------------------------------------------------
    @on(Button.Pressed, "#add-server")
    async def _add_server(self) -> None:
        n = len(self.answers.servers)
        last = self.answers.servers[-1] if self.answers.servers else None
        name = f"cluster{n + 2}"
        ip = ""
        if last is not None:
            head, _, tail = last.ip.rpartition(".")
            ip = f"{head}.{int(tail) + 1}" if tail.isdigit() else ""
        self.answers.servers.append(Server(name=name, vm=name, ip=ip, ifname=last.ifname if last else "enp0s3"))
        await self.rebuild()

    @on(Button.Pressed, "#del-server")
    async def _del_server(self) -> None:
        if len(self.answers.servers) > 1:
            i = len(self.answers.servers) - 1
            self.answers.servers.pop()
            for store in (self.raw, self.parse_errors):
                for key in [k for k in store if k.startswith(f"servers[{i}]")]:
                    del store[key]
            await self.rebuild()

    # -- connection check ------------------------------------------------------------------------
    def add_check_row(self, check: NodeCheck) -> None:
        table = self.query_one("#conn", CheckTable)
        result = self.t("status.ok") if check.ok else check.error.get(self.wapp.lang)
        system = check.system + (f", pcs {check.pcs}" if check.pcs else "")
        if check.profile:
            system += f" → {check.profile}"
        # The address column says which way the node is reached (a port forward, direct, through a director).
        table.add_row(check.node, check.reach or check.address, check.fingerprint or "—", system or "—", result,
                      ok=check.ok)

    @on(Button.Pressed, "#check")
    def _check(self) -> None:
        if self.problems:
            self.notify(self.t("inv.cannot"), severity="warning")
            return
        self.checks = []
        self.setup_conn_table()
        self.query_one("#conn-status", Static).update(self.t("inv.conn_running"))
        self.query_one("#check", Button).disabled = True
        self.run_check(copy.deepcopy(self.answers))

    @work(thread=True, exclusive=True, group="conncheck")
    def run_check(self, answers: Answers) -> None:
        from wizard.run.inventory import check_connections

        app = self.wapp
        try:
            opts = app.engine_options
            checks, trusted = check_connections(
                answers, app.confirm_host_key, app.state_root,
                on_result=lambda c: app.call_from_thread(self.add_check_row, c),
                identity_files=opts.get("identity_files", ()), known_hosts=opts.get("known_hosts", ()),
                ssh_password=opts.get("ssh_password"), lang=app.lang)
        except Exception as exc:  # noqa: BLE001 - an engine that is not there yet, paramiko missing...
            app.call_from_thread(self.check_done, [], [], self.t("inv.conn_unavailable", error=exc))
            return
        app.call_from_thread(self.check_done, checks, trusted, "")

    def check_done(self, checks: list[NodeCheck], trusted: list[Any], error: str) -> None:
        self.checks = checks
        self.trusted = trusted
        self.query_one("#check", Button).disabled = False
        self.detected = suggested_profile(checks)
        status = self.query_one("#conn-status", Static)
        if error:
            status.update(error)
        else:
            status.update(self.conn_summary())
        self.query_one("#use-detected", Button).disabled = not self.detected or self.detected == self.answers.profile

    def conn_summary(self) -> str:
        """How many nodes answered, and the profile found or why "Use it" is off: said on screen."""
        failed = sum(not c.ok for c in self.checks)
        n = len(self.checks)
        lines = [self.t("inv.conn_summary_failed", ok=n - failed, n=n, failed=failed) if failed
                 else self.t("inv.conn_summary", ok=n, n=n)]
        if not self.detected:
            lines.append(self.t("inv.use_why_none"))
        elif self.detected == self.answers.profile:
            lines.append(self.t("inv.use_why_same", profile=self.detected))
        else:
            lines.append(self.t("inv.detected_use", profile=self.detected))
        return "\n".join(lines)

    @on(Button.Pressed, "#use-detected")
    def _use_detected(self) -> None:
        if self.detected:
            self.query_one(f"#{field_id('profile')}", Select).value = self.detected

    # -- navigation ------------------------------------------------------------------------------
    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        problems = self.revalidate()
        pw_problem = self.password_problem()
        if self.query("#pw-error"):
            self.query_one("#pw-error", Static).update(pw_problem or "")
        if problems or pw_problem:
            self.notify(self.t("inv.cannot"), severity="error")
            for spec in self.specs.values():
                if spec.path in self.problems:
                    self.query_one(f"#{field_id(spec.path)}").focus()
                    break
            else:
                if pw_problem:
                    self.query_one("#pw1", Input).focus()
            return
        if self.query("#pw1") and self.query_one("#pw1", Input).value:
            self.wapp.set_secret(SECRET_HACLUSTER, self.query_one("#pw1", Input).value)
        self.wapp.inventory_done(self.answers, self.session_name, self.trusted)
