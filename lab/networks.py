"""The lab's networks: one bridge per VirtualBox network in the instance's bridges namespace, cables, the root link."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from lab.base import LabError, _run
from lab.instances import netns_add


class Networks:
    """Bridges, NIC cables and the machine's own place on the external network (a mixin of lab.core.Lab)."""

    @property
    def root_address(self) -> str:
        """The root namespace's address on the external network: its highest host address no answer uses."""
        a = self.answers
        used = {a.vip.external, a.networks.external_gateway, a.networks.dns}
        used |= {d.external_ip for d in a.directors}
        net = self.external_net
        for candidate in range(int(net.broadcast_address) - 1, int(net.network_address), -1):
            ip = str(ipaddress.ip_address(candidate))
            if ip not in used:
                return ip
        raise LabError(f"networks.external {net}: no free address for the machine running the lab")

    def _check_root_routes(self) -> None:
        """Refuse to shadow a network the machine already uses: the lab must change nothing else."""
        net = self.external_net
        res = _run(["ip", "-4", "-o", "route", "show", "table", "all"], check=False)
        for line in res.stdout.splitlines():
            dest = line.split()[0]
            if dest in ("default", "local", "broadcast", "unreachable", "multicast") or self.root_link in line.split():
                continue
            try:
                other = ipaddress.ip_network(dest, strict=False)
            except ValueError:
                continue
            if other.overlaps(net) and other.prefixlen > 0 and not other.is_loopback:
                raise LabError(f"networks.external {net} overlaps a route of this machine ({line.strip()}); "
                               "choose another external network in the answers")

    @property
    def host_link(self) -> bool:
        """True when this machine has an address in the external network (`lab up --host-link`)."""
        return bool(self._lab_state().get("host_link"))

    def _make_networks(self, host_link: bool) -> None:
        """The bridges' namespace and the NAT network's bridge with its gateway; with `host_link`, the
        machine's own veth and address on it (else nothing at all changes in the root namespace)."""
        netns_add(self.bridge_ns)
        _run(["ip", "-n", self.bridge_ns, "link", "set", "lo", "up"])
        ext = self._bridge("natnetwork", self.answers.virtualbox.natnetwork)
        # VirtualBox's NAT network has its gateway (and DNS proxy) at networks.external_gateway: the lab
        # gives that address to the bridge, so it answers pings and port-forwarded connections come from it
        # (as from VirtualBox's NAT engine); it leads nowhere (no way out of the lab).
        if self.nat_gateway:
            _run(["ip", "-n", self.bridge_ns, "addr", "add", f"{self.nat_gateway}/{self.external_net.prefixlen}",
                  "dev", ext])
        if host_link:
            # Made from inside the bridges' namespace: the link is born there (no name of the root
            # namespace taken, even for a moment, but the one it ends with) and its end moves out.
            link = self.root_link
            _run(["ip", "-n", self.bridge_ns, "link", "add", "root0", "type", "veth", "peer", "name", link,
                  "netns", str(os.getpid())])  # this process is still in the machine's namespace
            _run(["ip", "-n", self.bridge_ns, "link", "set", "root0", "master", ext, "up"])
            _run(["ip", "addr", "add", f"{self.root_address}/{self.external_net.prefixlen}", "dev", link])
            _run(["ip", "link", "set", link, "up"])

    @property
    def nat_gateway(self) -> str:
        """The NAT network's gateway address (on its bridge), or "" when the answers put it elsewhere."""
        gateway = self.answers.networks.external_gateway
        try:
            return gateway if gateway and ipaddress.ip_address(gateway) in self.external_net else ""
        except ValueError:
            return ""

    def on_nat_network_argv(self) -> list[str]:
        """A command prefix that runs a program on the NAT network itself (its bridges' namespace, from the
        gateway's address): as another machine of that network would, for tests and the lab's own ssh."""
        if not Path(f"/run/netns/{self.bridge_ns}").exists():
            raise LabError("the lab is not up (run `ha-wizard lab up`)")
        return ["ip", "netns", "exec", self.bridge_ns]

    # -- networks -------------------------------------------------------------------------------------
    def _bridge(self, kind: str, network: str) -> str:
        """The bridge (in namespace hawl-net) of VirtualBox network `kind:network`, made on first use."""
        data = self._lab_state()
        key = f"{kind}:{network}"
        name = data["bridges"].get(key)
        if name is None:
            name = f"br{len(data['bridges'])}"
            data["bridges"][key] = name
            self._save_lab_state(data)
        if not Path(f"/run/netns/{self.bridge_ns}").exists():
            raise LabError("the lab is not up (run `ha-wizard lab up`)")
        if _run(["ip", "-n", self.bridge_ns, "link", "show", name], check=False).returncode != 0:
            _run(["ip", "-n", self.bridge_ns, "link", "add", name, "type", "bridge", "forward_delay", "0"])
            _run(["ip", "-n", self.bridge_ns, "link", "set", name, "up"])
        return name

    def _peer(self, vm: str, n: int) -> str:
        return f"v{self.vm_config(vm)['index']}n{n}"

    def _nic_by_ifname(self, vm: str, ifname: str) -> int:
        for n, nic in self.nics(vm).items():
            if nic.ifname == ifname:
                return n
        raise LabError(f"{vm} has no interface {ifname} (has: {', '.join(n.ifname for n in self.nics(vm).values())})")

    def set_cable(self, vm: str, n: int, connected: bool) -> None:
        config = self.vm_config(vm)
        if str(n) not in config["nics"]:
            raise LabError(f"{vm} has no NIC {n}")
        config["nics"][str(n)]["cable"] = connected
        self.save_vm_config(vm, config)
        if self.running(vm):
            _run(["ip", "-n", self.bridge_ns, "link", "set", self._peer(vm, n), "up" if connected else "down"])

    def unplug(self, host: str, ifname: str) -> None:
        """Pull the cable of `ifname` (the bridge side of the link goes down: the host sees NO-CARRIER)."""
        vm = self.resolve(host)
        self.set_cable(vm, self._nic_by_ifname(vm, ifname), False)

    def plug(self, host: str, ifname: str) -> None:
        vm = self.resolve(host)
        self.set_cable(vm, self._nic_by_ifname(vm, ifname), True)

