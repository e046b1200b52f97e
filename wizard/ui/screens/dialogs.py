"""Modal dialogs: help, confirm, edit a command, export, host key, manual step, address clash, password."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static, TextArea

from wizard.ui.screens.base import WizardModal


def bash(command: str, dark: bool = True) -> Syntax:
    """A command as the user will read it: bash highlighting, wrapped, on the terminal's background."""
    return Syntax(command, "bash", theme="monokai" if dark else "friendly", word_wrap=True,
                  background_color="default")


def screen_keys(screen: Any) -> list[tuple[str, str]]:
    """(key as the footer shows it, description) of every binding the screen and the app have, in the
    app's current language: the help lists exactly the keys that exist, as the footer names them.
    The screen's own keys first, then the app's, then moving between fields; a key the app takes first
    (a priority binding: Ctrl+C quits) is listed once, for what it does; actions the screen disables
    right now (Stop while nothing runs) are still listed."""
    app = screen.app
    app_bindings = [b for bs in app._bindings.key_to_bindings.values() for b in bs]
    screen_bindings = [b for bs in screen._bindings.key_to_bindings.values() for b in bs]
    taken = {b.key for b in app_bindings if b.priority}
    own = [b for b in screen_bindings if not b.action.startswith(("app.", "screen.")) and b.key not in taken]
    moves = [b for b in screen_bindings if b.action.startswith(("app.", "screen.")) and b.key not in taken]
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for binding in (*own, *app_bindings, *moves):
        if binding.action in seen or not binding.description:
            continue
        seen.add(binding.action)
        out.append((app.get_key_display(binding), binding.description))
    return out


class HelpScreen(WizardModal[None]):
    BINDINGS = [Binding("escape,f1,enter", "dismiss", "bind.back")]

    def __init__(self, help_key: str, screen: Any = None) -> None:
        super().__init__()
        self.help_key = help_key
        self.for_screen = screen
        self.keys: list[tuple[str, str]] = []  # (key, description) as listed

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="help-dialog"):
            yield Label(self.t("help.title"), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(self.t(self.help_key), id="help-text")
                if self.for_screen is not None:
                    yield Label(self.t("help.keys"), classes="group-title")
                    keys = Table(box=None, show_header=False, pad_edge=False)
                    keys.add_column(style="bold", no_wrap=True)
                    keys.add_column()
                    self.keys = screen_keys(self.for_screen)
                    for key, description in self.keys:
                        keys.add_row(key, description)
                    yield Static(keys, id="help-keys")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("btn.close"), id="close", variant="primary", compact=True)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)


class ConfirmDialog(WizardModal[bool]):
    """A question with two answers. `danger`: the safe answer has the focus (Enter does not destroy)."""

    BINDINGS = [Binding("escape", "no", "btn.cancel")]

    def __init__(self, message: str, yes_key: str = "btn.yes", *, no_key: str = "btn.cancel", danger: bool = False,
                 title_key: str = "") -> None:
        super().__init__()
        self.message = message
        self.yes_key = yes_key
        self.no_key = no_key
        self.danger = danger
        self.title_key = title_key

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            if self.title_key:
                yield Label(self.t(self.title_key), classes="dialog-title")
            yield Static(self.message, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t(self.yes_key), id="yes", variant="error" if self.danger else "primary",
                             compact=True)
                yield Button(self.t(self.no_key), id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no" if self.danger else "#yes", Button).focus()

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)


class EditCommandDialog(WizardModal[str | None]):
    """The command in an editor; what comes back runs instead and is recorded as edited."""

    BINDINGS = [Binding("escape", "cancel", "btn.cancel"), Binding("ctrl+s", "run", "edit.run")]

    def __init__(self, action_id: str, command: str) -> None:
        super().__init__()
        self.action_id = action_id
        self.command = command

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="edit-dialog"):
            yield Label(self.t("edit.title"), classes="dialog-title")
            yield Label(self.action_id, classes="muted")
            yield TextArea(self.command, language="bash", id="editor", soft_wrap=True, show_line_numbers=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("edit.run"), id="run", variant="warning", compact=True)
                yield Button(self.t("btn.cancel"), id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#editor", TextArea).focus()

    @on(Button.Pressed, "#run")
    def action_run(self) -> None:
        self.dismiss(self.query_one("#editor", TextArea).text)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ExportDialog(WizardModal[tuple[str, str] | None]):
    """Format (sh / md) and file; returns (format, path)."""

    BINDINGS = [Binding("escape", "cancel", "btn.cancel")]

    def __init__(self, session_name: str, fmt: str = "sh") -> None:
        super().__init__()
        self.session_name = session_name
        self.fmt = fmt

    def default_path(self, fmt: str) -> str:
        return f"{self.session_name}-transcript.{fmt}"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="export-dialog"):
            yield Label(self.t("export.title"), classes="dialog-title")
            yield Label(self.t("export.format"))
            with RadioSet(id="format"):
                yield RadioButton(self.t("export.sh"), value=self.fmt == "sh", id="fmt-sh")
                yield RadioButton(self.t("export.md"), value=self.fmt == "md", id="fmt-md")
            yield Label(self.t("export.path"))
            yield Input(self.default_path(self.fmt), id="export-path")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("export.go"), id="go", variant="primary", compact=True)
                yield Button(self.t("btn.cancel"), id="cancel", compact=True)

    @on(RadioSet.Changed)
    def _format(self, event: RadioSet.Changed) -> None:
        new = "md" if event.pressed.id == "fmt-md" else "sh"
        path = self.query_one("#export-path", Input)
        if path.value == self.default_path(self.fmt):  # follow the format unless the user typed a name
            path.value = self.default_path(new)
        self.fmt = new

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        path = self.query_one("#export-path", Input).value.strip()
        if path:
            self.dismiss((self.fmt, path))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class HostKeyDialog(WizardModal[bool]):
    """Trust on first use: the fingerprint, and the user's decision."""

    BINDINGS = [Binding("escape", "refuse", "hostkey.refuse")]

    def __init__(self, node: str, address: str, key: str) -> None:
        super().__init__()
        self.node, self.address, self.key = node, address, key

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="hostkey-dialog"):
            yield Label(self.t("hostkey.title"), classes="dialog-title")
            yield Static(Text.assemble((f"{self.node}", "bold"), f"  {self.address}\n", (self.key, "bold yellow")),
                         id="hostkey-fp")
            yield Static(self.t("hostkey.body"), classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("hostkey.trust"), id="trust", variant="warning", compact=True)
                yield Button(self.t("hostkey.refuse"), id="refuse", compact=True)

    @on(Button.Pressed, "#trust")
    def _trust(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#refuse")
    def action_refuse(self) -> None:
        self.dismiss(False)


class ManualDialog(WizardModal[str]):
    """A "do this by hand" moment: what to do, and how the wizard will check it. Returns "done", "later"
    (the section stops here) or "skip" (the section goes on without it)."""

    BINDINGS = [Binding("escape", "later", "manual.later"), Binding("k", "skip", "manual.skip")]

    def __init__(self, action: Any, lang: str, dark: bool = True) -> None:
        super().__init__()
        self.action = action
        self.lang = lang
        self.dark = dark

    def compose(self) -> ComposeResult:
        a = self.action
        text = a.instructions_es if self.lang == "es" and a.instructions_es else a.instructions
        why = a.why_es if self.lang == "es" and a.why_es else a.why
        steps = [line for line in (text or why).splitlines() if line.strip()]
        with Vertical(classes="dialog wide", id="manual-dialog"):
            yield Label(self.t("manual.title", action=a.id), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(why, classes="muted")
                for n, line in enumerate(steps, 1):
                    yield Static(Text.assemble((f" {n} ", "reverse bold"), " ", line), classes="manual-step")
                if a.command:
                    yield Label(self.t("manual.check"))
                    yield Static(bash(a.command, self.dark), classes="command")
            yield Static(self.t("manual.choices"), classes="muted", id="manual-choices")
            with Horizontal(classes="dialog-buttons"):
                label = "manual.done" if a.command else "manual.done_nocheck"
                yield Button(self.t(label), id="done", variant="success", compact=True)
                yield Button(self.t("manual.skip"), id="skip", compact=True)
                yield Button(self.t("manual.later"), id="later", compact=True)

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.dismiss("done")

    @on(Button.Pressed, "#skip")
    def action_skip(self) -> None:
        self.dismiss("skip")

    @on(Button.Pressed, "#later")
    def action_later(self) -> None:
        self.dismiss("later")


class ClashDialog(WizardModal[None]):
    """Section 3/4: why the clone must not meet master on the network, and the order the wizard follows."""

    BINDINGS = [Binding("escape,enter", "dismiss", "clash.go")]

    def __init__(self, answers: Any, actions: list[Any], lang: str) -> None:
        super().__init__()
        self.answers = answers
        self.actions = actions
        self.lang = lang

    def compose(self) -> ComposeResult:
        m, s = self.answers.directors[0], self.answers.directors[1]
        self.step_texts: list[str] = []  # the steps as plain text (tests, screen readers' logs)
        with Vertical(classes="dialog wide", id="clash-dialog"):
            yield Label(self.t("clash.title"), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(self.t("clash.body", standby=s.name, master=m.name, ip=m.address))
                yield Static(Text.assemble(
                    (f" {m.name} ", "reverse"), f" {m.address}   ⟷   ", (f" {s.name} ", "reverse"),
                    f" {m.address} → {s.address}"), classes="clash-diagram")
                for n, a in enumerate(self.actions, 1):
                    why = a.why_es if self.lang == "es" and a.why_es else a.why
                    notes = []
                    if a.via_address:
                        notes.append(self.t("clash.step_via", via=a.via_address, master=m.name))
                    if a.disrupts_network and a.reconnect_to:
                        notes.append(self.t("clash.step_move", to=a.reconnect_to))
                    style = "bold yellow" if notes else ""
                    body = Text.assemble((f"{n:>2}. ", "bold"), (why, style))
                    if notes:
                        body.append("\n     → " + "; ".join(notes), style="italic")
                    self.step_texts.append(body.plain)
                    yield Static(Group(body), classes="clash-step")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("clash.go"), id="go", variant="primary", compact=True)

    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        self.dismiss(None)


class PasswordDialog(WizardModal[str | None]):
    """The hacluster password when a resumed session needs it (asked once, kept in memory); with `prompt`,
    the SSH password a node asks for (the engine's ask_ssh_password: asked once for every node)."""

    BINDINGS = [Binding("escape", "cancel", "btn.cancel")]

    def __init__(self, action_id: str, prompt: str = "") -> None:
        super().__init__()
        self.action_id = action_id
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="password-dialog"):
            yield Label(self.t("pw.ssh_title") if self.prompt else self.t("pw.title"), classes="dialog-title")
            yield Static(self.prompt or self.t("pw.why", action=self.action_id), classes="muted")
            yield Input(password=True, id="pw")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("btn.ok"), id="ok", variant="primary", compact=True)
                yield Button(self.t("btn.cancel"), id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#pw", Input).focus()

    @on(Input.Submitted, "#pw")
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        value = self.query_one("#pw", Input).value
        if value:
            self.dismiss(value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class UndoDialog(WizardModal[bool]):
    """Back to the snapshot: what it will do (every command), what it undoes, then the user's decision.
    The safe answer has the focus: Enter does not power anything off."""

    BINDINGS = [Binding("escape", "cancel", "btn.cancel")]

    def __init__(self, preview: Any, titles: list[str], dark: bool = True) -> None:
        super().__init__()
        self.preview = preview
        self.titles = titles  # the undone sections' titles, numbered
        self.dark = dark

    def compose(self) -> ComposeResult:
        p = self.preview
        with Vertical(classes="dialog wide", id="undo-dialog"):
            yield Label(self.t("undo.title", snapshot=p.snapshot), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(self.t("undo.explain", snapshot=p.snapshot, n=len(p.done)), classes="dialog-text")
                yield Static("\n".join(f"  ↺ {title}" for title in self.titles), id="undo-sections")
                yield Label(self.t("undo.commands"), classes="group-title")
                for action in p.actions:
                    if action.command:
                        yield Static(bash(action.command, self.dark), classes="command")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("undo.go"), id="go", variant="error", compact=True)
                yield Button(self.t("btn.cancel"), id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
