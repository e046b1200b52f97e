"""The lab itself: `Lab`, put together from one mixin per concern; see lab/__init__.py for the API.

Where things are:
  lab/base.py       constants (paths, names), errors, process and file helpers, `Nic`
  lab/owner.py      one lab per machine: the owner lock
  lab/store.py      lab.json, hosts/<vm>/vm.json, names -> VMs
  lab/networks.py   bridges (one per VirtualBox network), cables, the machine's place on the external network
  lab/machines.py   VM lifecycle (create, clone, NICs, unregister), power, commands inside a host
  lab/install.py    what a new VM's disk holds (the guide's Debian host)
  lab/images.py     guest images: this machine's tree (debian12) or a debootstrapped one (debian13), built once
  lab/guestimage.py which image the lab and each VM run on
  lab/access.py     SSH into the hosts: the lab key, host keys, known_hosts, ssh command lines
  lab/forwards.py   NAT network port forwards
  lab/snapshots.py  snapshots of a VM's disk and configuration, each with its own UUID
  lab/core.py       this file: up, down (and what is left over), status, memory

Everything the lab makes lives in:
  /var/lib/ha-wizard-lab/            lab.json (answers, bridges, forwards), id_ed25519(.pub), known_hosts
  /var/lib/ha-wizard-lab/hosts/<vm>/ vm.json (NICs, MACs, UUID), disk/ (the VM's "disk": overlay upper dirs of
                                     /etc and /var, and /root), work/ (overlay work dirs), console.log,
                                     snapshots/<uuid>/ (disk + vm.json + snapshot.json: lab/snapshots.py)
  /var/lib/ha-wizard-lab/images/<name>/ a built guest image (rootfs/, stamp.json): kept by `down`
  /run/ha-wizard-lab/                pid files of running hosts and port forwarders
  network namespaces hawl-net (the bridges) and hawl-<vm> (one per running VM), and one veth hawl0 in the
  root namespace (the lab's only change there: one address on the external network, its connected route).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from lab.access import SSHAccess
from lab.base import (
    GUEST,
    NS_PREFIX,
    ROOT_LINK,
    RUN,
    STATE,
    SYSTEM_PYTHON,
    LabBusy,
    LabError,
    LabUnavailable,
    Nic,
    _is_mount_point,
    _netns_list,
    _pid_alive,
    _run,
    missing_requirements,
)
from lab.forwards import PortForwards
from lab.guestimage import GuestImages
from lab.images import DEFAULT_IMAGE, IMAGES
from lab.install import GuestInstall
from lab.machines import Machines
from lab.networks import Networks
from lab.owner import DEFAULT_WAIT, acquire_lab, owns_lab, release_lab
from lab.snapshots import Snapshots
from lab.store import LabStore
from wizard.base.answers import Answers

# Kept in the lab's folders by `down`: built guest images (lab/images.py), other labs' folders.
KEPT = {IMAGES.name, "instances"}

__all__ = ["Lab", "LabBusy", "LabError", "LabUnavailable", "Nic", "acquire_lab", "missing_requirements", "owns_lab",
           "release_lab"]


class Lab(LabStore, Networks, Machines, GuestInstall, GuestImages, SSHAccess, PortForwards, Snapshots):
    """The local practice lab built from `answers` (default: the answers of the running lab, else the guide's)."""

    def __init__(self, answers: Answers | None = None, state_dir: Path = STATE, run_dir: Path = RUN) -> None:
        self.state_dir = Path(state_dir)
        self.run_dir = Path(run_dir)
        self._procs: dict[str, subprocess.Popen] = {}
        # Told when up/down waits for another owner (the CLI prints it; tests may set print).
        self.on_wait: object = None
        if answers is None:
            answers = self._stored_answers() or Answers()
        if answers.profile == "lab":
            self.wizard_answers(answers)  # the wizard reaches this lab with them, as `answers init` writes them
        self.answers = answers

    @property
    def vboxmanage_path(self) -> Path:
        """The lab's VBoxManage stand-in, an executable file (lab/vbox.py) the lab answers name."""
        return self.state_dir / "bin" / "VBoxManage"

    def wizard_answers(self, answers: Answers | None = None) -> Answers:
        """`answers` (default: the guide's, profile lab) pointed at this lab: its VBoxManage stand-in, its client
        key and known_hosts, as `answers init --profile lab` writes them."""
        answers = answers if answers is not None else Answers(profile="lab")
        answers.virtualbox.vboxmanage = str(self.vboxmanage_path)
        answers.ssh_identity = str(self.key_path)
        answers.ssh_known_hosts = str(self.known_hosts_path)
        return answers

    # -- requirements -----------------------------------------------------------------------------------
    def check(self) -> None:
        problems = missing_requirements()
        if problems:
            raise LabUnavailable("the lab cannot run here:\n" + "\n".join(f"  - {p}" for p in problems))

    # -- up / down ------------------------------------------------------------------------------------
    def up(self, prepared: bool = False, wait: float | None = None, host_link: bool = False,
           password_only: dict[str, str] | None = None, image: str = DEFAULT_IMAGE) -> dict[str, float]:
        """Build and boot the lab: the guide's starting point, or (prepared) the state after sections 1-4.

        NAT mode (default): like VirtualBox's NAT network, this machine has no address in the external
        network and reaches the guests only through port forwards (`natnetwork modify --port-forward-4`).
        `host_link`: this machine also gets an address there (a host-only adapter in VirtualBox terms).
        `password_only`: {host: root password} for hosts that, like a fresh CentOS install, let root in
        with its password only (no key of the lab's is authorised there).
        `image`: the guest image every VM runs on (lab/images.py; built beforehand, `lab image build`).

        The calling process becomes the lab's owner until `down()` or its end; while another live process
        owns the lab this waits for it, at most `wait` seconds (default HA_WIZARD_LAB_WAIT or 1800)."""
        self.check()
        self._check_image(image)
        passwords = {self._vm_of(h): pw for h, pw in (password_only or {}).items()}
        acquire_lab(self.run_dir, DEFAULT_WAIT if wait is None else wait, self.on_wait)
        t0 = time.monotonic()
        self.down(keep_ownership=True)
        for tool in ("systemctl", "hostnamectl", "garp", "phpweb"):
            # An installed wheel may not keep the executable bits the hosts need.
            path = GUEST / tool
            if not os.access(path, os.X_OK):
                path.chmod(0o755)
        if host_link:
            self._check_root_routes()
        (self.state_dir / "hosts").mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o700)
        from lab.vbox import install_standin  # the host steps' VBoxManage (lab answers name its path)

        install_standin(self.vboxmanage_path.parent)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "owner").write_text(f"{os.getpid()}\n")
        # `ip netns add` makes /run/netns a mount point when it is not one yet: remember, to undo it.
        self._save_lab_state({"answers": self.answers.to_dict(), "bridges": {}, "forwards": {},
                              "host_link": host_link, "root_address": self.root_address if host_link else "",
                              "password_only": sorted(passwords),
                              "made_run_netns": not _is_mount_point("/run/netns"),
                              "made_run_netns_dir": not Path("/run/netns").exists(), "image": image})
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ha-wizard-lab", "-f", str(self.key_path)])
        self._make_networks(host_link)
        self._create_vms(prepared, password_only=set(passwords))
        built = time.monotonic()
        self._boot_many(self.vms())
        for vm, password in passwords.items():
            # The root password goes in on stdin (never an argument), like a fresh install's.
            self.exec(vm, "chpasswd", input=f"root:{password}\n", check=True)
        if prepared:
            # After the guide's sections 1-4 the wizard has made its SSH port forwards (its access section).
            from wizard.base.reach import forwards

            for r in forwards(self.answers):
                self.add_forward(self.answers.virtualbox.natnetwork, r.rule)
        self.write_known_hosts()
        return {"build": built - t0, "total": time.monotonic() - t0}

    def _vm_of(self, host: str) -> str:
        """A VM name from a VM or answers name, before any VM exists (up's options)."""
        for node in [*self.answers.directors, *self.answers.servers]:
            if host in (node.name, node.vm):
                return node.vm
        raise LabError(f"{host}: no such host in the answers")

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
        for folder in (self.run_dir, self.state_dir):
            for path in self._lab_paths(folder):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
            try:
                folder.rmdir()  # unless what is kept is there
            except OSError:
                pass

    def _lab_paths(self, folder: Path) -> list[Path]:
        """What of a lab folder (state or run) is this lab's: not the built guest images, which `down` keeps,
        nor other labs' folders (instances/)."""
        if not folder.is_dir():
            return []
        return [p for p in folder.iterdir() if p.name not in KEPT]

    def leftovers(self) -> list[str]:
        """What of the lab is still on the machine (empty after `down`): for tests and `lab status`."""
        found = [f"netns {ns}" for ns in _netns_list() if ns.startswith(NS_PREFIX)]
        found += [f"process {pid}" for pid in self._stray_pids()]
        found += [f"mount {m}" for m in self._stray_mounts()]
        if Path(f"/sys/class/net/{ROOT_LINK}").exists():
            found.append(f"link {ROOT_LINK}")
        found += [f"path {p}" for p in (*self._lab_paths(self.run_dir), *self._lab_paths(self.state_dir))]
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
                    and not any(mnt.startswith(f"{d}/{k}") for d in (self.state_dir, self.run_dir) for k in KEPT)
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

    # -- status ---------------------------------------------------------------------------------------
    def status(self) -> list[dict]:
        """Per VM: name, state, image, addresses (ifname -> [cidr]), services up, NICs, host key fingerprint."""
        fps = self.host_fingerprints()
        out = []
        probe = ("ip -o -4 addr show | awk '$2 != \"lo\" {print $2, $4}'; echo ---; "
                 "for s in ssh haproxy corosync pacemaker pcsd phpweb; do "
                 "[ -x /etc/init.d/$s ] && /etc/init.d/$s status >/dev/null 2>&1 && echo $s; done; echo ---; "
                 "hostname")
        for vm in self.vms():
            info = {"vm": vm, "state": "running" if self.running(vm) else "poweroff", "image": self.vm_image(vm),
                    "addresses": {},
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

