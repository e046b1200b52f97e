"""Reading what the probes print (pure): addresses, links, /etc/hosts, the CIB's XML, crm_mon, HTTP answers."""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from steps.checks.model import HTTP_MARK, ProbeResult

q = shlex.quote


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


def score_value(value: str | None) -> float:
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


def probe_out(results: dict[str, ProbeResult], pid: str) -> str:
    r = results[pid]
    return r.stdout


def service_states(output: str) -> dict[str, str]:
    """`systemctl is-active pcsd; systemctl is-enabled pcsd corosync pacemaker haproxy` -> states by key."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    keys = ["pcsd.active", "pcsd.enabled", "corosync.enabled", "pacemaker.enabled", "haproxy.enabled"]
    return dict(zip(keys, lines, strict=False))


def parse_cmap(text: str) -> dict[str, str]:
    out = {}
    for m in re.finditer(r"(?m)^(\S+)\s+\([^)]*\)\s*=\s*(.*?)\s*$", text):
        out[m.group(1)] = m.group(2)
    return out


def cib_of(results: dict[str, ProbeResult]) -> Cib | None:
    r = results["cib"]
    return Cib.parse(r.stdout) if r.code == 0 else None


NO_CIB = ("the CIB cannot be read (is the cluster running? see \"Both nodes online\")",
           "no se puede leer la CIB (¿funciona el cluster? ver \"Los dos nodos en línea\")")


def agent_of(prim: ET.Element) -> str:
    parts = [prim.get("class", ""), prim.get("provider", ""), prim.get("type", "")]
    return ":".join(p for p in parts if p)


def order_chain(cib: Cib) -> list[tuple[str, str]]:
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
