"""The lab's snapshots (lab/snapshots.py) on plain folders: what VirtualBox does with them.

No namespaces needed: a VM folder is a disk folder and a vm.json. Root is needed for what the disk of
a lab host holds (overlay whiteouts are device nodes) and for pausing a process tree.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from lab import snapshots
from lab.snapshots import SnapshotError

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (device nodes, signals)")


def vm_folder(tmp_path: Path) -> Path:
    d = tmp_path / "vm"
    (d / "disk/etc/haproxy").mkdir(parents=True)
    (d / "disk/var/lib").mkdir(parents=True)
    (d / "disk/etc/haproxy/haproxy.cfg").write_text("before\n")
    # An overlay whiteout: a file of the machine's /etc deleted inside the host.
    os.mknod(d / "disk/etc/motd", stat.S_IFCHR | 0o000, os.makedev(0, 0))
    (d / "vm.json").write_text(json.dumps({"name": "master", "uuid": "vm-uuid", "index": 1, "nics": {"1": {}}}))
    return d


def test_take_restore_brings_back_files_and_config(tmp_path: Path) -> None:
    d = vm_folder(tmp_path)
    snap = snapshots.take(d, "preHA")
    assert snap.uuid != "vm-uuid" and len(snap.uuid) == 36
    # The guide's sections change the disk and the VM's configuration.
    (d / "disk/etc/haproxy/haproxy.cfg").write_text("after\n")
    (d / "disk/etc/corosync").mkdir()
    (d / "disk/etc/corosync/corosync.conf").write_text("totem {}\n")
    (d / "disk/etc/motd").unlink()
    cfg = json.loads((d / "vm.json").read_text())
    cfg["nics"]["3"] = {"type": "intnet"}
    cfg["index"] = 7  # the lab's own bookkeeping, kept across a restore
    (d / "vm.json").write_text(json.dumps(cfg))
    snapshots.restore(d, snap, keep=lambda now: {"index": now["index"]})
    assert (d / "disk/etc/haproxy/haproxy.cfg").read_text() == "before\n"
    assert not (d / "disk/etc/corosync").exists()
    assert stat.S_ISCHR((d / "disk/etc/motd").lstat().st_mode)  # the whiteout is back
    restored = json.loads((d / "vm.json").read_text())
    assert "3" not in restored["nics"] and restored["index"] == 7 and restored["uuid"] == "vm-uuid"
    assert not (d / "disk.old").exists() and not (d / "disk.restoring").exists()
    assert snapshots.current(d) == snap


def test_each_snapshot_has_its_own_uuid_names_may_repeat(tmp_path: Path) -> None:
    d = vm_folder(tmp_path)
    first = snapshots.take(d, "preHA", "seminar 3")
    (d / "disk/etc/haproxy/haproxy.cfg").write_text("second\n")
    second = snapshots.take(d, "preHA")
    third = snapshots.take(d, "other")
    assert len({first.uuid, second.uuid, third.uuid}) == 3
    assert [s.uuid for s in snapshots.all_snapshots(d)] == [first.uuid, second.uuid, third.uuid]
    assert second.parent == first.uuid and third.parent == second.uuid
    assert snapshots.find(d, "preHA") == first  # a name picks the first taken, as VirtualBox's tree walk
    assert snapshots.find(d, second.uuid) == second and snapshots.find(d, "{" + third.uuid + "}") == third
    with pytest.raises(SnapshotError, match="Could not find a snapshot named 'nope'"):
        snapshots.find(d, "nope")
    snapshots.restore(d, second)
    assert (d / "disk/etc/haproxy/haproxy.cfg").read_text() == "second\n"
    assert snapshots.current(d) == second
    # Deleting a snapshot gives its child its parent; the current one moves up.
    snapshots.delete(d, second)
    assert snapshots.find(d, third.uuid).parent == first.uuid
    assert snapshots.current(d) == first
    # A take killed midway leaves no snapshot behind.
    (snapshots.folder(d) / ".half.partial").mkdir()
    assert len(snapshots.all_snapshots(d)) == 2


def test_a_running_host_is_paused_while_its_disk_is_copied(tmp_path: Path) -> None:
    """Every process of the host's PID namespace is stopped during the copy, nothing else, and all resume."""
    host = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", "sleep 60 & sleep 60"],
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 20  # a loaded machine starts processes slowly
        init = 0
        while time.monotonic() < deadline and not init:
            kids = subprocess.run(["pgrep", "-P", str(host.pid)], capture_output=True, text=True).stdout.split()
            init = int(kids[0]) if kids else 0
            time.sleep(0.05)
        assert init
        deadline = time.monotonic() + 20
        while len(snapshots._pid_namespace_members(init)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        members = snapshots._pid_namespace_members(init)
        assert len(members) == 3 and os.getpid() not in members and host.pid not in members

        def state(pid: int) -> str:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]

        with snapshots.paused(init):
            assert {state(p) for p in members} == {"T"}
            assert state(host.pid) != "T" and state(os.getpid()) != "T"
        assert "T" not in {state(p) for p in members}
    finally:
        os.killpg(host.pid, 9)
        host.wait(5)
