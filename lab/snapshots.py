"""VM snapshots (VBoxManage snapshot take/restore/list/delete): copies of a VM's disk and configuration."""

from __future__ import annotations

import json
import shutil

from lab.base import LabError, _copy_tree


class Snapshots:
    """Snapshots of a VM's disk and vm.json (a mixin of lab.core.Lab)."""

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

