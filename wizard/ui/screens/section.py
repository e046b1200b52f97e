"""One screen per section: explanation, values, actions with their exact commands, running them."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Collapsible, DataTable, Footer, Header, Input, Label, Select, Static

from wizard.base.fields import field_spec, get_value, inventory_fields, section_field_paths, set_value
from wizard.base.i18n import Msg, msg, plural, status_text
from wizard.session.progress import DONE_STATUSES, STATUS_ICONS
from wizard.ui.screens.base import WizardScreen
from wizard.ui.screens.dialogs import (
    ClashDialog,
    bash,
)
from wizard.ui.screens.inventory import group_title
from wizard.ui.screens.section_keys import SectionKeys
from wizard.ui.screens.section_run import SectionRunning
from wizard.ui.widgets.actions import ActionsTable, fit_widths
from wizard.ui.widgets.checklist import Checklist, check_rows
from wizard.ui.widgets.fields import FieldRow, field_id
from wizard.ui.widgets.figures import FiguresPanel, collect
from wizard.ui.widgets.output import OutputLog
from wizard.ui.widgets.panels import FailurePanel, Sidebar

FOOTER_ACTIONS = ("run_next", "run_section", "skip", "edit", "retry", "stop", "sidebar", "next_section", "back")


class SectionScreen(SectionKeys, SectionRunning, WizardScreen):
    HELP_KEY = "help.section"
    # The footer shows what moves the student on; the action keys are also on the buttons.
    # The footer shows the keys that apply to the selected action (footer_keys): all of them do not fit in
    # 80 columns; F1 lists every one. The others stay bound, only out of the footer.
    BINDINGS = [
        Binding("n", "run_next", "foot.run_next"),
        Binding("s", "run_section", "foot.run_section"),
        Binding("k", "skip", "foot.skip"),
        Binding("e", "edit", "foot.edit"),
        Binding("r", "retry", "foot.retry"),
        Binding("x", "stop", "bind.cancel_run"),
        Binding("b", "sidebar", "foot.sections"),
        Binding("ctrl+n", "next_section", "foot.next_section"),
        Binding("escape", "back", "bind.back"),
        Binding("ctrl+b", "toggle_sidebar", "bind.toggle_sidebar", show=False),
        Binding("i", "inventory", "bind.inventory", show=False),
        Binding("u", "undo", "bind.undo", show=False),
    ]

    def __init__(self, section_id: str) -> None:
        super().__init__(name=section_id)
        self.section_id = section_id
        self.module: Any = None
        self.actions: list[Any] = []
        self.field_answers: Any = None
        self.field_specs: dict[str, Any] = {}
        # The output log in both languages (en, es), replayed after a recompose (language switch).
        self.log_history: list[tuple[Text, Text]] = []

    # -- layout --------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        app = self.wapp
        lang = app.lang
        self.module, self.actions = app.section(self.section_id)
        self.field_answers = copy.deepcopy(app.session.answers)
        yield Header()
        with Horizontal(id="body"):
            yield Sidebar(app.sidebar_entries(), self.section_id)
            with Vertical(id="main-col"):
                with VerticalScroll(id="main"):
                    yield Static(self.title_text(), id="sec-title", classes="heading")
                    errata = list(getattr(self.module, "ERRATA", []) or [])
                    title = self.t("sec.explanation") + (f"  {self.t('sec.errata')}" if errata else "")
                    with Collapsible(title=title, collapsed=True, id="explanation"):
                        if getattr(self.module, "PCS_SYNTAX", False):  # which pcs the commands are written for
                            yield Static(self.versions_text(), id="sec-versions", classes="erratum")
                        yield Static(self.module.EXPLANATION.get(lang), classes="explanation")
                        for erratum in errata:
                            yield Static(f"⚠ {erratum.get(lang)}", classes="erratum")
                    with Collapsible(title=self.t("sec.fields"), collapsed=True, id="fields"):
                        paths = self.field_paths()
                        self.field_specs = {}
                        group = None
                        for path in paths:
                            spec = field_spec(self.field_answers, path)
                            self.field_specs[field_id(path)] = spec
                            if spec.group != group:  # "Externa" twice is the VIP's and the network's: say which
                                group = spec.group
                                yield Label(group_title(self, group, self.field_answers), classes="group-title")
                            yield FieldRow(spec, self.t(spec.label_key), get_value(self.field_answers, path))
                        if paths:
                            yield Button(self.t("sec.fields_apply"), id="apply", compact=True)
                        else:
                            yield Static(self.t("sec.no_fields"), classes="muted")
                    if getattr(self.module, "CHECKLIST", False):  # a section of checks (preflight)
                        yield Checklist(id="checklist")
                    yield ActionsTable(id="actions", cursor_type="row", zebra_stripes=True)
                    yield Static("", id="detail")
                    # What a student does not need to read but may want (the record's names, the probe's command).
                    with Collapsible(title=self.t("sec.details"), collapsed=True, id="detail-more", classes="details"):
                        yield Static("", id="detail-ids", classes="muted")
                    with Horizontal(id="buttons"):
                        yield Button(f"N {self.t('bind.run_next')}", id="btn-run_next", variant="primary", compact=True)
                        yield Button(f"S {self.t('bind.run_section')}", id="btn-run_section", compact=True)
                        yield Button(f"K {self.t('bind.skip')}", id="btn-skip", compact=True)
                        yield Button(f"E {self.t('bind.edit')}", id="btn-edit", compact=True)
                        yield Button(f"R {self.t('bind.retry')}", id="btn-retry", compact=True)
                        yield Button(f"X {self.t('bind.cancel_run')}", id="btn-stop", variant="error", compact=True)
                    with Horizontal(id="stale-box"):
                        yield Static("", id="stale-text")
                        yield Button(self.t("sec.rerun_stale"), id="btn-rerun_stale", variant="warning",
                                     compact=True)
                    yield FailurePanel(id="failure")
                    with Vertical(id="figures-box"):
                        figures = self.figures()
                        if figures:
                            yield FiguresPanel(figures, lang=lang, title_of=self.action_title)
                # Outside the scrolled part: the output stays on screen whatever the size of the rest.
                output = OutputLog(id="output")
                output.border_title = self.t("sec.output")
                yield output
        # Compact: one space between keys, room for the selected action's keys. Ctrl+P is listed by F1.
        yield Footer(show_command_palette=False, compact=True)

    def footer_keys(self) -> set[str]:
        """The actions whose keys the footer shows now: what applies to the selected action."""
        app = self.wapp
        if app.busy:
            return {"stop"}
        shown = {"sidebar", "back"}
        action = self.selected()
        status = app.status(action.id) if action is not None else "ok"
        pending = self.next_index() is not None
        if status in DONE_STATUSES:
            shown.add("retry")  # run it again
        elif status == "pending":
            shown |= {"skip", "edit"}
        else:  # failed, stopped, interrupted: retry it, change it or skip it
            shown |= {"retry", "edit", "skip"}
        if pending and status not in ("failed", "stopped", "running"):
            shown |= {"run_next", "run_section"}
        if not pending:
            shown.add("next_section")
        return shown

    def update_footer(self) -> None:
        shown = self.footer_keys()
        bindings = self._bindings.key_to_bindings
        for key, items in bindings.items():
            fresh = []
            for binding in items:
                if binding.action in FOOTER_ACTIONS:
                    binding = dataclasses.replace(binding, show=binding.action in shown)
                fresh.append(binding)
            bindings[key] = fresh
        self.refresh_bindings()

    def figures(self) -> list[tuple[str, dict[str, Any]]]:
        return collect([(a.id, self.wapp.record(a.id)) for a in self.actions])

    def action_title(self, action_id: str) -> str:
        return self.wapp.action_label(action_id).get(self.wapp.lang)

    def refresh_figures(self) -> None:
        figures = self.figures()
        box = self.query_one("#figures-box", Vertical)
        current = box.query(FiguresPanel)
        if current and current.first().figures == figures:
            return
        box.remove_children()
        if figures:
            box.mount(FiguresPanel(figures, lang=self.wapp.lang, title_of=self.action_title))

    def field_paths(self) -> list[str]:
        editable = {s.path for s in inventory_fields(self.field_answers)}
        uses = getattr(self.module, "USES", None)
        paths = list(uses) if uses else section_field_paths(self.section_id, self.field_answers)
        seen: list[str] = []
        for p in paths:
            if "[*]" in p:
                group = p.split("[", 1)[0]
                expanded = [p.replace("[*]", f"[{i}]") for i in range(len(getattr(self.field_answers, group)))]
            else:
                expanded = [p]
            seen += [e for e in expanded if e in editable and e not in seen]
        return seen

    def versions_msg(self) -> Msg:
        from steps import session_profile

        session = self.wapp.session
        text = session_profile(session.answers, session.profile, session.facts).versions_text()
        return Msg(msg("sec.versions", text=text.en).en, msg("sec.versions", text=text.es).es)

    def versions_text(self) -> str:
        return self.versions_msg().get(self.wapp.lang)

    def refresh_checklist(self) -> None:
        if getattr(self.module, "CHECKLIST", False):
            app = self.wapp
            rows = check_rows(self.actions, app.session.records, app.lang, app.where_short)
            self.query_one("#checklist", Checklist).show(rows, app.lang)

    def plan_changed(self) -> None:
        """A fact found on a node (the pcs version) rewrote the commands: show the new ones."""
        self.module, self.actions = self.wapp.section(self.section_id)
        if self.query("#sec-versions"):
            self.query_one("#sec-versions", Static).update(self.versions_text())
        self.show_selected()

    def title_text(self) -> Text:
        """A Text, not markup: a title with brackets must show as it is."""
        app = self.wapp
        n = app.section_number(self.section_id)
        done = sum(app.status(a.id) in DONE_STATUSES for a in self.actions)
        return Text(f"{n}. {self.module.TITLE.get(app.lang)}  {done}/{len(self.actions)}")

    def on_mount(self) -> None:
        self.wapp.event_target = self  # the engine's events (a skip too) come to the section on screen
        where = self.wapp.session.options.get("ui_action")  # read before the table's cursor moves it
        self.fill_table()
        if where in [a.id for a in self.actions]:  # the action the student was on when the app stopped
            self.query_one("#actions", DataTable).move_cursor(row=self.index_of(where))
            self.show_selected()
        self.query_one("#failure", FailurePanel).hide()
        self.focus_actions()
        self.update_buttons()
        self.show_stale()
        self.maybe_show_clash()

    def after_relocalize(self) -> None:
        self.fill_table()
        log = self.query_one("#output", OutputLog)
        es = self.wapp.lang == "es"
        log.add_all([pair[1] if es else pair[0] for pair in self.log_history])
        self.query_one("#failure", FailurePanel).hide()
        self.update_buttons()
        self.show_stale()
        self.show_selected()

    def fill_table(self, keep_cursor: bool = False) -> None:
        self.refresh_checklist()
        table = self.query_one("#actions", ActionsTable)
        cursor = table.cursor_row
        rows = []
        for a in self.actions:
            status = self.wapp.status(a.id)
            short = a.label(self.wapp.lang)  # the id is in Details and the md record
            if a.kind == "manual":
                short = f"✋ {short}"
            if a.erratum:
                short = f"{short} ⚠"
            rows.append((STATUS_ICONS.get(status, "·"), short, self.wapp.where_short(a),
                         self.status_label(a.id, status), a.id))
        headers = (self.t("col.action"), self.t("col.target"), self.t("col.status"))
        # The labels shown now (set_row fits the columns again when a longer one comes).
        widths = fit_widths(table.size.width, [headers[2], *(r[3] for r in rows)], [headers[1], *(r[2] for r in rows)])
        table.fitted_width = table.size.width if widths else 0
        table.clear(columns=True)
        table.add_column("", key="st", width=1)
        if widths is None:  # not laid out yet: sized to the cells until the first Resized
            table.add_column(headers[0], key="action")
            table.add_column(headers[1], key="where")
            table.add_column(headers[2], key="status")
        else:
            action_w, where_w, status_w = widths
            table.add_column(headers[0], key="action", width=action_w)
            if where_w:
                table.add_column(headers[1], key="where", width=where_w)
            table.add_column(headers[2], key="status", width=status_w)
        self.status_width = widths[2] if widths else 0
        for icon, short, where, label, key in rows:
            # A name longer than its column wraps: the row grows instead of losing the name's end.
            cells = (icon, short, where, label) if widths is None or widths[1] else (icon, short, label)
            table.add_row(*cells, key=key, height=None if widths else 1)
        nxt = self.next_index()
        if keep_cursor and cursor is not None and cursor < len(rows):
            table.move_cursor(row=cursor)
        elif nxt is not None:
            table.move_cursor(row=nxt)
        self.show_selected()

    @on(ActionsTable.Resized)
    def _fit(self) -> None:
        self.fill_table(keep_cursor=True)

    status_width = 0  # the status column's width when fitted (0: sized by DataTable itself)

    def status_label(self, action_id: str, status: str) -> str:
        rec = self.wapp.record(action_id)
        if status == "running" and not self.wapp.busy:
            status = "interrupted"  # found running in the checkpoint: the wizard died mid-action
        label = status_text(status, self.wapp.lang)
        if rec is not None and rec.note == "already done":
            label += " (=)"
        if status in DONE_STATUSES and action_id in self.wapp.out_of_date():
            label = f"⟳ {self.t('sec.out_of_date')}"
        return label

    def stale_actions(self) -> list[Any]:
        marks = self.wapp.out_of_date()
        return [a for a in self.actions if a.id in marks and self.wapp.status(a.id) in DONE_STATUSES]

    def show_stale(self) -> None:
        """Done actions that used values changed since: say so, and offer to run them again."""
        stale = self.stale_actions()
        box = self.query_one("#stale-box")
        box.display = bool(stale)
        if stale:
            marks = self.wapp.out_of_date()
            fields = sorted({f for a in stale for f in marks.get(a.id, [])})
            self.query_one("#stale-text", Static).update(
                self.t(plural("sec.stale", len(stale)), n=len(stale), fields=self.field_names(fields)))

    def secret_names(self, names: tuple[str, ...] | list[str]) -> str:
        """Secrets as a student calls them ("the hacluster password"), never their variable names."""
        from wizard.base.i18n import STRINGS

        return ", ".join(self.t(f"secret.{n}") if f"secret.{n}" in STRINGS else n for n in names)

    def field_names(self, paths: list[str]) -> str:
        """Fields as the inventory names them ("master · External IP"), in the current language."""
        from wizard.base.validation import field_label

        return ", ".join(field_label(self.wapp.session.answers, p).get(self.wapp.lang) for p in paths)

    def next_index(self) -> int | None:
        for i, a in enumerate(self.actions):
            if self.wapp.status(a.id) not in DONE_STATUSES:
                return i
        return None

    # -- the selected action -----------------------------------------------------------------------
    def selected(self) -> Any | None:
        table = self.query_one("#actions", DataTable)
        if not self.actions or table.cursor_row is None or table.cursor_row >= len(self.actions):
            return None
        return self.actions[table.cursor_row]

    @on(DataTable.RowHighlighted, "#actions")
    def _highlighted(self) -> None:
        self.show_selected()
        action = self.selected()
        if action is not None:  # where the student is, saved with the session's next save (and on a crash)
            self.wapp.session.options["ui_action"] = action.id

    def focus_actions(self) -> None:
        self.query_one("#actions", DataTable).focus()

    def show_selected(self) -> None:
        action = self.selected()
        detail = self.query_one("#detail", Static)
        failure = self.query_one("#failure", FailurePanel)
        if action is None:
            detail.update("")
            failure.hide()
            return
        app = self.wapp
        lang = app.lang
        rec = app.record(action.id)
        why = action.why_es if lang == "es" and action.why_es else action.why
        title = action.label(lang)
        parts: list[Any] = [Text.assemble((title, "bold"), "  ", (app.where_long(action), "italic"))]
        if why != title:
            parts.append(Text(why))
        if action.kind == "manual":
            text = action.instructions_es if lang == "es" and action.instructions_es else action.instructions
            parts.append(Text(f"✋ {self.t('sec.by_hand')}: {text}"))
        command = rec.command_run if rec is not None and rec.edited and rec.command_run else action.command
        if command and action.target.is_local and app.engine is not None:
            command = app.engine.shown_command(action, command)  # as it runs here (Windows: PowerShell quoting)
        if command:
            if rec is not None and rec.edited:
                parts.append(Text(f"✎ {self.t('sec.edited_mark')}", style="bold yellow"))
            parts.append(bash(command, app.dark_theme))
            if getattr(self.module, "PCS_SYNTAX", False) and "pcs " in command:
                parts.append(Text(self.versions_text(), style="dim"))
        elif action.kind == "manual":
            parts.append(Text(self.t("sec.cmd_none"), style="dim"))
        if action.erratum:
            erratum = getattr(action, "erratum_es", "") if lang == "es" else ""
            parts.append(Text(f"⚠ {self.t('sec.erratum')}: {erratum or action.erratum}", style="yellow"))
        marks = app.out_of_date()
        if action.id in marks and app.status(action.id) in DONE_STATUSES:
            parts.append(Text(f"⟳ {self.t('sec.stale_one', fields=self.field_names(marks[action.id]))}",
                              style="yellow"))
        if action.kind in ("check", "wait") and (action.awaits or action.awaits_es):
            awaits = action.awaits_es if lang == "es" and action.awaits_es else action.awaits
            parts.append(Text(self.t("sec.awaits", what=awaits), style="dim"))
        if action.probe:  # in words here; the probe's command in Details
            parts.append(Text(self.t("sec.probe_words"), style="dim"))
        if action.secrets:
            parts.append(Text(self.t("sec.stdin_words", names=self.secret_names(action.secrets)), style="dim"))
        detail.update(Group(*parts))
        ids = [self.t("sec.details_id", id=action.id)]
        if action.probe:
            ids.append(self.t("sec.details_probe", probe=action.probe))
        if action.secrets:
            ids.append(self.t("sec.stdin", names=", ".join(action.secrets)))
        self.query_one("#detail-ids", Static).update(Text("\n".join(ids)))
        if rec is not None and rec.status == "failed":
            failure.show_failure(action, rec, lang)
        else:
            failure.hide()
        self.update_footer()

    @on(Button.Pressed, "#buttons Button")
    def _button(self, event: Button.Pressed) -> None:
        name = (event.button.id or "").removeprefix("btn-")
        self.run_action(name)





    # -- jumping, clash, fields ----------------------------------------------------------------------
    @on(Sidebar.Jump)
    def _jump(self, event: Sidebar.Jump) -> None:
        if event.section_id != self.section_id:
            self.wapp.goto_section(event.section_id)

    def maybe_show_clash(self) -> None:
        """The clone's sections open with the address clash explained, once per session (kept in the session:
        a resume does not show it again)."""
        app = self.wapp
        moving = [a for a in self.actions if a.via_address or (a.disrupts_network and a.reconnect_to)]
        shown = list(app.session.options.get("clash_shown") or [])
        if not moving or self.section_id in app.clash_shown or self.section_id in shown \
                or app.section_state(self.section_id) == "ok":
            return
        if self.section_id not in ("standby_clone", "networking"):
            return
        app.clash_shown.add(self.section_id)
        app.session.options["clash_shown"] = [*shown, self.section_id]
        if not app.busy:
            app.session.save(durable=False)
        self.app.push_screen(ClashDialog(app.session.answers, self.actions, app.lang,
                                         app.section_number(self.section_id)))

    @on(Input.Changed, "#fields Input")
    def _field_changed(self, event: Input.Changed) -> None:
        spec = self.field_specs.get(event.input.id or "")
        if spec is None:
            return
        problem = set_value(self.field_answers, spec.path, event.value, spec.kind)
        self.validate_fields(extra={spec.path: problem.get(self.wapp.lang)} if problem else {})

    @on(Select.Changed, "#fields Select")
    def _field_choice(self, event: Select.Changed) -> None:
        spec = self.field_specs.get(event.select.id or "")
        if spec is not None and isinstance(event.value, str):
            set_value(self.field_answers, spec.path, event.value, spec.kind)
            self.validate_fields()

    def validate_fields(self, extra: dict[str, str] | None = None) -> bool:
        from wizard.base.validation import validate

        problems: dict[str, str] = dict(extra or {})
        for p in validate(self.field_answers):
            problems.setdefault(p.field, p.text(self.wapp.lang))
        for row in self.query(FieldRow):
            row.show_error(problems.get(row.spec.path))
        return not problems

    @on(Button.Pressed, "#apply")
    async def _apply(self) -> None:
        if self.guard():
            return
        if not self.validate_fields():
            self.notify(self.t("inv.cannot"), severity="error")
            return
        stale = self.wapp.apply_answers(self.field_answers)
        back = self.wapp.cleared_marks  # a value put back: the actions that ran with it are up to date again
        if stale:
            self.notify(self.t(plural("sec.fields_applied_stale", len(stale)), n=len(stale)))
        elif back:
            self.notify(self.t(plural("sec.fields_back", len(back)), n=len(back)))
        else:
            self.notify(self.t("sec.fields_applied"))
        await self.rebuild()
