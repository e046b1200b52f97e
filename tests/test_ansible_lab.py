"""The Ansible export on a fresh NAT-only lab, as a student runs it: `ha-wizard plan --format ansible -o DIR` with
no connection flag (the lab profile's answers name the lab's key and known_hosts, as `run` uses them), then
`ansible-playbook site.yml` in DIR with nothing but the hacluster password (an extra-vars file here, so it stays out
of the process list):

1. the first run builds a cluster whose VIP serves every real server (graded by `ha-wizard check`, seen from
   this machine through the port forward), every host `failed=0, unreachable=0`;
2. a second run finds nothing to do: `changed=0` on every host;
3. after two hand-made breaks (a constraint removed, a value edited in haproxy.cfg), `--check --diff` reports
   exactly those two as changed, and changes nothing (the constraint is still missing, the edit still there).

One lab, one test (the suite's time budget). The wall times of both runs are printed in the run's "lab figures"
beside the wizard's own headless run (tests/conftest.py's built cluster, when the session built it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from e2e_support import (
    PASSWORD,
    SKIPPED_BY_THE_ANSIBLE_TEST,
    connection_args,
    e2e_answers,
    record_figure,
    wizard_cmd,
    wizard_env,
)

from wizard.base.answers import save_answers

pytestmark = pytest.mark.lab
PLAYBOOK_TIMEOUT = 1500
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def ansible_playbook() -> str:
    path = Path(sys.executable).parent / "ansible-playbook"
    if not path.exists():
        pytest.skip("ansible-core is not installed (pip install -e '.[test]')")
    return str(path)


def recap(log: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP: host -> ok/changed/unreachable/failed."""
    return {m[1]: {"ok": int(m[2]), "changed": int(m[3]), "unreachable": int(m[4]), "failed": int(m[5])}
            for m in RECAP.finditer(log)}


def changed_tasks(log: str) -> list[tuple[str, str]]:
    """(task name, host) of every task the default callback reports as changed."""
    out, task = [], ""
    for line in log.splitlines():
        m = re.match(r"^(?:TASK|RUNNING HANDLER) \[(.*)\] \*+$", line)
        if m:
            task = m.group(1)
            continue
        m = re.match(r"^changed: \[([^\]]+)\]", line)
        if m:
            out.append((task, m.group(1).split(" -> ")[0]))
    return out


# Three runs on one lab (build, again, --check): about 8 min alone.
@pytest.mark.whole_guide(500)
def test_the_project_builds_the_cluster_then_finds_nothing_to_do_and_check_names_a_break(fresh_lab, tmp_path,
                                                                                         request):
    playbook_cmd = ansible_playbook()
    answers = e2e_answers()
    lab = fresh_lab(prepared=False, answers=answers)  # NAT-only, as VirtualBox: the playbook makes its forwards
    answers_file = tmp_path / "lab.toml"
    save_answers(answers, answers_file)
    state = tmp_path / "state"
    out = tmp_path / "project"
    # Issue 22: no --identity / --known-hosts: the lab profile's answers carry them, as for `run`.
    done = subprocess.run(wizard_cmd("plan", "--format", "ansible", "-o", str(out), "--answers", str(answers_file)),
                          env=wizard_env(state, lab), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

    # Ansible's own environment: no user configuration, its temporary files in the test's folder.
    # (ssh's control sockets in a short folder: a socket path must stay under 108 bytes.)
    control = Path(tempfile.mkdtemp(prefix="hw-cp-"))
    request.addfinalizer(lambda: shutil.rmtree(control, ignore_errors=True))
    env = wizard_env(state, lab)
    # (Ansible needs ssh and a shell on PATH, which the wizard itself does not: wizard_env has only VBoxManage.)
    env |= {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"), "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control)}
    env.pop("HA_WIZARD_HACLUSTER_PASSWORD", None)
    env.pop("ANSIBLE_CONFIG", None)  # the project's ansible.cfg (inventory = inventory.ini)
    secret = tmp_path / "secret.json"  # what -e hacluster_password=... carries, kept out of the process list
    secret.write_text(json.dumps({"hacluster_password": PASSWORD}))
    secret.chmod(0o600)
    # The verification's failover tests and benchmarks are left out (they power VMs off and on for minutes).
    skip = ",".join(SKIPPED_BY_THE_ANSIBLE_TEST)

    def playbook(name: str, *extra: str) -> tuple[str, float]:
        start = time.monotonic()
        run = subprocess.run([playbook_cmd, "site.yml", "-e", f"@{secret}", "--skip-tags", skip, *extra],
                             cwd=out, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=PLAYBOOK_TIMEOUT)
        wall = time.monotonic() - start
        log = run.stdout + run.stderr
        (tmp_path / f"{name}.log").write_text(log)
        assert run.returncode == 0, f"{name}: exit {run.returncode}\n{log[-6000:]}"
        hosts = recap(log)
        assert set(hosts) >= {n.name for n in [*answers.directors, *answers.servers]}, log[-3000:]
        assert all(h["failed"] == 0 and h["unreachable"] == 0 for h in hosts.values()), log[-3000:]
        assert PASSWORD not in log  # no_log
        return log, wall

    # 1. The build.
    _, first = playbook("first")
    record_figure(f"ansible-playbook: the exported project on a fresh lab, first run (--skip-tags {skip})", first)
    for path in out.rglob("*"):
        assert path.is_dir() or PASSWORD not in path.read_text(), path
    check = subprocess.run(wizard_cmd("check", "--answers", str(answers_file), *connection_args(lab),
                                      "--format", "json"), env=wizard_env(state, lab), capture_output=True, text=True,
                           timeout=180)
    data = json.loads(check.stdout)
    bad = {c["id"]: c["found"] for s in data["sections"] for c in s["checks"] if c["status"] != "pass"}
    assert check.returncode == 0 and not bad, bad
    # From this machine, through the host's port forward to the external VIP (what the student's browser uses).
    url = f"http://{lab.address}:{answers.virtualbox.host_port}/index.php"
    seen: set[str] = set()
    for _ in range(3 * len(answers.servers)):
        body = subprocess.run(["curl", "-fsS", "-m", "5", url], capture_output=True, text=True, timeout=10)
        assert body.returncode == 0, body.stderr
        seen |= {s.name for s in answers.servers if re.search(rf"\b{s.name}\b", body.stdout)}
    assert seen == {s.name for s in answers.servers}

    # 2. Nothing to do.
    log, second = playbook("second")
    record_figure("ansible-playbook: the same project again on the built cluster (nothing to do)", second)
    assert all(h["changed"] == 0 for h in recap(log).values()), (changed_tasks(log), log[-3000:])

    # 3. Two breaks by hand, then --check --diff: exactly those, and nothing touched.
    m = answers.master.name
    # The start order (removing it moves nothing, so every check of the run still holds).
    cib = lab.exec(m, "cibadmin --query --scope constraints", check=True, timeout=60).stdout
    constraint = re.search(r'<rsc_order id="([^"]+)"', cib).group(1)
    lab.exec(m, f"pcs constraint remove {constraint}", check=True, timeout=60)
    lab.exec(m, "sed -i 's/^    timeout client 30s$/    timeout client 45s/' /etc/haproxy/haproxy.cfg", check=True)
    log, wall = playbook("check", "--check", "--diff")
    record_figure("ansible-playbook --check --diff on the built cluster after two hand-made breaks", wall)
    changed = changed_tasks(log)
    assert sorted({(task.split("(")[-1].rstrip(")"), host) for task, host in changed}) == [
        ("constraints.order", m), ("resources.haproxy_cfg", m)], changed
    assert "-    timeout client 45s" in log and "+    timeout client 30s" in log  # the diff names the edit
    assert constraint not in lab.exec(m, "cibadmin --query --scope constraints", timeout=60).stdout
    assert "timeout client 45s" in lab.exec(m, "cat /etc/haproxy/haproxy.cfg").stdout
