"""`ha-wizard check`: every probe is read-only; the judges grade real probe outputs (captured on the lab, and
CentOS 7's layouts); each kind of break is named with its fix; table, JSON, exit codes, bad input.

The lab test (tests/test_e2e_check.py) runs the same checks against a cluster built by the guide.
"""

from __future__ import annotations

import io
import json
import re
import shlex
from pathlib import Path

import pytest

from steps._common import hosts_entries
from steps.checks import (
    ANY_DIRECTOR,
    HTTP_MARK,
    FixBook,
    ProbeResult,
    build,
    crm_mon_online,
    crm_mon_resources,
    fix_profile,
    grade,
    versions_found,
)
from steps.profiles import get_profile
from steps.resources import haproxy_config
from wizard.base.answers import PROFILES, Answers, save_answers
from wizard.base.i18n import STRINGS
from wizard.run.check import Report, render_tables, summary_text, to_json

DATA = Path(__file__).parent / "data" / "check"


# -- the read-only allow-list ---------------------------------------------------------------------------
# Each simple command a probe may contain: program -> predicate over its arguments. Anything else (another
# program, a redirection, a substitution, an argument that writes) fails the test.
def _curl_ok(args: list[str]) -> bool:
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-sS", "-s", "-S", "-f", "-fsS"):
            i += 1
        elif a in ("-m", "-w", "-H") and i + 1 < len(args):
            if a == "-H" and args[i + 1].lower() != "connection: close":
                return False
            i += 2
        elif re.fullmatch(r"http://[\w.\-]+(:\d+)?/[\w.\-/]*", a):
            i += 1
        else:
            return False
    return True


READ_ONLY = {
    "hostname": lambda a: a == [],
    "ip": lambda a: a in (["-o", "addr", "show"], ["-o", "link", "show"], ["route", "show", "default"]),
    "cat": lambda a: len(a) == 1 and a[0] in ("/etc/hosts", "/etc/haproxy/haproxy.cfg"),
    "systemctl": lambda a: len(a) >= 2 and a[0] in ("is-active", "is-enabled") and all(
        re.fullmatch(r"[\w-]+", u) for u in a[1:]),
    "corosync-cfgtool": lambda a: a == ["-s"],
    "corosync-cmapctl": lambda a: a == [],
    "pacemakerd": lambda a: a == ["--version"],
    "pcs": lambda a: a == ["--version"] or (a[:2] == ["status", "pcsd"] and all(
        re.fullmatch(r"[\w.-]+", n) for n in a[2:])),
    "crm_mon": lambda a: a == ["-1", "-r"],
    "cibadmin": lambda a: a == ["--query"],
    "haproxy": lambda a: a == ["-c", "-f", "/etc/haproxy/haproxy.cfg"],
    "curl": _curl_ok,
}


def simple_commands(command: str) -> list[list[str]] | None:
    """Split a probe on ; && || | into argv lists; None for shell syntax that could write or run more."""
    if re.search(r"[<>`]|\$\(", command.replace("'Connection: close'", "")):
        return None
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    parts: list[list[str]] = [[]]
    for token in lexer:
        if token in (";", "&&", "||", "|"):
            parts.append([])
        elif not set(token) - set(";&|"):
            return None  # `&` (background) or another operator
        else:
            parts[-1].append(token)
    return [p for p in parts if p]


def is_read_only(command: str) -> bool:
    argvs = simple_commands(command)
    return argvs is not None and all(argv[0] in READ_ONLY and READ_ONLY[argv[0]](argv[1:]) for argv in argvs)


def answer_variants() -> list[Answers]:
    odd = Answers()
    odd.directors[1].internal_if = "eth1"  # different names: no nic= in the plan, and the check must follow
    odd.servers = odd.servers[:2]
    return [Answers(), odd]


@pytest.mark.parametrize("profile", PROFILES)
def test_every_probe_is_on_the_read_only_allow_list(profile):
    commands = set()
    for answers in answer_variants():
        answers.profile = profile
        commands |= {p.command for p in build(answers, get_profile(profile)).probes}
    assert len(commands) >= 15  # distinct command lines; every node runs several of them
    for command in sorted(commands):
        assert is_read_only(command), command


@pytest.mark.parametrize("command", [
    "pcs resource disable HAproxy", "cat /etc/hosts > /tmp/x", "ip addr add 1.2.3.4/24 dev eth0",
    "systemctl stop haproxy", "cibadmin --replace --xml-file x", "curl -o /etc/x http://a/", "cat $(rm -rf /)",
    "ip -o addr show; pcs cluster stop --all", "crm_mon -1 -r | sh", "hostname & reboot", "hostname newname",
])
def test_the_allow_list_refuses_writes(command):
    assert not is_read_only(command)


def test_the_runner_runs_only_the_plans_probes(monkeypatch):
    """What ProbeRunner sends is exactly the probe list the allow-list test covers (cluster-wide probes on the
    first director where they succeed, the next one otherwise)."""
    from wizard.run import check

    answers = Answers(profile="lab")
    plan = build(answers, get_profile("lab"))
    sent: list[tuple[str, str]] = []

    class Conn:
        def __init__(self, node):
            self.node = node

        def run(self, command, *, on_line, timeout, cancel):
            sent.append((self.node, command))
            on_line("stdout", "x")
            return 1 if (self.node == "master" and command == "cibadmin --query") else 0

    class Conns:
        def __init__(self, *a, **k):
            pass

        def get(self, node):
            return Conn(node)

        def get_bounded(self, node, cancel=None):
            return Conn(node)

        def close(self):
            pass

    monkeypatch.setattr("wizard.run.connections.Connections", Conns)
    runner = check.ProbeRunner(answers)
    results = runner.run(plan)
    assert {c for _, c in sent} == {p.command for p in plan.probes}
    assert results["cib"].node == "standby" and results["cib"].code == 0
    assert ("master", "cibadmin --query") in sent and ("standby", "cibadmin --query") in sent
    assert all(results[p.id].node == p.node for p in plan.probes if p.node != ANY_DIRECTOR)


# -- probe outputs of a cluster built by the guide --------------------------------------------------------

def _addr_lines(answers: Answers, director, with_vips: bool) -> str:
    n = answers.networks
    lines = ["1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever"]
    idx = {director.external_if: 2, director.internal_if: 3, director.heartbeat_if: 4}
    for ifname, ip, net in ((director.external_if, director.external_ip, n.external),
                            (director.internal_if, director.internal_ip, n.internal),
                            (director.heartbeat_if, director.heartbeat_ip, n.heartbeat)):
        plen = net.split("/")[1]
        lines.append(f"{idx[ifname]}: {ifname}    inet {ip}/{plen} brd x scope global {ifname}\\       valid_lft forever")
    if with_vips:
        lines.append(f"2: {director.external_if}    inet {answers.vip.external}/24 brd x scope global secondary "
                     f"{director.external_if}\\       valid_lft forever")
        lines.append(f"3: {director.internal_if}    inet {answers.vip.internal}/24 brd x scope global secondary "
                     f"{director.internal_if}\\       valid_lft forever")
    return "\n".join(lines)


def _links(director) -> str:
    return "\n".join(f"{i}: {name}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP" for i, name in
                     enumerate(["lo", director.external_if, director.internal_if, director.heartbeat_if], 1))


def _page(server) -> str:
    return f"<html><body><p>Servidor / server: {server.name} ({server.ip})</p></body></html>"


def healthy(answers: Answers, flavour: str = "lab") -> dict[str, ProbeResult]:
    """Every probe's output on a cluster built by the guide (lab: Debian 12 captures; rhel7: CentOS 7 layouts)."""
    profile = get_profile(answers.profile)
    plan = build(answers, profile)
    cib = (DATA / "lab-cib.xml").read_text()
    if profile.haproxy_agent == "systemd:haproxy":
        cib = cib.replace('class="lsb" type="haproxy"', 'class="systemd" type="haproxy"')
    hosts = "127.0.0.1 localhost\n" + "\n".join(f"{e['ip']} {' '.join(e['names'])}" for e in hosts_entries(answers))
    servers = answers.servers
    out: dict[str, str] = {
        "versions": ("0.9.169\nPacemaker 1.1.23-1.el7_9.1\nWritten by Andrew Beekhof" if flavour == "rhel7"
                     else "0.11.5\nPacemaker 2.1.5\nWritten by Andrew Beekhof and the Pacemaker project contributors"),
        "pcsd_auth": "".join(f"  {d.ring_name}: Online\n" for d in answers.directors),
        "cmap": (DATA / f"{flavour}-cmapctl.txt").read_text(),
        "crm_mon": (DATA / f"{flavour}-crm_mon.txt").read_text(),
        "cib": cib,
        "web.vip": "".join(f"{_page(servers[i % len(servers)])}\n{HTTP_MARK} 200\n"
                           for i in range(2 * len(servers) + 1)),
        "web.direct": "".join(f"{_page(s)}\n{HTTP_MARK} 200\n" for s in servers),
    }
    for d in answers.directors:
        ring = (DATA / f"{flavour}-cfgtool-master.txt").read_text()
        out |= {
            f"reach.{d.name}": d.name, f"addr.{d.name}": _addr_lines(answers, d, d is answers.master),
            f"link.{d.name}": _links(d), f"hosts.{d.name}": hosts,
            f"services.{d.name}": "active\nenabled\nenabled\nenabled\ndisabled",
            f"cfgtool.{d.name}": ring.replace(answers.master.heartbeat_ip, d.heartbeat_ip),
            f"haproxy_cfg.{d.name}": haproxy_config(answers, profile),
            f"haproxy_valid.{d.name}": "Configuration file is valid",
        }
    for s in servers:
        out |= {f"reach.{s.name}": s.name, f"route.{s.name}": f"default via {answers.vip.internal} dev enp0s3 onlink"}
    missing = {p.id for p in plan.probes} - set(out)
    assert not missing, missing
    return {p.id: ProbeResult(0, out[p.id], "", p.node or answers.master.name) for p in plan.probes}


def graded(answers: Answers, results: dict[str, ProbeResult]) -> dict[str, object]:
    profile = get_profile(answers.profile)
    fixes = FixBook(answers, fix_profile(profile, results, answers.master.name))
    outcomes = grade(build(answers, profile), results, fixes)
    return {o.check.id: o for o in outcomes}


def failing(answers: Answers, results: dict[str, ProbeResult]) -> dict[str, object]:
    return {k: o for k, o in graded(answers, results).items() if o.verdict.status != "pass"}


def fix_commands(outcome) -> list[str]:
    return [f.command for f in outcome.verdict.fixes]


def replace(results, probe, old, new, count=1):
    r = results[probe]
    assert old in r.stdout, (probe, old)
    results[probe] = ProbeResult(r.code, r.stdout.replace(old, new, count), r.stderr, r.node)


@pytest.mark.parametrize("profile,flavour", [("lab", "lab"), ("debian12", "lab"), ("rhel7", "rhel7"),
                                             ("rhel9", "lab")])
def test_a_cluster_built_by_the_guide_passes_every_check(profile, flavour):
    answers = Answers(profile=profile)
    outcomes = graded(answers, healthy(answers, flavour))
    assert {k: o.verdict.found.en for k, o in outcomes.items() if o.verdict.status != "pass"} == {}
    sections = {o.check.section for o in outcomes.values()}
    assert sections == {"reach", "addresses", "hosts", "pcsd", "corosync", "nodes", "properties", "resources",
                        "constraints", "placement", "vips", "haproxy", "gateway", "web"}


def test_disabled_haproxy_is_named_with_its_fix():
    answers = Answers(profile="lab")
    results = healthy(answers)
    # What `pcs resource disable HAproxy` writes.
    replace(results, "cib", '<meta_attributes id="HAproxy-meta_attributes"/>',
            '<meta_attributes id="HAproxy-meta_attributes"><nvpair id="HAproxy-meta_attributes-target-role" '
            'name="target-role" value="Stopped"/></meta_attributes>')
    mon = results["crm_mon"].stdout
    mon = re.sub(r"Started master-cr", "Stopped", mon).replace("(lsb:haproxy):\t Stopped", "(lsb:haproxy):\t Stopped "
                                                                                            "(disabled)")
    results["crm_mon"] = ProbeResult(0, mon, "", "master")
    for d in answers.directors:
        results[f"addr.{d.name}"] = ProbeResult(0, _addr_lines(answers, d, False), "", d.name)
    results["web.vip"] = ProbeResult(7, "\n".join(f"{HTTP_MARK} 000" for _ in range(7)), "curl: (7) refused",
                                     "master")
    bad = failing(answers, results)
    assert set(bad) == {"resources.HAproxy", "placement.together", "vips.VIP_externa", "vips.VIP_interna",
                        "web.every_server"}
    res = bad["resources.HAproxy"].verdict
    assert "HAproxy" in res.found.en and "disabled" in res.found.en and "deshabilitado" in res.found.es
    assert fix_commands(bad["resources.HAproxy"]) == ["pcs resource enable HAproxy"]
    for other in ("placement.together", "vips.VIP_externa", "web.every_server"):
        assert fix_commands(bad[other]) == ["pcs resource enable HAproxy"], other
    assert "VIP_externa Stopped" in bad["placement.together"].verdict.found.en


def _drop(cib: str, pattern: str) -> str:
    new, n = re.subn(pattern, "", cib)
    assert n == 1, pattern
    return new


def test_three_breaks_by_hand_are_each_named():
    """A constraint removed, a server's gateway reset, a VIP on the wrong NIC (the lab test does them for real)."""
    answers = Answers(profile="lab")
    results = healthy(answers)
    cib = _drop(results["cib"].stdout, r'<rsc_colocation rsc="VIP_externa" with-rsc="VIP_interna"[^>]*/>')
    cib = cib.replace('name="nic" value="enp0s8"', 'name="nic" value="enp0s9"')
    results["cib"] = ProbeResult(0, cib, "", "master")
    replace(results, "route.cluster3", "via 10.0.100.200", "via 10.0.100.1")
    addr = results["addr.master"].stdout.replace(f"3: enp0s8    inet {answers.vip.internal}/24 brd x scope global "
                                                 "secondary enp0s8", f"4: enp0s9    inet {answers.vip.internal}/24 "
                                                 "scope global enp0s9")
    results["addr.master"] = ProbeResult(0, addr, "", "master")
    bad = failing(answers, results)
    assert set(bad) == {"constraints.colocation_vips", "gateway.cluster3", "vips.VIP_interna",
                        "resources.VIP_interna"}
    plan = FixBook(answers, get_profile("lab")).actions
    assert fix_commands(bad["constraints.colocation_vips"]) == [plan["constraints.colocation_vips"].command]
    assert bad["constraints.colocation_vips"].verdict.found.en.startswith("missing")
    assert "10.0.100.1" in bad["gateway.cluster3"].verdict.found.en
    assert fix_commands(bad["gateway.cluster3"]) == [plan["gateway.set.cluster3"].command,
                                                     plan["gateway.restart_network.cluster3"].command]
    assert "enp0s9" in bad["vips.VIP_interna"].verdict.found.en
    assert fix_commands(bad["vips.VIP_interna"]) == ["pcs resource update VIP_interna nic=enp0s8"]
    assert "nic=enp0s9" in bad["resources.VIP_interna"].verdict.found.en


def test_other_breaks_are_named():
    answers = Answers(profile="rhel7")
    results = healthy(answers, "rhel7")
    replace(results, "hosts.standby", "10.0.200.1 master-cr", "10.0.200.9 master-cr")
    replace(results, "haproxy_cfg.standby", "bind 192.168.1.200:80", "bind 192.168.1.101:80")
    replace(results, "haproxy_cfg.master", "    server cluster4 10.0.100.14:80", "#")
    replace(results, "pcsd_auth", "standby-cr: Online", "standby-cr: Unable to authenticate")
    replace(results, "services.master", "active\nenabled\nenabled\nenabled\ndisabled",
            "active\nenabled\nenabled\nenabled\nenabled")
    replace(results, "cib", 'name="no-quorum-policy" value="ignore"', 'name="no-quorum-policy" value="stop"')
    replace(results, "cib", "</constraints>", '<rsc_location id="cli-ban-HAproxy-on-master-cr" rsc="HAproxy" '
            'role="Started" node="master-cr" score="-INFINITY"/></constraints>')
    replace(results, "cmap", "runtime.totem.pg.mrp.srp.members.2.status (str) = joined",
            "runtime.totem.pg.mrp.srp.members.2.status (str) = left")
    replace(results, "crm_mon", "Online: [ master-cr standby-cr ]", "Online: [ master-cr ]\nOFFLINE: [ standby-cr ]")
    replace(results, "web.vip", "cluster4 (10.0.100.14)", "cluster2 (10.0.100.12)", count=-1)
    bad = failing(answers, results)
    assert set(bad) == {"hosts.standby", "haproxy.bind.standby", "haproxy.servers.master", "haproxy.same",
                        "pcsd.auth", "resources.haproxy_service.master", "properties.quorum", "constraints.no_moves",
                        "corosync.members", "nodes.online", "web.every_server"}
    found = {k: o.verdict.found.en for k, o in bad.items()}
    assert "master-cr → 10.0.200.9" in found["hosts.standby"]
    assert fix_commands(bad["hosts.standby"])[0].startswith("{ sed ")  # the plan's hosts block rewrite
    assert found["haproxy.bind.standby"] == "bind 192.168.1.101:80"
    assert "cluster4" in found["haproxy.servers.master"]
    assert "Unable to authenticate" in found["pcsd.auth"]
    # rhel7: pcs 0.9 syntax, from the plan; the password is asked, never in the command
    assert fix_commands(bad["pcsd.auth"]) == ["pcs cluster auth master-cr standby-cr -u hacluster"]
    assert fix_commands(bad["resources.haproxy_service.master"]) == ["systemctl disable haproxy"]
    assert fix_commands(bad["properties.quorum"]) == ["pcs property set no-quorum-policy=ignore"]
    assert fix_commands(bad["constraints.no_moves"]) == ["pcs resource clear HAproxy"]
    assert "10.0.200.2 left" in found["corosync.members"]
    assert "OFFLINE: standby-cr" in found["nodes.online"]
    assert "never answered by: cluster4" in found["web.every_server"]


def test_missing_heartbeat_nic_points_at_the_virtualbox_steps():
    answers = Answers(profile="rhel7")
    results = healthy(answers, "rhel7")
    replace(results, "link.master", "4: enp0s9: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP", "")
    replace(results, "addr.master", "4: enp0s9    inet 10.0.200.1/24 brd x scope global enp0s9", "")
    bad = failing(answers, results)
    o = bad["addresses.heartbeat.master"]
    assert "no interface enp0s9" in o.verdict.found.en
    fixes = o.verdict.fixes
    assert any(f.node == "local" and "modifyvm master --nic3 intnet" in f.command for f in fixes)
    assert fixes[-2].action_id == "nic_add.config_heartbeat.master" and fixes[-1].node == "master"


def test_an_unreachable_node_is_a_failure_and_its_checks_are_not_checked():
    answers = Answers(profile="lab")
    results = healthy(answers)
    for pid, r in list(results.items()):
        if r.node == "cluster4":
            results[pid] = ProbeResult(None, node="cluster4", error="cluster4 not reachable: no route")
    outcomes = graded(answers, results)
    assert outcomes["reach.cluster4"].verdict.status == "fail"
    assert "no route" in outcomes["reach.cluster4"].verdict.found.en
    assert outcomes["gateway.cluster4"].verdict.status == "not_checked"
    assert "no route" in outcomes["gateway.cluster4"].verdict.found.es
    assert outcomes["gateway.cluster3"].verdict.status == "pass"


def test_a_stopped_cluster_is_failed_once_and_not_checked_downstream():
    answers = Answers(profile="lab")
    results = healthy(answers)
    for pid in ("crm_mon", "cib"):
        results[pid] = ProbeResult(102, "", "crm_mon: Connection to cluster failed: Connection refused", "standby")
    outcomes = graded(answers, results)
    assert outcomes["nodes.online"].verdict.status == "fail"
    assert fix_commands(outcomes["nodes.online"]) == ["pcs cluster start --all"]
    for cid in ("resources.HAproxy", "constraints.order", "properties.stonith", "placement.together"):
        assert outcomes[cid].verdict.status == "not_checked", cid


def test_parsers_read_both_pacemaker_layouts():
    for flavour in ("lab", "rhel7"):
        text = (DATA / f"{flavour}-crm_mon.txt").read_text()
        online, offline = crm_mon_online(text)
        assert online == {"master-cr", "standby-cr"} and not offline
        states = crm_mon_resources(text)
        assert {k: v for k, v in states.items() if k in ("VIP_externa", "VIP_interna", "HAproxy")} == {
            r: ("Started", "master-cr") for r in ("VIP_externa", "VIP_interna", "HAproxy")}
    disabled = "  * HAproxy\t(lsb:haproxy):\t Stopped (disabled)\n  * VIP_interna\t(ocf:heartbeat:IPaddr2):\t Stopped\n"
    assert crm_mon_resources(disabled) == {"HAproxy": ("Stopped", ""), "VIP_interna": ("Stopped", "")}


# -- output --------------------------------------------------------------------------------------------------

def _report(answers: Answers, results) -> Report:
    profile = get_profile(answers.profile)
    return Report(answers, profile, grade(build(answers, profile), results, FixBook(answers, profile)))


def _render(report: Report, lang: str) -> str:
    from wizard.cli.run import make_console

    buf = io.StringIO()
    console = make_console(file=buf, width=140, color_system=None)
    for table in render_tables(report, lang):
        console.print(table)
    console.print(summary_text(report, lang))
    return buf.getvalue()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_table_shows_expected_found_and_fix_in_both_languages(lang):
    answers = Answers(profile="lab")
    results = healthy(answers)
    replace(results, "route.cluster2", "via 10.0.100.200", "via 10.0.100.1")
    report = _report(answers, results)
    text = _render(report, lang)
    words = {k: v[1 if lang == "es" else 0] for k, v in STRINGS.items() if k.startswith("check.")}
    for key in ("check.fail", "check.pass", "check.expected", "check.found", "check.fix"):
        assert words[key] in text, key
    assert "default via 10.0.100.1" in text and "ocf:heartbeat:IPaddr2" in text  # verbatim, no emoji
    assert "14. " in text  # one table per section, numbered
    assert report.exit_code == 1
    # A long fix (haproxy.cfg's heredoc) shows its first line and where to see it whole.
    replace(results, "haproxy_cfg.standby", "bind 192.168.1.200:80", "bind 192.168.1.102:80")
    text = _render(_report(answers, results), lang)
    assert "cat > /etc/haproxy/haproxy.cfg <<'EOF'" in text and "ha-wizard plan --section resources" in text
    assert "backend farm" not in text


def test_json_carries_every_check_and_whole_fixes():
    answers = Answers(profile="lab")
    results = healthy(answers)
    replace(results, "haproxy_cfg.standby", "bind 192.168.1.200:80", "bind 192.168.1.102:80")
    data = json.loads(json.dumps(to_json(_report(answers, results), "en")))
    assert data["passed"] is False and data["summary"]["fail"] == 2 and data["summary"]["not_checked"] == 0
    checks = {c["id"]: c for s in data["sections"] for c in s["checks"]}
    assert [s["id"] for s in data["sections"]][:3] == ["reach", "addresses", "hosts"]
    bind = checks["haproxy.bind.standby"]
    assert bind["status"] == "fail" and bind["expected"] == "bind 192.168.1.200:80"
    assert "backend farm" in bind["fixes"][0]["command"] and bind["fixes"][0]["node"] == "standby"
    assert checks["reach.master"]["status"] == "pass"


# -- command line -----------------------------------------------------------------------------------------------

def run_cli(*args: str) -> tuple[int, str, str]:
    import contextlib

    from wizard.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_bad_input_exits_2_with_a_message(tmp_path):
    code, _, err = run_cli("check", "--lang", "en")
    assert code == 2 and "--answers FILE is required" in err
    code, _, err = run_cli("check", "--lang", "es")
    assert code == 2 and "hace falta --answers" in err
    code, _, err = run_cli("check", "--answers", str(tmp_path / "none.toml"))
    assert code == 2 and "none.toml" in err and "Traceback" not in err
    bad = tmp_path / "bad.toml"
    answers = Answers()
    answers.vip.external = "300.1.1.1"
    save_answers(answers, bad)
    code, _, err = run_cli("check", "--answers", str(bad))
    assert code == 2 and "vip.external" in err
    good = tmp_path / "good.toml"
    save_answers(Answers(), good)
    code, _, err = run_cli("check", "--answers", str(good), "--section", "nonsense")
    assert code == 2 and "--section nonsense" in err
    code, _, err = run_cli("check", "--answers", str(good), "--identity", str(tmp_path / "nokey"))
    assert code == 2 and "nokey" in err
    code, _, err = run_cli("check", "--answers", str(good), "--pin", "master=nonsense")
    assert code == 2 and "--pin" in err


def test_versions_found_on_master():
    answers = Answers(profile="rhel9")
    assert versions_found(healthy(answers)) == {"pcs_version": "0.11.5", "pacemaker_version": "2.1.5"}
    assert versions_found(healthy(Answers(profile="rhel7"), "rhel7")) == {"pcs_version": "0.9.169",
                                                                         "pacemaker_version": "1.1.23-1.el7_9.1"}


def test_fixes_follow_the_pcs_found_on_master():
    """The profile says pcs 0.11, master runs pcs 0.12 and Pacemaker 3: the fixes are written for those."""
    answers = Answers(profile="rhel9")
    results = healthy(answers)
    results["versions"] = ProbeResult(0, "0.12.3\nPacemaker 3.0.2\nWritten by Andrew Beekhof", "", "master")
    cib = _drop(results["cib"].stdout, r'<rsc_colocation rsc="VIP_externa" with-rsc="VIP_interna"[^>]*/>')
    cib = cib.replace('name="stonith-enabled" value="false"', 'name="stonith-enabled" value="true"')
    results["cib"] = ProbeResult(0, cib, "", "master")
    bad = failing(answers, results)
    assert fix_commands(bad["constraints.colocation_vips"]) == [
        "pcs constraint colocation add VIP_externa with VIP_interna score=INFINITY"]
    assert fix_commands(bad["properties.stonith"]) == ["pcs property set fencing-enabled=false"]
    # The same break on pcs 0.11 / Pacemaker 2: the syntax of that version.
    results["versions"] = ProbeResult(0, "0.11.5\nPacemaker 2.1.5", "", "master")
    bad = failing(answers, results)
    assert fix_commands(bad["properties.stonith"]) == ["pcs property set stonith-enabled=false"]
