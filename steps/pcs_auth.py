"""Section 5: pcs, pacemaker and corosync on both directors; hacluster password; pcs auth."""

from __future__ import annotations

from steps._common import q
from steps.centos_vault import NOTE as CENTOS_NOTE
from steps.centos_vault import vault_actions
from steps.model import Action, Packages, Password, Service, Target, Text
from steps.profiles import PACEMAKER_VERSION, PCS_VERSION, Profile
from wizard.base.answers import Answers

ID = "pcs_auth"
TITLE = Text("Install pcs and authorise the nodes", "Instalar pcs y autorizar los nodos")
EXPLANATION = Text(
    en=(
        "On the two nodes that will form the cluster, install the needed packages: `yum install -y pcs`; "
        "Pacemaker and Corosync come as dependencies of pcs. Then start the pcsd daemon on both nodes and make "
        "it start at every boot.\n\n"
        "Installing pacemaker creates the user hacluster. Give it a password on master and standby, the same "
        "password on both. The guide runs `passwd hacluster`; the wizard feeds the password to `chpasswd` on "
        "its standard input, so it never appears in a command line, a log or the transcript.\n\n"
        "So that the daemons managing the cluster on both nodes can talk to each other, open the firewall for "
        "the high-availability service and let SELinux allow cluster mode.\n\n"
        "From here on, commands run on master only: with hacluster set up, master authorises itself and the "
        "standby node with `pcs cluster auth master-cr standby-cr` (pcs ≥ 0.10: `pcs host auth`).\n\n"
        "What the guide could not know: pcs's commands changed between versions (0.9 on CentOS 7, 0.10 on "
        "Rocky/Alma 8, 0.11 on 9, 0.12 on 10), and so did Pacemaker's (3.0.2 renames stonith-enabled to "
        "fencing-enabled). Right after installing, the wizard reads `pcs --version` and `pacemakerd --version` "
        "on the directors and writes the commands that follow for the versions it found, whatever the profile "
        "says.\n\n" + CENTOS_NOTE.en
    ),
    es=(
        "En los dos nodos que van a formar el clúster instalamos los paquetes necesarios: `yum install -y pcs`. "
        "Pacemaker y Corosync se instalarán como dependencias del paquete pcs. Tras la instalación se pondrá en "
        "ejecución en ambos nodos el demonio pcsd y se indicará que se inicie siempre en el arranque.\n\n"
        "Cuando se instala pacemaker se crea automáticamente el usuario hacluster. Se debe configurar una "
        "contraseña para este usuario en los nodos master y standby, usando la misma contraseña para ambos. La "
        "guía usa `passwd hacluster`; el asistente pasa la contraseña a `chpasswd` por su entrada estándar, de "
        "modo que nunca aparece en una línea de órdenes, un registro ni la transcripción.\n\n"
        "Para que los distintos demonios que gestionan el clúster en ambos nodos no tengan problemas para "
        "comunicarse entre ellos, configuramos adecuadamente el cortafuegos y el módulo de seguridad mejorada "
        "(SELinux).\n\n"
        "A partir de este momento los comandos se ejecutan sólo en el nodo master. Tras tener el usuario "
        "hacluster configurado, desde el nodo master se autoriza al nodo standby con "
        "`pcs cluster auth master-cr standby-cr` (pcs ≥ 0.10: `pcs host auth`).\n\n"
        "Lo que la guía no podía saber: las órdenes de pcs cambiaron de una versión a otra (0.9 en CentOS 7, 0.10 "
        "en Rocky/Alma 8, 0.11 en la 9, 0.12 en la 10), y también las de Pacemaker (la 3.0.2 cambia "
        "stonith-enabled por fencing-enabled). Justo después de instalar, el asistente lee `pcs --version` y "
        "`pacemakerd --version` en los directores y escribe las órdenes siguientes para las versiones que "
        "encuentra, diga lo que diga el perfil.\n\n" + CENTOS_NOTE.es
    ),
)
USES = ["directors[].name", "directors[].ring_name"]
ERRATA = [
    Text(en="`pcs cluster auth master-cr standby-cr` without -u asks for the user name interactively; the wizard "
            "passes -u hacluster and answers the password prompt on stdin, without echoing it.",
         es="`pcs cluster auth master-cr standby-cr` sin -u pide el usuario de forma interactiva; el asistente "
            "pasa -u hacluster y responde a la petición de contraseña por la entrada estándar, sin mostrarla."),
]
PCS_SYNTAX = True  # written for the pcs/Pacemaker versions found (steps.profiles): the screen says which


def plan(answers: Answers, profile: Profile) -> list[Action]:
    names = [d.name for d in answers.directors]
    both = Target.of_group("directors", names)
    actions = []
    if profile.centos_vault:
        actions += vault_actions(ID, both)
    if profile.enable_repo:
        actions.append(Action(
            id=f"{ID}.enable_repo", kind="run", target=both, command=profile.enable_repo,
            title="Enable the HA repository", title_es="Activar el repositorio HA",
            probe=f"dnf -q repolist --enabled | grep -qiw -- {q(profile.ha_repo)}",
            why="The HA packages live in a repository that is off by default.",
            why_es="Los paquetes de alta disponibilidad están en un repositorio desactivado por defecto."))
    actions += [
        Action(id=f"{ID}.install", kind="run", target=both, command=profile.install(profile.ha_packages),
               timeout=1200, intent=Packages(profile.ha_packages),
               title="Install pcs", title_es="Instalar pcs",
               why="Install pcs (pacemaker and corosync come as its dependencies).",
               why_es="Instalar pcs (pacemaker y corosync se instalan como dependencias)."),
        versions_action(f"{ID}.versions", both),
        Action(id=f"{ID}.pcsd", kind="run", target=both, command="systemctl start pcsd && systemctl enable pcsd",
               title="Start and enable pcsd", title_es="Arrancar y habilitar pcsd",
               intent=Service("pcsd", state="started", enabled=True),
               why="Start pcsd now and at every boot.", why_es="Arrancar pcsd ahora y en cada arranque."),
        Action(id=f"{ID}.hacluster_password", kind="run", target=both, command="chpasswd",
               secrets=("hacluster_password",), stdin="hacluster:{hacluster_password}\n",
               title="Password of user hacluster", title_es="Contraseña del usuario hacluster",
               intent=Password("hacluster", "hacluster_password"),
               why="The same password for user hacluster on both directors (fed on stdin, never shown).",
               why_es="La misma contraseña para el usuario hacluster en los dos directores (por la entrada "
                      "estándar, nunca se muestra)."),
    ]
    if profile.firewall:
        actions += [
            Action(id=f"{ID}.firewall_add", kind="run", target=both,
                   command="firewall-cmd --permanent --add-service=high-availability",
                   title="Open the cluster's ports", title_es="Abrir los puertos del clúster",
                   probe="firewall-cmd --permanent --query-service=high-availability",
                   why="Open the cluster daemons' ports in the firewall (permanent config).",
                   why_es="Abrir en el cortafuegos los puertos de los demonios del clúster (configuración "
                          "permanente)."),
            Action(id=f"{ID}.firewall_reload", kind="run", target=both, command="firewall-cmd --reload",
                   title="Reload the firewall", title_es="Recargar el cortafuegos",
                   applies=(f"{ID}.firewall_add",),
                   why="Apply the permanent firewall config now.",
                   why_es="Aplicar ya la configuración permanente del cortafuegos."),
        ]
    if profile.selinux:
        actions.append(Action(
            id=f"{ID}.selinux", kind="run", target=both, command="setsebool -P daemons_enable_cluster_mode 1",
            # Nothing to allow where SELinux is disabled (setsebool would fail there); or already allowed.
            probe="! selinuxenabled 2>/dev/null || getsebool daemons_enable_cluster_mode | grep -q -- '--> on$'",
            title="Cluster mode in SELinux", title_es="Modo clúster en SELinux",
            why="Let SELinux allow the daemons' cluster mode.",
            why_es="Permitir en SELinux el modo clúster de los demonios."))
    if profile.default_corosync_conf:
        conf = "/etc/corosync/corosync.conf"
        shipped = f"cluster_name: {profile.default_corosync_conf}"
        actions.append(Action(
            id=f"{ID}.default_corosync_conf", kind="run", target=both,
            command=(f"if grep -qE {q('^[[:space:]]*' + shipped + '[[:space:]]*$')} {conf} 2>/dev/null; "
                     f"then mv {conf} {conf}.dist; fi"),
            title="Set aside the sample corosync.conf", title_es="Apartar corosync.conf de ejemplo",
            probe=f"! grep -qE {q('^[[:space:]]*' + shipped + '[[:space:]]*$')} {conf} 2>/dev/null",
            why="Set aside the package's sample one-node corosync.conf: pcs would send its tokens to its node1.",
            why_es="Apartar el corosync.conf de ejemplo del paquete (un nodo): pcs enviaría sus tokens a su node1."))
    rings = [d.ring_name for d in answers.directors]
    tokens = profile.pcs_tokens_file
    actions.append(Action(
        id=f"{ID}.auth", kind="run", target=Target.node(answers.master.name), command=profile.pcs_auth(rings),
        secrets=("hacluster_password",), stdin="{hacluster_password}\n",
        probe=" && ".join(f"grep -qF {q(chr(34) + r + chr(34))} {tokens}" for r in rings),
        erratum="pcs cluster auth master-cr standby-cr (without -u it prompts for the user name)",
        erratum_es="pcs cluster auth master-cr standby-cr (sin -u pide el nombre de usuario)",
        title="Authorise the nodes (pcs auth)", title_es="Autorizar los nodos (pcs auth)",
        why="Authorise master with pcsd on both ring names as hacluster (password on stdin).",
        why_es="Autorizar a master ante pcsd en los dos nombres de anillo como hacluster (contraseña por la "
               "entrada estándar).",
        on_fail="Check that pcsd runs on both, the firewall allows it and the passwords match.",
        on_fail_es="Comprueba que pcsd funciona en ambos, que el cortafuegos lo permite y que las contraseñas "
                   "coinciden."))
    return actions


def versions_action(id_: str, target: Target, optional: bool = False) -> Action:
    """Read the installed pcs and Pacemaker versions: the plan is rebuilt for them (Action.facts).

    optional: pcs may not be installed yet (preflight): report that instead of failing.
    """
    command = "pcs --version && pacemakerd --version"
    if optional:
        command = f"if command -v pcs >/dev/null; then {command}; else echo 'pcs: not installed yet'; fi"
    return Action(
        id=id_, kind="check", target=target, command=command,
        expect=r"^\d+\.\d+" if not optional else "",
        facts=((PCS_VERSION, r"^(\d+\.\d+[.\w+~-]*)\s*$"), (PACEMAKER_VERSION, r"^Pacemaker (\d+\.\d+[.\w+~-]*)")),
        title="Installed pcs and Pacemaker", title_es="pcs y Pacemaker instalados",
        why="Which pcs and Pacemaker are installed: the pcs commands are written for these versions.",
        why_es="Qué pcs y Pacemaker hay instalados: las órdenes de pcs se escriben para esas versiones.",
        on_fail="pcs or pacemakerd did not answer: the install above did not complete (see its output).",
        on_fail_es="pcs o pacemakerd no respondieron: la instalación de arriba no se completó (mira su salida).")
