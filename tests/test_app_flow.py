"""Pilot tests of moving through the app: sessions (resume by default, delete, where the student was),
the language remembered, Back / Next section / the offer to go on / the guide complete, out-of-date
marks after a change of values, and the inventory's password check.

Real parts: the real checkpoint in a temporary state folder, the real engine running local commands,
the real preferences file in a temporary config folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import wait_for
from textual.widgets import DataTable

from steps import full_plan
from steps.profiles import get_profile
from wizard.base.answers import Answers
from wizard.session.prefs import load_prefs
from wizard.session.state import Session
from wizard.ui.app import WizardApp
from wizard.ui.screens.complete import GuideCompleteScreen
from wizard.ui.screens.dialogs import ConfirmDialog
from wizard.ui.screens.inventory import InventoryScreen
from wizard.ui.screens.section import SectionScreen
from wizard.ui.screens.start import StartScreen


@pytest.fixture
def state(state: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LANG", "C")  # the language from --lang or the preferences, never the machine's locale
    return state


def on_section(app, section_id: str | None = None) -> bool:
    screen = app.screen
    return (isinstance(screen, SectionScreen) and screen.built_lang is not None
            and (section_id is None or screen.section_id == section_id))


def make_session(state: Path, name: str, lang: str = "en", done_before: str | None = None,
                 all_but_last: bool = False) -> Session:
    """A session; `done_before`: every action of the sections before that one marked ok."""
    session = Session.create(name, Answers(), "rhel7", root=state, lang=lang)
    plan = full_plan(session.answers, get_profile("rhel7"))
    ids = [a.id for module, actions in plan for a in actions]
    if done_before is not None:
        stop = next(i for i, (m, acts) in enumerate(plan) if m.ID == done_before)
        ids = [a.id for _, acts in plan[:stop] for a in acts]
    elif not all_but_last:
        ids = []
    else:
        ids = ids[:-1]
    for action_id in ids:
        rec = session.record(action_id)
        rec.status, rec.started, rec.ended = "ok", "2026-11-22T08:00:00", "2026-11-22T08:00:01"
    session.save()
    session.release()
    return session


def cell(table: DataTable, row_key: str, column: str) -> str:
    return str(table.get_cell(row_key, column))


async def test_start_screen_resumes_by_default_and_deletes_with_confirmation(state: Path) -> None:
    make_session(state, "keep-me")
    make_session(state, "drop-me")
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#sessions", DataTable)
        assert app.focused is table and table.row_count == 2  # not the new session's name field
        table.move_cursor(row=[str(k.value) for k in table.rows].index("drop-me"))
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog) and app.screen.query("#yes"))
        assert "drop-me" in str(app.screen.query_one(".dialog-body").render())
        await pilot.press("enter")  # the safe answer has the focus: Enter does not delete
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
        assert (state / "sessions" / "drop-me").is_dir()
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog) and app.screen.query("#yes"))
        await pilot.click("#yes")
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen) and table.row_count == 1)
        assert not (state / "sessions" / "drop-me").exists()
        assert (state / "sessions" / "keep-me").is_dir()
        await pilot.press("enter")  # Enter resumes the one left
        await wait_for(pilot, lambda: on_section(app))
        assert app.session.name == "keep-me"


async def test_language_is_remembered_and_a_session_opens_in_its_own(state: Path) -> None:
    make_session(state, "en-espanol", lang="es")
    app = WizardApp(state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.lang == "en"  # LANG=C and no preference yet
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.lang == "es")
    assert load_prefs().lang == "es"  # kept for the next launch
    app = WizardApp(state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.lang == "es"
        assert "paso a paso" in str(app.screen.query_one(".heading").render())
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.lang == "en")
    assert load_prefs().lang == "en"
    # A new launch (English preference) resuming a session made in Spanish opens it in Spanish.
    app = WizardApp(state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.lang == "en"
        app.resume_session("en-espanol")
        await wait_for(pilot, lambda: on_section(app))
        assert app.lang == "es"
        assert "comprobar las máquinas" in str(app.screen.query_one("#sec-title").render())


async def test_back_to_start_then_resume_where_the_student_was(state: Path) -> None:
    make_session(state, "wanderer")
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        app.resume_session("wanderer")
        await wait_for(pilot, lambda: on_section(app, app.plan()[0][0].ID))  # the first section, new session
        app.goto_section("properties", warn=False)
        await wait_for(pilot, lambda: on_section(app, "properties"))
        await pilot.press("escape")  # Esc goes back (it no longer stops anything)
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
        assert app.session is None  # left: another process could run it now
        await pilot.press("enter")
        await wait_for(pilot, lambda: on_section(app))
        assert app.screen.section_id == "properties"  # where the student was, not the first open one
    app = WizardApp(lang="en", state_root=state)  # and after quitting too
    async with app.run_test(size=(80, 24)) as pilot:
        app.resume_session("wanderer")
        await wait_for(pilot, lambda: on_section(app))
        assert app.screen.section_id == "properties"


async def test_the_last_action_done_shows_the_guide_complete(state: Path) -> None:
    session = make_session(state, "finisher", all_but_last=True)
    plan = full_plan(session.answers, get_profile("rhel7"))
    # The last action to do is a local program (a host step with argv): edited into `true`, it runs here.
    module, last = next((m, a) for m, acts in reversed(plan) for a in reversed(acts) if a.target.is_local and a.argv)
    for _, actions in plan:
        for action in actions:
            session.record(action.id).status = "pending" if action.id == last.id else "ok"
    session.claim("test")
    session.save()
    session.release()
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(100, 30)) as pilot:
        app.resume_session("finisher")
        await wait_for(pilot, lambda: on_section(app, module.ID))
        screen = app.screen
        screen.start(next(a for a in screen.actions if a.id == last.id), "one", command="true")
        await wait_for(pilot, lambda: isinstance(app.screen, GuideCompleteScreen)
                       and app.screen.query("#done-title") and app.screen.query("#export-sh"), timeout=30)
        assert "Guide complete" in str(app.screen.query_one("#done-title").render())
        assert app.screen.query("#export-md") and app.screen.query("#export-sh")
        await pilot.press("escape")
        await wait_for(pilot, lambda: on_section(app, module.ID))


async def test_a_section_done_offers_the_next_and_ctrl_n_moves_on(state: Path) -> None:
    make_session(state, "mover")
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(100, 30)) as pilot:
        app.resume_session("mover")
        await wait_for(pilot, lambda: on_section(app))
        app.goto_section("snapshot", warn=False)
        await wait_for(pilot, lambda: on_section(app, "snapshot"))
        screen = app.screen
        # Every action but one done by skipping; one host program runs (edited, harmless).
        runs = [a for a in screen.actions if a.argv][-1]
        for action in screen.actions:
            if action is not runs:
                app.engine.skip(action.id)
        screen.start(runs, "one", command="true")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog) and app.screen.query("#yes"), timeout=30)
        n = app.section_number("nic_add")
        assert f"Go on with section {n}" in str(app.screen.query_one(".dialog-body").render())
        await pilot.press("enter")  # Next section is the default answer
        await wait_for(pilot, lambda: on_section(app, "nic_add"))
        await pilot.press("ctrl+n")  # and the key, without waiting for a section to be done
        # (section 3 opens with its explanation of the address clash on top)
        await wait_for(pilot, lambda: any(isinstance(s, SectionScreen) and s.section_id == "standby_clone"
                                          for s in app.screen_stack))


async def test_changed_value_marks_done_actions_out_of_date(state: Path) -> None:
    make_session(state, "changer", done_before="constraints")  # sections 1-8 done
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(120, 40)) as pilot:
        app.resume_session("changer")
        await wait_for(pilot, lambda: on_section(app))
        app.goto_section("resources", warn=False)
        await wait_for(pilot, lambda: on_section(app, "resources"))
        screen = app.screen
        screen.query_one("#fields").collapsed = False
        await pilot.pause()
        field = screen.query_one("#f-vip-external")
        field.value = "192.168.1.210"
        await pilot.pause()
        rebuilds = screen.rebuilds
        await pilot.click("#apply")
        await wait_for(pilot, lambda: screen.rebuilds > rebuilds)
        assert screen.query_one("#stale-box").display
        assert "Floating IPs (VIPs) · External" in str(screen.query_one("#stale-text").render())
        marks = app.out_of_date()
        vip_actions = [a.id for a in app.section("resources")[1] if a.id in marks]
        assert vip_actions and all(marks[i] == ["vip.external"] for i in vip_actions)
        assert not any(i.startswith("snapshot.") for i in marks)
        table = app.screen.query_one("#actions", DataTable)
        assert "out of date" in cell(table, vip_actions[0], "status")
        # Kept in the session: a resume shows them too. Skipping one (done by hand) clears its mark.
        assert Session.load("changer", root=state).options["out_of_date"] == marks
        table.move_cursor(row=app.screen.index_of(vip_actions[0]))
        await pilot.press("k")
        await wait_for(pilot, lambda: vip_actions[0] not in app.out_of_date())
        assert "out of date" not in cell(table, vip_actions[0], "status")


async def test_two_different_passwords_are_a_problem_in_the_summary(state: Path) -> None:
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_inventory_new("pw-check")
        await wait_for(pilot, lambda: isinstance(app.screen, InventoryScreen) and app.screen.query("#pw2"))
        summary = app.screen.query_one("#inv-summary")
        assert "All values are valid" in str(summary.render())  # nothing typed yet: nothing wrong
        app.screen.query_one("#pw1").value = "secret-one"
        app.screen.query_one("#pw2").value = "secret-two"
        await wait_for(pilot, lambda: "differ" in str(summary.render()))
        assert "All values are valid" not in str(summary.render())
        assert "1 problem" in str(summary.render())
        app.screen.query_one("#pw2").value = "secret-one"
        await wait_for(pilot, lambda: "All values are valid" in str(summary.render()))


async def test_back_to_the_snapshot_shows_what_it_does_and_asks_first(state: Path) -> None:
    """The app's entry to going back: the preview (commands, sections undone), Cancel by default; going
    on runs the engine's undo, which stops at its first check here (no VirtualBox on this machine) before
    anything changes, and says where."""
    from wizard.ui.screens.dialogs import UndoDialog

    make_session(state, "undoer", done_before="properties")  # sections 1-6 done
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(100, 30)) as pilot:
        app.resume_session("undoer")
        await wait_for(pilot, lambda: on_section(app, "properties"))
        before = {a.id: app.status(a.id) for _, actions in app.plan() for a in actions}
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, UndoDialog))
        dialog = app.screen
        assert dialog.preview.snapshot == "preHA"
        assert dialog.preview.sections[0] == "nic_add" and "properties" in dialog.preview.sections
        assert f"{app.section_number('nic_add')}. Heartbeat" in str(dialog.query_one("#undo-sections").render())
        assert dialog.query(".command")  # every command shown before anything runs
        await pilot.press("enter")  # Cancel has the focus
        await wait_for(pilot, lambda: on_section(app, "properties"))
        assert {a.id: app.status(a.id) for _, actions in app.plan() for a in actions} == before
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, UndoDialog))
        await pilot.click("#go")
        await wait_for(pilot, lambda: not app.busy and on_section(app, "properties")
                       and any("stopped at" in n.message for n in app._notifications), timeout=60)
        assert {a.id: app.status(a.id) for _, actions in app.plan() for a in actions} == before


async def test_connection_check_results_wrap_instead_of_being_cut(state: Path) -> None:
    from wizard.base.i18n import Msg
    from wizard.run.inventory import NodeCheck

    error = Msg("master: cannot connect to 192.168.1.101:22 (No route to host): check directors[0].ssh_host",
                "master: no se puede conectar con 192.168.1.101:22 (No route to host): revisa el acceso")
    app = WizardApp(lang="es", state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_inventory_new("conn")
        await wait_for(pilot, lambda: isinstance(app.screen, InventoryScreen) and app.screen.query("#conn"))
        screen = app.screen
        fp = "SHA256:" + "x" * 43
        checks = [NodeCheck("master", "192.168.1.101", error=error), NodeCheck("standby", "192.168.1.102", fp)]
        for check in checks:
            screen.add_check_row(check)
        screen.check_done(checks, [], "")
        table = screen.query_one("#conn")
        await pilot.pause(0.2)
        screen.query_one("#inventory").scroll_to_widget(table, animate=False, top=True)
        await pilot.pause(0.2)
        region = table.region

        lines = [s.text[region.x:region.right] for s in app.screen._compositor.render_strips()[region.y:region.bottom]]
        words = " ".join(lines).split()
        assert all(word in words for word in error.es.split()), lines  # every word, wrapped in its column
        assert "192.168.1.101" in words and "192.168.1.102" in words  # addresses whole
        assert "".join(w for w in words if w.startswith(("SHA256:", "x"))) == fp  # the fingerprint folded, all there
