"""Section 7: STONITH off and quorum ignored, for a two-node lab cluster."""

from __future__ import annotations

from steps.cluster_setup import fencing_off, online_regex
from steps.model import Action, Target, Text
from steps.profiles import Profile
from wizard.base.answers import Answers

ID = "properties"
TITLE = Text("STONITH and quorum", "STONITH y quorum")
EXPLANATION = Text(
    en=(
        "Disable the STONITH mechanism (`pcs property set stonith-enabled=false`) and check that "
        "`crm_verify -L -V` no longer complains. This is for the lab: a production cluster keeps fencing on, "
        "with a STONITH resource that powers off a failed node, because without it a node that only lost "
        "contact could keep the resources too (split-brain: the VIPs up on both nodes at once).\n\n"
        "Quorum is the minimum number of active nodes for the cluster to work, normally half the nodes plus "
        "one. With only two nodes it makes no sense: if one of them stopped, the cluster would have no quorum "
        "and the resources would not be available. So: `pcs property set no-quorum-policy=ignore` (corosync's "
        "two_node: 1 already covers this case; the property makes it explicit).\n\n"
        "`pcs status` then shows pcsd Online on both nodes, an empty \"Full list of resources\" (none defined "
        "yet) and, under Daemon Status, corosync/pacemaker/pcsd active/enabled."
    ),
    es=(
        "Desactivamos el mecanismo de STONITH (`pcs property set stonith-enabled=false`) y comprobamos que ya "
        "no causa problemas en la verificación de la configuración (`crm_verify -L -V`). Es para el "
        "laboratorio: un clúster en producción mantiene el fencing, con un recurso de STONITH que apaga el nodo "
        "que falla, porque sin él un nodo que solo ha perdido el contacto podría quedarse también con los "
        "recursos (Split-Brain: las VIP activas en los dos nodos a la vez).\n\n"
        "Quorum es el número mínimo de nodos activos en el clúster para que este pueda funcionar. Normalmente "
        "este parámetro se establece con un valor de la mitad de nodos + 1. Como sólo tenemos dos nodos en el "
        "clúster no tiene sentido definir este parámetro: si uno de los dos nodos dejara de estar operativo el "
        "clúster no tendría quorum y los recursos no estarían disponibles. Por eso: "
        "`pcs property set no-quorum-policy=ignore` (el two_node: 1 de corosync ya cubre este caso; la propiedad "
        "lo hace explícito).\n\n"
        "La salida de `pcs status` nos informará del estado de PCSD, que debe estar Online en ambos nodos. La "
        "lista de recursos Full list of resources aparecerá vacía, pues aún no hemos definido ningún recurso. Y "
        "en Daemon Status debe indicar que corosync/pacemaker/pcsd: active/enabled."
    ),
)
USES = ["directors[0].name", "directors[].ring_name"]
ERRATA: list[Text] = []
PCS_SYNTAX = True  # written for the pcs/Pacemaker versions found (steps.profiles): the screen says which


def plan(answers: Answers, profile: Profile) -> list[Action]:
    master = Target.node(answers.master.name)
    return [
        Action(id=f"{ID}.stonith", kind="run", target=master,
               command=f"pcs property set {profile.fencing_option}=false", probe=fencing_off(profile),
               title="STONITH off", title_es="STONITH desactivado",
               why="No fencing in this lab (see the explanation: production keeps it).",
               why_es="Sin fencing en este laboratorio (ver la explicación: en producción se mantiene)."),
        Action(id=f"{ID}.crm_verify", kind="check", target=master, command="crm_verify -L -V",
               title="crm_verify finds no error", title_es="crm_verify no encuentra errores",
               why="The configuration is valid now.", why_es="Ahora la configuración es válida."),
        Action(id=f"{ID}.quorum", kind="run", target=master, command="pcs property set no-quorum-policy=ignore",
               title="Ignore the quorum", title_es="Ignorar el quorum",
               probe="crm_attribute --type crm_config --name no-quorum-policy --query 2>/dev/null"
                     " | grep -q 'value=ignore'",
               why="Two nodes: keep running when one is gone.",
               why_es="Dos nodos: seguir funcionando cuando falta uno."),
        Action(id=f"{ID}.status", kind="check", target=master, command="pcs status",
               expect=online_regex([d.ring_name for d in answers.directors]),
               title="Both nodes online", title_es="Los dos nodos en línea",
               why="Both nodes online, no resources yet.", why_es="Los dos nodos en línea, aún sin recursos."),
    ]
