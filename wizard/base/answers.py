"""Every value the guide uses, with the guide's values as defaults, and their TOML form.

The TOML key names are a contract with users' answer files: rename nothing here.
Secrets (the hacluster password, SSH passwords) are deliberately *not* answers: they
never reach an answers file, a state file or a transcript.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from wizard.base.i18n import LocalizedError, msg

PROFILES = ("rhel7", "rhel8", "rhel9", "rhel10", "debian12", "debian13", "lab")


class AnswersError(LocalizedError, ValueError):
    """An answers file that cannot be read; the message names the field."""


@dataclass
class Networks:
    external: str = "192.168.1.0/24"
    internal: str = "10.0.100.0/24"
    heartbeat: str = "10.0.200.0/24"
    external_gateway: str = "192.168.1.1"
    dns: str = "192.168.1.1"


@dataclass
class Vip:
    external: str = "192.168.1.200"
    internal: str = "10.0.100.200"


@dataclass
class Director:
    name: str
    ring_name: str
    vm: str
    external_ip: str
    internal_ip: str
    heartbeat_ip: str
    heartbeat_mac: str
    aliases: list[str] = field(default_factory=list)
    external_if: str = "enp0s3"
    internal_if: str = "enp0s8"
    heartbeat_if: str = "enp0s9"
    # How the wizard reaches the node (wizard/base/reach.py): this machine's loopback = through a NAT port
    # forward ssh_host:ssh_port -> external_ip:22 that the wizard makes; any other address = directly;
    # empty = directly at external_ip. ssh_port 0 = the answers' ssh_port.
    ssh_host: str = ""
    ssh_port: int = 0

    @property
    def address(self) -> str:
        """Where the wizard dials it: `host` or `host:port`."""
        return f"{self.ssh_host or self.external_ip}" + (f":{self.ssh_port}" if self.ssh_port else "")


@dataclass
class Server:
    name: str
    vm: str
    ip: str
    ifname: str = "enp0s3"
    # Real servers live on the internal network only: the wizard reaches them through
    # a director (ProxyJump). Empty ssh_host means their internal address; ssh_port 0 the answers' ssh_port.
    ssh_host: str = ""
    ssh_port: int = 0

    @property
    def address(self) -> str:
        """What the director dials: `host` or `host:port`."""
        return f"{self.ssh_host or self.ip}" + (f":{self.ssh_port}" if self.ssh_port else "")


@dataclass
class VirtualBox:
    natnetwork: str = "red-nat-1"
    heartbeat_network: str = "latido"
    internal_network: str = "intnet"
    nic_type: str = "82545EM"
    host_port: int = 5280
    # The VBoxManage program the host steps run; empty: found on PATH or where VirtualBox installs it.
    vboxmanage: str = ""
    # MACs of the standby clone's NICs 1..3 (the first two come from the course's MAC plan).
    standby_macs: list[str] = field(
        default_factory=lambda: ["080027010102", "080027010202", "08:00:27:01:01:C2"]
    )


def _default_directors() -> list[Director]:
    return [
        Director(
            name="master", aliases=["cluster1"], ring_name="master-cr", vm="master",
            external_ip="192.168.1.101", internal_ip="10.0.100.1",
            heartbeat_ip="10.0.200.1", heartbeat_mac="08:00:27:01:01:C1",
            # The guests live on a NAT network: the wizard reaches them through port forwards it makes.
            ssh_host="127.0.0.1", ssh_port=2201,
        ),
        Director(
            name="standby", aliases=[], ring_name="standby-cr", vm="standby",
            external_ip="192.168.1.102", internal_ip="10.0.100.2",
            heartbeat_ip="10.0.200.2", heartbeat_mac="08:00:27:01:01:C2",
            ssh_host="127.0.0.1", ssh_port=2202,
        ),
    ]


def _default_servers() -> list[Server]:
    return [Server(name=f"cluster{n}", vm=f"cluster{n}", ip=f"10.0.100.1{n}") for n in (2, 3, 4)]


@dataclass
class Answers:
    profile: str = "rhel7"
    cluster_name: str = "cluster_lb"
    snapshot_name: str = "preHA"
    domain: str = "cluster"
    ssh_user: str = "root"
    ssh_port: int = 22
    # A private key and a known_hosts file to use for every node (paths on this machine; empty: none).
    # `--identity` / `--known-hosts` replace them for one run. The lab's answers name the lab's own.
    ssh_identity: str = ""
    ssh_known_hosts: str = ""
    # Verification benchmark sizes (the guide's ab -n 100 -c 10, pi.php?n=1000000).
    bench_requests: int = 100
    bench_concurrency: int = 10
    pi_intervals: int = 1000000
    networks: Networks = field(default_factory=Networks)
    vip: Vip = field(default_factory=Vip)
    directors: list[Director] = field(default_factory=_default_directors)
    servers: list[Server] = field(default_factory=_default_servers)
    virtualbox: VirtualBox = field(default_factory=VirtualBox)

    # -- convenience views used by the steps -------------------------------------------
    @property
    def master(self) -> Director:
        return self.directors[0]

    @property
    def standby(self) -> Director:
        return self.directors[1]

    def node(self, name: str) -> Director | Server:
        for host in [*self.directors, *self.servers]:
            if host.name == name:
                return host
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_SECTIONS: dict[str, type] = {"networks": Networks, "vip": Vip, "virtualbox": VirtualBox}
_LISTS: dict[str, type] = {"directors": Director, "servers": Server}


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise AnswersError(msg("ans.table", where=where, got=type(data).__name__))
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise AnswersError(msg("ans.unknown_key", where=f"{where}.{unknown[0]}"))
    kwargs = {}
    for key, value in data.items():
        kwargs[key] = _coerce(known[key], value, f"{where}.{key}")
    try:
        return cls(**kwargs)
    except TypeError as exc:
        missing = [f.name for f in dataclasses.fields(cls)
                   if f.name not in data and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        raise AnswersError(msg("ans.missing", where=f"{where}.{missing[0] if missing else '?'}", error=exc)) from None


def _coerce(f: dataclasses.Field, value: Any, where: str) -> Any:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise AnswersError(msg("ans.int", where=where, value=repr(value)))
        return value
    if kind == "str":
        if not isinstance(value, str):
            raise AnswersError(msg("ans.str", where=where, value=repr(value)))
        return value
    if kind.startswith("list[str]"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise AnswersError(msg("ans.list", where=where, value=repr(value)))
        return list(value)
    return value


def answers_from_dict(data: dict[str, Any]) -> Answers:
    """Build answers from a TOML-shaped dict; missing keys take the guide's defaults."""
    base = Answers()
    known = {f.name for f in dataclasses.fields(Answers)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise AnswersError(msg("ans.unknown_key", where=unknown[0]))
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(Answers):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name in _SECTIONS:
            merged = {**dataclasses.asdict(getattr(base, f.name)), **(value if isinstance(value, dict) else {})}
            if not isinstance(value, dict):
                raise AnswersError(msg("ans.table", where=f.name, got="?"))
            kwargs[f.name] = _build(_SECTIONS[f.name], merged, f.name)
        elif f.name in _LISTS:
            if not isinstance(value, list):
                raise AnswersError(msg("ans.array", where=f.name))
            kwargs[f.name] = [_build(_LISTS[f.name], item, f"{f.name}[{i}]") for i, item in enumerate(value)]
        else:
            kwargs[f.name] = _coerce(f, value, f.name)
    return dataclasses.replace(base, **kwargs)


def load_answers(path: str | Path) -> Answers:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AnswersError(msg("ans.file", path=path, error=exc.strerror or exc)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AnswersError(msg("ans.toml", path=path, error=exc)) from None
    return answers_from_dict(data)


_COMMENTS = {
    "profile": "rhel7 (the guide: CentOS 7) | rhel8 | rhel9 | rhel10 | debian12 | debian13 | lab (ha-wizard lab)",
    "directors": "the first is the active one (the guide's master), the second the passive one (standby)",
    "servers": "the web farm, any number from 1",
    "ssh_identity": "a private key for every node (empty: yours, your agent's, the wizard's own)",
    "ssh_known_hosts": "a known_hosts file trusted besides yours and the wizard's (empty: none)",
}


def dumps_answers(answers: Answers) -> str:
    """TOML with `[table]` / `[[array]]` sections (tomli_w alone inlines short arrays of tables)."""
    data = answers.to_dict()
    lines: list[str] = ["# ha-wizard answers: every value the guide uses (secrets are never stored here)"]

    def scalars(table: dict[str, Any]) -> None:
        for key, value in table.items():
            if not isinstance(value, dict) and not (isinstance(value, list) and value and isinstance(value[0], dict)):
                comment = f"  # {_COMMENTS[key]}" if key in _COMMENTS else ""
                lines.append(tomli_w.dumps({key: value}).rstrip("\n") + comment)

    scalars(data)
    for key, value in data.items():
        if isinstance(value, dict):
            lines += ["", f"[{key}]"]
            scalars(value)
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for i, item in enumerate(value):
                comment = f"  # {_COMMENTS[key]}" if i == 0 and key in _COMMENTS else ""
                lines += ["", f"[[{key}]]{comment}"]
                scalars(item)
    return "\n".join(lines) + "\n"


def save_answers(answers: Answers, path: str | Path) -> None:
    Path(path).write_text(dumps_answers(answers), encoding="utf-8")


def mac_colon(mac: str) -> str:
    """`0800270101c1` or `08:00:27:01:01:c1` -> `08:00:27:01:01:C1` (the form Linux shows)."""
    plain = mac_plain(mac)
    return ":".join(plain[i:i + 2] for i in range(0, 12, 2))


def mac_plain(mac: str) -> str:
    """Any accepted MAC spelling -> `0800270101C1` (the form VBoxManage takes)."""
    return mac.replace(":", "").replace("-", "").upper()
