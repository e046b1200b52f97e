"""How the wizard reaches each node: a NAT port forward on this machine, a direct address, or a jump.

The answers hold, per node, `ssh_host` and `ssh_port`:
- a director whose `ssh_host` is this machine's loopback (127.0.0.1, the default) is reached through a
  VirtualBox NAT-network port forward `127.0.0.1:ssh_port -> external_ip:22` that the wizard creates
  (steps/access.py) — the only way into a NAT network from its host, as the guide reaches the web page;
- any other `ssh_host` (or an empty one: the director's external address) is dialled directly, for a
  machine that does reach the guests (a host-only adapter, a bridged network, the lab's --host-link);
- real servers live on the internal network only: they are reached through a director (ProxyJump),
  which dials `ssh_host` (empty: the server's internal address).
`ssh_port` 0 means the answers' `ssh_port` (the guests' sshd port, 22).

Pure functions over answers; the engine (`wizard.run.engine.Connections`), the steps (`steps/access.py`)
and the screens ask here rather than computing addresses themselves.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from wizard.base.answers import Answers, Director

FORWARD_HOST = "localhost"  # where the guide opens its web forward (http://localhost:5280)
FIRST_FORWARD_PORT = 2201  # master 2201, standby 2202: the guide's later forwards use 5280 (web)
LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """This machine itself: a NAT port forward listens there."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_address(text: str) -> tuple[str, int | None]:
    """`127.0.0.1:2201` -> ("127.0.0.1", 2201); `192.168.1.101` -> ("192.168.1.101", None)."""
    host, sep, port = text.rpartition(":")
    if sep and host and ":" not in host and port.isdigit():
        return host, int(port)
    return text, None


def join_address(host: str, port: int | None) -> str:
    return f"{host}:{port}" if port else host


@dataclass(frozen=True)
class Reach:
    """How one node is reached. `kind`: "forward" (a port forward on this machine), "direct", "jump"."""

    node: str
    kind: str
    host: str  # what is dialled (for "jump": what the director dials)
    port: int
    guest_ip: str = ""  # forward: where the forward leads
    guest_port: int = 0
    rule_name: str = ""  # forward: the NAT network rule's name
    jump: tuple[str, ...] = ()  # jump: the directors tried, in order

    @property
    def address(self) -> str:
        """What the engine dials, as `host[:port]` (port shown when it is not 22)."""
        return join_address(self.host, self.port if self.port != 22 else None)

    @property
    def rule(self) -> str:
        """VBoxManage's `--port-forward-4` rule (forward only)."""
        return f"{self.rule_name}:tcp:[{self.host}]:{self.port}:[{self.guest_ip}]:{self.guest_port}"


def forward_rule_name(director: Director) -> str:
    return f"ssh-{director.name}"


def reach(answers: Answers, node: str) -> Reach:
    """How the wizard reaches `node` (a director or server name). KeyError for an unknown node."""
    host_obj = answers.node(node)
    if isinstance(host_obj, Director):
        d = host_obj
        host = d.ssh_host or d.external_ip
        if is_loopback(host):
            return Reach(node, "forward", host, d.ssh_port or answers.ssh_port, d.external_ip, answers.ssh_port,
                         forward_rule_name(d))
        return Reach(node, "direct", host, d.ssh_port or answers.ssh_port)
    s = host_obj
    return Reach(node, "jump", s.ssh_host or s.ip, s.ssh_port or answers.ssh_port,
                 jump=tuple(d.name for d in answers.directors))


def forwards(answers: Answers) -> list[Reach]:
    """The port forwards the wizard makes on this machine (directors reached through one)."""
    out = []
    for d in answers.directors:
        r = reach(answers, d.name)
        if r.kind == "forward":
            out.append(r)
    return out


def web_forward_host(answers: Answers) -> str:
    """Where this machine opens the NAT network's web forward (`[]:host_port -> VIP:80`): `localhost`, as
    the guide does, unless the directors' own forwards listen on another loopback address (a lab instance
    of its own, 127.0.0.2, ...): then that one, where the same NAT engine listens."""
    for d in answers.directors:
        host = d.ssh_host
        if host and is_loopback(host) and host.lower() not in LOOPBACK_NAMES and host != "127.0.0.1":
            return host
    return FORWARD_HOST


def describe(answers: Answers, node: str, lang: str = "en") -> str:
    """One line for the inventory's connection check: which way the node is reached."""
    from wizard.base.i18n import t

    r = reach(answers, node)
    if r.kind == "forward":
        return t("reach.forward", lang, host=r.host, port=r.port, guest=r.guest_ip, guest_port=r.guest_port,
                 network=answers.virtualbox.natnetwork)
    if r.kind == "direct":
        return t("reach.direct", lang, host=r.host, port=r.port)
    return t("reach.jump", lang, directors=", ".join(r.jump), host=r.host, port=r.port)


_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")


def reach_problems(answers: Answers) -> list[tuple[str, str, dict[str, object]]]:
    """Problems of the endpoint answers as (field, catalogue key, values); wizard.base.validation words them."""
    out: list[tuple[str, str, dict[str, object]]] = []
    used: dict[tuple[str, int], str] = {}
    for i, d in enumerate(answers.directors):
        f = f"directors[{i}]"
        out += _host_port_problems(f, d.ssh_host, d.ssh_port)
        if d.ssh_host and is_loopback(d.ssh_host):
            port = d.ssh_port or answers.ssh_port
            if not d.ssh_port or port == 22:
                out.append((f"{f}.ssh_port", "val.forward_port", {"host": d.ssh_host}))
                continue
            if port == answers.virtualbox.host_port:
                out.append((f"{f}.ssh_port", "val.port_used", {"port": port, "other": "virtualbox.host_port"}))
            key = (d.ssh_host, port)  # each forward listens on its own address: 127.0.0.2:X is not 127.0.0.1:X
            if key in used:
                out.append((f"{f}.ssh_port", "val.port_used", {"port": port, "other": used[key]}))
            used.setdefault(key, f"{f}.ssh_port")
    for i, s in enumerate(answers.servers):
        f = f"servers[{i}]"
        out += _host_port_problems(f, s.ssh_host, s.ssh_port)
        if s.ssh_host and is_loopback(s.ssh_host):
            out.append((f"{f}.ssh_host", "val.server_loopback", {"host": s.ssh_host}))
    return out


def _host_port_problems(f: str, host: str, port: int) -> list[tuple[str, str, dict[str, object]]]:
    out: list[tuple[str, str, dict[str, object]]] = []
    if host and not _is_address(host) and not _HOSTNAME.match(host):
        out.append((f"{f}.ssh_host", "val.ssh_host", {"value": host}))
    if port and not 1 <= port <= 65535:
        out.append((f"{f}.ssh_port", "val.ssh_port", {"value": port}))
    return out


def _is_address(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 4
    except ValueError:
        return False
