"""VM lifecycle: creating, cloning, changing NICs, unregistering; power (boot, power cut, ACPI); exec."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

from lab.base import (
    BOOT_TIMEOUT,
    GUEST,
    HOST_ENV,
    STATE,
    SYSTEM_PYTHON,
    VBOX_IFNAMES,
    LabError,
    Nic,
    _children,
    _copy_tree,
    _netns_list,
    _pid_alive,
    _run,
    _safe_name,
)
from lab.instances import netns_add
from wizard.base.answers import Director, mac_colon, mac_plain


class Machines:
    """VMs as namespace hosts: their configuration, power and commands run inside (a mixin of lab.core.Lab)."""

    # -- VM creation ----------------------------------------------------------------------------------
    def _new_vm(self, vm: str, nics: dict[int, Nic]) -> Path:
        indexes = [self.vm_config(v)["index"] for v in self.vms()]
        config = {"name": vm, "uuid": str(uuid.uuid4()), "index": max(indexes, default=0) + 1,
                  "nics": {str(n): vars(nic) for n, nic in sorted(nics.items())}, "image": self.image}
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

    def _create_vms(self, prepared: bool, password_only: set[str] | frozenset[str] = frozenset()) -> None:
        a = self.answers
        master, standby = a.master, a.standby
        index = 1
        self._new_vm(master.vm, self._director_nics(master, index, heartbeat=prepared))
        self._install_director(master, prepared, password_only=master.vm in password_only)
        if prepared:
            index += 1
            self._new_vm(standby.vm, self._director_nics(standby, index, True, a.virtualbox.standby_macs))
            self._install_director(standby, prepared, haproxy_from=master, password_only=standby.vm in password_only)
        for server in a.servers:
            index += 1
            nic = Nic("intnet", a.virtualbox.internal_network, self._mac(index, 1), server.ifname)
            self._new_vm(server.vm, {1: nic})
            self._install_server(server, password_only=server.vm in password_only)

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
        netns_add(ns)
        for n, nic in self.nics(vm).items():
            if nic.type == "none":
                continue
            br = self._bridge(nic.type, nic.network)
            peer = self._peer(vm, n)
            _run(["ip", "-n", self.bridge_ns, "link", "del", peer], check=False)
            _run(["ip", "-n", self.bridge_ns, "link", "add", peer, "type", "veth", "peer", "name", nic.ifname,
                  "address", mac_colon(nic.mac).lower(), "netns", ns])
            _run(["ip", "-n", self.bridge_ns, "link", "set", peer, "master", br])
            _run(["ip", "-n", self.bridge_ns, "link", "set", peer, "up" if nic.cable else "down"])
        d = self.hostdir(vm)
        for sub in ("work/etc", "work/var", "work/fs"):
            shutil.rmtree(d / sub, ignore_errors=True)
            (d / sub).mkdir(parents=True)
        root = self.vm_root(vm)
        if not (root / "usr/bin").is_dir():
            raise LabError(f"{vm}: its image {self.vm_image(vm)} is gone ({root}): `ha-wizard lab image build "
                           f"{self.vm_image(vm)}`")
        console = open(d / "console.log", "ab")
        offset = console.tell()
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "unshare", "-m", "-u", "-i", "-p", "-f", "--propagation", "private",
             "--mount-proc", SYSTEM_PYTHON, "-I", str(GUEST / "hostinit.py"), str(d), f"--state={STATE}",
             *([f"--root={root}"] if root != Path("/") else [])],
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
            _run(["ip", "-n", self.bridge_ns, "link", "set", self._peer(vm, n), "down"], check=False)
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
            _run(["ip", "-n", self.bridge_ns, "link", "del", self._peer(vm, n)], check=False)
        _run(["ip", "netns", "del", ns], check=False)
        (self.run_dir / "hosts" / f"{vm}.pid").unlink(missing_ok=True)

    # -- running commands in hosts --------------------------------------------------------------------
    def nsenter_argv(self, host: str) -> list[str]:
        vm = self.resolve(host)
        pid = self.init_pid(vm)
        if not pid or not self.running(vm):
            raise LabError(f"{vm} is not running")
        # The working directory is set inside (env -C): nsenter --wd opens its path before entering, on this
        # machine's tree, which a host on a guest image does not see.
        return ["nsenter", "-t", str(pid), "-m", "-u", "-i", "-n", "-p", "env", "-i", "-C", "/root", *HOST_ENV]

    def exec(self, host: str, cmd: str, timeout: float = 120, input: str | None = None,
             check: bool = False) -> subprocess.CompletedProcess:
        """Run `cmd` (a bash command line) as root inside `host`'s namespaces; output captured as text."""
        argv = [*self.nsenter_argv(host), "/bin/bash", "-c", cmd]
        res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                             input=input, stdin=None if input is not None else subprocess.DEVNULL)
        if check and res.returncode != 0:
            raise LabError(f"{host}: `{cmd}` failed ({res.returncode}): {(res.stderr or res.stdout).strip()}")
        return res

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
        self.save_vm_config(new, {"name": new, "uuid": str(uuid.uuid4()), "index": index, "nics": nics,
                                  "image": self.vm_image(vm)})

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

