"""VM snapshots (VBoxManage snapshot take/restore/list/delete), kept the way VirtualBox keeps them.

A snapshot is the VM's "disk" (the overlay upper layers of /etc and /var, and /root) and its
configuration (vm.json: NICs, MACs) at one moment, under its own UUID:

    hosts/<vm>/snapshots/<uuid>/snapshot.json   {"uuid", "name", "description", "taken", "parent", "live"}
    hosts/<vm>/snapshots/<uuid>/disk/           copy of hosts/<vm>/disk
    hosts/<vm>/snapshots/<uuid>/vm.json         copy of hosts/<vm>/vm.json
    hosts/<vm>/snapshots/CURRENT                UUID of the current snapshot (what the VM's state derives from)

As in VirtualBox: names need not be unique (a name picks the first snapshot taken with it), a running
VM is paused while its disk is copied (unless `--live`), restoring needs the VM powered off and makes
the restored snapshot the current one, deleting one gives its children its parent.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from lab.base import LabError

FOLDER = "snapshots"
CURRENT = "CURRENT"
META = "snapshot.json"


class SnapshotError(Exception):
    """VBoxManage-style message: the snapshot cannot be found / taken / restored."""


@dataclass(frozen=True)
class Snapshot:
    uuid: str
    name: str
    description: str
    taken: str  # ISO time, UTC, microseconds: orders snapshots taken within one second
    parent: str  # UUID, "" for the first
    live: bool = False

    @classmethod
    def load(cls, folder: Path) -> Snapshot:
        data = json.loads((folder / META).read_text(encoding="utf-8"))
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _copy_tree(src: Path, dst: Path) -> None:
    # cp -a keeps owners, modes, the overlay's whiteouts (device nodes) and xattrs (opaque dirs).
    dst.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", "--reflink=auto", str(src), str(dst)], check=True, timeout=300,
                   capture_output=True)


def folder(hostdir: Path) -> Path:
    return hostdir / FOLDER


def all_snapshots(hostdir: Path) -> list[Snapshot]:
    """Every snapshot of the VM, oldest first."""
    base = folder(hostdir)
    if not base.is_dir():
        return []
    found = []
    for d in base.iterdir():
        if d.is_dir() and (d / META).is_file():
            try:
                found.append(Snapshot.load(d))
            except (OSError, ValueError, TypeError, KeyError):
                continue  # half-written (a take killed midway): not a snapshot
    return sorted(found, key=lambda s: s.taken)


def current(hostdir: Path) -> Snapshot | None:
    try:
        wanted = (folder(hostdir) / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return next((s for s in all_snapshots(hostdir) if s.uuid == wanted), None)


def find(hostdir: Path, name_or_uuid: str) -> Snapshot:
    snaps = all_snapshots(hostdir)
    for s in snaps:
        if s.uuid == name_or_uuid.strip("{}"):
            return s
    for s in snaps:  # VirtualBox walks the tree from the first snapshot: the oldest of that name wins
        if s.name == name_or_uuid:
            return s
    raise SnapshotError(f"VBoxManage: error: Could not find a snapshot named '{name_or_uuid}'")


def _set_current(hostdir: Path, snap_uuid: str) -> None:
    path = folder(hostdir) / CURRENT
    if snap_uuid:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(snap_uuid + "\n", encoding="utf-8")
        os.replace(tmp, path)
    else:
        path.unlink(missing_ok=True)


def _pid_namespace_members(init_pid: int) -> list[int]:
    try:
        ns = os.stat(f"/proc/{init_pid}/ns/pid").st_ino
    except OSError:
        return []
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}/ns/pid").st_ino == ns:
                members.append(int(entry))
        except OSError:
            continue
    return members


def _wait_stopped(pids: set[int], timeout: float = 2.0) -> None:
    """A signal is delivered when its process next runs: wait (bounded) until each one is stopped or gone."""
    deadline = time.monotonic() + timeout
    waiting = set(pids)
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                state = "X"
            if state in ("T", "t", "Z", "X"):
                waiting.discard(pid)
        if waiting:
            time.sleep(0.005)


@contextmanager
def paused(init_pid: int | None) -> Iterator[None]:
    """Every process of a running host stopped (SIGSTOP) meanwhile: VirtualBox pauses a VM while it
    takes a snapshot, so the disk is captured as of one instant, not half before and half after a write."""
    stopped: set[int] = set()
    try:
        if init_pid:
            for _ in range(5):  # a process forked while we stopped the others: another round (bounded)
                new = [p for p in _pid_namespace_members(init_pid) if p not in stopped]
                if not new:
                    break
                for pid in new:
                    try:
                        os.kill(pid, signal.SIGSTOP)
                        stopped.add(pid)
                    except ProcessLookupError:
                        pass
            _wait_stopped(stopped)
        yield
    finally:
        for pid in stopped:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass


def take(hostdir: Path, name: str, description: str = "", running_init: int | None = None,
         live: bool = False) -> Snapshot:
    """Copy the VM's disk and configuration into a new snapshot (a new UUID), which becomes current."""
    if not name:
        raise SnapshotError("VBoxManage: error: snapshot take: snapshot name missing")
    parent = current(hostdir)
    snap = Snapshot(uuid=str(uuid.uuid4()), name=name, description=description,
                    taken=datetime.now(UTC).isoformat(timespec="microseconds"),
                    parent=parent.uuid if parent else "", live=live)
    target = folder(hostdir) / snap.uuid
    partial = folder(hostdir) / f".{snap.uuid}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        with paused(None if live else running_init):
            _copy_tree(hostdir / "disk", partial / "disk")
            shutil.copy2(hostdir / "vm.json", partial / "vm.json")
        (partial / META).write_text(json.dumps(asdict(snap), indent=1) + "\n", encoding="utf-8")
        os.replace(partial, target)  # a snapshot exists whole or not at all
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    _set_current(hostdir, snap.uuid)
    return snap


def restore(hostdir: Path, snap: Snapshot, keep: Callable[[dict], dict] | None = None) -> None:
    """The VM's disk and configuration become the snapshot's again (VM powered off: the caller checks).

    `keep(config_now)` returns the configuration keys to carry over (the lab's own bookkeeping)."""
    src = folder(hostdir) / snap.uuid
    new_disk, old_disk = hostdir / "disk.restoring", hostdir / "disk.old"
    for d in (new_disk, old_disk):
        shutil.rmtree(d, ignore_errors=True)
    _copy_tree(src / "disk", new_disk)
    config = json.loads((src / "vm.json").read_text(encoding="utf-8"))
    if keep is not None:
        config.update(keep(json.loads((hostdir / "vm.json").read_text(encoding="utf-8"))))
    # Swap whole folders: killed at any instant, the VM has its old disk or the snapshot's, never half.
    os.replace(hostdir / "disk", old_disk)
    os.replace(new_disk, hostdir / "disk")
    shutil.rmtree(old_disk, ignore_errors=True)
    tmp = hostdir / "vm.json.tmp"
    tmp.write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, hostdir / "vm.json")
    _set_current(hostdir, snap.uuid)


def delete(hostdir: Path, snap: Snapshot) -> None:
    """Forget a snapshot: its children take its parent, as VirtualBox merges it away."""
    kids = [s for s in all_snapshots(hostdir) if s.parent == snap.uuid]
    if len(kids) > 1:
        raise SnapshotError(f"VBoxManage: error: Snapshot '{snap.name}' has more than one child snapshot: "
                            "delete them first")
    for other in kids:
        meta = folder(hostdir) / other.uuid / META
        data = json.loads(meta.read_text(encoding="utf-8"))
        data["parent"] = snap.parent
        meta.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    cur = current(hostdir)
    shutil.rmtree(folder(hostdir) / snap.uuid)
    if cur is not None and cur.uuid == snap.uuid:
        _set_current(hostdir, snap.parent)


class Snapshots:
    """Snapshots of a VM's disk and vm.json (a mixin of lab.core.Lab; the VBoxManage stand-in's verbs)."""

    def snapshot_take(self, vm: str, name: str, description: str = "", live: bool = False) -> Snapshot:
        """A new snapshot (its own UUID) of the VM's disk and configuration; a running VM is paused meanwhile."""
        init = self.init_pid(vm) if self.running(vm) else None
        return take(self.hostdir(vm), name, description, running_init=init, live=live)

    def snapshots(self, vm: str) -> list[str]:
        """Names of the VM's snapshots, oldest first."""
        return [s.name for s in all_snapshots(self.hostdir(vm))]

    def snapshot_list(self, vm: str) -> list[Snapshot]:
        return all_snapshots(self.hostdir(vm))

    def snapshot_current(self, vm: str) -> Snapshot | None:
        return current(self.hostdir(vm))

    def snapshot_restore(self, vm: str, name: str) -> Snapshot:
        """Disk and configuration as they were at the snapshot `name` (a name or a UUID); VM powered off."""
        snap = self._snapshot(vm, name)
        if self.running(vm):
            raise LabError(f"VBoxManage: error: Cannot restore snapshot of '{vm}': the machine is running "
                           "(power it off first)")
        # The lab's veth names come from the index: it stays the VM's, whatever the snapshot says.
        restore(self.hostdir(vm), snap, keep=lambda now: {"index": now["index"]})
        return snap

    def snapshot_delete(self, vm: str, name: str) -> None:
        try:
            delete(self.hostdir(vm), self._snapshot(vm, name))
        except SnapshotError as exc:
            raise LabError(str(exc)) from None

    def _snapshot(self, vm: str, name: str) -> Snapshot:
        try:
            return find(self.hostdir(vm), name)
        except SnapshotError as exc:
            raise LabError(str(exc)) from None
