"""The preflight checklist (wizard/ui/widgets/checklist.py) and the pcs-version line of the pcs sections'
screens: what a student sees of the checks, in both languages."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from steps import preflight
from steps.profiles import PACEMAKER_VERSION, PCS_VERSION, get_profile
from wizard.base.answers import Answers
from wizard.session.state import ActionRecord, Session
from wizard.ui.widgets.checklist import check_rows, summary


def records() -> dict[str, ActionRecord]:
    return {
        "preflight.vboxmanage": ActionRecord(status="ok"),
        "preflight.os.master": ActionRecord(status="ok", warning="master: not the system of rhel7",
                                            warning_es="master: no es el sistema de rhel7"),
        "preflight.reach.cluster2": ActionRecord(status="failed", error="cluster2: not reachable: No route to host",
                                                 error_es="cluster2: no se llega: No route to host"),
        "preflight.os.cluster2": ActionRecord(
            status="failed", error="cluster2: not tried: cluster2 could not be reached earlier in this section",
            error_es="cluster2: sin intentar: no se pudo llegar a cluster2 antes en esta sección"),
    }


def plan() -> list:
    return preflight.plan(Answers(), get_profile("rhel7"))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_rows_say_what_is_wrong_and_what_to_do(lang: str) -> None:
    rows = {a.id: r for a, r in zip(plan(), check_rows(plan(), records(), lang), strict=True)}
    assert rows["preflight.vboxmanage"].state == "ok" and not rows["preflight.vboxmanage"].detail
    warn = rows["preflight.os.master"]
    assert warn.state == "warning" and warn.detail == ("master: no es el sistema de rhel7" if lang == "es"
                                                       else "master: not the system of rhel7")
    fail = rows["preflight.reach.cluster2"]
    assert fail.state == "failed"
    reach = next(a for a in plan() if a.id == "preflight.reach.cluster2")
    assert (reach.on_fail_es if lang == "es" else reach.on_fail) in fail.detail
    assert ("no se llega" if lang == "es" else "not reachable") in fail.detail
    assert rows["preflight.os.cluster2"].state == "not_tried"
    assert rows["preflight.disk.master"].state == "pending"
    what = rows["preflight.disk.master"].what
    assert what.startswith("Al menos" if lang == "es" else "At least")
    text = summary(list(rows.values()), lang)
    pending = len(plan()) - 4
    assert text == (f"1 bien, 1 avisos, 2 fallidas, {pending} por hacer" if lang == "es"
                    else f"1 passed, 1 warnings, 2 failed, {pending} to run")


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "state"
    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(root))
    monkeypatch.setenv("HOME", str(tmp_path))
    return root


async def settle(pilot, condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "app did not settle"
        await pilot.pause(0.05)
    await pilot.pause()


async def test_the_preflight_screen_shows_the_checklist(state: Path) -> None:
    from wizard.ui.app import WizardApp
    from wizard.ui.screens.section import SectionScreen
    from wizard.ui.widgets.checklist import Checklist

    session = Session.create("checked", Answers(), "rhel7", root=state)
    session.records.update(records())
    session.save()
    session.release()
    app = WizardApp(lang="es", state_root=state)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.resume_session("checked")
        await settle(pilot, lambda: isinstance(app.screen, SectionScreen) and app.screen.section_id == "preflight"
                     and app.screen.query(Checklist))
        text = app.screen.query_one(Checklist).plain
        assert "Lista de comprobación" in text and "2 fallidas" in text
        assert "no es el sistema de rhel7" in text and "sin intentar" in text
        assert "Comprueba que su VM está en marcha" in text  # the reach check's fix, in Spanish


async def test_pcs_sections_say_which_pcs_the_commands_target_and_follow_new_facts(state: Path) -> None:
    from wizard.run.events import PlanChanged
    from wizard.ui.app import WizardApp
    from wizard.ui.screens.section import SectionScreen
    from wizard.ui.screens.section_run import EngineEvent

    Session.create("pcs", Answers(), "rhel7", root=state).release()
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.resume_session("pcs")
        await settle(pilot, lambda: isinstance(app.screen, SectionScreen))
        app.push_section("constraints")
        await settle(pilot, lambda: isinstance(app.screen, SectionScreen) and app.screen.section_id == "constraints"
                     and app.screen.query("#sec-versions"))
        screen = app.screen
        line = str(screen.query_one("#sec-versions").render())
        assert "pcs 0.9.169" in line and "rhel7 usually ships" in line
        assert next(a for a in screen.actions if a.id == "constraints.show").command == "pcs constraint show"
        # A node says it has pcs 0.12.3 / Pacemaker 3.0.2: the engine rebuilds, the screen follows.
        app.session.facts = {PCS_VERSION: {"master": "0.12.3"}, PACEMAKER_VERSION: {"master": "3.0.2"}}
        assert app.engine.replan()
        screen.post_message(EngineEvent(PlanChanged(app.session.facts)))
        await settle(pilot, lambda: "0.12.3" in str(screen.query_one("#sec-versions").render()))
        assert "found on master" in str(screen.query_one("#sec-versions").render())
        assert next(a for a in screen.actions if a.id == "constraints.show").command == "pcs constraint config"
        assert next(a for a in screen.actions if a.id == "constraints.colocation_vips").command.endswith(
            "score=INFINITY")
