"""What `ha-wizard check` looks at: read-only probes and the judges that grade their output.

Pure data and functions, no I/O: `build(answers, profile)` lists the probes (commands that only read)
and the checks; `grade(...)` turns the probes' results into verdicts with, for each failure, what was
expected, what was found and the commands that fix it (taken from the plan when the plan has them).
The runner (wizard/check.py) runs the probes over SSH and renders the verdicts.

The cluster's configuration is read from the CIB's XML (`cibadmin --query`), which is the same from
Pacemaker 1.1 (CentOS 7) to 3.x, rather than from `pcs ... show/config`, whose syntax and output changed
between pcs 0.9 and 0.12. Only the fixes follow the pcs version (they come from the plan).
"""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from steps._common import Iface, director_ifaces, hosts_entries, iface_config, network_restart, prefix
from steps.model import Action, Text
from steps.profiles import PACEMAKER_VERSION, PCS_VERSION, Profile
from steps.resources import HAPROXY_CFG
from wizard.base.answers import Answers, Director

q = shlex.quote

Status = Literal["pass", "fail", "not_checked"]
ANY_DIRECTOR = ""  # Probe.node: the first director where the command succeeds (cluster-wide facts)
RESOURCES = ("VIP_externa", "VIP_interna", "HAproxy")
WEB_PAGE = "index.php"
HTTP_MARK = "HA-WIZARD-HTTP"
VERSIONS_PROBE = "versions"


@dataclass(frozen=True)
class Probe:
    """A command that only reads, run on one node (or on any director: ANY_DIRECTOR)."""

    id: str
    node: str
    command: str
    timeout: float = 30.0


@dataclass(frozen=True)
class ProbeResult:
    code: int | None  # None: it could not run (see `error`)
    stdout: str = ""
    stderr: str = ""
    node: str = ""  # where it ran
    error: str = ""

    @property
    def ran(self) -> bool:
        return self.code is not None


@dataclass(frozen=True)
class Fix:
    """A command that repairs a failure, and where to run it ("local": the computer running VirtualBox)."""

    node: str
    command: str
    action_id: str = ""  # the plan's action it comes from; empty when the plan has no such step
    note: Text | None = None


@dataclass(frozen=True)
class Verdict:
    status: Status
    found: Text
    fixes: tuple[Fix, ...] = ()


@dataclass(frozen=True)
class Check:
    id: str
    section: str
    title: Text
    node: str  # what it is about ("cluster" for cluster-wide checks)
    expected: Text
    probes: tuple[str, ...]
    judge: Callable[[dict[str, ProbeResult], FixBook], Verdict]


@dataclass(frozen=True)
class Outcome:
    check: Check
    verdict: Verdict


SECTIONS: tuple[tuple[str, Text], ...] = (
    ("reach", Text("Reaching the nodes", "Acceso a los nodos")),
    ("addresses", Text("Heartbeat NIC and addresses", "Tarjeta de latido y direcciones")),
    ("hosts", Text("/etc/hosts", "/etc/hosts")),
    ("pcsd", Text("pcsd and node authorisation", "pcsd y autorización de los nodos")),
    ("corosync", Text("Corosync ring and members", "Anillo y miembros de corosync")),
    ("nodes", Text("Both nodes online", "Los dos nodos en línea")),
    ("properties", Text("STONITH and quorum", "STONITH y quorum")),
    ("resources", Text("Resources", "Recursos")),
    ("constraints", Text("Constraints", "Restricciones")),
    ("placement", Text("Resources together on the preferred director", "Recursos juntos en el director preferido")),
    ("vips", Text("VIPs on the right interfaces", "VIP en las interfaces correctas")),
    ("haproxy", Text("haproxy.cfg", "haproxy.cfg")),
    ("gateway", Text("Real servers' default route", "Ruta por defecto de los servidores reales")),
    ("web", Text("The page through the VIP", "La página a través de la VIP")),
)


@dataclass
class CheckPlan:
    probes: list[Probe] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def probe(self, probe: Probe) -> str:
        if not any(p.id == probe.id for p in self.probes):
            self.probes.append(probe)
        return probe.id


class FixBook:
    """Fix commands: the plan's own commands by action id (the pcs syntax of the profile), plus a few the
    plan never needs (enable a disabled resource, clear a move)."""

    def __init__(self, answers: Answers, profile: Profile) -> None:
        from steps import full_plan

        self.answers = answers
        self.profile = profile
        self.actions: dict[str, Action] = {a.id: a for _, acts in full_plan(answers, profile) for a in acts}

    def plan(self, action_id: str, node: str | None = None, note: Text | None = None) -> tuple[Fix, ...]:
        """The plan's action `action_id`, to run on `node` (default: its own target)."""
        action = self.actions.get(action_id)
        if action is None or not action.command:
            return ()
        where = node or ("local" if action.target.is_local else ",".join(action.target.nodes))
        return (Fix(where, action.command, action_id, note),)

    def plans(self, *action_ids: str, node: str | None = None) -> tuple[Fix, ...]:
        return tuple(f for a in action_ids for f in self.plan(a, node))

    def section(self, section: str, node: str | None = None, kinds: tuple[str, ...] = ("run", "write")) -> tuple[
            Fix, ...]:
        out: list[Fix] = []
        for action in self.actions.values():
            if action.section != section or action.kind not in kinds or "info" in action.tags:
                continue
            if node is not None and not action.target.is_local and node not in action.target.nodes:
                continue
            out += self.plan(action.id, node if node and not action.target.is_local else None)
        return tuple(out)

    def master_node(self) -> str:
        return self.answers.master.name


def _same(text: str) -> Text:
    """A text that reads the same in both languages (values, commands)."""
    return Text(text, text)


def _pass(en: str, es: str | None = None) -> Verdict:
    return Verdict("pass", Text(en, es if es is not None else en))


def _fail(en: str, es: str, fixes: tuple[Fix, ...] = ()) -> Verdict:
    return Verdict("fail", Text(en, es), fixes)


def _not_checked(en: str, es: str) -> Verdict:
    return Verdict("not_checked", Text(en, es))


# -- parsing helpers (pure) -------------------------------------------------------------------------

def parse_addresses(output: str) -> dict[str, list[str]]:
    """`ip -o addr show` -> {ifname: ["ip/prefix", ...]} (IPv4 only)."""
    out: dict[str, list[str]] = {}
    for line in output.splitlines():
        m = re.match(r"^\d+:\s+(\S+?)(?:@\S+)?\s+inet\s+(\d+\.\d+\.\d+\.\d+/\d+)", line)
        if m:
            out.setdefault(m.group(1), []).append(m.group(2))
    return out


def parse_links(output: str) -> set[str]:
    """`ip -o link show` -> interface names."""
    return {m.group(1) for m in re.finditer(r"^\d+:\s+([^:@\s]+)", output, re.M)}


def parse_hosts(text: str) -> dict[str, str]:
    """/etc/hosts -> {name: address}; the first line naming a host wins, as the resolver does."""
    names: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        for name in fields[1:]:
            names.setdefault(name.lower(), fields[0])
    return names


def seconds(value: str) -> float | None:
    """Pacemaker durations ("10s", "10", "10000ms", "1min") in seconds; None when unreadable."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|msec|s|sec|m|min|h|hr)?\s*", value or "")
    if not m:
        return None
    scale = {"ms": 0.001, "msec": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}
    return float(m.group(1)) * scale[m.group(2) or "s"]


def is_false(value: str | None) -> bool:
    return (value or "").strip().lower() in ("false", "no", "off", "n", "0")


@dataclass
class Cib:
    root: ET.Element

    @classmethod
    def parse(cls, text: str) -> Cib | None:
        start = text.find("<cib")
        if start < 0:
            return None
        try:
            return cls(ET.fromstring(text[start:]))
        except ET.ParseError:
            return None

    def properties(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for nv in self.root.iterfind("./configuration/crm_config/cluster_property_set/nvpair"):
            out.setdefault(nv.get("name", ""), nv.get("value", ""))
        return out

    def primitive(self, rid: str) -> ET.Element | None:
        for prim in self.root.iter("primitive"):
            if prim.get("id") == rid:
                return prim
        return None

    @staticmethod
    def attrs(prim: ET.Element, kind: str) -> dict[str, str]:
        return {nv.get("name", ""): nv.get("value", "") for nv in prim.iterfind(f"./{kind}/nvpair")}

    def constraints(self, tag: str) -> list[ET.Element]:
        return list(self.root.iterfind(f"./configuration/constraints/{tag}"))


def _score(value: str | None) -> float:
    v = (value or "0").strip().upper().lstrip("+")
    if v in ("INFINITY", "INF"):
        return float("inf")
    if v in ("-INFINITY", "-INF"):
        return float("-inf")
    try:
        return float(v)
    except ValueError:
        return 0.0


def crm_mon_online(output: str) -> tuple[set[str], set[str]]:
    """Online and offline node names from `crm_mon -1` (Pacemaker 1.1 and 2.x/3.x layouts)."""
    online: set[str] = set()
    offline: set[str] = set()
    for m in re.finditer(r"(?m)^\s*(?:\*\s*)?(Online|OFFLINE):\s*\[([^\]]*)\]", output):
        (online if m.group(1) == "Online" else offline).update(m.group(2).split())
    for m in re.finditer(r"(?m)^\s*(?:\*\s*)?Node\s+(\S+?):\s*(\w+)", output):
        if m.group(2).upper() in ("OFFLINE", "UNCLEAN", "PENDING", "STANDBY"):
            offline.add(m.group(1))
    return online, offline


def crm_mon_resources(output: str) -> dict[str, tuple[str, str]]:
    """{resource: (state, node)} from `crm_mon -1 -r`: ("Started", "master-cr"), ("Stopped", "")..."""
    out: dict[str, tuple[str, str]] = {}
    for m in re.finditer(r"(?m)^[ \t]*(?:\*[ \t]*)?(\S+)[ \t]+\(([^)\n]*)\):[ \t]+(\w+)(?:[ \t]+(?!\()(\S+))?", output):
        out.setdefault(m.group(1), (m.group(3), m.group(4) or ""))
    return out


def http_answers(output: str) -> list[tuple[int, str]]:
    """curl's bodies, each followed by our `-w` mark with the status: [(status, body)]."""
    out: list[tuple[int, str]] = []
    body: list[str] = []
    for line in output.splitlines():
        m = re.search(rf"{HTTP_MARK} (\d+)$", line)
        if m:
            body.append(line[:m.start()])
            out.append((int(m.group(1)), "\n".join(body)))
            body = []
        else:
            body.append(line)
    return out


# -- the plan of checks -------------------------------------------------------------------------------

def _iface_fix(answers: Answers, profile: Profile, fixes: FixBook, d: Director, iface: Iface) -> tuple[Fix, ...]:
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
            host.name, Text("a shell on the node", "una shell en el nodo"), (pid,), _judge_reach(host.name)))

    for d in directors:
        addr = plan.probe(Probe(f"addr.{d.name}", d.name, "ip -o addr show"))
        link = plan.probe(Probe(f"link.{d.name}", d.name, "ip -o link show"))
        for iface in director_ifaces(answers, d):
            plen = prefix(iface.network)
            plan.checks.append(Check(
                f"addresses.{iface.role}.{d.name}", "addresses",
                Text(f"{d.name}: {iface.role} NIC {iface.ifname}", f"{d.name}: tarjeta {iface.role} {iface.ifname}"),
                d.name, Text(f"{iface.ip}/{plen} on {iface.ifname}", f"{iface.ip}/{plen} en {iface.ifname}"),
                (addr, link), _judge_iface(answers, profile, d, iface)))
        reach = f"reach.{d.name}"
        plan.checks.append(Check(
            f"addresses.hostname.{d.name}", "addresses", Text(f"{d.name}: host name", f"{d.name}: nombre de máquina"),
            d.name, Text(d.name, d.name), (reach,), _judge_hostname(d)))

        hosts = plan.probe(Probe(f"hosts.{d.name}", d.name, "cat /etc/hosts"))
        plan.checks.append(Check(
            f"hosts.{d.name}", "hosts", Text(f"{d.name}: names in /etc/hosts", f"{d.name}: nombres en /etc/hosts"),
            d.name, _hosts_expected(answers), (hosts,), _judge_hosts(answers, d)))

        svc = plan.probe(Probe(f"services.{d.name}", d.name,
                               "systemctl is-active pcsd; systemctl is-enabled pcsd corosync pacemaker haproxy"))
        plan.checks.append(Check(
            f"pcsd.running.{d.name}", "pcsd", Text(f"{d.name}: pcsd running and enabled",
                                                   f"{d.name}: pcsd en marcha y habilitado"),
            d.name, Text("active, enabled", "active, enabled"), (svc,), _judge_pcsd(d)))
        plan.checks.append(Check(
            f"corosync.boot.{d.name}", "corosync",
            Text(f"{d.name}: corosync and pacemaker start at boot", f"{d.name}: corosync y pacemaker arrancan solos"),
            d.name, Text("corosync enabled, pacemaker enabled", "corosync enabled, pacemaker enabled"), (svc,),
            _judge_cluster_boot(d)))
        plan.checks.append(Check(
            f"resources.haproxy_service.{d.name}", "resources",
            Text(f"{d.name}: haproxy left to pacemaker (not started at boot)",
                 f"{d.name}: haproxy en manos de pacemaker (no arranca solo)"),
            d.name, Text("haproxy disabled", "haproxy disabled"), (svc,), _judge_haproxy_service(d)))

        cfgtool = plan.probe(Probe(f"cfgtool.{d.name}", d.name, "corosync-cfgtool -s"))
        plan.checks.append(Check(
            f"corosync.ring.{d.name}", "corosync",
            Text(f"{d.name}: ring/link over the heartbeat network", f"{d.name}: anillo/enlace por la red de latido"),
            d.name, Text(f"local address {d.heartbeat_ip}, link to the other node up",
                         f"dirección local {d.heartbeat_ip}, enlace con el otro nodo activo"),
            (cfgtool,), _judge_ring(d)))

        cfg = plan.probe(Probe(f"haproxy_cfg.{d.name}", d.name, f"cat {q(HAPROXY_CFG)}"))
        valid = plan.probe(Probe(f"haproxy_valid.{d.name}", d.name, f"haproxy -c -f {q(HAPROXY_CFG)}"))
        plan.checks.append(Check(
            f"haproxy.bind.{d.name}", "haproxy",
            Text(f"{d.name}: haproxy.cfg binds the external VIP", f"{d.name}: haproxy.cfg escucha en la VIP externa"),
            d.name, Text(f"bind {answers.vip.external}:80", f"bind {answers.vip.external}:80"), (cfg,),
            _judge_bind(answers, d)))
        plan.checks.append(Check(
            f"haproxy.servers.{d.name}", "haproxy",
            Text(f"{d.name}: haproxy.cfg lists every real server", f"{d.name}: haproxy.cfg lista todos los servidores"),
            d.name, Text(", ".join(f"{s.ip}:80" for s in answers.servers),
                         ", ".join(f"{s.ip}:80" for s in answers.servers)), (cfg,), _judge_servers(answers, d)))
        plan.checks.append(Check(
            f"haproxy.valid.{d.name}", "haproxy", Text(f"{d.name}: haproxy accepts the file",
                                                      f"{d.name}: haproxy acepta el fichero"),
            d.name, Text("haproxy -c: valid", "haproxy -c: válido"), (valid,), _judge_valid(d)))
    if len(directors) > 1:
        cfgs = tuple(f"haproxy_cfg.{d.name}" for d in directors)
        plan.checks.append(Check(
            "haproxy.same", "haproxy", Text("haproxy.cfg identical on both directors",
                                            "haproxy.cfg idéntico en los dos directores"),
            "directors", Text("the same file", "el mismo fichero"), cfgs, _judge_same_cfg(answers)))

    # Not graded: the pcs and Pacemaker there decide the syntax of the fixes (the plan adapts to them).
    plan.probe(Probe(VERSIONS_PROBE, master.name, "pcs --version; pacemakerd --version"))
    pcsd_auth = plan.probe(Probe("pcsd_auth", master.name, "pcs status pcsd " + " ".join(map(q, rings))))
    plan.checks.append(Check(
        "pcsd.auth", "pcsd", Text(f"{master.name} is authorised on both nodes' pcsd",
                                  f"{master.name} está autorizado en el pcsd de los dos nodos"),
        master.name, Text(", ".join(f"{r}: Online" for r in rings), ", ".join(f"{r}: Online" for r in rings)),
        (pcsd_auth,), _judge_auth(answers)))

    cmap = plan.probe(Probe("cmap", ANY_DIRECTOR, "corosync-cmapctl"))
    plan.checks.append(Check(
        "corosync.members", "corosync", Text("Corosync members", "Miembros de corosync"), "cluster",
        Text(", ".join(f"{d.heartbeat_ip} joined" for d in directors),
             ", ".join(f"{d.heartbeat_ip} joined" for d in directors)), (cmap,), _judge_members(answers)))
    plan.checks.append(Check(
        "corosync.conf", "corosync",
        Text("Cluster name and two-node quorum", "Nombre del cluster y quorum de dos nodos"), "cluster",
        _same(f"cluster_name {answers.cluster_name}, two_node 1"), (cmap,), _judge_corosync_conf(answers)))

    mon = plan.probe(Probe("crm_mon", ANY_DIRECTOR, "crm_mon -1 -r"))
    plan.checks.append(Check(
        "nodes.online", "nodes", Text("Both nodes online", "Los dos nodos en línea"), "cluster",
        Text("Online: " + " ".join(rings), "Online: " + " ".join(rings)), (mon,), _judge_online(answers)))

    cib = plan.probe(Probe("cib", ANY_DIRECTOR, "cibadmin --query"))
    plan.checks.append(Check(
        "properties.stonith", "properties",
        Text("STONITH disabled (lab only)", "STONITH desactivado (solo laboratorio)"), "cluster",
        _same("stonith-enabled=false"), (cib,), _judge_stonith()))
    plan.checks.append(Check(
        "properties.quorum", "properties", Text("No quorum policy: ignore", "Política sin quorum: ignore"),
        "cluster", Text("no-quorum-policy=ignore", "no-quorum-policy=ignore"), (cib,), _judge_quorum()))

    for spec in _resource_specs(answers, profile):
        plan.checks.append(Check(
            f"resources.{spec.rid}", "resources", Text(f"Resource {spec.rid}", f"Recurso {spec.rid}"), "cluster",
            Text(spec.describe(), spec.describe()), (cib,), _judge_resource(spec)))

    for con in _constraint_specs(answers):
        plan.checks.append(Check(
            f"constraints.{con.key}", "constraints", con.title, "cluster", Text(con.expected, con.expected), (cib,),
            _judge_constraint(con, answers)))
    plan.checks.append(Check(
        "constraints.no_moves", "constraints", Text("No leftover move/ban constraints",
                                                    "Sin restricciones de move/ban olvidadas"),
        "cluster", Text("only the guide's location constraint", "solo la restricción de ubicación de la guía"),
        (cib,), _judge_no_moves(answers)))

    plan.checks.append(Check(
        "placement.together", "placement",
        Text(f"The three resources Started on {master.ring_name}", f"Los tres recursos Started en {master.ring_name}"),
        "cluster", Text(", ".join(f"{r} Started {master.ring_name}" for r in RESOURCES),
                        ", ".join(f"{r} Started {master.ring_name}" for r in RESOURCES)), (mon, cib),
        _judge_placement(answers)))

    addrs = tuple(f"addr.{d.name}" for d in directors)
    n = answers.networks
    for rid, ip, net, attr in (("VIP_externa", answers.vip.external, n.external, "external_if"),
                               ("VIP_interna", answers.vip.internal, n.internal, "internal_if")):
        plan.checks.append(Check(
            f"vips.{rid}", "vips", Text(f"{rid} ({ip}) on the active director", f"{rid} ({ip}) en el director activo"),
            "directors", Text(f"{ip}/{prefix(net)} on {master.name}'s {getattr(master, attr)}, nowhere else",
                              f"{ip}/{prefix(net)} en {getattr(master, attr)} de {master.name}, en ningún otro"),
            (*addrs, cib), _judge_vip(answers, rid, ip, prefix(net), attr)))

    for s in answers.servers:
        route = plan.probe(Probe(f"route.{s.name}", s.name, "ip route show default"))
        plan.checks.append(Check(
            f"gateway.{s.name}", "gateway", Text(f"{s.name}: default route via the internal VIP",
                                                 f"{s.name}: ruta por defecto por la VIP interna"),
            s.name, Text(f"default via {answers.vip.internal}", f"default via {answers.vip.internal}"), (route,),
            _judge_route(answers, s.name)))

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
        (via_vip, direct, cib), _judge_web(answers, rounds)))
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
            verdict = _not_checked(reason or "the probe did not run", reason or "la sonda no se ejecutó")
        else:
            try:
                verdict = check.judge({p: results[p] for p in check.probes if p in results}, fixes)
            except Exception as exc:  # noqa: BLE001 - an unexpected output must not hide the other checks
                verdict = _not_checked(f"unexpected output ({type(exc).__name__}: {exc})",
                                       f"salida inesperada ({type(exc).__name__}: {exc})")
        outcomes.append(Outcome(check, verdict))
    return outcomes


def sections() -> list[tuple[str, Text]]:
    return list(SECTIONS)


# -- judges --------------------------------------------------------------------------------------------
Judge = Callable[[dict[str, ProbeResult], FixBook], Verdict]


def _out(results: dict[str, ProbeResult], pid: str) -> str:
    r = results[pid]
    return r.stdout


def _judge_reach(node: str) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results.get(f"reach.{node}")
        if r is None or not r.ran:
            why = r.error if r is not None else "not tried"
            return _fail(why, why)
        return _pass(f"reached ({r.stdout.strip() or '?'})", f"accesible ({r.stdout.strip() or '?'})")
    return judge


def _judge_hostname(d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        found = _out(results, f"reach.{d.name}").strip()
        if found.split(".")[0] == d.name:
            return _pass(found)
        fix = fixes.plan(f"networking.hostname.{d.name}") or (Fix(d.name, fixes.profile.set_hostname(d.name)),)
        return _fail(found or "(empty)", found or "(vacío)", fix)
    return judge


def _judge_iface(answers: Answers, profile: Profile, d: Director, iface: Iface) -> Judge:
    want = f"{iface.ip}/{prefix(iface.network)}"

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        addrs = parse_addresses(_out(results, f"addr.{d.name}"))
        links = parse_links(_out(results, f"link.{d.name}"))
        if want in addrs.get(iface.ifname, []):
            return _pass(f"{want} on {iface.ifname}", f"{want} en {iface.ifname}")
        fix = _iface_fix(answers, profile, fixes, d, iface)
        if iface.ifname not in links:
            if d is answers.master and iface.role == "heartbeat":
                # The NIC itself is missing: VirtualBox adds it (master powered off), as the plan does.
                fix = fixes.section("nic_add", kinds=("run",)) + fix
            return _fail(f"no interface {iface.ifname} (interfaces: {', '.join(sorted(links))})",
                         f"no hay interfaz {iface.ifname} (interfaces: {', '.join(sorted(links))})", fix)
        elsewhere = [f"{name}" for name, ips in addrs.items() if want in ips]
        have = ", ".join(addrs.get(iface.ifname, [])) or "no IPv4 address"
        have_es = ", ".join(addrs.get(iface.ifname, [])) or "sin dirección IPv4"
        if elsewhere:
            return _fail(f"{iface.ifname}: {have}; {want} is on {', '.join(elsewhere)}",
                         f"{iface.ifname}: {have_es}; {want} está en {', '.join(elsewhere)}", fix)
        return _fail(f"{iface.ifname}: {have}", f"{iface.ifname}: {have_es}", fix)
    return judge


def _hosts_expected(answers: Answers) -> Text:
    parts = [f"{' '.join(e['names'])} → {e['ip']}" for e in hosts_entries(answers)]
    return Text("; ".join(parts), "; ".join(parts))


def _judge_hosts(answers: Answers, d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results[f"hosts.{d.name}"]
        if r.code != 0:
            err = r.stderr.strip()
            return _fail(f"cannot read /etc/hosts: {err}", f"no se puede leer /etc/hosts: {err}")
        names = parse_hosts(r.stdout)
        wrong, wrong_es = [], []
        for entry in hosts_entries(answers):
            for name in entry["names"]:
                got = names.get(name.lower())
                if got != entry["ip"]:
                    wrong.append(f"{name} → {got or 'missing'}")
                    wrong_es.append(f"{name} → {got or 'falta'}")
        if not wrong:
            return _pass("every name as expected", "todos los nombres como se espera")
        section = "nic_add" if d is answers.master else "networking"
        return _fail("; ".join(wrong), "; ".join(wrong_es), fixes.plan(f"{section}.hosts.{d.name}", d.name)
                     or fixes.plan(f"nic_add.hosts.{answers.master.name}", d.name))
    return judge


def _service_states(output: str) -> dict[str, str]:
    """`systemctl is-active pcsd; systemctl is-enabled pcsd corosync pacemaker haproxy` -> states by key."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    keys = ["pcsd.active", "pcsd.enabled", "corosync.enabled", "pacemaker.enabled", "haproxy.enabled"]
    return dict(zip(keys, lines, strict=False))


def _judge_pcsd(d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        st = _service_states(_out(results, f"services.{d.name}"))
        active, enabled = st.get("pcsd.active", "?"), st.get("pcsd.enabled", "?")
        found = f"pcsd {active}, {enabled}"
        if active == "active" and enabled == "enabled":
            return _pass(found)
        return _fail(found, found, fixes.plan("pcs_auth.pcsd", d.name))
    return judge


def _judge_cluster_boot(d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        st = _service_states(_out(results, f"services.{d.name}"))
        found = f"corosync {st.get('corosync.enabled', '?')}, pacemaker {st.get('pacemaker.enabled', '?')}"
        if st.get("corosync.enabled") == "enabled" and st.get("pacemaker.enabled") == "enabled":
            return _pass(found)
        return _fail(found, found, fixes.plan("cluster_setup.enable"))
    return judge


def _judge_haproxy_service(d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        state = _service_states(_out(results, f"services.{d.name}")).get("haproxy.enabled", "?")
        if state in ("disabled", "masked"):
            return _pass(f"haproxy {state}")
        # Only the disable half: stopping haproxy on the active director would cut the service.
        return _fail(f"haproxy {state}", f"haproxy {state}", (Fix(d.name, "systemctl disable haproxy",
                                                                  "resources.haproxy_off"),))
    return judge


def _judge_ring(d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results[f"cfgtool.{d.name}"]
        text = r.stdout + r.stderr
        local = re.findall(r"(?m)^\s*(?:id|addr)\s*=\s*(\S+)", text)
        links_ok = bool(re.search(r"active with no faults", text)) or (
            bool(re.search(r"nodeid:\s*\d+:\s*connected", text)) and not re.search(r"disconnected", text))
        faulty = re.search(r"(?i)faulty|disconnected", text)
        if r.code == 0 and d.heartbeat_ip in local and links_ok and not faulty:
            return _pass(f"local {d.heartbeat_ip}, link up", f"local {d.heartbeat_ip}, enlace activo")
        fix = fixes.plan("cluster_setup.start")
        if r.code != 0:
            first = (text.strip().splitlines() or ["?"])[0]
            return _fail(f"corosync not running ({first})", f"corosync no está en marcha ({first})",
                         (Fix(d.name, "pcs cluster start", "cluster_setup.start"),))
        if d.heartbeat_ip not in local:
            return _fail(f"ring on {', '.join(local) or '?'}", f"anillo en {', '.join(local) or '?'}",
                         fixes.plans("cluster_setup.setup", "cluster_setup.start"))
        return _fail("link down or faulty: " + " ".join(text.split())[:160],
                     "enlace caído o con fallos: " + " ".join(text.split())[:160], fix)
    return judge


def _judge_auth(answers: Answers) -> Judge:
    rings = [d.ring_name for d in answers.directors]

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results["pcsd_auth"]
        states = dict(re.findall(r"(?m)^\s*(\S+?):\s*(Online|Offline|Unable to authenticate)\s*$", r.stdout))
        bad = {n: states.get(n, "?") for n in rings if states.get(n) != "Online"}
        found = ", ".join(f"{n}: {states.get(n, '?')}" for n in rings)
        if not bad:
            return _pass(found)
        if any(v == "Offline" for v in bad.values()):
            offline = [answers.directors[rings.index(n)].name for n, v in bad.items() if v == "Offline"]
            return _fail(found, found, tuple(f for n in offline for f in fixes.plan("pcs_auth.pcsd", n)))
        return _fail(found, found, fixes.plan("pcs_auth.auth", note=Text(
            "asks for hacluster's password (the one set with chpasswd)",
            "pide la contraseña de hacluster (la puesta con chpasswd)")))
    return judge


def _cmap(text: str) -> dict[str, str]:
    out = {}
    for m in re.finditer(r"(?m)^(\S+)\s+\([^)]*\)\s*=\s*(.*?)\s*$", text):
        out[m.group(1)] = m.group(2)
    return out


def _judge_members(answers: Answers) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results["cmap"]
        if r.code != 0:
            return _fail("corosync not running on any director", "corosync no funciona en ningún director",
                         fixes.plan("cluster_setup.start"))
        cmap = _cmap(r.stdout)
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
            return _pass(found)
        return _fail(found, found.replace("no members", "sin miembros"), fixes.plans("cluster_setup.start"))
    return judge


def _judge_corosync_conf(answers: Answers) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results["cmap"]
        if r.code != 0:
            return _not_checked("corosync is not running", "corosync no está en marcha")
        cmap = _cmap(r.stdout)
        name = cmap.get("totem.cluster_name", "?")
        two = cmap.get("quorum.two_node", "?")
        found = f"cluster_name {name}, two_node {two}"
        if name == answers.cluster_name and two == "1":
            return _pass(found)
        return _fail(found, found, fixes.plans("cluster_setup.setup", "cluster_setup.start"))
    return judge


def _judge_online(answers: Answers) -> Judge:
    rings = [d.ring_name for d in answers.directors]

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results["crm_mon"]
        if r.code != 0:
            first = ((r.stderr or r.stdout).strip().splitlines() or ["?"])[0]
            return _fail(f"pacemaker not running on any director ({first})",
                         f"pacemaker no funciona en ningún director ({first})", fixes.plan("cluster_setup.start"))
        online, offline = crm_mon_online(r.stdout)
        found = f"Online: {' '.join(sorted(online)) or '-'}" + (f"; OFFLINE: {' '.join(sorted(offline))}"
                                                               if offline else "")
        if all(n in online and n not in offline for n in rings):
            return _pass(found)
        return _fail(found, found, fixes.plan("cluster_setup.start"))
    return judge


def _cib(results: dict[str, ProbeResult]) -> Cib | None:
    r = results["cib"]
    return Cib.parse(r.stdout) if r.code == 0 else None


_NO_CIB = ("the CIB cannot be read (is the cluster running? see \"Both nodes online\")",
           "no se puede leer la CIB (¿funciona el cluster? ver \"Los dos nodos en línea\")")


def _judge_stonith() -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        cib = _cib(results)
        if cib is None:
            return _not_checked(*_NO_CIB)
        props = cib.properties()
        # Pacemaker 3 renames stonith-enabled to fencing-enabled: either being false is the guide's setting.
        for name in ("stonith-enabled", "fencing-enabled"):
            if name in props and is_false(props[name]):
                return _pass(f"{name}={props[name]}")
        found = ", ".join(f"{n}={props[n]}" for n in ("stonith-enabled", "fencing-enabled") if n in props)
        return _fail(found or "stonith-enabled not set (default: true)", found or "stonith-enabled sin fijar "
                     "(por defecto: true)", fixes.plan("properties.stonith"))
    return judge


def _judge_quorum() -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        cib = _cib(results)
        if cib is None:
            return _not_checked(*_NO_CIB)
        value = cib.properties().get("no-quorum-policy")
        if value == "ignore":
            return _pass("no-quorum-policy=ignore")
        return _fail(f"no-quorum-policy={value}" if value else "no-quorum-policy not set (default: stop)",
                     f"no-quorum-policy={value}" if value else "no-quorum-policy sin fijar (por defecto: stop)",
                     fixes.plan("properties.quorum"))
    return judge


@dataclass(frozen=True)
class ResourceSpec:
    rid: str
    agent: str  # class[:provider]:type as pcs writes it
    params: tuple[tuple[str, str], ...]
    monitor: str
    action_id: str

    def describe(self) -> str:
        params = " ".join(f"{k}={v}" for k, v in self.params)
        return f"{self.agent} {params} monitor {self.monitor}".replace("  ", " ")


def _resource_specs(answers: Answers, profile: Profile) -> list[ResourceSpec]:
    n = answers.networks
    specs = []
    for rid, ip, net, attr in (("VIP_externa", answers.vip.external, n.external, "external_if"),
                               ("VIP_interna", answers.vip.internal, n.internal, "internal_if")):
        ifs = {getattr(d, attr) for d in answers.directors}
        params = [("ip", ip)] + ([("nic", next(iter(ifs)))] if len(ifs) == 1 else []) + [
            ("cidr_netmask", str(prefix(net)))]
        specs.append(ResourceSpec(rid, "ocf:heartbeat:IPaddr2", tuple(params), "10s", f"resources.{rid.lower()}"))
    specs.append(ResourceSpec("HAproxy", profile.haproxy_agent, (), "5s", "resources.haproxy"))
    return specs


def _agent(prim: ET.Element) -> str:
    parts = [prim.get("class", ""), prim.get("provider", ""), prim.get("type", "")]
    return ":".join(p for p in parts if p)


def _judge_resource(spec: ResourceSpec) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        cib = _cib(results)
        if cib is None:
            return _not_checked(*_NO_CIB)
        prim = cib.primitive(spec.rid)
        if prim is None:
            return _fail(f"no resource {spec.rid}", f"no existe el recurso {spec.rid}", fixes.plan(spec.action_id))
        node = fixes.master_node()
        rid = q(spec.rid)
        problems, problems_es, fix = [], [], []
        agent = _agent(prim)
        if agent != spec.agent:
            problems.append(f"agent {agent}")
            problems_es.append(f"agente {agent}")
            fix += [Fix(node, f"pcs resource delete {rid}"), *fixes.plan(spec.action_id)]
        params = Cib.attrs(prim, "instance_attributes")
        wrong = [(k, v) for k, v in spec.params if params.get(k) != v]
        if wrong:
            problems += [f"{k}={params.get(k, '(unset)')}" for k, _ in wrong]
            problems_es += [f"{k}={params.get(k, '(sin fijar)')}" for k, _ in wrong]
            if agent == spec.agent:
                fix.append(Fix(node, f"pcs resource update {rid} " + " ".join(f"{k}={q(v)}" for k, v in wrong)))
        monitors = [op.get("interval", "") for op in prim.iter("op") if op.get("name") == "monitor"]
        if not any(seconds(i) == seconds(spec.monitor) for i in monitors):
            problems.append(f"monitor interval {', '.join(monitors) or 'none'}")
            problems_es.append(f"intervalo de monitor {', '.join(monitors) or 'ninguno'}")
            if agent == spec.agent:
                fix.append(Fix(node, f"pcs resource update {rid} op monitor interval={spec.monitor}"))
        meta = Cib.attrs(prim, "meta_attributes")
        if meta.get("target-role", "").lower() == "stopped":
            problems.append("disabled (target-role=Stopped)")
            problems_es.append("deshabilitado (target-role=Stopped)")
            fix.append(Fix(node, f"pcs resource enable {rid}"))
        if is_false(meta.get("is-managed")):
            problems.append("unmanaged (is-managed=false)")
            problems_es.append("no gestionado (is-managed=false)")
            fix.append(Fix(node, f"pcs resource manage {rid}"))
        if not problems:
            shown = " ".join(f"{k}={params[k]}" for k, _ in spec.params)
            return _pass(f"{agent} {shown} monitor {', '.join(monitors)}".replace("  ", " "))
        return _fail(f"{spec.rid}: " + "; ".join(problems), f"{spec.rid}: " + "; ".join(problems_es), tuple(fix))
    return judge


@dataclass(frozen=True)
class ConstraintSpec:
    key: str
    title: Text
    expected: str
    action_id: str


def _constraint_specs(answers: Answers) -> list[ConstraintSpec]:
    ring = answers.master.ring_name
    return [
        ConstraintSpec("colocation_vips", Text("VIP_externa with VIP_interna", "VIP_externa con VIP_interna"),
                       "colocation VIP_externa with VIP_interna INFINITY", "constraints.colocation_vips"),
        ConstraintSpec("colocation_haproxy", Text("VIP_interna with HAproxy", "VIP_interna con HAproxy"),
                       "colocation VIP_interna with HAproxy INFINITY", "constraints.colocation_haproxy"),
        ConstraintSpec("order", Text("Start order", "Orden de arranque"),
                       "order VIP_externa → VIP_interna → HAproxy", "constraints.order"),
        ConstraintSpec("location", Text(f"HAproxy prefers {ring}", f"HAproxy prefiere {ring}"),
                       f"location HAproxy prefers {ring}", "constraints.location"),
    ]


def _order_chain(cib: Cib) -> list[tuple[str, str]]:
    """Every "A starts before B" pair, from resource sets (sequential) and first/then constraints."""
    pairs: list[tuple[str, str]] = []
    for order in cib.constraints("rsc_order"):
        if order.get("first") and order.get("then"):
            pairs.append((order.get("first", ""), order.get("then", "")))
        for rset in order.iterfind("resource_set"):
            if (rset.get("sequential") or "true").lower() in ("false", "no", "0"):
                continue
            refs = [r.get("id", "") for r in rset.iterfind("resource_ref")]
            pairs += list(zip(refs, refs[1:], strict=False))
    return pairs


def _judge_constraint(spec: ConstraintSpec, answers: Answers) -> Judge:
    ring = answers.master.ring_name

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        cib = _cib(results)
        if cib is None:
            return _not_checked(*_NO_CIB)
        fix = fixes.plan(spec.action_id)
        if spec.key.startswith("colocation"):
            a, b = ("VIP_externa", "VIP_interna") if spec.key == "colocation_vips" else ("VIP_interna", "HAproxy")
            found = [(c.get("rsc"), c.get("with-rsc"), c.get("score")) for c in cib.constraints("rsc_colocation")]
            if any(r == a and w == b and _score(s) == float("inf") for r, w, s in found):
                return _pass(f"{a} with {b} INFINITY", f"{a} con {b} INFINITY")
            related = "; ".join(f"{r} with {w} {s}" for r, w, s in found if {r, w} & {a, b})
            if related:
                return _fail(f"missing (colocations of these: {related})",
                             f"falta (colocaciones de estos: {related.replace(' with ', ' con ')})", fix)
            return _fail("missing", "falta", fix)
        if spec.key == "order":
            pairs = _order_chain(cib)
            want = [("VIP_externa", "VIP_interna"), ("VIP_interna", "HAproxy")]
            if all(p in pairs for p in want):
                return _pass("VIP_externa → VIP_interna → HAproxy")
            shown = "; ".join(f"{a} → {b}" for a, b in pairs)
            return _fail(shown or "missing", shown or "falta", fix)
        locs = [(c.get("rsc"), c.get("node"), c.get("score")) for c in cib.constraints("rsc_location")]
        if any(r == "HAproxy" and n == ring and _score(s) > 0 for r, n, s in locs):
            return _pass(f"HAproxy prefers {ring}", f"HAproxy prefiere {ring}")
        related = [f"{r} {n} {s}" for r, n, s in locs if r == "HAproxy"]
        return _fail("; ".join(related) or "missing", "; ".join(related) or "falta", fix)
    return judge


def _judge_no_moves(answers: Answers) -> Judge:
    ring = answers.master.ring_name

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        cib = _cib(results)
        if cib is None:
            return _not_checked(*_NO_CIB)
        stray = []
        for c in cib.constraints("rsc_location"):
            rsc, node, score = c.get("rsc", ""), c.get("node", ""), _score(c.get("score"))
            if rsc not in RESOURCES:
                continue
            # `pcs resource move/ban` leave cli-prefer/cli-ban constraints; anything that pushes the
            # resources away from the preferred director fights the guide's location constraint.
            if (node == ring and score < 0) or (node and node != ring and score > 0):
                stray.append((c.get("id", "?"), rsc))
        if not stray:
            return _pass("none", "ninguna")
        node = fixes.master_node()
        fix = tuple(Fix(node, f"pcs resource clear {q(rsc)}") if cid.startswith("cli-")
                    else Fix(node, f"pcs constraint remove {q(cid)}") for cid, rsc in stray)
        ids = ", ".join(cid for cid, _ in stray)
        return _fail(ids, ids, fix)
    return judge


def _stopped_fixes(results: dict[str, ProbeResult], fixes: FixBook) -> tuple[Fix, ...]:
    """`pcs resource enable` for each of the guide's resources that was disabled (target-role=Stopped): with
    the colocations, one disabled resource keeps all three down."""
    r = results.get("cib")
    cib = Cib.parse(r.stdout) if r is not None and r.code == 0 else None
    if cib is None:
        return ()
    out = []
    for rid in RESOURCES:
        prim = cib.primitive(rid)
        if prim is not None and Cib.attrs(prim, "meta_attributes").get("target-role", "").lower() == "stopped":
            out.append(Fix(fixes.master_node(), f"pcs resource enable {q(rid)}"))
    return tuple(out)


def _judge_placement(answers: Answers) -> Judge:
    ring = answers.master.ring_name

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results["crm_mon"]
        if r.code != 0:
            return _not_checked("pacemaker is not running (see \"Both nodes online\")",
                                "pacemaker no funciona (ver \"Los dos nodos en línea\")")
        states = crm_mon_resources(r.stdout)
        found = ", ".join(f"{rid} {' '.join(x for x in states.get(rid, ('missing', '')) if x)}" for rid in RESOURCES)
        if all(states.get(rid) == ("Started", ring) for rid in RESOURCES):
            return _pass(found)
        fix = _stopped_fixes(results, fixes) or (Fix(fixes.master_node(), "pcs resource cleanup"),)
        return _fail(found, found.replace("missing", "no existe"), fix)
    return judge


def _judge_vip(answers: Answers, rid: str, ip: str, plen: int, attr: str) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        holders = []
        for d in answers.directors:
            r = results.get(f"addr.{d.name}")
            if r is None or not r.ran:
                continue
            for ifname, ips in parse_addresses(r.stdout).items():
                for cidr in ips:
                    if cidr.split("/")[0] == ip:
                        holders.append((d, ifname, cidr))
        found = ", ".join(f"{d.name} {ifname} {cidr}" for d, ifname, cidr in holders)
        ok = [h for h in holders if h[0] is answers.master and h[1] == getattr(h[0], attr)
              and h[2] == f"{ip}/{plen}"]
        if ok and len(holders) == 1:
            return _pass(found)
        node = fixes.master_node()
        fix: list[Fix] = []
        wrong_nic = [h for h in holders if h[1] != getattr(h[0], attr)]
        if wrong_nic:
            ifs = {getattr(d, attr) for d in answers.directors}
            nic = f"nic={q(next(iter(ifs)))}" if len(ifs) == 1 else "nic="
            fix.append(Fix(node, f"pcs resource update {q(rid)} {nic}"))
        elif not holders:
            fix += _stopped_fixes(results, fixes) or (Fix(node, "pcs resource cleanup"),)
        if not found:
            return _fail(f"{ip} is on no director", f"{ip} no está en ningún director", tuple(fix))
        return _fail(found, found, tuple(fix))
    return judge


def _judge_bind(answers: Answers, d: Director) -> Judge:
    vip = answers.vip.external

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results[f"haproxy_cfg.{d.name}"]
        fix = fixes.plan("resources.haproxy_cfg", d.name)
        if r.code != 0:
            return _fail(f"cannot read {HAPROXY_CFG}: {r.stderr.strip()}",
                         f"no se puede leer {HAPROXY_CFG}: {r.stderr.strip()}", fix)
        binds = re.findall(r"(?m)^\s*bind\s+(\S+)", r.stdout)
        if any(b == f"{vip}:80" for b in binds):
            return _pass(f"bind {vip}:80")
        shown = ", ".join(f"bind {b}" for b in binds) or "no bind line"
        return _fail(shown, shown.replace("no bind line", "ninguna línea bind"), fix)
    return judge


def _judge_servers(answers: Answers, d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results[f"haproxy_cfg.{d.name}"]
        fix = fixes.plan("resources.haproxy_cfg", d.name)
        if r.code != 0:
            return _fail(f"cannot read {HAPROXY_CFG}", f"no se puede leer {HAPROXY_CFG}", fix)
        listed = re.findall(r"(?m)^\s*server\s+(\S+)\s+(\S+)", r.stdout)
        addrs = {a for _, a in listed}
        missing = [s for s in answers.servers if f"{s.ip}:80" not in addrs and s.ip not in addrs]
        shown = ", ".join(f"{n} {a}" for n, a in listed) or "no server lines"
        if not missing:
            return _pass(shown)
        return _fail(f"missing {', '.join(s.name for s in missing)} (listed: {shown})",
                     f"faltan {', '.join(s.name for s in missing)} (aparecen: {shown})", fix)
    return judge


def _judge_valid(d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results[f"haproxy_valid.{d.name}"]
        text = " ".join((r.stdout + " " + r.stderr).split())
        if r.code == 0:
            return _pass(text[:120] or "valid", text[:120] or "válido")
        return _fail(text[:240] or f"exit {r.code}", text[:240] or f"código {r.code}",
                     fixes.plan("resources.haproxy_cfg", d.name))
    return judge


def _judge_same_cfg(answers: Answers) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        texts = {d.name: results[f"haproxy_cfg.{d.name}"] for d in answers.directors}
        if any(r.code != 0 for r in texts.values()):
            return _not_checked("a file is missing (see above)", "falta un fichero (ver arriba)")
        first = answers.master.name
        differ = [n for n, r in texts.items() if r.stdout != texts[first].stdout]
        if not differ:
            return _pass("identical", "idénticos")
        return _fail(f"{', '.join(differ)} differs from {first}", f"{', '.join(differ)} difiere de {first}",
                     tuple(f for n in differ for f in fixes.plan("resources.haproxy_cfg", n)))
    return judge


def _judge_route(answers: Answers, server: str) -> Judge:
    vip = answers.vip.internal

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        out = _out(results, f"route.{server}").strip()
        if re.search(rf"(?m)^default via {re.escape(vip)}\b", out):
            return _pass(out.splitlines()[0])
        return _fail(out or "no default route", out or "sin ruta por defecto",
                     fixes.plans(f"gateway.set.{server}", f"gateway.restart_network.{server}"))
    return judge


def _served_by(body: str, answers: Answers, direct: dict[str, str]) -> str | None:
    """Which real server produced this page: its name or address in it, else a body equal to its own page."""
    for s in answers.servers:
        if re.search(rf"(?<![\w.-]){re.escape(s.name)}(?![\w-])", body) or re.search(
                rf"(?<![\d.]){re.escape(s.ip)}(?![\d])", body):
            return s.name
    for name, page in direct.items():
        if page.strip() and body.strip() == page.strip():
            return name
    return None


def _judge_web(answers: Answers, rounds: int) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        via = http_answers(results["web.vip"].stdout)
        direct_list = http_answers(results["web.direct"].stdout)
        direct = {s.name: body for s, (code, body) in zip(answers.servers, direct_list, strict=False) if code == 200}
        seen: dict[str, int] = {}
        errors = 0
        for code, body in via:
            if code != 200:
                errors += 1
                continue
            who = _served_by(body, answers, direct) or "?"
            seen[who] = seen.get(who, 0) + 1
        names = [s.name for s in answers.servers]
        found = ", ".join(f"{n}×{c}" for n, c in seen.items())
        if errors or len(via) < rounds:
            found = (found + "; " if found else "") + f"{errors + rounds - len(via)} of {rounds} requests failed"
        if all(n in seen for n in names):
            return _pass(found)
        missing = [n for n in names if n not in seen]
        down = [n for n in missing if n not in direct]
        note = ""
        note_es = ""
        if down:
            note = f" (no page directly either: {', '.join(down)})"
            note_es = f" (sin página tampoco directamente: {', '.join(down)})"
        en = f"{found or 'no answer'}; never answered by: {', '.join(missing)}{note}"
        es = (f"{found.replace(' of ', ' de ').replace('requests failed', 'peticiones fallaron') or 'sin respuesta'}"
              f"; sin respuesta de: {', '.join(missing)}{note_es}")
        return _fail(en, es, _stopped_fixes(results, fixes) if errors else ())
    return judge


def all_commands(plan: CheckPlan) -> list[str]:
    """Every command `check` may run (the read-only test goes through them)."""
    return [p.command for p in plan.probes]
