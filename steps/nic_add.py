"""Section 2: master gets a third NIC on the heartbeat network, with a static address."""

from __future__ import annotations

from steps._common import (
    HostCheck,
    check_ip,
    director_ifaces,
    find_nic,
    hosts_action,
    iface_config,
    network_restart,
    no_other_config,
    poweroff_actions,
    q,
    startvm_actions,
    vbox,
    vboxmanage_word,
)
from steps.model import Action, HostOp, Target, Text
from steps.profiles import Profile
from wizard.base.answers import Answers, mac_plain

ID = "nic_add"
TITLE = Text("Heartbeat NIC on master", "Tarjeta de latido en master")
EXPLANATION = Text(
    en=(
        "First we add a new network card (Intel PRO/1000 Server T) to master and connect it to an internal "
        "network, called for example \"latido\" (heartbeat). Through this network Corosync will periodically "
        "send messages to the standby node to make sure it is healthy. It can be given the MAC 0800270101C1.\n\n"
        "VirtualBox only changes NICs of a powered-off VM, so the wizard shuts master down (ACPI), adds the "
        "NIC, and starts it again. Then, on master, it finds the name the system gave the new card (the guide "
        "assumes enp0s9; the wizard looks it up by its MAC), writes its static configuration and restarts the "
        "network, then checks the address is there. The heartbeat NIC has no gateway: the default route stays "
        "on the external NIC.\n\n"
        "Finally the new machine's names go into /etc/hosts: standby, and master-cr / standby-cr, the names "
        "used to form the two-node cluster (they resolve to the heartbeat addresses, so the cluster talks over "
        "the heartbeat network). The wizard writes them between '# BEGIN ha-wizard' / '# END ha-wizard' "
        "markers so that running it again replaces the block instead of adding lines."
    ),
    es=(
        "En primer lugar, vamos a añadir una nueva tarjeta de red (Intel PRO 1000 Server T) al nodo master. La "
        "conectamos a una red interna que llamaremos por ejemplo latido. A través de esta red, Corosync pasará "
        "periódicamente mensajes al nodo standby para asegurarse de que goza de buena salud. Se le puede "
        "asociar la MAC 0800270101C1.\n\n"
        "VirtualBox solo cambia las tarjetas de una máquina apagada: el asistente apaga master (ACPI), añade "
        "la tarjeta y la vuelve a arrancar. Después, en master, averigua el nombre que el sistema operativo le "
        "ha asociado a la nueva tarjeta (la guía supone enp0s9; el asistente la busca por su MAC), escribe su "
        "configuración estática y reinicia la red; luego comprueba que se ha asociado correctamente la IP "
        "elegida. La tarjeta de latido no lleva pasarela: la ruta por defecto sigue en la tarjeta externa.\n\n"
        "Por último se añade la nueva máquina a /etc/hosts: standby, y master-cr / standby-cr, los nombres que "
        "se usarán a continuación para formar el clúster, que en este caso estará formado únicamente por dos "
        "nodos (apuntan a las direcciones de latido). El asistente los escribe entre las marcas "
        "'# BEGIN ha-wizard' / '# END ha-wizard', para que al repetir la sección se sustituya el bloque en "
        "lugar de duplicar líneas."
    ),
)
USES = [
    "directors[0].vm", "directors[0].name", "directors[0].heartbeat_if", "directors[0].heartbeat_ip",
    "directors[0].heartbeat_mac", "virtualbox.heartbeat_network", "virtualbox.nic_type", "networks.heartbeat",
    "directors[].internal_ip", "directors[].ring_name", "directors[].aliases", "domain",
]
ERRATA = [
    Text(en="The guide's ifcfg file has a line UUID=xxxx…: a placeholder, not a value. The wizard leaves UUID "
            "out (initscripts don't need it; a made-up UUID could clash with a real NetworkManager profile).",
         es="El fichero ifcfg de la guía tiene una línea UUID=xxxx…: es un marcador, no un valor. El asistente "
            "omite UUID (los initscripts no lo necesitan y un UUID inventado podría chocar con un perfil real "
            "de NetworkManager)."),
]


def plan(answers: Answers, profile: Profile) -> list[Action]:
    m = answers.master
    vb = answers.virtualbox
    hb = director_ifaces(answers, m)[2]
    mac = mac_plain(m.heartbeat_mac)
    has_nic = HostCheck(f"{vboxmanage_word(answers)} showvminfo {q(m.vm)} --machinereadable"
                        f" | grep -qix {q(f'macaddress3={chr(34)}{mac}{chr(34)}')}",
                        HostOp.of("has_nic_mac", vm=m.vm, nic=3, mac=mac))
    actions = poweroff_actions(
        ID, answers, m.vm, skip_if=has_nic,
        why=f"Shut {m.vm} down: VirtualBox adds NICs only to a powered-off VM (skipped if NIC 3 is already there).",
        why_es=f"Apagar {m.vm}: VirtualBox solo añade tarjetas con la máquina apagada (se omite si ya tiene la "
               f"tarjeta 3).")
    actions.append(Action(
        id=f"{ID}.modifyvm.{m.vm}", kind="run", target=Target.local(),
        **vbox(answers, "modifyvm", m.vm, "--nic3", "intnet", "--intnet3", vb.heartbeat_network,
               "--nictype3", vb.nic_type, "--macaddress3", mac),
        **has_nic.fields(), title=f"Heartbeat NIC on {m.vm}", title_es=f"Tarjeta de latido en {m.vm}",
        why=f"NIC 3 of {m.vm}: internal network \"{vb.heartbeat_network}\", type {vb.nic_type}, fixed MAC.",
        why_es=f"Tarjeta 3 de {m.vm}: red interna \"{vb.heartbeat_network}\", tipo {vb.nic_type}, MAC fija.",
    ))
    actions += startvm_actions(ID, answers, m.vm, m.name, why=f"Start {m.vm} again.",
                               why_es=f"Arrancar de nuevo {m.vm}.")
    actions += [
        find_nic(ID, m.name, m.heartbeat_if, m.heartbeat_mac),
        *no_other_config(ID, m.name, [hb.ifname], profile),
        iface_config(ID, m.name, hb, profile),
        network_restart(ID, m.name, [m.heartbeat_if], profile, applies=(f"{ID}.config_heartbeat.{m.name}",)),
        check_ip(ID, m.name, hb),
        hosts_action(ID, answers, m.name),
    ]
    return actions
