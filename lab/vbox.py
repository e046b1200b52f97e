"""`ha-wizard lab vboxmanage`: the lab's stand-in for VirtualBox's VBoxManage (NOT VirtualBox).

It implements, with VBoxManage's argument syntax, the part of VBoxManage the guide uses, on the lab's
namespace "VMs": list, showvminfo, snapshot take/restore/list/delete, modifyvm (NICs, MACs, cables),
clonevm, startvm, controlvm, unregistervm and natnetwork port forwards. Errors look like VBoxManage's
and exit with status 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lab.base import LabError
from wizard.base.answers import mac_colon, mac_plain

# A lab.core.Lab. Not imported: lab.core builds the lab from the modules below it and this module sits
# beside them (the CLI hands it a Lab), so neither imports the other.
Lab = Any

HELP = """\
ha-wizard lab vboxmanage -- the ha-wizard LAB's stand-in for VBoxManage. This is NOT VirtualBox:
it acts on the lab's namespace hosts (`ha-wizard lab up`), with VBoxManage's syntax.

  --version                           (the stand-in's version, marked as the lab's)
  list vms | runningvms | natnetworks
  showvminfo VM [--machinereadable]
  snapshot VM take NAME [--description TEXT] [--live]
  snapshot VM restore NAME|UUID       (VM powered off; a name picks the oldest snapshot of that name)
  snapshot VM restorecurrent | list [--machinereadable] | delete NAME|UUID
      (each snapshot has its own UUID; a running VM is paused while its disk is copied, unless --live)
  modifyvm VM --nicN none|intnet|natnetwork --intnetN NET --nat-networkN NET --nictypeN TYPE
              --macaddressN MAC --cableconnectedN on|off   (VM powered off, as in VirtualBox)
  clonevm VM --name NEW [--register]  (a copy of VM's disk: same hostname, addresses and host keys;
                                       new MACs, as VirtualBox does)
  startvm VM [--type headless|gui|separate]
  controlvm VM poweroff | acpipowerbutton | reset | setlinkstateN on|off
  unregistervm VM [--delete]
  natnetwork modify --netname NET --port-forward-4 "name:tcp:[]:HOSTPORT:[GUESTIP]:GUESTPORT"
  natnetwork modify --netname NET --port-forward-4 delete NAME
      (also -t NET -p RULE, and NET right after modify; the forward listens on 127.0.0.1:HOSTPORT of this
       machine and connects from the NAT network's gateway, as VirtualBox's NAT engine does; rule names are
       unique per NAT network)
  natnetwork list [FILTER]
"""


VERSION = "7.0.0r0-ha-wizard-lab (the lab's stand-in, not VirtualBox)"


class Usage(LabError):
    pass


def _opts(args: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """VBoxManage style options: `--opt value`, `--opt=value`, and bare positional words."""
    words: list[str] = []
    opts: dict[str, list[str]] = {}
    i = 0
    flags = {"--register", "--machinereadable", "--live", "--delete", "--details", "-l", "--long"}
    while i < len(args):
        a = args[i]
        if a.startswith("-") and a not in flags:
            if "=" in a:
                k, v = a.split("=", 1)
            else:
                if i + 1 >= len(args):
                    raise Usage(f"VBoxManage: error: option {a} needs a value")
                k, v = a, args[i + 1]
                i += 1
            opts.setdefault(k, []).append(v)
        elif a in flags:
            opts.setdefault(a, []).append("")
        else:
            words.append(a)
        i += 1
    return words, opts


def _vm(lab: Lab, name_or_uuid: str) -> str:
    for vm in lab.vms():
        if vm == name_or_uuid or lab.vm_config(vm).get("uuid") == name_or_uuid:
            return vm
    raise LabError(f"VBoxManage: error: Could not find a registered machine named '{name_or_uuid}'")


def _state(lab: Lab, vm: str) -> str:
    return "running" if lab.running(vm) else "poweroff"


def cmd_list(lab: Lab, args: list[str], out: Callable[[str], None]) -> int:
    what = args[0] if args else ""
    if what in ("vms", "runningvms"):
        for vm in lab.vms():
            if what == "vms" or lab.running(vm):
                out(f'"{vm}" {{{lab.vm_config(vm)["uuid"]}}}')
        return 0
    if what == "natnetworks":
        for net in lab.nat_networks():
            _print_natnetwork(lab, net, out)
        return 0
    raise Usage("VBoxManage: error: list: expected vms, runningvms or natnetworks")


def cmd_showvminfo(lab: Lab, args: list[str], out: Callable[[str], None]) -> int:
    words, opts = _opts(args)
    if not words:
        raise Usage("VBoxManage: error: showvminfo: VM name missing")
    vm = _vm(lab, words[0])
    cfg = lab.vm_config(vm)
    nics = lab.nics(vm)
    if "--machinereadable" in opts:
        out(f'name="{vm}"')
        out(f'UUID="{cfg["uuid"]}"')
        out(f'VMState="{_state(lab, vm)}"')
        for n in range(1, 9):
            nic = nics.get(n)
            if nic is None or nic.type == "none":
                out(f'nic{n}="none"')
                continue
            out(f'nic{n}="{nic.type}"')
            out(f'nictype{n}="{nic.nictype}"')
            out(f'macaddress{n}="{mac_plain(nic.mac)}"')
            out(f'cableconnected{n}="{"on" if nic.cable else "off"}"')
            out(f'{"nat-network" if nic.type == "natnetwork" else "intnet"}{n}="{nic.network}"')
            out(f'guestifname{n}="{nic.ifname}"')
        for line in _snapshot_lines(lab, vm):
            out(line)
        return 0
    out(f"Name:            {vm}\nUUID:            {cfg['uuid']}\nState:           {_state(lab, vm)}\n"
        "Note:            ha-wizard lab VM (network namespaces), not VirtualBox")
    for n, nic in sorted(nics.items()):
        if nic.type == "none":
            continue
        kind = f"NAT Network '{nic.network}'" if nic.type == "natnetwork" else f"Internal Network '{nic.network}'"
        out(f"NIC {n}:           MAC: {mac_plain(nic.mac)}, Attachment: {kind}, Cable connected: "
            f"{'on' if nic.cable else 'off'}, Type: {nic.nictype}, Guest interface: {nic.ifname}")
    return 0


def _snapshot_tree(lab: Lab, vm: str) -> list[tuple[str, int, object]]:
    """(key suffix, depth, snapshot) in VirtualBox's tree order and numbering: the root snapshot is "",
    its children "-1", "-2", a grandchild "-1-1" (as in `SnapshotName-1-1=`)."""
    snaps = lab.snapshot_list(vm)
    known = {s.uuid for s in snaps}
    children: dict[str, list] = {}
    for snap in snaps:
        children.setdefault(snap.parent if snap.parent in known else "", []).append(snap)
    out: list[tuple[str, int, object]] = []

    def walk(snap: object, key: str, depth: int) -> None:
        out.append((key, depth, snap))
        for i, child in enumerate(children.get(snap.uuid, []), start=1):  # type: ignore[attr-defined]
            walk(child, f"{key}-{i}", depth + 1)

    for i, root in enumerate(children.get("", [])):
        walk(root, "" if i == 0 else f"-r{i}", 0)  # VirtualBox has one root; the lab keeps it so (delete)
    return out


def _snapshot_lines(lab: Lab, vm: str) -> list[str]:
    lines = []
    for key, _depth, snap in _snapshot_tree(lab, vm):
        lines += [f'SnapshotName{key}="{snap.name}"', f'SnapshotUUID{key}="{snap.uuid}"']
        if snap.description:
            lines.append(f'SnapshotDescription{key}="{snap.description}"')
    cur = lab.snapshot_current(vm)
    if cur is not None:
        lines += [f'CurrentSnapshotName="{cur.name}"', f'CurrentSnapshotUUID="{cur.uuid}"',
                  'CurrentSnapshotNode="SnapshotName"']
    return lines


def cmd_snapshot(lab: Lab, args: list[str], out: Callable[[str], None]) -> int:
    words, opts = _opts(args)
    if len(words) < 2:
        raise Usage("VBoxManage: error: snapshot VM take|restore|restorecurrent|list|delete [NAME]")
    vm, verb = _vm(lab, words[0]), words[1]
    if verb == "take":
        if len(words) < 3:
            raise Usage("VBoxManage: error: snapshot take: snapshot name missing")
        description = (opts.get("--description") or opts.get("-d") or [""])[-1]
        snap = lab.snapshot_take(vm, words[2], description, live="--live" in opts)
        out("0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%")
        out(f"Snapshot taken. UUID: {snap.uuid}")
        return 0
    if verb in ("restore", "restorecurrent"):
        if verb == "restore":
            if len(words) < 3:
                raise Usage("VBoxManage: error: snapshot restore: snapshot name or UUID missing")
            name = words[2]
        else:
            cur = lab.snapshot_current(vm)
            if cur is None:
                raise LabError("VBoxManage: error: This machine does not have any snapshots")
            name = cur.uuid
        snap = lab.snapshot_restore(vm, name)
        out(f"Restoring snapshot '{snap.name}' ({snap.uuid})\n"
            "0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%")
        lab.write_known_hosts()
        return 0
    if verb == "list":
        tree = _snapshot_tree(lab, vm)
        if not tree:  # as VirtualBox: an error, with or without --machinereadable
            raise LabError("VBoxManage: error: This machine does not have any snapshots")
        if "--machinereadable" in opts:
            for line in _snapshot_lines(lab, vm):
                out(line)
            return 0
        cur = lab.snapshot_current(vm)
        for _key, depth, snap in tree:
            mark = " *" if cur is not None and snap.uuid == cur.uuid else ""
            out(f"{'   ' * (depth + 1)}Name: {snap.name} (UUID: {snap.uuid}){mark}")
            if snap.description:
                out(f"{'   ' * (depth + 1)}Description:\n{snap.description}")
        return 0
    if verb == "delete":
        if len(words) < 3:
            raise Usage("VBoxManage: error: snapshot delete: snapshot name or UUID missing")
        lab.snapshot_delete(vm, words[2])
        out("0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%")
        return 0
    raise Usage(f"VBoxManage: error: snapshot: unknown sub-command {verb!r}")


_NIC_OPT = re.compile(r"--(nic|intnet|nat-network|natnetwork|natnet|nictype|macaddress|cableconnected)(\d)$")


def cmd_modifyvm(lab: Lab, args: list[str], out: Callable[[str], None]) -> int:
    words, opts = _opts(args)
    if not words:
        raise Usage("VBoxManage: error: modifyvm: VM name missing")
    vm = _vm(lab, words[0])
    changes: dict[int, dict] = {}
    for key, values in opts.items():
        m = _NIC_OPT.match(key)
        if not m:
            raise Usage(f"VBoxManage: error: modifyvm: option {key} is not supported by the lab's stand-in")
        what, n = m.group(1), int(m.group(2))
        value = values[-1]
        c = changes.setdefault(n, {})
        if what == "nic":
            if value not in ("none", "null", "intnet", "natnetwork"):
                raise LabError(f"VBoxManage: error: --nic{n} {value}: the lab has intnet, natnetwork and none")
            c["type"] = "none" if value == "null" else value
        elif what == "intnet":
            c["intnet"] = value
        elif what in ("nat-network", "natnetwork", "natnet"):
            c["natnet"] = value
        elif what == "nictype":
            c["nictype"] = value
        elif what == "macaddress":
            plain = mac_plain(value)
            if not re.fullmatch(r"[0-9A-F]{12}", plain):
                raise LabError(f"VBoxManage: error: Invalid MAC address format '{value}'")
            c["mac"] = plain
        elif what == "cableconnected":
            c["cable"] = value == "on"
    if lab.running(vm):
        lab.modify_nic(vm, 1)  # raises the "locked" error
    for n, c in sorted(changes.items()):
        nic = lab.nics(vm).get(n)
        kind = c.get("type") or (nic.type if nic else "none")
        network = None
        if kind == "intnet":
            network = c.get("intnet") or (nic.network if nic and nic.type == "intnet" else "intnet")
        elif kind == "natnetwork":
            network = c.get("natnet") or (nic.network if nic and nic.type == "natnetwork" else "NatNetwork")
        lab.modify_nic(vm, n, type=kind, network=network, nictype=c.get("nictype"), mac=c.get("mac"),
                       cable=c.get("cable"))
    return 0


def cmd_clonevm(lab: Lab, args: list[str], out: Callable[[str], None]) -> int:
    words, opts = _opts(args)
    if not words or "--name" not in opts:
        raise Usage("VBoxManage: error: clonevm VM --name NEW [--register]")
    vm = _vm(lab, words[0])
    new = opts["--name"][-1]
    lab.clone(vm, new)
    lab.write_known_hosts()
    out("0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%")
    out(f'Machine has been successfully cloned as "{new}"')
    return 0


def cmd_startvm(lab: Lab, args: list[str], out: Callable[[str], None]) -> int:
    words, _ = _opts(args)
    if not words:
        raise Usage("VBoxManage: error: startvm: VM name missing")
    for name in words:
        vm = _vm(lab, name)
        out(f'Waiting for VM "{vm}" to power on...')
        lab.poweron(vm)
        out(f'VM "{vm}" has been successfully started.')
    return 0


def cmd_controlvm(lab: Lab, args: list[str], out: Callable[[str], None]) -> int:
    words, _ = _opts(args)
    if len(words) < 2:
        raise Usage("VBoxManage: error: controlvm VM poweroff|acpipowerbutton|reset|setlinkstateN on|off")
    vm, verb = _vm(lab, words[0]), words[1]
    if not lab.running(vm):
        raise LabError(f"VBoxManage: error: Machine '{vm}' is not currently running")
    if verb == "poweroff":
        out("0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%")
        lab.poweroff(vm)
        return 0
    if verb == "acpipowerbutton":
        lab.acpi_shutdown(vm)
        return 0
    if verb == "reset":
        lab.poweroff(vm)
        lab.poweron(vm)
        return 0
    m = re.fullmatch(r"setlinkstate(\d)", verb)
    if m and len(words) > 2 and words[2] in ("on", "off"):
        lab.set_cable(vm, int(m.group(1)), words[2] == "on")
        return 0
    raise Usage(f"VBoxManage: error: controlvm: {verb!r} is not supported by the lab's stand-in")


def cmd_unregistervm(lab: Lab, args: list[str], out: Callable[[str], None]) -> int:
    words, _ = _opts(args)
    if not words:
        raise Usage("VBoxManage: error: unregistervm: VM name missing")
    lab.unregister(_vm(lab, words[0]))
    return 0


def _print_natnetwork(lab: Lab, net: str, out: Callable[[str], None]) -> None:
    """As `VBoxManage list natnetworks` prints one (VBoxManageNATNetwork.cpp's printNATNetwork)."""
    out(f"Name:         {net}\nEnabled:      Yes\nNetwork:      {lab.answers.networks.external}\n"
        f"Gateway:      {lab.answers.networks.external_gateway}\nDHCP Server:  No\nIPv6:         No\n"
        "IPv6 Prefix:  \nIPv6 Default: No")
    rules = [f["rule"] for f in sorted(lab.forwards(net).values(), key=lambda f: f["name"])]
    if rules:
        out("Port-forwarding (ipv4)")
        for rule in rules:
            out(f"        {rule}")
    out("")


def cmd_natnetwork(lab: Lab, args: list[str], out: Callable[[str], None]) -> int:
    """`natnetwork modify [NAME] --netname NAME|-t NAME --port-forward-4 RULE|-p RULE|... delete NAME`
    (several rules, added or deleted, in one call), and `natnetwork list [FILTER]`."""
    if not args or args[0] not in ("modify", "list"):
        raise Usage("VBoxManage: error: natnetwork modify --netname NET --port-forward-4 RULE")
    if args[0] == "list":
        pattern = args[1] if len(args) > 1 else "*"
        import fnmatch

        found = [n for n in lab.nat_networks() if fnmatch.fnmatchcase(n, pattern)]
        out("NAT Networks:\n")
        for net in found:
            _print_natnetwork(lab, net, out)
        out(f"{len(found)} {'network' if len(found) == 1 else 'networks'} found")
        return 0
    rest = args[1:]
    net = ""
    if rest and not rest[0].startswith("-"):  # VirtualBox 7.1+: the name right after `modify`
        net, rest = rest[0], rest[1:]
    adds: list[str] = []
    deletes: list[str] = []
    i = 0
    while i < len(rest):
        word = rest[i]
        opt, eq, value = word.partition("=")
        if opt not in ("--netname", "-t", "--port-forward-4", "-p"):
            raise Usage(f"VBoxManage: error: natnetwork modify: option {opt} is not supported by the lab's "
                        "stand-in (it knows --netname/-t and --port-forward-4/-p)")
        if not eq:
            if i + 1 >= len(rest):
                raise Usage(f"VBoxManage: error: option {opt} needs a value")
            value = rest[i + 1]
            i += 1
        if opt in ("--netname", "-t"):
            if net:
                raise Usage("VBoxManage: error: You can specify the NAT network name only once.")
            net = value
        elif value == "delete":
            if i + 1 >= len(rest):
                raise Usage("VBoxManage: error: Not enough parameters")
            deletes.append(rest[i + 1])
            i += 1
        else:
            adds.append(value)
        i += 1
    if not net:
        raise Usage("VBoxManage: error: Missing NAT network name")
    if net not in lab.nat_networks():
        raise LabError(f"VBoxManage: error: NAT network '{net}' not found")
    if not adds and not deletes:
        raise Usage("VBoxManage: error: natnetwork modify: only port forwards (--port-forward-4) are supported by "
                    "the lab's stand-in")
    # VBoxManage parses every rule before changing anything, deletes first, then adds.
    from lab.forwards import parse_rule

    for rule in adds:
        parse_rule(rule)
    for name in deletes:
        lab.delete_forward(net, name)
    for rule in adds:
        lab.add_forward(net, rule)
    return 0


COMMANDS = {
    "list": cmd_list, "showvminfo": cmd_showvminfo, "snapshot": cmd_snapshot, "modifyvm": cmd_modifyvm,
    "clonevm": cmd_clonevm, "startvm": cmd_startvm, "controlvm": cmd_controlvm,
    "unregistervm": cmd_unregistervm, "natnetwork": cmd_natnetwork,
}


def vboxmanage(lab: Lab, argv: list[str], out: Callable[[str], None] = print) -> int:
    """Run one VBoxManage command line on the lab; returns the exit status (errors raise LabError)."""
    if not argv or argv[0] in ("-h", "--help", "help"):
        out(HELP)
        return 0
    if argv[0] in ("--version", "-v", "-V"):
        out(VERSION)
        return 0
    cmd = argv[0].lower()
    if cmd not in COMMANDS:
        raise Usage(f"VBoxManage: error: unknown command {argv[0]!r} (the lab's stand-in knows: "
                    f"{', '.join(COMMANDS)})")
    return COMMANDS[cmd](lab, argv[1:], out)


__all__ = ["vboxmanage", "HELP", "mac_colon"]
