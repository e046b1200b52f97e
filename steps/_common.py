"""Helpers the section modules share: quoting, file writes, network config, /etc/hosts block.

Pure functions over answers and a profile; no I/O. Every value from the answers that reaches a
command goes through `q` (shlex.quote): safe values print unchanged, so the guide's commands
read exactly as in the guide.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from dataclasses import dataclass
from typing import Any

from assets import render
from steps.model import Action, Block, File, Hostname, HostOp, Service, Target
from steps.profiles import Profile
from wizard.base.answers import Answers, Director, mac_colon

q = shlex.quote

# A wait for a node that is coming back (boot, reboot, network restart): the only kind the engine waits for long
# (wizard/run/engine.py); a node that should be up and does not answer is a bounded retry.
NODE_RETURNS = "node-returns"
# A check that tells a node from another machine answering at the same way in with the same host key (the standby
# clone at master's address): the engine runs it when it looks for a node that may have moved (wizard/run/moves.py).
IDENTIFIES = "identifies-node"

HOSTS_BEGIN = "# BEGIN ha-wizard"
HOSTS_END = "# END ha-wizard"


def prefix(network: str) -> int:
    return ipaddress.ip_network(network, strict=False).prefixlen


def netmask(network: str) -> str:
    return str(ipaddress.ip_network(network, strict=False).netmask)


def _delimiter(content: str) -> str:
    delim = "EOF"
    while re.search(rf"^{delim}$", content, re.M):  # a line "EOF" in the file would end it early
        delim += "_"
    return delim


def heredoc(path: str, content: str) -> str:
    """`cat > PATH <<'EOF'` writing `content` exactly (quoted delimiter: no expansion inside)."""
    delim = _delimiter(content)
    body = content if content.endswith("\n") else content + "\n"
    return f"cat > {q(path)} <<'{delim}'\n{body}{delim}"


def write(id_: str, target: Target, file: File, why: str, why_es: str, **kw) -> Action:
    """A file written whole from its template: a heredoc for the wizard, a template task for Ansible."""
    content = render(file.template, **file.context())
    command = heredoc(file.path, content)
    if file.mkdir:  # the folder may not exist on every distribution
        command = f"mkdir -p {q(file.path.rsplit('/', 1)[0])} && {command}"
    return Action(id=id_, kind="write", target=target, command=command, content=content,
                  path=file.path, intent=file, why=why, why_es=why_es, **kw)


def re_ip(ip: str, plen: int) -> str:
    """Regex for `inet IP/PREFIX` as `ip addr` prints it."""
    return rf"inet {re.escape(ip)}/{plen}\b"


def all_of(*patterns: str) -> str:
    """One regex that matches when every pattern occurs somewhere in the output, in any order."""
    return "".join(f"(?=[\\s\\S]*{p})" for p in patterns)


# -- VirtualBox host side -------------------------------------------------------------------
# Host steps run on the student's machine (often Windows): as argv / host operations, never through a
# shell. `command` / `probe` keep the POSIX shell rendering of the same thing (listing, sh export).

def vboxmanage_word(answers: Answers) -> str:
    """VBoxManage as the POSIX rendering names it: the answers' path when set, else the bare name."""
    return q(answers.virtualbox.vboxmanage) if answers.virtualbox.vboxmanage else "VBoxManage"


def vbox(answers: Answers, *args: str) -> dict[str, Any]:
    """`command` and `argv` of one VBoxManage run, for an Action's keyword arguments."""
    return {"command": " ".join([vboxmanage_word(answers), *(q(a) for a in args)]), "argv": ("VBoxManage", *args)}


@dataclass(frozen=True)
class HostCheck:
    """A local probe: its POSIX rendering and the host operation the wizard runs."""

    sh: str
    op: HostOp

    def fields(self) -> dict[str, Any]:
        return {"probe": self.sh, "host_probe": self.op}


def either(*checks: HostCheck) -> HostCheck:
    return HostCheck(" || ".join(c.sh for c in checks), HostOp.of("any_of", ops=[c.op for c in checks]))


def vm_running(answers: Answers, vm: str) -> HostCheck:
    """Exit 0 when the VM is running (a missing VM is not running)."""
    return HostCheck(f"{vboxmanage_word(answers)} showvminfo {q(vm)} --machinereadable 2>/dev/null"
                     f" | grep -qx 'VMState=\"running\"'", HostOp.of("vm_running", vm=vm))


def vm_not_running(answers: Answers, vm: str) -> HostCheck:
    return HostCheck(f"! {{ {vm_running(answers, vm).sh}; }}", HostOp.of("vm_not_running", vm=vm))


def vm_exists(answers: Answers, vm: str) -> HostCheck:
    return HostCheck(f"{vboxmanage_word(answers)} showvminfo {q(vm)} >/dev/null 2>&1", HostOp.of("vm_exists", vm=vm))


def poweroff_actions(section: str, answers: Answers, vm: str, why: str, why_es: str,
                     skip_if: HostCheck | None = None) -> list[Action]:
    """ACPI shutdown (the guest closes its file systems) and a bounded wait until it is off."""
    off = vm_not_running(answers, vm)
    probe = either(skip_if, off) if skip_if else off
    return [
        Action(id=f"{section}.poweroff.{vm}", kind="run", target=Target.local(),
               **vbox(answers, "controlvm", vm, "acpipowerbutton"),
               why=why, why_es=why_es, title=f"Power off {vm}", title_es=f"Apagar {vm}", **probe.fields(),
               idempotent=False,
               on_fail="The VM must be running for an ACPI shutdown; check its state in VirtualBox.",
               on_fail_es="Para apagar por ACPI la VM debe estar en marcha; mira su estado en VirtualBox."),
        Action(id=f"{section}.wait_off.{vm}", kind="wait", target=Target.local(),
               command=f"{vboxmanage_word(answers)} showvminfo {q(vm)} --machinereadable | grep '^VMState='",
               host=HostOp.of("vm_state", vm=vm),
               expect=r'VMState="(poweroff|aborted|saved)"', **probe.fields(), timeout=180, interval=3,
               why=f"Wait until {vm} is powered off.", why_es=f"Esperar a que {vm} esté apagada.",
               title=f"Wait until {vm} is off", title_es=f"Esperar a que {vm} se apague",
               awaits=f"{vm} powered off in VirtualBox", awaits_es=f"{vm} apagada en VirtualBox",
               on_fail="The guest ignored the power button: shut it down from inside (poweroff) or from VirtualBox.",
               on_fail_es="El invitado ignoró el botón de apagado: apágala desde dentro (poweroff) o en VirtualBox."),
    ]


def startvm_actions(section: str, answers: Answers, vm: str, node: str, why: str, why_es: str,
                    via: str = "") -> list[Action]:
    """Start a VM headless and wait until its node answers SSH (the wait runs `true` on it)."""
    return [
        Action(id=f"{section}.startvm.{vm}", kind="run", target=Target.local(),
               **vbox(answers, "startvm", vm, "--type", "headless"),
               **vm_running(answers, vm).fields(), idempotent=False, why=why, why_es=why_es,
               title=f"Start {vm}", title_es=f"Arrancar {vm}"),
        Action(id=f"{section}.wait_ssh.{node}", kind="wait", target=Target.node(node), command="true",
               via_address=via, timeout=300, interval=5, tags=(NODE_RETURNS,),
               awaits=f"{node} booted and answering SSH", awaits_es=f"{node} arrancado y respondiendo por SSH",
               title=f"Wait for {node}'s SSH", title_es=f"Esperar el SSH de {node}",
               why=f"Wait until {node} has booted and answers SSH.",
               why_es=f"Esperar a que {node} haya arrancado y responda por SSH.",
               on_fail="The VM booted but SSH doesn't answer: check its address and sshd from its console.",
               on_fail_es="La VM arrancó pero SSH no responde: revisa su dirección y sshd desde su consola."),
    ]


# -- network configuration of one node -------------------------------------------------------

# An interface's role in words (titles): English adjective, Spanish adjective.
ROLE_WORDS = {"external": ("External", "externa"), "internal": ("Internal", "interna"),
              "heartbeat": ("Heartbeat", "de latido"), "server": ("Server", "del servidor")}


@dataclass(frozen=True)
class Iface:
    role: str  # external / internal / heartbeat / server: names the action, stays stable
    ifname: str
    ip: str
    network: str
    gateway: str = ""
    dns: str = ""


def director_ifaces(answers: Answers, d: Director) -> list[Iface]:
    n = answers.networks
    return [
        # Only the external NIC has a gateway and DNS: two default routes would fight.
        Iface("external", d.external_if, d.external_ip, n.external, n.external_gateway, n.dns),
        Iface("internal", d.internal_if, d.internal_ip, n.internal),
        Iface("heartbeat", d.heartbeat_if, d.heartbeat_ip, n.heartbeat),
    ]


def iface_config(section: str, node: str, iface: Iface, profile: Profile, via: str = "", probe: str = "") -> Action:
    """The action that writes (or, with nmcli, sets) the static config of one interface. `probe`: when it is
    already done some other way (the clone's actions at master's address, once the clone has moved)."""
    id_ = f"{section}.config_{iface.role}.{node}"
    target = Target.node(node)
    role_en, role_es = ROLE_WORDS.get(iface.role, ("", ""))
    titles = {"title": f"{role_en} address on {iface.ifname}".strip(),
              "title_es": f"Dirección {role_es} en {iface.ifname}".replace("  ", " ")}
    if profile.network_style == "nmcli":
        settings = (f"ipv4.method manual ipv4.addresses {q(f'{iface.ip}/{prefix(iface.network)}')}"
                    f" ipv4.gateway {q(iface.gateway)} ipv4.dns {q(iface.dns)} connection.autoconnect yes")
        name = q(iface.ifname)
        # modify when the connection exists, add it otherwise: running twice changes nothing.
        cmd = (f"nmcli connection modify {name} {settings} 2>/dev/null"
               f" || nmcli connection add type ethernet con-name {name} ifname {name} {settings}")
        # Already done when the connection has these settings (nmcli -g: one value a line, in the order asked).
        # printf '%s\n' words: the expected lines without a raw new line in the command (one line to read).
        wanted = " ".join(q(w) for w in ("manual", f"{iface.ip}/{prefix(iface.network)}", iface.gateway, iface.dns,
                                         "yes"))
        same = (f"test \"$(nmcli -g ipv4.method,ipv4.addresses,ipv4.gateway,ipv4.dns,connection.autoconnect"
                f" connection show {name} 2>/dev/null)\" = \"$(printf '%s\\n' {wanted})\"")
        return Action(id=id_, kind="run", target=target, command=cmd, via_address=via, **titles,
                      probe=f"{probe} || {same}" if probe else same,
                      why=f"Static address {iface.ip} on {iface.ifname} (NetworkManager connection).",
                      why_es=f"Dirección estática {iface.ip} en {iface.ifname} (conexión de NetworkManager).")
    if profile.network_style == "ifcfg":
        file = File.of(f"/etc/sysconfig/network-scripts/ifcfg-{iface.ifname}", "ifcfg.j2", ifname=iface.ifname,
                       ip=iface.ip, netmask=netmask(iface.network), gateway=iface.gateway, dns=iface.dns)
    else:
        file = File.of(f"/etc/network/interfaces.d/{iface.ifname}", "debian-iface.j2", ifname=iface.ifname,
                       ip=iface.ip, prefix=prefix(iface.network), gateway=iface.gateway, dns=iface.dns)
    return write(id_, target, file, via_address=via, probe=probe, **titles,
                 why=f"Static address {iface.ip} on {iface.ifname}.",
                 why_es=f"Dirección estática {iface.ip} en {iface.ifname}.")


def no_other_config(section: str, node: str, ifnames: list[str], profile: Profile, via: str = "",
                    probe: str = "") -> list[Action]:
    """Debian: a stanza for the same interface left in /etc/network/interfaces would clash with the
    file written in interfaces.d (ifupdown refuses duplicate definitions). Other styles: nothing."""
    if profile.network_style != "debian":
        return []
    names = "|".join(re.escape(i) for i in ifnames)
    pattern = q(f"^[[:space:]]*iface[[:space:]]+({names})[[:space:]]")
    return [Action(
        id=f"{section}.no_other_config.{node}", kind="check", target=Target.node(node), via_address=via, probe=probe,
        command=f"! grep -Eqs {pattern} /etc/network/interfaces",
        title="No other stanza for these NICs", title_es="Sin otra estrofa de las tarjetas",
        why=f"/etc/network/interfaces doesn't configure {', '.join(ifnames)} itself (interfaces.d does).",
        why_es=f"/etc/network/interfaces no configura {', '.join(ifnames)} (lo hace interfaces.d).",
        on_fail="Move or delete that interface's stanza in /etc/network/interfaces, then run this section again.",
        on_fail_es="Mueve o borra la estrofa de esa interfaz en /etc/network/interfaces y repite la sección.")]


def network_restart(section: str, node: str, ifnames: list[str], profile: Profile, via: str = "",
                    reconnect_to: str = "", applies: tuple[str, ...] = ()) -> Action:
    """`applies`: the ids of the actions that wrote the configuration (Ansible restarts only when one changed)."""
    command = profile.network_apply(ifnames)
    m = re.fullmatch(r"systemctl restart (\S+)", command)
    return Action(id=f"{section}.restart_network.{node}", kind="run", target=Target.node(node),
                  command=command, intent=Service(m.group(1), state="restarted") if m else None,
                  disrupts_network=True, via_address=via,
                  reconnect_to=reconnect_to, applies=applies,
                  title="Apply the network configuration", title_es="Aplicar la configuración de red",
                  why="Apply the new network configuration (the SSH connection drops for a moment).",
                  why_es="Aplicar la nueva configuración de red (la conexión SSH se corta un momento).",
                  on_fail="Check the interface files just written and the console of the VM.",
                  on_fail_es="Revisa los ficheros de interfaz recién escritos y la consola de la VM.")


def check_ip(section: str, node: str, iface: Iface) -> Action:
    return Action(id=f"{section}.check_{iface.role}.{node}", kind="check", target=Target.node(node),
                  command=f"ip addr show dev {q(iface.ifname)}", expect=re_ip(iface.ip, prefix(iface.network)),
                  title=f"{iface.ifname} has {iface.ip}", title_es=f"{iface.ifname} tiene {iface.ip}",
                  why=f"{iface.ifname} has {iface.ip}/{prefix(iface.network)}.",
                  why_es=f"{iface.ifname} tiene {iface.ip}/{prefix(iface.network)}.")


def find_nic(section: str, node: str, ifname: str, mac: str, via: str = "") -> Action:
    """The NIC with this MAC must be called `ifname`; otherwise the answers need that name."""
    return Action(id=f"{section}.find_nic.{node}", kind="check", target=Target.node(node),
                  command=f"ip -o link | grep -i {q(mac_colon(mac))}", via_address=via,
                  expect=rf"^\d+: {re.escape(ifname)}[:@]",
                  title=f"The new NIC is {ifname}", title_es=f"La tarjeta nueva es {ifname}",
                  why=f"The NIC with MAC {mac_colon(mac)} is {ifname}.",
                  why_es=f"La tarjeta con MAC {mac_colon(mac)} se llama {ifname}.",
                  on_fail=f"The system named that NIC differently: put its name (see the output) in the answers "
                          f"instead of {ifname}.",
                  on_fail_es=f"El sistema le dio otro nombre a la tarjeta: pon ese nombre (ver la salida) en las "
                             f"respuestas en lugar de {ifname}.")


# -- /etc/hosts ------------------------------------------------------------------------------

def hosts_entries(answers: Answers) -> list[dict]:
    """Both directors by their internal address (name.domain, name, aliases) and the ring names."""
    entries = []
    for d in answers.directors:
        names = [f"{d.name}.{answers.domain}" if answers.domain else d.name, d.name, *d.aliases]
        entries.append({"ip": d.internal_ip, "names": list(dict.fromkeys(names))})
    for d in answers.directors:
        entries.append({"ip": d.heartbeat_ip, "names": [d.ring_name]})
    return entries


def _frozen_entries(entries: list[dict]) -> tuple:
    return tuple((("ip", e["ip"]), ("names", tuple(e["names"]))) for e in entries)


def set_hostname(id_: str, node: str, profile: Profile, **kw: Any) -> Action:
    # Without hostnamectl (the lab's hosts have no systemd) the command sets the running name too, which Ansible's
    # hostname module would not (it writes /etc/hostname only there): a command then, in both renderings.
    return Action(id=id_, kind="run", target=Target.node(node), command=profile.set_hostname(node),
                  intent=Hostname(node) if profile.hostnamectl else None,
                  probe=f"test \"$(hostname)\" = {q(node)} && grep -qx {q(node)} /etc/hostname",
                  **kw)


def hosts_command(block: str, path: str = "/etc/hosts") -> str:
    """Drop any earlier block between the markers, append the new one: re-running never duplicates.

    The result is written back with `cat >` (same inode) rather than `sed -i` (rename): /etc/hosts
    is often a bind mount (containers, the lab) where a rename fails.
    """
    tmp = f"{path}.ha-wizard"
    delete = f"/^{HOSTS_BEGIN}$/,/^{HOSTS_END}$/d"
    delim = _delimiter(block)
    return (f"{{ sed {q(delete)} {q(path)}; cat <<'{delim}'\n{block}{delim}\n}} > {q(tmp)}"
            f" && cat {q(tmp)} > {q(path)} && rm -f {q(tmp)}")


HOSTS_MARKER = "# {mark} ha-wizard"


def hosts_action(section: str, answers: Answers, node: str, via: str = "") -> Action:
    entries = _frozen_entries(hosts_entries(answers))
    intent = Block("/etc/hosts", "hosts-block.j2", HOSTS_MARKER, (("entries", entries),))
    block = f"{HOSTS_BEGIN}\n{render(intent.template, **intent.context())}{HOSTS_END}\n"
    return Action(id=f"{section}.hosts.{node}", kind="write", target=Target.node(node), intent=intent,
                  command=hosts_command(block), content=block, path="/etc/hosts", via_address=via,
                  title="Names in /etc/hosts", title_es="Nombres en /etc/hosts",
                  why="Names of both directors and their cluster-ring names in /etc/hosts (block between markers).",
                  why_es="Nombres de los dos directores y sus nombres de anillo en /etc/hosts (bloque entre marcas).")
