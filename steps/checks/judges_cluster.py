"""Judges of the cluster as a whole: properties, resources, constraints, placement, VIPs, haproxy.cfg,
the servers' route and the page through the VIP."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from steps._common import prefix
from steps.checks.model import (
    RESOURCES,
    Fix,
    FixBook,
    Judge,
    ProbeResult,
    Verdict,
    not_checked,
    verdict_fail,
    verdict_pass,
)
from steps.checks.parse import (
    NO_CIB,
    Cib,
    agent_of,
    cib_of,
    crm_mon_resources,
    http_answers,
    is_false,
    order_chain,
    parse_addresses,
    probe_out,
    score_value,
    seconds,
)
from steps.model import Text
from steps.profiles import Profile
from steps.resources import HAPROXY_CFG
from wizard.base.answers import Answers, Director

q = shlex.quote


def judge_stonith() -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        cib = cib_of(results)
        if cib is None:
            return not_checked(*NO_CIB)
        props = cib.properties()
        # Pacemaker 3 renames stonith-enabled to fencing-enabled: either being false is the guide's setting.
        for name in ("stonith-enabled", "fencing-enabled"):
            if name in props and is_false(props[name]):
                return verdict_pass(f"{name}={props[name]}")
        found = ", ".join(f"{n}={props[n]}" for n in ("stonith-enabled", "fencing-enabled") if n in props)
        return verdict_fail(found or "stonith-enabled not set (default: true)", found or "stonith-enabled sin fijar "
                     "(por defecto: true)", fixes.plan("properties.stonith"))
    return judge


def judge_quorum() -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        cib = cib_of(results)
        if cib is None:
            return not_checked(*NO_CIB)
        value = cib.properties().get("no-quorum-policy")
        if value == "ignore":
            return verdict_pass("no-quorum-policy=ignore")
        return verdict_fail(f"no-quorum-policy={value}" if value else "no-quorum-policy not set (default: stop)",
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


def resource_specs(answers: Answers, profile: Profile) -> list[ResourceSpec]:
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


def judge_resource(spec: ResourceSpec) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        cib = cib_of(results)
        if cib is None:
            return not_checked(*NO_CIB)
        prim = cib.primitive(spec.rid)
        if prim is None:
            return verdict_fail(f"no resource {spec.rid}", f"no existe el recurso {spec.rid}",
                                fixes.plan(spec.action_id))
        node = fixes.master_node()
        rid = q(spec.rid)
        problems, problems_es, fix = [], [], []
        agent = agent_of(prim)
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
            return verdict_pass(f"{agent} {shown} monitor {', '.join(monitors)}".replace("  ", " "))
        return verdict_fail(f"{spec.rid}: " + "; ".join(problems), f"{spec.rid}: " + "; ".join(problems_es), tuple(fix))
    return judge


@dataclass(frozen=True)
class ConstraintSpec:
    key: str
    title: Text
    expected: str
    action_id: str


def constraint_specs(answers: Answers) -> list[ConstraintSpec]:
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


def judge_constraint(spec: ConstraintSpec, answers: Answers) -> Judge:
    ring = answers.master.ring_name

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        cib = cib_of(results)
        if cib is None:
            return not_checked(*NO_CIB)
        fix = fixes.plan(spec.action_id)
        if spec.key.startswith("colocation"):
            a, b = ("VIP_externa", "VIP_interna") if spec.key == "colocation_vips" else ("VIP_interna", "HAproxy")
            found = [(c.get("rsc"), c.get("with-rsc"), c.get("score")) for c in cib.constraints("rsc_colocation")]
            if any(r == a and w == b and score_value(s) == float("inf") for r, w, s in found):
                return verdict_pass(f"{a} with {b} INFINITY", f"{a} con {b} INFINITY")
            related = "; ".join(f"{r} with {w} {s}" for r, w, s in found if {r, w} & {a, b})
            if related:
                return verdict_fail(f"missing (colocations of these: {related})",
                             f"falta (colocaciones de estos: {related.replace(' with ', ' con ')})", fix)
            return verdict_fail("missing", "falta", fix)
        if spec.key == "order":
            pairs = order_chain(cib)
            want = [("VIP_externa", "VIP_interna"), ("VIP_interna", "HAproxy")]
            if all(p in pairs for p in want):
                return verdict_pass("VIP_externa → VIP_interna → HAproxy")
            shown = "; ".join(f"{a} → {b}" for a, b in pairs)
            return verdict_fail(shown or "missing", shown or "falta", fix)
        locs = [(c.get("rsc"), c.get("node"), c.get("score")) for c in cib.constraints("rsc_location")]
        if any(r == "HAproxy" and n == ring and score_value(s) > 0 for r, n, s in locs):
            return verdict_pass(f"HAproxy prefers {ring}", f"HAproxy prefiere {ring}")
        related = [f"{r} {n} {s}" for r, n, s in locs if r == "HAproxy"]
        return verdict_fail("; ".join(related) or "missing", "; ".join(related) or "falta", fix)
    return judge


def judge_no_moves(answers: Answers) -> Judge:
    ring = answers.master.ring_name

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        cib = cib_of(results)
        if cib is None:
            return not_checked(*NO_CIB)
        stray = []
        for c in cib.constraints("rsc_location"):
            rsc, node, score = c.get("rsc", ""), c.get("node", ""), score_value(c.get("score"))
            if rsc not in RESOURCES:
                continue
            # `pcs resource move/ban` leave cli-prefer/cli-ban constraints; anything that pushes the
            # resources away from the preferred director fights the guide's location constraint.
            if (node == ring and score < 0) or (node and node != ring and score > 0):
                stray.append((c.get("id", "?"), rsc))
        if not stray:
            return verdict_pass("none", "ninguna")
        node = fixes.master_node()
        fix = tuple(Fix(node, f"pcs resource clear {q(rsc)}") if cid.startswith("cli-")
                    else Fix(node, f"pcs constraint remove {q(cid)}") for cid, rsc in stray)
        ids = ", ".join(cid for cid, _ in stray)
        return verdict_fail(ids, ids, fix)
    return judge


def stopped_fixes(results: dict[str, ProbeResult], fixes: FixBook) -> tuple[Fix, ...]:
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


def judge_placement(answers: Answers) -> Judge:
    ring = answers.master.ring_name

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results["crm_mon"]
        if r.code != 0:
            return not_checked("pacemaker is not running (see \"Both nodes online\")",
                                "pacemaker no funciona (ver \"Los dos nodos en línea\")")
        states = crm_mon_resources(r.stdout)
        found = ", ".join(f"{rid} {' '.join(x for x in states.get(rid, ('missing', '')) if x)}" for rid in RESOURCES)
        if all(states.get(rid) == ("Started", ring) for rid in RESOURCES):
            return verdict_pass(found)
        fix = stopped_fixes(results, fixes) or (Fix(fixes.master_node(), "pcs resource cleanup"),)
        return verdict_fail(found, found.replace("missing", "no existe"), fix)
    return judge


def judge_vip(answers: Answers, rid: str, ip: str, plen: int, attr: str) -> Judge:
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
            return verdict_pass(found)
        node = fixes.master_node()
        fix: list[Fix] = []
        wrong_nic = [h for h in holders if h[1] != getattr(h[0], attr)]
        if wrong_nic:
            ifs = {getattr(d, attr) for d in answers.directors}
            nic = f"nic={q(next(iter(ifs)))}" if len(ifs) == 1 else "nic="
            fix.append(Fix(node, f"pcs resource update {q(rid)} {nic}"))
        elif not holders:
            fix += stopped_fixes(results, fixes) or (Fix(node, "pcs resource cleanup"),)
        if not found:
            return verdict_fail(f"{ip} is on no director", f"{ip} no está en ningún director", tuple(fix))
        return verdict_fail(found, found, tuple(fix))
    return judge


def judge_bind(answers: Answers, d: Director) -> Judge:
    vip = answers.vip.external

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results[f"haproxy_cfg.{d.name}"]
        fix = fixes.plan("resources.haproxy_cfg", d.name)
        if r.code != 0:
            return verdict_fail(f"cannot read {HAPROXY_CFG}: {r.stderr.strip()}",
                         f"no se puede leer {HAPROXY_CFG}: {r.stderr.strip()}", fix)
        binds = re.findall(r"(?m)^\s*bind\s+(\S+)", r.stdout)
        if any(b == f"{vip}:80" for b in binds):
            return verdict_pass(f"bind {vip}:80")
        shown = ", ".join(f"bind {b}" for b in binds) or "no bind line"
        return verdict_fail(shown, shown.replace("no bind line", "ninguna línea bind"), fix)
    return judge


def judge_servers(answers: Answers, d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results[f"haproxy_cfg.{d.name}"]
        fix = fixes.plan("resources.haproxy_cfg", d.name)
        if r.code != 0:
            return verdict_fail(f"cannot read {HAPROXY_CFG}", f"no se puede leer {HAPROXY_CFG}", fix)
        listed = re.findall(r"(?m)^\s*server\s+(\S+)\s+(\S+)", r.stdout)
        addrs = {a for _, a in listed}
        missing = [s for s in answers.servers if f"{s.ip}:80" not in addrs and s.ip not in addrs]
        shown = ", ".join(f"{n} {a}" for n, a in listed) or "no server lines"
        if not missing:
            return verdict_pass(shown)
        return verdict_fail(f"missing {', '.join(s.name for s in missing)} (listed: {shown})",
                     f"faltan {', '.join(s.name for s in missing)} (aparecen: {shown})", fix)
    return judge


def judge_valid(d: Director) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        r = results[f"haproxy_valid.{d.name}"]
        text = " ".join((r.stdout + " " + r.stderr).split())
        if r.code == 0:
            return verdict_pass(text[:120] or "valid", text[:120] or "válido")
        return verdict_fail(text[:240] or f"exit {r.code}", text[:240] or f"código {r.code}",
                     fixes.plan("resources.haproxy_cfg", d.name))
    return judge


def judge_same_cfg(answers: Answers) -> Judge:
    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        texts = {d.name: results[f"haproxy_cfg.{d.name}"] for d in answers.directors}
        if any(r.code != 0 for r in texts.values()):
            return not_checked("a file is missing (see above)", "falta un fichero (ver arriba)")
        first = answers.master.name
        differ = [n for n, r in texts.items() if r.stdout != texts[first].stdout]
        if not differ:
            return verdict_pass("identical", "idénticos")
        return verdict_fail(f"{', '.join(differ)} differs from {first}", f"{', '.join(differ)} difiere de {first}",
                     tuple(f for n in differ for f in fixes.plan("resources.haproxy_cfg", n)))
    return judge


def judge_route(answers: Answers, server: str) -> Judge:
    vip = answers.vip.internal

    def judge(results: dict[str, ProbeResult], fixes: FixBook) -> Verdict:
        out = probe_out(results, f"route.{server}").strip()
        if re.search(rf"(?m)^default via {re.escape(vip)}\b", out):
            return verdict_pass(out.splitlines()[0])
        return verdict_fail(out or "no default route", out or "sin ruta por defecto",
                     fixes.plans(f"gateway.set.{server}", f"gateway.restart_network.{server}"))
    return judge


def served_by(body: str, answers: Answers, direct: dict[str, str]) -> str | None:
    """Which real server produced this page: its name or address in it, else a body equal to its own page."""
    for s in answers.servers:
        if re.search(rf"(?<![\w.-]){re.escape(s.name)}(?![\w-])", body) or re.search(
                rf"(?<![\d.]){re.escape(s.ip)}(?![\d])", body):
            return s.name
    for name, page in direct.items():
        if page.strip() and body.strip() == page.strip():
            return name
    return None


def judge_web(answers: Answers, rounds: int) -> Judge:
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
            who = served_by(body, answers, direct) or "?"
            seen[who] = seen.get(who, 0) + 1
        names = [s.name for s in answers.servers]
        found = ", ".join(f"{n}×{c}" for n, c in seen.items())
        if errors or len(via) < rounds:
            found = (found + "; " if found else "") + f"{errors + rounds - len(via)} of {rounds} requests failed"
        if all(n in seen for n in names):
            return verdict_pass(found)
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
        return verdict_fail(en, es, stopped_fixes(results, fixes) if errors else ())
    return judge
