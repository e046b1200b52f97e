"""Section 10: the real servers' gateway becomes the internal VIP."""

from __future__ import annotations

import dataclasses
import re

from steps._common import Iface, iface_config, network_restart, no_other_config, q
from steps.model import Action, Line, Target, Text
from steps.profiles import Profile
from wizard.base.answers import Answers, Server

ID = "gateway"
TITLE = Text("Real servers' gateway", "Pasarela de los servidores reales")
EXPLANATION = Text(
    en=(
        "The real servers answer the clients through the active director. With their gateway set to master's "
        "real internal address, the replies would be lost when master fails. So, on every real server (by SSH, "
        "or with a script that runs the command on all of them at once), replace the real gateway with the "
        "virtual one, the internal VIP, which pacemaker keeps on whichever director is active, and restart the "
        "network service. The wizard then checks that the default route goes through the VIP."
    ),
    es=(
        "Las peticiones entrantes son repartidas por HAProxy entre los servidores de la granja, pero estos "
        "contestan a los clientes a través del nodo master o del nodo standby, depende de cuál de los dos esté "
        "activo. Si en los servidores se configura como pasarela la IP real asociada a la interfaz interna del "
        "nodo master, si este deja de funcionar las respuestas no llegarían a los clientes. Accediendo a cada "
        "nodo por ssh o utilizando un fichero de comandos para lanzar la orden simultáneamente a todos los "
        "servidores, sustituimos el gateway real por el virtual (la VIP interna, que pacemaker mantiene en el "
        "director activo) y reiniciamos el servicio de red. El asistente comprueba después que la ruta por "
        "defecto pasa por la VIP."
    ),
)
USES = ["servers[].name", "servers[].ifname", "servers[].ip", "vip.internal", "networks.internal"]
ERRATA = [
    Text(en="/etc/sysconfig/network-scripts/ifcfg-enpos3 → ifcfg-enp0s3 (a zero, not the letter o).",
         es="/etc/sysconfig/network-scripts/ifcfg-enpos3 → ifcfg-enp0s3 (un cero, no la letra o)."),
]


def _set_gateway(answers: Answers, profile: Profile, server: Server) -> Action:
    vip = answers.vip.internal
    node = server.name
    if profile.network_style == "ifcfg":
        path = q(f"/etc/sysconfig/network-scripts/ifcfg-{server.ifname}")
        line = q(f"GATEWAY={vip}")
        # Replace whatever GATEWAY= there is (the guide's is master's internal address), or add one.
        command = (f"if grep -q '^GATEWAY=' {path}; then sed -i {q(f's/^GATEWAY=.*/GATEWAY={vip}/')} {path};"
                   f" else echo {line} >> {path}; fi")
        return Action(id=f"{ID}.set.{node}", kind="run", target=Target.node(node), command=command,
                      probe=f"grep -qx {line} {path}",
                      intent=Line(f"/etc/sysconfig/network-scripts/ifcfg-{server.ifname}", r"^GATEWAY=",
                                  f"GATEWAY={vip}"),
                      erratum="/etc/sysconfig/network-scripts/ifcfg-enpos3",
                      title=f"{node}'s gateway", title_es=f"Pasarela de {node}",
                      why=f"GATEWAY={vip} in {node}'s interface file.",
                      why_es=f"GATEWAY={vip} en el fichero de interfaz de {node}.")
    if profile.network_style == "nmcli":
        return Action(id=f"{ID}.set.{node}", kind="run", target=Target.node(node),
                      command=f"nmcli connection modify {q(server.ifname)} ipv4.gateway {q(vip)}",
                      title=f"{node}'s gateway", title_es=f"Pasarela de {node}",
                      probe=f"nmcli -g ipv4.gateway connection show {q(server.ifname)} 2>/dev/null | grep -qx {q(vip)}",
                      why=f"{node}'s gateway is {vip}.", why_es=f"La pasarela de {node} es {vip}.")
    # debian: rewrite the whole stanza of the interface with the new gateway.
    iface = Iface("server", server.ifname, server.ip, answers.networks.internal, gateway=vip)
    action = iface_config(ID, node, iface, profile)
    return dataclasses.replace(action, id=f"{ID}.set.{node}", why=f"{node}'s gateway is {vip}.",
                               title=f"{node}'s gateway", title_es=f"Pasarela de {node}",
                               why_es=f"La pasarela de {node} es {vip}.")


def plan(answers: Answers, profile: Profile) -> list[Action]:
    actions = []
    vip = answers.vip.internal
    for server in answers.servers:
        node = server.name
        actions += no_other_config(ID, node, [server.ifname], profile)
        actions += [
            _set_gateway(answers, profile, server),
            network_restart(ID, node, [server.ifname], profile, applies=(f"{ID}.set.{node}",)),
            Action(id=f"{ID}.route.{node}", kind="check", target=Target.node(node), command="ip route show default",
                   expect=rf"(?m)^default via {re.escape(vip)}\b",
                   title=f"{node}'s default route", title_es=f"Ruta por defecto de {node}",
                   why=f"{node}'s default route goes through the internal VIP.",
                   why_es=f"La ruta por defecto de {node} pasa por la VIP interna."),
        ]
    return actions
