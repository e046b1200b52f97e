"""NAT network port forwards (VBoxManage natnetwork modify --port-forward-4), as VirtualBox's NAT engine does them.

A rule `name:tcp:[HOSTIP]:HOSTPORT:[GUESTIP]:GUESTPORT` makes this machine listen on HOSTPORT and connect
to GUESTIP:GUESTPORT from *inside* the NAT network: the listening socket is bound here, in the root
namespace, and handed to a forwarder process that runs in the lab's bridges namespace, where it connects
from the NAT gateway's address — as VirtualBox's NAT engine does. Nothing in the root namespace itself can
reach the NAT network. Rule names are unique per NAT network, and so is a host address and port.

A lab instance listens on its own loopback address only (`Lab.address`: 127.0.0.1 for the default
instance, 127.0.0.2, ... for others): `[]` (VirtualBox: every host interface) and `[127.0.0.1]` both mean
that address, so a lab never exposes its hosts to the machine's own network, the guide's rules work
unchanged on every instance, and two instances can forward the same port each.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import subprocess
import time

from lab.base import GUEST, SYSTEM_PYTHON, LabError

# VBoxManage's own words (NATNetworkImpl.cpp, VBoxManageNATNetwork.cpp).
RULE_EXISTS = "VBoxManage: error: A NAT rule of this name already exists"
PORT_EXISTS = "VBoxManage: error: A NAT rule for this host port and this host IP already exists"
_RULE = re.compile(r"([^:]*):(tcp|udp|TCP|UDP):\[([^\]]*)\]:(\d+):\[([^\]]*)\]:(\d+)")
NAME_MAX = 64  # VBoxManage's PF_NAMELEN


def parse_rule(rule: str) -> dict:
    """`name:tcp:[hostip]:hostport:[guestip]:guestport` -> its parts; VBoxManage's error when malformed."""
    m = _RULE.fullmatch(rule)
    if not m:
        raise LabError(f"VBoxManage: error: Invalid port-forward rule {rule}")
    name, proto, hip, hport, gip, gport = m.groups()
    ports_ok = 0 < int(hport) < 65536 and 0 < int(gport) < 65536
    try:
        for ip in (hip, gip):
            if ip:
                ipaddress.IPv4Address(ip)
    except ValueError:
        ports_ok = False
    if not ports_ok or len(name) > NAME_MAX:
        raise LabError(f"VBoxManage: error: Invalid port-forward rule {rule}")
    return {"name": name, "proto": proto.lower(), "host_ip": hip, "host_port": int(hport), "guest_ip": gip,
            "guest_port": int(gport)}


class PortForwards:
    """Port forwards from this machine into the NAT network (a mixin of lab.core.Lab)."""

    def listen_address(self, host_ip: str) -> str:
        """Where a rule's host side listens: `[]` and `[127.0.0.1]` mean the instance's own address."""
        if not host_ip or host_ip == "127.0.0.1" or host_ip == self.address:
            return self.address
        if ipaddress.ip_address(host_ip).is_loopback:
            raise LabError(f"lab instance {self.name!r} listens on {self.address} only: use [], [127.0.0.1] or "
                           f"[{self.address}], not [{host_ip}]")
        raise LabError(f"the lab listens on this machine's loopback only: use [] or [{self.address}], not "
                       f"[{host_ip}]")

    def add_forward(self, network: str, rule: str) -> None:
        parts = parse_rule(rule)
        if parts["proto"] != "tcp":
            raise LabError("the lab's stand-in forwards tcp only")
        listen_ip = self.listen_address(parts["host_ip"])
        if not parts["guest_ip"]:
            raise LabError("the lab's stand-in needs the guest address in the rule ([GUESTIP])")
        name = parts["name"] or f"tcp_[{parts['host_ip']}]%{parts['host_port']}_[{parts['guest_ip']}]%" \
                                f"{parts['guest_port']}"
        data = self._lab_state()
        forwards = data.setdefault("forwards", {})
        for fwd in forwards.values():
            if fwd["network"] != network:
                continue
            if fwd["name"] == name:
                raise LabError(RULE_EXISTS)
            # [] and [127.0.0.1] are one address here (the instance's own).
            if self.listen_address(fwd["host_ip"]) == listen_ip and fwd["host_port"] == parts["host_port"]:
                raise LabError(PORT_EXISTS)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((listen_ip, parts["host_port"]))
            sock.listen(128)
        except OSError as exc:
            sock.close()
            raise LabError(f"port forward {name}: cannot listen on {listen_ip}:{parts['host_port']} "
                           f"({exc.strerror or exc}): another program uses that port of this machine") from None
        key = f"{network}/{name}"
        folder = self.run_dir / "forwards"
        folder.mkdir(parents=True, exist_ok=True)
        log_path = self.state_dir / f"forward-{len(forwards)}-{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.log"
        # `--lab NAME` right after the script: how `down` tells this instance's forwarders from others'.
        argv = [*self.on_nat_network_argv(), SYSTEM_PYTHON, "-I", str(GUEST / "forward.py"), "--lab", self.name,
                "--listen-fd", str(sock.fileno()), parts["guest_ip"], str(parts["guest_port"])]
        if self.nat_gateway:
            argv[-2:-2] = ["--source", self.nat_gateway]
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    pass_fds=(sock.fileno(),), start_new_session=True)
        sock.close()  # the forwarder holds it now
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LabError(f"port forward {name}: the forwarder stopped (see {log_path})")
            if log_path.read_text(errors="replace").rstrip().endswith("listening"):
                break
            time.sleep(0.02)
        (folder / f"{proc.pid}.pid").write_text(f"{proc.pid}\n")
        data["forwards"][key] = {"network": network, "rule": rule, "pid": proc.pid, **parts, "name": name}
        self._save_lab_state(data)
        self.write_known_hosts()

    def delete_forward(self, network: str, name: str) -> None:
        data = self._lab_state()
        fwd = data.get("forwards", {}).pop(f"{network}/{name}", None)
        if fwd is None:
            raise LabError("VBoxManage: error: Failed to delete port forwarding")
        self._kill_pidfile(self.run_dir / "forwards" / f"{fwd['pid']}.pid")
        self._save_lab_state(data)
        self.write_known_hosts()

    def forwards(self, network: str | None = None) -> dict[str, dict]:
        """Rule name -> rule (of one NAT network, or of all: then keyed NETWORK/NAME)."""
        every = self._lab_state().get("forwards", {})
        if network is None:
            return dict(every)
        return {f["name"]: f for f in every.values() if f["network"] == network}

    def forwards_to(self, ip: str, port: int) -> list[tuple[str, int]]:
        """(host ip, host port) of every forward leading to ip:port (known_hosts names them)."""
        return [(self.listen_address(f["host_ip"]), f["host_port"]) for f in self.forwards().values()
                if f["guest_ip"] == ip and f["guest_port"] == port]

    def nat_networks(self) -> list[str]:
        """The NAT networks of the lab (the one of the answers from `lab up`, more if a NIC names another)."""
        return [key.split(":", 1)[1] for key in self._lab_state().get("bridges", {}) if key.startswith("natnetwork:")]


__all__ = ["PortForwards", "parse_rule"]
