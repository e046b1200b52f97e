"""Guest install: each VM's disk as a fresh Debian host of the guide (network files, hosts, sshd, services)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from lab.base import GUEST, _run, _whiteout, _write
from wizard.base.answers import Director, Server


class GuestInstall:
    """What is on each VM's disk when the lab is built (a mixin of lab.core.Lab)."""

    # -- disks ----------------------------------------------------------------------------------------
    def _prefix(self, net: str) -> int:
        return ipaddress.ip_network(net, strict=False).prefixlen

    def _iface(self, ifname: str, ip: str, net: str, gateway: str = "", dns: str = "") -> str:
        from assets import render

        return render("debian-iface.j2", ifname=ifname, ip=ip, prefix=self._prefix(net), gateway=gateway, dns=dns)

    def _hosts_file(self, name: str, prepared_block: bool) -> str:
        a = self.answers
        dom = f".{a.domain}" if a.domain else ""
        lines = ["127.0.0.1\tlocalhost", "::1\t\tlocalhost ip6-localhost ip6-loopback",
                 "ff02::1\t\tip6-allnodes", "ff02::2\t\tip6-allrouters", "",
                 "# the web farm (seminar 3)",
                 f"{a.master.internal_ip}\t{a.master.name}{dom} {a.master.name} {' '.join(a.master.aliases)}".rstrip()]
        lines += [f"{s.ip}\t{s.name}{dom} {s.name}" for s in a.servers]
        text = "\n".join(lines) + "\n"
        if prepared_block:
            from assets import render

            s = a.standby
            entries = [{"ip": s.internal_ip, "names": [f"{s.name}{dom}", s.name, *s.aliases]}]
            entries += [{"ip": d.heartbeat_ip, "names": [d.ring_name]} for d in a.directors]
            text += "\n" + render("hosts-block.j2", entries=entries)
        return text

    def _install_common(self, vm: str, hostname: str, enabled: list[str], interfaces: dict[str, str],
                        hosts: str, password_only: bool = False) -> Path:
        disk = self.hostdir(vm) / "disk"
        etc = disk / "etc"
        lower = self.vm_root(vm)  # the tree under the disk: what the whiteouts below hide is there
        _write(etc / "hostname", hostname + "\n")
        _write(etc / "hosts", hosts)
        _write(etc / "network/interfaces",
               "# The lab host's network (ifupdown): one file per interface in interfaces.d\n"
               "source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n")
        (etc / "network/interfaces.d").mkdir(parents=True, exist_ok=True)
        for ifname, text in interfaces.items():
            _write(etc / "network/interfaces.d" / ifname, text)
        _write(etc / "ha-wizard-lab/enabled", "".join(f"{s}\n" for s in enabled))
        _write(etc / "network/if-up.d/ha-wizard-lab-garp", (GUEST / "garp").read_text(), 0o755)
        # The lab has no DNS server: names come from /etc/hosts. The machine's resolver is unreachable
        # from the lab networks, and each lookup that falls through to DNS (getent hosts asks for IPv6
        # first) would wait for its timeouts; a closed local port fails at once instead.
        _write(etc / "resolv.conf", "# ha-wizard lab: no DNS here, names are in /etc/hosts\n"
                                    "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        # Its own host keys (ed25519 only: one key per host, one fingerprint to check).
        ssh = etc / "ssh"
        ssh.mkdir(parents=True, exist_ok=True)
        for f in (lower / "etc/ssh").glob("ssh_host_*"):
            _whiteout(ssh / f.name)
        (ssh / "ssh_host_ed25519_key").unlink(missing_ok=True)
        (ssh / "ssh_host_ed25519_key.pub").unlink(missing_ok=True)
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"root@{hostname}",
              "-f", str(ssh / "ssh_host_ed25519_key")])
        if password_only:
            # A fresh CentOS 7 install: root may log in with its password, and no key is authorised yet.
            _write(ssh / "sshd_config.d/ha-wizard-lab.conf",
                   "# ha-wizard lab host, as a fresh install: root logs in with its password (no key yet).\n"
                   "HostKey /etc/ssh/ssh_host_ed25519_key\nPermitRootLogin yes\n"
                   "PasswordAuthentication yes\nKbdInteractiveAuthentication no\nUseDNS no\n"
                   "AllowTcpForwarding yes\nMaxStartups 50:30:200\n")
        else:
            _write(ssh / "sshd_config.d/ha-wizard-lab.conf",
                   "# ha-wizard lab host: key login for root, no passwords; directors are jump hosts to the "
                   "servers.\nHostKey /etc/ssh/ssh_host_ed25519_key\nPermitRootLogin prohibit-password\n"
                   "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\n"
                   "AllowTcpForwarding yes\nMaxStartups 50:30:200\n")
        # Start clean like a fresh install, whatever the machine's own daemons left behind.
        for folder in ("var/lib/pcsd", "var/lib/corosync", "var/lib/pacemaker/cib"):
            for f in (lower / folder).glob("*") if (lower / folder).is_dir() else []:
                _whiteout(disk / folder / f.name)
        # Debian's corosync package ships a corosync.conf naming a cluster node "node1": pcs then believes
        # the host is in a cluster and sends known-hosts to node1 instead of saving them. The guide's hosts
        # start with no cluster configuration at all, so lab hosts do too (a real Debian host needs
        # `pcs cluster destroy` first).
        for name in ("authkey", "corosync.conf"):
            if (lower / "etc/corosync" / name).exists():
                _whiteout(etc / "corosync" / name)
        root_ssh = disk / "root/.ssh"
        root_ssh.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not password_only:
            _write(root_ssh / "authorized_keys", Path(f"{self.key_path}.pub").read_text(), 0o600)
        return disk

    def _haproxy_cfg(self, bind_ip: str) -> str:
        """Seminar 3's balancer: the wizard's haproxy.cfg, bound to the director's own address."""
        import copy

        from steps.profiles import get_profile
        from steps.resources import haproxy_config

        answers = copy.deepcopy(self.answers)
        answers.vip.external = bind_ip
        return haproxy_config(answers, get_profile("lab"))

    def _install_director(self, d: Director, prepared: bool, haproxy_from: Director | None = None,
                          password_only: bool = False) -> None:
        from assets import render

        a = self.answers
        interfaces = {
            d.external_if: self._iface(d.external_if, d.external_ip, a.networks.external,
                                       a.networks.external_gateway, a.networks.dns),
            d.internal_if: self._iface(d.internal_if, d.internal_ip, a.networks.internal),
        }
        if prepared:
            interfaces[d.heartbeat_if] = self._iface(d.heartbeat_if, d.heartbeat_ip, a.networks.heartbeat)
        disk = self._install_common(d.vm, d.name, ["ssh", "haproxy"], interfaces, self._hosts_file(d.name, prepared),
                                    password_only)
        # Seminar 3's balancer: haproxy on the director's own external address (a clone keeps master's).
        source = haproxy_from or d
        _write(disk / "etc/haproxy/haproxy.cfg", self._haproxy_cfg(source.external_ip))
        _write(disk / "etc/haproxy/errors/ha-wizard-503.http",
               render("ha-wizard-503.http.j2", cluster_name=a.cluster_name))

    def _install_server(self, s: Server, password_only: bool = False) -> None:
        from assets import render

        a = self.answers
        iface = self._iface(s.ifname, s.ip, a.networks.internal, a.master.internal_ip)
        disk = self._install_common(s.vm, s.name, ["ssh", "phpweb"], {s.ifname: iface},
                                    self._hosts_file(s.name, False), password_only)
        _write(disk / "etc/init.d/phpweb", (GUEST / "phpweb").read_text(), 0o755)
        _write(disk / "etc/phpweb/prepend.php",
               "<?php\n// ha-wizard lab: php -S sets no SERVER_ADDR; the init script passes the host's address.\n"
               "if (empty($_SERVER['SERVER_ADDR'])) { $_SERVER['SERVER_ADDR'] = getenv('PHPWEB_SERVER_ADDR'); }\n")
        www = disk / "var/www/html"
        _write(www / "index.php", render("index.php.j2", title=f"{a.cluster_name}: {s.name}"))
        _write(www / "pi.php", render("pi.php.j2"))

