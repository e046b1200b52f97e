"""The sh export of a whole guide session, replayed on a fresh lab, builds the same cluster.

Reuses the session-wide headless run of the guide (tests/conftest.py `built_cluster`); the replay runs
the exported script with plain `bash` against a new lab (new host keys, nothing done yet), the hacluster
password on stdin and nothing else typed; the VIP then serves every real server.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from e2e_support import PASSWORD, record_figure, wizard_cmd, wizard_env
from test_e2e import check_end_state

pytestmark = pytest.mark.lab
REPLAY_TIMEOUT = 900


def test_sh_export_rebuilds_the_cluster_on_a_fresh_lab(built_cluster, fresh_lab, tmp_path) -> None:
    run = built_cluster
    run.require()
    script = tmp_path / "setup.sh"
    export = subprocess.run(wizard_cmd("export", run.session, "--format", "sh", "-o", str(script)),
                            env=wizard_env(run.state_dir), capture_output=True, text=True, timeout=60)
    assert export.returncode == 0, export.stderr
    text = script.read_text()
    assert PASSWORD not in text
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0

    # The guide's starting point again, new host keys, on the built cluster's own lab instance: the script
    # names that instance's VBoxManage and its forwards' address.
    lab = fresh_lab(prepared=False, answers=run.answers, name=run.lab.name)
    env = wizard_env(tmp_path / "no-state")
    env.pop("HA_WIZARD_HACLUSTER_PASSWORD")
    # The wizard needed nothing but VBoxManage on PATH; its POSIX equivalent needs a shell's tools (the script
    # names the session's VBoxManage by its path).
    env["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
    start = time.monotonic()
    replay = subprocess.run(["bash", str(script)], input=PASSWORD + "\n", env=env, capture_output=True, text=True,
                            timeout=REPLAY_TIMEOUT)
    wall = time.monotonic() - start
    (tmp_path / "replay.log").write_text(replay.stdout + replay.stderr)
    assert replay.returncode == 0, (replay.stdout[-4000:], replay.stderr[-3000:])
    assert "every step done" in replay.stdout
    check_end_state(lab, run.answers)
    record_figure("sh export of that session replayed with bash on a fresh lab", wall)
