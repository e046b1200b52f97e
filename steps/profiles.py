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

    @property
    def is_lab(self) -> bool:
        return self.name == "lab"


RHEL7 = Profile(
    name="rhel7",
    description="CentOS/RHEL 7 as in the guide: yum, network-scripts, pcs 0.9, firewalld, SELinux",
    pkg_install="yum install -y {pkgs}",
    ha_packages=("pcs",),
    bench_packages=("httpd-tools",),
    pcs_legacy=True,
    network_style="ifcfg",
    network_restart="systemctl restart network",
    firewall=True,
    selinux=True,
    haproxy_agent="systemd:haproxy",
    hypervisor="VBoxManage",
)

RHEL9 = Profile(
    name="rhel9",
    description="Rocky/Alma 9: dnf, HighAvailability repository, NetworkManager, pcs 0.11",
    pkg_install="dnf install -y {pkgs}",
    ha_packages=("pcs", "pacemaker", "fence-agents-all", "resource-agents"),
    bench_packages=("httpd-tools",),
    pcs_legacy=False,
    network_style="nmcli",
    network_restart="nmcli connection reload",
    firewall=True,
    selinux=True,
    haproxy_agent="systemd:haproxy",
    hypervisor="VBoxManage",
    enable_repo="dnf config-manager --set-enabled highavailability",
)

DEBIAN12 = Profile(
    name="debian12",
    description="Debian 12: apt, ifupdown, pcs 0.11, no firewalld or SELinux",
    # The lock timeout: a freshly booted Debian often has unattended-upgrades holding it.
    pkg_install="DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y {pkgs}",
    ha_packages=("pcs", "pacemaker", "corosync", "resource-agents", "haproxy"),
    bench_packages=("apache2-utils", "siege"),
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
)

_ALL = {p.name: p for p in (RHEL7, RHEL9, DEBIAN12, LAB)}
assert tuple(_ALL) == PROFILES


def get_profile(name: str) -> Profile:
    try:
        return _ALL[name]
    except KeyError:
        raise ValueError(f"profile: unknown profile {name!r} (choose one of {', '.join(PROFILES)})") from None
