"""Back to the snapshot ("preHA"): every VM as it was when section 1 took it. Not part of the forward plan:
the app offers it (and `ha-wizard run --resume NAME --undo`); wizard/run/undo.py runs it and marks the
sections after the snapshot as pending again.

Order matters: every VM is powered off and restored before any starts, so no half-undone director
holds the VIPs while the other comes back. A VM that did not exist at the snapshot (the standby clone,
made in section 3) has no snapshot of that name: it is removed, as at the snapshot it did not exist;
section 3 clones it again. Nothing is powered off before every VM that must have the snapshot was
checked to have it.
"""

from __future__ import annotations

from steps._common import NODE_RETURNS, q, vboxmanage_word, vm_exists, vm_running
from steps.model import Action, HostOp, Target, Text
from steps.profiles import Profile
from wizard.base.answers import Answers

ID = "undo"
TITLE = Text("Back to the snapshot", "Volver a la instantánea")
EXPLANATION = Text(
    en=("Every VM goes back to the snapshot taken in the section “Snapshot of every VM”: powered off, restored, "
        "started again. What the "
        "sections after it did on the VMs is undone, and they are pending again. The standby VM, cloned after the "
        "snapshot, is removed (the section “Clone master into standby” clones it again)."),
    es=("Todas las máquinas vuelven a la instantánea de la sección «Instantánea de todas las máquinas»: se apagan, se "
        "restauran y se vuelven a "
        "encender. Lo que hicieron en ellas las secciones siguientes se deshace, y vuelven a estar pendientes. "
        "La máquina standby, clonada después de la instantánea, se elimina (la sección «Clonar master en standby» la "
        "vuelve a "
        "clonar)."),
)


def _has_snapshot(answers: Answers, vm: str, name: str) -> str:
    # --machinereadable prints SnapshotName="x", SnapshotName-1="y", ... one per snapshot.
    return (f"{vboxmanage_word(answers)} snapshot {q(vm)} list --machinereadable 2>/dev/null"
            f" | sed -n 's/^SnapshotName[-0-9]*=//p' | grep -qxF {q(chr(34) + name + chr(34))}")


def _power_off(answers: Answers, vm: str) -> str:
    return f"{{ ! {vm_running(answers, vm).sh} || {vboxmanage_word(answers)} controlvm {q(vm)} poweroff; }}"


def plan(answers: Answers, profile: Profile) -> list[Action]:
    name = answers.snapshot_name
    hv = vboxmanage_word(answers)
    local = Target.local()
    kept = [answers.master.vm, *(s.vm for s in answers.servers)]  # at the snapshot: these existed
    standby = answers.standby.vm
    actions = [
        Action(id=f"{ID}.has_snapshot.{vm}", kind="check", target=local, command=_has_snapshot(answers, vm, name),
               host=HostOp.of("has_snapshot", vm=vm, name=name),
               title=f"{vm} has the snapshot", title_es=f"{vm} tiene la instantánea",
               why=f"{vm} has the snapshot \"{name}\" (checked before anything is powered off).",
               why_es=f"{vm} tiene la instantánea \"{name}\" (se comprueba antes de apagar nada).",
               on_fail=f"{vm} has no snapshot \"{name}\": take it in the snapshot section, or go back by hand in "
                       "VirtualBox.",
               on_fail_es=f"{vm} no tiene la instantánea \"{name}\": sácala en la sección de la instantánea, o "
                          "vuelve atrás a mano en VirtualBox.")
        for vm in kept
    ]
    for vm in kept:
        actions.append(Action(
            id=f"{ID}.restore.{vm}", kind="run", target=local,
            command=f"{_power_off(answers, vm)} && {hv} snapshot {q(vm)} restore {q(name)}",
            host=HostOp.of("restore_snapshot", vm=vm, name=name), timeout=600,
            title=f"Restore {vm}", title_es=f"Restaurar {vm}",
            why=f"Power {vm} off and restore its snapshot \"{name}\".",
            why_es=f"Apagar {vm} y restaurar su instantánea \"{name}\"."))
    actions += [
        Action(id=f"{ID}.restore.{standby}", kind="run", target=local,
               command=f"{_power_off(answers, standby)} && {hv} snapshot {q(standby)} restore {q(name)}",
               host=HostOp.of("restore_snapshot", vm=standby, name=name), timeout=600,
               probe=f"! {{ {_has_snapshot(answers, standby, name)}; }}",
               host_probe=HostOp.of("lacks_snapshot", vm=standby, name=name),
               title=f"Restore {standby}", title_es=f"Restaurar {standby}",
               why=f"{standby} existed at the snapshot (a re-run): power it off and restore it.",
               why_es=f"{standby} existía en la instantánea (una repetición): apagarla y restaurarla."),
        Action(id=f"{ID}.remove.{standby}", kind="run", target=local,
               command=f"{_power_off(answers, standby)} && {hv} unregistervm {q(standby)} --delete",
               host=HostOp.of("remove_vm", vm=standby), idempotent=False,
               probe=f"! {vm_exists(answers, standby).sh} || {_has_snapshot(answers, standby, name)}",
               host_probe=HostOp.of("any_of", ops=(HostOp.of("vm_absent", vm=standby),
                                                   HostOp.of("has_snapshot", vm=standby, name=name))),
               title=f"Remove the clone {standby}", title_es=f"Eliminar el clon {standby}",
               why=f"{standby} was cloned after the snapshot: remove it (the clone section makes it again).",
               why_es=f"{standby} se clonó después de la instantánea: eliminarla (la sección del clon la vuelve a "
                      "crear)."),
        Action(id=f"{ID}.start", kind="run", target=local,
               command="\n".join(f"{vm_running(answers, vm).sh} || {hv} startvm {q(vm)} --type headless"
                                 for vm in kept),
               host=HostOp.of("start_vms", vms=tuple(kept)),
               title="Start the restored VMs", title_es="Encender las máquinas restauradas",
               why="Start the restored VMs.", why_es="Encender las máquinas restauradas."),
        Action(id=f"{ID}.start.{standby}", kind="run", target=local,
               command=f"{hv} startvm {q(standby)} --type headless",
               host=HostOp.of("start_vms", vms=(standby,)),
               probe=f"! {vm_exists(answers, standby).sh} || {vm_running(answers, standby).sh}",
               host_probe=HostOp.of("any_of", ops=(HostOp.of("vm_absent", vm=standby),
                                                   HostOp.of("vm_running", vm=standby))),
               title=f"Start {standby}", title_es=f"Encender {standby}",
               why=f"Start {standby} when it was restored.", why_es=f"Encender {standby} si se restauró."),
    ]
    for node in [answers.master.name, *(s.name for s in answers.servers)]:
        actions.append(Action(
            id=f"{ID}.wait_ssh.{node}", kind="wait", target=Target.node(node), command="true", timeout=300,
            interval=5, tags=(NODE_RETURNS,), title=f"Wait for {node}'s SSH",
            title_es=f"Esperar el SSH de {node}",
            why=f"Wait until {node} has booted and answers SSH.",
            why_es=f"Esperar a que {node} haya arrancado y responda por SSH.",
            on_fail="The VM booted but SSH doesn't answer: check its address and sshd from its console.",
            on_fail_es="La VM arrancó pero SSH no responde: revisa su dirección y sshd desde su consola."))
    return actions
