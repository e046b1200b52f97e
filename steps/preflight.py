"""Section 0: before anything changes, check the host and every machine that exists at this point.

Read-only (after the access steps that make this machine's port forwards, the only change, on the
NAT network): VirtualBox and the VMs/networks the answers name, then each node that exists before the
guide starts (master and the real servers; standby is cloned later): reachable, the system the
profile is made for, the interfaces and addresses of the answers, host name, clock, disk, package
repositories, SELinux/firewalld where the profile uses them, the installed pcs/Pacemaker (facts: the
plan is rebuilt for them). Every check runs (KEEP_GOING) and runs again each time (RERUN); a node that
cannot be reached is not tried again. A failure says what is wrong and how to fix it (on_fail, es/en);
warn-only checks report and go on.
"""

from __future__ import annotations

import dataclasses
import re
import shlex

from steps._common import all_of, prefix, q, vboxmanage_word
from steps.centos_vault import CENTOS_REPOS, DEAD_CENTOS
from steps.model import Action, HostOp, Target, Text
from steps.pcs_auth import TITLE as PCS_TITLE
from steps.pcs_auth import versions_action
from steps.profiles import Profile, get_profile, os_fit_script
from steps.standby_clone import TITLE as CLONE_TITLE
from steps.standby_clone import clone_done
from wizard.base.answers import Answers, Director
from wizard.base.validation import field_label

ID = "preflight"
TITLE = Text("Before starting: check the machines", "Antes de empezar: comprobar las máquinas")
EXPLANATION = Text(
    en=(
        "Before changing anything, the wizard looks at what is there, so that a problem shows up now, with "
        "what to do about it, rather than halfway through the guide. Nothing is changed: it only reads (the "
        "SSH port forwards on VirtualBox's NAT network, when the answers use them, are made first: they are "
        "how this machine reaches the directors).\n\n"
        "On this machine: VBoxManage answers, and the VMs and the NAT network named in the answers exist, with "
        "the VMs running and attached to the right networks. On master and each real server: it answers over "
        "SSH (the real servers through a director) within a few seconds; its system is the one the profile is "
        "made for (if not, the profile that fits is named: a warning, since the commands would be another "
        "distribution's); the interfaces of the answers carry the expected addresses; its host name; its clock "
        "against this machine's; free disk; on the directors, that the package repositories answer (unless "
        "everything the guide installs is there already), SELinux and firewalld where the profile uses them, "
        "and the pcs and Pacemaker already installed, if any: the pcs commands of the plan are then written for "
        "that version. standby does not exist yet (a later section clones it from master): it is checked as a VM "
        "only.\n\n"
        "Every check runs, even after a failure, so you see everything at once; a node that does not answer is "
        "not tried again. The section runs again each time you run it: it tells how things are now."
    ),
    es=(
        "Antes de cambiar nada, el asistente mira lo que hay, para que un problema aparezca ahora, con lo que "
        "hay que hacer, y no a mitad de la guía. No cambia nada: solo lee (antes se crean, si las respuestas "
        "las usan, las redirecciones de puertos SSH en la red NAT de VirtualBox: son el camino de esta máquina "
        "hasta los directores).\n\n"
        "En esta máquina: VBoxManage responde, y existen las VM y la red NAT que nombran las respuestas, con "
        "las VM en marcha y conectadas a las redes correctas. En master y en cada servidor real: responde por "
        "SSH (los servidores reales a través de un director) en pocos segundos; su sistema es aquel para el que "
        "está hecho el perfil (si no, se nombra el perfil adecuado: es un aviso, porque las órdenes serían las "
        "de otra distribución); las interfaces de las respuestas tienen las direcciones esperadas; su nombre de "
        "máquina; su reloj frente al de esta máquina; espacio libre en disco; en los directores, que los "
        "repositorios de paquetes responden (salvo que ya esté instalado todo lo que instala la guía), SELinux "
        "y firewalld donde el perfil los usa, y el pcs y Pacemaker ya instalados, si los hay: las órdenes de "
        "pcs del plan se escriben entonces para esa versión. standby aún no existe (una sección posterior la clona de "
        "master): solo se comprueba como VM.\n\n"
        "Se hacen todas las comprobaciones, aunque falle alguna, para verlo todo de una vez; a un nodo que no "
        "responde no se le vuelve a intentar. La sección se repite cada vez que la ejecutas: dice cómo están "
        "las cosas ahora."
    ),
)
USES = ["virtualbox.natnetwork", "virtualbox.internal_network", "directors[].vm", "directors[].name",
        "directors[].external_if", "directors[].external_ip", "directors[].internal_if", "directors[].internal_ip",
        "servers[].name", "servers[].vm", "servers[].ip", "servers[].ifname"]
ERRATA: list[Text] = []
KEEP_GOING = True  # every check runs: all the problems at once
RERUN = True  # checks say how things are now: run again each time
CHECKLIST = True  # the app shows the section as a checklist (wizard/ui/widgets/checklist.py)

CLOCK_TOLERANCE = 30  # seconds from this machine's clock; two nodes are then within a minute
MIN_FREE_MIB = 500  # on / and /var: pcs, pacemaker and their dependencies take ~300 MiB on CentOS 7


def _how(answers: Answers, node: str) -> Text:
    """How the wizard tries to reach a node (for the messages)."""
    try:
        from wizard.base.reach import describe  # the reach API, when there
        return Text(describe(answers, node, "en"), describe(answers, node, "es"))
    except ImportError:
        pass
    host = answers.node(node)
    if isinstance(host, Director):
        return Text(f"SSH to {host.address}", f"SSH a {host.address}")
    directors = ", ".join(d.name for d in answers.directors)
    return Text(f"SSH to {host.address} through a director ({directors})",
                f"SSH a {host.address} a través de un director ({directors})")


def _vbox(answers: Answers, argv: tuple[str, ...]) -> str:
    """The POSIX rendering of a VBoxManage argv: the program the answers name (the lab's stand-in)."""
    return f"{vboxmanage_word(answers)} {shlex.join(argv[1:])}"


def _labels(answers: Answers, *paths: str) -> Text:
    """Fields as the inventory names them ("master · External NIC"): a student never reads an answers path."""
    labels = [field_label(answers, p) for p in paths]
    return Text(", ".join(x.en for x in labels), ", ".join(x.es for x in labels))


def _local(answers: Answers, id_: str, argv: tuple[str, ...], why: Text, on_fail: Text, expect: str = "", *,
           title: Text, **kw) -> Action:
    return Action(id=id_, kind="check", target=Target.local(), command=_vbox(answers, argv), argv=argv,
                  expect=expect, why=why.en, why_es=why.es, on_fail=on_fail.en, on_fail_es=on_fail.es, timeout=60,
                  title=title.en, title_es=title.es, **kw)


def _node(id_: str, node: str, command: str, why: Text, on_fail: Text, *, title: Text, **kw) -> Action:
    kw.setdefault("timeout", 60)
    return Action(id=id_, kind="check", target=Target.node(node), command=command, why=why.en, why_es=why.es,
                  on_fail=on_fail.en, on_fail_es=on_fail.es, title=title.en, title_es=title.es, **kw)


# -- this machine --------------------------------------------------------------------------------------

def host_checks(answers: Answers, profile: Profile) -> list[Action]:
    vb = answers.virtualbox
    vbox_field, net_field = _labels(answers, "virtualbox.vboxmanage"), _labels(answers, "virtualbox.natnetwork")
    out = [
        _local(answers, f"{ID}.vboxmanage", ("VBoxManage", "list", "vms"),
               Text("VBoxManage answers on this machine (the VMs it knows).",
                    "VBoxManage responde en esta máquina (las VM que conoce)."),
               Text("VBoxManage was not found or did not answer: install VirtualBox, or write its path in the "
                    f"inventory ({vbox_field.en}).",
                    "No se encontró VBoxManage o no respondió: instala VirtualBox, o escribe su ruta en el "
                    f"inventario ({vbox_field.es})."),
               title=Text("VBoxManage answers", "VBoxManage responde")),
        _local(answers, f"{ID}.natnetwork", ("VBoxManage", "list", "natnetworks"),
               Text(f"The NAT network {vb.natnetwork} exists.", f"Existe la red NAT {vb.natnetwork}."),
               Text(f"VirtualBox has no NAT network called {vb.natnetwork}: create it (File > Tools > Network "
                    f"Manager, or `VBoxManage natnetwork add --netname {vb.natnetwork} --network "
                    f"{answers.networks.external} --enable`), or put its name in the inventory "
                    f"({net_field.en}).",
                    f"VirtualBox no tiene una red NAT llamada {vb.natnetwork}: créala (Archivo > Herramientas > "
                    f"Administrador de red, o `VBoxManage natnetwork add --netname {vb.natnetwork} --network "
                    f"{answers.networks.external} --enable`), o pon su nombre en el inventario "
                    f"({net_field.es})."),
               expect=rf"(?m)^\s*(Name|NetworkName):\s+{re.escape(vb.natnetwork)}\s*$",
               title=Text(f"NAT network {vb.natnetwork}", f"Red NAT {vb.natnetwork}")),
    ]
    master = answers.master
    machines = [(master.vm, master.name, ((1, "natnetwork", "nat-network", vb.natnetwork),
                                          (2, "intnet", "intnet", vb.internal_network)))]
    machines += [(s.vm, s.name, ((1, "intnet", "intnet", vb.internal_network),)) for s in answers.servers]
    for vm, node, nics in machines:
        wanted = [r'^VMState="running"'] + [
            rf'^nic{n}="{kind}"[\s\S]*^{key}{n}="{re.escape(net)}"' for n, kind, key, net in nics]
        where = ", ".join(f"NIC {n} → {net}" for n, _k, _key, net in nics)
        where_es = ", ".join(f"tarjeta {n} → {net}" for n, _k, _key, net in nics)
        out.append(_local(
            answers, f"{ID}.vm.{vm}", ("VBoxManage", "showvminfo", vm, "--machinereadable"),
            Text(f"VM {vm} ({node}) exists and runs; {where}.", f"La VM {vm} ({node}) existe y está en marcha; "
                 f"{where_es}."),
            Text(f"VM {vm}: VirtualBox does not know it, it is not running, or its network cards are attached "
                 f"elsewhere (see VMState, nicN and nat-networkN/intnetN in the output). Start it "
                 f"(`VBoxManage startvm {vm} --type headless`), attach {where}, or fix the VM's name in the answers.",
                 f"VM {vm}: VirtualBox no la conoce, no está en marcha o sus tarjetas de red están conectadas a "
                 f"otra red (mira VMState, nicN y nat-networkN/intnetN en la salida). Arráncala "
                 f"(`VBoxManage startvm {vm} --type headless`), conecta {where_es}, o corrige el nombre de la VM en "
                 "las respuestas."),
            expect=all_of(*wanted), title=Text(f"VM {vm} running", f"VM {vm} en marcha")))
    standby = answers.standby
    vm_field = _labels(answers, "directors[1].vm")
    clone = Text(f"the clone section ({CLONE_TITLE.en})", f"la sección del clon ({CLONE_TITLE.es})")
    out.append(Action(
        id=f"{ID}.not_yet.{standby.vm}", kind="check", target=Target.local(),
        command=f"! {vboxmanage_word(answers)} showvminfo {q(standby.vm)} >/dev/null 2>&1",
        host=HostOp.of("vm_not_created_yet", vm=standby.vm), warn_only=True, timeout=60,
        title=f"VM {standby.vm} not made yet", title_es=f"La VM {standby.vm} aún no existe",
        # A later run: the VM there is section 3's clone (its own MACs), as the guide wants it by now.
        **clone_done(answers).fields(),
        why=f"VM {standby.vm} ({standby.name}) does not exist yet: {clone.en} clones it from {master.vm}; its "
            "node checks are skipped until then.",
        why_es=f"La VM {standby.vm} ({standby.name}) aún no existe: {clone.es} la clona de {master.vm}; sus "
               "comprobaciones de nodo se omiten hasta entonces.",
        on_fail=f"A VM called {standby.vm} exists already: the clone would fail. If it is the clone an earlier run "
                f"made, go on; otherwise remove or rename it, or change {vm_field.en} in the inventory.",
        on_fail_es=f"Ya existe una VM llamada {standby.vm}: el clonado fallaría. Si es el clon que hizo una "
                   "ejecución anterior, sigue; si no, bórrala o cámbiale el nombre, o cambia "
                   f"{vm_field.es} en el inventario."))
    return out


# -- each node -------------------------------------------------------------------------------------------

def _nodes(answers: Answers) -> list[str]:
    """The nodes that exist before the guide starts: master and the real servers."""
    return [answers.master.name, *(s.name for s in answers.servers)]


def reach_check(answers: Answers, node: str) -> Action:
    how = _how(answers, node)
    return _node(
        f"{ID}.reach.{node}", node, "echo reached",
        Text(f"{node} answers ({how.en}).", f"{node} responde ({how.es})."),
        Text(f"{node} did not answer. Tried: {how.en}. Check that its VM runs and has booted, its address in "
             "the answers (inventory) and, for a director, the port forward; for a real server, that a director "
             "answers and reaches it on the internal network.",
             f"{node} no respondió. Se intentó: {how.es}. Comprueba que su VM está en marcha y ha arrancado, su "
             "dirección en las respuestas (inventario) y, para un director, la redirección de puertos; para un "
             "servidor real, que un director responde y lo alcanza por la red interna."),
        timeout=30, expect=r"^reached$", title=Text(f"{node} answers", f"{node} responde"))


def _ifaces(answers: Answers, node: str) -> list[tuple[str, str, str, str]]:
    """(answers field, interface, address, network) that must be there before the guide starts."""
    host = answers.node(node)
    if isinstance(host, Director):
        i = answers.directors.index(host)
        n = answers.networks
        return [(f"directors[{i}].external_if", host.external_if, host.external_ip, n.external),
                (f"directors[{i}].internal_if", host.internal_if, host.internal_ip, n.internal)]
    i = answers.servers.index(host)
    return [(f"servers[{i}].ifname", host.ifname, host.ip, answers.networks.internal)]


def node_checks(answers: Answers, profile: Profile, node: str) -> list[Action]:
    host = answers.node(node)
    director = isinstance(host, Director)
    expected = get_profile(profile.name)
    ifaces = _ifaces(answers, node)
    if_fields = _labels(answers, *(f for f, *_ in ifaces))
    names = [node, *(host.aliases if director else [])]
    out = [
        _node(f"{ID}.os.{node}", node, os_fit_script(),
              Text(f"{node} runs the system the profile {profile.name} is made for.",
                   f"{node} tiene el sistema para el que está hecho el perfil {profile.name}."),
              Text(f"{node} does not run what the profile {profile.name} is made for ({expected.description}); "
                   "the output names the profile that fits. Choose that profile in the answers (profile), or use "
                   "VMs with the system the profile expects: otherwise commands will be another distribution's.",
                   f"{node} no tiene el sistema para el que está hecho el perfil {profile.name} "
                   f"({expected.description}); la salida nombra el perfil adecuado. Elige ese perfil en las "
                   "respuestas (profile), o usa VM con el sistema que espera el perfil: si no, las órdenes serán "
                   "las de otra distribución."),
              expect=rf"-> profile {re.escape(profile.name)}$", warn_only=True,
              title=Text(f"System of {node}", f"Sistema de {node}")),
        _node(f"{ID}.ifaces.{node}", node, "ip -o -4 addr show",
              Text(f"{node}: " + ", ".join(f"{i} has {ip}/{prefix(net)}" for _f, i, ip, net in ifaces) + ".",
                   f"{node}: " + ", ".join(f"{i} tiene {ip}/{prefix(net)}" for _f, i, ip, net in ifaces) + "."),
              Text(f"{node}'s interfaces are not as the answers say (see the output for the real names and "
                   f"addresses): fix {if_fields.en} or the addresses in the inventory, or "
                   "the node's network configuration.",
                   f"Las interfaces de {node} no son las que dicen las respuestas (la salida muestra los nombres "
                   f"y direcciones reales): corrige {if_fields.es} o las direcciones en el "
                   "inventario, o la configuración de red del nodo."),
              expect=all_of(*(rf"^\d+:\s+{re.escape(i)}\s+inet {re.escape(ip)}/{prefix(net)}\b"
                              for _f, i, ip, net in ifaces)),
              title=Text(f"Addresses of {node}", f"Direcciones de {node}")),
        _node(f"{ID}.hostname.{node}", node, "hostname",
              Text(f"{node}'s host name is {' or '.join(names)}.",
                   f"El nombre de máquina de {node} es {' o '.join(names)}."),
              Text(f"{node}'s host name is not {' or '.join(names)} (see the output). The cluster uses the ring "
                   "names, so this only makes prompts and logs confusing: `hostnamectl set-hostname "
                   f"{node}` fixes it.",
                   f"El nombre de máquina de {node} no es {' o '.join(names)} (mira la salida). El clúster usa "
                   "los nombres de anillo, así que solo confunde en el prompt y los registros: `hostnamectl "
                   f"set-hostname {node}` lo arregla."),
              expect="^(" + "|".join(re.escape(n) for n in names) + r")(\.\S*)?$", warn_only=True,
              title=Text(f"Host name of {node}", f"Nombre de máquina de {node}")),
        _node(f"{ID}.disk.{node}", node,
              "df -Pk / /var | awk -v min=" + str(MIN_FREE_MIB * 1024) +
              " 'NR > 1 { printf \"%s: %d MiB free\\n\", $6, $4 / 1024; if ($4 < min) low = 1 } END { exit low }'",
              Text(f"At least {MIN_FREE_MIB} MiB free on / and /var.",
                   f"Al menos {MIN_FREE_MIB} MiB libres en / y /var."),
              Text(f"{node} has less than {MIN_FREE_MIB} MiB free (see the output): the packages may not fit. "
                   "Free some space (yum clean all / apt-get clean, old logs) or grow the VM's disk.",
                   f"{node} tiene menos de {MIN_FREE_MIB} MiB libres (mira la salida): puede que los paquetes "
                   "no quepan. Libera espacio (yum clean all / apt-get clean, registros viejos) o amplía el "
                   "disco de la VM."),
              title=Text(f"Free disk on {node}", f"Disco libre en {node}")),
    ]
    if director:
        out += director_checks(answers, profile, host)
    return out


def director_checks(answers: Answers, profile: Profile, d: Director) -> list[Action]:
    node = d.name
    packages = [*profile.ha_packages]
    if d is answers.master:  # the benchmarks run there
        packages += [*profile.bench_packages, *profile.bench_extra]
    dead = f"grep -lsE {q(DEAD_CENTOS)} {CENTOS_REPOS}"
    vault = f"the section “{PCS_TITLE.en}” points them at the vault first (steps you accept)"
    vault_es = f"la sección «{PCS_TITLE.es}» los apunta antes al archivo (pasos que aceptas)"
    out = [
        _node(f"{ID}.centos_mirrors.{node}", node,
              f"if {dead}; then echo 'these ask mirrorlist.centos.org, gone since 2024-06-30'; exit 1; fi; "
              "echo 'no repository asks mirrorlist.centos.org'",
              Text("No package repository asks CentOS 7's dead mirrors.",
                   "Ningún repositorio de paquetes usa las réplicas desaparecidas de CentOS 7."),
              Text(f"{node}'s repositories ask mirrorlist.centos.org, which stopped answering when CentOS 7 reached "
                   "its end of life: yum cannot install anything. " + (
                       f"The wizard fixes it: {vault}." if profile.centos_vault else
                       "Point them at vault.centos.org/7.9.2009 (comment mirrorlist=, set baseurl=), or use the "
                       f"rhel7 profile, whose section “{PCS_TITLE.en}” does it."),
                   f"Los repositorios de {node} usan mirrorlist.centos.org, que dejó de responder cuando CentOS 7 "
                   "llegó al fin de su vida: yum no puede instalar nada. " + (
                       f"El asistente lo arregla: {vault_es}." if profile.centos_vault else
                       "Apúntalos a vault.centos.org/7.9.2009 (comenta mirrorlist=, pon baseurl=), o usa el perfil "
                       f"rhel7, cuya sección «{PCS_TITLE.es}» lo hace.")),
              warn_only=profile.centos_vault, title=Text("CentOS 7's mirrors", "Réplicas de CentOS 7")),
        _node(f"{ID}.repos.{node}", node,
              f"if {profile.installed(packages)}; then echo 'every package the guide installs here is installed'; "
              "exit 0; fi; "
              + (f"if {dead} >/dev/null; then echo 'not now: a later section points them at the vault first'; "
                 "exit 0; fi; " if profile.centos_vault else "")
              + profile.repos_usable,
              Text("The package repositories answer (or everything the guide installs here is installed).",
                   "Los repositorios de paquetes responden (o ya está instalado todo lo que la guía instala aquí)."),
              Text(f"{node}'s package repositories did not answer (see the output), and the guide installs "
                   f"{', '.join(packages)} there. Check the VM reaches the Internet (its gateway and DNS: "
                   "ping -c 3 8.8.8.8, getent hosts a repository's host) and that the repositories are enabled.",
                   f"Los repositorios de paquetes de {node} no respondieron (mira la salida), y la guía instala ahí "
                   f"{', '.join(packages)}. Comprueba que la VM llega a Internet (su pasarela y su DNS: "
                   "ping -c 3 8.8.8.8, getent hosts del servidor del repositorio) y que los repositorios están "
                   "activados."),
              timeout=240, title=Text("Package repositories", "Repositorios de paquetes")),
    ]
    pcs_en, pcs_es = f"the section “{PCS_TITLE.en}”", f"la sección «{PCS_TITLE.es}»"
    if profile.selinux:
        out.append(_node(
            f"{ID}.selinux.{node}", node, "getenforce",
            Text(f"SELinux is on ({pcs_en} allows the cluster daemons with setsebool).",
                 f"SELinux está activo ({pcs_es} permite los demonios del clúster con setsebool)."),
            Text(f"SELinux is disabled (or its tools are missing): nothing to allow, {pcs_en} skips its setsebool "
                 "step.", "SELinux está desactivado (o faltan sus herramientas): no hay nada que permitir, "
                 f"{pcs_es} omite su paso de setsebool."),
            expect=r"^(Enforcing|Permissive)$", warn_only=True, title=Text("SELinux on", "SELinux activo")))
    if profile.firewall:
        out.append(_node(
            f"{ID}.firewalld.{node}", node, "firewall-cmd --state",
            Text(f"firewalld runs ({pcs_en} opens the high-availability service in it).",
                 f"firewalld está en marcha ({pcs_es} abre en él el servicio high-availability)."),
            Text(f"firewalld is not running: the firewall-cmd steps of {pcs_en} need it. Start it "
                 "(`systemctl enable --now firewalld`), or skip those two steps if this VM runs no firewall.",
                 f"firewalld no está en marcha: los pasos de firewall-cmd de {pcs_es} lo necesitan. Arráncalo "
                 "(`systemctl enable --now firewalld`), u omite esos dos pasos si esta VM no tiene cortafuegos."),
            expect=r"^running$", warn_only=True, title=Text("Firewall running", "Cortafuegos en marcha")))
    out.append(versions_action(f"{ID}.pcs.{node}", Target.node(node), optional=True))
    return out


def clock_check(answers: Answers) -> Action:
    nodes = _nodes(answers)
    tol = CLOCK_TOLERANCE
    # This machine's clock comes on stdin when the command starts ({now}); awk does the arithmetic (no bc).
    return Action(
        id=f"{ID}.clock", kind="check", target=Target.of_group("nodes", nodes), stdin="{now}\n",
        command=("read -r here; there=$(date -u +%s.%N); awk -v a=\"$here\" -v b=\"$there\" -v tol=" + str(tol)
                 + " 'BEGIN { d = b - a; printf \"%+.1f s\\n\", d;"
                 " exit (d > tol || d < -tol) }'"),
        warn_only=True, timeout=60, title="Clocks of the nodes", title_es="Relojes de los nodos",
        why=f"Each node's clock is within {tol} s of this machine's (so within {2 * tol} s of each other).",
        why_es=f"El reloj de cada nodo está a menos de {tol} s del de esta máquina (y a menos de {2 * tol} s entre "
               "ellos).",
        on_fail="A node's clock is off (see the output): logs and `pcs status` times will not match. Turn on time "
                "sync in the VM (chronyd / systemd-timesyncd) or VirtualBox's guest additions, or set the date.",
        on_fail_es="El reloj de un nodo va desfasado (mira la salida): no coincidirán las horas de los registros "
                   "ni de `pcs status`. Activa la sincronización de hora en la VM (chronyd / systemd-timesyncd) o "
                   "las guest additions de VirtualBox, o pon la fecha.")


def access_actions(answers: Answers, profile: Profile) -> list[Action]:
    """The NAT port forwards this machine needs to reach the directors (h9's steps/access.py builders), before
    the first SSH command: the only change preflight makes, on the NAT network. Their ids join this section's."""
    try:
        from steps.access import forward_actions
    except ImportError:  # a tree without the access steps: the answers reach the nodes directly
        return []
    return [dataclasses.replace(a, id=f"{ID}.{a.id.split('.', 1)[1]}") for a in forward_actions(answers, profile)]


def plan(answers: Answers, profile: Profile) -> list[Action]:
    actions = access_actions(answers, profile) + host_checks(answers, profile)
    nodes = _nodes(answers)
    actions += [reach_check(answers, n) for n in nodes]
    for n in nodes:
        actions += node_checks(answers, profile, n)
    actions.append(clock_check(answers))
    return actions
