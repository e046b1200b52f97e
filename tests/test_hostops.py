"""The host-action model (HostOp) and the parsing of VBoxManage's machine-readable output."""

from __future__ import annotations

import pytest

from steps.model import Action, HostOp, Target
from wizard.run.hostops import OPS, machinereadable


def test_hostop_is_frozen_hashable_and_round_trips_its_arguments():
    op = HostOp.of("spread", url="http://x/", servers=[("a", "10.0.0.1"), ("b", "10.0.0.2")], requests=6)
    assert op == HostOp.of("spread", requests=6, url="http://x/", servers=(("a", "10.0.0.1"), ("b", "10.0.0.2")))
    assert hash(op) == hash(HostOp.of("spread", requests=6, url="http://x/",
                                      servers=[["a", "10.0.0.1"], ["b", "10.0.0.2"]]))
    assert op.kwargs() == {"url": "http://x/", "servers": (("a", "10.0.0.1"), ("b", "10.0.0.2")), "requests": 6}
    nested = HostOp.of("any_of", ops=[HostOp.of("vm_running", vm="m"), HostOp.of("vm_exists", vm="s")])
    assert nested.kwargs()["ops"][1] == HostOp.of("vm_exists", vm="s")
    with pytest.raises(AttributeError):
        op.op = "other"  # type: ignore[misc]


def test_action_carries_argv_and_host_operations():
    a = Action(id="s.x", kind="run", target=Target.local(), command="VBoxManage list vms",
               why="w", argv=("VBoxManage", "list", "vms"), host_probe=HostOp.of("vm_exists", vm="m"))
    assert a.argv == ("VBoxManage", "list", "vms") and a.host is None
    assert a.host_probe is not None and a.host_probe.op in OPS


def test_machinereadable_parses_quoted_keys_and_values():
    lines = ['name="master"', 'VMState="running"', 'VMStateChangeTime="2025-01-01T10:00:00.000000000"',
             'memory=1024', '"SATA-0-0"="/vms/master.vdi"', 'description="say \\"hi\\""',
             'SnapshotName="preHA"', 'SnapshotName-1="later"', 'garbage line']
    info = machinereadable(lines)
    assert info["VMState"] == "running" and info["memory"] == "1024"
    assert info["SATA-0-0"] == "/vms/master.vdi"
    assert info["description"] == 'say "hi"'
    assert info["SnapshotName-1"] == "later" and "garbage line" not in info
