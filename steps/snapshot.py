"""Section 1: a snapshot of every VM before anything changes, so the student can go back."""

from __future__ import annotations

from steps._common import HostCheck, either, q, vbox, vboxmanage_word, vm_exists, vm_running
from steps.model import Action, HostOp, Target, Text
from steps.profiles import Profile
from steps.standby_clone import clone_done
from wizard.base.answers import Answers

ID = "snapshot"
TITLE = Text("Snapshot of every VM", "Instantánea de todas las máquinas")
EXPLANATION = Text(
    en=(
        "Before starting, take a snapshot of every machine of the cluster; the guide suggests calling it "
        "\"preHA\". If something goes wrong in the following sections, restoring it (with the VM powered "
        "off) brings the machine back to the state left by seminar 3.\n\n"
        "Seminar 3 left a working web server that is not highly available: it has single points of failure. "
        "The first is the load balancer: if master stops working (hardware failure, or software failure of "
        "the balancing), clients' http requests cannot be served. The second is the storage node holding "
        "the web pages. This seminar removes the first one by adding redundancy: a standby node that takes "
        "over the load balancing in an active/passive setup. Three packages do it: Corosync (tells which "
        "nodes are alive by passing periodic messages, \"totems\" or heartbeats), Pacemaker (the cluster "
        "resource manager: here two floating IPs and HAProxy, always together on one node) and Pcs (the "
        "tool that configures both).\n\n"
        "The standby VM doesn't exist yet: its snapshot is taken only when it already exists (re-runs)."
    ),
    es=(
        "Antes de empezar, sacaremos una instantánea de todas las máquinas del clúster. Se sugiere que la "
        "instantánea se llame \"preHA\". Si algo sale mal en las secciones siguientes, restaurarla (con la "
        "máquina apagada) devuelve la máquina al estado en que la dejó el seminario 3.\n\n"
        "Una vez concluido el seminario 3, tenemos configurado un servidor web, pero no es altamente "
        "disponible, pues el diseño tiene varios SPOF (Single Point Of Failure) o puntos únicos de fallo. "
        "El primer SPOF lo encontramos en el balanceador de carga: si el nodo master deja de estar operativo, "
        "por un fallo hardware o por un fallo software que afecta al balanceo de carga, las peticiones http "
        "de los clientes no se podrán servir. El segundo SPOF se encuentra en el nodo de almacenamiento. En "
        "este seminario se propone la eliminación del primer SPOF añadiendo redundancia: un nodo adicional "
        "(standby) que asumirá la función de balanceador de carga en caso de que el nodo master falle, en "
        "una configuración activo/pasivo. El software consta de tres paquetes: Corosync (controla cuántos "
        "nodos del clúster están activos pasando periódicamente mensajes, totems o latidos), Pacemaker (el "
        "gestor de recursos del clúster: aquí dos IP flotantes y Haproxy, que se han de ejecutar juntos en "
        "el mismo nodo) y Pcs (la herramienta con la que se configuran Corosync y Pacemaker).\n\n"
        "La máquina standby aún no existe: su instantánea solo se saca si ya existe (al repetir la sección)."
    ),
)
USES = ["snapshot_name", "directors[0].vm", "directors[1].vm", "servers[].vm"]
ERRATA: list[Text] = []


def _has_snapshot(answers: Answers, vm: str, name: str) -> HostCheck:
    # --machinereadable prints SnapshotName="x", SnapshotName-1="y", ... one per snapshot.
    return HostCheck(f"{vboxmanage_word(answers)} snapshot {q(vm)} list --machinereadable 2>/dev/null"
                     f" | sed -n 's/^SnapshotName[-0-9]*=//p' | grep -qxF {q(chr(34) + name + chr(34))}",
                     HostOp.of("has_snapshot", vm=vm, name=name))


def plan(answers: Answers, profile: Profile) -> list[Action]:
    name = answers.snapshot_name
    actions = []
    vms = [answers.master.vm, *(s.vm for s in answers.servers)]
    for vm in vms:
        actions.append(Action(
            id=f"snapshot.take.{vm}", kind="run", target=Target.local(),
            **vbox(answers, "snapshot", vm, "take", name),
            **_has_snapshot(answers, vm, name).fields(), idempotent=False,
            title=f"Snapshot of {vm}", title_es=f"Instantánea de {vm}",
            why=f"Snapshot \"{name}\" of {vm}, to come back here if needed.",
            why_es=f"Instantánea \"{name}\" de {vm}, para poder volver a este punto.",
        ))
    standby = answers.standby.vm
    take = vbox(answers, "snapshot", standby, "take", name)
    actions.append(Action(
        id=f"snapshot.take.{standby}", kind="run", target=Target.local(),
        command=f"if {vm_exists(answers, standby).sh}; then {take['command']}; fi",
        host=HostOp.of("vbox_if_vm_exists", vm=standby, args=take["argv"][1:]),
        # A standby that is already section 3's clone was made after the snapshot: nothing to keep of it.
        **either(_has_snapshot(answers, standby, name), clone_done(answers)).fields(), idempotent=False,
        title=f"Snapshot of {standby} (if it exists)", title_es=f"Instantánea de {standby} si existe",
        why=f"Snapshot of {standby} too, when it already exists (the clone section makes it).",
        why_es=f"Instantánea también de {standby} si ya existe (la crea la sección del clon).",
    ))
    return actions


def restore_actions(answers: Answers, profile: Profile) -> list[Action]:
    """Going back (offered by the app, not part of the forward plan): power off, then restore."""
    actions = []
    name = answers.snapshot_name
    hv = vboxmanage_word(answers)
    for vm in [answers.master.vm, answers.standby.vm, *(s.vm for s in answers.servers)]:
        actions.append(Action(
            id=f"snapshot.restore.{vm}", kind="run", target=Target.local(),
            command=(f"if {vm_exists(answers, vm).sh}; then "
                     f"{{ {vm_running(answers, vm).sh} && {hv} controlvm {q(vm)} poweroff; "
                     f"{hv} snapshot {q(vm)} restore {q(name)}; }}; fi"),
            host=HostOp.of("restore_snapshot", vm=vm, name=name),
            title=f"Restore {vm}", title_es=f"Restaurar {vm}",
            why=f"Power {vm} off and restore snapshot \"{name}\".",
            why_es=f"Apagar {vm} y restaurar la instantánea \"{name}\".", tags=("restore",),
        ))
    return actions
