"""No English left on Spanish screens: the app, the engine's messages and plain mode, in Spanish, are
scanned for the English texts of the catalogue (each text's words, placeholders left out).

The app is driven through what a student meets: the start screen, an inventory with mistakes, a section
whose actions fail, are stopped and skipped, F1, the export dialog, going back to the snapshot and the
guide complete. Every widget's text and every cell on screen is collected at each step.
"""

from __future__ import annotations

import re
import string
import sys
from pathlib import Path

import pytest
from app_support import wait_for
from node_shell import NodeShell
from test_i18n import SAME_IN_BOTH

from steps.model import Action, Target
from wizard.base.answers import Answers
from wizard.base.i18n import STRINGS
from wizard.session.state import Session
from wizard.ui.app import WizardApp

ROOT = Path(__file__).resolve().parents[1]


def english_fragments() -> set[str]:
    """Runs of words (at least 3, 14 characters) of each English text that its Spanish text lacks."""
    found: set[str] = set()
    for key, (en, es) in STRINGS.items():
        if key in SAME_IN_BOTH:
            continue
        for literal, _field, _spec, _conv in string.Formatter().parse(en):
            for chunk in re.split(r"[\n.;:()“”\"'`«»—]+", literal):
                chunk = " ".join(chunk.split()).strip(" ,-")
                if len(chunk) >= 14 and chunk.count(" ") >= 2 and chunk not in es:
                    found.add(chunk)
    return found


FRAGMENTS = english_fragments()


def english_in(texts: list[str]) -> list[tuple[str, str]]:
    out = []
    for text in texts:
        flat = " ".join(text.split())
        out += [(fragment, flat[:160]) for fragment in FRAGMENTS if fragment in flat]
    return out


def test_the_fragments_are_real_english() -> None:
    assert len(FRAGMENTS) > 150
    assert "is not an IPv4 address" in FRAGMENTS
    assert english_in(["'192.168.1.2000' is not an IPv4 address"])  # the examples are caught
    assert english_in(["waiting for the interrupted run (process group 42) to end"])
    assert not english_in(["'192.168.1.2000' no es una dirección IPv4"])


def screen_texts(app: WizardApp) -> list[str]:
    """What the screen shows: the compositor's lines, and each widget's whole text (wrapped text in a
    column beside another is not one line on screen)."""
    from textual.widgets import Button, DataTable, Label, Static

    from wizard.ui.widgets.output import OutputLog

    texts = [strip.text for strip in app.screen._compositor.render_strips()]
    for widget in app.screen.query("*"):
        if isinstance(widget, (Static, Label)):
            rendered = widget.render()
            texts.append(str(getattr(rendered, "plain", rendered)))
        elif isinstance(widget, Button):
            texts.append(str(widget.label))
        elif isinstance(widget, DataTable):
            texts += [str(c) for row in range(widget.row_count) for c in widget.get_row_at(row)]
            texts += [str(col.label) for col in widget.columns.values()]
        elif isinstance(widget, OutputLog):
            texts += [line.plain for line in widget.history]
    texts += [n.message for n in app._notifications]
    return texts


async def test_spanish_app_shows_no_english_catalogue_text(state: Path) -> None:
    from wizard.ui.screens.complete import GuideCompleteScreen
    from wizard.ui.screens.dialogs import ExportDialog, HelpScreen, UndoDialog
    from wizard.ui.screens.inventory import InventoryScreen
    from wizard.ui.screens.section import SectionScreen
    from wizard.ui.screens.start import StartScreen

    session = Session.create("curso", Answers(), "rhel7", root=state, lang="es")
    session.release()
    seen: list[str] = []
    app = WizardApp(lang="es", state_root=state)
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, StartScreen)
        seen += screen_texts(app)
        # The inventory with the mistakes: a bad address, a used one, an address as a NIC, two passwords.
        app.open_inventory_new("curso-2")
        await wait_for(pilot, lambda: isinstance(app.screen, InventoryScreen) and app.screen.query("#pw2"))
        inv = app.screen
        for field, value in (("#f-directors-0-external_ip", "192.168.1.2000"), ("#f-servers-1-ip", "10.0.100.12"),
                             ("#f-directors-1-external_if", "192.168.1.102"), ("#f-ssh_port", "22x"),
                             ("#pw1", "uno"), ("#pw2", "dos")):
            inv.query_one(field).value = value
            await pilot.pause()
        await pilot.press("ctrl+s")  # refused: the notification too
        await pilot.pause()
        seen += screen_texts(app)
        for row in inv.query(".field-error"):
            seen.append(str(row.render()))
        assert any("no es una dirección IPv4" in text for text in seen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))

        # A section: a failing command, a stopped one, a skipped one.
        app.resume_session("curso")
        await wait_for(pilot, lambda: isinstance(app.screen, SectionScreen) and app.screen.built_lang is not None)
        screen = app.screen
        first, second, third = screen.actions[:3]
        screen.start(first, "one", command="sh -c \"echo 'VBoxManage: error: no VM' >&2; exit 3\"")
        await wait_for(pilot, lambda: app.status(first.id) == "failed" and not app.busy)
        screen.query_one("#actions").move_cursor(row=0)
        await pilot.pause()
        seen += screen_texts(app)
        assert any("código de salida 3" in text for text in seen)
        screen.start(second, "one", command="sleep 30")
        await wait_for(pilot, lambda: app.status(second.id) == "running")
        await pilot.press("x")
        await wait_for(pilot, lambda: app.status(second.id) == "stopped" and not app.busy)
        app.engine.skip(third.id)
        await pilot.pause()
        seen += screen_texts(app)
        assert any("detenida por el usuario" in text for text in seen)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        seen += screen_texts(app)
        await pilot.press("escape")
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        seen += screen_texts(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SectionScreen))
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, UndoDialog))
        seen += screen_texts(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SectionScreen))
        # The end: every action done.
        for _, actions in app.plan():
            for action in actions:
                app.session.record(action.id).status = "ok"
        app.show_complete()
        await wait_for(pilot, lambda: isinstance(app.screen, GuideCompleteScreen) and app.screen.built_lang)
        await pilot.pause(0.2)  # its header mounted before the app closes
        seen += screen_texts(app)
    leaks = english_in(seen)
    assert not leaks, leaks


def test_engine_messages_of_a_spanish_session(tmp_path: Path) -> None:
    """Waits, failures, skips and probes: the Spanish text beside each English one, none of it English."""
    from wizard.run.engine import Engine, section

    session = Session.create("motor", Answers(), "rhel7", root=tmp_path, lang="es")

    def act(i: str, command: str, kind: str = "run", **kw: object) -> Action:
        target = kw.pop("target", Target.local())
        if target.is_local:  # this machine runs one program, never a shell string
            kw["argv"] = ("sh", "-c", command)
        return Action(id=f"t.{i}", kind=kind, target=target, command=command, why=f"why {i}",  # type: ignore[arg-type]
                      why_es=f"por qué {i}", **kw)  # type: ignore[arg-type]

    plan = [section("t", "T", [
        act("wait", "echo no", "wait", expect="yes", timeout=0.6, interval=0.2,
            awaits="the word yes in the output", awaits_es="la palabra yes en la salida"),
        act("fail", "exit 4"),
        act("done", "true", probe="true", target=Target.node("master")),  # a node's shell probe
        act("skip", "true"),
    ])]
    events: list[object] = []
    engine = Engine(session, {}, None, events.append, plan=plan)
    engine.conns.get = lambda node, address=None: NodeShell()  # type: ignore[method-assign]
    try:
        assert engine.run_action("t.wait") == "failed"
        assert engine.run_action("t.fail") == "failed"
        assert engine.run_action("t.done") == "ok"
        engine.skip("t.skip")
    finally:
        engine.close()
    from wizard.run.events import ActionFinished, OutputLine

    spanish = [e.text_es for e in events if isinstance(e, OutputLine) and e.stream == "info"]
    spanish += [x for e in events if isinstance(e, ActionFinished) for x in (e.error_es, e.note_es) if x]
    assert any("aún no: la palabra yes en la salida" in s for s in spanish), spanish
    assert "local: sigue sin estar listo tras 0.6 s: la palabra yes en la salida (aún no aparece en la salida)" \
        in spanish
    assert "local: código de salida 4" in spanish and "ya estaba hecho" in spanish
    assert "omitida por el usuario" in spanish
    assert not english_in(spanish), english_in(spanish)
    assert not any("(?" in s or "[\\s\\S]" in s for s in spanish)  # never a regex


def test_plain_mode_in_spanish_shows_no_english_catalogue_text(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    import io
    import os

    env = dict(os.environ, HA_WIZARD_STATE_DIR=str(tmp_path / "state"), HOME=str(tmp_path),
               HA_WIZARD_CONFIG_DIR=str(tmp_path / "config"), PROMPT_TOOLKIT_NO_CPR="1", COLUMNS="160",
               LINES="50")
    env.pop("HA_WIZARD_HACLUSTER_PASSWORD", None)
    log = io.StringIO()
    child = pexpect.spawn(sys.executable, ["-m", "wizard.cli.main", "--plain", "--lang", "es"], cwd=str(ROOT), env=env,
                          encoding="utf-8", timeout=30, dimensions=(50, 160))
    child.logfile_read = log
    down, kill_line = "\x1b[B", "\x15"
    try:
        child.expect("¿Qué quieres hacer?")
        child.send("\r")  # new session
        child.expect("Nombre de la sesión")
        child.send("\r")
        child.expect("¿Cambiar un valor?")
        child.send("\r")  # continue with the guide's values
        child.expect("Contraseña")
        child.send("pw-plano-1\r")
        child.expect("Repítela")
        child.send("pw-plano-2\r")  # differ: said in Spanish, asked again
        child.expect("no coinciden")
        child.expect("Contraseña")
        child.send("pw-plano-1\r")
        child.expect("Repítela")
        child.send("pw-plano-1\r")
        child.expect("Sección 1/")
        child.send(down * 3 + "\r")  # edit the command
        child.expect("¿Qué acción?")
        child.send("\r")
        child.expect("Edita la orden")
        child.send(kill_line + "sh -c 'echo fallo >&2; exit 5'\r")  # a host step: one program, no shell
        child.expect("código de salida 5")
        child.expect("¿y ahora?")
        child.send(down * 2 + "\r")  # skip
        child.expect("¿Qué acción?")
        child.send("\r")
        child.expect("omitida por el usuario")
        child.expect("¿y ahora?")
        child.send(down * 10 + "\r")  # quit
        child.expect(pexpect.EOF)
    finally:
        child.close()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", " ", log.getvalue())
    leaks = english_in([line for line in text.splitlines()])
    assert not leaks, leaks
