"""Every pcs command of a plan that can run without a cluster, fed to this machine's real pcs in plan order.

`pcs -f <CIB file>` on an empty CIB (`cibadmin --empty`), the setup writing a local corosync.conf
(`--corosync_conf`), `status`/`config` reading both. A rejection or a deprecation warning fails the
test, and so does a resource guard that does not tell "there" from "not there". Profiles whose pcs
has the same major.minor as this machine's are checked, with their versions set to the ones found
(as the wizard does on a node). The other pcs versions: scripts/check_pcs_source.py and
docs/pcs-versions.md.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from steps import full_plan
from steps.profiles import get_profile, parse_version
from tests.pcs_cli import LIVE, OfflinePcs, classify, pcs_invocations
from wizard.base.answers import PROFILES, Answers

pytestmark = pytest.mark.skipif(not shutil.which("pcs") or not shutil.which("cibadmin"),
                                reason="needs pcs and cibadmin (scripts/install-deps.sh)")


def _version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout
    except OSError:
        return ""


INSTALLED_PCS = _version(["pcs", "--version"]).strip()
INSTALLED_PACEMAKER = (_version(["pacemakerd", "--version"]).splitlines() or [""])[0]


def _same_pcs(profile: str) -> bool:
    mine, theirs = parse_version(INSTALLED_PCS), get_profile(profile).pcs
    return bool(mine) and mine[:2] == theirs[:2]


MATCHING = [p for p in PROFILES if _same_pcs(p)]


def run_pcs(args: list[str]) -> tuple[int, str, str]:
    env = {**os.environ, "LC_ALL": "C"}
    proc = subprocess.run(["pcs", *args], capture_output=True, text=True, timeout=120, env=env)
    return proc.returncode, proc.stdout, proc.stderr


def systemd_is_pid1() -> bool:
    try:
        return Path("/proc/1/comm").read_text().strip() == "systemd"
    except OSError:
        return False


def test_the_lab_pcs_matches_some_profiles() -> None:
    """The lab's Debian pcs 0.11 is what rhel9, debian12 and lab target: the check below is not empty."""
    assert {"rhel9", "debian12", "lab"} <= set(MATCHING), (INSTALLED_PCS, MATCHING)


def _signature(actions: list) -> tuple:
    """The plan's pcs invocations in order, with the action they belong to."""
    calls = ((a.id, tuple(map(tuple, pcs_invocations(a.probe))), tuple(map(tuple, pcs_invocations(a.command))))
             for a in actions)
    return tuple(c for c in calls if c[1] or c[2])


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """profile -> its OfflinePcs after feeding it the whole plan. Profiles whose pcs commands are the
    same, in the same order, share one run (pcs takes a second or two to start here)."""
    by_signature: dict[tuple, OfflinePcs] = {}
    stateless: dict = {}
    out = {}
    for profile in MATCHING:
        prof = get_profile(profile).with_versions(pcs=INSTALLED_PCS, pacemaker=INSTALLED_PACEMAKER)
        actions = [a for _, acts in full_plan(Answers(profile=profile), prof) for a in acts]
        key = _signature(actions)
        if key not in by_signature:
            offline = OfflinePcs(run_pcs, tmp_path_factory.mktemp(profile), systemd=systemd_is_pid1(),
                                 stateless=stateless)
            for action in actions:
                offline.feed(action)
            by_signature[key] = offline
        out[profile] = (by_signature[key], actions)
    return out


@pytest.mark.parametrize("profile", MATCHING)
def test_every_offline_pcs_command_is_accepted_in_plan_order(profile: str, checked: dict) -> None:
    offline, actions = checked[profile]
    live = [f"{action.id}: pcs {' '.join(a)}" for action in actions for a in pcs_invocations(action.command)
            if classify(a) == LIVE]
    report = offline.report()
    assert not offline.problems(), report
    ran = {(r.action, r.field) for r in offline.results}
    # What must have been checked: the setup, both properties, every resource with its guard, every
    # constraint, the listings.
    must = {"cluster_setup.setup", "cluster_setup.status", "properties.stonith", "properties.quorum",
            "resources.list", "resources.describe", "resources.vip_externa", "resources.vip_interna",
            "resources.haproxy", "constraints.colocation_vips", "constraints.colocation_haproxy",
            "constraints.order", "constraints.location", "constraints.show", "constraints.config",
            "pcs_auth.versions"}
    assert must <= {a for a, _ in ran}, report
    for guarded in ("resources.vip_externa", "resources.vip_interna", "resources.haproxy"):
        assert {(guarded, "probe-before"), (guarded, "probe-after")} <= ran
    # Only what needs running nodes is left out.
    assert {x.split(":")[0] for x in live} == {
        "pcs_auth.auth", "cluster_setup.start", "cluster_setup.enable", "cluster_setup.status_corosync",
        "constraints.stop", "constraints.start", "verification.haproxy_stop"}, live
    # What the commands built is the guide's cluster.
    cib = offline.cib.read_text()
    for piece in ('id="VIP_externa"', 'id="VIP_interna"', 'id="HAproxy"', 'rsc="VIP_externa" with-rsc="VIP_interna"',
                  'name="no-quorum-policy" value="ignore"', 'node="master-cr"'):
        assert piece in cib, piece
    assert "cluster_name: cluster_lb" in offline.conf.read_text()


def test_a_wrong_guard_is_caught(tmp_path: Path) -> None:
    """The check can fail: pcs 0.9's `resource show X` guard fed to pcs >= 0.11 is reported."""
    if parse_version(INSTALLED_PCS) < (0, 11):
        pytest.skip("pcs < 0.11 still accepts `resource show`")
    prof = get_profile("lab").with_versions(pcs="0.9.169")
    offline = OfflinePcs(run_pcs, tmp_path, stateless={})
    plan = {a.id: a for _, acts in full_plan(Answers(profile="lab"), prof) for a in acts}
    offline.feed(plan["resources.vip_externa"])
    offline.feed(plan["constraints.show"])
    problems = {(r.action, r.field, r.problem) for r in offline.problems()}
    assert ("resources.vip_externa", "probe-after", "the guard says not done after the command ran") in problems
    assert ("constraints.show", "command", "deprecated") in problems


@pytest.mark.parametrize(("shell", "found"), [
    ("pcs resource config X >/dev/null 2>&1", [["resource", "config", "X"]]),
    ("pcs --version && pacemakerd --version", [["--version"]]),
    ("if x; then pcs resource cleanup HAproxy >/dev/null; fi", [["resource", "cleanup", "HAproxy"]]),
    ("if x; then\n  echo y\nfi\npcs status\npcs config", [["status"], ["config"]]),
    ("crm_verify -L -V 2>&1 | grep -i stonith", []),
    ("echo pcs status", []),
])
def test_pcs_invocations_are_found_in_shell(shell: str, found: list[list[str]]) -> None:
    assert pcs_invocations(shell) == found
