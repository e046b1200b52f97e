"""Checks on answers before anything runs. Each problem names the field and says what is wrong.

Pure functions over `Answers`; the CLI turns problems into exit status 2, the app shows them
next to the field. Every message comes from the catalogue (wizard.base.i18n, keys `val.*`) in both
languages; another field is named the way the inventory shows it ("master · External IP").
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from dataclasses import dataclass

from wizard.base.answers import PROFILES, Answers, mac_plain
from wizard.base.i18n import Msg, msg
from wizard.base.names import ifname_problem, vbox_name_problem

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}\$?$")
_MAC = re.compile(r"^(?:[0-9A-Fa-f]{2}([:-]?)[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4})$")
NIC_TYPES = ("Am79C970A", "Am79C973", "Am79C960", "82540EM", "82543GC", "82545EM", "virtio")
_INDEX = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Problem:
    field: str
    msg: Msg

    @property
    def message(self) -> str:
        """English (logs, `str()`); `text(lang)` for the user's language."""
        return self.msg.en

    def text(self, lang: str) -> str:
        return self.msg.get(lang)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def line(self, lang: str) -> str:
        return f"{self.field}: {self.text(lang)}"


def field_label(answers: Answers, path: str) -> Msg:
    """How the inventory names a field: `directors[0].external_ip` -> "master · External IP"."""
    head, _, leaf = path.rpartition(".")
    leaf_key = _INDEX.sub("", leaf)
    label = msg(f"field.{leaf_key}")
    if label.en == f"field.{leaf_key}":  # not an inventory field (a list as a whole...): its path
        label = Msg.raw(path)
    index = _INDEX.search(leaf)
    if index:  # one item of a list field: aliases[1] -> "Aliases (comma) #2"
        label = label + f" #{int(index.group(1)) + 1}"
    m = re.match(r"^(directors|servers)\[(\d+)\]$", head)
    if m:
        hosts = getattr(answers, m.group(1))
        i = int(m.group(2))
        host = hosts[i].name if i < len(hosts) and hosts[i].name else m.group(0)
        return Msg.raw(f"{host} · ") + label
    group = {"networks": "inv.networks", "vip": "inv.vip", "virtualbox": "inv.virtualbox"}.get(head)
    if group:
        return msg(group) + " · " + label
    return label


class _Collector:
    def __init__(self, answers: Answers) -> None:
        self.answers = answers
        self.problems: list[Problem] = []

    def add(self, field: str, key: str, **params: object) -> None:
        self.problems.append(Problem(field, msg(key, **params)))

    def label(self, path: str) -> Msg:
        return field_label(self.answers, path)

    def network(self, field: str, value: str) -> ipaddress.IPv4Network | None:
        try:
            net = ipaddress.ip_network(value, strict=True)
        except ValueError:
            try:
                loose = ipaddress.ip_network(value, strict=False)
            except ValueError:
                self.add(field, "val.net_form", value=value)
            else:
                self.add(field, "val.net_host_bits", value=value, net=loose)
            return None
        if net.version != 4 or net.prefixlen > 30:
            self.add(field, "val.net_small", value=value)
            return None
        return net

    def address(self, field: str, value: str, net: ipaddress.IPv4Network | None,
                net_field: str) -> ipaddress.IPv4Address | None:
        try:
            addr = ipaddress.ip_address(value)
        except ValueError:
            self.add(field, "val.not_ipv4", value=value)
            return None
        if addr.version != 4:
            self.add(field, "val.not_ipv4", value=value)
            return None
        if net is not None:
            if addr not in net:
                self.add(field, "val.outside", value=value, other=self.label(net_field), net=net)
            elif addr in (net.network_address, net.broadcast_address):
                self.add(field, "val.net_or_broadcast", value=value, net=net)
        return addr

    def ifname(self, field: str, value: str) -> None:
        self._rule(field, ifname_problem(value))

    def vbox_name(self, field: str, value: str) -> None:
        self._rule(field, vbox_name_problem(value))

    def _rule(self, field: str, problem: tuple[str, dict] | None) -> None:
        if problem is not None:
            key, values = problem
            self.add(field, key, **values)

    def hostname(self, field: str, value: str) -> None:
        if not _HOST_LABEL.match(value or ""):
            self.add(field, "val.hostname", value=value)

    def mac(self, field: str, value: str) -> str | None:
        if not _MAC.match(value or ""):
            self.add(field, "val.mac", value=value)
            return None
        plain = mac_plain(value)
        if int(plain[:2], 16) & 1:
            self.add(field, "val.mac_multicast", value=value)
        return plain

    def port(self, field: str, value: int) -> None:
        if not 1 <= value <= 65535:
            self.add(field, "val.port", value=value)


def validate(answers: Answers) -> list[Problem]:
    """Every problem found, in field order; an empty list means the answers can be used."""
    c = _Collector(answers)
    if answers.profile not in PROFILES:
        c.add("profile", "val.profile", value=answers.profile, choices=", ".join(PROFILES))
    if not _CLUSTER_NAME.match(answers.cluster_name):
        c.add("cluster_name", "val.cluster_name", value=answers.cluster_name)
    c.vbox_name("snapshot_name", answers.snapshot_name)
    if not all(_HOST_LABEL.match(label) for label in answers.domain.split(".")):
        c.add("domain", "val.domain", value=answers.domain)
    if not _USER.match(answers.ssh_user):
        c.add("ssh_user", "val.user", value=answers.ssh_user)
    c.port("ssh_port", answers.ssh_port)
    for name in ("bench_requests", "bench_concurrency", "pi_intervals"):
        if getattr(answers, name) < 1:
            c.add(name, "val.at_least_1", value=getattr(answers, name))
    if answers.bench_concurrency > answers.bench_requests:
        c.add("bench_concurrency", "val.concurrency", value=answers.bench_concurrency,
              total=answers.bench_requests, other=c.label("bench_requests"))

    nets = {key: c.network(f"networks.{key}", getattr(answers.networks, key))
            for key in ("external", "internal", "heartbeat")}
    known = [(k, n) for k, n in nets.items() if n is not None]
    for i, (k1, n1) in enumerate(known):
        for k2, n2 in known[i + 1:]:
            if n1.overlaps(n2):
                c.add(f"networks.{k2}", "val.overlap", value=n2, other=c.label(f"networks.{k1}"), net=n1)
    c.address("networks.external_gateway", answers.networks.external_gateway, nets["external"], "networks.external")
    c.address("networks.dns", answers.networks.dns, None, "")

    # Every real address, to find clashes; VIPs must match none of them.
    owners: dict[str, list[str]] = defaultdict(list)
    owners[answers.networks.external_gateway].append("networks.external_gateway")

    if len(answers.directors) != 2:
        c.add("directors", "val.two_directors", n=len(answers.directors))
    if not answers.servers:
        c.add("servers", "val.one_server")

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
                c.add(f"{f}.{key}_if", "val.if_twice", value=ifname, other=c.label(f"{f}.{ifs[ifname]}_if"))
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
            c.add(f"vip.{key}", "val.vip_taken", value=vip, other=c.label(owners[vip][0]))

    for addr, fields in owners.items():
        for other in fields[1:]:
            c.add(other, "val.addr_taken", value=addr, other=c.label(fields[0]))
    for name, fields in names.items():
        for other in fields[1:]:
            c.add(other, "val.name_taken", value=name, other=c.label(fields[0]))
    for vm, fields in vms.items():
        for other in fields[1:]:
            c.add(other, "val.vm_taken", value=vm, other=c.label(fields[0]))

    vb = answers.virtualbox
    for key in ("natnetwork", "heartbeat_network", "internal_network"):
        c.vbox_name(f"virtualbox.{key}", getattr(vb, key))
    if vb.nic_type not in NIC_TYPES:
        c.add("virtualbox.nic_type", "val.nic_type", value=vb.nic_type, choices=", ".join(NIC_TYPES))
    c.port("virtualbox.host_port", vb.host_port)
    if len(vb.standby_macs) != 3:
        c.add("virtualbox.standby_macs", "val.three_macs", n=len(vb.standby_macs))
    for j, mac in enumerate(vb.standby_macs):
        plain = c.mac(f"virtualbox.standby_macs[{j}]", mac)
        if plain is None:
            continue
        # NIC 3 of the standby is its heartbeat NIC: the same card, so the same MAC is expected there.
        if j == 2 and len(answers.directors) == 2:
            hb = answers.directors[1].heartbeat_mac
            if _MAC.match(hb) and mac_plain(hb) != plain:
                c.add(f"virtualbox.standby_macs[{j}]", "val.mac3", value=mac,
                      other=c.label("directors[1].heartbeat_mac"), hb=hb)
            continue
        macs[plain].append(f"virtualbox.standby_macs[{j}]")
    for mac, fields in macs.items():
        for other in fields[1:]:
            c.add(other, "val.mac_taken", value=mac, other=c.label(fields[0]))
    # How the wizard reaches each node (port forwards, direct addresses): wizard/base/reach.py.
    from wizard.base.reach import reach_problems

    for field_path, key, values in reach_problems(answers):
        if "other" in values:  # another field, named as the inventory shows it
            values = {**values, "other": c.label(str(values["other"]))}
        c.add(field_path, key, **values)
    return c.problems


def problems_for(problems: list[Problem], prefix: str) -> list[Problem]:
    """The problems of one field (or of a table of fields), for showing next to it."""
    return [p for p in problems if p.field == prefix or p.field.startswith((prefix + ".", prefix + "["))]
