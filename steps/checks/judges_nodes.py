"""Judges of each node's own setup: reach, host name, interfaces, /etc/hosts, pcsd, corosync, membership."""

from __future__ import annotations

import re
import shlex

from steps._common import Iface, hosts_entries, iface_config, network_restart, prefix
from steps.checks.model import Fix, FixBook, Judge, ProbeResult, Verdict, not_checked, verdict_fail, verdict_pass
from steps.checks.parse import (
    crm_mon_online,
    parse_addresses,
    parse_cmap,
    parse_hosts,
    parse_links,
    probe_out,
    service_states,
)
from steps.model import Text
from steps.profiles import Profile
from wizard.base.answers import Answers, Director

q = shlex.quote


def judge_reach(node: str) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results.get(f"reach.{node}")
        if r is None or not r.ran:
            why = r.error if r is not None else "not tried"
            return verdict_fail(why, why)
        return verdict_pass(f"reached ({r.stdout.strip() or '?'})", f"accesible ({r.stdout.strip() or '?'})")
    return judge


def judge_hostname(d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        found = probe_out(results, f"reach.{d.name}").strip()
        if found.split(".")[0] == d.name:
            return verdict_pass(found)
        fix = fixes.plan(f"networking.hostname.{d.name}") or (Fix(d.name, fixes.profile.set_hostname(d.name)),)
        return verdict_fail(found or "(empty)", found or "(vacío)", fix)
    return judge


def judge_iface(answers: Answers, profile: Profile, d: Director, iface: Iface) -> Judge:
    want = f"{iface.ip}/{prefix(iface.network)}"

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        addrs = parse_addresses(probe_out(results, f"addr.{d.name}"))
        links = parse_links(probe_out(results, f"link.{d.name}"))
        if want in addrs.get(iface.ifname, []):
            return verdict_pass(f"{want} on {iface.ifname}", f"{want} en {iface.ifname}")
        fix = iface_fix(answers, profile, fixes, d, iface)
        if iface.ifname not in links:
            if d is answers.master and iface.role == "heartbeat":
                # The NIC itself is missing: VirtualBox adds it (master powered off), as the plan does.
                fix = fixes.section("nic_add", kinds=("run",)) + fix
            return verdict_fail(f"no interface {iface.ifname} (interfaces: {', '.join(sorted(links))})",
                         f"no hay interfaz {iface.ifname} (interfaces: {', '.join(sorted(links))})", fix)
        elsewhere = [f"{name}" for name, ips in addrs.items() if want in ips]
        have = ", ".join(addrs.get(iface.ifname, [])) or "no IPv4 address"
        have_es = ", ".join(addrs.get(iface.ifname, [])) or "sin dirección IPv4"
        if elsewhere:
            return verdict_fail(f"{iface.ifname}: {have}; {want} is on {', '.join(elsewhere)}",
                         f"{iface.ifname}: {have_es}; {want} está en {', '.join(elsewhere)}", fix)
        return verdict_fail(f"{iface.ifname}: {have}", f"{iface.ifname}: {have_es}", fix)
    return judge


def hosts_expected(answers: Answers) -> Text:
    parts = [f"{' '.join(e['names'])} → {e['ip']}" for e in hosts_entries(answers)]
    return Text("; ".join(parts), "; ".join(parts))


def judge_hosts(answers: Answers, d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results[f"hosts.{d.name}"]
        if r.code != 0:
            err = r.stderr.strip()
            return verdict_fail(f"cannot read /etc/hosts: {err}", f"no se puede leer /etc/hosts: {err}")
        names = parse_hosts(r.stdout)
        wrong, wrong_es = [], []
        for entry in hosts_entries(answers):
            for name in entry["names"]:
                got = names.get(name.lower())
                if got != entry["ip"]:
                    wrong.append(f"{name} → {got or 'missing'}")
                    wrong_es.append(f"{name} → {got or 'falta'}")
        if not wrong:
            return verdict_pass("every name as expected", "todos los nombres como se espera")
        section = "nic_add" if d is answers.master else "networking"
        return verdict_fail("; ".join(wrong), "; ".join(wrong_es), fixes.plan(f"{section}.hosts.{d.name}", d.name)
                     or fixes.plan(f"nic_add.hosts.{answers.master.name}", d.name))
    return judge


def judge_pcsd(d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        st = service_states(probe_out(results, f"services.{d.name}"))
        active, enabled = st.get("pcsd.active", "?"), st.get("pcsd.enabled", "?")
        found = f"pcsd {active}, {enabled}"
        if active == "active" and enabled == "enabled":
            return verdict_pass(found)
        return verdict_fail(found, found, fixes.plan("pcs_auth.pcsd", d.name))
    return judge


def judge_cluster_boot(d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        st = service_states(probe_out(results, f"services.{d.name}"))
        found = f"corosync {st.get('corosync.enabled', '?')}, pacemaker {st.get('pacemaker.enabled', '?')}"
        if st.get("corosync.enabled") == "enabled" and st.get("pacemaker.enabled") == "enabled":
            return verdict_pass(found)
        return verdict_fail(found, found, fixes.plan("cluster_setup.enable"))
    return judge


def judge_haproxy_service(d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        state = service_states(probe_out(results, f"services.{d.name}")).get("haproxy.enabled", "?")
        if state in ("disabled", "masked"):
            return verdict_pass(f"haproxy {state}")
        # Only the disable half: stopping haproxy on the active director would cut the service.
        return verdict_fail(f"haproxy {state}", f"haproxy {state}", (Fix(d.name, "systemctl disable haproxy",
                                                                  "resources.haproxy_off"),))
    return judge


def judge_ring(d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results[f"cfgtool.{d.name}"]
        text = r.stdout + r.stderr
        local = re.findall(r"(?m)^\s*(?:id|addr)\s*=\s*(\S+)", text)
        links_ok = bool(re.search(r"active with no faults", text)) or (
            bool(re.search(r"nodeid:\s*\d+:\s*connected", text)) and not re.search(r"disconnected", text))
        faulty = re.search(r"(?i)faulty|disconnected", text)
        if r.code == 0 and d.heartbeat_ip in local and links_ok and not faulty:
            return verdict_pass(f"local {d.heartbeat_ip}, link up", f"local {d.heartbeat_ip}, enlace activo")
        fix = fixes.plan("cluster_setup.start")
        if r.code != 0:
            first = (text.strip().splitlines() or ["?"])[0]
            return verdict_fail(f"corosync not running ({first})", f"corosync no está en marcha ({first})",
                         (Fix(d.name, "pcs cluster start", "cluster_setup.start"),))
        if d.heartbeat_ip not in local:
            return verdict_fail(f"ring on {', '.join(local) or '?'}", f"anillo en {', '.join(local) or '?'}",
                         fixes.plans("cluster_setup.setup", "cluster_setup.start"))
        return verdict_fail("link down or faulty: " + " ".join(text.split())[:160],
                     "enlace caído o con fallos: " + " ".join(text.split())[:160], fix)
    return judge


def judge_auth(answers: Answers) -> Judge:
    rings = [d.ring_name for d in answers.directors]

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results["pcsd_auth"]
        states = dict(re.findall(r"(?m)^\s*(\S+?):\s*(Online|Offline|Unable to authenticate)\s*$", r.stdout))
        bad = {n: states.get(n, "?") for n in rings if states.get(n) != "Online"}
        found = ", ".join(f"{n}: {states.get(n, '?')}" for n in rings)
        if not bad:
            return verdict_pass(found)
        if any(v == "Offline" for v in bad.values()):
            offline = [answers.directors[rings.index(n)].name for n, v in bad.items() if v == "Offline"]
            return verdict_fail(found, found, tuple(f for n in offline for f in fixes.plan("pcs_auth.pcsd", n)))
        return verdict_fail(found, found, fixes.plan("pcs_auth.auth", note=Text(
            "asks for hacluster's password (the one set with chpasswd)",
            "pide la contraseña de hacluster (la puesta con chpasswd)")))
    return judge


def judge_members(answers: Answers) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results["cmap"]
        if r.code != 0:
            return verdict_fail("corosync not running on any director", "corosync no funciona en ningún director",
                         fixes.plan("cluster_setup.start"))
        cmap = parse_cmap(r.stdout)
        members: dict[str, str] = {}
        for key, value in cmap.items():
            # corosync 3: runtime.members.N.ip; corosync 2 (CentOS 7): runtime.totem.pg.mrp.srp.members.N.ip
            m = re.fullmatch(r"(runtime\.(?:totem\.pg\.mrp\.srp\.)?members\.\d+)\.ip", key)
            if m:
                ips = re.findall(r"ip\(([^)]*)\)", value)
                status = cmap.get(f"{m.group(1)}.status", "?")
                for ip in ips:
                    members[ip] = status
        found = ", ".join(f"{ip} {st}" for ip, st in sorted(members.items())) or "no members"
        want = [d.heartbeat_ip for d in answers.directors]
        if all(members.get(ip) == "joined" for ip in want):
            return verdict_pass(found)
        return verdict_fail(found, found.replace("no members", "sin miembros"), fixes.plans("cluster_setup.start"))
    return judge


def judge_corosync_conf(answers: Answers) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results["cmap"]
        if r.code != 0:
            return not_checked("corosync is not running", "corosync no está en marcha")
        cmap = parse_cmap(r.stdout)
        name = cmap.get("totem.cluster_name", "?")
        two = cmap.get("quorum.two_node", "?")
        found = f"cluster_name {name}, two_node {two}"
        if name == answers.cluster_name and two == "1":
            return verdict_pass(found)
        return verdict_fail(found, found, fixes.plans("cluster_setup.setup", "cluster_setup.start"))
    return judge


def judge_online(answers: Answers) -> Judge:
    rings = [d.ring_name for d in answers.directors]

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results["crm_mon"]
        if r.code != 0:
            first = ((r.stderr or r.stdout).strip().splitlines() or ["?"])[0]
            return verdict_fail(f"pacemaker not running on any director ({first})",
                         f"pacemaker no funciona en ningún director ({first})", fixes.plan("cluster_setup.start"))
        online, offline = crm_mon_online(r.stdout)
        found = f"Online: {' '.join(sorted(online)) or '-'}" + (f"; OFFLINE: {' '.join(sorted(offline))}"
                                                               if offline else "")
        if all(n in online and n not in offline for n in rings):
            return verdict_pass(found)
        return verdict_fail(found, found, fixes.plan("cluster_setup.start"))
    return judge


def iface_fix(answers: Answers, profile: Profile, fixes: FixBook, d: Director, iface: Iface) -> tuple[Fix, ...]:
    """The plan's config + network restart for this interface; master's external and internal NICs predate
    the guide (seminar 3 configured them), so theirs are rendered here the way the plan would."""
    if d is answers.master and iface.role == "heartbeat":
        section = "nic_add"
    elif d is answers.standby:
        section = "networking"
    else:
        action = iface_config("check", d.name, iface, profile)
        restart = network_restart("check", d.name, [iface.ifname], profile)
        return (Fix(d.name, action.command), Fix(d.name, restart.command))
    return fixes.plans(f"{section}.config_{iface.role}.{d.name}", f"{section}.restart_network.{d.name}", node=d.name)
