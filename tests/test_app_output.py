"""The output panel as the student sees it: every character of a long line is on screen, wrapped.

What is on screen is read from the app's compositor (the cells the terminal gets), not from the
widget's model, and the lines reach the panel the way the engine's do (EngineEvent messages).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import wait_for

from wizard.base.answers import Answers
from wizard.run.events import ActionStarted, OutputLine
from wizard.session.state import Session
from wizard.ui.app import WizardApp
from wizard.ui.screens.section import SectionScreen
from wizard.ui.screens.section_run import EngineEvent
from wizard.ui.widgets.output import OutputLog

LINES = [
    "64 bytes from 192.168.1.1: icmp_seq=1 ttl=64 time=0.071 ms",
    "WARNING: no stonith devices and stonith-enabled is not false: resources will not start until the shared "
    "data needed by STONITH is configured (pcs property set stonith-enabled=false)",
    "still not ready after 300 s (not reachable: master: cannot connect to 192.168.1.101:22 (No route to host))",
    "/var/lib/pcsd/" + "a-long-path-segment-without-any-space-" * 2 + "end.conf",
]


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "state"
    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(root))
    monkeypatch.setenv("HOME", str(tmp_path))
    return root


def visible_rows(app: WizardApp, widget: OutputLog) -> list[str]:
    """The text of the screen cells inside the panel's content area (what the terminal shows there)."""
    screen_lines = [strip.text for strip in app.screen._compositor.render_strips()]
    geometry = app.screen.find_widget(widget)
    area = widget.scrollable_content_region.intersection(geometry.region.intersection(geometry.clip))
    return [screen_lines[y][area.x:area.right] for y in range(area.y, area.bottom)]


def assert_on_screen(rows: list[str], line: str) -> None:
    shown = "".join(rows).replace(" ", "")
    assert line.replace(" ", "") in shown, f"{line!r} not all on screen:\n" + "\n".join(rows)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_long_output_lines_keep_every_character(state: Path, size: tuple[int, int]) -> None:
    Session.create("wrap", Answers(), "rhel7", root=state)
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=size) as pilot:
        app.resume_session("wrap")
        await wait_for(pilot, lambda: isinstance(app.screen, SectionScreen) and app.screen.built_lang is not None)
        screen = app.screen
        log = screen.query_one(OutputLog)
        screen.post_message(EngineEvent(ActionStarted("snapshot.take.master", ("master",), "ping -c 1 192.168.1.1")))
        for _ in range(2):  # enough lines for the scrollbar to appear
            for line in LINES:
                screen.post_message(EngineEvent(OutputLine("snapshot.take.master", "master", "stdout", line)))
        await wait_for(pilot, lambda: len(log.history) == 2 + 2 * len(LINES))
        width = log.scrollable_content_region.width
        assert any(len(f"[master] {line}") > width for line in LINES)  # really longer than the panel

        async def each_line_whole() -> None:
            for line in LINES:  # the newest line is at the bottom of the panel: check each as it comes
                count = len(log.history)
                screen.post_message(EngineEvent(OutputLine("snapshot.take.master", "master", "stdout", line)))
                await wait_for(pilot, lambda count=count: len(log.history) == count + 1)
                await pilot.pause()
                assert_on_screen(visible_rows(app, log), "[master] " + line)

        await each_line_whole()
        # The terminal changes width: the lines are wrapped again at the new width, nothing cut.
        await pilot.resize_terminal(size[0] - 12, size[1])
        await wait_for(pilot, lambda: log.scrollable_content_region.width != width)
        await pilot.pause()
        assert_on_screen(visible_rows(app, log), "[master] " + LINES[-1])
        await each_line_whole()
