"""The check plan: which probes run where and which checks grade them; grading; the fixes' profile."""

from __future__ import annotations

import re
import shlex

from steps._common import director_ifaces, prefix
from steps.checks.judges_cluster import (
    constraint_specs,
    judge_bind,
    judge_constraint,
    judge_no_moves,
    judge_placement,
    judge_quorum,
    judge_resource,
    judge_route,
    judge_same_cfg,
    judge_servers,
    judge_stonith,
    judge_valid,
    judge_vip,
    judge_web,
    resource_specs,
)
from steps.checks.judges_nodes import (
    hosts_expected,
    judge_auth,
    judge_cluster_boot,
    judge_corosync_conf,
    judge_haproxy_service,
    judge_hostname,
    judge_hosts,
    judge_iface,
    judge_members,
    judge_online,
    judge_pcsd,
    judge_reach,
    judge_ring,
)
from steps.checks.model import (
    ANY_DIRECTOR,
    HTTP_MARK,
    RESOURCES,
    SECTIONS,
    VERSIONS_PROBE,
    WEB_PAGE,
    Check,
    CheckPlan,
    FixBook,
    Outcome,
    Probe,
    ProbeResult,
    not_checked,
    same_text,
)
from steps.model import Text
from steps.profiles import PACEMAKER_VERSION, PCS_VERSION, Profile
from steps.resources import HAPROXY_CFG
from wizard.base.answers import Answers

q = shlex.quote


# -- parsing helpers (pure) -------------------------------------------------------------------------


# -- the plan of checks -------------------------------------------------------------------------------


def build(answers: Answers, profile: Profile) -> CheckPlan:
    """Every probe and check for these answers; the same list for every run (the read-only test lists it)."""
    plan = CheckPlan()
    directors = list(answers.directors)
    master = answers.master
    rings = [d.ring_name for d in directors]

    # reach: one harmless command per node; every other probe of an unreachable node is "not checked".
    for host in [*directors, *answers.servers]:
        pid = plan.probe(Probe(f"reach.{host.name}", host.name, "hostname"))
        plan.checks.append(Check(
            f"reach.{host.name}", "reach", Text(f"{host.name} answers over SSH", f"{host.name} responde por SSH"),
            host.name, Text("a shell on the node", "una shell en el nodo"), (pid,), judge_reach(host.name)))

    for d in directors:
        addr = plan.probe(Probe(f"addr.{d.name}", d.name, "ip -o addr show"))
        link = plan.probe(Probe(f"link.{d.name}", d.name, "ip -o link show"))
        for iface in director_ifaces(answers, d):
            plen = prefix(iface.network)
            plan.checks.append(Check(
                f"addresses.{iface.role}.{d.name}", "addresses",
                Text(f"{d.name}: {iface.role} NIC {iface.ifname}", f"{d.name}: tarjeta {iface.role} {iface.ifname}"),
                d.name, Text(f"{iface.ip}/{plen} on {iface.ifname}", f"{iface.ip}/{plen} en {iface.ifname}"),
                (addr, link), judge_iface(answers, profile, d, iface)))
        reach = f"reach.{d.name}"
        plan.checks.append(Check(
            f"addresses.hostname.{d.name}", "addresses", Text(f"{d.name}: host name", f"{d.name}: nombre de máquina"),
            d.name, Text(d.name, d.name), (reach,), judge_hostname(d)))

        hosts = plan.probe(Probe(f"hosts.{d.name}", d.name, "cat /etc/hosts"))
        plan.checks.append(Check(
            f"hosts.{d.name}", "hosts", Text(f"{d.name}: names in /etc/hosts", f"{d.name}: nombres en /etc/hosts"),
            d.name, hosts_expected(answers), (hosts,), judge_hosts(answers, d)))

        svc = plan.probe(Probe(f"services.{d.name}", d.name,
                               "systemctl is-active pcsd; systemctl is-enabled pcsd corosync pacemaker haproxy"))
        plan.checks.append(Check(
            f"pcsd.running.{d.name}", "pcsd", Text(f"{d.name}: pcsd running and enabled",
                                                   f"{d.name}: pcsd en marcha y habilitado"),
            d.name, Text("active, enabled", "active, enabled"), (svc,), judge_pcsd(d)))
        plan.checks.append(Check(
            f"corosync.boot.{d.name}", "corosync",
            Text(f"{d.name}: corosync and pacemaker start at boot", f"{d.name}: corosync y pacemaker arrancan solos"),
            d.name, Text("corosync enabled, pacemaker enabled", "corosync enabled, pacemaker enabled"), (svc,),
            judge_cluster_boot(d)))
        plan.checks.append(Check(
            f"resources.haproxy_service.{d.name}", "resources",
            Text(f"{d.name}: haproxy left to pacemaker (not started at boot)",
                 f"{d.name}: haproxy en manos de pacemaker (no arranca solo)"),
            d.name, Text("haproxy disabled", "haproxy disabled"), (svc,), judge_haproxy_service(d)))

        cfgtool = plan.probe(Probe(f"cfgtool.{d.name}", d.name, "corosync-cfgtool -s"))
        plan.checks.append(Check(
            f"corosync.ring.{d.name}", "corosync",
            Text(f"{d.name}: ring/link over the heartbeat network", f"{d.name}: anillo/enlace por la red de latido"),
            d.name, Text(f"local address {d.heartbeat_ip}, link to the other node up",
                         f"dirección local {d.heartbeat_ip}, enlace con el otro nodo activo"),
            (cfgtool,), judge_ring(d)))

        cfg = plan.probe(Probe(f"haproxy_cfg.{d.name}", d.name, f"cat {q(HAPROXY_CFG)}"))
        valid = plan.probe(Probe(f"haproxy_valid.{d.name}", d.name, f"haproxy -c -f {q(HAPROXY_CFG)}"))
        plan.checks.append(Check(
            f"haproxy.bind.{d.name}", "haproxy",
            Text(f"{d.name}: haproxy.cfg binds the external VIP", f"{d.name}: haproxy.cfg escucha en la VIP externa"),
            d.name, Text(f"bind {answers.vip.external}:80", f"bind {answers.vip.external}:80"), (cfg,),
            judge_bind(answers, d)))
        plan.checks.append(Check(
            f"haproxy.servers.{d.name}", "haproxy",
            Text(f"{d.name}: haproxy.cfg lists every real server", f"{d.name}: haproxy.cfg lista todos los servidores"),
            d.name, Text(", ".join(f"{s.ip}:80" for s in answers.servers),
                         ", ".join(f"{s.ip}:80" for s in answers.servers)), (cfg,), judge_servers(answers, d)))
        plan.checks.append(Check(
            f"haproxy.valid.{d.name}", "haproxy", Text(f"{d.name}: haproxy accepts the file",
                                                      f"{d.name}: haproxy acepta el fichero"),
            d.name, Text("haproxy -c: valid", "haproxy -c: válido"), (valid,), judge_valid(d)))
    if len(directors) > 1:
        cfgs = tuple(f"haproxy_cfg.{d.name}" for d in directors)
        plan.checks.append(Check(
            "haproxy.same", "haproxy", Text("haproxy.cfg identical on both directors",
                                            "haproxy.cfg idéntico en los dos directores"),
            "directors", Text("the same file", "el mismo fichero"), cfgs, judge_same_cfg(answers)))

    # Not graded: the pcs and Pacemaker there decide the syntax of the fixes (the plan adapts to them).
    plan.probe(Probe(VERSIONS_PROBE, master.name, "pcs --version; pacemakerd --version"))
    pcsd_auth = plan.probe(Probe("pcsd_auth", master.name, "pcs status pcsd " + " ".join(map(q, rings))))
    plan.checks.append(Check(
        "pcsd.auth", "pcsd", Text(f"{master.name} is authorised on both nodes' pcsd",
                                  f"{master.name} está autorizado en el pcsd de los dos nodos"),
        master.name, Text(", ".join(f"{r}: Online" for r in rings), ", ".join(f"{r}: Online" for r in rings)),
        (pcsd_auth,), judge_auth(answers)))

    cmap = plan.probe(Probe("cmap", ANY_DIRECTOR, "corosync-cmapctl"))
    plan.checks.append(Check(
        "corosync.members", "corosync", Text("Corosync members", "Miembros de corosync"), "cluster",
        Text(", ".join(f"{d.heartbeat_ip} joined" for d in directors),
             ", ".join(f"{d.heartbeat_ip} joined" for d in directors)), (cmap,), judge_members(answers)))
    plan.checks.append(Check(
        "corosync.conf", "corosync",
        Text("Cluster name and two-node quorum", "Nombre del cluster y quorum de dos nodos"), "cluster",
        same_text(f"cluster_name {answers.cluster_name}, two_node 1"), (cmap,), judge_corosync_conf(answers)))

    mon = plan.probe(Probe("crm_mon", ANY_DIRECTOR, "crm_mon -1 -r"))
    plan.checks.append(Check(
        "nodes.online", "nodes", Text("Both nodes online", "Los dos nodos en línea"), "cluster",
        Text("Online: " + " ".join(rings), "Online: " + " ".join(rings)), (mon,), judge_online(answers)))

    cib = plan.probe(Probe("cib", ANY_DIRECTOR, "cibadmin --query"))
    plan.checks.append(Check(
        "properties.stonith", "properties",
        Text("STONITH disabled (lab only)", "STONITH desactivado (solo laboratorio)"), "cluster",
        same_text("stonith-enabled=false"), (cib,), judge_stonith()))
    plan.checks.append(Check(
        "properties.quorum", "properties", Text("No quorum policy: ignore", "Política sin quorum: ignore"),
        "cluster", Text("no-quorum-policy=ignore", "no-quorum-policy=ignore"), (cib,), judge_quorum()))

    for spec in resource_specs(answers, profile):
        plan.checks.append(Check(
            f"resources.{spec.rid}", "resources", Text(f"Resource {spec.rid}", f"Recurso {spec.rid}"), "cluster",
            Text(spec.describe(), spec.describe()), (cib,), judge_resource(spec)))

    for con in constraint_specs(answers):
        plan.checks.append(Check(
            f"constraints.{con.key}", "constraints", con.title, "cluster", Text(con.expected, con.expected), (cib,),
            judge_constraint(con, answers)))
    plan.checks.append(Check(
        "constraints.no_moves", "constraints", Text("No leftover move/ban constraints",
                                                    "Sin restricciones de move/ban olvidadas"),
        "cluster", Text("only the guide's location constraint", "solo la restricción de ubicación de la guía"),
        (cib,), judge_no_moves(answers)))

    plan.checks.append(Check(
        "placement.together", "placement",
        Text(f"The three resources Started on {master.ring_name}", f"Los tres recursos Started en {master.ring_name}"),
        "cluster", Text(", ".join(f"{r} Started {master.ring_name}" for r in RESOURCES),
                        ", ".join(f"{r} Started {master.ring_name}" for r in RESOURCES)), (mon, cib),
        judge_placement(answers)))

    addrs = tuple(f"addr.{d.name}" for d in directors)
    n = answers.networks
    for rid, ip, net, attr in (("VIP_externa", answers.vip.external, n.external, "external_if"),
                               ("VIP_interna", answers.vip.internal, n.internal, "internal_if")):
        plan.checks.append(Check(
            f"vips.{rid}", "vips", Text(f"{rid} ({ip}) on the active director", f"{rid} ({ip}) en el director activo"),
            "directors", Text(f"{ip}/{prefix(net)} on {master.name}'s {getattr(master, attr)}, nowhere else",
                              f"{ip}/{prefix(net)} en {getattr(master, attr)} de {master.name}, en ningún otro"),
            (*addrs, cib), judge_vip(answers, rid, ip, prefix(net), attr)))

    for s in answers.servers:
        route = plan.probe(Probe(f"route.{s.name}", s.name, "ip route show default"))
        plan.checks.append(Check(
            f"gateway.{s.name}", "gateway", Text(f"{s.name}: default route via the internal VIP",
                                                 f"{s.name}: ruta por defecto por la VIP interna"),
            s.name, Text(f"default via {answers.vip.internal}", f"default via {answers.vip.internal}"), (route,),
            judge_route(answers, s.name)))

    rounds = 2 * len(answers.servers) + 1
    vip_url = f"http://{answers.vip.external}/{WEB_PAGE}"
    via_vip = plan.probe(Probe("web.vip", ANY_DIRECTOR, _curl([vip_url] * rounds), timeout=20 + 6 * rounds))
    direct = plan.probe(Probe("web.direct", ANY_DIRECTOR,
                              _curl([f"http://{s.ip}/{WEB_PAGE}" for s in answers.servers]),
                              timeout=20 + 6 * len(answers.servers)))
    plan.checks.append(Check(
        "web.every_server", "web", Text(f"{vip_url} is served by every real server",
                                        f"{vip_url} lo sirven todos los servidores reales"),
        "cluster", Text(", ".join(s.name for s in answers.servers), ", ".join(s.name for s in answers.servers)),
        (via_vip, direct, cib), judge_web(answers, rounds)))
    return plan


def _curl(urls: list[str]) -> str:
    # One connection per request (Connection: close), so HAProxy's round robin shows; the status after each body.
    fmt = q(f"\\n{HTTP_MARK} %{{http_code}}\\n")
    return f"curl -sS -m 5 -H 'Connection: close' -w {fmt} " + " ".join(q(u) for u in urls)


def versions_found(results: dict[str, ProbeResult]) -> dict[str, str]:
    """pcs and Pacemaker versions the probes saw on master ({"pcs_version": "0.11.5", ...}); empty when unknown."""
    r = results.get(VERSIONS_PROBE)
    if r is None or not r.ran:
        return {}
    found = {}
    pcs = re.search(r"(?m)^(\d+\.\d+[.\w+~-]*)\s*$", r.stdout)
    pacemaker = re.search(r"(?m)^Pacemaker (\d+\.\d+[.\w+~-]*)", r.stdout)
    if pcs:
        found[PCS_VERSION] = pcs.group(1)
    if pacemaker:
        found[PACEMAKER_VERSION] = pacemaker.group(1)
    return found


def fix_profile(profile: Profile, results: dict[str, ProbeResult], node: str) -> Profile:
    """The profile for the versions found on `node`: the fixes are then written for the pcs that is there."""
    found = versions_found(results)
    if not found:
        return profile
    return profile.with_facts({name: {node: value} for name, value in found.items()}, prefer=node)


def grade(plan: CheckPlan, results: dict[str, ProbeResult], fixes: FixBook) -> list[Outcome]:
    """Every check's verdict. A check whose probes could not run is `not_checked`, with the reason."""
    outcomes = []
    for check in plan.checks:
        missing = [results.get(p) for p in check.probes]
        not_run = [r for r in missing if r is None or not r.ran]
        if not_run and not check.id.startswith("reach."):
            reason = next((r.error for r in not_run if r is not None and r.error), "")
            verdict = not_checked(reason or "the probe did not run", reason or "la sonda no se ejecutó")
        else:
            try:
                verdict = check.judge({p: results[p] for p in check.probes if p in results}, fixes)
            except Exception as exc:  # noqa: BLE001 - an unexpected output must not hide the other checks
                verdict = not_checked(f"unexpected output ({type(exc).__name__}: {exc})",
                                       f"salida inesperada ({type(exc).__name__}: {exc})")
        outcomes.append(Outcome(check, verdict))
    return outcomes


def sections() -> list[tuple[str, Text]]:
    return list(SECTIONS)


def all_commands(plan: CheckPlan) -> list[str]:
    """Every command `check` may run (the read-only test goes through them)."""
    return [p.command for p in plan.probes]
