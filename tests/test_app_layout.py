"""Every verdict on an 80x24 screen (issue 21, finding 2), in both languages: the connection check's node,
address, host key, system and result with a summary line and why "Use it" is off; a failed action's box
without scrolling; the status column whole in every state; figures and the chart's labels; the command
line's `sessions` table at 80 columns; and address fields wide enough for an address.

What is checked is the text on the screen (Textual's compositor), not the widgets' contents.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from app_support import wait_for
from local_plan import cli, make_env

from steps import full_plan
from steps.profiles import get_profile
from wizard.base.answers import Answers
from wizard.base.i18n import Msg, status_text, t
from wizard.run.inventory import NodeCheck
from wizard.session.state import Session
from wizard.ui.app import WizardApp
from wizard.ui.screens.dialogs import ClashDialog
from wizard.ui.screens.inventory import InventoryScreen
from wizard.ui.screens.section import SectionScreen

LANGS = ["es", "en"]


def screen_lines(app: WizardApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def folded_in(text: str, whole: str) -> bool:
    """`whole` is there, maybe folded onto the next lines of its column: every character, in order."""
    rest = iter("".join(text.split()))
    return all(ch in rest for ch in "".join(whole.split()))  # a space in it may be where the column folds


def on_section(app: WizardApp, section_id: str) -> bool:
    return isinstance(app.screen, SectionScreen) and app.screen.built_lang is not None \
        and app.screen.section_id == section_id


def make_session(state: Path, name: str, lang: str, done_before: str, statuses: dict[str, str] | None = None) -> None:
    session = Session.create(name, Answers(), "rhel7", root=state, lang=lang)
    plan = full_plan(session.answers, get_profile("rhel7"))
    stop = next(i for i, (m, _) in enumerate(plan) if m.ID == done_before)
    for _, actions in plan[:stop]:
        for a in actions:
            session.record(a.id).status = "ok"
    for action_id, status in (statuses or {}).items():
        session.record(action_id).status = status
    session.save()
    session.release()


REFUSED = Msg("cluster2: host key refused (ssh-ed25519 SHA256:AAAAbbbbCCCCddddEEEEffffGGGGhhhhIIIIjjjjKKK)",
              "cluster2: clave de host rechazada (ssh-ed25519 SHA256:AAAAbbbbCCCCddddEEEEffffGGGGhhhhIIIIjjjjKKK)")
def checks(lang: str) -> list[NodeCheck]:
    """A connection check's results: this machine and master answered, standby refused the connection,
    cluster2's host key was refused. The ways in as the check words them (wizard.base.reach)."""
    from wizard.base.reach import describe

    answers = Answers()
    return [
        NodeCheck("VBoxManage", "/usr/bin/VBoxManage", system="VirtualBox 7.0.20"),
        NodeCheck("master", "192.168.1.101", "ssh-ed25519 SHA256:Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5",
                  "Rocky Linux 9.4 (Blue Onyx)", "0.11.7", "rhel9", reach=describe(answers, "master", lang)),
        NodeCheck("standby", "192.168.1.102", error=Msg(
            "standby: cannot connect to 127.0.0.1:2202 (Connection refused)",
            "standby: no se puede conectar con 127.0.0.1:2202 (Connection refused)"),
            reach=describe(answers, "standby", lang)),
        NodeCheck("cluster2", "10.0.100.12", error=REFUSED, reach=describe(answers, "cluster2", lang)),
    ]


@pytest.mark.parametrize("lang", LANGS)
async def test_connection_check_verdicts_and_summary_at_80_columns(state: Path, lang: str) -> None:
    """Before: five columns side by side, names and addresses unwrapped: at 80 columns only `Nodo` and
    `Dirección` (cut) were on screen, no summary, and "Usarlo" off without a word."""
    app = WizardApp(lang=lang, state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_inventory_new("conn")
        await wait_for(pilot, lambda: isinstance(app.screen, InventoryScreen) and app.screen.query("#conn"))
        screen = app.screen
        screen.answers.profile = "rhel9"  # what the check detects: "Use it" has nothing to change
        screen.setup_conn_table()
        results = checks(lang)
        for check in results:
            screen.add_check_row(check)
        screen.check_done(results, [], "")
        await pilot.pause(0.2)
        screen.query_one("#inventory").scroll_to_widget(screen.query_one("#conn-status"), animate=False, top=True)
        await pilot.pause(0.2)
        text = "\n".join(screen_lines(app))
        words = text.split()
        assert "2 de 4 responden" in text if lang == "es" else "2 of 4 answered" in text
        why = t("inv.use_why_same", lang, profile="rhel9")
        assert " ".join(why.split()) in " ".join(words)
        for check in results:
            assert check.node in words
        # Each verdict and each key whole (a word may move to the next line, never be cut).
        flowing = " ".join(words)
        for piece in ("SHA256:Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5", "(Connection refused)", "Onyx)",
                      "192.168.1.101:22", "SHA256:AAAAbbbbCCCCddddEEEEffffGGGGhhhhIIIIjjjjKKK)", "10.0.100.12:22"):
            assert piece in flowing, (piece, text)
        assert "…" not in text


@pytest.mark.parametrize("lang", LANGS)
async def test_a_failed_action_shows_its_box_at_80x24(state: Path, lang: str) -> None:
    """Before: the "has failed" box was under the fold at 80x24 (the snapshot test scrolled to it itself)."""
    make_session(state, "fails", lang, "snapshot")
    app = WizardApp(lang=lang, state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        app.resume_session("fails")
        await wait_for(pilot, lambda: on_section(app, "snapshot"))
        screen = app.screen
        screen.start(screen.selected(), "one", command="sh -c \"echo 'VBoxManage: error: no VM' >&2; exit 3\"")
        await wait_for(pilot, lambda: app.session.status("snapshot.take.master") == "failed" and not app.busy)
        await pilot.pause(0.3)
        title = t("fail.title", lang, action="snapshot.take.master")
        text = "\n".join(screen_lines(app))
        assert title.split()[-1] in text and "VBoxManage: error: no VM" in text.replace("\n", " ")
        assert t("fail.check", lang) in text


@pytest.mark.parametrize("lang", LANGS)
async def test_the_status_column_is_whole_in_every_state(state: Path, lang: str) -> None:
    """Before: DataTable sized each column to its widest cell and the status, last, was cut (`pendien`,
    `⟳ desactuali`) in the section with the longest names."""
    plan = dict(full_plan(Answers(), get_profile("rhel7")))
    module = next(m for m in plan if m.ID == "networking")
    ids = [a.id for a in plan[module]]
    states = ["ok", "failed", "skipped", "edited", "running", "stopped", "pending", "ok"]
    make_session(state, "states", lang, "networking", dict(zip(ids, states, strict=False)))
    data_path = state / "sessions" / "states" / "state.json"
    data = json.loads(data_path.read_text())
    data["options"]["out_of_date"] = {ids[7]: ["vip.external"]}
    data_path.write_text(json.dumps(data))
    app = WizardApp(lang=lang, state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        app.resume_session("states")
        await wait_for(pilot, lambda: isinstance(app.screen, ClashDialog))  # this section's guided warning
        await pilot.press("escape")
        await wait_for(pilot, lambda: on_section(app, "networking"))
        await pilot.pause(0.3)
        table = app.screen.query_one("#actions")
        labels = {status_text(s, lang) for s in ("ok", "failed", "skipped", "edited", "stopped", "pending")}
        labels |= {status_text("interrupted", lang), f"⟳ {t('sec.out_of_date', lang)}"}
        seen = set()
        for row in range(len(ids)):  # every row passes under the table's window, the cursor moving down
            table.move_cursor(row=row)
            await pilot.pause(0.05)
            region = table.region
            shown = [line[region.x:region.right] for line in screen_lines(app)[region.y:region.bottom]]
            seen |= {label for label in labels if any(label in line for line in shown)}
        assert seen == labels


def test_figures_and_chart_labels_are_whole_at_80_columns() -> None:
    from rich.console import Console

    from wizard.ui.widgets.figures import FiguresPanel, bar_label

    figures = [("verification.bench_matrix", {"name": "siege_mean_ms", "value": 12.5, "unit": "ms",
                                              "labels": {"server": "cluster4", "page": "pi.php"}}),
               ("verification.director_down_time", {"name": "director_failover", "value": 3.2, "unit": "s"})]
    panel = FiguresPanel(figures, lang="es")
    table = next(iter(panel.compose())).content
    console = Console(width=47, record=True, color_system=None)  # the panel's width in a section at 80x24
    console.print(table)
    text = console.export_text()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 47
    for whole in ("verification.bench_matrix", "verification.director_down_time", "servidor cluster4"):
        assert folded_in(text, whole), whole
    # The chart's title is the figure's name; a bar says its labels in words.
    assert bar_label(figures[0][1], "es") == "servidor cluster4, página pi.php"


def test_sessions_table_at_80_columns(tmp_path: Path) -> None:
    """Before: `interrump…`, `networkin…` at 80 columns."""
    env = make_env(tmp_path)
    env["COLUMNS"] = "80"
    root = Path(env["HA_WIZARD_STATE_DIR"])
    session = Session.create("curso-tarde-grupo-b", Answers(), "rhel7", root=root, lang="es")
    rec = session.record("networking.restart_network.standby")
    rec.status, rec.started = "running", "2026-11-22T08:00:00"  # found running: interrupted
    session.save()
    session.release()
    out = cli(["--lang", "es", "sessions"], env)
    assert out.returncode == 0, out.stderr
    assert "…" not in out.stdout
    assert "interrumpida" in out.stdout.split() and "curso-tarde-grupo-b" in out.stdout.split()
    assert folded_in(out.stdout, "networking.restart_network.standby")  # wrapped in its column, whole
    assert max(len(line) for line in out.stdout.splitlines()) <= 80


async def test_address_fields_are_wide_enough_at_80_columns(state: Path) -> None:
    """Before: the servers' cells were 15 columns wide beside their 26-column name (11 with four servers), and
    a typed address scrolled out of sight by a character."""
    app = WizardApp(lang="es", state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_inventory_new("widths")
        await wait_for(pilot, lambda: isinstance(app.screen, InventoryScreen) and app.screen.query("#f-servers-0-ip"))
        rebuilds = app.screen.rebuilds
        app.screen.query_one("#add-server").press()  # four servers
        await wait_for(pilot, lambda: app.screen.rebuilds > rebuilds)
        await pilot.pause(0.2)
        longest = len("192.168.100.200") + 1  # and the cursor after it
        for i in range(4):
            assert app.screen.query_one(f"#f-servers-{i}-ip").size.width >= longest
        for field in ("#f-vip-external", "#f-vip-internal", "#f-directors-0-external_ip"):
            assert app.screen.query_one(field).size.width >= longest
