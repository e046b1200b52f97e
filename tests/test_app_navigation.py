"""Pilot tests of moving around the app by keyboard (issue 21, findings 1 and 5): the crash of a section
replaced while it was being rebuilt, an unhandled error ending the app with a non-zero status and saying
where the student was, `b` going to the sections, the footers' keys, skipping a by-hand step from its
dialog, the inventory's password reached at once, and the start screen's list of sessions kept current.

Real parts: the real checkpoint in a temporary state folder, the real engine running local commands.
"""

from __future__ import annotations

import json
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
from wizard.ui.screens.start import StartScreen


@pytest.fixture
def state(state: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LANG", "C")  # the language from --lang or the preferences, never the machine's locale
    return state


def on_section(app: WizardApp, section_id: str | None = None) -> bool:
    screen = app.screen
    return (isinstance(screen, SectionScreen) and screen.built_lang is not None
            and (section_id is None or screen.section_id == section_id))


def make_session(state: Path, name: str, done_before: str, lang: str = "es") -> None:
    """A session with every action of the sections before `done_before` done."""
    session = Session.create(name, Answers(), "rhel7", root=state, lang=lang)
    plan = full_plan(session.answers, get_profile("rhel7"))
    stop = next(i for i, (m, _) in enumerate(plan) if m.ID == done_before)
    for _, actions in plan[:stop]:
        for a in actions:
            rec = session.record(a.id)
            rec.status, rec.started, rec.ended = "ok", "2026-11-22T08:00:00", "2026-11-22T08:00:01"
    session.save()
    session.release()


async def test_palette_to_the_section_on_screen_after_applying_values_does_not_crash(state: Path) -> None:
    """Finding 1: values applied in section 10, then Ctrl+P "sección 10" Enter and Tab / Shift+Tab. The
    applied values left the screen marked to be rebuilt; coming back from the palette rebuilt it while the
    palette's jump replaced it by a new one, and Textual's Header died (NoMatches 'HeaderTitle')."""
    make_session(state, "c10", "resources")
    app = WizardApp(state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        app.resume_session("c10")
        await wait_for(pilot, lambda: on_section(app, "resources"))
        screen = app.screen
        screen.query_one("#fields").collapsed = False
        await pilot.pause()
        rebuilds = screen.rebuilds
        screen.query_one("#apply").press()
        await wait_for(pilot, lambda: screen.rebuilds > rebuilds)
        await pilot.press("ctrl+p", *"sección 10", "enter")
        await pilot.press("tab", "tab", "shift+tab", "tab", "shift+tab", "shift+tab")
        await pilot.pause(0.3)
        await wait_for(pilot, lambda: on_section(app, "resources"))
        assert [type(s).__name__ for s in app.screen_stack[1:]] == ["StartScreen", "SectionScreen"]
    assert not app.return_code and app.crash is None


async def test_an_unhandled_error_exits_non_zero_and_the_session_says_where(state: Path, monkeypatch) -> None:
    """Whatever goes wrong in the app, it ends with status 1 (not 0), the session keeps the section and the
    action the student was on (the next start opens there), and a line for the terminal names the session
    and `run --resume`."""
    from wizard.ui.app import crash_note

    make_session(state, "boom", "resources")

    def broken(self: SectionScreen) -> None:
        raise RuntimeError("a bug in the app")

    monkeypatch.setattr(SectionScreen, "action_edit", broken)  # the fault: a key whose handler raises
    app = WizardApp(state_root=state)
    with pytest.raises(RuntimeError, match="a bug in the app"):  # run_test re-raises what ended the app
        async with app.run_test(size=(80, 24)) as pilot:
            app.resume_session("boom")
            await wait_for(pilot, lambda: on_section(app, "resources"))
            await pilot.press("down", "down")  # the third action of section 10
            chosen = app.screen.selected().id
            await pilot.press("e")
            await pilot.pause(0.3)
    assert app.return_code == 1
    saved = json.loads((state / "sessions" / "boom" / "state.json").read_text())
    assert saved["options"]["ui_section"] == "resources" and saved["options"]["ui_action"] == chosen
    note = crash_note(app)
    assert note is not None and "boom" in note and "run --resume boom" in note and "RuntimeError" in note
    assert "10." in note  # the section, as the student knows it
    # The next start opens that section with that action selected.
    monkeypatch.undo()
    app = WizardApp(state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        app.resume_session("boom")
        await wait_for(pilot, lambda: on_section(app, "resources"))
        assert app.screen.selected().id == chosen
    assert not app.return_code and crash_note(app) is None


def test_the_command_ends_with_status_1_and_a_line_on_stderr_after_a_crash(state: Path, monkeypatch, capsys) -> None:
    """`ha-wizard` itself (run_app, as the command line calls it, headless here): Textual's run() gives no
    value after an error, which the command turned into status 0."""
    import argparse

    from wizard.ui import app as app_module

    make_session(state, "boom2", "resources")

    async def student(pilot) -> None:  # noqa: ANN001 - Textual's Pilot
        pilot.app.resume_session("boom2")
        await wait_for(pilot, lambda: on_section(pilot.app, "resources"))
        await pilot.press("e")

    def broken(self: SectionScreen) -> None:
        raise RuntimeError("a bug in the app")

    monkeypatch.setattr(SectionScreen, "action_edit", broken)
    real_run = WizardApp.run
    monkeypatch.setattr(WizardApp, "run", lambda self: real_run(self, headless=True, size=(80, 24),
                                                                  auto_pilot=student))
    status = app_module.run_app(argparse.Namespace(lang="en"))
    assert status == 1
    err = capsys.readouterr().err
    assert "Session 'boom2' is saved at section 10." in err and "ha-wizard run --resume boom2" in err


def footer_line(app: WizardApp) -> str:
    return app.screen._compositor.render_strips()[-1].text.rstrip()


def footer_shown(app: WizardApp) -> list[str]:
    """(key description) of every binding the footer means to show now."""
    return [f"{app.get_key_display(b.binding)} {b.binding.description}"
            for b in app.screen.active_bindings.values() if b.binding.show]


@pytest.mark.parametrize("lang", ["es", "en"])
async def test_footers_show_the_keys_that_matter_and_fit_in_80_columns(state: Path, lang: str) -> None:
    """Finding 5: the start screen's footer had no Ctrl+Q, the section's only n, s, ^n, esc, f1. Now the
    section's footer follows the selected action (pending: run, skip, edit; failed: retry, edit, skip; done:
    run again), always the sections and Back, and each one is whole on an 80-column screen."""
    make_session(state, "keys", "snapshot", lang=lang)
    app = WizardApp(state_root=state, lang=lang)
    quit_word = {"es": "Salir", "en": "Quit"}[lang]
    async with app.run_test(size=(80, 24)) as pilot:
        # The footer is redrawn after the bindings change, a refresh or more later (longer under load).
        await wait_for(pilot, lambda: f"^q {quit_word}" in footer_line(app))
        app.resume_session("keys")
        await wait_for(pilot, lambda: on_section(app, "snapshot"))
        screen = app.screen
        words = {"es": ("Omitir", "Editar", "Secciones", "Reintentar"), "en": ("Skip", "Edit", "Sections", "Retry")}
        skip, edit, sections, retry = words[lang]
        expected = {"pending": lambda line: f"k {skip}" in line and f"e {edit}" in line and "n " in line,
                    "failed": lambda line: f"r {retry}" in line and f"k {skip}" in line,
                    "ok": lambda line: f"r {retry}" in line and f"k {skip}" not in line}
        for state_name, shows in expected.items():
            action = screen.selected()
            rec = app.session.record(action.id)
            rec.status = state_name
            screen.refresh_statuses()
            screen.show_selected()
            await wait_for(pilot, lambda shows=shows: shows(footer_line(app)))
            line = footer_line(app)
            shown = footer_shown(app)
            assert all(item in line for item in shown), (line, shown)  # every key whole, none cut
            assert f"b {sections}" in line and "f1" in line


async def test_b_goes_to_the_sections_and_ctrl_b_hides_them(state: Path) -> None:
    """Finding 5: `b` ("Secciones") hid the sidebar. Now it goes to it (Enter opens a section there);
    Ctrl+B hides it for room and shows it again."""
    from wizard.ui.screens.dialogs import ConfirmDialog
    from wizard.ui.widgets.panels import Sidebar

    make_session(state, "side", "snapshot")
    app = WizardApp(state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        app.resume_session("side")
        await wait_for(pilot, lambda: on_section(app, "snapshot"))
        sidebar = app.screen.query_one(Sidebar)
        await pilot.press("b")
        assert app.focused is sidebar and sidebar.display
        await pilot.press("ctrl+b")
        assert not sidebar.display and app.focused is not sidebar
        await pilot.press("b")
        assert sidebar.display and app.focused is sidebar
        await pilot.press("down", "enter")  # section 4; section 3 is not done: the jump asks first
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")
        await wait_for(pilot, lambda: on_section(app, "nic_add"))


async def test_a_by_hand_step_can_be_skipped_from_its_dialog(state: Path) -> None:
    """Finding 5: "Ahora no" stopped the whole section and nothing said that k skips the step. The dialog
    says what each answer does and offers the skip (k) itself."""
    from wizard.ui.screens.dialogs import ManualDialog

    make_session(state, "hand", "verification")
    app = WizardApp(state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        app.resume_session("hand")
        await wait_for(pilot, lambda: on_section(app, "verification"))
        screen = app.screen
        manual = next(a for a in screen.actions if a.kind == "manual")
        for a in screen.actions[:screen.index_of(manual.id)]:
            app.session.record(a.id).status = "skipped"  # what comes before it: out of the way
        screen.refresh_statuses()
        screen.after_skip()
        assert screen.selected().id == manual.id
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ManualDialog))
        choices = str(app.screen.query_one("#manual-choices").render())
        assert "Ahora no" in choices and "k" in choices and app.screen.query("#skip")
        await pilot.press("k")
        await wait_for(pilot, lambda: on_section(app, "verification") and app.status(manual.id) == "skipped")
        assert not app.busy and app.screen.selected().id != manual.id


async def test_the_inventory_opens_on_the_password(state: Path) -> None:
    """Finding 5: the password was 70 Tab presses down the form. A new session's inventory opens on it."""
    from wizard.ui.screens.inventory import InventoryScreen

    app = WizardApp(state_root=state, lang="es")
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_inventory_new("pw-first")
        await wait_for(pilot, lambda: isinstance(app.screen, InventoryScreen) and app.screen.query("#pw1"))
        await pilot.pause()
        assert app.focused is app.screen.query_one("#pw1")
        await pilot.press(*"s3cret", "tab", *"s3cret", "ctrl+s")
        await wait_for(pilot, lambda: on_section(app, "preflight"))
        assert app.secrets["hacluster_password"] == "s3cret"


async def test_the_start_screen_list_is_current_after_a_session(state: Path) -> None:
    """Finding 5: back on the start screen, the list still showed the progress from before the run."""
    make_session(state, "prog", "snapshot", lang="en")  # the app's language: no rebuild on the way back
    app = WizardApp(state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#sessions", DataTable)
        before = str(table.get_cell("prog", "col.progress"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: on_section(app, "snapshot"))
        await pilot.press("k")  # one more action done (skipped)
        await wait_for(pilot, lambda: app.status(app.screen.actions[0].id) == "skipped")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen) and app.screen.query("#sessions"))
        await pilot.pause()
        after = str(app.screen.query_one("#sessions", DataTable).get_cell("prog", "col.progress"))
        assert int(after.split("/")[0]) == int(before.split("/")[0]) + 1
