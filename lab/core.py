"""The lab itself: VMs as namespaces, their "disks", networks, boot and power; see lab/__init__.py for the API.

Everything the lab makes lives in:
  /var/lib/ha-wizard-lab/            lab.json (answers, bridges, forwards), id_ed25519(.pub), known_hosts
  /var/lib/ha-wizard-lab/hosts/<vm>/ vm.json (NICs, MACs, UUID), disk/ (the VM's "disk": overlay upper dirs of
                                     /etc and /var, and /root), work/ (overlay work dirs), console.log,
                                     snapshots/<name>/ (disk + vm.json)
  /run/ha-wizard-lab/                pid files of running hosts and port forwarders
  network namespaces hawl-net (the bridges) and hawl-<vm> (one per running VM), and one veth hawl0 in the
  root namespace (the lab's only change there: one address on the external network, its connected route).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from wizard.answers import Answers, Director, Server, answers_from_dict, mac_colon, mac_plain

STATE = Path("/var/lib/ha-wizard-lab")
RUN = Path("/run/ha-wizard-lab")
NS_PREFIX = "hawl-"
BRIDGE_NS = "hawl-net"
ROOT_LINK = "hawl0"
GUEST = Path(__file__).resolve().parent / "guest"
PAGES = Path(__file__).resolve().parent / "pages"
SYSTEM_PYTHON = "/usr/bin/python3"
BOOT_TIMEOUT = 90.0
# VirtualBox's PCI slots for NICs 1..8 give these names on a Linux guest (enp0s3, enp0s8, enp0s9, ...).
VBOX_IFNAMES = {1: "enp0s3", 2: "enp0s8", 3: "enp0s9", 4: "enp0s10", 5: "enp0s16", 6: "enp0s17", 7: "enp0s18",
                8: "enp0s19"}
DEFAULT_NICTYPE = "82540EM"
HOST_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
            "LANG=C.UTF-8", "USER=root", "LOGNAME=root", "SHELL=/bin/bash"]
# Debian packages whose programs the lab runs (scripts/install-deps.sh installs them).
REQUIRED_PROGRAMS = {
    "ip": "iproute2", "unshare": "util-linux", "nsenter": "util-linux", "sshd": "openssh-server",
    "ssh-keygen": "openssh-client", "ssh": "openssh-client", "haproxy": "haproxy", "corosync": "corosync",
    "pacemakerd": "pacemaker", "pcs": "pcs", "php": "php-cli", "ifup": "ifupdown",
    "start-stop-daemon": "dpkg", "ps": "procps", "killall": "psmisc", "ruby": "ruby (pcs)", "curl": "curl",
}


class LabError(Exception):
    """A lab operation that cannot be done; the message says why. Exit status 1."""


class LabUnavailable(LabError):
    """The lab cannot run on this machine (not root, packages missing). Exit status 2."""


class LabBusy(LabError):
    """Another live process owns the lab (a test session, say): one lab per machine at a time."""


# Ownership of the machine's one lab: an abstract unix socket bound by the owning process (the one that
# ran `up`), released by `down` or when that process ends, however it ends. Several test sessions on one
# machine then take turns instead of tearing down each other's lab.
OWNER_SOCKET = "\0ha-wizard-lab-owner"
DEFAULT_WAIT = float(os.environ.get("HA_WIZARD_LAB_WAIT", "1800"))
_owner: dict[str, object] = {"sock": None}


def _owner_pid(run_dir: Path) -> str:
    try:
        return (run_dir / "owner").read_text().strip()
    except OSError:
        return "?"


def acquire_lab(run_dir: Path = RUN, wait: float = DEFAULT_WAIT, on_wait: object = None) -> None:
    """Become the lab's owner, waiting (bounded) while another live process owns it."""
    import socket

    if _owner["sock"] is not None:
        return
    deadline = time.monotonic() + wait
    told = False
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(OWNER_SOCKET)
            _owner["sock"] = sock
            return
        except OSError:
            sock.close()
        if time.monotonic() >= deadline:
            raise LabBusy(f"the lab is in use by process {_owner_pid(run_dir)} (a test session or another "
                          "`lab up`); wait for it to finish, or `ha-wizard lab down --force`")
        if not told and callable(on_wait):
            on_wait(f"the lab is in use by process {_owner_pid(run_dir)}: waiting (at most {wait:.0f} s)")
            told = True
        time.sleep(0.5)


def release_lab() -> None:
    sock = _owner["sock"]
    _owner["sock"] = None
    if sock is not None:
        sock.close()


def owns_lab() -> bool:
    return _owner["sock"] is not None


def missing_requirements() -> list[str]:
    """What stops the lab from running here, as sentences; empty when it can run."""
    problems = []
    if sys.platform != "linux":
        problems.append("the lab needs Linux (network namespaces)")
        return problems
    if os.geteuid() != 0:
        problems.append("the lab needs root (namespaces, veths, mounts): run it with sudo")
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    missing = sorted({pkg for prog, pkg in REQUIRED_PROGRAMS.items() if not shutil.which(prog, path=path)})
    if not os.path.exists(SYSTEM_PYTHON):
        missing.append("python3")
    if missing:
        problems.append(f"missing Debian packages: {', '.join(missing)}; install them with "
                        "`sudo scripts/install-deps.sh`")
    try:
        if "overlay" not in Path("/proc/filesystems").read_text():
            problems.append("the kernel has no overlay filesystem (modprobe overlay)")
    except OSError:
        pass
    return problems


def _run(cmd: list[str], check: bool = True, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kw)
    if check and res.returncode != 0:
        raise LabError(f"{' '.join(cmd)}: {(res.stderr or res.stdout).strip()}")
    return res


def _netns_list() -> list[str]:
    res = _run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in res.stdout.splitlines() if line.strip()]


def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(x) for x in text.split()]
    except OSError:
        return []


def _is_mount_point(path: str) -> bool:
    try:
        return any(line.split()[4] == path for line in Path("/proc/self/mountinfo").read_text().splitlines())
    except OSError:
        return False


def _safe_name(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,30}", name))


def _whiteout(path: Path) -> None:
    """Make a file of the machine's /etc or /var look deleted inside a host (an overlayfs whiteout)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()
    os.mknod(path, stat.S_IFCHR | 0o000, os.makedev(0, 0))


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def _copy_tree(src: Path, dst: Path) -> None:
    # cp -a keeps owners, modes, the overlay's whiteouts (device nodes) and xattrs (opaque dirs).
    dst.parent.mkdir(parents=True, exist_ok=True)
    _run(["cp", "-a", "--reflink=auto", str(src), str(dst)], timeout=300)


@dataclass
class Nic:
    type: str  # natnetwork | intnet | none
    network: str
    mac: str  # plain form, 0800270101C1
    ifname: str
    nictype: str = DEFAULT_NICTYPE
    cable: bool = True


class Lab:
    """The local practice lab built from `answers` (default: the answers of the running lab, else the guide's)."""

    def __init__(self, answers: Answers | None = None, state_dir: Path = STATE, run_dir: Path = RUN) -> None:
        self.state_dir = Path(state_dir)
        self.run_dir = Path(run_dir)
        self._procs: dict[str, subprocess.Popen] = {}
        # Told when up/down waits for another owner (the CLI prints it; tests may set print).
        self.on_wait: object = None
        if answers is None:
            answers = self._stored_answers() or Answers()
        self.answers = answers

    # -- paths and names ------------------------------------------------------------------------------
    @property
    def key_path(self) -> Path:
        return self.state_dir / "id_ed25519"

    @property
    def known_hosts_path(self) -> Path:
        return self.state_dir / "known_hosts"

    @property
    def lab_file(self) -> Path:
        return self.state_dir / "lab.json"

    def hostdir(self, vm: str) -> Path:
        return self.state_dir / "hosts" / vm

    @property
    def external_net(self) -> ipaddress.IPv4Network:
        return ipaddress.ip_network(self.answers.networks.external, strict=False)

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

    def netns(self, vm: str) -> str:
        return NS_PREFIX + (vm if _safe_name(vm) else str(self.vm_config(vm)["index"]))

    def resolve(self, host: str) -> str:
        """A VM name, or an answers name (host name, alias, ring name) -> the VM name."""
        if (self.hostdir(host) / "vm.json").exists():
            return host
        for node in [*self.answers.directors, *self.answers.servers]:
            names = {node.name, node.vm, *(getattr(node, "aliases", []) or [])}
            if isinstance(node, Director):
                names.add(node.ring_name)
            if host in names:
                return node.vm
        raise LabError(f"{host}: no such lab host (known: {', '.join(self.vms()) or 'none, run `lab up`'})")

    # -- stored state ---------------------------------------------------------------------------------
    def _stored_answers(self) -> Answers | None:
        try:
            data = json.loads(self.lab_file.read_text())
            return answers_from_dict(data["answers"])
        except (OSError, ValueError, KeyError):
            return None

    def _lab_state(self) -> dict:
        try:
            return json.loads(self.lab_file.read_text())
        except (OSError, ValueError):
            return {"answers": self.answers.to_dict(), "bridges": {}, "forwards": {}, "uuids": {}}

    def _save_lab_state(self, data: dict) -> None:
        tmp = self.lab_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, self.lab_file)

    def vms(self) -> list[str]:
        root = self.state_dir / "hosts"
        if not root.is_dir():
            return []
        found = [p.name for p in root.iterdir() if (p / "vm.json").exists()]
        return sorted(found, key=lambda vm: self.vm_config(vm)["index"])

    def vm_config(self, vm: str) -> dict:
        try:
            return json.loads((self.hostdir(vm) / "vm.json").read_text())
        except OSError:
            raise LabError(f"VBoxManage: error: Could not find a registered machine named '{vm}'") from None

    def save_vm_config(self, vm: str, config: dict) -> None:
        path = self.hostdir(vm) / "vm.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(config, indent=2))
        os.replace(tmp, path)

    def nics(self, vm: str) -> dict[int, Nic]:
        return {int(n): Nic(**spec) for n, spec in self.vm_config(vm)["nics"].items()}

    # -- requirements -----------------------------------------------------------------------------------
    def check(self) -> None:
        problems = missing_requirements()
        if problems:
            raise LabUnavailable("the lab cannot run here:\n" + "\n".join(f"  - {p}" for p in problems))

    # -- up / down ------------------------------------------------------------------------------------
    def up(self, prepared: bool = False, wait: float | None = None) -> dict[str, float]:
        """Build and boot the lab: the guide's starting point, or (prepared) the state after sections 1-4.

        The calling process becomes the lab's owner until `down()` or its end; while another live process
        owns the lab this waits for it, at most `wait` seconds (default HA_WIZARD_LAB_WAIT or 1800)."""
        self.check()
        acquire_lab(self.run_dir, DEFAULT_WAIT if wait is None else wait, self.on_wait)
        t0 = time.monotonic()
        self.down(keep_ownership=True)
        for tool in ("systemctl", "hostnamectl", "garp", "phpweb"):
            # An installed wheel may not keep the executable bits the hosts need.
            path = GUEST / tool
            if not os.access(path, os.X_OK):
                path.chmod(0o755)
        self._check_root_routes()
        (self.state_dir / "hosts").mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o700)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "owner").write_text(f"{os.getpid()}\n")
        # `ip netns add` makes /run/netns a mount point when it is not one yet: remember, to undo it.
        self._save_lab_state({"answers": self.answers.to_dict(), "bridges": {}, "forwards": {},
                              "root_address": self.root_address,
                              "made_run_netns": not _is_mount_point("/run/netns"),
                              "made_run_netns_dir": not Path("/run/netns").exists()})
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ha-wizard-lab", "-f", str(self.key_path)])
        _run(["ip", "netns", "add", BRIDGE_NS])
        _run(["ip", "-n", BRIDGE_NS, "link", "set", "lo", "up"])
        ext = self._bridge("natnetwork", self.answers.virtualbox.natnetwork)
        _run(["ip", "link", "add", ROOT_LINK, "type", "veth", "peer", "name", "root0", "netns", BRIDGE_NS])
        _run(["ip", "-n", BRIDGE_NS, "link", "set", "root0", "master", ext, "up"])
        # VirtualBox's NAT network has its gateway (and DNS proxy) at networks.external_gateway: the lab
        # gives that address to the bridge, so it answers pings; it leads nowhere (no way out of the lab).
        gateway = self.answers.networks.external_gateway
        if gateway and ipaddress.ip_address(gateway) in self.external_net:
            _run(["ip", "-n", BRIDGE_NS, "addr", "add", f"{gateway}/{self.external_net.prefixlen}", "dev", ext])
        _run(["ip", "addr", "add", f"{self.root_address}/{self.external_net.prefixlen}", "dev", ROOT_LINK])
        _run(["ip", "link", "set", ROOT_LINK, "up"])
        self._create_vms(prepared)
        built = time.monotonic()
        self._boot_many(self.vms())
        self.write_known_hosts()
        return {"build": built - t0, "total": time.monotonic() - t0}

    def _check_root_routes(self) -> None:
        """Refuse to shadow a network the machine already uses: the lab must change nothing else."""
        net = self.external_net
        res = _run(["ip", "-4", "-o", "route", "show", "table", "all"], check=False)
        for line in res.stdout.splitlines():
            dest = line.split()[0]
            if dest in ("default", "local", "broadcast", "unreachable", "multicast") or ROOT_LINK in line.split():
                continue
            try:
                other = ipaddress.ip_network(dest, strict=False)
            except ValueError:
                continue
            if other.overlaps(net) and other.prefixlen > 0 and not other.is_loopback:
                raise LabError(f"networks.external {net} overlaps a route of this machine ({line.strip()}); "
                               "choose another external network in the answers")

    def down(self, keep_ownership: bool = False, force: bool = False, wait: float | None = None) -> None:
        """Remove every namespace, process, link, mount and file of the lab. Safe to run twice.

        Waits (like `up`) while another live process owns the lab, unless `force`. Ownership is released
        afterwards unless `keep_ownership` (a test about to build the next lab)."""
        if not force:
            acquire_lab(self.run_dir, DEFAULT_WAIT if wait is None else wait, self.on_wait)
        try:
            self._teardown()
        finally:
            if not keep_ownership:
                release_lab()

    def _teardown(self) -> None:
        made = self._lab_state() if self.lab_file.exists() else {}
        for pidfile in (self.run_dir / "forwards").glob("*.pid") if (self.run_dir / "forwards").is_dir() else []:
            self._kill_pidfile(pidfile)
        for ns in _netns_list():
            if ns.startswith(NS_PREFIX):
                self._kill_netns(ns)
        for pidfile in (self.run_dir / "hosts").glob("*.pid") if (self.run_dir / "hosts").is_dir() else []:
            self._kill_pidfile(pidfile)
        for proc in self._procs.values():
            proc.poll()
        self._procs.clear()
        for pid in self._stray_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for ns in _netns_list():
            if ns.startswith(NS_PREFIX):
                _run(["ip", "netns", "del", ns], check=False)
        if Path(f"/sys/class/net/{ROOT_LINK}").exists():
            _run(["ip", "link", "del", ROOT_LINK], check=False)
        for mnt in self._stray_mounts():
            _run(["umount", "-l", mnt], check=False)
        netns_dir = Path("/run/netns")
        if made.get("made_run_netns") and netns_dir.is_dir() and not any(netns_dir.iterdir()):
            _run(["umount", str(netns_dir)], check=False)
            if made.get("made_run_netns_dir") and not _is_mount_point(str(netns_dir)):
                try:
                    netns_dir.rmdir()
                except OSError:
                    pass
        shutil.rmtree(self.run_dir, ignore_errors=True)
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def leftovers(self) -> list[str]:
        """What of the lab is still on the machine (empty after `down`): for tests and `lab status`."""
        found = [f"netns {ns}" for ns in _netns_list() if ns.startswith(NS_PREFIX)]
        found += [f"process {pid}" for pid in self._stray_pids()]
        found += [f"mount {m}" for m in self._stray_mounts()]
        if Path(f"/sys/class/net/{ROOT_LINK}").exists():
            found.append(f"link {ROOT_LINK}")
        found += [f"path {p}" for p in (self.state_dir, self.run_dir) if p.exists()]
        return found

    def _stray_pids(self) -> list[int]:
        """Processes of the lab: started from its guest programs or living in one of its namespaces."""
        # Only what the lab started: its guest programs (hostinit, forward) by their exact argv prefix.
        marks = [f"{SYSTEM_PYTHON}\0-I\0{GUEST}/".encode()]
        mine = os.getpid()
        lab_ns = set()
        for ns in _netns_list():
            if ns.startswith(NS_PREFIX):
                try:
                    lab_ns.add(os.stat(f"/run/netns/{ns}").st_ino)
                except OSError:
                    pass
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == mine:
                continue
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                netns_ino = os.stat(f"/proc/{entry}/ns/net").st_ino
            except OSError:
                continue
            if netns_ino in lab_ns or any(cmdline.startswith(m) for m in marks):
                if _pid_alive(int(entry)):
                    pids.append(int(entry))
        return pids

    def _stray_mounts(self) -> list[str]:
        found = []
        try:
            lines = Path("/proc/self/mountinfo").read_text().splitlines()
        except OSError:
            return found
        for line in lines:
            mnt = line.split()[4]
            if (mnt.startswith((str(self.state_dir), str(self.run_dir)))
                    or mnt.startswith(f"/run/netns/{NS_PREFIX}")):
                found.append(mnt)
        return sorted(found, key=len, reverse=True)

    def _kill_pidfile(self, pidfile: Path) -> None:
        try:
            pids = [int(x) for x in pidfile.read_text().split()]
        except (OSError, ValueError):
            pids = []
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        pidfile.unlink(missing_ok=True)

    def _kill_netns(self, ns: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = [int(p) for p in _run(["ip", "netns", "pids", ns], check=False).stdout.split()]
            pids = [p for p in pids if _pid_alive(p)]
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)

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
        if not Path(f"/run/netns/{BRIDGE_NS}").exists():
            raise LabError("the lab is not up (run `ha-wizard lab up`)")
        if _run(["ip", "-n", BRIDGE_NS, "link", "show", name], check=False).returncode != 0:
            _run(["ip", "-n", BRIDGE_NS, "link", "add", name, "type", "bridge", "forward_delay", "0"])
            _run(["ip", "-n", BRIDGE_NS, "link", "set", name, "up"])
        return name

    def _peer(self, vm: str, n: int) -> str:
        return f"v{self.vm_config(vm)['index']}n{n}"

    # -- VM creation ----------------------------------------------------------------------------------
    def _new_vm(self, vm: str, nics: dict[int, Nic]) -> Path:
        indexes = [self.vm_config(v)["index"] for v in self.vms()]
        config = {"name": vm, "uuid": str(uuid.uuid4()), "index": max(indexes, default=0) + 1,
                  "nics": {str(n): vars(nic) for n, nic in sorted(nics.items())}}
        d = self.hostdir(vm)
        for sub in ("disk/etc", "disk/var", "disk/root", "work/etc", "work/var", "snapshots"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        (d / "disk/root").chmod(0o700)
        self.save_vm_config(vm, config)
        return d

    def _mac(self, vm_index: int, n: int) -> str:
        return f"08002701{n:02X}{vm_index:02X}"

    def _director_nics(self, d: Director, index: int, heartbeat: bool, macs: list[str] | None = None) -> dict:
        vb = self.answers.virtualbox
        nics = {1: Nic("natnetwork", vb.natnetwork, self._mac(index, 1), d.external_if),
                2: Nic("intnet", vb.internal_network, self._mac(index, 2), d.internal_if)}
        if heartbeat:
            nics[3] = Nic("intnet", vb.heartbeat_network, mac_plain(d.heartbeat_mac), d.heartbeat_if, vb.nic_type)
        for n, mac in enumerate(macs or [], start=1):
            if n in nics:
                nics[n].mac = mac_plain(mac)
        return nics

    def _create_vms(self, prepared: bool) -> None:
        a = self.answers
        master, standby = a.master, a.standby
        index = 1
        self._new_vm(master.vm, self._director_nics(master, index, heartbeat=prepared))
        self._install_director(master, prepared)
        if prepared:
            index += 1
            self._new_vm(standby.vm, self._director_nics(standby, index, True, a.virtualbox.standby_macs))
            self._install_director(standby, prepared, haproxy_from=master)
        for server in a.servers:
            index += 1
            nic = Nic("intnet", a.virtualbox.internal_network, self._mac(index, 1), server.ifname)
            self._new_vm(server.vm, {1: nic})
            self._install_server(server)

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
                        hosts: str) -> Path:
        disk = self.hostdir(vm) / "disk"
        etc = disk / "etc"
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
        for f in Path("/etc/ssh").glob("ssh_host_*"):
            _whiteout(ssh / f.name)
        (ssh / "ssh_host_ed25519_key").unlink()
        (ssh / "ssh_host_ed25519_key.pub").unlink(missing_ok=True)
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"root@{hostname}",
              "-f", str(ssh / "ssh_host_ed25519_key")])
        _write(ssh / "sshd_config.d/ha-wizard-lab.conf",
               "# ha-wizard lab host: key login for root, no passwords; directors are jump hosts to the servers.\n"
               "HostKey /etc/ssh/ssh_host_ed25519_key\nPermitRootLogin prohibit-password\n"
               "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\n"
               "AllowTcpForwarding yes\nMaxStartups 50:30:200\n")
        # Start clean like a fresh install, whatever the machine's own daemons left behind.
        for folder in ("/var/lib/pcsd", "/var/lib/corosync", "/var/lib/pacemaker/cib"):
            for f in Path(folder).glob("*") if Path(folder).is_dir() else []:
                _whiteout(disk / folder.lstrip("/") / f.name)
        # Debian's corosync package ships a corosync.conf naming a cluster node "node1": pcs then believes
        # the host is in a cluster and sends known-hosts to node1 instead of saving them. The guide's hosts
        # start with no cluster configuration at all, so lab hosts do too (a real Debian host needs
        # `pcs cluster destroy` first).
        for name in ("authkey", "corosync.conf"):
            if Path("/etc/corosync", name).exists():
                _whiteout(etc / "corosync" / name)
        root_ssh = disk / "root/.ssh"
        root_ssh.mkdir(mode=0o700, parents=True, exist_ok=True)
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

    def _install_director(self, d: Director, prepared: bool, haproxy_from: Director | None = None) -> None:
        from assets import render

        a = self.answers
        interfaces = {
            d.external_if: self._iface(d.external_if, d.external_ip, a.networks.external,
                                       a.networks.external_gateway, a.networks.dns),
            d.internal_if: self._iface(d.internal_if, d.internal_ip, a.networks.internal),
        }
        if prepared:
            interfaces[d.heartbeat_if] = self._iface(d.heartbeat_if, d.heartbeat_ip, a.networks.heartbeat)
        disk = self._install_common(d.vm, d.name, ["ssh", "haproxy"], interfaces, self._hosts_file(d.name, prepared))
        # Seminar 3's balancer: haproxy on the director's own external address (a clone keeps master's).
        source = haproxy_from or d
        _write(disk / "etc/haproxy/haproxy.cfg", self._haproxy_cfg(source.external_ip))
        _write(disk / "etc/haproxy/errors/ha-wizard-503.http",
               render("ha-wizard-503.http.j2", cluster_name=a.cluster_name))

    def _install_server(self, s: Server) -> None:
        from assets import render

        a = self.answers
        iface = self._iface(s.ifname, s.ip, a.networks.internal, a.master.internal_ip)
        disk = self._install_common(s.vm, s.name, ["ssh", "phpweb"], {s.ifname: iface},
                                    self._hosts_file(s.name, False))
        _write(disk / "etc/init.d/phpweb", (GUEST / "phpweb").read_text(), 0o755)
        _write(disk / "etc/phpweb/prepend.php",
               "<?php\n// ha-wizard lab: php -S sets no SERVER_ADDR; the init script passes the host's address.\n"
               "if (empty($_SERVER['SERVER_ADDR'])) { $_SERVER['SERVER_ADDR'] = getenv('PHPWEB_SERVER_ADDR'); }\n")
        www = disk / "var/www/html"
        _write(www / "index.php", render("index.php.j2", title=f"{a.cluster_name}: {s.name}"))
        _write(www / "pi.php", render("pi.php.j2"))

    # -- power ----------------------------------------------------------------------------------------
    def running(self, vm: str) -> bool:
        proc = self._procs.get(vm)
        if proc is not None:
            proc.poll()  # reap our `ip netns exec` child once the host powered itself off
        pid = self.init_pid(vm)
        return pid is not None and _pid_alive(pid)

    def init_pid(self, vm: str) -> int | None:
        try:
            return int((self.run_dir / "hosts" / f"{vm}.pid").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            return None

    def _start(self, vm: str) -> tuple[int, int]:
        """Power on: fresh namespace with the VM's NICs cabled to their bridges, then boot its init."""
        if self.running(vm):
            raise LabError(f"VBoxManage: error: The machine '{vm}' is already locked by a session (running)")
        ns = self.netns(vm)
        if ns in _netns_list():
            self._kill_netns(ns)
            _run(["ip", "netns", "del", ns], check=False)
        _run(["ip", "netns", "add", ns])
        for n, nic in self.nics(vm).items():
            if nic.type == "none":
                continue
            br = self._bridge(nic.type, nic.network)
            peer = self._peer(vm, n)
            _run(["ip", "-n", BRIDGE_NS, "link", "del", peer], check=False)
            _run(["ip", "-n", BRIDGE_NS, "link", "add", peer, "type", "veth", "peer", "name", nic.ifname,
                  "address", mac_colon(nic.mac).lower(), "netns", ns])
            _run(["ip", "-n", BRIDGE_NS, "link", "set", peer, "master", br])
            _run(["ip", "-n", BRIDGE_NS, "link", "set", peer, "up" if nic.cable else "down"])
        d = self.hostdir(vm)
        for sub in ("work/etc", "work/var"):
            shutil.rmtree(d / sub, ignore_errors=True)
            (d / sub).mkdir(parents=True)
        console = open(d / "console.log", "ab")
        offset = console.tell()
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "unshare", "-m", "-u", "-i", "-p", "-f", "--propagation", "private",
             "--mount-proc", SYSTEM_PYTHON, "-I", str(GUEST / "hostinit.py"), str(d)],
            stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT, start_new_session=True,
            env={"PATH": HOST_ENV[0][5:], "LANG": "C.UTF-8"})
        console.close()
        self._procs[vm] = proc
        init = 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not init:
            kids = _children(proc.pid)
            if kids:
                init = kids[0]
            elif proc.poll() is not None:
                break
            else:
                time.sleep(0.01)
        if not init:
            raise LabError(f"{vm}: its init did not start; see {d / 'console.log'}")
        (self.run_dir / "hosts").mkdir(parents=True, exist_ok=True)
        (self.run_dir / "hosts" / f"{vm}.pid").write_text(f"{proc.pid} {init}\n")
        return init, offset

    def _wait_booted(self, vm: str, offset: int, timeout: float = BOOT_TIMEOUT) -> None:
        log = self.hostdir(vm) / "console.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(log, "rb") as f:
                f.seek(offset)
                text = f.read().decode(errors="replace")
            if "BOOTED" in text:
                return
            if not self.running(vm):
                raise LabError(f"{vm}: died while booting:\n{text[-2000:]}")
            time.sleep(0.05)
        raise LabError(f"{vm}: not booted after {timeout:.0f} s; see {log}")

    def _boot_many(self, vms: list[str]) -> None:
        started = [(vm, self._start(vm)[1]) for vm in vms]
        for vm, offset in started:
            self._wait_booted(vm, offset)

    def poweron(self, host: str) -> None:
        """Boot a powered-off host (its enabled services start, as on a booted Debian host)."""
        vm = self.resolve(host)
        self._boot_many([vm])
        self.write_known_hosts()

    def poweroff(self, host: str) -> None:
        """A power cut: its links go down and every process of the host dies at once."""
        vm = self.resolve(host)
        if not self.running(vm):
            raise LabError(f"{vm} is not running")
        for n in self.nics(vm):
            _run(["ip", "-n", BRIDGE_NS, "link", "set", self._peer(vm, n), "down"], check=False)
        init = self.init_pid(vm)
        if init:
            try:
                os.kill(init, signal.SIGKILL)  # PID 1 of the host's pid namespace: the kernel kills the rest
            except ProcessLookupError:
                pass
        self._after_stop(vm)

    def acpi_shutdown(self, host: str, timeout: float = 60) -> None:
        """The power button: the host stops its services and powers off."""
        vm = self.resolve(host)
        init = self.init_pid(vm)
        if not init or not self.running(vm):
            raise LabError(f"{vm} is not running")
        os.kill(init, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.running(vm) and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.running(vm):
            os.kill(init, signal.SIGKILL)
        self._after_stop(vm)

    def _after_stop(self, vm: str) -> None:
        ns = self.netns(vm)
        self._kill_netns(ns)
        proc = self._procs.pop(vm, None)
        if proc is not None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        for n in self.nics(vm):
            _run(["ip", "-n", BRIDGE_NS, "link", "del", self._peer(vm, n)], check=False)
        _run(["ip", "netns", "del", ns], check=False)
        (self.run_dir / "hosts" / f"{vm}.pid").unlink(missing_ok=True)

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
            _run(["ip", "-n", BRIDGE_NS, "link", "set", self._peer(vm, n), "up" if connected else "down"])

    def unplug(self, host: str, ifname: str) -> None:
        """Pull the cable of `ifname` (the bridge side of the link goes down: the host sees NO-CARRIER)."""
        vm = self.resolve(host)
        self.set_cable(vm, self._nic_by_ifname(vm, ifname), False)

    def plug(self, host: str, ifname: str) -> None:
        vm = self.resolve(host)
        self.set_cable(vm, self._nic_by_ifname(vm, ifname), True)

    # -- running commands in hosts --------------------------------------------------------------------
    def nsenter_argv(self, host: str) -> list[str]:
        vm = self.resolve(host)
        pid = self.init_pid(vm)
        if not pid or not self.running(vm):
            raise LabError(f"{vm} is not running")
        return ["nsenter", "-t", str(pid), "-m", "-u", "-i", "-n", "-p", "--wd=/root", "env", "-i", *HOST_ENV]

    def exec(self, host: str, cmd: str, timeout: float = 120, input: str | None = None,
             check: bool = False) -> subprocess.CompletedProcess:
        """Run `cmd` (a bash command line) as root inside `host`'s namespaces; output captured as text."""
        argv = [*self.nsenter_argv(host), "/bin/bash", "-c", cmd]
        res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                             input=input, stdin=None if input is not None else subprocess.DEVNULL)
        if check and res.returncode != 0:
            raise LabError(f"{host}: `{cmd}` failed ({res.returncode}): {(res.stderr or res.stdout).strip()}")
        return res

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
            for n in [*self._names_of(vm), *self._configured_addresses(vm)]:
                if n and n not in names:
                    names.append(n)
            lines.append(f"{','.join(names)} {key}")
        tmp = self.known_hosts_path.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n")
        os.replace(tmp, self.known_hosts_path)
        return self.known_hosts_path

    def ssh_argv(self, host: str, address: str | None = None) -> list[str]:
        """An OpenSSH command reaching `host` from the root namespace (ProxyJump through a director for
        the real servers, which live on the internal network only)."""
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
        return ["ssh", *opts, f"root@{target}"]

    # -- status ---------------------------------------------------------------------------------------
    def status(self) -> list[dict]:
        """Per VM: name, state, addresses (ifname -> [cidr]), services up, NICs, host key fingerprint."""
        fps = self.host_fingerprints()
        out = []
        probe = ("ip -o -4 addr show | awk '$2 != \"lo\" {print $2, $4}'; echo ---; "
                 "for s in ssh haproxy corosync pacemaker pcsd phpweb; do "
                 "[ -x /etc/init.d/$s ] && /etc/init.d/$s status >/dev/null 2>&1 && echo $s; done; echo ---; "
                 "hostname")
        for vm in self.vms():
            info = {"vm": vm, "state": "running" if self.running(vm) else "poweroff", "addresses": {},
                    "services": [], "hostname": "", "fingerprint": fps.get(vm, ""),
                    "nics": {n: vars(nic) for n, nic in self.nics(vm).items()}}
            if info["state"] == "running":
                res = self.exec(vm, probe, timeout=30)
                parts = res.stdout.split("---\n")
                if len(parts) == 3:
                    for line in parts[0].splitlines():
                        ifname, cidr = line.split()
                        info["addresses"].setdefault(ifname, []).append(cidr)
                    info["services"] = parts[1].split()
                    info["hostname"] = parts[2].strip()
            out.append(info)
        return out

    def memory(self) -> dict[str, int]:
        """Memory of the running lab's processes, in KiB: {"rss": sum of RSS, "pss": sum of PSS, "processes": n}.
        RSS counts shared pages once per process (pessimistic); PSS shares them out (closer to the truth)."""
        rss = pss = count = 0
        for pid in self._stray_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                rss += int(re.search(r"^VmRSS:\s+(\d+)", status, re.M).group(1))
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                pss += int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1))
                count += 1
            except (OSError, AttributeError):
                continue  # gone, or a kernel thread
        return {"rss": rss, "pss": pss, "processes": count}

    # -- disks: snapshots and clones (used by the VBoxManage stand-in) --------------------------------
    def snapshot_take(self, vm: str, name: str) -> None:
        d = self.hostdir(vm)
        snap = d / "snapshots" / name
        if snap.exists():
            shutil.rmtree(snap)
        snap.mkdir(parents=True)
        _copy_tree(d / "disk", snap / "disk")
        (snap / "vm.json").write_text((d / "vm.json").read_text())

    def snapshots(self, vm: str) -> list[str]:
        folder = self.hostdir(vm) / "snapshots"
        if not folder.is_dir():
            return []
        return sorted((p.name for p in folder.iterdir() if p.is_dir()), key=lambda n: (folder / n).stat().st_mtime)

    def snapshot_restore(self, vm: str, name: str) -> None:
        d = self.hostdir(vm)
        snap = d / "snapshots" / name
        if not snap.is_dir():
            raise LabError(f"VBoxManage: error: Could not find a snapshot named '{name}'")
        if self.running(vm):
            raise LabError(f"VBoxManage: error: Cannot restore snapshot of '{vm}': the machine is running "
                           "(power it off first)")
        shutil.rmtree(d / "disk")
        _copy_tree(snap / "disk", d / "disk")
        config = json.loads((snap / "vm.json").read_text())
        config["index"] = self.vm_config(vm)["index"]
        self.save_vm_config(vm, config)

    def snapshot_delete(self, vm: str, name: str) -> None:
        snap = self.hostdir(vm) / "snapshots" / name
        if not snap.is_dir():
            raise LabError(f"VBoxManage: error: Could not find a snapshot named '{name}'")
        shutil.rmtree(snap)

    def clone(self, vm: str, new: str) -> None:
        """`clonevm`: a copy of the VM's disk (hostname, addresses, host keys and all), new MACs."""
        if not _safe_name(new):
            raise LabError(f"VBoxManage: error: invalid machine name {new!r}")
        if (self.hostdir(new) / "vm.json").exists():
            raise LabError(f"VBoxManage: error: Machine settings file for '{new}' already exists")
        src = self.vm_config(vm)
        index = max((self.vm_config(v)["index"] for v in self.vms()), default=0) + 1
        d = self.hostdir(new)
        _copy_tree(self.hostdir(vm) / "disk", d / "disk")
        for sub in ("work/etc", "work/var", "snapshots"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        nics = {}
        for n, spec in src["nics"].items():
            # VirtualBox gives a clone new MAC addresses unless told to keep them.
            nics[n] = {**spec, "mac": "080027" + secrets.token_hex(3).upper()}
        self.save_vm_config(new, {"name": new, "uuid": str(uuid.uuid4()), "index": index, "nics": nics})

    def unregister(self, vm: str) -> None:
        if self.running(vm):
            raise LabError(f"VBoxManage: error: Cannot unregister the machine '{vm}' while it is running")
        shutil.rmtree(self.hostdir(vm))
        self.write_known_hosts()

    def modify_nic(self, vm: str, n: int, **changes: object) -> None:
        if self.running(vm):
            raise LabError(f"VBoxManage: error: The machine '{vm}' is already locked for a session "
                           "(or being unlocked)\nVBoxManage: error: modifyvm needs the machine powered off")
        config = self.vm_config(vm)
        nic = config["nics"].get(str(n))
        if nic is None:
            nic = vars(Nic("none", "", "080027" + secrets.token_hex(3).upper(), self._default_ifname(vm, n)))
        nic.update({k: v for k, v in changes.items() if v is not None})
        config["nics"][str(n)] = nic
        self.save_vm_config(vm, config)

    def _default_ifname(self, vm: str, n: int) -> str:
        for d in self.answers.directors:
            if d.vm == vm:
                named = {1: d.external_if, 2: d.internal_if, 3: d.heartbeat_if}
                if n in named:
                    return named[n]
        return VBOX_IFNAMES.get(n, f"eth{n - 1}")

    # -- port forwards (natnetwork --port-forward-4) --------------------------------------------------
    def add_forward(self, network: str, rule: str) -> None:
        m = re.fullmatch(r"([^:]+):(tcp|udp):\[([^\]]*)\]:(\d+):\[([^\]]*)\]:(\d+)", rule)
        if not m:
            raise LabError(f"VBoxManage: error: invalid port-forward rule {rule!r} "
                           "(expected name:tcp:[]:HOSTPORT:[GUESTIP]:GUESTPORT)")
        name, proto, _, hport, gip, gport = m.groups()
        if proto != "tcp":
            raise LabError("the lab forwards tcp only")
        data = self._lab_state()
        if name in data["forwards"]:
            raise LabError(f"VBoxManage: error: A NAT rule of this name already exists: {name}")
        folder = self.run_dir / "forwards"
        folder.mkdir(parents=True, exist_ok=True)
        log = open(self.state_dir / f"forward-{name}.log", "ab")
        proc = subprocess.Popen([SYSTEM_PYTHON, "-I", str(GUEST / "forward.py"), "127.0.0.1", hport, gip, gport],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LabError(f"port forward {name}: could not listen on 127.0.0.1:{hport} "
                               f"(see {self.state_dir / f'forward-{name}.log'})")
            if (self.state_dir / f"forward-{name}.log").read_text().startswith("listening"):
                break
            time.sleep(0.02)
        (folder / f"{name}.pid").write_text(f"{proc.pid}\n")
        data["forwards"][name] = {"network": network, "rule": rule, "pid": proc.pid}
        self._save_lab_state(data)

    def delete_forward(self, name: str) -> None:
        data = self._lab_state()
        if data["forwards"].pop(name, None) is None:
            raise LabError(f"VBoxManage: error: no port-forward rule named {name!r}")
        self._kill_pidfile(self.run_dir / "forwards" / f"{name}.pid")
        self._save_lab_state(data)

    def forwards(self) -> dict[str, dict]:
        return self._lab_state().get("forwards", {})
