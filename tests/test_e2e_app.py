"""The pcs sections of the guide (5-9) driven through the app with Pilot on a lab after sections 1-4,
ending in a running cluster checked from outside the wizard (crm_mon on a director, curl via the VIP from
the NAT network)."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from app_support import wait_for

from wizard.session.state import Session
from wizard.ui.app import WizardApp
from wizard.ui.screens.dialogs import ConfirmDialog, PasswordDialog
from wizard.ui.screens.section import SectionScreen

pytestmark = pytest.mark.lab
PASSWORD = "App-e2e-hacluster-9043"
PCS_SECTIONS = ["pcs_auth", "cluster_setup", "properties", "resources", "constraints"]


@pytest.mark.whole_guide(100)
async def test_pcs_sections_through_the_app_build_the_cluster(fresh_lab, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from steps import full_plan
    from steps.profiles import get_profile
    from wizard.base.answers import Answers

    lab = fresh_lab(prepared=True, answers=Answers(profile="lab"))
    state = tmp_path / "state"
    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(state))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    answers = copy.deepcopy(lab.answers)
    answers.profile = "lab"
    session = Session.create("app-e2e", answers, "lab", root=state)
    for module, actions in full_plan(answers, get_profile("lab")):
        if module.ID == PCS_SECTIONS[0]:
            break
        for action in actions:  # sections 1-4: what `lab up --prepared` already did
            record = session.record(action.id)
            record.status, record.note = "skipped", "done by lab up --prepared"
    session.save()

    app = WizardApp(lang="en", state_root=state, engine_options={
        "identity_files": [str(lab.key_path)], "known_hosts": [str(lab.known_hosts_path)]})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.click("#resume")
        for section in PCS_SECTIONS:
            if section != PCS_SECTIONS[0]:
                app.goto_section(section)
            await wait_for(pilot, lambda s=section: isinstance(app.screen, SectionScreen)
                           and app.screen.section_id == s and app.screen.built_lang, 20)
            await pilot.press("s")
            if section == PCS_SECTIONS[0]:  # the app asks the hacluster password once, masked
                await wait_for(pilot, lambda: isinstance(app.screen, PasswordDialog), 10)
                app.screen.query_one("#pw").value = PASSWORD
                await pilot.press("enter")
            await wait_for(pilot, lambda: app.busy, 10)
            await wait_for(pilot, lambda: not app.busy, 600)
            # A section done offers the next one in a dialog over the section screen.
            screen = next(s for s in reversed(app.screen_stack) if isinstance(s, SectionScreen))
            failed = [a.id for a in screen.actions if app.status(a.id) == "failed"]
            assert not failed, [(i, app.record(i).error, app.record(i).output[-8:]) for i in failed]
            assert app.section_state(section) == "ok", section
            assert screen.query_one(f"#side-{section}").has_class("side-ok")
            if isinstance(app.screen, ConfirmDialog):
                await pilot.press("escape")  # stay; the test opens the next section itself
                await wait_for(pilot, lambda: isinstance(app.screen, SectionScreen), 10)

    m, s = answers.master, answers.standby
    mon = lab.exec(m.name, "crm_mon -1 -r", timeout=60).stdout
    assert re.search(r"Online:\s*\[.*\b" + re.escape(m.ring_name) + r"\b.*\]", mon), mon
    assert re.search(r"Online:\s*\[.*\b" + re.escape(s.ring_name) + r"\b.*\]", mon), mon
    for resource in ("VIP_externa", "VIP_interna", "HAproxy"):
        assert re.search(rf"{resource}\s+\(.*\):\s+Started {re.escape(m.ring_name)}\b", mon), mon
    # From the NAT network (the lab is one, as VirtualBox's): the VIP serves.
    page = subprocess.run([*lab.on_nat_network_argv(), "curl", "-fsS", "-m", "5",
                           f"http://{answers.vip.external}/index.php"], capture_output=True, text=True, timeout=10)
    assert page.returncode == 0 and any(sv.name in page.stdout for sv in answers.servers), page
    assert PASSWORD not in (state / "sessions" / "app-e2e" / "state.json").read_text()
