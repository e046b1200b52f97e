"""Where the lab keeps each VM and itself: lab.json, hosts/<vm>/vm.json, names -> VMs."""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path

from lab.base import LabError, Nic, _safe_name
from wizard.base.answers import Answers, Director, answers_from_dict


class LabStore:
    """Paths, stored state and VM configurations (a mixin of lab.core.Lab)."""

    @property
    def lab_file(self) -> Path:
        return self.state_dir / "lab.json"

    def hostdir(self, vm: str) -> Path:
        return self.state_dir / "hosts" / vm

    @property
    def external_net(self) -> ipaddress.IPv4Network:
        return ipaddress.ip_network(self.answers.networks.external, strict=False)

    def netns(self, vm: str) -> str:
        return self.ns_prefix + (vm if _safe_name(vm) else str(self.vm_config(vm)["index"]))

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

