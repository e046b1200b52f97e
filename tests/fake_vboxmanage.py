"""A fake VBoxManage for tests: VirtualBox's argument syntax and outputs over a JSON file of VMs.

Installed by the tests as an executable named `VBoxManage` (shebang: the test's Python), alone on
PATH, so a host step that needed anything but VBoxManage would fail. State: $FAKE_VBOX_STATE
({"vms": {name: {"state", "macs", "nics", "snapshots"}}, "natnetworks": [names], "forwards": {net: [rules]}}); every call appends its
argv to $FAKE_VBOX_STATE.log. VirtualBox's own rules that the wizard relies on are kept: NICs change
only on a powered-off VM, controlvm needs a running VM, startvm a stopped one.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def fail(message: str) -> int:
    print(f"VBoxManage: error: {message}", file=sys.stderr)
    return 1


def main(argv: list[str]) -> int:
    path = Path(os.environ["FAKE_VBOX_STATE"])
    with open(str(path) + ".log", "a") as log:
        log.write(json.dumps(argv) + "\n")
    data = json.loads(path.read_text())
    vms = data["vms"]
    if argv == ["--version"]:
        print("7.1.4r165100")
        return 0

    def vm(name: str) -> dict:
        if name not in vms:
            raise LookupError(f"Could not find a registered machine named '{name}'")
        return vms[name]

    try:
        cmd, args = argv[0], argv[1:]
        if cmd == "showvminfo":
            v = vm(args[0])
            if "--machinereadable" not in args:
                print(f"Name: {args[0]}\nState: {v['state']}")
                return 0
            print(f'name="{args[0]}"\nVMState="{v["state"]}"\nmemory=1024')
            nics = v.get("nics", {})
            for n, mac in sorted(v["macs"].items()):
                kind, net = nics.get(n, ("intnet", "intnet"))
                key = "nat-network" if kind == "natnetwork" else "intnet"
                print(f'nic{n}="{kind}"\nmacaddress{n}="{mac}"\n{key}{n}="{net}"')
            return 0
        if cmd == "snapshot":
            v, verb = vm(args[0]), args[1]
            if verb == "take":
                v["snapshots"].append(args[2])
                print("Snapshot taken. UUID: 00000000-0000-0000-0000-000000000001")
            elif verb == "list":
                if not v["snapshots"]:
                    print("This machine does not have any snapshots")
                for i, name in enumerate(v["snapshots"]):
                    print(f'SnapshotName{"" if i == 0 else "-" + str(i)}="{name}"')
                    print(f'SnapshotUUID{"" if i == 0 else "-" + str(i)}="0000-{i}"')
            elif verb == "restore":
                if v["state"] == "running":
                    return fail("The machine is running: power it off to restore a snapshot")
                if args[2] not in v["snapshots"]:
                    return fail(f"Could not find a snapshot named '{args[2]}'")
                print("Restoring snapshot 0%...100%")
            else:
                return fail(f"snapshot: {verb}?")
        elif cmd == "controlvm":
            v = vm(args[0])
            if v["state"] != "running":
                return fail(f"Machine '{args[0]}' is not currently running")
            if args[1] in ("poweroff", "acpipowerbutton"):
                v["state"] = "poweroff"
            else:
                return fail(f"controlvm: {args[1]}?")
        elif cmd == "startvm":
            v = vm(args[0])
            if v["state"] == "running":
                return fail(f"The machine '{args[0]}' is already locked by a session (or being locked or unlocked)")
            v["state"] = "running"
            print(f'VM "{args[0]}" has been successfully started.')
        elif cmd == "modifyvm":
            v = vm(args[0])
            if v["state"] == "running":
                return fail(f"The machine '{args[0]}' is already locked for a session (or being unlocked)")
            opts = args[1:]
            for key, value in zip(opts[::2], opts[1::2], strict=True):
                if key.startswith("--macaddress"):
                    v["macs"][key[len("--macaddress"):]] = value
        elif cmd == "clonevm":
            src = vm(args[0])
            new = args[args.index("--name") + 1]
            if new in vms:
                return fail(f"Machine '{new}' already exists")
            vms[new] = {"state": "poweroff", "macs": dict(src["macs"]), "nics": dict(src.get("nics", {})),
                         "snapshots": []}
            print(f'Machine has been successfully cloned as "{new}"')
        elif cmd == "natnetwork" and args[0] == "modify":
            net = args[args.index("--netname") + 1]
            data["forwards"].setdefault(net, []).append(args[args.index("--port-forward-4") + 1])
        elif cmd == "list" and args in (["vms"], ["runningvms"]):
            for i, (name, v) in enumerate(vms.items()):
                if args == ["vms"] or v["state"] == "running":
                    print(f'"{name}" {{00000000-0000-0000-0000-{i:012d}}}')
        elif cmd == "list" and args == ["natnetworks"]:
            nets = dict.fromkeys(data.get("natnetworks", []), [])
            nets.update(data["forwards"])
            for net, rules in nets.items():
                print(f"Name:         {net}\nEnabled:      Yes\nPort-forwarding (ipv4)")
                for rule in rules:
                    print(f"        {rule}")
        else:
            return fail(f"unknown command {' '.join(argv)!r}")
    except LookupError as exc:
        return fail(str(exc.args[0]))
    path.write_text(json.dumps(data))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
