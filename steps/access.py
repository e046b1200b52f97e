"""Reaching the machines: the port forwards into the NAT network, and the wizard's key on each node.

The guide's VMs live on a VirtualBox NAT network (`red-nat-1`): from the machine running VirtualBox they
are reachable only through NAT port forwards, exactly as the guide later reaches the web page (port 5280).
So before the first SSH command the wizard makes one forward per director it reaches that way
(`127.0.0.1:2201 -> master:22`, `127.0.0.1:2202 -> standby:22`; wizard/base/reach.py says which), shown like
every other command and skipped when already there. `forward_actions` builds them; the preflight section,
first in the plan, begins with them. Real servers are reached through a director.

A fresh CentOS 7 VM takes root's password only: when the wizard had to log in with the password, it
installs its own public key on the node (what `ssh-copy-id` does), so later connections need no password.
Where it logged in with a key already, that action is "already done". `key_actions` builds them; they are
this section, right after preflight (which only reads).
"""

from __future__ import annotations

import shlex

from steps._common import IDENTIFIES as IDENTIFIES  # the engine reads them from here
from steps._common import NODE_RETURNS as NODE_RETURNS
from steps._common import vbox, vboxmanage_word
from steps.model import Action, HostOp, Target, Text
from steps.profiles import Profile
from wizard.base.answers import Answers
from wizard.base.reach import forwards
from wizard.base.validation import field_label

ID = "access"
TITLE = Text("Log in with the wizard's key", "Entrar con la clave del asistente")
EXPLANATION = Text(
    en=(
        "The machines live on VirtualBox's NAT network, like behind a home router: the computer running "
        "VirtualBox cannot open a connection to them by their addresses. A NAT network reaches inward only "
        "through port forwards, which is how the guide will later see the web page (`http://localhost:5280`, "
        "\"as in the previous session\"). So the wizard's first steps (in the checks before starting) make one "
        "forward per director on this machine (port 2201 to master's SSH, 2202 to standby's; the standby's "
        "waits for the clone of a later section) and connect through them; the real servers are reached through a "
        "director. If this computer does reach the machines directly (a host-only or bridged adapter), put "
        "their addresses in the inventory instead (each director's \"SSH at\"): then no forward is made.\n\n"
        "A fresh CentOS 7 machine only lets root in with its password. The wizard asks for it once (or reads "
        "HA_WIZARD_SSH_PASSWORD) and keeps it in memory only. This section then installs the wizard's own SSH "
        "key on each machine it had to log into with the password, so the next connections need no password: "
        "the same as `ssh-copy-id`. Where the wizard already logged in with a key, nothing is installed "
        "(\"already done\"). The standby machine is a clone of master: it gets the key with master's disk."
    ),
    es=(
        "Las máquinas están en la red NAT de VirtualBox, como detrás de un router doméstico: el ordenador "
        "que ejecuta VirtualBox no puede abrir una conexión hacia ellas por sus direcciones. A una red NAT "
        "solo se entra con reenvíos de puertos, que es como la guía verá más tarde la página web "
        "(`http://localhost:5280`, \"como en la sesión anterior\"). Así que los primeros pasos del asistente (en "
        "las comprobaciones antes de empezar) crean en este ordenador un reenvío por director (el puerto 2201 "
        "al SSH de master, el 2202 al de standby; el de standby espera al clon de una sección posterior) y se conecta "
        "por "
        "ellos; a los servidores reales llega a través de un director. Si este ordenador sí llega directamente a "
        "las máquinas (adaptador solo-anfitrión o puente), pon sus direcciones en el inventario (el campo "
        "\"SSH por\" de cada director): entonces no se crea ningún reenvío.\n\n"
        "Una máquina CentOS 7 recién instalada solo deja entrar a root con su contraseña. El asistente la pide "
        "una vez (o la lee de HA_WIZARD_SSH_PASSWORD) y la guarda solo en memoria. Esta sección instala después "
        "la clave SSH del propio asistente en cada máquina en la que tuvo que entrar con contraseña, para que las "
        "siguientes conexiones no la necesiten: lo mismo que `ssh-copy-id`. Donde el asistente ya entró con una "
        "clave no instala nada (\"ya estaba hecho\"). La máquina standby es un clon de master: recibe la clave "
        "con el disco de master."
    ),
)
USES = ["directors[].ssh_host", "directors[].ssh_port", "directors[].external_ip", "virtualbox.natnetwork",
        "servers[].ssh_host", "ssh_user", "ssh_port"]
ERRATA: list[Text] = []

# Tags the engine reads (wizard/run/engine.py).
KEY_INSTALL = "wizard-key"  # skipped as "already done" where the node's login needed no password
# The public key reaches the node on stdin; the engine fills it in (it is not a secret, nothing to ask).
PUBLIC_KEY = "wizard_public_key"


def forward_actions(answers: Answers, profile: Profile) -> list[Action]:
    """One NAT port forward per director reached through one, each skipped when already in place. A rule
    of the same name that leads elsewhere (the answers changed) is removed first: names are unique."""
    net = answers.virtualbox.natnetwork
    listing = f"{vboxmanage_word(answers)} list natnetworks"
    actions = []
    for r in forwards(answers):
        index = next((i for i, d in enumerate(answers.directors) if d.name == r.node), 0)
        port_field = field_label(answers, f"directors[{index}].ssh_port")  # as the inventory names it
        base = ("natnetwork", "modify", "--netname", net, "--port-forward-4")
        actions += [
            Action(id=f"{ID}.forward_clear.{r.node}", kind="run", target=Target.local(),
                   **vbox(answers, *base, "delete", r.rule_name),
                   host_probe=HostOp.of("natnetwork_rule_free", netname=net, name=r.rule_name, rule=r.rule),
                   probe=(f"! {listing} | grep -q {shlex.quote('^ *' + r.rule_name + ':')}"
                          f" || {listing} | grep -qF -- {shlex.quote(r.rule)}"),
                   idempotent=False,
                   title=f"Remove a stale forward to {r.node}", title_es=f"Quitar reenvío antiguo a {r.node}",
                   why=f"An older forward named {r.rule_name} leads elsewhere: remove it (only then).",
                   why_es=f"Un reenvío anterior llamado {r.rule_name} lleva a otro sitio: quitarlo (solo entonces)."),
            Action(id=f"{ID}.forward.{r.node}", kind="run", target=Target.local(),
                   **vbox(answers, *base, r.rule),
                   host_probe=HostOp.of("natnetwork_has_rule", netname=net, rule=r.rule),
                   probe=f"{listing} | grep -qF -- {shlex.quote(r.rule)}", idempotent=False,
                   title=f"Port {r.port} to {r.node}'s SSH", title_es=f"Puerto {r.port} al SSH de {r.node}",
                   why=f"Port {r.port} of this machine ({r.host}) leads to {r.node}'s SSH ({r.guest_ip}:"
                       f"{r.guest_port}) on the NAT network {net}.",
                   why_es=f"El puerto {r.port} de este ordenador ({r.host}) lleva al SSH de {r.node} "
                          f"({r.guest_ip}:{r.guest_port}) en la red NAT {net}.",
                   on_fail=f"Is {net} the NAT network's name (`VBoxManage list natnetworks`)? Another rule on "
                           f"port {r.port}? Then choose another {port_field.en} in the inventory.",
                   on_fail_es=f"¿Es {net} el nombre de la red NAT (`VBoxManage list natnetworks`)? ¿Otra regla "
                              f"en el puerto {r.port}? Entonces elige otro {port_field.es} en el inventario."),
        ]
    return actions


def key_command(user: str) -> str:
    """ssh-copy-id's work on the node: the public key (one line on stdin) appended to USER's
    authorized_keys once, with the modes sshd insists on (and SELinux labels where there are some)."""
    u = shlex.quote(user)
    return "\n".join([
        "set -e",
        f"u={u}; h=$(getent passwd \"$u\" | cut -d: -f6)",
        "read -r key",
        "mkdir -p \"$h/.ssh\" && touch \"$h/.ssh/authorized_keys\"",
        "grep -qxF \"$key\" \"$h/.ssh/authorized_keys\" || { printf '%s\\n' \"$key\" >> \"$h/.ssh/authorized_keys\""
        " && echo 'key added'; }",
        "chmod 700 \"$h/.ssh\" && chmod 600 \"$h/.ssh/authorized_keys\" && chown -R \"$u:\" \"$h/.ssh\"",
        "! command -v restorecon >/dev/null || restorecon -R \"$h/.ssh\"",
    ])


def key_actions(answers: Answers, profile: Profile) -> list[Action]:
    """The wizard's key on master and the real servers (standby is master's clone: it gets it with the disk)."""
    nodes = [answers.master.name, *(s.name for s in answers.servers)]
    return [Action(
        id=f"{ID}.wizard_key.{node}", kind="run", target=Target.node(node), command=key_command(answers.ssh_user),
        secrets=(PUBLIC_KEY,), stdin="{" + PUBLIC_KEY + "}\n", tags=(KEY_INSTALL,), changed_if=r"^key added$",
        title=f"The wizard's key on {node}", title_es=f"Clave del asistente en {node}",
        why=f"The wizard's public key in {answers.ssh_user}'s authorized_keys on {node} (like ssh-copy-id), only "
            "if the login needed the password: later connections need none.",
        why_es=f"La clave pública del asistente en authorized_keys de {answers.ssh_user} en {node} (como "
               "ssh-copy-id), solo si para entrar hizo falta la contraseña: después ya no hará falta.",
        on_fail="The node's disk full or its home folder unusable? Run `ssh-copy-id` by hand, or keep using the "
                "password (HA_WIZARD_SSH_PASSWORD).",
        on_fail_es="¿Disco lleno o carpeta personal inservible en el nodo? Ejecuta `ssh-copy-id` a mano, o sigue "
                   "usando la contraseña (HA_WIZARD_SSH_PASSWORD).",
    ) for node in nodes]


def plan(answers: Answers, profile: Profile) -> list[Action]:
    """The wizard's key where a password was needed (the forwards are preflight's first actions)."""
    return key_actions(answers, profile)
