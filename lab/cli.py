"""`ha-wizard lab ...`: the local practice lab's command line. `register(subparsers)` adds the tree.

Imported by wizard/cli/main.py at every start: keep the module top light (no lab.core import here).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

EXIT_FAIL = 1
EXIT_UNAVAILABLE = 2
ROOT_PASSWORD_ENV = "HA_WIZARD_LAB_ROOT_PASSWORD"

LAB_HELP = """\
The local practice lab: the guide's machines (master, cluster2..4, later standby) as network-namespace
hosts on this Linux box, with real sshd, haproxy, corosync, pacemaker, pcs and PHP. Needs root and the
Debian packages of scripts/install-deps.sh.

By default the lab is as strict as VirtualBox's NAT network: this machine has no address in the external
network and reaches the guests only through port forwards, e.g.
  ha-wizard lab vboxmanage natnetwork modify --netname red-nat-1 \\
      --port-forward-4 "ssh-master:tcp:[]:2201:[192.168.1.101]:22"
  ssh -p 2201 -i /var/lib/ha-wizard-lab/instances/default/id_ed25519 \\
      -o UserKnownHostsFile=/var/lib/ha-wizard-lab/instances/default/known_hosts root@127.0.0.1
(the wizard makes such forwards itself). `lab up --host-link` gives this machine an address there instead.
The real servers live on the internal network only: jump through a director, or `ha-wizard lab shell HOST`.

Several labs run side by side as instances: `--name NAME` on every action (default: "default"). Each
has its own hosts, networks, key and VBoxManage, and listens on a loopback address of its own
(127.0.0.1 for "default", then 127.0.0.2, ...): `lab answers --name NAME -o FILE` writes the wizard's
answers for it, `lab list` shows them all, `lab down --all` removes them all.
"""


def _load_answers(args: argparse.Namespace) -> Any:
    if not getattr(args, "answers", None):
        return None
    from wizard.base.answers import AnswersError, load_answers

    try:
        return load_answers(args.answers)
    except AnswersError as exc:
        raise SystemExit(_fail(str(exc), EXIT_UNAVAILABLE)) from None


def _lab(args: argparse.Namespace) -> Any:
    from lab.core import Lab

    return Lab(_load_answers(args), name=args.name)


def lab_answers(answers: Any, name: str = "default") -> Any:
    """The answers pointed at lab instance `name` (what `answers init --profile lab` writes for the default
    one): its VBoxManage stand-in, key and known_hosts, and another instance's loopback address. Made
    without building or touching the default lab."""
    from lab.core import Lab

    return Lab(answers, name=name).wizard_answers(answers)


def _fail(msg: str, code: int = EXIT_FAIL) -> int:
    print(f"ha-wizard lab: {msg}", file=sys.stderr)
    return code


def _guarded(func):  # noqa: ANN001, ANN202 - a decorator for the sub-command functions
    def wrapper(args: argparse.Namespace) -> int:
        from lab.core import LabError, LabUnavailable, missing_requirements

        problems = missing_requirements()
        if problems:
            return _fail("the lab cannot run here:\n" + "\n".join(f"  - {p}" for p in problems), EXIT_UNAVAILABLE)
        try:
            return int(func(args) or 0)
        except LabUnavailable as exc:
            return _fail(str(exc), EXIT_UNAVAILABLE)
        except LabError as exc:
            return _fail(str(exc))
    wrapper.__name__ = func.__name__
    return wrapper


def _print_status(lab: Any) -> None:
    rows = lab.status()
    flag = "" if lab.name == "default" else f" --name {lab.name}"
    if not rows:
        print(f"lab instance {lab.name} is down (no hosts); `ha-wizard lab up{flag}` builds it")
        return
    print(f"lab instance {lab.name}: forwards listen on {lab.address}")
    if lab.host_link:
        print(f"mode: host link (--host-link): this machine is {lab.root_address}/{lab.external_net.prefixlen} "
              f"on {lab.root_link}, in the external network, and reaches the guests directly")
    else:
        print(f"mode: NAT network only (as VirtualBox): this machine has no address in {lab.external_net} and "
              "reaches the guests only through port forwards (`lab vboxmanage natnetwork modify "
              "--port-forward-4`)")
    print(f"lab key {lab.key_path}, known_hosts {lab.known_hosts_path}")
    print(f"{'VM':<10} {'IMAGE':<9} {'STATE':<8} HOSTNAME, ADDRESSES")
    for r in rows:
        addrs = "  ".join(f"{ifn} {','.join(c)}" for ifn, c in sorted(r["addresses"].items())) or "-"
        unplugged = [n["ifname"] for n in r["nics"].values() if not n["cable"] and n["type"] != "none"]
        print(f"{r['vm']:<10} {r['image']:<9} {r['state']:<8} hostname={r['hostname'] or '-':<10} {addrs}")
        print(f"{'':<10} services: {' '.join(r['services']) or '-'}"
              + (f"   unplugged: {' '.join(unplugged)}" if unplugged else ""))
        print(f"{'':<10} host key {r['fingerprint']}")
    for fwd in lab.forwards().values():
        print(f"port forward {fwd['name']} ({fwd['network']}): {lab.listen_address(fwd['host_ip'])}:"
              f"{fwd['host_port']} -> "
              f"{fwd['guest_ip']}:{fwd['guest_port']}")
    password_only = lab._lab_state().get("password_only", [])
    if password_only:
        print(f"password-only hosts (root's password, no key authorised): {', '.join(password_only)}")


@_guarded
def _cmd_up(args: argparse.Namespace) -> int:
    lab = _lab(args)
    lab.on_wait = lambda msg: print(f"ha-wizard lab: {msg}", file=sys.stderr, flush=True)
    password_only = None
    if args.password_only:
        password = os.environ.get(ROOT_PASSWORD_ENV) or ""
        if not password and sys.stdin.isatty():
            import getpass

            password = getpass.getpass("root password for the password-only hosts: ")
        if not password:
            return _fail(f"--password-only needs the root password in {ROOT_PASSWORD_ENV} (never an argument)",
                         EXIT_UNAVAILABLE)
        password_only = {h: password for h in args.password_only.split(",") if h}
    t0 = time.monotonic()
    lab.up(prepared=args.prepared, wait=args.wait, host_link=args.host_link, password_only=password_only,
           image=args.image)
    print(f"lab up{' (prepared: guide sections 1-4 done)' if args.prepared else ''} on image {args.image} in "
          f"{time.monotonic() - t0:.1f} s")
    _print_status(lab)
    return 0


@_guarded
def _cmd_down(args: argparse.Namespace) -> int:
    from lab.core import Lab

    t0 = time.monotonic()
    if args.all:
        labs = Lab.every()
        busy = Lab.down_all(force=args.force, wait=args.wait)
        left = [f"{lab.name}: {thing}" for lab in labs if lab.name not in busy for thing in lab.leftovers()]
        for name, why in busy.items():
            _fail(f"{name}: {why}")
        if left:
            return _fail("could not remove: " + ", ".join(left))
        done = [lab.name for lab in labs if lab.name not in busy]
        print(f"lab down --all: {', '.join(done) or 'no instance'} removed in {time.monotonic() - t0:.1f} s"
              + (f"; still in use: {', '.join(busy)}" if busy else ""))
        return EXIT_FAIL if busy else 0
    lab = Lab(name=args.name)
    lab.on_wait = lambda msg: print(f"ha-wizard lab: {msg}", file=sys.stderr, flush=True)
    lab.down(force=args.force, wait=args.wait)
    left = lab.leftovers()
    if left:
        return _fail("could not remove: " + ", ".join(left))
    print(f"lab{'' if lab.name == 'default' else ' instance ' + lab.name} down in {time.monotonic() - t0:.1f} s")
    return 0


@_guarded
def _cmd_list(args: argparse.Namespace) -> int:
    from lab.core import Lab

    rows = [lab.summary() for lab in Lab.every()]
    if not rows:
        print("no lab instance on this machine; `ha-wizard lab up [--name NAME]` builds one")
        return 0
    print(f"{'NAME':<16} {'IMAGE':<9} {'MODE':<9} {'ADDRESS':<11} {'VMS':<7} {'OWNER':<8} FORWARDS")
    for r in rows:
        vms = f"{r['running']}/{r['vms']}"
        owner = str(r["owner"]) if r["owner"] is not None else "-"
        print(f"{r['name']:<16} {r['image']:<9} {r['mode']:<9} {r['address']:<11} {vms:<7} {owner:<8} "
              f"{' '.join(r['forwards']) or '-'}")
    return 0


@_guarded
def _cmd_answers(args: argparse.Namespace) -> int:
    from pathlib import Path

    from wizard.base.answers import Answers, dumps_answers

    path = Path(args.output)
    if path.exists() and not args.force:
        return _fail(f"{path} exists; --force to replace it")
    answers = _load_answers(args) or Answers()
    answers.profile = "lab"
    answers = lab_answers(answers, args.name)
    try:
        path.write_text(dumps_answers(answers), encoding="utf-8")
    except OSError as exc:
        return _fail(f"{path}: {exc.strerror or exc}")
    print(f"wrote {path}: the answers for lab instance {args.name} (its VBoxManage, key and known_hosts; "
          f"port forwards on {answers.master.ssh_host})")
    return 0


@_guarded
def _cmd_status(args: argparse.Namespace) -> int:
    _print_status(_lab(args))
    return 0


@_guarded
def _cmd_shell(args: argparse.Namespace) -> int:
    lab = _lab(args)
    argv = lab.nsenter_argv(args.host)
    cmd = args.cmd
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    full = [*argv, "/bin/bash", "-c", " ".join(cmd)] if cmd else [*argv, "TERM=" + os.environ.get("TERM", "xterm"),
                                                                  "/bin/bash", "-l"]
    os.execvp(full[0], full)
    return 0  # not reached


@_guarded
def _cmd_power(args: argparse.Namespace) -> int:
    lab = _lab(args)
    t0 = time.monotonic()
    if args.lab_command == "poweroff":
        lab.poweroff(args.host)
    else:
        lab.poweron(args.host)
    print(f"{args.host}: {args.lab_command} done in {time.monotonic() - t0:.1f} s")
    return 0


@_guarded
def _cmd_cable(args: argparse.Namespace) -> int:
    lab = _lab(args)
    if args.lab_command == "unplug":
        lab.unplug(args.host, args.ifname)
    else:
        lab.plug(args.host, args.ifname)
    print(f"{args.host} {args.ifname}: {'unplugged' if args.lab_command == 'unplug' else 'plugged'}")
    return 0


@_guarded
def _cmd_vboxmanage(args: argparse.Namespace) -> int:
    from lab.vbox import vboxmanage

    argv = list(args.vbox_args)
    if argv and argv[0] == "--":
        argv = argv[1:]
    from lab.base import LabError

    try:
        return vboxmanage(_lab(args), argv)
    except LabError as exc:
        # VBoxManage's own error format, as a script calling VBoxManage expects it.
        print(str(exc), file=sys.stderr)
        return EXIT_FAIL


def _name_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", default="default", metavar="NAME",
                        help="the lab instance (default: \"default\"); several run side by side")


def _cmd_image(args: argparse.Namespace) -> int:
    from lab.images import ImageError, build_image, listing

    if os.geteuid() != 0 and args.image_command == "build":
        return _fail("building an image needs root (debootstrap, chroot): run it with sudo", EXIT_UNAVAILABLE)
    try:
        if args.image_command == "build":
            res = build_image(args.name, force=args.force,
                              log=lambda m: print(f"ha-wizard lab image: {m}", flush=True))
            if not res["rebuilt"]:
                print(f"image {args.name} is up to date (--force rebuilds it)")
            return 0
        for row in listing():
            size = f"{row['bytes'] / 2**20:.0f} MiB" if row["bytes"] else "-"
            print(f"{row['name']:<10} {row['state']:<8} {size:>8}  {row['description']}")
            if row["versions"]:
                print(f"{'':<10} built {row['built']} in {row['build_seconds']:.0f} s: "
                      + ", ".join(f"{p} {v}" for p, v in row["versions"].items()))
        return 0
    except ImageError as exc:
        return _fail(str(exc))


def register(subparsers: Any) -> None:
    """Add `lab` and its sub-commands to an argparse sub-parser set (wizard/cli/main.py and lab/__main__.py)."""
    from lab.vbox import HELP as VBOX_HELP

    lab = subparsers.add_parser("lab", help="the local practice lab (network namespaces; root)",
                                description=LAB_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = lab.add_subparsers(dest="lab_command", metavar="ACTION", required=True)

    up = sub.add_parser("up", help="build and boot the lab (cleans a previous one of that name first)")
    _name_option(up)
    up.add_argument("--answers", help="answers file (TOML); default: the guide's values")
    up.add_argument("--prepared", action="store_true",
                    help="start after guide sections 1-4 (standby cloned, heartbeat NICs, /etc/hosts)")
    up.add_argument("--wait", type=float, default=0, metavar="S",
                    help="while a test session owns the instance, wait up to S seconds (default: fail at once)")
    up.add_argument("--host-link", action="store_true",
                    help="give this machine an address in the external network (a host-only adapter); default: "
                         "NAT network only, as VirtualBox: the guests are reached through port forwards")
    from lab.images import DEFAULT_IMAGE, IMAGE_LIST

    up.add_argument("--image", choices=tuple(IMAGE_LIST), default=DEFAULT_IMAGE,
                    help=f"the guest system every VM runs (default {DEFAULT_IMAGE}: this machine's own tree; "
                         "debian13: build it first with `lab image build debian13`)")
    up.add_argument("--password-only", metavar="HOST[,HOST]",
                    help=f"these hosts let root in with its password only, like a fresh CentOS install (the "
                         f"password: {ROOT_PASSWORD_ENV}, or asked)")
    up.set_defaults(func=_cmd_up)

    down = sub.add_parser("down", help="remove every namespace, process, link, mount and file of the lab")
    _name_option(down)
    down.add_argument("--all", action="store_true", help="every lab instance on this machine")
    down.add_argument("--wait", type=float, default=0, metavar="S",
                      help="while a test session owns the instance, wait up to S seconds (default: fail at once)")
    down.add_argument("--force", action="store_true", help="even while another process owns it")
    down.set_defaults(func=_cmd_down)

    image = sub.add_parser("image", help="guest images: list them, build one (debootstrap; kept by `lab down`)")
    image_sub = image.add_subparsers(dest="image_command", metavar="ACTION", required=True)
    build = image_sub.add_parser("build", help="build NAME (debootstrap from deb.debian.org; only when its "
                                                "package list changed, or --force)")
    build.add_argument("name", choices=tuple(n for n, i in IMAGE_LIST.items() if i.builds))
    build.add_argument("--force", action="store_true", help="rebuild even when up to date")
    build.set_defaults(func=_cmd_image)
    image_sub.add_parser("list", help="the images, their state, size and package versions").set_defaults(
        func=_cmd_image)

    listing = sub.add_parser("list", help="the lab instances: image, mode, address, VMs, owner, forwards")
    listing.set_defaults(func=_cmd_list)

    status = sub.add_parser("status", help="hosts, images, addresses, services, host key fingerprints")
    _name_option(status)
    status.set_defaults(func=_cmd_status)

    answers = sub.add_parser("answers", help="write the wizard's answers for a lab instance (profile lab)")
    _name_option(answers)
    answers.add_argument("-o", "--output", required=True, metavar="FILE", help="the answers file to write")
    answers.add_argument("--answers", metavar="FILE", help="start from these answers (default: the guide's)")
    answers.add_argument("--force", action="store_true", help="replace FILE if it exists")
    answers.set_defaults(func=_cmd_answers)

    shell = sub.add_parser("shell", help="a root shell (or CMD) inside a lab host")
    _name_option(shell)
    shell.add_argument("host")
    shell.add_argument("cmd", nargs=argparse.REMAINDER, metavar="CMD")
    shell.set_defaults(func=_cmd_shell)

    for name, text in (("poweroff", "power cut: every process of HOST killed, its links down"),
                       ("poweron", "boot HOST (sshd and its enabled services start)")):
        p = sub.add_parser(name, help=text)
        _name_option(p)
        p.add_argument("host")
        p.set_defaults(func=_cmd_power)

    for name, text in (("unplug", "pull the cable of HOST's IFNAME"), ("plug", "plug it back")):
        p = sub.add_parser(name, help=text)
        _name_option(p)
        p.add_argument("host")
        p.add_argument("ifname")
        p.set_defaults(func=_cmd_cable)

    vb = sub.add_parser("vboxmanage", help="the lab's stand-in for VBoxManage (NOT VirtualBox)",
                        description=VBOX_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    _name_option(vb)
    vb.add_argument("vbox_args", nargs=argparse.REMAINDER, metavar="ARGS")
    vb.set_defaults(func=_cmd_vboxmanage)
