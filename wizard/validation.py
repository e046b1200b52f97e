"""Checks on answers before anything runs. Each problem names the field and says what is wrong.

Pure functions over `Answers`; the CLI turns problems into exit status 2, the app shows them
next to the field.
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from dataclasses import dataclass

from wizard.answers import PROFILES, Answers, mac_plain
from wizard.i18n import t
from wizard.names import ifname_problem, vbox_name_problem

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}\$?$")
_MAC = re.compile(r"^(?:[0-9A-Fa-f]{2}([:-]?)[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4})$")
NIC_TYPES = ("Am79C970A", "Am79C973", "Am79C960", "82540EM", "82543GC", "82545EM", "virtio")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(field, message))

    def network(self, field: str, value: str) -> ipaddress.IPv4Network | None:
        try:
            net = ipaddress.ip_network(value, strict=True)
        except ValueError as exc:
            self.add(field, f"{value!r} is not a network in CIDR form like 10.0.100.0/24 ({exc})")
            return None
        if net.version != 4 or net.prefixlen > 30:
            self.add(field, f"{value} must be an IPv4 network with room for hosts (prefix /30 or shorter)")
            return None
        return net

    def address(self, field: str, value: str, net: ipaddress.IPv4Network | None,
                net_field: str) -> ipaddress.IPv4Address | None:
        try:
            addr = ipaddress.ip_address(value)
        except ValueError:
            self.add(field, f"{value!r} is not an IPv4 address")
            return None
        if addr.version != 4:
            self.add(field, f"{value} is not an IPv4 address")
            return None
        if net is not None:
            if addr not in net:
                self.add(field, f"{value} is not inside {net_field} ({net})")
            elif addr in (net.network_address, net.broadcast_address):
                self.add(field, f"{value} is the network or broadcast address of {net}")
        return addr

    def ifname(self, field: str, value: str) -> None:
        self._rule(field, ifname_problem(value))

    def vbox_name(self, field: str, value: str) -> None:
        self._rule(field, vbox_name_problem(value))

    def _rule(self, field: str, problem: tuple[str, dict] | None) -> None:
        if problem is not None:
            key, values = problem
            self.add(field, t(key, "en", **values))

    def hostname(self, field: str, value: str) -> None:
        if not _HOST_LABEL.match(value or ""):
            self.add(field, f"{value!r} is not a valid host name (letters, digits and '-', 1-63 characters, "
                            "not starting or ending with '-')")

    def mac(self, field: str, value: str) -> str | None:
        if not _MAC.match(value or ""):
            self.add(field, f"{value!r} is not a MAC address (like 08:00:27:01:01:C1 or 0800270101C1)")
            return None
        plain = mac_plain(value)
        if int(plain[:2], 16) & 1:
            self.add(field, f"{value} is a multicast address; a NIC needs a unicast MAC (even first byte)")
        return plain

    def port(self, field: str, value: int) -> None:
        if not 1 <= value <= 65535:
            self.add(field, f"{value} is not a TCP port (1-65535)")


def validate(answers: Answers) -> list[Problem]:
    """Every problem found, in field order; an empty list means the answers can be used."""
    c = _Collector()
    if answers.profile not in PROFILES:
        c.add("profile", f"{answers.profile!r} is not a profile (choose one of {', '.join(PROFILES)})")
    if not _CLUSTER_NAME.match(answers.cluster_name):
        c.add("cluster_name", f"{answers.cluster_name!r} is not a valid cluster name (letters, digits, '_', '-', "
                              "'.', at most 32 characters)")
    c.vbox_name("snapshot_name", answers.snapshot_name)
    if not all(_HOST_LABEL.match(label) for label in answers.domain.split(".")):
        c.add("domain", f"{answers.domain!r} is not a valid DNS domain")
    if not _USER.match(answers.ssh_user):
        c.add("ssh_user", f"{answers.ssh_user!r} is not a valid user name")
    c.port("ssh_port", answers.ssh_port)
    for name in ("bench_requests", "bench_concurrency", "pi_intervals"):
        if getattr(answers, name) < 1:
            c.add(name, f"{getattr(answers, name)} must be at least 1")
    if answers.bench_concurrency > answers.bench_requests:
        c.add("bench_concurrency", f"{answers.bench_concurrency} concurrent requests is more than the "
                                   f"{answers.bench_requests} requests in total (bench_requests)")

    nets = {key: c.network(f"networks.{key}", getattr(answers.networks, key))
            for key in ("external", "internal", "heartbeat")}
    known = [(k, n) for k, n in nets.items() if n is not None]
    for i, (k1, n1) in enumerate(known):
        for k2, n2 in known[i + 1:]:
            if n1.overlaps(n2):
                c.add(f"networks.{k2}", f"{n2} overlaps networks.{k1} ({n1})")
    c.address("networks.external_gateway", answers.networks.external_gateway, nets["external"], "networks.external")
    c.address("networks.dns", answers.networks.dns, None, "")

    # Every real address, to find clashes; VIPs must match none of them.
    owners: dict[str, list[str]] = defaultdict(list)
    owners[answers.networks.external_gateway].append("networks.external_gateway")

    if len(answers.directors) != 2:
        c.add("directors", f"exactly two directors are needed (active and passive), found {len(answers.directors)}")
    if not answers.servers:
        c.add("servers", "at least one real server is needed")

    names: dict[str, list[str]] = defaultdict(list)
    vms: dict[str, list[str]] = defaultdict(list)
    macs: dict[str, list[str]] = defaultdict(list)
    for i, d in enumerate(answers.directors):
        f = f"directors[{i}]"
        c.hostname(f"{f}.name", d.name)
        c.hostname(f"{f}.ring_name", d.ring_name)
        for j, alias in enumerate(d.aliases):
            c.hostname(f"{f}.aliases[{j}]", alias)
            names[alias].append(f"{f}.aliases[{j}]")
        names[d.name].append(f"{f}.name")
        names[d.ring_name].append(f"{f}.ring_name")
        c.vbox_name(f"{f}.vm", d.vm)
        vms[d.vm].append(f"{f}.vm")
        ifs = {}
        for key, net_key in (("external", "external"), ("internal", "internal"), ("heartbeat", "heartbeat")):
            ifname = getattr(d, f"{key}_if")
            c.ifname(f"{f}.{key}_if", ifname)
            if ifname in ifs:
                c.add(f"{f}.{key}_if", f"{ifname} is already the {ifs[ifname]} interface of {d.name}")
            ifs[ifname] = key
            ip = getattr(d, f"{key}_ip")
            if c.address(f"{f}.{key}_ip", ip, nets[net_key], f"networks.{net_key}"):
                owners[ip].append(f"{f}.{key}_ip")
        plain = c.mac(f"{f}.heartbeat_mac", d.heartbeat_mac)
        if plain:
            macs[plain].append(f"{f}.heartbeat_mac")
    for i, s in enumerate(answers.servers):
        f = f"servers[{i}]"
        c.hostname(f"{f}.name", s.name)
        names[s.name].append(f"{f}.name")
        c.vbox_name(f"{f}.vm", s.vm)
        vms[s.vm].append(f"{f}.vm")
        c.ifname(f"{f}.ifname", s.ifname)
        if c.address(f"{f}.ip", s.ip, nets["internal"], "networks.internal"):
            owners[s.ip].append(f"{f}.ip")

    for key, net_key in (("external", "external"), ("internal", "internal")):
        vip = getattr(answers.vip, key)
        if c.address(f"vip.{key}", vip, nets[net_key], f"networks.{net_key}") and vip in owners:
            c.add(f"vip.{key}", f"{vip} is already the real address {owners[vip][0]}; a floating IP must be free")

    for addr, fields in owners.items():
        for other in fields[1:]:
            c.add(other, f"{addr} is already used by {fields[0]}")
    for name, fields in names.items():
        for other in fields[1:]:
            c.add(other, f"{name!r} is already used by {fields[0]}")
    for vm, fields in vms.items():
        for other in fields[1:]:
            c.add(other, f"VM name {vm!r} is already used by {fields[0]}")

    vb = answers.virtualbox
    for key in ("natnetwork", "heartbeat_network", "internal_network"):
        c.vbox_name(f"virtualbox.{key}", getattr(vb, key))
    if vb.nic_type not in NIC_TYPES:
        c.add("virtualbox.nic_type", f"{vb.nic_type!r} is not a VirtualBox NIC type ({', '.join(NIC_TYPES)})")
    c.port("virtualbox.host_port", vb.host_port)
    if len(vb.standby_macs) != 3:
        c.add("virtualbox.standby_macs",
              f"three MACs are needed (the standby clone's NICs 1-3), found {len(vb.standby_macs)}")
    for j, mac in enumerate(vb.standby_macs):
        plain = c.mac(f"virtualbox.standby_macs[{j}]", mac)
        if plain is None:
            continue
        # NIC 3 of the standby is its heartbeat NIC: the same card, so the same MAC is expected there.
        if j == 2 and len(answers.directors) == 2:
            hb = answers.directors[1].heartbeat_mac
            if _MAC.match(hb) and mac_plain(hb) != plain:
                c.add(f"virtualbox.standby_macs[{j}]",
                      f"{mac} differs from directors[1].heartbeat_mac ({hb}); NIC 3 is the heartbeat NIC")
            continue
        macs[plain].append(f"virtualbox.standby_macs[{j}]")
    for mac, fields in macs.items():
        for other in fields[1:]:
            c.add(other, f"MAC {mac} is already used by {fields[0]}")
    return c.problems


def problems_for(problems: list[Problem], prefix: str) -> list[Problem]:
    """The problems of one field (or of a table of fields), for showing next to it."""
    return [p for p in problems if p.field == prefix or p.field.startswith((prefix + ".", prefix + "["))]
