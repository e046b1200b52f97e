"""First contact as on a fresh CentOS 7 VM: a lab host that lets root in with its password only.

The wizard, run as a student would (empty ~/.ssh, no agent, no key flags), fails at once without the
password, naming authentication and the way out; with HA_WIZARD_SSH_PASSWORD it logs in, installs its own
key there (the access section) and the next run needs no password. The password never reaches the state.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from e2e_support import PASSWORD, load_state, wizard_cmd, wizard_env

from wizard.base.answers import Answers, save_answers

pytestmark = pytest.mark.lab
ROOT_PASSWORD = "Fresh-centos-root-" + str(time.time_ns())[-5:]


def run(args: list[str], env: dict[str, str], timeout: float = 300):
    import subprocess

    return subprocess.run(wizard_cmd(*args), env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)


def test_password_only_host_then_the_wizards_own_key(fresh_lab, tmp_path: Path) -> None:
    answers = Answers(profile="lab")
    lab = fresh_lab(answers=answers, password_only={"master": ROOT_PASSWORD})
    m = answers.master
    # The lab itself: master refuses the lab's key (root's password only, as a fresh install).
    import subprocess

    refused = subprocess.run([*lab.ssh_argv(m.name), "true"], capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL)
    assert refused.returncode != 0 and "Permission denied" in refused.stderr

    answers_file = tmp_path / "lab.toml"
    save_answers(answers, answers_file)
    state = tmp_path / "state"
    env = wizard_env(state, lab)
    # The checks before starting (they make the port forwards, then only read) and the key install.
    args = ["run", "--answers", str(answers_file), "--yes", "--trust-new-hosts", "--section", "preflight",
            "--section", "access"]

    # 1. No password: the first login on master ends the run at once, saying what was tried and the way out.
    t0 = time.monotonic()
    first = run([*args, "--session", "nopw"], env)
    took = time.monotonic() - t0
    assert first.returncode == 1 and took < 20, (took, first.stdout[-2000:])
    assert f"Authentication refused for root at {lab.address}:2201" in first.stdout
    assert "no password (none given)" in first.stdout and "HA_WIZARD_SSH_PASSWORD" in first.stdout

    # 2. With the password: in, the wizard's key installed on master (the servers took the lab's key).
    env_pw = {**env, "HA_WIZARD_SSH_PASSWORD": ROOT_PASSWORD}
    second = run([*args, "--session", "pw"], env_pw)
    assert second.returncode == 0, second.stdout[-3000:]
    st = load_state(state, "pw")["actions"]
    assert st["access.wizard_key.master"]["status"] == "ok" and st["access.wizard_key.master"]["runs"] == 1
    assert all(st[f"access.wizard_key.{s.name}"]["note"].startswith("already done") for s in answers.servers)
    own = (state / "ssh" / "id_ed25519.pub").read_text().strip()
    assert lab.exec(m.name, "cat /root/.ssh/authorized_keys").stdout.splitlines() == [own]

    # 3. Without the password again: the wizard's own key lets it in; nothing to install any more.
    third = run([*args, "--session", "again"], env)
    assert third.returncode == 0, third.stdout[-3000:]
    again = load_state(state, "again")["actions"]["access.wizard_key.master"]
    assert again["note"].startswith("already done") and again["runs"] == 0
    assert lab.exec(m.name, "grep -c ha-wizard@ /root/.ssh/authorized_keys").stdout.strip() == "1"

    # The password never reached a file of the wizard (state, journal, exports).
    for path in state.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert ROOT_PASSWORD.encode() not in data and PASSWORD.encode() not in data, path
    export = run(["export", "pw", "--format", "md"], env)
    assert export.returncode == 0 and ROOT_PASSWORD not in export.stdout
    assert json.loads((state / "sessions" / "pw" / "state.json").read_text())["profile"] == "lab"
