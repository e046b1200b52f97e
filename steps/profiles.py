"""Distribution profiles: what differs between the guide's CentOS 7 and today's systems.

A profile is data plus a few small functions; the sections ask it for the piece of syntax
that differs and keep everything else common.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from wizard.answers import PROFILES


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    pkg_install: str  # "{pkgs}" placeholder
    ha_packages: tuple[str, ...]
    bench_packages: tuple[str, ...]
    pcs_legacy: bool  # pcs 0.9: `pcs cluster auth`, `setup --name`, `constraint show`
    network_style: str  # ifcfg | nmcli | debian
    network_restart: str
    firewall: bool
    selinux: bool
    haproxy_agent: str
    hypervisor: str  # the VBoxManage command (the lab's stand-in on the lab profile)
    enable_repo: str = ""
    # Additions for the sections (steps/*.py); defaults fit every profile but the noted ones.
    hostnamectl: bool = True  # the lab's hosts have no systemd: /etc/hostname + `hostname`
    bench_repo: tuple[str, ...] = ()  # packages that enable the repository of bench_extra (EPEL)
    bench_extra: tuple[str, ...] = ()  # bench tools installed once bench_repo is there (siege)
    # haproxy's admin socket; its folder must exist when haproxy starts (Debian's unit makes
    # /run/haproxy, RHEL's package ships /var/lib/haproxy). The verification reads stats from it.
    haproxy_socket: str = "/run/haproxy/admin.sock"
    web_root: str = "/var/www/html"  # the real servers' document root (pi.php goes there)
    # HAProxy >= 2.2 (`http-after-response`, the `hostname` fetch): every answer names the director
    # that served it, so the wizard's host can see a failover/failback. CentOS 7 ships HAProxy 1.5.
    haproxy_director_header: bool = True
    # Debian's corosync package ships a one-node corosync.conf (cluster "debian", node "node1"): pcs then
    # sends its auth tokens to node1 and `pcs cluster setup` fails. Set it aside before authenticating.
    default_corosync_conf: str = ""

    def install(self, packages: tuple[str, ...] | list[str]) -> str:
        return self.pkg_install.format(pkgs=" ".join(shlex.quote(p) for p in packages))

    def pcs_auth(self, nodes: list[str]) -> str:
        verb = "cluster auth" if self.pcs_legacy else "host auth"
        return f"pcs {verb} {' '.join(map(shlex.quote, nodes))} -u hacluster"

    def cluster_setup(self, name: str, nodes: list[str]) -> str:
        quoted = " ".join(map(shlex.quote, nodes))
        if self.pcs_legacy:
            return f"pcs cluster setup --name {shlex.quote(name)} {quoted} --force"
        return f"pcs cluster setup {shlex.quote(name)} {quoted} --force"

    @property
    def constraint_show(self) -> str:
        return "pcs constraint show" if self.pcs_legacy else "pcs constraint config"

    def resource_show(self, name: str) -> str:
        """A command that exits 0 when the pacemaker resource exists."""
        verb = "show" if self.pcs_legacy else "config"
        return f"pcs resource {verb} {shlex.quote(name)} >/dev/null 2>&1"

    @property
    def pcs_tokens_file(self) -> str:
        """Where pcsd keeps the hosts it is authenticated to (0.9: tokens, >= 0.10: known-hosts)."""
        return "/var/lib/pcsd/tokens" if self.pcs_legacy else "/var/lib/pcsd/known-hosts"

    @property
    def corosync_link_ok(self) -> str:
        """Regex `corosync-cfgtool -s` prints for a healthy ring (corosync 2) / link (corosync 3)."""
        return r"active with no faults" if self.pcs_legacy else r"connected"

    def set_hostname(self, name: str) -> str:
        if self.hostnamectl:
            return f"hostnamectl set-hostname {shlex.quote(name)}"
        quoted = shlex.quote(name)
        return f"echo {quoted} > /etc/hostname && hostname {quoted}"

    def network_apply(self, ifnames: list[str] | tuple[str, ...]) -> str:
        """The command that makes written network config take effect (drops SSH for a moment)."""
        if self.network_style == "nmcli":
            # `nmcli connection reload` only rereads files; `up` applies a connection's settings.
            return " && ".join(f"nmcli connection up {shlex.quote(i)}" for i in ifnames)
        return self.network_restart

    @property
    def is_lab(self) -> bool:
        return self.name == "lab"


RHEL7 = Profile(
    name="rhel7",
    description="CentOS/RHEL 7 as in the guide: yum, network-scripts, pcs 0.9, firewalld, SELinux",
    pkg_install="yum install -y {pkgs}",
    ha_packages=("pcs",),
    bench_packages=("httpd-tools", "socat"),
    pcs_legacy=True,
    network_style="ifcfg",
    network_restart="systemctl restart network",
    firewall=True,
    selinux=True,
    haproxy_agent="systemd:haproxy",
    hypervisor="VBoxManage",
    bench_repo=("epel-release",),
    bench_extra=("siege",),
    haproxy_socket="/var/lib/haproxy/stats",
    haproxy_director_header=False,
)

RHEL9 = Profile(
    name="rhel9",
    description="Rocky/Alma 9: dnf, HighAvailability repository, NetworkManager, pcs 0.11",
    pkg_install="dnf install -y {pkgs}",
    ha_packages=("pcs", "pacemaker", "fence-agents-all", "resource-agents"),
    bench_packages=("httpd-tools", "socat"),
    pcs_legacy=False,
    network_style="nmcli",
    network_restart="nmcli connection reload",
    firewall=True,
    selinux=True,
    haproxy_agent="systemd:haproxy",
    hypervisor="VBoxManage",
    enable_repo="dnf config-manager --set-enabled highavailability",
    bench_repo=("epel-release",),
    bench_extra=("siege",),
    haproxy_socket="/var/lib/haproxy/stats",
)

DEBIAN12 = Profile(
    name="debian12",
    description="Debian 12: apt, ifupdown, pcs 0.11, no firewalld or SELinux",
    # The lock timeout: a freshly booted Debian often has unattended-upgrades holding it.
    pkg_install="DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y {pkgs}",
    ha_packages=("pcs", "pacemaker", "corosync", "resource-agents", "haproxy"),
    bench_packages=("apache2-utils", "siege", "socat"),
    default_corosync_conf="debian",
    pcs_legacy=False,
    network_style="debian",
    network_restart="systemctl restart networking",
    firewall=False,
    selinux=False,
    haproxy_agent="systemd:haproxy",
    hypervisor="VBoxManage",
)

LAB = Profile(
    name="lab",
    description="The local practice lab (Debian 12 hosts without systemd, `ha-wizard lab`)",
    pkg_install=DEBIAN12.pkg_install,
    ha_packages=DEBIAN12.ha_packages,
    bench_packages=DEBIAN12.bench_packages,
    pcs_legacy=False,
    network_style="debian",
    network_restart="systemctl restart networking",
    firewall=False,
    selinux=False,
    # Pacemaker's systemd: class needs systemd over D-Bus; the lab has init scripts.
    haproxy_agent="lsb:haproxy",
    hypervisor="ha-wizard lab vboxmanage",
    hostnamectl=False,
)

_ALL = {p.name: p for p in (RHEL7, RHEL9, DEBIAN12, LAB)}
assert tuple(_ALL) == PROFILES


def get_profile(name: str) -> Profile:
    try:
        return _ALL[name]
    except KeyError:
        raise ValueError(f"profile: unknown profile {name!r} (choose one of {', '.join(PROFILES)})") from None
