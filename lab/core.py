"""The lab itself: `Lab`, put together from one mixin per concern; see lab/__init__.py for the API.

Where things are:
  lab/base.py       constants (paths), errors, process and file helpers, `Nic`
  lab/instances.py  lab instances: names, numbers (loopback addresses), their folders and namespaces
  lab/owner.py      who owns an instance: the owner lock
  lab/store.py      lab.json, hosts/<vm>/vm.json, names -> VMs
  lab/networks.py   bridges (one per VirtualBox network), cables, the machine's place on the external network
  lab/machines.py   VM lifecycle (create, clone, NICs, unregister), power, commands inside a host
  lab/install.py    what a new VM's disk holds (the guide's Debian host)
  lab/images.py     guest images: this machine's tree (debian12) or a debootstrapped one (debian13), built once
  lab/guestimage.py which image the lab and each VM run on
  lab/access.py     SSH into the hosts: the lab key, host keys, known_hosts, ssh command lines
  lab/forwards.py   NAT network port forwards
  lab/snapshots.py  snapshots of a VM's disk and configuration, each with its own UUID
  lab/standin.py    the instance's VBoxManage program (runs lab/vbox.py, the stand-in's verbs)
  lab/core.py       this file: up, down (and what is left over), status, list, memory

Everything an instance NAME makes lives in (the default instance: NAME "default"):
  /var/lib/ha-wizard-lab/instances/NAME/   instance.json (its number), lab.json (answers, bridges, forwards),
                                           id_ed25519(.pub), known_hosts, bin/VBoxManage
  /var/lib/ha-wizard-lab/images/<name>/    a built guest image (rootfs/, stamp.json): shared by the
                                           instances, kept by `down` (lab/images.py)
  .../instances/NAME/hosts/<vm>/           vm.json (NICs, MACs, UUID), disk/ (the VM's "disk": overlay upper dirs
                                           of /etc and /var, and /root), work/ (overlay work dirs), console.log,
                                           snapshots/<uuid>/ (disk + vm.json + snapshot.json: lab/snapshots.py)
  /run/ha-wizard-lab/NAME/                 owner, pid files of running hosts and port forwarders
  network namespaces PREFIXnet (the bridges) and PREFIX<vm> (one per running VM), PREFIX "hawl-" for the
  default instance and "hawl.NAME." for others; listening sockets of its port forwards on 127.0.0.NUMBER;
  with --host-link one veth hawl0 (hawlNUMBER) in the root namespace (one address on the external network,
  its connected route).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from lab import instances
from lab.access import SSHAccess
from lab.base import (
    GUEST,
    SYSTEM_PYTHON,
    LabBusy,
    LabError,
    LabUnavailable,
    Nic,
    _netns_list,
    _pid_alive,
    _run,
    missing_requirements,
)
from lab.forwards import PortForwards
from lab.guestimage import GuestImages
from lab.images import DEFAULT_IMAGE
from lab.install import GuestInstall
from lab.instances import DEFAULT
from lab.machines import Machines
from lab.networks import Networks
from lab.owner import DEFAULT_WAIT, acquire_lab, mark_owner, owned_elsewhere, owner_pid, owns_lab, release_lab
from lab.snapshots import Snapshots
from lab.standin import install_standin
from lab.store import LabStore
from wizard.base.answers import Answers
from wizard.base.reach import is_loopback

__all__ = ["DEFAULT", "Lab", "LabBusy", "LabError", "LabUnavailable", "Nic", "acquire_lab",
           "missing_requirements", "owns_lab", "release_lab"]


class Lab(LabStore, Networks, Machines, GuestInstall, GuestImages, SSHAccess, PortForwards, Snapshots):
    """The lab instance `name` built from `answers` (default: the answers of the running lab, else the guide's)."""

    def __init__(self, answers: Answers | None = None, name: str = DEFAULT) -> None:
        self.name = instances.check_name(name)
        self.state_dir = instances.state_dir(self.name)
        self.run_dir = instances.run_dir(self.name)
        self._procs: dict[str, subprocess.Popen] = {}
        # Told when up/down waits for another owner (the CLI prints it; tests may set print).
        self.on_wait: object = None
        if answers is None:
            answers = self._stored_answers() or Answers()
        elif answers.profile == "lab":
            self.wizard_answers(answers)  # the wizard reaches this lab with them, as `lab answers` writes them
        else:
            self._point_forwards(answers)  # its forwards are where this instance listens
        self.answers = answers

    # -- the instance's names ---------------------------------------------------------------------------
    @property
    def ns_prefix(self) -> str:
        """Every network namespace of this instance starts with it (lab/instances.py)."""
        return instances.netns_prefix(self.name)

    @property
    def bridge_ns(self) -> str:
        """The namespace of the instance's bridges (its NAT network's gateway lives there too)."""
        return instances.bridge_ns(self.name)

    @property
    def number(self) -> int:
        """The instance's number: it listens on 127.0.0.NUMBER. Handed out on first use (lab/instances.py)."""
        number = instances.number_of(self.name)
        if number is None:
            number = instances.reserve(self.name, self._preferred_address(getattr(self, "answers", None)))
        return number

    @property
    def address(self) -> str:
        """This machine's loopback address the instance's port forwards listen on (its host side)."""
        return instances.address_of(self.number)

    @property
    def root_link(self) -> str:
        return instances.root_link(self.number)

    @property
    def vboxmanage_path(self) -> Path:
        """The instance's VBoxManage stand-in, an executable file (lab/standin.py) the lab answers name."""
        return self.state_dir / "bin" / "VBoxManage"

    @staticmethod
    def _preferred_address(answers: Answers | None) -> str:
        """The loopback address (not 127.0.0.1) the answers already reach their directors at, if any."""
        for d in answers.directors if answers is not None else []:
            if d.ssh_host and is_loopback(d.ssh_host) and d.ssh_host not in ("127.0.0.1", "localhost"):
                return d.ssh_host
        return ""

    def wizard_answers(self, answers: Answers | None = None) -> Answers:
        """`answers` (default: the guide's, profile lab) pointed at this lab instance: its VBoxManage stand-in,
        its client key and known_hosts, and (an instance other than the default) its loopback address for
        the directors' port forwards, as `ha-wizard lab answers --name NAME` writes them."""
        answers = answers if answers is not None else Answers(profile="lab")
        answers.virtualbox.vboxmanage = str(self.vboxmanage_path)
        answers.ssh_identity = str(self.key_path)
        answers.ssh_known_hosts = str(self.known_hosts_path)
        self._point_forwards(answers)
        return answers

    def _point_forwards(self, answers: Answers) -> None:
        """Directors reached through a port forward (a loopback `ssh_host`) are reached on this instance's
        address (the default instance: as the answers say, 127.0.0.1 or localhost)."""
        if self.name == DEFAULT or not any(d.ssh_host and is_loopback(d.ssh_host) for d in answers.directors):
            return
        if instances.number_of(self.name) is None:
            instances.reserve(self.name, self._preferred_address(answers))
        for d in answers.directors:
            if d.ssh_host and is_loopback(d.ssh_host):
                d.ssh_host = self.address

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
        network and reaches the guests only through port forwards (`natnetwork modify --port-forward-4`),
        which listen on the instance's loopback address (`address`).
        `host_link`: this machine also gets an address there (a host-only adapter in VirtualBox terms).
        `password_only`: {host: root password} for hosts that, like a fresh CentOS install, let root in
        with its password only (no key of the lab's is authorised there).
        `image`: the guest image every VM runs on (lab/images.py; built beforehand, `lab image build`).

        The calling process becomes the instance's owner until `down()` or its end; while another live
        process owns it this waits for it, at most `wait` seconds (default HA_WIZARD_LAB_WAIT or 1800).
        Other instances are not touched."""
        self.check()
        self._check_image(image)
        passwords = {self._vm_of(h): pw for h, pw in (password_only or {}).items()}
        acquire_lab(self.name, DEFAULT_WAIT if wait is None else wait, self.on_wait)
        t0 = time.monotonic()
        self._teardown(keep_identity=True)
        for tool in ("systemctl", "hostnamectl", "garp", "phpweb"):
            # An installed wheel may not keep the executable bits the hosts need.
            path = GUEST / tool
            if not os.access(path, os.X_OK):
                path.chmod(0o755)
        if host_link:
            self._check_root_routes()
        instances.reserve(self.name, self._preferred_address(self.answers))
        (self.state_dir / "hosts").mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o700)
        install_standin(self.vboxmanage_path.parent, self.name)  # the host steps' VBoxManage
        mark_owner(self.name)
        self._save_lab_state({"answers": self.answers.to_dict(), "bridges": {}, "forwards": {},
                              "image": image, "address": self.address,
                              "host_link": host_link, "root_address": self.root_address if host_link else "",
                              "password_only": sorted(passwords)})
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"ha-wizard-lab-{self.name}",
              "-f", str(self.key_path)])
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
        """Remove every namespace, process, link, mount and file of this instance. Safe to run twice.

        Waits (like `up`) while another live process owns the instance, unless `force`. Ownership is
        released afterwards unless `keep_ownership` (a test about to build the next lab)."""
        if not force:
            acquire_lab(self.name, DEFAULT_WAIT if wait is None else wait, self.on_wait)
        try:
            self._teardown()
        finally:
            if not keep_ownership:
                release_lab(self.name)

    def _my_netns(self) -> list[str]:
        return [ns for ns in _netns_list() if ns.startswith(self.ns_prefix)]

    def _teardown(self, keep_identity: bool = False) -> None:
        """Everything of the instance goes; `keep_identity` keeps its number (`up` rebuilding it)."""
        for pidfile in (self.run_dir / "forwards").glob("*.pid") if (self.run_dir / "forwards").is_dir() else []:
            self._kill_pidfile(pidfile)
        for ns in self._my_netns():
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
        for ns in self._my_netns():
            _run(["ip", "netns", "del", ns], check=False)
        number = instances.number_of(self.name)
        link = instances.root_link(number) if number is not None else ""
        if link and Path(f"/sys/class/net/{link}").exists():
            _run(["ip", "link", "del", link], check=False)
        for mnt in self._stray_mounts():
            _run(["umount", "-l", mnt], check=False)
        instances.netns_mount_undo()
        shutil.rmtree(self.run_dir, ignore_errors=True)
        if keep_identity:
            for entry in self.state_dir.iterdir() if self.state_dir.is_dir() else []:
                if entry.name == instances.INFO:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
        else:
            shutil.rmtree(self.state_dir, ignore_errors=True)
        if self.name == DEFAULT:
            self._remove_one_lab_layout()

    @staticmethod
    def _remove_one_lab_layout() -> None:
        """What a lab of the one-lab-per-machine layout (before instances) kept outside instances/: its
        processes and namespaces were the default instance's (hawl-*), removed above; these files go too."""
        for name in ("lab.json", "lab.tmp", "id_ed25519", "id_ed25519.pub", "known_hosts", "known_hosts.tmp"):
            (instances.STATE / name).unlink(missing_ok=True)
        for log in instances.STATE.glob("forward-*.log") if instances.STATE.is_dir() else []:
            log.unlink(missing_ok=True)
        shutil.rmtree(instances.STATE / "hosts", ignore_errors=True)
        shutil.rmtree(instances.STATE / "bin", ignore_errors=True)
        for name in ("hosts", "forwards"):  # unless they are the run folders of instances of those names
            if name not in instances.names():
                shutil.rmtree(instances.RUN / name, ignore_errors=True)
        if (instances.RUN / "owner").is_file():
            (instances.RUN / "owner").unlink()

    def leftovers(self) -> list[str]:
        """What of the instance is still on the machine (empty after `down`): for tests and `lab down`."""
        found = [f"netns {ns}" for ns in self._my_netns()]
        found += [f"process {pid}" for pid in self._stray_pids()]
        found += [f"mount {m}" for m in self._stray_mounts()]
        number = instances.number_of(self.name)
        link = instances.root_link(number) if number is not None else ""
        if link and Path(f"/sys/class/net/{link}").exists():
            found.append(f"link {link}")
        found += [f"path {p}" for p in (self.state_dir, self.run_dir) if p.exists()]
        return found

    def _stray_pids(self) -> list[int]:
        """Processes of this instance: its guest programs (hostinit, forward, by their own argv) or anything
        living in one of its namespaces."""
        python = f"{SYSTEM_PYTHON}\0-I\0".encode()
        # hostinit.py HOSTDIR (a folder of this instance's), forward.py --lab NAME: never another instance's.
        marks = [f"/hostinit.py\0{self.state_dir}/".encode(), f"/forward.py\0--lab\0{self.name}\0".encode()]
        mine = os.getpid()
        lab_ns = set()
        for ns in self._my_netns():
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
            ours = cmdline.startswith(python) and any(m in cmdline for m in marks)
            if netns_ino in lab_ns or ours:
                if _pid_alive(int(entry)):
                    pids.append(int(entry))
        return pids

    def _stray_mounts(self) -> list[str]:
        found = []
        try:
            lines = Path("/proc/self/mountinfo").read_text().splitlines()
        except OSError:
            return found
        mine = (f"{self.state_dir}/", f"{self.run_dir}/", f"/run/netns/{self.ns_prefix}")
        for line in lines:
            mnt = line.split()[4]
            if mnt.startswith(mine) or mnt in (str(self.state_dir), str(self.run_dir)):
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

    # -- instances ------------------------------------------------------------------------------------
    def summary(self) -> dict:
        """One line of `lab list`: name, image, mode, VMs (running/all), forwards, owner pid, address."""
        state = self._lab_state() if self.lab_file.exists() else {}
        vms = self.vms()
        owner = owner_pid(self.name)
        busy = owned_elsewhere(self.name) or owns_lab(self.name)
        return {"name": self.name, "image": state.get("image") or DEFAULT_IMAGE,
                "mode": "host-link" if state.get("host_link") else "nat", "address": self.address,
                "vms": len(vms), "running": sum(1 for vm in vms if self.running(vm)),
                "forwards": sorted(f"{f['host_port']}->{f['guest_ip']}:{f['guest_port']}"
                                   for f in state.get("forwards", {}).values()),
                "owner": owner if busy and owner is not None and _pid_alive(owner) else None}

    @classmethod
    def every(cls) -> list[Lab]:
        """Every lab instance on this machine (`lab list`, `lab down --all`)."""
        return [cls(name=name) for name in instances.names()]

    @classmethod
    def down_all(cls, force: bool = False, wait: float = 0) -> dict[str, str]:
        """`down` every instance; {name: why not} for those another live process still owns (unless
        `force`). Namespaces of an instance whose folder is gone (removed by hand) go as well."""
        failed: dict[str, str] = {}
        known = set()
        for lab in cls.every():
            known.add(lab.name)
            try:
                lab.down(force=force, wait=wait)
            except LabBusy as exc:
                failed[lab.name] = str(exc)
        for name in sorted({ns.split(".")[1] for ns in _netns_list() if ns.startswith("hawl.")} - known):
            try:
                cls(name=instances.check_name(name)).down(force=force, wait=wait)
            except LabBusy as exc:
                failed[name] = str(exc)
            except LabError:
                continue  # not a name of ours
        return failed

    # -- status ---------------------------------------------------------------------------------------
    def status(self) -> list[dict]:
        """Per VM: name, image, state, addresses (ifname -> [cidr]), services up, NICs, host key fingerprint."""
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

    def cpu_seconds(self) -> float:
        """CPU time the instance's processes have used (user + system, theirs and that of the processes they
        waited for: every command run inside the hosts, pcs included) since they started."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self._stray_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
            except (OSError, ValueError, IndexError):
                continue
        return total / tick

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

