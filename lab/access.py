"""SSH from the machine into the hosts: the lab's client key, every host's key, known_hosts, ssh command lines."""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
from pathlib import Path

from lab.base import LabError, _run


class SSHAccess:
    """The lab's key, host keys and known_hosts, and ssh command lines (a mixin of lab.core.Lab)."""

    # -- paths and names ------------------------------------------------------------------------------
    @property
    def key_path(self) -> Path:
        return self.state_dir / "id_ed25519"

    @property
    def known_hosts_path(self) -> Path:
        return self.state_dir / "known_hosts"

    # -- keys -----------------------------------------------------------------------------------------
    def _host_key(self, vm: str) -> str | None:
        for layer in (self.hostdir(vm) / "disk/etc/ssh", Path("/etc/ssh")):
            pub = layer / "ssh_host_ed25519_key.pub"
            if pub.is_file():
                return pub.read_text().split()[0] + " " + pub.read_text().split()[1]
        return None

    def host_fingerprints(self) -> dict[str, str]:
        """VM name -> SHA256 fingerprint of its ed25519 host key (as `ssh-keygen -l` prints it)."""
        out = {}
        for vm in self.vms():
            pub = self.hostdir(vm) / "disk/etc/ssh/ssh_host_ed25519_key.pub"
            if pub.is_file():
                res = _run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(pub)], check=False)
                if res.returncode == 0:
                    out[vm] = res.stdout.split()[1]
        return out

    def _configured_addresses(self, vm: str) -> list[str]:
        addrs = []
        folder = self.hostdir(vm) / "disk/etc/network/interfaces.d"
        for f in sorted(folder.glob("*")) if folder.is_dir() else []:
            try:
                for m in re.finditer(r"^\s*address\s+([0-9.]+)", f.read_text(), re.M):
                    addrs.append(m.group(1))
            except OSError:
                pass
        return addrs

    def _names_of(self, vm: str) -> list[str]:
        a = self.answers
        names: list[str] = []
        dom = f".{a.domain}" if a.domain else ""
        for d in a.directors:
            if d.vm == vm:
                names += [d.name, f"{d.name}{dom}", *d.aliases, d.ring_name, d.external_ip, d.internal_ip,
                          d.heartbeat_ip]
        for s in a.servers:
            if s.vm == vm:
                names += [s.name, f"{s.name}{dom}", s.ip]
        return names

    def write_known_hosts(self) -> Path:
        """OpenSSH known_hosts for every VM: its answers names and addresses, plus what its disk configures."""
        lines = []
        for vm in self.vms():
            key = self._host_key(vm)
            if not key:
                continue
            names = []
            addresses = [*self._names_of(vm), *self._configured_addresses(vm)]
            # Port forwards to this VM's SSH: known_hosts names them [127.0.0.1]:PORT, as ssh dials them.
            forwarded = [f"[{ip}]:{port}" for addr in dict.fromkeys(addresses)
                         for ip, port in self.forwards_to(addr, 22)]
            for n in [*addresses, *forwarded]:
                if n and n not in names:
                    names.append(n)
            lines.append(f"{','.join(names)} {key}")
        tmp = self.known_hosts_path.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n")
        os.replace(tmp, self.known_hosts_path)
        return self.known_hosts_path

    def ssh_argv(self, host: str, address: str | None = None) -> list[str]:
        """An OpenSSH command reaching `host` (ProxyJump through a director for the real servers, which live
        on the internal network only). In NAT mode (no host link) ssh runs on the NAT network itself, as
        from another machine there; with `--host-link`, from this machine."""
        vm = self.resolve(host)
        a = self.answers
        opts = ["-i", str(self.key_path), "-o", f"UserKnownHostsFile={self.known_hosts_path}",
                "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5"]
        target = address
        jump = None
        for d in a.directors:
            if d.vm == vm:
                target = target or d.external_ip
        for s in a.servers:
            if s.vm == vm:
                target = target or s.ip
        if target is None:
            raise LabError(f"{vm}: no address known")
        if ipaddress.ip_address(target) not in self.external_net:
            director = next((d for d in a.directors if d.vm in self.vms() and self.running(d.vm)), a.master)
            jump = f"root@{director.external_ip}"
            # ssh runs the jump with the same identity and known_hosts options.
            opts += ["-o", f"ProxyCommand={shlex.join(['ssh', *opts])} -W %h:%p {jump}"]
        prefix = [] if self.host_link else self.on_nat_network_argv()
        return [*prefix, "ssh", *opts, f"root@{target}"]

