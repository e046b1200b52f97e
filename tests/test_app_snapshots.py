"""Snapshot tests (pytest-textual-snapshot) of the app's main screens at 80x24 and at 120x40.

The verdicts of issue 21 at both sizes and in both languages: the inventory's connection check (a pass, a
failure, a refused host key), a section with a failed action and its box, every status an action can show,
the figures and their chart, the guide complete.

Deterministic: a fixed state folder content (session names, profiles, `updated` times written into the
state files), no clock on screen, notifications cleared before the picture. Snapshots live in
tests/snapshots/ (update them with `pytest tests/test_app_snapshots.py --snapshot-update`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import pytest_textual_snapshot

from wizard.base.answers import Answers
from wizard.session.state import Session
from wizard.ui.app import WizardApp
from wizard.ui.screens.section import SectionScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
LANGS = [pytest.param("es", id="es"), pytest.param("en", id="en")]


class _SnapshotsHere(pytest_textual_snapshot.SVGImageExtension):
    @classmethod
    def dirname(cls, *, test_location) -> str:  # noqa: ANN001 - syrupy's PyTestLocation
        return str(Path(test_location.filepath).parent / "snapshots" / test_location.basename)


@pytest.fixture(autouse=True)
def _snapshot_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    # snap_compare looks the extension up when it runs: point it at tests/snapshots/.
    monkeypatch.setattr(pytest_textual_snapshot, "SVGImageExtension", _SnapshotsHere)


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "state"
    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(root))
    monkeypatch.setenv("HOME", str(tmp_path))
    return root


def fixed_session(root: Path, name: str, profile: str, updated: str, statuses: dict[str, str] | None = None,
                  checked: bool = True) -> None:
    """A session whose preflight checks passed and the wizard's key is in (`checked`: the guide's first section
    is next), plus `statuses`."""
    from steps import access, preflight
    from steps.profiles import get_profile

    answers = Answers()
    answers.profile = profile
    Session.create(name, answers, profile, root=root)
    path = root / "sessions" / name / "state.json"
    data = json.loads(path.read_text())
    data["created"] = data["updated"] = updated
    before = [*preflight.plan(answers, get_profile(profile)), *access.plan(answers, get_profile(profile))]
    passed = {a.id: "ok" for a in before} if checked else {}
    for action_id, status in {**passed, **(statuses or {})}.items():
        data["actions"][action_id] = {"status": status, "started": updated, "ended": updated}
    path.write_text(json.dumps(data))


async def settle(pilot, condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "app did not settle"
        await pilot.pause(0.05)
    await pilot.pause()
    pilot.app.clear_notifications()
    await steady(pilot)


async def steady(pilot) -> None:
    """A steady text cursor: a blinking one is on or off depending on when the picture is taken."""
    from textual.widgets import Input, TextArea

    for widget in pilot.app.screen.query("Input, TextArea"):
        if isinstance(widget, (Input, TextArea)):
            widget.cursor_blink = False
    await pilot.pause()


def on_section(app: WizardApp, section_id: str) -> bool:
    return isinstance(app.screen, SectionScreen) and app.screen.built_lang is not None \
        and app.screen.section_id == section_id


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_start(snap_compare, state: Path, size) -> None:
    fixed_session(state, "course-a", "rhel7", "2026-11-20T09:00:00.000+00:00",
                  {"snapshot.take.master": "ok", "snapshot.take.cluster2": "ok"}, checked=False)
    fixed_session(state, "lab-demo", "lab", "2026-11-21T10:30:00.000+00:00", {"snapshot.take.master": "failed"},
                  checked=False)
    assert snap_compare(WizardApp(lang="es", state_root=state), terminal_size=size, run_before=steady)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_inventory_with_an_error(snap_compare, state: Path, size) -> None:
    async def run_before(pilot) -> None:
        pilot.app.open_inventory_new("course-b")
        await settle(pilot, lambda: pilot.app.screen.query("#f-directors-0-external_ip"))
        field = pilot.app.screen.query_one("#f-directors-0-external_ip")
        field.value = "192.168.7.101"
        field.focus()  # scrolls the form to the field and its error
        await settle(pilot, lambda: True)

    assert snap_compare(WizardApp(lang="es", state_root=state), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_section(snap_compare, state: Path, size) -> None:
    fixed_session(state, "course-c", "rhel7", "2026-11-22T08:00:00.000+00:00")

    async def run_before(pilot) -> None:
        pilot.app.resume_session("course-c")
        await settle(pilot, lambda: on_section(pilot.app, "snapshot"))
        pilot.app.push_section("cluster_setup")
        await settle(pilot, lambda: on_section(pilot.app, "cluster_setup"))

    assert snap_compare(WizardApp(lang="es", state_root=state), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_export_dialog(snap_compare, state: Path, size) -> None:
    fixed_session(state, "course-e", "rhel7", "2026-11-22T08:00:00.000+00:00")

    async def run_before(pilot) -> None:
        pilot.app.resume_session("course-e")
        await settle(pilot, lambda: on_section(pilot.app, "snapshot"))
        await pilot.press("ctrl+e")
        await settle(pilot, lambda: pilot.app.screen.query("#export-path"))

    assert snap_compare(WizardApp(lang="es", state_root=state), terminal_size=size, run_before=run_before)


def test_snapshot_section_light_theme_spanish(snap_compare, state: Path) -> None:
    fixed_session(state, "curso-f", "rhel9", "2026-11-22T08:00:00.000+00:00",
                  {"snapshot.take.master": "ok", "snapshot.take.cluster2": "skipped"})

    async def run_before(pilot) -> None:
        pilot.app.resume_session("curso-f")
        await settle(pilot, lambda: on_section(pilot.app, "snapshot"))

    app = WizardApp(lang="es", state_root=state, theme="textual-light")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_inventory_password_and_check(snap_compare, state: Path, size) -> None:
    """The end of the inventory in Spanish: the password labels (the longest) and the connection check."""

    async def run_before(pilot) -> None:
        pilot.app.open_inventory_new("curso-g")
        await settle(pilot, lambda: pilot.app.screen.query("#pw2"))
        pilot.app.screen.query_one("#pw1").value = "uno"
        pilot.app.screen.query_one("#pw2").value = "dos"
        pilot.app.screen.query_one("#pw2").focus()
        await settle(pilot, lambda: True)

    assert snap_compare(WizardApp(lang="es", state_root=state), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_help_on_a_section(snap_compare, state: Path, size) -> None:
    fixed_session(state, "curso-h", "rhel7", "2026-11-22T08:00:00.000+00:00")

    async def run_before(pilot) -> None:
        pilot.app.resume_session("curso-h")
        await settle(pilot, lambda: on_section(pilot.app, "snapshot"))
        await pilot.press("f1")
        await settle(pilot, lambda: pilot.app.screen.query("#help-keys"))

    assert snap_compare(WizardApp(lang="es", state_root=state), terminal_size=size, run_before=run_before)


def figures_session(state: Path, name: str, lang: str) -> None:
    """Every action done, the verification's benchmark with three figures and a director's failover time."""
    from steps import full_plan
    from steps.profiles import get_profile

    plan = full_plan(Answers(), get_profile("rhel7"))
    statuses = {a.id: "ok" for _, actions in plan for a in actions}
    fixed_session(state, name, "rhel7", "2026-11-22T08:00:00.000+00:00", statuses)
    path = state / "sessions" / name / "state.json"
    data = json.loads(path.read_text())
    data["lang"] = lang
    data["actions"]["verification.bench_matrix"]["figures"] = [
        {"name": "pi_time", "value": v, "unit": "s", "labels": {"servers": str(n)}}
        for n, v in ((1, 2.5), (2, 1.4), (3, 0.9))]
    failover = next(a.id for m, actions in plan if m.ID == "verification" for a in actions if "director" in a.id)
    data["actions"][failover]["figures"] = [{"name": "director_failover", "value": 3.2, "unit": "s", "labels": {}}]
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES)
def test_snapshot_inventory_check_results(snap_compare, state: Path, size, lang: str) -> None:
    """The connection check's verdicts: VBoxManage and master answered, standby refused the connection,
    cluster2's host key was refused; the summary line and why "Use it" is off."""
    from test_app_layout import checks

    async def run_before(pilot) -> None:
        pilot.app.open_inventory_new("curso-j")
        await settle(pilot, lambda: pilot.app.screen.query("#conn"))
        screen = pilot.app.screen
        screen.answers.profile = "rhel9"
        screen.setup_conn_table()
        results = checks(lang)
        for check in results:
            screen.add_check_row(check)
        screen.check_done(results, [], "")
        screen.query_one("#use-detected").focus()
        await settle(pilot, lambda: True)
        screen.query_one("#inventory").scroll_to_widget(screen.query_one("#conn-title"), animate=False, top=True)
        await settle(pilot, lambda: True)

    assert snap_compare(WizardApp(lang=lang, state_root=state), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES)
def test_snapshot_section_with_a_failed_action(snap_compare, state: Path, size, lang: str) -> None:
    """A real command failed (exit 3, a line on stderr): its box, scrolled into view by the app itself."""
    fixed_session(state, "curso-d", "rhel7", "2026-11-22T08:00:00.000+00:00")

    async def run_before(pilot) -> None:
        app = pilot.app
        app.resume_session("curso-d")
        await settle(pilot, lambda: on_section(app, "snapshot"))
        screen = app.screen
        screen.start(screen.selected(), "one",
                     command="sh -c \"echo 'VBoxManage: error: no VM named master' >&2; exit 3\"")
        await settle(pilot, lambda: app.session.status("snapshot.take.master") == "failed" and not app.busy)
        await settle(pilot, lambda: True)

    assert snap_compare(WizardApp(lang=lang, state_root=state), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES)
def test_snapshot_every_action_status(snap_compare, state: Path, size, lang: str) -> None:
    """Section 6 (the longest action names), one action in each status: done, failed, skipped, edited,
    interrupted (found running), stopped, pending, done but out of date."""
    from steps import full_plan
    from steps.profiles import get_profile

    ids = [a.id for m, actions in full_plan(Answers(), get_profile("rhel7")) if m.ID == "networking" for a in actions]
    states = ["ok", "failed", "skipped", "edited", "running", "stopped", "pending", "ok"]
    fixed_session(state, "curso-k", "rhel7", "2026-11-22T08:00:00.000+00:00", dict(zip(ids, states, strict=False)))
    path = state / "sessions" / "curso-k" / "state.json"
    data = json.loads(path.read_text())
    data["options"]["out_of_date"] = {ids[7]: ["vip.external"]}
    data["options"]["ui_section"] = "networking"
    path.write_text(json.dumps(data))

    async def run_before(pilot) -> None:
        from wizard.ui.screens.dialogs import ClashDialog

        app = pilot.app
        app.clash_shown.add("networking")  # its guided warning is another picture
        app.resume_session("curso-k")
        await settle(pilot, lambda: on_section(app, "networking") and not isinstance(app.screen, ClashDialog))
        screen = app.screen
        screen.query_one("#actions").move_cursor(row=0)
        screen.query_one("#main").scroll_to_widget(screen.query_one("#actions"), animate=False, top=True)
        await settle(pilot, lambda: True)

    assert snap_compare(WizardApp(lang=lang, state_root=state), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES)
def test_snapshot_figures_and_chart(snap_compare, state: Path, size, lang: str) -> None:
    """The verification section's figures: their table and the benchmark's chart."""
    figures_session(state, "curso-l", lang)

    async def run_before(pilot) -> None:
        app = pilot.app
        app.resume_session("curso-l")
        await settle(pilot, lambda: on_section(app, "verification"))
        screen = app.screen
        screen.query_one("#main").scroll_to_widget(screen.query_one("#figures-box"), animate=False, top=True)
        await settle(pilot, lambda: True)

    assert snap_compare(WizardApp(lang=lang, state_root=state), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES)
def test_snapshot_guide_complete(snap_compare, state: Path, size, lang: str) -> None:
    figures_session(state, "curso-i", lang)

    async def run_before(pilot) -> None:
        pilot.app.resume_session("curso-i")
        await settle(pilot, lambda: on_section(pilot.app, "verification"))
        pilot.app.show_complete()
        await settle(pilot, lambda: pilot.app.screen.query("#done-title"))

    assert snap_compare(WizardApp(lang=lang, state_root=state), terminal_size=size, run_before=run_before)
