"""Plain mode driven through a pseudo-terminal (pexpect): questionary prompts, real engine, real export."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

DOWN = "\x1b[B"
KILL_LINE = "\x15"  # Ctrl+U: clear a prefilled answer


def spawn(tmp_path: Path, *args: str):
    env = dict(os.environ, HA_WIZARD_STATE_DIR=str(tmp_path / "state"), TERM="xterm", LANG="C.UTF-8",
               HOME=str(tmp_path))
    child = pexpect.spawn(sys.executable, ["-m", "wizard.cli.main", "--plain", *args], env=env, encoding="utf-8",
                          dimensions=(40, 120), timeout=30)
    child.logfile_read = open(tmp_path / "plain.log", "w")  # noqa: SIM115 - closed with the child
    return child


async def test_plain_mode_new_session_edit_value_edit_command_export(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "replay.sh"
    child = spawn(tmp_path, "--lang", "en")
    try:
        child.expect("What do you want to do")
        child.send("\r")  # New session
        child.expect("Session name")
        child.send("\r")  # session-1
        child.expect("Change a value")
        child.send(DOWN * 2 + "\r")  # Continue, profile, cluster_name
        child.expect("New value for cluster_name")
        child.send(KILL_LINE + "bad name!\r")
        child.expect("Change a value")  # the problem is listed next to the field; Continue is not offered
        child.expect("cluster_name")
        child.send("\r")  # the first choice is now the broken field itself
        child.expect("New value for cluster_name")
        child.send(KILL_LINE + "my_cluster\r")
        child.expect("All values are valid")
        child.expect("Change a value")
        child.send("\r")  # Continue
        child.expect("Password")
        child.send("pw-plain-123\r")
        child.expect("Repeat")
        child.send("pw-plain-123\r")
        child.expect("Section 1/13")  # preflight
        child.send(DOWN * 6 + "\r")  # Next section
        child.expect("Section 2/13")  # access (the wizard's key where a password was needed)
        child.send(DOWN * 6 + "\r")  # Next section
        child.expect("Section 3/13")  # snapshot
        child.send(DOWN * 3 + "\r")  # Edit cmd
        child.expect("Which action")
        child.send("\r")  # the first pending one
        child.expect("Edit the command")
        child.send(KILL_LINE + "echo plain-edited\r")
        child.expect("plain-edited")
        child.expect("Snapshot of master: edited")  # the action by its title, not its id
        child.expect("what now")
        child.send(DOWN * 8 + "\r")  # Export
        child.expect("Format")
        child.send("\r")  # sh
        child.expect("Write the transcript to")
        child.send(KILL_LINE + str(out) + "\r")
        child.expect("Transcript written")
        child.expect("what now")
        child.send(DOWN * 10 + "\r")  # Quit
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    state_file = tmp_path / "state" / "sessions" / "session-1" / "state.json"
    state = json.loads(state_file.read_text())
    assert state["answers"]["cluster_name"] == "my_cluster"
    assert state["actions"]["snapshot.take.master"]["status"] == "edited"
    assert state["actions"]["snapshot.take.master"]["command_run"] == "echo plain-edited"
    assert "pw-plain-123" not in state_file.read_text()
    script = out.read_text()
    assert "echo plain-edited" in script and "pw-plain-123" not in script

    # The same checkpoint resumes in the app, at the next action, with the edit shown.
    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))
    from wizard.ui.app import WizardApp
    from wizard.ui.screens.section import SectionScreen

    app = WizardApp(lang="en", state_root=tmp_path / "state")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(200):  # the sessions list filled: Enter on it resumes the session
            if app.screen.query("#sessions") and app.screen.query_one("#sessions").row_count:
                break
            await pilot.pause(0.05)
        await pilot.press("enter")
        for _ in range(200):
            if isinstance(app.screen, SectionScreen) and app.screen.built_lang:
                break
            await pilot.pause(0.05)
        assert app.session.answers.cluster_name == "my_cluster"
        if app.screen.section_id != "snapshot":  # the preflight checks were not run in plain mode
            app.push_section("snapshot")
            for _ in range(200):
                if isinstance(app.screen, SectionScreen) and app.screen.section_id == "snapshot" \
                        and app.screen.built_lang:
                    break
                await pilot.pause(0.05)
        assert app.screen.selected().id == "snapshot.take.cluster2"
        assert "edited" in str(app.screen.query_one("#actions").get_row("snapshot.take.master"))


def test_plain_mode_ctrl_c_stops_the_running_action_and_keeps_the_checkpoint(tmp_path: Path) -> None:
    child = spawn(tmp_path, "--lang", "en")
    try:
        child.expect("What do you want to do")
        child.send("\r")
        child.expect("Session name")
        child.send("\r")
        child.expect("Change a value")
        child.send("\r")  # Continue with the guide's values
        child.expect("Password")
        child.send("pw-plain-123\r")
        child.expect("Repeat")
        child.send("pw-plain-123\r")
        child.expect("Section 1/13")  # preflight
        child.send(DOWN * 6 + "\r")  # Next section
        child.expect("Section 2/13")  # access (the wizard's key where a password was needed)
        child.send(DOWN * 6 + "\r")  # Next section
        child.expect("Section 3/13")  # snapshot
        child.send(DOWN * 3 + "\r")  # Edit cmd
        child.expect("Which action")
        child.send("\r")
        child.expect("Edit the command")
        # A host step runs without a shell: a shell is a program to name (sh -c), as on any host.
        child.send(KILL_LINE + "sh -c 'echo STARTED-$((40+2)); sleep 60'\r")
        child.expect("STARTED-42")  # its output, not the echo of the command
        child.sendintr()  # Ctrl+C while it runs
        child.expect("Stopped by you", timeout=15)
        child.expect("what now")
        child.send(DOWN * 10 + "\r")  # Quit
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    state = json.loads((tmp_path / "state" / "sessions" / "session-1" / "state.json").read_text())
    record = state["actions"]["snapshot.take.master"]
    assert record["status"] == "stopped" and record["ended"]  # ended cleanly: resumable at this action
