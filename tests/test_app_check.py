"""The app's "Check my cluster": from the start screen, the same tables as `ha-wizard check`, in the app's
language, for the answers loaded there. Here the nodes refuse connections (a closed local port), so the reach
checks fail and everything behind them is "not checked"; tests/test_e2e_check.py runs it on a built cluster.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from wizard.base.answers import Answers, save_answers
from wizard.ui.app import WizardApp
from wizard.ui.screens.check import CheckScreen
from wizard.ui.screens.start import StartScreen


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return tmp_path / "state"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once closed: connections are refused at once


async def wait_for(pilot, condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await pilot.pause(0.1)


def table_text(screen: CheckScreen) -> str:
    from rich.console import Console

    console = Console(width=140, record=True, color_system=None, emoji=False)
    for widget in screen.query(".check-table"):
        console.print(widget.renderable if hasattr(widget, "renderable") else widget.content)
    return console.export_text()


async def test_check_my_cluster_from_the_start_screen(state: Path, tmp_path: Path) -> None:
    answers = Answers(profile="lab", ssh_port=closed_port())
    for director in answers.directors:  # the servers are reached through them
        director.ssh_host, director.ssh_port = "127.0.0.1", closed_port()
    path = tmp_path / "mine.toml"
    save_answers(answers, path)
    app = WizardApp(lang="en", answers_path=str(path), state_root=state)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
        await pilot.click("#check")
        await wait_for(pilot, lambda: isinstance(app.screen, CheckScreen))
        screen = app.screen
        assert str(path) in str(screen.query_one(".muted").render())
        await wait_for(pilot, lambda: screen.report is not None)
        report = screen.report
        assert report.exit_code == 1
        statuses = {o.check.id: o.verdict.status for o in report.outcomes}
        assert statuses["reach.master"] == "fail" and statuses["resources.HAproxy"] == "not_checked"
        assert "fail" not in {s for k, s in statuses.items() if not k.startswith("reach.")}
        text = table_text(screen)
        assert "1. Reaching the nodes" in text and "FAIL" in text and "not checked" in text
        assert "master answers over SSH" in text
        status = str(screen.query_one("#check-status").render())
        assert f"0 of {len(report.outcomes)} checks passed" in status
        # The same report, in Spanish, without asking the nodes again.
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: "Acceso a los nodos" in table_text(app.screen))
        assert "sin comprobar" in table_text(app.screen) and app.screen.report is report
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
