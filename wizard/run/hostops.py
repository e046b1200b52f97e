"""Host operations: what the machine running the wizard does in Python instead of a shell script.

A step names an operation with `steps.model.HostOp.of("vm_running", vm="master")`; the local runner
looks it up here and calls `function(ctx, on_line, cancel, timeout, **kwargs) -> exit status`.
VirtualBox is driven only through VBoxManage argument vectors (no shell, no grep/sed: its
`--machinereadable` output is parsed here), so the same operations run on Windows, macOS and Linux.
Exit statuses follow the shell commands they replace (0 = yes / done), so probes and waits keep
their meaning; what an operation prints is the output the user sees (and the figures it measures,
as `HA-WIZARD-FIGURE` lines read by wizard/base/figures.py).

HTTP measurements live in wizard/run/httpops.py and register here when imported.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from steps.model import HostOp
from wizard.base.i18n import STRINGS, LocalizedError, msg, t
from wizard.run.channels import LineCallback
from wizard.run.ssh_errors import Cancelled, CommandTimeout
from wizard.run.vboxmanage import NAME as VBOXMANAGE

HostOpFunction = Callable[..., int]
OPS: dict[str, HostOpFunction] = {}

# VM states in which a VM is not running (VBoxManage's VMState values).
OFF_STATES = ("poweroff", "aborted", "saved")
EXIT_PRECONDITION = 3  # a measurement refused: what it measures could not be measured
EXIT_REFUSED = 126  # as a shell says of a program it cannot run




class LocalError(LocalizedError):
    """A local action that cannot run here (a shell string, a missing program); `code` is its exit status.
    `key`/`values`: its catalogue message (both languages), `message` the English fallback."""

    def __init__(self, message: str, code: int = EXIT_REFUSED, key: str = "", values: dict | None = None) -> None:
        super().__init__(msg(key, **(values or {})) if key in STRINGS else message)
        self.code = code
        self.key = key
        self.values = dict(values or {})


def host_op(name: str) -> Callable[[HostOpFunction], HostOpFunction]:
    """Register a host operation under `name` (the `HostOp.op` that steps use)."""

    def register(func: HostOpFunction) -> HostOpFunction:
        if name in OPS and OPS[name] is not func:
            raise ValueError(f"host operation {name!r} registered twice")
        OPS[name] = func
        return func

    return register


# Modules that register more operations when imported (the sections' own).
_EXTENSIONS = ("wizard.run.httpops", "wizard.run.preflight_ops")


def known_ops() -> dict[str, HostOpFunction]:
    import importlib

    for name in _EXTENSIONS:
        importlib.import_module(name)
    return OPS


@dataclass
class Result:
    code: int
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)


class HostContext:
    """What an operation may use: VBoxManage through the runner, the clock, the user's language."""

    def __init__(self, runner: Any, timeout: float, cancel: threading.Event | None,
                 on_start: Callable[[int], None] | None) -> None:
        self.runner = runner
        self.deadline = time.monotonic() + timeout
        self.cancel = cancel or threading.Event()
        self.on_start = on_start

    @property
    def lang(self) -> str:
        return getattr(self.runner, "lang", "en")

    def t(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise CommandTimeout(max(0.0, left))
        return left

    def sleep(self, seconds: float) -> None:
        if self.cancel.wait(min(seconds, max(0.0, self.deadline - time.monotonic()))):
            raise Cancelled()

    def vbox(self, *args: str, on_line: LineCallback | None = None, show: bool = False,
             timeout: float | None = None) -> Result:
        """Run `VBoxManage ARGS` (no shell). `show`: the command line and its output reach `on_line`."""
        argv = [VBOXMANAGE, *args]
        result = Result(0)

        def collect(stream: str, text: str) -> None:
            (result.out if stream == "stdout" else result.err).append(text)
            if show and on_line is not None:
                on_line(stream, text)

        if show and on_line is not None:
            on_line("info", "$ " + self.runner.shown(argv))
        limit = self.remaining() if timeout is None else min(timeout, self.remaining())
        result.code = self.runner.run_argv(argv, on_line=collect, timeout=limit, cancel=self.cancel,
                                           on_start=self.on_start)
        return result


def run_host_op(op: HostOp, runner: Any, *, on_line: LineCallback, cancel: threading.Event | None = None,
                timeout: float = 300.0, on_start: Callable[[int], None] | None = None) -> int:
    func = known_ops().get(op.op)
    if func is None:

        raise LocalError(f"unknown host operation {op.op!r}", EXIT_REFUSED, "local.unknown_op", {"op": op.op})
    ctx = HostContext(runner, timeout, cancel, on_start)
    return func(ctx, on_line, ctx.cancel, timeout, **op.kwargs())


def run_nested(ctx: HostContext, op: HostOp, on_line: LineCallback) -> int:
    """An operation inside another one (same clock, same cancel)."""
    func = known_ops()[op.op]
    return func(ctx, on_line, ctx.cancel, max(0.0, ctx.deadline - time.monotonic()), **op.kwargs())


# -- VBoxManage's machine-readable output ---------------------------------------------------------------

_MR_LINE = re.compile(r'^"?(?P<key>[^"=]+)"?=(?P<value>.*)$')


def machinereadable(lines: list[str]) -> dict[str, str]:
    """`key="value"` lines (`--machinereadable`) as a dict; quoted keys and values unquoted."""
    out: dict[str, str] = {}
    for line in lines:
        m = _MR_LINE.match(line.strip())
        if not m:
            continue
        value = m.group("value")
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out.setdefault(m.group("key"), value)
    return out


def vm_info(ctx: HostContext, vm: str) -> dict[str, str] | None:
    """`showvminfo VM --machinereadable` as a dict; None when VirtualBox does not know the VM."""
    res = ctx.vbox("showvminfo", vm, "--machinereadable")
    if res.code != 0:
        return None
    return machinereadable(res.out)


def vm_state(ctx: HostContext, vm: str) -> str:
    """VMState ("running", "poweroff", ...), or "" for a VM that does not exist."""
    info = vm_info(ctx, vm)
    return "" if info is None else info.get("VMState", "")


def snapshot_names(ctx: HostContext, vm: str) -> list[str]:
    res = ctx.vbox("snapshot", vm, "list", "--machinereadable")
    if res.code != 0:
        return []
    # SnapshotName="a", SnapshotName-1="b", SnapshotName-1-1="c": one per snapshot, nested or not.
    return [v for k, v in _pairs(res.out) if re.fullmatch(r"SnapshotName(-\d+)*", k)]


def _pairs(lines: list[str]) -> list[tuple[str, str]]:
    out = []
    for line in lines:
        parsed = machinereadable([line])
        out += list(parsed.items())
    return out


def _vbox_failed(on_line: LineCallback, res: Result) -> int:
    for line in res.err[-5:]:
        on_line("stderr", line)
    return res.code or 1


# -- probes and waits ------------------------------------------------------------------------------------

@host_op("vm_running")
def op_vm_running(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, vm: str) -> int:
    """0 when the VM runs (a VM that does not exist does not run)."""
    return 0 if vm_state(ctx, vm) == "running" else 1


@host_op("vm_not_running")
def op_vm_not_running(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, vm: str) -> int:
    return 1 if vm_state(ctx, vm) == "running" else 0


@host_op("vm_exists")
def op_vm_exists(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, vm: str) -> int:
    return 0 if vm_info(ctx, vm) is not None else 1


@host_op("vm_state")
def op_vm_state(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, vm: str) -> int:
    """Print `VMState="..."` (what a wait's `expect` matches); VBoxManage's error for an unknown VM."""
    res = ctx.vbox("showvminfo", vm, "--machinereadable")
    if res.code != 0:
        return _vbox_failed(on_line, res)
    on_line("stdout", f'VMState="{machinereadable(res.out).get("VMState", "")}"')
    return 0


@host_op("has_snapshot")
def op_has_snapshot(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, vm: str,
                    name: str) -> int:
    return 0 if name in snapshot_names(ctx, vm) else 1


@host_op("has_nic_mac")
def op_has_nic_mac(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, vm: str, nic: int,
                   mac: str) -> int:
    """0 when the VM's NIC `nic` has this MAC (plain form, any case)."""
    info = vm_info(ctx, vm) or {}
    return 0 if info.get(f"macaddress{int(nic)}", "").upper() == mac.upper() else 1


@host_op("natnetwork_has_rule")
def op_natnetwork_has_rule(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, rule: str,
                           netname: str = "") -> int:
    """0 when `VBoxManage list natnetworks` shows the port-forward rule (under `netname` when given)."""
    res = ctx.vbox("list", "natnetworks")
    if res.code != 0:
        return 1
    current = ""
    for line in res.out:
        m = re.match(r"^\s*(?:Name|NetworkName):\s*(.+?)\s*$", line)
        if m:
            current = m.group(1)
            continue
        if line.strip() == rule and (not netname or current == netname):
            return 0
    return 1


@host_op("any_of")
def op_any_of(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, ops: tuple) -> int:
    """0 when one of the operations exits 0 (a probe made of alternatives), tried in order."""
    for op in ops:
        if run_nested(ctx, op, on_line) == 0:
            return 0
    return 1


# -- changes -------------------------------------------------------------------------------------------------

@host_op("vbox_if_vm_exists")
def op_vbox_if_vm_exists(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, vm: str,
                         args: tuple) -> int:
    """`VBoxManage ARGS` when the VM exists; nothing (exit 0) when it does not."""
    if vm_info(ctx, vm) is None:
        on_line("info", ctx.t("host.vm_absent", vm=vm))
        return 0
    res = ctx.vbox(*args, on_line=on_line, show=True)
    return res.code


def power_off(ctx: HostContext, on_line: LineCallback, vm: str) -> int:
    """Hard power-off (as pulling the plug) and wait until VirtualBox reports it off."""
    res = ctx.vbox("controlvm", vm, "poweroff", on_line=on_line, show=True)
    if res.code != 0:
        return res.code
    for _ in range(100):  # bounded: 100 × 0.2 s and the action's deadline
        if vm_state(ctx, vm) in OFF_STATES:
            return 0
        ctx.sleep(0.2)
    return 1


def power_on(ctx: HostContext, on_line: LineCallback, vm: str) -> int:
    return ctx.vbox("startvm", vm, "--type", "headless", on_line=on_line, show=True).code


@host_op("start_vms")
def op_start_vms(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, vms: tuple) -> int:
    """Start each VM that is not running (headless); already running ones are left alone."""
    for vm in vms:
        if vm_state(ctx, vm) == "running":
            on_line("info", ctx.t("host.vm_already_running", vm=vm))
            continue
        code = power_on(ctx, on_line, vm)
        if code != 0:
            return code
    return 0


@host_op("restore_snapshot")
def op_restore_snapshot(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, vm: str,
                        name: str) -> int:
    """Power the VM off when it runs, then restore the snapshot; a VM that does not exist is skipped."""
    state = vm_state(ctx, vm)
    if not state:
        on_line("info", ctx.t("host.vm_absent", vm=vm))
        return 0
    if state == "running":
        code = power_off(ctx, on_line, vm)
        if code != 0:
            return code
    return ctx.vbox("snapshot", vm, "restore", name, on_line=on_line, show=True).code


# -- the access section's port forwards (steps/access.py) ----------------------------------------------------

def natnetwork_rules(ctx: HostContext) -> dict[str, list[str]]:
    """`VBoxManage list natnetworks`: NAT network name -> its IPv4 port-forward rules."""
    res = ctx.vbox("list", "natnetworks")
    rules: dict[str, list[str]] = {}
    current = ""
    in_rules = False
    for line in res.out if res.code == 0 else []:
        m = re.match(r"^\s*(?:Name|NetworkName):\s*(.+?)\s*$", line)
        if m:
            current, in_rules = m.group(1), False
            rules.setdefault(current, [])
            continue
        if re.match(r"^\S", line):  # a heading: only the ipv4 forwarding block holds rules
            in_rules = line.strip().lower().startswith("port-forwarding (ipv4)")
            continue
        if in_rules and line.strip():
            rules.setdefault(current, []).append(line.strip())
    return rules


@host_op("natnetwork_rule_free")
def op_natnetwork_rule_free(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *, netname: str,
                            name: str, rule: str) -> int:
    """0 when the NAT network has no rule called `name`, or that rule is exactly `rule` (nothing to remove)."""
    named = [r for r in natnetwork_rules(ctx).get(netname, []) if r.split(":", 1)[0] == name]
    return 0 if not named or named == [rule] else 1
