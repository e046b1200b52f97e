"""Host operations of the preflight section (steps/preflight.py), registered with wizard.run.hostops."""

from __future__ import annotations

from typing import Any

from wizard.run.channels import LineCallback
from wizard.run.hostops import HostContext, host_op, vm_info


@host_op("vm_not_created_yet")
def op_vm_not_created_yet(ctx: HostContext, on_line: LineCallback, cancel: Any, timeout: float, *,
                          vm: str) -> int:
    """0 when VirtualBox does not know the VM (it is made later); 1, with its state, when it exists."""
    info = vm_info(ctx, vm)
    if info is None:
        on_line("stdout", ctx.t("preflight.vm_not_yet", vm=vm))
        return 0
    on_line("stdout", ctx.t("preflight.vm_exists", vm=vm, state=info.get("VMState", "?")))
    return 1
