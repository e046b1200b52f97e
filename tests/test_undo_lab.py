"""Back to the snapshot on the lab: after guide sections 1-4 (and changes by hand on the real servers),
`ha-wizard run --resume NAME --undo --yes` finds every host as it was at the snapshot — its files, services,
addresses and VM configuration; the standby clone made after it is gone — and the session redoes the
undone sections.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from e2e_support import wizard_cmd, wizard_env

from steps import SECTIONS
from wizard.base.answers import Answers, save_answers

pytestmark = pytest.mark.lab
SERVICES = ("ssh", "haproxy", "phpweb", "corosync", "pacemaker", "pcsd")
# /var changes at every boot (logs, pids); what the guide writes there is compared by name.
VAR_PATHS = "/var/lib/pcsd /var/lib/pacemaker/cib /var/lib/corosync /var/www/html /var/ha-wizard-undo-test"


def host_state(lab, vm: str) -> dict:
    """What "as before" means for one host, seen from outside the wizard."""
    files = lab.exec(vm, "cd /etc && find . -xdev -type f ! -name '*.lock' -print0 | sort -z | xargs -0 md5sum; "
                         "find . -xdev -type l -printf '%p -> %l\\n' | sort", timeout=120)
    var = lab.exec(vm, f"for p in {VAR_PATHS}; do [ -e $p ] && find $p -type f | sort | xargs -r md5sum; done; true",
                   timeout=60)
    services = {s: lab.exec(vm, f"systemctl is-active {s}").stdout.strip() for s in SERVICES}
    addrs = sorted(lab.exec(vm, "ip -o -4 addr show | awk '{print $2, $4}'").stdout.split("\n"))
    return {"etc": files.stdout, "var": var.stdout, "services": services, "addresses": addrs,
            "hostname": lab.exec(vm, "hostname").stdout.strip(),
            "nics": json.dumps({n: vars(nic) for n, nic in sorted(lab.nics(vm).items())}, sort_keys=True)}


def test_back_to_the_snapshot_finds_every_host_as_before(fresh_lab, tmp_path) -> None:
    answers = Answers(profile="lab")
    lab = fresh_lab(prepared=False, answers=answers)
    answers_file = tmp_path / "lab.toml"
    save_answers(answers, answers_file)
    env = wizard_env(tmp_path / "state", lab)
    before = {vm: host_state(lab, vm) for vm in lab.vms()}
    ids = [m.ID for m in SECTIONS]
    sections = ids[: ids.index("networking") + 1]  # snapshot .. networking: every director's files change
    common = ["--yes", "--trust-new-hosts", "--identity", str(lab.key_path), "--known-hosts", str(lab.known_hosts_path)]
    run = subprocess.run(wizard_cmd("run", "--answers", str(answers_file), "--session", "u", *common,
                                    *(f"--section={s}" for s in sections)),
                         env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    for server in answers.servers:  # what later sections and a student's trials do to the real servers
        lab.exec(server.name, "echo changed > /etc/ha-wizard-undo-test; mkdir -p /var/ha-wizard-undo-test; "
                              "echo changed > /var/ha-wizard-undo-test/x; echo '<?php echo 1;' > /var/www/html/x.php; "
                              "systemctl stop phpweb; systemctl disable phpweb; "
                              f"ip addr add 10.0.100.99/24 dev {server.ifname}", check=True)
    changed = {vm: host_state(lab, vm) for vm in lab.vms()}
    assert answers.standby.vm in changed
    for vm, state in before.items():
        assert changed[vm] != state, f"{vm} did not change: the test would prove nothing"

    undo = subprocess.run(wizard_cmd("run", "--resume", "u", "--undo", *common), env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600)
    assert undo.returncode == 0, undo.stdout[-4000:] + undo.stderr[-2000:]
    after = {vm: host_state(lab, vm) for vm in lab.vms()}
    assert set(after) == set(before)  # the clone made after the snapshot is gone
    for vm in before:
        for key in before[vm]:
            assert after[vm][key] == before[vm][key], (vm, key)

    state = json.loads((tmp_path / "state/sessions/u/state.json").read_text())
    undone = [p["id"] for p in state["plan"] if p["section"] in sections[sections.index("snapshot") + 1:]]
    assert undone and all(state["actions"][i]["status"] == "pending" for i in undone)
    assert all(state["actions"][p["id"]]["status"] in ("ok", "skipped") for p in state["plan"]
               if p["section"] == "snapshot")
    [event] = [e for e in state["journal"] if e.get("event") == "undo"]
    assert event["status"] == "ok" and event["sections"][0] == sections[sections.index("snapshot") + 1]

    # The session goes on from the first undone section and builds it all again (the clone too).
    redo = subprocess.run(wizard_cmd("run", "--resume", "u", *common), env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600)
    assert redo.returncode == 0, redo.stdout[-4000:] + redo.stderr[-2000:]
    assert lab.running(answers.standby.vm)
    assert f" {answers.master.heartbeat_ip}/" in lab.exec(answers.master.name, "ip -o -4 addr show").stdout
