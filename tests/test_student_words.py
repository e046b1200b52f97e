"""No internal name on a student's screen: every screen of a whole-guide session, in Spanish, shows no action id,
no answers path and no raw probe (a details view excepted: the record's names are there for whoever wants them).

The session is tests/data/sessions/lab-guide.json: the state a real whole-guide run on the lab left (`ha-wizard run
--yes` on `lab up`, as tests/conftest.py's built_cluster does), its journal dropped and this machine's paths replaced
by a student's home (see tests/data/sessions/README.md). Every kind of record is there: ok, already done (probes),
figures; a failure (an exit status, a refused connection as the OS says it), a stop, a skip, an edit and an
out-of-date mark are set on top of it, through the same messages the engine writes. The app then shows each
section with each action selected, its output as the engine streamed it (replayed from the records), the dialogs,
the palette, the start screen, the inventory and the guide-complete screen; all their text is checked.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from app_support import wait_for

from wizard.base.fields import inventory_fields
from wizard.base.i18n import msg
from wizard.ui.app import WizardApp

DATA = Path(__file__).parent / "data" / "sessions" / "lab-guide.json"
NAME = "lab-guide"
PATH = re.compile(r"\b(?:directors|servers)\[\d*\]\.\w+|\b(?:networks|vip|virtualbox)\.[a-z_]+\b")


@pytest.fixture
def state(state: Path) -> Path:
    folder = state / "sessions" / NAME
    folder.mkdir(parents=True)
    shutil.copyfile(DATA, folder / "state.json")
    return state


# -- what is on the screen ------------------------------------------------------------------------------------
def plain(renderable: Any, width: int = 400) -> str:
    """A widget's content as text, unwrapped (a command stays on its lines)."""
    from rich.console import Console

    if isinstance(renderable, str):
        return renderable
    text = getattr(renderable, "plain", None)
    if isinstance(text, str):
        return text
    console = Console(width=width, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()


def in_details(widget: Any) -> bool:
    """A details view (the section's "Detalles"): the record's names belong there."""
    node = widget
    while node is not None:
        if getattr(node, "has_class", None) and node.has_class("details"):
            return True
        node = node.parent
    return False


def visible(app: WizardApp) -> list[tuple[str, str]]:
    """(where, text) of everything the screen shows outside details views: each widget's whole text, every cell,
    the output log's lines, the notifications, the footer."""
    from textual.widgets import Button, DataTable, Label, Static
    from textual.widgets import Input as InputWidget

    from wizard.ui.widgets.output import OutputLog

    screen = app.screen
    out: list[tuple[str, str]] = []
    for widget in screen.query("*"):
        if in_details(widget):
            continue
        where = f"{type(screen).__name__} {type(widget).__name__}#{widget.id or ''}"
        if isinstance(widget, (Static, Label)):
            content = getattr(widget, "content", None) or getattr(widget, "renderable", None) or widget.render()
            out.append((where, plain(content)))
        elif isinstance(widget, Button):
            out.append((where, str(widget.label)))
        elif isinstance(widget, InputWidget):
            out.append((where, f"{widget.value} {widget.placeholder}"))
        elif isinstance(widget, DataTable):
            out += [(where, plain(c)) for row in range(widget.row_count) for c in widget.get_row_at(row)]
            out += [(where, str(col.label)) for col in widget.columns.values()]
        elif isinstance(widget, OutputLog):
            # The wizard's own lines; a command ("$ …") is shown as what runs, the student's to read.
            out += [(where, line.plain) for line in widget.history if not line.plain.startswith("$ ")]
    out += [("notification", n.message) for n in app._notifications]
    out += [("footer", b.description) for bs in screen.active_bindings.values() for b in [bs.binding]]
    return out


class Names:
    """What a student must not read: the plan's ids, answers paths, the probes' commands."""

    def __init__(self, app: WizardApp) -> None:
        actions = [a for _, acts in app.plan() for a in acts]
        if app.engine is not None:
            from wizard.run.undo import undo_preview

            try:
                actions += list(undo_preview(app.engine).actions)
            except Exception:  # noqa: BLE001 - no snapshot section: nothing more to know
                pass
        self.ids = {a.id for a in actions}
        programs = {word for a in actions for word in re.findall(r"[\w-]+", a.command)}  # crm_verify is a word
        self.short = {a.id.split(".", 1)[1] for a in actions if ("_" in a.id.split(".", 1)[1]
                      or a.id.count(".") > 1) and a.id.split(".", 1)[1] not in programs}
        self.probes = {a.probe for a in actions if len(a.probe) >= 12}
        # Commands are shown as commands: their lines are taken out before looking for probes in the text.
        self.command_lines = sorted({line.strip() for a in actions for line in a.command.splitlines()
                                     if len(line.strip()) >= 8}, key=len, reverse=True)
        self.leaves = {s.path.rsplit(".", 1)[-1] for s in inventory_fields(app.session.answers)
                       if "_" in s.path.rsplit(".", 1)[-1]}

    def leaks(self, seen: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
        found = []
        for where, text in dict.fromkeys(seen):  # each text once (a widget is seen again with every row)
            prose = text
            for line in self.command_lines:
                if line in prose:
                    prose = prose.replace(line, " ")
            flat = " ".join(prose.split())
            for action_id in self.ids:
                if action_id in flat:
                    found.append((where, "action id", action_id))
            for short in self.short:
                if re.search(rf"(?<![\w.]){re.escape(short)}(?![\w])", flat):
                    found.append((where, "action id", short))
            for probe in self.probes:
                if " ".join(probe.split()) in flat:
                    found.append((where, "probe", probe[:60]))
            for m in PATH.finditer(flat):
                found.append((where, "answers path", m.group(0)))
            words = re.sub(r"`[^`]*`", " ", flat)  # code in backticks is a command, quoted
            for leaf in self.leaves if "OutputLog" not in where else ():  # a command's output is the machine's
                if re.search(rf"(?<![\w-]){re.escape(leaf)}(?![\w-])", words):
                    found.append((where, "answers key", leaf))
        return sorted(set(found))


# -- the session, with every kind of record ---------------------------------------------------------------------
def every_kind_of_record(app: WizardApp) -> dict[str, str]:
    """On top of the recorded run: a failure (exit status), one that could not reach its node (the OS's words), a
    stop, a skip, an edit, a step by hand confirmed, an out-of-date mark. Returns the action ids used, by kind."""
    from wizard.run.errors import reason_of

    session = app.session
    kinds = {"failed": "networking.restart_network.standby", "unreachable": "pcs_auth.install",
             "stopped": "verification.siege", "skipped": "verification.bench_install",
             "edited": "snapshot.take.master", "stale": "resources.vip_externa"}
    rec = session.record(kinds["failed"])
    error = msg("eng.node_error", node="standby", error=msg("eng.exit_status", code=1))
    rec.status, rec.error, rec.error_es = "failed", error.en, error.es
    rec.exit_codes = {"standby": 1}
    rec.output = [["standby", "stderr", "Job for network.service failed because the control process exited."]]
    rec.on_fail, rec.on_fail_es = "Check the interface files.", "Revisa los ficheros de interfaz."
    rec = session.record(kinds["unreachable"])
    refused = msg("ssh.unreachable", node="master", address="127.0.0.1:2201",
                  reason=reason_of(ConnectionRefusedError(111, "Connection refused")))
    error = msg("eng.node_error", node="master", error=refused)
    rec.status, rec.error, rec.error_es, rec.exit_codes = "failed", error.en, error.es, {}
    stop = msg("eng.stopped")
    rec = session.record(kinds["stopped"])
    rec.status, rec.error, rec.error_es = "stopped", stop.en, stop.es
    skip = msg("eng.skipped")
    rec = session.record(kinds["skipped"])
    rec.status, rec.note, rec.note_es = "skipped", skip.en, skip.es
    rec = session.record(kinds["edited"])
    rec.status, rec.edited, rec.command_run = "edited", True, rec.command_run + " --description 'mine'"
    session.options["out_of_date"] = {kinds["stale"]: ["vip.external"]}
    session.save()
    return kinds


def replay(screen: Any) -> None:
    """The section's records as the engine's events, as they came while it ran: the output log fills as live."""
    from wizard.run.events import ActionFinished, ActionStarted, OutputLine
    from wizard.ui.screens.section_run import EngineEvent

    app = screen.wapp
    for action in screen.actions:
        rec = app.record(action.id)
        if rec is None or rec.status == "pending":
            continue
        nodes = ("local",) if action.target.is_local else tuple(action.target.nodes)
        screen.on_engine_event(EngineEvent(ActionStarted(action.id, nodes, rec.command_run or action.command)))
        for node, stream, text, *rest in rec.output:
            screen.on_engine_event(EngineEvent(OutputLine(action.id, node, stream, text, rest[0] if rest else "")))
        screen.on_engine_event(EngineEvent(ActionFinished(action.id, rec.status, dict(rec.exit_codes), rec.error,
                                                          rec.note, rec.error_es, rec.note_es)))


async def test_every_screen_of_a_whole_guide_session_in_spanish_names_no_id_path_or_probe(state: Path) -> None:
    from textual.widgets import DataTable

    from wizard.ui.screens.complete import GuideCompleteScreen
    from wizard.ui.screens.dialogs import (
        ClashDialog,
        EditCommandDialog,
        ExportDialog,
        HelpScreen,
        ManualDialog,
        PasswordDialog,
        UndoDialog,
    )
    from wizard.ui.screens.inventory import InventoryScreen
    from wizard.ui.screens.section import SectionScreen
    from wizard.ui.screens.start import StartScreen

    recorded = json.loads(DATA.read_text())
    assert len(recorded["actions"]) > 140 and any(r["figures"] for r in recorded["actions"].values())
    assert any(r["note"] == "already done" for r in recorded["actions"].values())
    seen: list[tuple[str, str]] = []
    app = WizardApp(lang="es", state_root=state)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
        seen += visible(app)
        app.resume_session(NAME)
        await wait_for(pilot, lambda: isinstance(app.screen, SectionScreen) and app.screen.built_lang)
        kinds = every_kind_of_record(app)
        names = Names(app)
        assert "preflight.forward_clear.master" in names.ids and names.probes  # the check knows what to look for
        for module, actions in app.plan():
            app.goto_section(module.ID, warn=False)
            await wait_for(pilot, lambda m=module: isinstance(app.screen, (SectionScreen, ClashDialog))
                           and getattr(app.screen, "section_id", m.ID) == m.ID and app.screen.built_lang)
            if isinstance(app.screen, ClashDialog):  # the clone's sections open with it (once)
                seen += visible(app)
                await pilot.press("escape")
                await wait_for(pilot, lambda: isinstance(app.screen, SectionScreen))
            screen = app.screen
            for collapsible in screen.query("Collapsible"):
                if not collapsible.has_class("details"):
                    collapsible.collapsed = False  # the explanation and the values: read too
            replay(screen)
            table = screen.query_one("#actions", DataTable)
            for row in range(len(actions)):
                table.move_cursor(row=row)
                screen.show_selected()
                seen += visible(app)
        # The dialogs a session meets.
        screen = app.screen
        manual = app.find_action("verification.director_unplug")
        for dialog in (ManualDialog(manual, "es"), PasswordDialog(app.action_label("pcs_auth.auth").es),
                       EditCommandDialog(manual.label("es"), "true"), HelpScreen("help.section", screen),
                       ExportDialog(NAME)):
            app.push_screen(dialog)
            await wait_for(pilot, lambda d=dialog: app.screen is d and d.built_lang and d.query("Button"))
            await pilot.pause()
            seen += visible(app)
            app.pop_screen()
            await pilot.pause()
        if app.engine is not None:
            await pilot.press("u")
            await wait_for(pilot, lambda: isinstance(app.screen, UndoDialog))
            seen += visible(app)
            await pilot.press("escape")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen.id == "--command-palette")
        await pilot.press(*"pasarela")
        await pilot.pause(0.5)
        seen += visible(app)
        await pilot.press("escape")
        for action_id in (kinds["failed"], kinds["unreachable"]):
            app.notify(screen.t("sec.stopped_fail", action=app.action_label(action_id)), severity="error")
        app.open_inventory_edit()
        await wait_for(pilot, lambda: isinstance(app.screen, InventoryScreen) and app.screen.built_lang)
        seen += visible(app)
        await pilot.press("escape")
        for action_id in kinds.values():  # everything done, to see the end of the guide
            app.session.record(action_id).status = "ok"
        app.session.options["out_of_date"] = {}
        app.show_complete()
        await wait_for(pilot, lambda: isinstance(app.screen, GuideCompleteScreen) and app.screen.built_lang)
        seen += visible(app)
    leaks = names.leaks(seen)
    assert not leaks, leaks[:40]
    # The check reads what matters: titles, the failure box, the refused connection in words, the figures.
    text = " ".join(t for _, t in seen)
    assert "Aplicar la configuración de red ha fallado" in text
    assert "conexión rechazada: nadie escucha en ese puerto (Connection refused)" in text
    assert "conmutación al apagar un director" in text
    # crm_verify prints "error: … need STONITH" and succeeds: the output says that error is the one looked for.
    assert "visto: la queja de crm_verify porque falta STONITH (ese error es el esperado aquí)" in text
