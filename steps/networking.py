"""Section 4: the clone becomes standby: its own addresses, names and hostname."""

from __future__ import annotations

import re

from steps._common import (
    IDENTIFIES,
    check_ip,
    director_ifaces,
    hosts_action,
    iface_config,
    network_restart,
    no_other_config,
    q,
    set_hostname,
    startvm_actions,
)
from steps.model import Action, Target, Text
from steps.profiles import Profile
from wizard.base.answers import Answers, mac_colon

ID = "networking"
TITLE = Text("Standby's network, names and hostname", "Red, nombres y nombre de máquina de standby")
EXPLANATION = Text(
    en=(
        "Start the standby machine and give its network adapters the chosen IP addresses: the external one "
        "(with the gateway and DNS), the internal one and the heartbeat one, each in its own interface file. "
        "Then restart the network service, check the changes with `ip addr show`, and check the connection "
        "with the outside world (the guide pings www.google.es).\n\n"
        "Add the names master, master-cr and standby-cr to /etc/hosts, change the machine's name "
        "(`hostnamectl set-hostname standby`) and check that the heartbeat network works by pinging master-cr.\n\n"
        "How the wizard does it: the clone boots with master's addresses while master is off, so every action "
        "up to the network restart reaches it at master's address (first checking by its MAC that it really "
        "is the clone). The restart moves it to its own addresses and the wizard reconnects there. Then it "
        "starts master again (no clash any more) and pings master-cr from standby over the heartbeat network. "
        "Pings are `ping -c 3` (the guide's plain `ping` runs until Ctrl-C); the gateway is pinged first, which "
        "works in a lab without Internet access too."
    ),
    es=(
        "Inicia la máquina standby. Vamos a asociar a los adaptadores de red las direcciones IP elegidas: la "
        "externa (con pasarela y DNS), la interna y la de latido, cada una en su fichero de interfaz. Una vez "
        "realizados los cambios reiniciamos el servicio de red, comprobamos los cambios con `ip addr show` y "
        "comprobamos que tenemos conexión con el mundo exterior (la guía hace ping a www.google.es).\n\n"
        "Añadir los nombres master, master-cr y standby-cr en el fichero /etc/hosts, modificar el nombre de la "
        "máquina (`hostnamectl set-hostname standby`) y comprobar que la red interna latido está bien "
        "configurada con un ping a master-cr.\n\n"
        "Cómo lo hace el asistente: el clon arranca con las direcciones de master mientras master está "
        "apagada, así que todas las acciones hasta el reinicio de la red le llegan por la dirección de master "
        "(comprobando antes por su MAC que de verdad es el clon). El reinicio lo pasa a sus propias "
        "direcciones y el asistente se reconecta allí. Después vuelve a arrancar master (ya no hay conflicto) "
        "y hace ping a master-cr desde standby por la red de latido. "
        "Los ping son `ping -c 3` (el `ping` de la guía sigue hasta Ctrl-C); antes se hace ping a la pasarela, "
        "que funciona también en un laboratorio sin acceso a Internet."
    ),
)
USES = [
    "directors[1].name", "directors[1].external_if", "directors[1].external_ip", "directors[1].internal_if",
    "directors[1].internal_ip", "directors[1].heartbeat_if", "directors[1].heartbeat_ip",
    "virtualbox.standby_macs", "networks.external", "networks.internal", "networks.heartbeat",
    "networks.external_gateway", "networks.dns", "directors[0].address", "directors[0].vm", "directors[0].name",
    "directors[0].ring_name", "directors[].internal_ip", "directors[].aliases", "domain",
]
ERRATA = [
    Text(en="The guide's ifcfg files carry UUID=XXXX… placeholders; the wizard leaves UUID out.",
         es="Los ficheros ifcfg de la guía llevan marcadores UUID=XXXX…; el asistente omite UUID."),
]


def plan(answers: Answers, profile: Profile) -> list[Action]:
    m, s = answers.master, answers.standby
    via = m.address  # the clone answers at master's address until its network restart
    ifaces = director_ifaces(answers, s)
    node = s.name
    heartbeat_mac = answers.virtualbox.standby_macs[2]
    # Already done when the machine at master's address is not the clone: the clone has moved to its own
    # addresses (a later run: master is back there), so nothing here may touch that machine.
    clone_mac = q("link/ether " + mac_colon(heartbeat_mac))
    moved = f"! ip -o link show dev {q(s.heartbeat_if)} 2>/dev/null | grep -qi {clone_mac}"
    actions = [
        Action(id=f"{ID}.is_clone.{node}", kind="check", target=Target.node(node), via_address=via, probe=moved,
               command=f"ip -o link show dev {q(s.heartbeat_if)}",
               expect=rf"(?i)link/ether {re.escape(mac_colon(heartbeat_mac))}\b",
               title=f"It is the clone {s.vm}", title_es=f"Es el clon {s.vm}",
               why=f"The machine at {via} is the clone: its heartbeat NIC has {s.vm}'s MAC, not {m.vm}'s.",
               why_es=f"La máquina en {via} es el clon: su tarjeta de latido tiene la MAC de {s.vm}, no la de "
                      f"{m.vm}.",
               on_fail=f"Another machine answers at {via}: is {m.vm} really off?",
               on_fail_es=f"Otra máquina responde en {via}: ¿está {m.vm} realmente apagada?",
               tags=(IDENTIFIES,)),
    ]
    actions += no_other_config(ID, node, [i.ifname for i in ifaces], profile, via=via, probe=moved)
    configs = [iface_config(ID, node, iface, profile, via=via, probe=moved) for iface in ifaces]
    actions += configs
    actions.append(network_restart(ID, node, [i.ifname for i in ifaces], profile, via=via,
                                   reconnect_to=s.address if s.address != via else "",
                                   applies=tuple(a.id for a in configs)))
    actions += [check_ip(ID, node, iface) for iface in ifaces]
    gw = answers.networks.external_gateway
    actions.append(Action(
        id=f"{ID}.ping_gateway.{node}", kind="check", target=Target.node(node), command=f"ping -c 3 {q(gw)}",
        title="The gateway answers", title_es="Responde la pasarela",
        why="The external network works: the gateway answers.", why_es="La red externa funciona: responde la "
        "pasarela."))
    if not profile.is_lab:  # the lab has no way out to the Internet
        actions.append(Action(
            id=f"{ID}.ping_outside.{node}", kind="check", target=Target.node(node), command="ping -c 3 www.google.es",
            tags=("internet",), title="The Internet answers", title_es="Responde Internet",
            why="Connection with the outside world (Internet and DNS).",
            why_es="Conexión con el mundo exterior (Internet y DNS)."))
    actions += [
        hosts_action(ID, answers, node),
        set_hostname(f"{ID}.hostname.{node}", node, profile,
               title=f"Host name {node}", title_es=f"Nombre de máquina {node}",
               why=f"The clone still calls itself {m.name}: rename it {node}.",
               why_es=f"El clon aún se llama {m.name}: cambiarle el nombre a {node}."),
    ]
    actions += startvm_actions(ID, answers, m.vm, m.name,
                               why=f"Start {m.vm} again: {s.vm} has its own addresses now.",
                               why_es=f"Volver a arrancar {m.vm}: {s.vm} ya tiene sus propias direcciones.")
    actions.append(Action(
        id=f"{ID}.ping_ring.{node}", kind="check", target=Target.node(node), command=f"ping -c 3 {q(m.ring_name)}",
        title=f"{m.ring_name} answers on the heartbeat", title_es=f"{m.ring_name} responde por el latido",
        why=f"The heartbeat network works: {m.ring_name} answers from {node}.",
        why_es=f"La red de latido funciona: {m.ring_name} responde desde {node}."))
    return actions
