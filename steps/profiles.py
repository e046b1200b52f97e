"""Distribution profiles: what differs between the guide's CentOS 7 and today's systems.

A profile is data plus a few small functions; the sections ask it for the piece of syntax
that differs and keep everything else common.

pcs and Pacemaker syntax follows their *versions*, not the distribution: each profile carries the
versions its distribution usually ships, and the versions found on the nodes (facts, captured by
`pcs --version` / `pacemakerd --version` actions) replace them (`Profile.with_facts`). What each
version accepts was checked against the pcs sources and real CLIs: docs/pcs-versions.md.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from steps.model import Text
from wizard.base.answers import PROFILES

Version = tuple[int, ...]

# Fact names (Session.facts: fact -> node -> value).
PCS_VERSION = "pcs_version"
PACEMAKER_VERSION = "pacemaker_version"

# Where pcs syntax changed (docs/pcs-versions.md has the sources):
PCS_HOST_AUTH = (0, 10)  # `pcs cluster auth` -> `pcs host auth`; `setup --name` dropped; corosync 3
PCS_RESOURCE_CONFIG = (0, 10)  # `pcs resource config` exists (since 0.10.1); `resource show X` is an error from 0.11
PCS_CONSTRAINT_CONFIG = (0, 10, 9)  # `pcs constraint config` added, `constraint show` deprecated (removed in 0.12)
PCS_SCORE_OPTION = (0, 12)  # a bare score (`... with B INFINITY`) is deprecated: `score=INFINITY`
PACEMAKER_FENCING = (3, 0, 2)  # `stonith-enabled` deprecated for `fencing-enabled`, unknown before


def parse_version(text: str) -> Version | None:
    """`0.11.5` -> (0, 11, 5); `Pacemaker 2.1.5-a3f44794f94` -> (2, 1, 5); `0.12.0a1` -> (0, 12, 0)."""
    m = re.search(r"\d+(?:\.\d+)+", text or "")
    return tuple(int(p) for p in m.group(0).split(".")) if m else None


def version_text(version: Version) -> str:
    return ".".join(map(str, version))


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    pkg_install: str  # "{pkgs}" placeholder
    ha_packages: tuple[str, ...]
    bench_packages: tuple[str, ...]
    # The versions the distribution ships (its latest minor release); facts found on a node replace them.
    pcs_version: str
    pacemaker_version: str
    network_style: str  # ifcfg | nmcli | debian
    network_restart: str
    firewall: bool
    selinux: bool
    haproxy_agent: str
    # /etc/os-release IDs (ID or ID_LIKE) and major VERSION_ID of the systems the profile is for.
    os_ids: tuple[str, ...] = ()
    os_major: str = ""
    pkg_query: str = "rpm -q {pkgs}"  # exit 0 when every package is installed
    # The package manager pkg_install uses (yum | dnf | apt): the Ansible export picks its module by it.
    package_manager: str = "dnf"
    # Fetches the enabled repositories' metadata (and the HA one's): fails when one cannot be reached.
    # "{ha_repo}" is replaced by ha_repo.
    repo_check: str = ""
    ha_repo: str = ""  # the repository, off by default, that holds pcs and pacemaker (dnf)
    # Additions for the sections (steps/*.py); defaults fit every profile but the noted ones.
    hostnamectl: bool = True  # the lab's hosts have no systemd: /etc/hostname + `hostname`
    bench_repo: tuple[str, ...] = ()  # packages that enable the repository of bench_extra (EPEL)
    bench_extra: tuple[str, ...] = ()  # bench tools installed once bench_repo is there (siege)
    # haproxy's admin socket; its folder must exist when haproxy starts (Debian's unit makes
    # /run/haproxy, RHEL's package ships /var/lib/haproxy). The verification reads stats from it.
    haproxy_socket: str = "/run/haproxy/admin.sock"
    web_root: str = "/var/www/html"  # the real servers' document root (pi.php goes there)
    # HAProxy >= 2.2 (`http-after-response`, the `hostname` fetch): every answer names the director
    # that served it, so the wizard's host can see a failover/failback. CentOS 7 ships HAProxy 1.5, 8 ships 1.8.
    haproxy_director_header: bool = True
    # Debian's corosync package ships a one-node corosync.conf (cluster "debian", node "node1"): pcs then
    # sends its auth tokens to node1 and `pcs cluster setup` fails. Set it aside before authenticating.
    default_corosync_conf: str = ""
    # CentOS 7 is end of life: its mirrors are gone, the vault keeps the last release (steps/centos_vault.py).
    centos_vault: bool = False
    # The node the versions were found on ("" = the distribution's usual versions, or given by the user).
    versions_from: str = ""
    versions_given: bool = False  # set by the user (`ha-wizard plan --pcs-version`)

    @property
    def enable_repo(self) -> str:
        return f"dnf config-manager --set-enabled {shlex.quote(self.ha_repo)}" if self.ha_repo else ""

    @property
    def repos_usable(self) -> str:
        """A read-only command that exits 0 when the package repositories answer (bounded in time)."""
        enable = f" --enablerepo={shlex.quote(self.ha_repo)}" if self.ha_repo else ""
        return f"timeout 180 {self.repo_check.format(enable=enable)}"

    def install(self, packages: tuple[str, ...] | list[str]) -> str:
        return self.pkg_install.format(pkgs=" ".join(shlex.quote(p) for p in packages))

    def installed(self, packages: tuple[str, ...] | list[str]) -> str:
        """A command that exits 0 when every package is installed (output discarded)."""
        return self.pkg_query.format(pkgs=" ".join(shlex.quote(p) for p in packages)) + " >/dev/null 2>&1"

    # -- versions -----------------------------------------------------------------------------------------
    @property
    def pcs(self) -> Version:
        return parse_version(self.pcs_version) or (0,)

    @property
    def pacemaker(self) -> Version:
        return parse_version(self.pacemaker_version) or (0,)

    def with_facts(self, facts: Mapping[str, Mapping[str, str]], prefer: str = "") -> Profile:
        """This profile for the pcs/Pacemaker versions found on the nodes (facts win over defaults).

        `facts` is fact -> node -> value; the value of `prefer` (the node pcs commands run on) wins,
        else the first node's in name order.
        """
        changes: dict[str, str] = {}
        for fact, field in ((PCS_VERSION, "pcs_version"), (PACEMAKER_VERSION, "pacemaker_version")):
            by_node = {n: v for n, v in (facts.get(fact) or {}).items() if parse_version(v)}
            if not by_node:
                continue
            node = prefer if prefer in by_node else sorted(by_node)[0]
            changes[field] = version_text(parse_version(by_node[node]) or (0,))
            changes.setdefault("versions_from", node)
        return dataclasses.replace(self, **changes) if changes else self

    def with_versions(self, pcs: str | None = None, pacemaker: str | None = None) -> Profile:
        """This profile for versions the user names (e.g. to see the commands for another pcs)."""
        changes: dict[str, Any] = {}
        for field, value in (("pcs_version", pcs), ("pacemaker_version", pacemaker)):
            if value:
                version = parse_version(value)
                if version is None:
                    raise ValueError(f"{field.replace('_', ' ')}: {value!r} is not a version (e.g. 0.11.5)")
                changes[field] = version_text(version)
        return dataclasses.replace(self, versions_given=True, versions_from="", **changes) if changes else self

    def versions_text(self) -> Text:
        """Which pcs/Pacemaker the commands are written for, and where that came from."""
        what = f"pcs {self.pcs_version}, Pacemaker {self.pacemaker_version}"
        if self.versions_given:
            return Text(f"Commands for {what} (as asked).", f"Órdenes para {what} (según lo pedido).")
        if self.versions_from:
            return Text(f"Commands for {what} (found on {self.versions_from}).",
                        f"Órdenes para {what} (encontrados en {self.versions_from}).")
        return Text(f"Commands for {what} (what {self.name} usually ships; the versions found on the nodes win).",
                    f"Órdenes para {what} (lo habitual en {self.name}; mandan las versiones que se encuentren en "
                    f"los nodos).")

    # -- pcs / Pacemaker syntax -----------------------------------------------------------------------------
    def pcs_auth(self, nodes: list[str]) -> str:
        verb = "host auth" if self.pcs >= PCS_HOST_AUTH else "cluster auth"
        return f"pcs {verb} {' '.join(map(shlex.quote, nodes))} -u hacluster"

    def cluster_setup(self, name: str, nodes: list[str]) -> str:
        quoted = " ".join(map(shlex.quote, nodes))
        if self.pcs >= PCS_HOST_AUTH:
            return f"pcs cluster setup {shlex.quote(name)} {quoted} --force"
        return f"pcs cluster setup --name {shlex.quote(name)} {quoted} --force"

    @property
    def constraint_show(self) -> str:
        return "pcs constraint config" if self.pcs >= PCS_CONSTRAINT_CONFIG else "pcs constraint show"

    def resource_show(self, name: str) -> str:
        """A command that exits 0 when the pacemaker resource exists."""
        verb = "config" if self.pcs >= PCS_RESOURCE_CONFIG else "show"
        return f"pcs resource {verb} {shlex.quote(name)} >/dev/null 2>&1"

    def colocation(self, rsc: str, with_rsc: str, score: str = "INFINITY") -> str:
        """`pcs constraint colocation add A with B SCORE`: the guide's bare score until pcs deprecates it.
        `score=` is accepted by every pcs from 0.9.169 and gives the same constraint id."""
        form = f"score={score}" if self.pcs >= PCS_SCORE_OPTION else score
        return f"pcs constraint colocation add {shlex.quote(rsc)} with {shlex.quote(with_rsc)} {form}"

    @property
    def fencing_option(self) -> str:
        """The cluster property that turns fencing (STONITH) on or off."""
        return "fencing-enabled" if self.pacemaker >= PACEMAKER_FENCING else "stonith-enabled"

    @property
    def fencing_word(self) -> str:
        """How crm_verify names fencing when it complains that none is configured."""
        return "fencing" if self.pacemaker >= PACEMAKER_FENCING else "stonith"

    @property
    def pcs_tokens_file(self) -> str:
        """Where pcsd keeps the hosts it is authenticated to (0.9: tokens, >= 0.10: known-hosts)."""
        return "/var/lib/pcsd/known-hosts" if self.pcs >= PCS_HOST_AUTH else "/var/lib/pcsd/tokens"

    @property
    def corosync_link_ok(self) -> str:
        """Regex `corosync-cfgtool -s` prints for a healthy ring (corosync 2, with pcs 0.9) / link (corosync 3)."""
        return r"connected" if self.pcs >= PCS_HOST_AUTH else r"active with no faults"

    # -- system ---------------------------------------------------------------------------------------------
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


_YUM_REPOS = "yum -q --setopt=timeout=15 --setopt=retries=1{enable} repolist enabled"
_DNF_REPOS = "dnf -q --setopt=timeout=15 --setopt=retries=1{enable} makecache"

RHEL7 = Profile(
    name="rhel7",
    description="CentOS/RHEL 7 as in the guide: yum, network-scripts, pcs 0.9, firewalld, SELinux",
    pkg_install="yum install -y {pkgs}",
    package_manager="yum",
    ha_packages=("pcs",),
    bench_packages=("httpd-tools", "socat"),
    pcs_version="0.9.169",
    pacemaker_version="1.1.23",
    network_style="ifcfg",
    network_restart="systemctl restart network",
    firewall=True,
    selinux=True,
    haproxy_agent="systemd:haproxy",
    os_ids=("centos", "rhel", "ol", "scientific"),
    os_major="7",
    repo_check=_YUM_REPOS,
    bench_repo=("epel-release",),
    bench_extra=("siege",),
    haproxy_socket="/var/lib/haproxy/stats",
    haproxy_director_header=False,
    centos_vault=True,
)

RHEL8 = Profile(
    name="rhel8",
    description="Rocky/Alma 8: dnf, the ha repository, NetworkManager, pcs 0.10",
    pkg_install="dnf install -y {pkgs}",
    ha_packages=("pcs", "pacemaker", "fence-agents-all", "resource-agents"),
    bench_packages=("httpd-tools", "socat"),
    pcs_version="0.10.18",
    pacemaker_version="2.1.7",
    network_style="nmcli",
    network_restart="nmcli connection reload",
    firewall=True,
    selinux=True,
    haproxy_agent="systemd:haproxy",
    os_ids=("rhel", "centos", "rocky", "almalinux", "ol"),
    os_major="8",
    repo_check=_DNF_REPOS,
    ha_repo="ha",
    bench_repo=("epel-release",),
    bench_extra=("siege",),
    haproxy_socket="/var/lib/haproxy/stats",
    haproxy_director_header=False,  # HAProxy 1.8
)

RHEL9 = Profile(
    name="rhel9",
    description="Rocky/Alma 9: dnf, HighAvailability repository, NetworkManager, pcs 0.11",
    pkg_install="dnf install -y {pkgs}",
    ha_packages=("pcs", "pacemaker", "fence-agents-all", "resource-agents"),
    bench_packages=("httpd-tools", "socat"),
    pcs_version="0.11.8",
    pacemaker_version="2.1.8",
    network_style="nmcli",
    network_restart="nmcli connection reload",
    firewall=True,
    selinux=True,
    haproxy_agent="systemd:haproxy",
    os_ids=RHEL8.os_ids,
    os_major="9",
    repo_check=_DNF_REPOS,
    ha_repo="highavailability",
    bench_repo=("epel-release",),
    bench_extra=("siege",),
    haproxy_socket="/var/lib/haproxy/stats",
)

RHEL10 = dataclasses.replace(
    RHEL9,
    name="rhel10",
    description="Rocky/Alma 10: dnf, HighAvailability repository, NetworkManager, pcs 0.12, Pacemaker 3",
    pcs_version="0.12.1",
    pacemaker_version="3.0.1",
    os_major="10",
)

DEBIAN12 = Profile(
    name="debian12",
    description="Debian 12: apt, ifupdown, pcs 0.11, no firewalld or SELinux",
    # The lock timeout: a freshly booted Debian often has unattended-upgrades holding it.
    pkg_install="DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y {pkgs}",
    package_manager="apt",
    ha_packages=("pcs", "pacemaker", "corosync", "resource-agents", "haproxy"),
    bench_packages=("apache2-utils", "siege", "socat"),
    pcs_version="0.11.5",
    pacemaker_version="2.1.5",
    default_corosync_conf="debian",
    network_style="debian",
    network_restart="systemctl restart networking",
    firewall=False,
    selinux=False,
    haproxy_agent="systemd:haproxy",
    os_ids=("debian",),
    os_major="12",
    pkg_query="dpkg-query -W {pkgs}",
    # Fetches the lists into a folder of its own: the system's package lists stay as they are.
    repo_check=("sh -c 'd=$(mktemp -d) && mkdir -p \"$d/partial\" && apt-get -q -o Dir::State::Lists=\"$d\" "
                "-o Acquire::http::Timeout=15 -o Acquire::Retries=0 update >\"$d/log\" 2>&1; rc=$?; cat \"$d/log\"; "
                "grep -qE \"^(Err|E):\" \"$d/log\" && rc=1; rm -rf \"$d\"; exit $rc'"),
)

DEBIAN13 = dataclasses.replace(
    DEBIAN12,
    name="debian13",
    description="Debian 13: apt, ifupdown, pcs 0.12, Pacemaker 3, no firewalld or SELinux",
    pcs_version="0.12.0.2",
    pacemaker_version="3.0.0",
    os_major="13",
)

# The practice lab runs Debian without systemd: 12 (this machine's own tree, the default) or 13 (a guest
# image, `ha-wizard lab up --image debian13`). The profile is Debian 12's apt/ifupdown with the lab's
# differences; its pcs/Pacemaker versions are what the nodes say (facts), as on any profile.
LAB_SYSTEMS = ("debian12", "debian13")

LAB = dataclasses.replace(
    DEBIAN12,
    name="lab",
    description="The local practice lab (Debian 12 or 13 hosts without systemd, `ha-wizard lab`)",
    default_corosync_conf="",
    # Pacemaker's systemd: class needs systemd over D-Bus; the lab has init scripts.
    haproxy_agent="lsb:haproxy",
    hostnamectl=False,
)

_ALL = {p.name: p for p in (RHEL7, RHEL8, RHEL9, RHEL10, DEBIAN12, DEBIAN13, LAB)}
assert tuple(_ALL) == PROFILES


def get_profile(name: str) -> Profile:
    try:
        return _ALL[name]
    except KeyError:
        raise ValueError(f"profile: unknown profile {name!r} (choose one of {', '.join(PROFILES)})") from None


def profile_for_os(os_id: str, id_like: str, version_id: str, systemd: bool = True) -> str | None:
    """The profile made for a system, from /etc/os-release (ID, ID_LIKE, VERSION_ID) and whether
    systemd is PID 1; None when no profile is. A Debian 12 or 13 without systemd is the practice lab."""
    major = version_id.strip().strip('"').split(".")[0]
    for ident in [os_id, *id_like.split()]:
        ident = ident.strip().strip('"').lower()
        for profile in _ALL.values():
            if profile.is_lab or ident not in profile.os_ids or major != profile.os_major:
                continue
            if profile.name in LAB_SYSTEMS and not systemd:
                return "lab"
            return profile.name
    return None


def os_fit_script() -> str:
    """Shell that prints `system: <PRETTY_NAME> -> profile <name|none>` (profile_for_os, in sh)."""
    cases = []
    for profile in _ALL.values():
        if profile.is_lab:
            continue
        cases.append("|".join(f"{i}:{profile.os_major}" for i in profile.os_ids) + f") fit={profile.name} ;;")
    return (
        "[ -r /etc/os-release ] || { echo 'system: no /etc/os-release -> profile none'; exit 0; }\n"
        ". /etc/os-release\n"
        'major=${VERSION_ID%%.*}\n'
        "fit=none\n"
        "for id in $ID $ID_LIKE; do\n"
        '  case "$id:$major" in\n'
        + "".join(f"    {c}\n" for c in cases)
        + "  esac\n"
        '  [ "$fit" != none ] && break\n'
        "done\n"
        # A Debian 12 or 13 whose PID 1 is not systemd is the practice lab (hosts are namespaces of one machine).
        'case "$fit" in ' + "|".join(LAB_SYSTEMS) + ")\n"
        '  [ "$(cat /proc/1/comm 2>/dev/null)" != systemd ] && fit=lab ;;\n'
        "esac\n"
        'echo "system: ${PRETTY_NAME:-$ID $VERSION_ID} -> profile $fit"'
    )
