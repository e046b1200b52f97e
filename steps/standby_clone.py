"""Section 3: clone master into standby, give the clone its own MACs, boot it alone."""

from __future__ import annotations

from steps._common import HostCheck, poweroff_actions, q, startvm_actions, vbox, vboxmanage_word, vm_exists
from steps.model import Action, HostOp, Target, Text
from steps.profiles import Profile
from wizard.base.answers import Answers, mac_plain

ID = "standby_clone"
TITLE = Text("Clone master into standby", "Clonar master en standby")
EXPLANATION = Text(
    en=(
        "Clone the master machine into the standby machine (from the VirtualBox GUI or the command line). "
        "Change the MAC addresses of all its cards: for the first two use the ones from the course's MAC plan "
        "(seminar 1), and 0800270101C2 for the new (heartbeat) card.\n\n"
        "Why master is powered off now and stays off: the clone is an exact copy, so it boots with master's "
        "addresses on every network. With both running, two machines would answer at the same IP addresses "
        "(an address clash: ARP flip-flops, dropped connections, SSH reaching one or the other at random). So "
        "the wizard configures the clone while master is off, reaching it at master's address; the next section "
        "moves the clone to its own addresses, reconnects to it there, and only then starts master again.\n\n"
        "The clone also has master's SSH host keys: the wizard will see master's key at the standby's "
        "address. That is expected for a clone (and why the wizard shows the fingerprint when it first meets "
        "the standby address); regenerate the keys on standby if the lab must tell them apart."
    ),
    es=(
        "Desde el interfaz gráfico VirtualBox, clona la máquina master sobre la máquina standby. Cambia las "
        "direcciones MAC asociadas a todas las tarjetas, utilizando las que se detallaron en el seminario 1 "
        "para las dos primeras tarjetas de red y la MAC 0800270101C2 para la nueva tarjeta de red. También "
        "puede utilizarse la línea de órdenes.\n\n"
        "Por qué master se apaga ahora y sigue apagada: el clon es una copia exacta, así que arranca con las "
        "direcciones de master en todas las redes. Con las dos en marcha, dos máquinas responderían en las "
        "mismas direcciones IP (un conflicto de direcciones: ARP cambiante, conexiones cortadas, SSH llegando a "
        "una u otra al azar). Por eso el asistente configura el clon con master apagada, llegando a él por la "
        "dirección de master; la sección siguiente pasa el clon a sus propias direcciones, se reconecta allí y solo "
        "entonces vuelve a arrancar master.\n\n"
        "El clon tiene además las claves de host SSH de master: el asistente verá la clave de master en la "
        "dirección de standby. Es lo esperado en un clon (por eso el asistente muestra la huella la primera "
        "vez que ve la dirección de standby); regenera las claves en standby si hace falta distinguirlas."
    ),
)
USES = ["directors[0].vm", "directors[1].vm", "directors[1].name", "virtualbox.standby_macs",
        "directors[0].address"]
ERRATA = [
    Text(en="The guide's `vboxmanage clonevm master --name standby` lacks --register: without it the clone is "
            "only written to disk and can't be started by name. The wizard adds --register.",
         es="La orden de la guía `vboxmanage clonevm master --name standby` no lleva --register: sin ella el "
            "clon solo se escribe en disco y no se puede arrancar por su nombre. El asistente añade --register."),
]


def clone_done(answers: Answers) -> HostCheck:
    """The clone exists with its own MACs (NIC 3's is set with the others, and only by this section): a later
    run leaves master and the clone running."""
    vm, mac = answers.standby.vm, mac_plain(answers.virtualbox.standby_macs[-1])
    nic = len(answers.virtualbox.standby_macs)
    return HostCheck(f"{vboxmanage_word(answers)} showvminfo {q(vm)} --machinereadable 2>/dev/null"
                     f" | grep -qix {q(f'macaddress{nic}={chr(34)}{mac}{chr(34)}')}",
                     HostOp.of("has_nic_mac", vm=vm, nic=nic, mac=mac))


def plan(answers: Answers, profile: Profile) -> list[Action]:
    m, s = answers.master, answers.standby
    done = clone_done(answers)
    actions = poweroff_actions(
        ID, answers, m.vm, skip_if=done,
        why=f"Shut {m.vm} down: it is cloned, and the clone must boot while {m.vm} is off (same addresses).",
        why_es=f"Apagar {m.vm}: se clona, y el clon debe arrancar con {m.vm} apagada (mismas direcciones).")
    actions += poweroff_actions(
        ID, answers, s.vm, skip_if=done,
        why=f"{s.vm} must be off to change its MACs (only when it already exists and runs: re-runs).",
        why_es=f"{s.vm} debe estar apagada para cambiar sus MAC (solo si ya existe y está en marcha).")
    actions.append(Action(
        id=f"{ID}.clonevm.{s.vm}", kind="run", target=Target.local(),
        **vbox(answers, "clonevm", m.vm, "--name", s.vm, "--register"),
        **vm_exists(answers, s.vm).fields(), idempotent=False, timeout=1800,
        erratum="vboxmanage clonevm master --name standby (no --register: the clone can't be started by name)",
        erratum_es="vboxmanage clonevm master --name standby (sin --register: el clon no se puede arrancar por su "
                   "nombre)",
        title=f"Clone {m.vm} into {s.vm}", title_es=f"Clonar {m.vm} en {s.vm}",
        why=f"Clone {m.vm} into a new VM {s.vm}.", why_es=f"Clonar {m.vm} en una nueva máquina {s.vm}.",
    ))
    macs = [arg for i, mac in enumerate(answers.virtualbox.standby_macs, start=1)
            for arg in (f"--macaddress{i}", mac_plain(mac))]
    actions.append(Action(
        id=f"{ID}.macs.{s.vm}", kind="run", target=Target.local(), **vbox(answers, "modifyvm", s.vm, *macs),
        title=f"MACs of {s.vm}", title_es=f"MAC de {s.vm}",
        **done.fields(),
        why=f"{s.vm}'s own MACs (a clone must not share MACs with {m.vm}).",
        why_es=f"MAC propias de {s.vm} (un clon no debe compartir MAC con {m.vm}).",
    ))
    actions += startvm_actions(
        ID, answers, s.vm, s.name, via=m.address,
        why=f"Start {s.vm} alone: it boots with {m.vm}'s addresses and answers at {m.address}.",
        why_es=f"Arrancar {s.vm} sola: arranca con las direcciones de {m.vm} y responde en {m.address}.")
    return actions
