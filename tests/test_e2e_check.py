"""`ha-wizard check` on the session's built cluster (the whole guide run headless on the lab): it passes;
each thing broken by hand is named with its fix, and the check leaves it as it found it. Everything broken here
is restored before the test ends — by the check's own fix commands first (so they are tested too), and by
direct commands if those did not do it.
"""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest
from e2e_support import connection_args, wizard_cmd

pytestmark = pytest.mark.lab

CHECK_TIMEOUT = 180


def run_check(c, *extra: str, fmt: str = "json") -> tuple[int, object]:
    done = subprocess.run(wizard_cmd("check", "--answers", str(c.answers_file), *connection_args(c.lab),
                                     "--format", fmt, "--lang", "en", *extra),
                          env=c.env(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=CHECK_TIMEOUT)
    assert done.returncode in (0, 1), (done.returncode, done.stdout[-3000:], done.stderr[-3000:])
    if fmt == "json":
        return done.returncode, json.loads(done.stdout)
    return done.returncode, done.stdout


def checks_of(data: dict) -> dict[str, dict]:
    return {c["id"]: c for s in data["sections"] for c in s["checks"]}


def not_passing(data: dict) -> dict[str, str]:
    return {k: f"{c['status']}: {c['found']}" for k, c in checks_of(data).items() if c["status"] != "pass"}


def wait_for(what: str, probe, timeout: float = 90.0, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    last = None
    for _ in range(int(timeout / interval) + 1):
        last = probe()
        if last:
            return last
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    pytest.fail(f"{what}: not within {timeout:g} s (last: {last!r})")


def started_on_master(c) -> bool:
    mon = c.lab.exec(c.answers.master.name, "crm_mon -1 -r", timeout=30).stdout
    ring = re.escape(c.answers.master.ring_name)
    return all(re.search(rf"{r}\s+\([^)]*\):\s+Started {ring}\b", mon) for r in ("VIP_externa", "VIP_interna",
                                                                                  "HAproxy"))


def settle_passing(c) -> dict:
    """The cluster is back as the guide leaves it: the check passes (resources may take a few seconds)."""
    wait_for("the three resources Started on master", lambda: started_on_master(c), timeout=120)
    result: dict = {}

    def passes() -> bool:
        code, data = run_check(c)
        result["data"] = data
        return code == 0

    deadline = time.monotonic() + 120
    while not passes():
        if time.monotonic() > deadline:
            pytest.fail(f"check still fails: {not_passing(result['data'])}")
        time.sleep(3)
    return result["data"]


def test_check_passes_then_names_a_disabled_haproxy_and_leaves_it_disabled(built_cluster):
    c = built_cluster
    c.require()
    master = c.answers.master.name
    code, data = run_check(c)
    assert code == 0, not_passing(data)
    assert data["passed"] and data["summary"]["fail"] == 0 and data["summary"]["not_checked"] == 0
    assert len(checks_of(data)) >= 45

    c.lab.exec(master, "pcs resource disable HAproxy", check=True, timeout=60)
    try:
        wait_for("HAproxy stopped", lambda: re.search(r"HAproxy\s+\([^)]*\):\s+Stopped",
                                                     c.lab.exec(master, "crm_mon -1 -r", timeout=30).stdout))
        code, text = run_check(c, fmt="table")
        assert code == 1
        assert "HAproxy: disabled (target-role=Stopped)" in " ".join(text.split())
        assert "pcs resource enable HAproxy" in " ".join(text.split())
        code, data = run_check(c)
        assert code == 1
        res = checks_of(data)["resources.HAproxy"]
        assert res["status"] == "fail" and "HAproxy" in res["found"]
        assert [f["command"] for f in res["fixes"]] == ["pcs resource enable HAproxy"]
        # Read-only: the resource is as the user left it, disabled.
        role = c.lab.exec(master, "crm_resource --resource HAproxy --meta --get-parameter target-role", timeout=30)
        assert role.stdout.strip().endswith("Stopped"), role.stdout
        assert re.search(r"HAproxy\s+\([^)]*\):\s+Stopped", c.lab.exec(master, "crm_mon -1 -r", timeout=30).stdout)
        # The fix the check gives, run as the user would.
        c.lab.exec(master, res["fixes"][0]["command"], check=True, timeout=60)
        settle_passing(c)
    finally:
        c.lab.exec(master, "pcs resource enable HAproxy", timeout=60)


BUSY_LOOPS = 3  # ssh loops through master's forward while the checks run


def test_ten_checks_while_master_is_kept_busy_give_ten_identical_verdicts(built_cluster):
    """Another process keeps master busy (loops of OpenSSH logins through its forward, each running cluster
    commands) while `check` runs ten times: ten identical verdicts, all passing, no error without its reason."""
    c = built_cluster
    c.require()
    m = c.answers.master
    ssh = (f"ssh -p {m.ssh_port} -i {c.lab.key_path} -o UserKnownHostsFile={c.lab.known_hosts_path} "
           f"-o BatchMode=yes -o ConnectTimeout=5 root@{m.ssh_host or m.external_ip}")
    # Bounded in time (and so in count): the loops end by themselves if this test dies before stopping them.
    loop = (f"end=$((SECONDS + 900)); while [ $SECONDS -lt $end ]; do "
            f"{ssh} 'crm_mon -1 >/dev/null; cibadmin --query >/dev/null; ip -o addr >/dev/null' || sleep 0.2; done")
    busy = [subprocess.Popen(["bash", "-c", loop], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True) for _ in range(BUSY_LOOPS)]
    verdicts, times = [], []
    try:
        for _ in range(10):
            t0 = time.monotonic()
            code, data = run_check(c)
            times.append(time.monotonic() - t0)
            verdicts.append((code, {k: v["status"] for k, v in checks_of(data).items()}))
            errors = [v["found"] for v in checks_of(data).values() if "()" in v["found"]]
            assert not errors, errors
    finally:
        for proc in busy:
            proc.terminate()
        for proc in busy:
            proc.wait(30)
    assert all(v == verdicts[0] for v in verdicts), [not_passing_of(v) for v in verdicts]
    assert verdicts[0][0] == 0, not_passing_of(verdicts[0])
    print(f"\ncheck x10 with master kept busy ({BUSY_LOOPS} ssh loops): 10 identical verdicts, "
          f"{len(verdicts[0][1])} checks each, all passing; {min(times):.1f}-{max(times):.1f} s per check")


def not_passing_of(verdict: tuple[int, dict[str, str]]) -> dict[str, str]:
    return {k: v for k, v in verdict[1].items() if v != "pass"}


def _colocation_id(c, rsc: str, with_rsc: str) -> str:
    xml = c.lab.exec(c.answers.master.name, "cibadmin --query --scope constraints", check=True, timeout=30).stdout
    for tag in re.findall(r"<rsc_colocation\b[^>]*>", xml):
        if f'rsc="{rsc}"' in tag and f'with-rsc="{with_rsc}"' in tag:
            return re.search(r'\bid="([^"]+)"', tag).group(1)
    pytest.fail(f"no colocation {rsc} with {with_rsc}: {xml}")


def test_three_breaks_by_hand_are_each_named_and_fixed_by_their_fix(built_cluster):
    """A constraint removed, a server's gateway reset (to master's own internal address, as before section 10),
    a VIP on the wrong NIC (the heartbeat one): each is named, with the command that fixes it."""
    c = built_cluster
    c.require()
    a = c.answers
    master, server = a.master, a.servers[1]
    route_before = c.lab.exec(server.name, "ip route show default", check=True, timeout=30).stdout.strip()
    colocation = _colocation_id(c, "VIP_externa", "VIP_interna")
    try:
        c.lab.exec(master.name, f"pcs constraint remove {colocation}", check=True, timeout=60)
        c.lab.exec(server.name, f"ip route replace default via {master.internal_ip} dev {server.ifname}", check=True,
                   timeout=30)
        c.lab.exec(master.name, f"pcs resource update VIP_interna nic={master.heartbeat_if}", check=True, timeout=60)
        wait_for("VIP_interna on the heartbeat NIC", lambda: f" {a.vip.internal}/" in c.lab.exec(
            master.name, f"ip -o -4 addr show dev {master.heartbeat_if}", timeout=30).stdout)

        code, data = run_check(c)
        assert code == 1
        checks = checks_of(data)
        failed = {k for k, v in checks.items() if v["status"] == "fail"}
        assert {"constraints.colocation_vips", f"gateway.{server.name}", "vips.VIP_interna"} <= failed, failed
        # Nothing else broke (the web still works: the VIP answers on the wrong NIC too).
        assert failed <= {"constraints.colocation_vips", f"gateway.{server.name}", "vips.VIP_interna",
                          "resources.VIP_interna"}, not_passing(data)
        col = checks["constraints.colocation_vips"]
        assert col["found"].startswith("missing") and "colocation add VIP_externa with VIP_interna" in \
            col["fixes"][0]["command"]
        gw = checks[f"gateway.{server.name}"]
        assert f"via {master.internal_ip}" in gw["found"] and gw["fixes"][0]["node"] == server.name
        vip = checks["vips.VIP_interna"]
        assert master.heartbeat_if in vip["found"]
        assert [f["command"] for f in vip["fixes"]] == [f"pcs resource update VIP_interna nic={master.internal_if}"]

        # Fixed by the check's own fixes, run where they say.
        done = set()
        for cid in ("constraints.colocation_vips", f"gateway.{server.name}", "vips.VIP_interna"):
            for fix in checks[cid]["fixes"]:
                if fix["command"] in done:
                    continue
                done.add(fix["command"])
                r = c.lab.exec(fix["node"], fix["command"], timeout=120)
                assert r.returncode == 0, (cid, fix, r.stdout, r.stderr)
        settle_passing(c)
    finally:
        # Whatever happened above: the cluster as the guide leaves it.
        if colocation not in c.lab.exec(master.name, "cibadmin --query --scope constraints", timeout=30).stdout:
            c.lab.exec(master.name, "pcs constraint colocation add VIP_externa with VIP_interna INFINITY", timeout=60)
        c.lab.exec(server.name, f"ip route replace {route_before}", timeout=30)
        c.lab.exec(master.name, f"pcs resource update VIP_interna nic={master.internal_if}", timeout=60)


async def test_the_apps_check_my_cluster_shows_the_same_table(built_cluster, tmp_path, monkeypatch):
    """The app's screen on the built cluster: the same checks as the CLI, every one passing."""
    from wizard.ui.app import WizardApp
    from wizard.ui.screens.check import CheckScreen
    from wizard.ui.screens.start import StartScreen

    c = built_cluster
    c.require()
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    code, data = run_check(c)
    assert code == 0, not_passing(data)
    app = WizardApp(lang="es", answers_path=str(c.answers_file), state_root=tmp_path / "state", engine_options={
        "identity_files": [str(c.lab.key_path)], "known_hosts": [str(c.lab.known_hosts_path)]})
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + 30
        while not isinstance(app.screen, StartScreen):
            assert time.monotonic() < deadline
            await pilot.pause(0.1)
        await pilot.click("#check")
        deadline = time.monotonic() + CHECK_TIMEOUT
        while not (isinstance(app.screen, CheckScreen) and app.screen.report is not None):
            assert time.monotonic() < deadline, "the check did not finish"
            await pilot.pause(0.2)
        report = app.screen.report
        assert report.exit_code == 0, {o.check.id: o.verdict.found.es for o in report.outcomes
                                       if o.verdict.status != "pass"}
        assert {o.check.id for o in report.outcomes} == set(checks_of(data))
        status = str(app.screen.query_one("#check-status").render())
        assert f"{len(report.outcomes)} de {len(report.outcomes)} comprobaciones correctas" in status
