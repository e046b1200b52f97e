"""The preflight section: first in the plan, read-only, every check meaningful (run here on fake inputs),
and the engine's keep-going / warn-only / unreachable-node / re-run behaviour it relies on.

The same checks run against real hosts in tests/test_preflight_lab.py.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from steps import SECTIONS, full_plan, preflight
from steps.centos_vault import BACKUP_SUFFIX, UNDO, epel_archive_actions, vault_actions
from steps.model import Action, Target
from steps.profiles import get_profile
from wizard.base.answers import PROFILES, Answers
from wizard.cli.main import main
from wizard.run.connections import Connections
from wizard.run.engine import Engine, section
from wizard.run.ssh_errors import SSHError
from wizard.session.state import Session


def pf(profile: str = "lab", answers: Answers | None = None) -> dict[str, Action]:
    return {a.id: a for a in preflight.plan(answers or Answers(profile=profile), get_profile(profile))}


def sh(command: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/sh", "-c", command], input=stdin, capture_output=True, text=True, timeout=60, env=env)


def matches(action: Action, output: str) -> bool:
    return re.search(action.expect, output, re.MULTILINE) is not None


# -- the section -----------------------------------------------------------------------------------

def test_preflight_is_first_keeps_going_and_reruns() -> None:
    assert SECTIONS[0] is preflight
    assert preflight.KEEP_GOING and preflight.RERUN and preflight.CHECKLIST


@pytest.mark.parametrize("profile", PROFILES)
def test_plan_section_preflight_exists_for_every_profile(profile: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["plan", "--profile", profile, "--section", "preflight"]) == 0
    out = capsys.readouterr().out
    assert "## 1. Before starting: check the machines [preflight]" in out
    assert "\n## 2." not in out
    assert "showvminfo master --machinereadable" in out and "echo reached" in out


@pytest.mark.parametrize("profile", PROFILES)
def test_preflight_only_reads(profile: str) -> None:
    access = {a.id for a in preflight.access_actions(Answers(profile=profile), get_profile(profile))}
    for a in pf(profile).values():
        if a.id in access:
            continue  # the port forwards: the only change, on the NAT network (steps/access.py)
        # The only probe: a later run finds standby as section 3's clone (a read-only VBoxManage query).
        assert a.kind == "check" and not a.secrets, a.id
        assert not a.probe or (a.id.startswith("preflight.not_yet.") and "showvminfo" in a.probe), a.id
        assert a.on_fail and a.on_fail_es and a.why and a.why_es, a.id
        # Only the scratch folder of the apt check (mktemp) is written and removed.
        text = a.command.replace('rm -rf "$d"', "").replace(">\"$d/log\"", "")
        unquoted = re.sub(r"'[^']*'|\"[^\"]*\"", "''", text)
        assert not re.search(r">+\s*(?!/dev/null|&)", unquoted), (a.id, "writes a file")
        for change in ("sed -i", "rm ", "systemctl start", "systemctl enable", "yum install", "dnf install",
                       "apt-get install", "mv ", "cp ", "chpasswd", "pcs cluster", "pcs resource create",
                       "pcs property", "hostnamectl", "nmcli connection", "modifyvm", "startvm", "controlvm"):
            assert change not in text, (a.id, change)
        if a.target.is_local:
            assert a.argv or a.host, a.id  # no shell on the host


def test_standby_is_only_checked_as_a_vm_that_is_not_there_yet() -> None:
    plan = pf("rhel7")
    assert not [a for a in plan.values() if "standby" in a.target.nodes]
    note = plan["preflight.not_yet.standby"]
    assert note.warn_only and note.host is not None and note.host.kwargs() == {"vm": "standby"}
    # The clone's section by its title: numbers move when sections are added.
    assert "(Clone master into standby) clones it from master" in note.why
    assert "(Clonar master en standby) la clona" in note.why_es


def test_each_existing_node_gets_its_checks() -> None:
    plan = pf("rhel9")
    for node in ("master", "cluster2", "cluster3", "cluster4"):
        for check in ("reach", "os", "ifaces", "hostname", "disk"):
            assert f"preflight.{check}.{node}" in plan
    for check in ("centos_mirrors", "repos", "selinux", "firewalld", "pcs"):
        assert f"preflight.{check}.master" in plan and f"preflight.{check}.cluster2" not in plan
    assert plan["preflight.clock"].target.nodes == ("master", "cluster2", "cluster3", "cluster4")
    debian = pf("debian12")
    assert "preflight.selinux.master" not in debian and "preflight.firewalld.master" not in debian
    ids = list(plan)
    # All nodes are reached before the per-node checks: an unreachable one is known early.
    assert max(ids.index(f"preflight.reach.{n}") for n in ("master", "cluster4")) < ids.index("preflight.os.master")


def test_reach_message_names_the_node_and_how_it_was_tried() -> None:
    plan = pf("lab")
    server = plan["preflight.reach.cluster3"]
    assert "cluster3" in server.on_fail and "10.0.100.13" in server.on_fail and "master" in server.on_fail
    assert "cluster3" in server.on_fail_es and "10.0.100.13" in server.on_fail_es
    assert server.timeout <= 30
    master = plan["preflight.reach.master"]
    assert Answers().master.address in master.on_fail


def test_vm_checks_expect_running_vms_on_the_answers_networks() -> None:
    vm = pf("lab")["preflight.vm.master"]
    good = 'name="master"\nVMState="running"\nnic1="natnetwork"\nnat-network1="red-nat-1"\nnic2="intnet"\nintnet2="intnet"\n'
    assert matches(vm, good)
    assert not matches(vm, good.replace('"running"', '"poweroff"'))
    assert not matches(vm, good.replace('nat-network1="red-nat-1"', 'nat-network1="other"'))
    assert not matches(vm, good.replace('nic2="intnet"', 'nic2="none"'))
    server = pf("lab")["preflight.vm.cluster2"]
    assert matches(server, 'VMState="running"\nnic1="intnet"\nintnet1="intnet"\n')
    net = pf("lab")["preflight.natnetwork"]
    assert matches(net, "Name:        red-nat-1\nNetwork:     192.168.1.0/24\n")  # VirtualBox 7
    assert matches(net, "NetworkName:    red-nat-1\n")  # VirtualBox 6
    assert not matches(net, "Name:        red-nat-10\n")


IP_OUTPUT = """1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
2: enp0s3    inet 192.168.1.101/24 brd 192.168.1.255 scope global enp0s3\\       valid_lft forever
3: enp0s8    inet 10.0.100.1/24 brd 10.0.100.255 scope global enp0s8\\       valid_lft forever
"""


def test_interfaces_check_wants_the_answers_names_and_addresses() -> None:
    check = pf("rhel7")["preflight.ifaces.master"]
    assert matches(check, IP_OUTPUT)
    assert not matches(check, IP_OUTPUT.replace("enp0s8", "eth1"))
    assert not matches(check, IP_OUTPUT.replace("10.0.100.1/24", "10.0.100.10/24"))
    assert not matches(check, IP_OUTPUT.replace("192.168.1.101/24", "192.168.1.101/16"))
    assert "master · Internal NIC" in check.on_fail and "directors[0]" not in check.on_fail  # as the inventory names it


def test_hostname_check_takes_the_name_or_an_alias() -> None:
    check = pf("rhel7")["preflight.hostname.master"]
    for ok in ("master", "cluster1", "master.cluster"):
        assert matches(check, ok + "\n")
    for bad in ("localhost.localdomain", "standby", "mastermind"):
        assert not matches(check, bad + "\n")
    assert check.warn_only


def test_os_check_expects_the_profiles_own_line() -> None:
    for profile in PROFILES:
        check = pf(profile)["preflight.os.master"]
        assert matches(check, f"system: Some Linux -> profile {profile}\n")
        others = [p for p in PROFILES if p != profile]
        assert not any(matches(check, f"system: x -> profile {o}\n") for o in others)
        assert not matches(check, "system: x -> profile none\n")
        assert check.warn_only


def test_disk_check_runs_here(tmp_path: Path) -> None:
    check = pf("lab")["preflight.disk.master"]
    res = sh(check.command)
    assert res.returncode == 0 and re.search(r"^/: \d+ MiB free$", res.stdout, re.M), res
    huge = sh(check.command.replace("min=512000", "min=999999999999"))
    assert huge.returncode == 1 and "MiB free" in huge.stdout


def test_sh_export_feeds_the_clock_check_the_scripts_own_clock() -> None:
    """The setup script replays the clock check with the clock of the machine running it."""
    from wizard.exports.shell import printf_for
    check = pf("lab")["preflight.clock"]
    feed = printf_for(check.stdin)
    assert feed == "printf '%s\\n' \"$(date +%s.%N)\""
    res = sh(f"{feed} | {{ {check.command}; }}")
    assert res.returncode == 0 and re.fullmatch(r"[+-]\d+\.\d s\n", res.stdout), res


def test_clock_check_compares_with_the_wizards_clock_on_stdin() -> None:
    check = pf("lab")["preflight.clock"]
    assert check.stdin == "{now}\n" and check.warn_only
    now = time.time()
    ok = sh(check.command, stdin=f"{now:.3f}\n")
    # Only the number (the action's title and why say what it is): no words in one language on the screen.
    assert ok.returncode == 0 and re.fullmatch(r"[+-]0\.\d s\n", ok.stdout), ok
    late = sh(check.command, stdin=f"{now - 100:.3f}\n")
    assert late.returncode == 1 and late.stdout.startswith("+10")
    early = sh(check.command, stdin=f"{now + 45:.3f}\n")
    assert early.returncode == 1 and early.stdout.startswith("-4")


STOCK_CENTOS_BASE = """[base]
name=CentOS-$releasever - Base
mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=os&infra=$infra
#baseurl=http://mirror.centos.org/centos/$releasever/os/$basearch/
gpgcheck=1

[updates]
name=CentOS-$releasever - Updates
mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=updates&infra=$infra
#baseurl=http://mirror.centos.org/centos/$releasever/updates/$basearch/
gpgcheck=1
"""

STOCK_EPEL = """[epel]
name=Extra Packages for Enterprise Linux 7 - $basearch
# It is much more secure to use the metalink, but if you wish to use a local mirror
# place its address here.
#baseurl=http://download.example/pub/epel/7/$basearch
metalink=https://mirrors.fedoraproject.org/metalink?repo=epel-7&arch=$basearch&infra=$infra&content=$contentdir
enabled=1
"""


def at(folder: Path, command: str) -> str:
    return command.replace("/etc/yum.repos.d", str(folder))


def test_dead_centos_mirrors_are_found(tmp_path: Path) -> None:
    repos = tmp_path / "yum.repos.d"
    repos.mkdir()
    check = {p: pf(p)["preflight.centos_mirrors.master"] for p in ("rhel7", "rhel9", "lab")}
    assert check["rhel7"].warn_only and not check["rhel9"].warn_only and not check["lab"].warn_only
    assert "“Install pcs and authorise the nodes”" in check["rhel7"].on_fail and "rhel7 profile" in check["lab"].on_fail
    clean = sh(at(repos, check["lab"].command))
    assert clean.returncode == 0 and "no repository asks" in clean.stdout
    (repos / "CentOS-Base.repo").write_text(STOCK_CENTOS_BASE)
    dead = sh(at(repos, check["lab"].command))
    assert dead.returncode == 1 and "CentOS-Base.repo" in dead.stdout and "gone since 2024" in dead.stdout


def test_repos_check_is_skipped_when_everything_is_installed_or_the_vault_fix_comes() -> None:
    lab = pf("lab")["preflight.repos.master"]
    assert lab.command.startswith("if dpkg-query -W pcs pacemaker corosync resource-agents haproxy apache2-utils")
    assert "siege" in lab.command and "siege" not in pf("lab")["preflight.repos.master"].command.split("then")[1]
    rhel7 = pf("rhel7")["preflight.repos.master"]
    assert "rpm -q pcs httpd-tools socat siege" in rhel7.command
    assert "not now: a later section points them at the vault first" in rhel7.command
    assert rhel7.command.endswith("timeout 180 yum -q --setopt=timeout=15 --setopt=retries=1 repolist enabled")
    rhel9 = pf("rhel9")["preflight.repos.master"]
    assert rhel9.command.endswith("--enablerepo=highavailability makecache") and "vault" not in rhel9.command
    assert pf("rhel8")["preflight.repos.master"].command.endswith("--enablerepo=ha makecache")


def test_centos_vault_actions_fix_and_undo(tmp_path: Path) -> None:
    repos = tmp_path / "yum.repos.d"
    repos.mkdir()
    base = repos / "CentOS-Base.repo"
    base.write_text(STOCK_CENTOS_BASE)
    epel = repos / "epel.repo"
    epel.write_text(STOCK_EPEL)
    both = Target.of_group("directors", ["master", "standby"])
    acts = {a.id.split(".")[1]: a for a in vault_actions("pcs_auth", both) + epel_archive_actions("v", both)}
    for name in ("vault_backup", "vault_repos", "epel_backup", "epel_archive"):
        assert sh(at(repos, acts[name].probe)).returncode != 0, f"{name}: probe says done before"
    for name in ("vault_clean", "vault_makecache", "epel_clean"):
        assert sh(at(repos, acts[name].probe)).returncode == 0, f"{name}: runs though nothing was changed"
    for name in ("vault_backup", "vault_repos", "epel_backup", "epel_archive"):
        res = sh(at(repos, acts[name].command))
        assert res.returncode == 0, (name, res.stderr)
    text = base.read_text()
    assert "\n#mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo=os" in text
    assert "\nbaseurl=http://vault.centos.org/7.9.2009/os/$basearch/\n" in text
    assert "\nbaseurl=http://vault.centos.org/7.9.2009/updates/$basearch/\n" in text
    assert not re.search(r"^mirrorlist=", text, re.M)
    e = epel.read_text()
    assert "\nbaseurl=https://archives.fedoraproject.org/pub/archive/epel/7/$basearch\n" in e
    assert "\n#metalink=https://mirrors.fedoraproject.org/metalink?repo=epel-7" in e
    assert (repos / f"CentOS-Base.repo{BACKUP_SUFFIX}").read_text() == STOCK_CENTOS_BASE
    assert (repos / f"epel.repo{BACKUP_SUFFIX}").read_text() == STOCK_EPEL
    for name in ("vault_backup", "vault_repos", "epel_backup", "epel_archive"):
        assert sh(at(repos, acts[name].probe)).returncode == 0, f"{name}: probe says not done after"
    for name in ("vault_clean", "vault_makecache", "epel_clean"):
        assert sh(at(repos, acts[name].probe)).returncode != 0, f"{name}: skipped after a change"
    # A second run keeps the original in the backup, and the undo of the explanation restores it.
    assert sh(at(repos, acts["vault_backup"].command)).returncode == 0
    assert (repos / f"CentOS-Base.repo{BACKUP_SUFFIX}").read_text() == STOCK_CENTOS_BASE
    assert sh(at(repos, UNDO.replace("; yum clean all", ""))).returncode == 0
    assert base.read_text() == STOCK_CENTOS_BASE and epel.read_text() == STOCK_EPEL
    assert not list(repos.glob(f"*{BACKUP_SUFFIX}"))


def test_rhel7_offers_the_vault_fix_before_the_first_install_and_epel_before_siege() -> None:
    ids = [a.id for _, acts in full_plan(Answers(), get_profile("rhel7")) for a in acts]
    assert ids.index("pcs_auth.vault_backup") < ids.index("pcs_auth.vault_repos") < ids.index(
        "pcs_auth.vault_makecache") < ids.index("pcs_auth.install")
    assert ids.index("verification.bench_repo") < ids.index("verification.epel_archive") < ids.index(
        "verification.bench_extra")
    for other in ("rhel8", "rhel9", "rhel10", "debian12", "lab"):
        other_ids = [a.id for _, acts in full_plan(Answers(profile=other), get_profile(other)) for a in acts]
        assert not [i for i in other_ids if "vault" in i or "epel_" in i], other
    from steps import pcs_auth
    assert "could not know" in pcs_auth.EXPLANATION.en and "vault.centos.org" in pcs_auth.EXPLANATION.en
    assert "no podía saber" in pcs_auth.EXPLANATION.es and "vault.centos.org" in pcs_auth.EXPLANATION.es


def test_optional_pcs_version_check_passes_without_pcs(tmp_path: Path) -> None:
    check = pf("rhel7")["preflight.pcs.master"]
    res = sh(check.command, env={"PATH": str(tmp_path)})  # no pcs on PATH
    assert res.returncode == 0 and "pcs: not installed yet" in res.stdout
    assert not check.expect and dict(check.facts)


# -- the engine's side ---------------------------------------------------------------------------------

def act(id_: str, command: str, **kw: Any) -> Action:
    target = kw.pop("target", Target.local())
    if target.is_local:
        kw.setdefault("argv", ("sh", "-c", command))  # this machine runs one program, never a shell string
    return Action(id=id_, kind="check", target=target, command=command, why=id_, why_es=id_, **kw)


class Flaky(Connections):
    """master answers (a local runner); cluster2 is powered off: every connection attempt fails."""

    attempts: dict[str, int]

    def get(self, node: str, address: str | None = None) -> Any:  # noqa: ANN401 - a runner
        from node_shell import NodeShell
        self.attempts = getattr(self, "attempts", {})
        self.attempts[node] = self.attempts.get(node, 0) + 1
        if node == "cluster2":
            raise SSHError("cluster2 (10.0.100.12): not reachable through any director: No route to host")
        return NodeShell()


def checks_engine(tmp_path: Path, actions: list[Action]) -> Engine:
    session = Session.create("pf", Answers(profile="lab"), "lab", root=tmp_path / "state")
    engine = Engine(session, {}, None, plan=[section("s", "checks", actions)])
    engine.conns = Flaky(session.answers, engine.ssh_options, engine.trust, engine._emit)
    return engine


def test_keep_going_warnings_and_unreachable_nodes(tmp_path: Path) -> None:
    import types
    actions = [
        act("s.reach_master", "echo reached", target=Target.node("master")),
        act("s.reach_cluster2", "echo reached", target=Target.node("cluster2"), on_fail="power it on"),
        act("s.fails", "echo nope; exit 1", on_fail="fix the frobnicator", on_fail_es="arregla el cacharro"),
        act("s.warns", "echo v1", expect="^v2$", warn_only=True, on_fail="old version", on_fail_es="versión vieja"),
        act("s.os_cluster2", "echo x", target=Target.node("cluster2")),
        act("s.both", "echo here", target=Target.of_group("servers", ["master", "cluster2"])),
        act("s.last", "echo ok"),
    ]
    engine = checks_engine(tmp_path, actions)
    module = types.SimpleNamespace(ID="s", TITLE=engine.plan[0][0].TITLE, KEEP_GOING=True, RERUN=True)
    engine.plan[0] = (module, engine.plan[0][1])
    t0 = time.monotonic()
    assert engine.run_section("s") is False  # something failed...
    assert time.monotonic() - t0 < 10
    s = engine.session
    status = {a.id: s.status(a.id) for a in actions}
    # ... but everything ran: failures do not stop a keep-going section.
    assert status == {"s.reach_master": "ok", "s.reach_cluster2": "failed", "s.fails": "failed", "s.warns": "ok",
                      "s.os_cluster2": "failed", "s.both": "failed", "s.last": "ok"}
    assert "No route to host" in s.record("s.reach_cluster2").error
    # cluster2 was tried once: later checks on it say so without trying.
    assert engine.conns.attempts["cluster2"] == 1
    assert "not tried: cluster2 could not be reached" in s.record("s.os_cluster2").error
    assert s.record("s.both").exit_codes["master"] == 0
    # A warning is recorded, in both languages, and is no failure.
    warn = s.record("s.warns")
    assert warn.warning == "local: old version" and warn.note == "local: old version" and not warn.error
    assert warn.warning_es == "local: versión vieja"
    # RERUN: everything runs again (checks tell how things are now); cluster2 is tried again, once.
    engine.run_section("s")
    assert engine.conns.attempts["cluster2"] == 2
    assert s.record("s.last").runs == 2
    # Outside a keep-going section a node that failed once is tried again.
    engine.run_action("s.os_cluster2")
    assert engine.conns.attempts["cluster2"] == 3


def test_once_a_later_section_began_a_resume_runs_only_the_checks_not_passed(tmp_path: Path) -> None:
    """A resume mid-guide (master powered off by nic_add) must not fail on checks of the starting point."""
    import types
    flag = tmp_path / "vm-off"
    checks = [act("s.vm", f"test ! -e {flag}"), act("s.other", "echo fine")]
    later = [act("t.next", "true")]
    session = Session.create("pf", Answers(profile="lab"), "lab", root=tmp_path / "state")
    engine = Engine(session, {}, None, plan=[section("s", "checks", checks), section("t", "later", later)])
    module = types.SimpleNamespace(ID="s", TITLE=engine.plan[0][0].TITLE, KEEP_GOING=True, RERUN=True)
    engine.plan[0] = (module, engine.plan[0][1])
    assert engine.run_section("s") is True
    flag.touch()  # the guide powers the VM off on purpose
    assert engine.run_section("s") is False  # before any later section: every check runs again and says so
    session.record("s.vm").status = "ok"
    assert engine.run_section("s") is False and not engine.moved_past("s")
    session.record("s.vm").status = "ok"
    assert engine.run_section("t") is True and engine.moved_past("s")
    runs = session.record("s.vm").runs
    assert engine.run_section("s") is True  # resumed mid-guide: the passed check is not run again
    assert session.record("s.vm").runs == runs
    session.record("s.other").status = "failed"
    assert engine.run_section("s") is True and session.status("s.other") == "ok"  # a failed one still runs
    assert engine.run_section("s", rerun=True) is False  # asked for (the app's button): every check again


def test_a_normal_section_still_stops_at_the_first_failure(tmp_path: Path) -> None:
    actions = [act("s.a", "exit 1"), act("s.b", "echo b")]
    engine = checks_engine(tmp_path, actions)
    assert engine.run_section("s") is False
    assert engine.session.status("s.b") == "pending"
