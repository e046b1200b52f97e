"""The words a student reads (issue 21, findings 4, 6 and 7), each with the screen or function that showed it:
the palette in Spanish, a refused connection in words, the lab's VBoxManage stand-in, the export's file names;
the clone-clash dialog (its number, master's address, once per session), the key section not asking the hacluster
password, the figures' bars, the values grouped; out-of-date marks that clear when a value is put back, the guide
not complete while one stands, and the md record saying so.

Real parts: the real app (Pilot), the real checkpoint in a temporary folder, real sockets for the OS's errors.
"""

from __future__ import annotations

import shlex
import socket
import stat
from pathlib import Path

import pytest
from app_support import wait_for
from textual.widgets import DataTable

from steps import full_plan
from steps.profiles import get_profile
from wizard.base.answers import Answers
from wizard.session.state import Session
from wizard.ui.app import WizardApp
from wizard.ui.screens.section import SectionScreen


def on_section(app: WizardApp, section_id: str) -> bool:
    screen = app.screen
    return isinstance(screen, SectionScreen) and screen.built_lang is not None and screen.section_id == section_id


def session_done_before(state: Path, name: str, section: str | None, lang: str = "es") -> Session:
    """A session whose actions before `section` are done (all of them when None)."""
    session = Session.create(name, Answers(), "rhel7", root=state, lang=lang)
    for module, actions in full_plan(session.answers, get_profile("rhel7")):
        if module.ID == section:
            break
        for action in actions:
            rec = session.record(action.id)
            rec.status, rec.started, rec.ended = "ok", "2026-11-22T08:00:00", "2026-11-22T08:00:01"
    session.save()
    session.release()
    return session


def text_of(widget: object) -> str:
    rendered = widget.render()  # type: ignore[attr-defined]
    return str(getattr(rendered, "plain", rendered))


# -- finding 4: no English on a Spanish screen ------------------------------------------------------------------
async def test_the_command_palette_speaks_spanish(state: Path) -> None:
    """Textual's palette says "Search for commands…", "No matches found" and "Exit the command palette": the app's
    says it in the student's language."""
    from textual.command import CommandInput

    session_done_before(state, "paleta", "snapshot")
    app = WizardApp(lang="es", state_root=state)
    async with app.run_test(size=(100, 30)) as pilot:
        app.resume_session("paleta")
        await wait_for(pilot, lambda: on_section(app, "snapshot"))
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen.id == "--command-palette" and app.screen.query(CommandInput))
        palette = app.screen
        assert palette.query_one(CommandInput).placeholder.startswith("Ir a una sección")
        await pilot.pause(0.5)
        listed = [str(o.prompt) for o in palette.query_one("CommandList").options]
        # Only the sections: none of Textual's system commands (English only: "Quit the application", "Keys"…).
        assert len(listed) == len(app.plan()) and all(x.startswith("Ir a la sección") for x in listed), listed
        descriptions = [b.description for bs in palette._bindings.key_to_bindings.values() for b in bs]
        assert "Cerrar la paleta" in descriptions and not any("command" in d for d in descriptions)
        await pilot.press(*"zzzz")
        await pilot.pause(1.2)  # Textual waits a moment before saying nothing matched
        shown = [str(o.prompt) for o in palette.query_one("CommandList").options]
        assert any("Ninguna sección coincide" in s for s in shown) and not any("No matches" in s for s in shown)
        await pilot.press("escape")


def test_a_refused_connection_is_said_in_spanish_with_the_os_words_beside() -> None:
    """`(Connection refused)` alone on a Spanish screen: the gloss first, the OS's words in parentheses."""
    from wizard.base.i18n import STRINGS, msg
    from wizard.run.errors import _ERRNO_KEYS, _PARAMIKO_KEYS, reason_of

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))  # bound, not listening: the kernel refuses, as a forward with nothing behind
    port = listener.getsockname()[1]
    try:
        with pytest.raises(ConnectionRefusedError) as refused:
            socket.create_connection(("127.0.0.1", port), timeout=5)
    finally:
        listener.close()
    reason = reason_of(refused.value)
    assert reason.en == "Connection refused"
    assert reason.es == "conexión rechazada: nadie escucha en ese puerto (Connection refused)"
    whole = msg("ssh.unreachable", node="master", address=f"127.0.0.1:{port}", reason=reason)
    assert whole.es.startswith("No se llega a 127.0.0.1:") and "(conexión rechazada" in whole.es
    assert reason_of(TimeoutError()).es == "se agotó el tiempo de espera (timed out)"
    assert reason_of(socket.gaierror(-2, "Name or service not known")).es.startswith("no se conoce ese nombre")
    assert reason_of(EOFError()).es == "la conexión se cerró (EOF)"
    assert reason_of(ValueError("something else")).es == "something else"  # unknown: its own words, not a guess
    # Every gloss the mapping names is in the catalogue, in both languages.
    for key in [*_ERRNO_KEYS.values(), *(k for _, k in _PARAMIKO_KEYS), "oserr.no_name", "oserr.timeout",
                "oserr.closed"]:
        assert key in STRINGS and all(STRINGS[key]), key


def test_the_labs_vboxmanage_stand_in_is_described_in_the_users_language(tmp_path: Path) -> None:
    """The stand-in prints `(the lab's stand-in, not VirtualBox)` after its version: the connection check says it
    in words of the catalogue, in Spanish on a Spanish screen."""
    from lab.vbox import VERSION
    from wizard.run.inventory import vboxmanage_check

    program = tmp_path / "VBoxManage"
    program.write_text(f"#!/bin/sh\necho {shlex.quote(VERSION)}\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    answers = Answers()
    answers.virtualbox.vboxmanage = str(program)
    es = vboxmanage_check(answers, "es")
    assert es.ok and "(el sustituto de VBoxManage del laboratorio" not in es.system  # not in parentheses after
    assert es.system.startswith("el sustituto de VBoxManage del laboratorio, versión 7.")
    assert "stand-in" not in es.system and "not VirtualBox" not in es.system
    assert "stand-in" in vboxmanage_check(answers, "en").system


async def test_the_export_names_its_files_in_the_sessions_language(state: Path) -> None:
    from wizard.ui.screens.dialogs import ExportDialog

    session_done_before(state, "lucia", "snapshot")
    app = WizardApp(lang="es", state_root=state)
    async with app.run_test(size=(100, 30)) as pilot:
        app.resume_session("lucia")
        await wait_for(pilot, lambda: on_section(app, "snapshot"))
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog) and app.screen.query("#export-path"))
        path = app.screen.query_one("#export-path")
        assert path.value == "lucia-montaje.sh"  # not lucia-transcript.sh
        app.screen.query_one("#fmt-md").value = True
        await wait_for(pilot, lambda: path.value == "lucia-registro.md")
        await pilot.press("escape")


def test_the_sh_script_asks_its_secrets_in_words(tmp_path: Path) -> None:
    """The script's prompt was `'hacluster_password: '`: now the secret in words and the variable that spares it."""
    from wizard.exports.shell import prelude

    session = Session.create("guion", Answers(), "rhel7", root=tmp_path, lang="es")
    script = "\n".join(prelude(session, "es", ["hacluster_password"], False))
    assert "'La contraseña de hacluster (o define HA_WIZARD_HACLUSTER_PASSWORD): '" in script
    assert "hacluster_password: " not in script
    english = "\n".join(prelude(session, "en", ["hacluster_password"], False))
    assert "'The hacluster password (or set HA_WIZARD_HACLUSTER_PASSWORD): '" in english


# -- finding 6: texts that mislead --------------------------------------------------------------------------------
async def open_clone_section(state: Path) -> str | None:
    """Resume session "clon" in a new app (a new run of the wizard): the clash dialog's texts, None when none."""
    from wizard.ui.screens.dialogs import ClashDialog

    app = WizardApp(lang="es", state_root=state)
    async with app.run_test(size=(120, 40)) as pilot:
        app.resume_session("clon")
        await wait_for(pilot, lambda: isinstance(app.screen, ClashDialog) or on_section(app, "standby_clone"))
        await pilot.pause(0.3)
        if not isinstance(app.screen, ClashDialog):
            return None
        await wait_for(pilot, lambda: app.screen.query(".dialog-title"))
        texts = " ".join(text_of(s) for s in app.screen.query("Label, Static"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: on_section(app, "standby_clone"))
        return texts


async def test_the_clone_clash_dialog_has_its_sections_number_masters_own_address_and_shows_once(state: Path) -> None:
    session_done_before(state, "clon", "standby_clone")
    texts = await open_clone_section(state)
    assert texts is not None
    answers = Answers()
    n = [m.ID for m, _ in full_plan(answers, get_profile("rhel7"))].index("standby_clone") + 1
    assert n == 5 and f"Sección {n}: el conflicto de direcciones del clon" in texts  # not "Sección 3"
    assert f"las direcciones de `master` ({answers.master.external_ip})" in texts
    assert "(127.0.0.1:2201)" not in texts  # the port forward is how the wizard dials master, said apart
    assert "por 127.0.0.1:2201: un reenvío de puerto" in texts
    assert await open_clone_section(state) is None, "shown again on a resume"


async def test_the_key_section_does_not_ask_the_hacluster_password(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Section 2 installs the wizard's public key: the engine fills that in itself. It asked for "the hacluster
    password" (and put what was typed in place of the key); the pcs section does ask it."""
    from wizard.ui.screens.dialogs import PasswordDialog

    session_done_before(state, "clave", "access")
    app = WizardApp(lang="es", state_root=state)
    async with app.run_test(size=(120, 40)) as pilot:
        app.resume_session("clave")
        await wait_for(pilot, lambda: on_section(app, "access"))
        screen = app.screen
        launched: list[tuple[str | None, str]] = []
        # What runs is not the point here (no machine to reach): what is asked before it runs.
        monkeypatch.setattr(screen, "launch", lambda action_id, mode, command=None: launched.append((action_id, mode)))
        await pilot.press("s")
        await wait_for(pilot, lambda: launched)
        assert not isinstance(app.screen, PasswordDialog) and launched == [("access.wizard_key.master", "section")]
        assert app.missing_secrets(("wizard_public_key",)) == [] and "hacluster_password" not in app.secrets
        app.goto_section("pcs_auth", warn=False)
        await wait_for(pilot, lambda: on_section(app, "pcs_auth"))
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, PasswordDialog) and app.screen.query(".dialog-title"))
        assert text_of(app.screen.query_one(".dialog-title")).startswith("Contraseña de hacluster")
        assert "«" in text_of(app.screen.query_one(".muted")) and "pcs_auth." not in text_of(app.screen.query_one(".muted"))
        await pilot.press("escape")


def test_figure_bars_say_which_test_measured_them() -> None:
    """`requests server=cluster4` three times: each bar now names its test (the action's title) in words."""
    from wizard.ui.widgets.figures import FiguresPanel, figure_label

    titles = {"verification.all_up": "Todo activo: reparto de peticiones",
              "verification.all_back": "Vuelven todos los servidores"}
    figures = [(a, {"name": "requests", "value": v, "unit": "requests", "labels": {"server": "cluster4"}})
               for a, v in (("verification.all_up", 3), ("verification.all_back", 4))]
    figures.append(("verification.director_down", {"name": "director_failover", "value": 6.2, "unit": "s",
                                                   "labels": {"off": "master"}}))
    panel = FiguresPanel(figures, lang="es", title_of=titles.get)
    bars = panel.series()
    assert [label for label, _ in bars] == ["Todo activo: reparto de peticiones: servidor cluster4",
                                            "Vuelven todos los servidores: servidor cluster4"]
    assert panel.series_name == "peticiones atendidas (peticiones)"
    assert figure_label(figures[2][1], "es") == "conmutación al apagar un director (master apagado)"


async def test_the_values_of_a_section_are_grouped_under_headings(state: Path) -> None:
    """"Externa 192.168.1.200 … Externa 192.168.1.0/24": the VIP's and the network's, now under their groups."""
    session_done_before(state, "valores", "resources")
    app = WizardApp(lang="es", state_root=state)
    async with app.run_test(size=(120, 40)) as pilot:
        app.resume_session("valores")
        await wait_for(pilot, lambda: on_section(app, "resources"))
        fields = app.screen.query_one("#fields")
        titles = [text_of(label) for label in fields.query(".group-title")]
        assert "IPs flotantes (VIP)" in titles and "Redes" in titles


# -- finding 7: out-of-date marks that clear ------------------------------------------------------------------------
async def test_a_value_put_back_clears_the_marks_and_the_record_tells_the_change(state: Path, tmp_path: Path) -> None:
    from wizard.exports.transcript import render
    from wizard.ui.screens.complete import GuideCompleteScreen

    session_done_before(state, "vuelta", None)
    app = WizardApp(lang="es", state_root=state)
    async with app.run_test(size=(120, 40)) as pilot:
        app.resume_session("vuelta")
        await wait_for(pilot, lambda: isinstance(app.screen, (SectionScreen, GuideCompleteScreen)))
        await pilot.pause(0.5)
        app.goto_section("resources", warn=False)
        await wait_for(pilot, lambda: on_section(app, "resources"))
        await pilot.pause(0.5)

        async def apply(value: str) -> str:
            screen = app.screen
            screen.query_one("#fields").collapsed = False
            await wait_for(pilot, lambda: screen.query_one("#apply").display and not screen.query_one("#apply").disabled)
            screen.query_one("#f-vip-external").value = value
            await pilot.pause()
            rebuilds, before = screen.rebuilds, {id(n) for n in app._notifications}
            screen.query_one("#apply").press()  # as a click on it (wherever the layout puts it)
            await wait_for(pilot, lambda: screen.rebuilds > rebuilds
                           and any(id(n) not in before for n in app._notifications))
            return next(n.message for n in app._notifications if id(n) not in before)

        def statuses() -> list[str]:
            table = app.screen.query_one("#actions", DataTable)
            return [str(table.get_row_at(i)[3]) for i in range(table.row_count)]

        toast = await apply("192.168.1.210")
        marked = list(app.out_of_date())
        assert marked and "usaron los anteriores" in toast and any("⟳" in s for s in statuses())
        assert not app.guide_complete()
        app.show_complete()
        await wait_for(pilot, lambda: isinstance(app.screen, GuideCompleteScreen) and app.screen.built_lang)
        title = text_of(app.screen.query_one("#done-title"))
        assert "Guion completo" not in title and title.startswith("⟳")
        section = app.screen_stack[-2]
        app.pop_screen()  # back to the section (composed for the new values when they were applied)
        await wait_for(pilot, lambda: on_section(app, "resources") and not section.stale
                       and not getattr(section, "rebuilding", False))
        await pilot.pause(0.3)
        md = render(app.session, "md")
        assert "## Valores cambiados" in md and "`192.168.1.200` → `192.168.1.210`" in md
        assert "Desactualizadas ahora" in md and f"`{marked[0]}`" in md

        toast = await apply("192.168.1.200")  # put back: the actions ran with this value
        assert app.out_of_date() == {} and not any("⟳" in s for s in statuses())
        assert "usaron" not in toast and "vuelven a estar al día" in toast
        assert app.guide_complete() and app.section_state("resources") == "ok"
        md = render(app.session, "md")
        assert "de nuevo al día" in md and "Desactualizadas ahora" not in md
        assert Session.load("vuelta", root=state).options["out_of_date"] == {}
