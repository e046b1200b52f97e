"""The app against the lab: the inventory's connection check, and a section run through the UI.

Uses the session's `lab_prepared` (guide sections 1-4 done by `lab up --prepared`): section 5 (pcs
install and auth) is the next one, run here with its button/binding, the hacluster password asked by the
app, and every status turning done.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
from app_support import wait_for

from wizard.session.state import Session
from wizard.ui.app import WizardApp
from wizard.ui.screens.dialogs import PasswordDialog
from wizard.ui.screens.inventory import InventoryScreen
from wizard.ui.screens.section import SectionScreen

pytestmark = pytest.mark.lab
PASSWORD = "App-lab-hacluster-5521"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "state"
    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(state))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return state


def lab_app(lab, state: Path, lang: str = "en") -> WizardApp:
    return WizardApp(lang=lang, state_root=state, engine_options={
        "identity_files": [str(lab.key_path)], "known_hosts": [str(lab.known_hosts_path)]})


async def test_connection_check_shows_fingerprints_and_detects_the_profile(lab_prepared, env: Path) -> None:
    app = lab_app(lab_prepared, env)
    async with app.run_test(size=(120, 40)) as pilot:
        app.initial_answers = copy.deepcopy(lab_prepared.answers)
        app.initial_answers.virtualbox.vboxmanage = str(lab_prepared.vboxmanage_path)
        app.open_inventory_new("lab-check")
        await wait_for(pilot, lambda: isinstance(app.screen, InventoryScreen) and app.screen.query("#check"), 10)
        app.screen.query_one("#check").press()
        await wait_for(pilot, lambda: not app.screen.query_one("#check").disabled and app.screen.checks, 120)
        checks = {c.node: c for c in app.screen.checks}
        # This machine first: the VBoxManage the host steps run, and its version.
        host = checks.pop("VBoxManage")
        assert host.ok and host.address == str(lab_prepared.vboxmanage_path) and "ha-wizard-lab" in host.system
        names = [d.name for d in lab_prepared.answers.directors] + [s.name for s in lab_prepared.answers.servers]
        assert sorted(checks) == sorted(names)
        for check in checks.values():
            assert check.ok, check.error
            assert check.fingerprint.startswith("SHA256:")
            assert check.profile in ("lab", "debian12")
        # Which way each node is reached: the directors through the wizard's port forwards (the lab is a NAT
        # network, as VirtualBox's), the servers through a director.
        m = lab_prepared.answers.master
        assert checks[m.name].reach == (f"port forward {lab_prepared.address}:2201 → {m.external_ip}:22 "
                                        "(NAT network red-nat-1)")
        assert checks[lab_prepared.answers.servers[0].name].reach.startswith("through master, standby (ProxyJump)")
        table = app.screen.query_one("#conn")
        assert table.row_count == len(names) + 1
        assert str(lab_prepared.vboxmanage_path) in str(table.get_row_at(0))
        rows = [str(table.get_row_at(i)) for i in range(1, table.row_count)]
        assert "SHA256:" in rows[0] and any(f"port forward {lab_prepared.address}:2201" in row for row in rows)
        app.screen.query_one("#use-detected").press()
        await pilot.pause()
        assert app.screen.answers.profile == app.screen.detected


async def test_run_section_5_through_the_ui_turns_it_done(lab_prepared, env: Path) -> None:
    answers = copy.deepcopy(lab_prepared.answers)
    answers.profile = "lab"
    session = Session.create("lab-ui", answers, "lab", root=env)
    from steps import full_plan
    from steps.profiles import get_profile

    for module, actions in full_plan(answers, get_profile("lab")):
        if module.ID == "pcs_auth":
            break
        for action in actions:  # sections 1-4: what `lab up --prepared` already did
            record = session.record(action.id)
            record.status, record.note = "skipped", "done by lab up --prepared"
    session.save()

    app = lab_app(lab_prepared, env)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#resume")
        await wait_for(pilot, lambda: isinstance(app.screen, SectionScreen) and app.screen.built_lang, 20)
        screen = app.screen
        assert screen.section_id == "pcs_auth"
        assert app.section_state("pcs_auth") == "pending"
        await pilot.press("s")  # run the section: the app asks the hacluster password first
        await wait_for(pilot, lambda: isinstance(app.screen, PasswordDialog), 10)
        app.screen.query_one("#pw").value = PASSWORD
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.busy, 10)
        await wait_for(pilot, lambda: not app.busy, 600)
        failed = [a.id for a in screen.actions if app.status(a.id) == "failed"]
        assert not failed, [(i, app.record(i).error, app.record(i).output) for i in failed]
        assert app.section_state("pcs_auth") == "ok"
        table = screen.query_one("#actions")
        assert all(str(table.get_row(a.id)[0]) == "✔" for a in screen.actions)
        side = screen.query_one("#side-pcs_auth")
        assert side.has_class("side-ok")
        log_text = "\n".join(str(line) for line in screen.query_one("#output").lines)
        assert "pcs host auth" in log_text
    state_text = (env / "sessions" / "lab-ui" / "state.json").read_text()
    assert PASSWORD not in state_text


async def test_trust_on_first_use_during_the_connection_check(lab_prepared, env: Path) -> None:
    from wizard.ui.screens.dialogs import HostKeyDialog

    # No known_hosts given: every node's key is unknown, the app asks (fingerprint shown) for each.
    app = WizardApp(lang="en", state_root=env, engine_options={"identity_files": [str(lab_prepared.key_path)]})
    asked: list[str] = []
    seen: set[int] = set()
    async with app.run_test(size=(120, 40)) as pilot:
        app.initial_answers = copy.deepcopy(lab_prepared.answers)
        # The inventory checks nothing while its VBoxManage cannot be found (this machine has none on PATH).
        app.initial_answers.virtualbox.vboxmanage = str(lab_prepared.vboxmanage_path)
        app.open_inventory_new("lab-tofu")
        await wait_for(pilot, lambda: isinstance(app.screen, InventoryScreen) and app.screen.query("#check"), 10)
        inventory = app.screen
        inventory.query_one("#check").press()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            dialog = app.screen
            if isinstance(dialog, HostKeyDialog) and dialog.query("#trust") and id(dialog) not in seen:
                seen.add(id(dialog))
                asked.append(f"{dialog.node} {dialog.key}")
                dialog.query_one("#trust").press()
            elif inventory.checks and not inventory.query_one("#check").disabled:
                break
            await pilot.pause(0.05)
        nodes = [d.name for d in lab_prepared.answers.directors] + [s.name for s in lab_prepared.answers.servers]
        assert sorted(c.node for c in inventory.checks) == sorted(["VBoxManage", *nodes])  # the check finished
        assert all(c.ok for c in inventory.checks if c.node != "VBoxManage"), [c.error for c in inventory.checks]
        assert sorted(a.split()[0] for a in asked) == sorted(nodes)
        assert all("SHA256:" in a for a in asked)
        assert sorted({t[0] for t in inventory.trusted}) == sorted(nodes)
        assert all(t[4] == "confirmed" for t in inventory.trusted if t[4] != "known_hosts")
        inventory.query_one("#pw1").value = inventory.query_one("#pw2").value = PASSWORD
        inventory.action_next()
        await wait_for(pilot, lambda: isinstance(app.screen, SectionScreen) and app.screen.built_lang, 20)
    state = (env / "sessions" / "lab-tofu" / "state.json").read_text()
    import json

    trusted = json.loads(state)["trusted_hosts"]
    assert sorted(trusted) == sorted(nodes)
    assert all(e["how"] == "confirmed" for entries in trusted.values() for e in entries)
