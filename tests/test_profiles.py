"""Profiles and the pcs/Pacemaker syntax chosen by version; facts found on a node rebuild the plan.

The version thresholds come from the pcs and Pacemaker sources (docs/pcs-versions.md); the pcs 0.11
commands are also fed to the real pcs in tests/test_pcs_offline.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from steps import SECTIONS, full_plan, session_plan
from steps.model import Action
from steps.profiles import (
    PACEMAKER_VERSION,
    PCS_VERSION,
    get_profile,
    os_fit_script,
    parse_version,
    profile_for_os,
)
from wizard.base.answers import PROFILES, Answers
from wizard.cli.main import main
from wizard.run.connections import Connections
from wizard.run.engine import Engine
from wizard.run.events import ActionFinished, PlanChanged
from wizard.session.state import Session


def by_id(profile: Any, answers: Answers | None = None) -> dict[str, Action]:
    return {a.id: a for _, acts in full_plan(answers or Answers(), profile) for a in acts}


# -- versions --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "version"), [
    ("0.11.5", (0, 11, 5)), ("0.12.0a1", (0, 12, 0)), ("0.10.0.alpha.3", (0, 10, 0)),
    ("Pacemaker 2.1.5", (2, 1, 5)), ("1.1.23-1.el7_9.1", (1, 1, 23)), ("0.11.12.1", (0, 11, 12, 1)),
    ("pcs: not installed yet", None), ("", None),
])
def test_parse_version(text: str, version: tuple | None) -> None:
    assert parse_version(text) == version


# pcs version -> (auth verb, setup, constraint listing, resource guard, colocation score, tokens file)
PCS_SYNTAX = [
    ("0.9.169", "pcs cluster auth", "setup --name cluster_lb", "pcs constraint show", "pcs resource show",
     "with VIP_interna INFINITY", "/var/lib/pcsd/tokens"),
    ("0.10.1", "pcs host auth", "setup cluster_lb", "pcs constraint show", "pcs resource config",
     "with VIP_interna INFINITY", "/var/lib/pcsd/known-hosts"),
    ("0.10.8", "pcs host auth", "setup cluster_lb", "pcs constraint show", "pcs resource config",
     "with VIP_interna INFINITY", "/var/lib/pcsd/known-hosts"),
    ("0.10.9", "pcs host auth", "setup cluster_lb", "pcs constraint config", "pcs resource config",
     "with VIP_interna INFINITY", "/var/lib/pcsd/known-hosts"),
    ("0.11.5", "pcs host auth", "setup cluster_lb", "pcs constraint config", "pcs resource config",
     "with VIP_interna INFINITY", "/var/lib/pcsd/known-hosts"),
    ("0.12.0", "pcs host auth", "setup cluster_lb", "pcs constraint config", "pcs resource config",
     "with VIP_interna score=INFINITY", "/var/lib/pcsd/known-hosts"),
    ("0.12.3", "pcs host auth", "setup cluster_lb", "pcs constraint config", "pcs resource config",
     "with VIP_interna score=INFINITY", "/var/lib/pcsd/known-hosts"),
]


@pytest.mark.parametrize(("pcs", "auth", "setup", "show", "guard", "score", "tokens"), PCS_SYNTAX)
@pytest.mark.parametrize("profile", ["rhel7", "rhel9", "lab"])
def test_pcs_syntax_follows_the_pcs_version_whatever_the_profile(profile: str, pcs: str, auth: str, setup: str,
                                                                   show: str, guard: str, score: str,
                                                                   tokens: str) -> None:
    acts = by_id(get_profile(profile).with_versions(pcs=pcs))
    assert acts["pcs_auth.auth"].command.startswith(f"{auth} master-cr standby-cr -u hacluster")
    assert tokens in acts["pcs_auth.auth"].probe
    assert f"pcs cluster {setup} master-cr standby-cr --force" == acts["cluster_setup.setup"].command
    assert acts["constraints.show"].command == show
    assert acts["resources.vip_externa"].probe == f"{guard} VIP_externa >/dev/null 2>&1"
    assert acts["resources.haproxy"].probe.startswith(guard + " HAproxy")
    assert acts["constraints.colocation_vips"].command.endswith(score)
    everything = "\n".join(a.command + "\n" + a.probe for a in acts.values())
    others = {row[1] for row in PCS_SYNTAX} - {auth}
    assert not any(o + " " in everything for o in others)


@pytest.mark.parametrize(("pacemaker", "option", "word"), [
    ("1.1.23", "stonith-enabled", "stonith"), ("2.1.5", "stonith-enabled", "stonith"),
    ("3.0.1", "stonith-enabled", "stonith"), ("3.0.2", "fencing-enabled", "fencing"),
    ("3.1.0", "fencing-enabled", "fencing"),
])
def test_fencing_property_follows_the_pacemaker_version(pacemaker: str, option: str, word: str) -> None:
    acts = by_id(get_profile("rhel10").with_versions(pacemaker=pacemaker))
    assert acts["properties.stonith"].command == f"pcs property set {option}=false"
    assert acts["cluster_setup.crm_verify"].command == f"crm_verify -L -V 2>&1 | grep -i {word}"


def test_facts_win_and_prefer_the_node_pcs_runs_on() -> None:
    rhel9 = get_profile("rhel9")
    facts = {PCS_VERSION: {"standby": "0.10.18", "master": "0.12.3"}, PACEMAKER_VERSION: {"master": "Pacemaker 3.0.2"}}
    p = rhel9.with_facts(facts, "master")
    assert (p.pcs_version, p.pacemaker_version, p.versions_from) == ("0.12.3", "3.0.2", "master")
    assert "found on master" in p.versions_text().en and "encontrados en master" in p.versions_text().es
    # Without the preferred node, the first by name; a value that is no version changes nothing.
    assert rhel9.with_facts(facts, "elsewhere").pcs_version == "0.12.3"
    assert rhel9.with_facts({PCS_VERSION: {"master": "pcs: not installed yet"}}, "master") is rhel9
    assert "usually ships" in rhel9.versions_text().en


def test_session_plan_uses_the_first_directors_facts() -> None:
    answers = Answers(profile="rhel9")
    plan = session_plan(answers, "rhel9", {PCS_VERSION: {"master": "0.9.169", "standby": "0.11.5"}})
    acts = {a.id: a for _, x in plan for a in x}
    assert acts["pcs_auth.auth"].command.startswith("pcs cluster auth")


# -- the new profiles --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["rhel8", "rhel10"])
def test_rhel8_and_rhel10_plans_are_complete(name: str) -> None:
    plan = full_plan(Answers(profile=name), get_profile(name))
    assert [m.ID for m, _ in plan] == [m.ID for m in SECTIONS]
    assert all(acts for _, acts in plan)
    rhel9 = {a.id for _, acts in full_plan(Answers(profile="rhel9"), get_profile("rhel9")) for a in acts}
    assert {a.id for _, acts in plan for a in acts} == rhel9  # the same steps, other syntax
    cmds = "\n".join(a.command + "\n" + a.probe for _, acts in plan for a in acts)
    assert "dnf install -y pcs pacemaker fence-agents-all resource-agents" in cmds
    assert "nmcli connection add type ethernet con-name enp0s9 ifname enp0s9" in cmds
    assert "firewall-cmd --permanent --add-service=high-availability" in cmds
    assert "setsebool -P daemons_enable_cluster_mode 1" in cmds
    assert "pcs host auth master-cr standby-cr" in cmds and "pcs constraint config" in cmds
    for absent in ("yum ", "network-scripts", "pcs cluster auth", "--name cluster_lb", "pcs resource show"):
        assert absent not in cmds, absent
    if name == "rhel8":
        assert "dnf config-manager --set-enabled ha\n" in cmds
        assert "with VIP_interna INFINITY" in cmds
    else:
        assert "dnf config-manager --set-enabled highavailability" in cmds
        assert "with VIP_interna score=INFINITY" in cmds and "with HAproxy score=INFINITY" in cmds


def test_debian13_is_debian12_with_pcs_0_12_syntax() -> None:
    """Debian 13 ships pcs 0.12.0.2 and Pacemaker 3.0.0: the same steps as Debian 12 (apt, ifupdown, systemd's
    haproxy unit, the shipped corosync.conf set aside), where only the colocations' score changes form.
    Pacemaker 3.0.0 knows stonith-enabled only (fencing-enabled comes in 3.0.2)."""
    d12, d13 = by_id(get_profile("debian12")), by_id(get_profile("debian13"))
    assert set(d12) == set(d13)
    changed = {k for k in d12 if (d12[k].command, d12[k].probe) != (d13[k].command, d13[k].probe)}
    assert changed == {"constraints.colocation_vips", "constraints.colocation_haproxy"}
    assert d13["constraints.colocation_vips"].command.endswith("with VIP_interna score=INFINITY")
    assert d13["constraints.show"].command == "pcs constraint config"
    assert d13["properties.stonith"].command == "pcs property set stonith-enabled=false"
    assert d13["cluster_setup.crm_verify"].command == "crm_verify -L -V 2>&1 | grep -i stonith"
    assert d13["resources.haproxy"].command.startswith("pcs resource create HAproxy systemd:haproxy ")
    assert d13["pcs_auth.install"].command.startswith("DEBIAN_FRONTEND=noninteractive apt-get ")
    assert "pcs_auth.default_corosync_conf" in d13


def test_the_lab_on_its_debian13_image_writes_debian13s_pcs_commands() -> None:
    """The lab profile's versions are the nodes' (facts): on the debian13 image its pcs commands are Debian
    13's, and it differs from debian13 only where a host without systemd must, as on Debian 12."""
    facts = {PCS_VERSION: {"master": "0.12.0.2", "standby": "0.12.0.2"},
             PACEMAKER_VERSION: {"master": "Pacemaker 3.0.0", "standby": "Pacemaker 3.0.0"}}
    lab = by_id(get_profile("lab").with_facts(facts, "master"), Answers(profile="lab"))
    d13 = by_id(get_profile("debian13"))
    # The lab's hosts start without Debian's corosync.conf and have no way out to the Internet.
    assert set(d13) - set(lab) == {"pcs_auth.default_corosync_conf", "networking.ping_outside.standby"}
    assert set(lab) <= set(d13)
    changed = {k for k in lab if lab[k].command != d13[k].command}
    assert changed == {"resources.haproxy", "networking.hostname.standby"}
    assert lab["resources.haproxy"].command.startswith("pcs resource create HAproxy lsb:haproxy ")
    pcs = {k for k in lab if "pcs " in lab[k].command}
    assert pcs - changed and all(lab[k].command == d13[k].command for k in pcs - changed)


def test_rhel8_haproxy_has_no_director_header() -> None:
    """RHEL 8 ships HAProxy 1.8: no `http-after-response` (2.2)."""
    from steps.resources import haproxy_config
    assert "http-after-response" not in haproxy_config(Answers(), get_profile("rhel8"))
    assert "http-after-response" in haproxy_config(Answers(), get_profile("rhel10"))


@pytest.mark.parametrize("argv", [["--profile", "rhel8"], ["--profile", "rhel10"],
                                  ["--profile", "rhel9", "--pcs-version", "0.12.3", "--pacemaker-version", "3.0.2"]])
def test_plan_command_prints_the_versions_it_targets(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    assert main(["plan", *argv]) == 0
    out = capsys.readouterr().out
    second = out.splitlines()[1]
    assert second.startswith("# Commands for pcs ")
    assert out.count("\n## ") == len(SECTIONS)
    if "--pcs-version" in argv:
        assert second == "# Commands for pcs 0.12.3, Pacemaker 3.0.2 (as asked)."
        assert "pcs property set fencing-enabled=false" in out


def test_plan_command_refuses_a_version_that_is_not_one(capsys: pytest.CaptureFixture) -> None:
    assert main(["plan", "--pcs-version", "latest"]) == 2
    assert "pcs version: 'latest' is not a version" in capsys.readouterr().err


# -- which profile fits a system -------------------------------------------------------------------

OS_CASES = [
    ("centos", "rhel fedora", "7", True, "rhel7"),
    ("rocky", "rhel centos fedora", "8.10", True, "rhel8"),
    ("almalinux", "rhel centos fedora", "9.4", True, "rhel9"),
    ("rocky", "rhel centos fedora", "10.0", True, "rhel10"),
    ("rhel", "fedora", "10.1", True, "rhel10"),
    ("debian", "", "12", True, "debian12"),
    ("debian", "", "12", False, "lab"),
    ("debian", "", "13", True, "debian13"),
    ("debian", "", "13", False, "lab"),  # the lab on its debian13 image
    ("debian", "", "11", True, None),
    ("ubuntu", "debian", "24.04", True, None),
    ("fedora", "", "41", True, None),
]


@pytest.mark.parametrize(("os_id", "like", "version", "systemd", "profile"), OS_CASES)
def test_profile_for_os(os_id: str, like: str, version: str, systemd: bool, profile: str | None) -> None:
    assert profile_for_os(os_id, like, version, systemd) == profile


@pytest.mark.parametrize(("os_id", "like", "version", "systemd", "profile"), OS_CASES)
def test_os_fit_script_agrees_with_profile_for_os(tmp_path: Path, os_id: str, like: str, version: str,
                                                  systemd: bool, profile: str | None) -> None:
    """The shell run on the nodes by preflight says what profile_for_os says (one table for both)."""
    release = tmp_path / "os-release"
    release.write_text(f'PRETTY_NAME="Some {os_id}"\nID={os_id}\nID_LIKE="{like}"\nVERSION_ID="{version}"\n')
    comm = tmp_path / "comm"
    comm.write_text("systemd\n" if systemd else "hostinit.py\n")
    script = os_fit_script().replace("/etc/os-release", str(release)).replace("/proc/1/comm", str(comm))
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"system: Some {os_id} -> profile {profile or 'none'}"


# -- facts found on a node rebuild the plan --------------------------------------------------------

class StubRunner:
    """A node that answers `pcs --version && pacemakerd --version` with the stubbed versions."""

    def __init__(self, pcs: str, pacemaker: str, ran: list[str]) -> None:
        self.pcs, self.pacemaker, self.ran = pcs, pacemaker, ran

    def run(self, command: str, stdin: bytes | None = None, on_line: Any = None, **_: Any) -> int:
        self.ran.append(command)
        if command.startswith("grep "):
            return 1  # probes: not done yet
        if command.startswith("pcs --version"):
            for line in (self.pcs, f"Pacemaker {self.pacemaker}", "Written by Andrew Beekhof"):
                on_line("stdout", line)
        return 0


class StubConnections(Connections):
    def __init__(self, *args: Any, versions: dict[str, tuple[str, str]], ran: list[str]) -> None:
        super().__init__(*args)
        self.versions, self.ran = versions, ran

    def get(self, node: str, address: str | None = None) -> Any:  # noqa: ANN401 - a runner
        return StubRunner(*self.versions[node], self.ran)


def engine_with(tmp_path: Path, profile: str, versions: dict[str, tuple[str, str]], events: list,
                ran: list[str]) -> Engine:
    session = Session.create("facts", Answers(profile=profile), profile, root=tmp_path / "state")
    engine = Engine(session, {"hacluster_password": "pw-not-used"}, None, events.append)
    engine.conns = StubConnections(session.answers, engine.ssh_options, engine.trust, engine._emit,
                                   versions=versions, ran=ran)
    return engine


@pytest.mark.parametrize(("profile", "found", "auth", "show", "stonith"), [
    ("rhel9", ("0.9.169", "1.1.23"), "pcs cluster auth", "pcs constraint show", "stonith-enabled"),
    ("rhel7", ("0.11.5", "2.1.5"), "pcs host auth", "pcs constraint config", "stonith-enabled"),
    ("rhel9", ("0.12.3", "3.0.2"), "pcs host auth", "pcs constraint config", "fencing-enabled"),
])
def test_a_stubbed_pcs_version_picks_the_syntax(tmp_path: Path, profile: str, found: tuple[str, str], auth: str,
                                                show: str, stonith: str) -> None:
    events: list = []
    ran: list[str] = []
    engine = engine_with(tmp_path, profile, {"master": found, "standby": ("0.10.18", "2.1.7")}, events, ran)
    ids_before = [a.id for _, acts in engine.plan for a in acts]
    assert engine.run_action("pcs_auth.versions") == "ok"
    assert engine.session.facts == {PCS_VERSION: {"master": found[0], "standby": "0.10.18"},
                                    PACEMAKER_VERSION: {"master": found[1], "standby": "2.1.7"}}
    assert engine.action("pcs_auth.auth").command.startswith(f"{auth} master-cr standby-cr")
    assert engine.action("constraints.show").command == show
    assert engine.action("properties.stonith").command == f"pcs property set {stonith}=false"
    assert [a.id for _, acts in engine.plan for a in acts] == ids_before  # ids stay
    changed = [e for e in events if isinstance(e, PlanChanged)]
    assert len(changed) == 1 and changed[0].facts[PCS_VERSION]["master"] == found[0]
    assert isinstance(events[events.index(changed[0]) - 1], ActionFinished)  # after the action is recorded
    # The same facts again: nothing to rebuild.
    assert engine.run_action("pcs_auth.versions") == "ok"
    assert len([e for e in events if isinstance(e, PlanChanged)]) == 1
    # The session keeps the facts: a resumed engine builds the same plan at once.
    engine.close()
    resumed = Engine(Session.load("facts", root=tmp_path / "state"), {}, None)
    assert resumed.action("pcs_auth.auth").command == engine.action("pcs_auth.auth").command
    resumed.close()
    engine.session.claim("run")
    # The next action of the section runs the new command (the plan is looked up after every action).
    ran.clear()
    assert engine.run_section("pcs_auth")
    assert any(c.startswith(auth) for c in ran)


def test_a_given_plan_is_not_rebuilt(tmp_path: Path) -> None:
    """Tests and custom plans pass their own plan: facts are kept but the plan stays theirs."""
    from wizard.run.engine import section
    events: list = []
    session = Session.create("given", Answers(profile="rhel9"), "rhel9", root=tmp_path / "state")
    action = by_id(get_profile("rhel9"))["pcs_auth.versions"]
    engine = Engine(session, {}, None, events.append, plan=[section("pcs_auth", "t", [action])])
    engine.conns = StubConnections(session.answers, engine.ssh_options, engine.trust, engine._emit,
                                   versions={"master": ("0.9.169", "1.1.23"), "standby": ("0.9.169", "1.1.23")},
                                   ran=[])
    assert engine.run_action("pcs_auth.versions") == "ok"
    assert session.facts[PCS_VERSION] == {"master": "0.9.169", "standby": "0.9.169"}
    assert not any(isinstance(e, PlanChanged) for e in events)


def test_every_profile_is_registered() -> None:
    assert PROFILES == ("rhel7", "rhel8", "rhel9", "rhel10", "debian12", "debian13", "lab")
    for name in PROFILES:
        assert get_profile(name).name == name
