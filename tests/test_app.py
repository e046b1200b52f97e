"""Pilot tests of the Textual app: inventory validation, language, edited commands, quit and resume.

Real parts: the real engine runs real local commands (an edited command, `sleep`), the real checkpoint
is written to a temporary state folder and the real transcript is exported.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from app_support import wait_for

from steps import SECTIONS
from wizard.base.answers import Answers
from wizard.session.state import Session
from wizard.ui.app import WizardApp
from wizard.ui.screens.dialogs import EditCommandDialog, ExportDialog
from wizard.ui.screens.inventory import InventoryScreen
from wizard.ui.screens.section import SectionScreen
from wizard.ui.screens.start import StartScreen


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "state"
    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(root))
    monkeypatch.setenv("HOME", str(tmp_path))  # no user known_hosts / ssh config of the machine
    return root


async def type_into(pilot, selector: str, text: str, keys: bool = False) -> None:
    """Put `text` in an input: as key presses (slow in Pilot, ~80 ms a key) or as a value change."""
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    if keys:
        widget.value = ""
        await pilot.pause()
        await pilot.press(*text)
    else:
        widget.value = text
    await pilot.pause()


def on_section(app, section_id: str | None = None) -> bool:
    screen = app.screen
    return (isinstance(screen, SectionScreen) and screen.built_lang is not None
            and (section_id is None or screen.section_id == section_id))


def field_input(app, path: str):
    from wizard.ui.widgets.fields import field_id

    return app.screen.query_one(f"#{field_id(path)}")


def field_error(app, path: str) -> str:
    """The problem text shown under the field's row (a form row or a row of the hosts' table)."""
    row = next(node for node in field_input(app, path).ancestors if node.has_class("field-row"))
    return str(row.query_one(".field-error").render())


async def test_inventory_bad_values_block_then_good_values_go_on(state: Path) -> None:
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, StartScreen)
        await type_into(pilot, "#session-name", "class-lab")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, InventoryScreen)

        # A director address outside the external network: the error shows next to the field at once.
        await type_into(pilot, "#f-directors-0-external_ip", "192.168.7.101", keys=True)
        assert field_input(app, "directors[0].external_ip").has_class("-invalid")
        assert "master: 192.168.7.101 is not inside Networks · External" in field_error(app, "directors[0].external_ip")
        assert not field_input(app, "directors[1].external_ip").has_class("-invalid")
        # A VIP equal to a real address, and a port that is not a number.
        await type_into(pilot, "#f-vip-internal", "10.0.100.12")
        assert "already the real address" in field_error(app, "vip.internal")
        await type_into(pilot, "#f-servers-2-name", "cluster2")
        assert field_input(app, "servers[2].name").has_class("-invalid")

        await pilot.press("ctrl+s")  # next: refused
        await pilot.pause()
        assert isinstance(app.screen, InventoryScreen)
        assert not (state / "sessions" / "class-lab").exists()

        # Fix them all; a password that does not match its repetition still blocks.
        await type_into(pilot, "#f-directors-0-external_ip", "192.168.1.101")
        await type_into(pilot, "#f-vip-internal", "10.0.100.200")
        await type_into(pilot, "#f-servers-2-name", "cluster4")
        assert not app.screen.query("Input.-invalid")
        # The servers table grows and shrinks; a new server gets the next address.
        # Each press rebuilds the form: wait until the rebuild has ended, not just until a field
        # appears or goes (the rest of the form is still being mounted then).
        rebuilds = app.screen.rebuilds
        app.screen.query_one("#add-server").press()
        await wait_for(pilot, lambda: app.screen.rebuilds > rebuilds)
        assert field_input(app, "servers[3].ip").value == "10.0.100.15"
        rebuilds = app.screen.rebuilds
        app.screen.query_one("#del-server").press()
        await wait_for(pilot, lambda: app.screen.rebuilds > rebuilds)
        assert not app.screen.query("#f-servers-3-ip")
        assert len(app.screen.answers.servers) == 3
        await type_into(pilot, "#pw1", "s3cret-hacluster")
        await type_into(pilot, "#pw2", "other")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, InventoryScreen)
        assert "differ" in str(app.screen.query_one("#pw-error").render())

        await type_into(pilot, "#pw2", "s3cret-hacluster")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: on_section(app))
        assert app.screen.section_id == "preflight"  # the checks come first
        assert app.secrets["hacluster_password"] == "s3cret-hacluster"
    saved = (state / "sessions" / "class-lab" / "state.json").read_text()
    assert "s3cret-hacluster" not in saved  # memory only
    assert json.loads(saved)["answers"]["directors"][0]["external_ip"] == "192.168.1.101"


async def test_switch_language(state: Path) -> None:
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        heading = app.screen.query_one(".heading")
        assert "step by step" in str(heading.render())
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.lang == "es"
        assert "paso a paso" in str(app.screen.query_one(".heading").render())
        # The footer speaks Spanish too.
        bindings = {ab.binding.action: ab.binding.description for ab in app.screen.active_bindings.values()}
        assert bindings["quit"] == "Salir"
        # And back with the button on the start screen.
        await pilot.click("#lang-en")
        await pilot.pause()
        assert app.lang == "en"
        assert "step by step" in str(app.screen.query_one(".heading").render())


def make_session(state: Path, name: str, profile: str = "rhel7") -> Session:
    """A session whose preflight checks passed and whose access section (the wizard's key, when a password
    was needed) is done: the guide's first section (snapshot) is next."""
    from steps import access, preflight
    from steps.profiles import get_profile

    answers = Answers()
    answers.profile = profile
    session = Session.create(name, answers, profile, root=state)
    for action in [*preflight.plan(answers, get_profile(profile)), *access.plan(answers, get_profile(profile))]:
        session.record(action.id).status = "ok"
    session.save()
    session.release()
    return session


async def test_edit_command_is_recorded_and_exported(state: Path, tmp_path: Path) -> None:
    make_session(state, "edit-me")
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(100, 30)) as pilot:
        app.resume_session("edit-me")
        await wait_for(pilot, lambda: on_section(app))
        first = app.screen.selected()
        assert first.id == "snapshot.take.master"
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditCommandDialog))
        editor = app.screen.query_one("#editor")
        assert editor.text == first.command
        editor.text = "echo edited-by-test"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.session.status(first.id) == "edited" and not app.busy)
        rec = app.session.record(first.id)
        assert rec.status == "edited" and rec.edited and rec.command_run == "echo edited-by-test"
        assert "edited" in str(app.screen.query_one("#actions").get_row(first.id))
        # Export through the dialog (binding + path).
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        out = tmp_path / "out.md"
        app.screen.query_one("#fmt-md").value = True
        await pilot.pause()
        app.screen.query_one("#export-path").value = str(out)
        await pilot.click("#go")
        await wait_for(pilot, lambda: out.exists())
        assert "echo edited-by-test" in out.read_text()
        app.export("sh", str(tmp_path / "out.sh"))
    state_json = json.loads((state / "sessions" / "edit-me" / "state.json").read_text())
    assert state_json["actions"][first.id]["command_run"] == "echo edited-by-test"
    assert state_json["actions"][first.id]["status"] == "edited"
    sh = (tmp_path / "out.sh").read_text()
    assert "echo edited-by-test" in sh and "edited" in sh.lower()


async def test_quit_mid_action_then_resume_at_the_same_action(state: Path) -> None:
    make_session(state, "quitter")
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        app.resume_session("quitter")
        await wait_for(pilot, lambda: on_section(app))
        screen = app.screen
        screen.action_skip()  # first action skipped: the second is the one to interrupt
        await pilot.pause()
        second = screen.selected()
        assert second.id == "snapshot.take.cluster2"
        screen.start(second, "one", command="sleep 30")
        await wait_for(pilot, lambda: app.session.status(second.id) == "running")
        started = time.monotonic()
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running, timeout=20)
    assert time.monotonic() - started < 10  # the command was stopped, not waited for
    # The checkpoint is consistent: readable, the action ended (not left "running"), nothing else changed.
    data = json.loads((state / "sessions" / "quitter" / "state.json").read_text())
    assert data["actions"]["snapshot.take.master"]["status"] == "skipped"
    assert data["actions"][second.id]["status"] in ("stopped", "running")
    assert "snapshot.take.cluster3" not in data["actions"] or \
        data["actions"]["snapshot.take.cluster3"]["status"] == "pending"

    app2 = WizardApp(lang="en", state_root=state)
    async with app2.run_test(size=(80, 24)) as pilot:
        table = app2.screen.query_one("#sessions")
        assert table.row_count == 1
        # The start screen's default action, with a session there, is to resume it: Enter does it.
        assert app2.focused is table
        await pilot.press("enter")
        await wait_for(pilot, lambda: on_section(app2))
        assert app2.screen.section_id == "snapshot"
        assert app2.screen.selected().id == second.id  # resumes at the interrupted action
        assert app2.engine.next_pending("snapshot").id == second.id


async def test_jump_warns_when_earlier_sections_are_open_and_palette_finds_sections(state: Path) -> None:
    make_session(state, "jumper")
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        app.resume_session("jumper")
        await wait_for(pilot, lambda: on_section(app))
        app.goto_section("properties")
        await pilot.pause()
        from wizard.ui.screens.dialogs import ConfirmDialog

        assert isinstance(app.screen, ConfirmDialog)
        number = [m.ID for m in SECTIONS].index("snapshot") + 1  # the sections before it are done
        assert f"{number}. Snapshot" in str(app.screen.query_one(".dialog-body").render())
        await pilot.click("#yes")
        await wait_for(pilot, lambda: on_section(app, "properties"))
        # F1 help on the section screen: its keys are the ones that exist, named as the footer names them.
        section_screen = app.screen
        footer = {(app.get_key_display(ab.binding), ab.binding.description)
                  for ab in section_screen.active_bindings.values() if ab.binding.show}
        await pilot.press("f1")
        await pilot.pause()
        assert "Run the next action" in str(app.screen.query_one("#help-text").render())
        assert app.screen.query("#help-keys")
        pairs = set(app.screen.keys)
        assert footer <= pairs, footer - pairs
        existing = {a for node in (section_screen, app) for bs in node._bindings.key_to_bindings.values()
                    for a in (b.description for b in bs)}
        assert {d for _, d in pairs} <= existing
        assert ("esc", "Back") in pairs and ("x", "Stop") in pairs and ("^n", "Next section") in pairs
        await pilot.press("escape")
        await pilot.pause()
        # The command palette offers the sections.
        from wizard.ui.app import SectionCommands

        provider = SectionCommands(app.screen)
        hits = [hit async for hit in provider.search("gateway")]
        assert hits and "gateway" in str(hits[0].text).lower()


def test_theme_and_i18n_defaults() -> None:
    from wizard.base.i18n import STRINGS, default_lang

    assert default_lang({"LANG": "es_ES.UTF-8"}) == "es"
    assert default_lang({"LC_ALL": "C", "LANG": "es_ES.UTF-8"}) == "en"
    assert default_lang({}) == "en"
    assert all(len(pair) == 2 and all(pair) or key == "col.st" for key, pair in STRINGS.items())


async def test_measured_figures_are_charted(state: Path) -> None:
    session = make_session(state, "figures")
    rec = session.record("verification.bench_matrix")
    rec.status = "ok"
    rec.figures = [{"name": "pi_time", "value": v, "unit": "s", "labels": {"servers": str(n)}}
                   for n, v in ((1, 2.5), (2, 1.4), (3, 0.9))]
    session.save()
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(120, 40)) as pilot:
        app.resume_session("figures")
        await wait_for(pilot, lambda: on_section(app))
        app.push_section("verification")
        await wait_for(pilot, lambda: on_section(app, "verification"))
        from textual_plotext import PlotextPlot

        from wizard.ui.widgets.figures import FiguresPanel

        panel = app.screen.query_one(FiguresPanel)
        assert [label for label, _ in panel.series()] == ["servers=1", "servers=2", "servers=3"]  # the title names the figure
        assert panel.query(PlotextPlot)


async def test_guided_screens_for_the_address_clash_and_a_by_hand_step(state: Path) -> None:
    from wizard.ui.screens.dialogs import ClashDialog, ManualDialog

    session = make_session(state, "guided")
    from steps import full_plan
    from steps.profiles import get_profile

    # Everything before the first manual step of the verification done, so "run next" reaches it.
    for _module, actions in full_plan(session.answers, get_profile("rhel7")):
        for action in actions:
            if action.kind == "manual":
                break
            session.record(action.id).status = "skipped"
        else:
            continue
        break
    session.save()
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(100, 30)) as pilot:
        app.resume_session("guided")
        await wait_for(pilot, lambda: on_section(app, "verification"))
        manual = app.engine.next_pending("verification")
        assert manual.kind == "manual"
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ManualDialog))
        steps = [str(s.render()) for s in app.screen.query(".manual-step")]
        assert steps and any(word in " ".join(steps) for word in ("cable", "unplug", "power", "NIC"))
        await pilot.press("escape")  # not now: nothing ran
        await pilot.pause()
        assert app.session.status(manual.id) == "pending" and not app.busy
        # Section 3, not done yet, opens with its guided explanation of the clash (once per run of the app).
        for action in app.section("standby_clone")[1]:
            app.session.records.pop(action.id, None)
        app.goto_section("standby_clone")
        await wait_for(pilot, lambda: isinstance(app.screen, ClashDialog))
        body = " ".join(app.screen.step_texts)
        assert "127.0.0.1:2201" in body  # the clone is reached at master's address (its port forward)
        await pilot.press("escape")
        await wait_for(pilot, lambda: on_section(app, "standby_clone"))
