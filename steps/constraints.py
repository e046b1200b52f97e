"""Section 9: keep the three resources together, in order, preferring master; restart; check."""

from __future__ import annotations

import re

from steps._common import all_of, prefix, q, re_ip
from steps.model import Action, Target, Text
from steps.profiles import Profile
from wizard.base.answers import Answers

ID = "constraints"
TITLE = Text("Constraints and restart", "Restricciones y reinicio")
EXPLANATION = Text(
    en=(
        "It is very important that pacemaker places the three resources on the same node, so a few constraints "
        "guarantee it: VIP_externa with VIP_interna, and VIP_interna with HAproxy, both with score INFINITY "
        "(colocation). A start order makes HAproxy start only once the virtual addresses are on the network "
        "interfaces (`order set VIP_externa VIP_interna HAproxy`). A location constraint makes master the "
        "preferred node: if master stops, the three resources move to standby, and when master works again it "
        "takes them back. (`pcs constraint colocation --help` and `order --help` in the guide are reading aids.)\n\n"
        "Then check that the configuration is right, that the three resources exist and that the constraints "
        "are taken into account: `pcs status`, `pcs config`, `pcs constraint show` (pcs ≥ 0.10: "
        "`pcs constraint config`). Restart pacemaker and corosync on both nodes so that they apply the changes "
        "(`pcs cluster stop --all`, `pcs cluster start --all`). `pcs status` tells which node holds the three "
        "resources; on that node `ip addr show` shows both virtual addresses on the external and internal "
        "interfaces."
    ),
    es=(
        "Es muy importante que los tres recursos que hemos creado sean ubicados por pacemaker en el mismo nodo, "
        "para lo cual establecemos una serie de restricciones que lo garanticen: VIP_externa con VIP_interna y "
        "VIP_interna con HAproxy, con puntuación INFINITY (colocation). Establecemos un orden de puesta en "
        "marcha de los recursos, para que HAproxy no se inicie hasta que las direcciones virtuales se hayan "
        "asignado a las interfaces de red (`order set VIP_externa VIP_interna HAproxy`). Y una restricción de "
        "ubicación hace que master sea el nodo preferido: si master deja de estar operativo, los tres recursos "
        "se moverán al nodo standby, pero en el momento en que master vuelva a funcionar correctamente "
        "recuperará los recursos. (`pcs constraint colocation --help` y `order --help` de la guía son ayudas de "
        "lectura.)\n\n"
        "Llegados a este punto comprobamos que la configuración es correcta, que se han creado los tres recursos "
        "que gestionará pacemaker y que se han tenido en cuenta las restricciones: `pcs status`, `pcs config`, "
        "`pcs constraint show` (pcs ≥ 0.10: `pcs constraint config`). Reiniciamos pacemaker y corosync en ambos "
        "nodos para que contemplen los cambios (`pcs cluster stop --all`, `pcs cluster start --all`). Con "
        "`pcs status` se ve qué nodo tiene asignados los tres recursos; en ese nodo `ip addr show` muestra las "
        "dos direcciones virtuales asignadas a las interfaces externa e interna."
    ),
)
USES = ["directors[0].name", "directors[0].ring_name", "vip.external", "vip.internal", "networks.external",
        "networks.internal"]
ERRATA = [
    Text(en="`pcs constraint colocation --help` and `pcs constraint order --help` are reading aids, not steps: "
            "the wizard doesn't run them.",
         es="`pcs constraint colocation --help` y `pcs constraint order --help` son ayudas de lectura, no pasos: "
            "el asistente no las ejecuta."),
]
PCS_SYNTAX = True  # written for the pcs/Pacemaker versions found (steps.profiles): the screen says which

RESOURCES = ("VIP_externa", "VIP_interna", "HAproxy")


def _cib(*greps: str) -> str:
    """A probe over the CIB's constraints section: the XML is the same for every pcs version."""
    chain = " | ".join(f"grep {g}" for g in greps[:-1])
    last = f"grep -q {greps[-1]}"
    return f"cibadmin --query --scope constraints | {chain + ' | ' if chain else ''}{last}"


def started_regex() -> str:
    return all_of(*(rf"{r}\b[^\n]*Started" for r in RESOURCES))


def plan(answers: Answers, profile: Profile) -> list[Action]:
    m = answers.master
    master = Target.node(m.name)
    ring = m.ring_name
    placed = tuple(f"{ID}.{name}" for name in ("colocation_vips", "colocation_haproxy", "order", "location"))
    actions = [
        Action(id=f"{ID}.colocation_vips", kind="run", target=master,
               command=profile.colocation("VIP_externa", "VIP_interna"),
               probe=_cib("'<rsc_colocation '", "' rsc=\"VIP_externa\"'", "' with-rsc=\"VIP_interna\"'"),
               idempotent=False,
               title="VIP_externa with VIP_interna", title_es="VIP_externa con VIP_interna",
               why="The external VIP goes where the internal VIP is.",
               why_es="La VIP externa va donde esté la VIP interna."),
        Action(id=f"{ID}.colocation_haproxy", kind="run", target=master,
               command=profile.colocation("VIP_interna", "HAproxy"),
               probe=_cib("'<rsc_colocation '", "' rsc=\"VIP_interna\"'", "' with-rsc=\"HAproxy\"'"),
               idempotent=False,
               title="VIP_interna with HAproxy", title_es="VIP_interna con HAproxy",
               why="The internal VIP goes where HAproxy is: all three together.",
               why_es="La VIP interna va donde esté HAproxy: los tres juntos."),
        Action(id=f"{ID}.order", kind="run", target=master,
               command="pcs constraint order set VIP_externa VIP_interna HAproxy",
               probe=_cib("-A5 '<rsc_order '", "'resource_ref id=\"HAproxy\"'"), idempotent=False,
               title="Start order", title_es="Orden de arranque",
               why="HAproxy starts only once both VIPs are up.",
               why_es="HAproxy no arranca hasta que las dos VIP estén asignadas."),
        Action(id=f"{ID}.location", kind="run", target=master,
               command=f"pcs constraint location HAproxy prefers {q(ring)}",
               probe=_cib("'<rsc_location '", "' rsc=\"HAproxy\"'", q(f' node="{ring}"')), idempotent=False,
               title=f"{ring} preferred", title_es=f"{ring} preferido",
               why=f"{ring} is the preferred node: it takes the resources back when it returns.",
               why_es=f"{ring} es el nodo preferido: recupera los recursos cuando vuelve."),
        Action(id=f"{ID}.status", kind="check", target=master, command="pcs status",
               expect=all_of(*(re.escape(r) for r in RESOURCES)),
               title="The three resources", title_es="Los tres recursos",
               why="The three resources exist.", why_es="Los tres recursos existen."),
        Action(id=f"{ID}.config", kind="check", target=master, command="pcs config",
               title="The configuration (to read)", title_es="La configuración (para leer)",
               why="The whole configuration (for reading).", why_es="Toda la configuración (para leer)."),
        Action(id=f"{ID}.show", kind="check", target=master, command=profile.constraint_show,
               expect=all_of(*(re.escape(r) for r in RESOURCES)),
               title="The constraints", title_es="Las restricciones",
               why="The constraints just added.", why_es="Las restricciones recién añadidas."),
        Action(id=f"{ID}.stop", kind="run", target=master, command="pcs cluster stop --all", applies=placed,
               title="Stop the cluster", title_es="Parar el clúster",
               why="Restart pacemaker and corosync on both nodes so they apply the changes: stop…",
               why_es="Reiniciar pacemaker y corosync en ambos nodos para que contemplen los cambios: parar…"),
        Action(id=f"{ID}.start", kind="run", target=master, command="pcs cluster start --all", applies=placed,
               title="Start the cluster", title_es="Arrancar el clúster",
               why="…and start.", why_es="…y arrancar."),
        Action(id=f"{ID}.running", kind="wait", target=master, command="pcs status", expect=started_regex(),
               timeout=180, interval=5,
               awaits="the three resources Started in `pcs status`",
               awaits_es="los tres recursos Started en `pcs status`",
               title="The three resources Started", title_es="Los tres recursos Started",
               why="Wait until the three resources are Started.",
               why_es="Esperar a que los tres recursos estén Started."),
        Action(id=f"{ID}.vips.{m.name}", kind="check", target=master, command="ip addr show",
               expect=all_of(re_ip(answers.vip.external, prefix(answers.networks.external)),
                             re_ip(answers.vip.internal, prefix(answers.networks.internal))),
               title=f"The VIPs on {m.name}", title_es=f"Las VIP en {m.name}",
               why=f"Both VIPs are on {m.name}, the preferred node.",
               why_es=f"Las dos VIP están en {m.name}, el nodo preferido."),
    ]
    return actions
