"""Guest images: the root file system a lab VM runs on.

- `debian12`: this machine's own Debian 12 tree (the default; what the lab always ran): a VM's disk is
  overlays of the machine's /etc and /var, the rest is shared as is.
- `debian13`: a Debian 13 (trixie) tree made with debootstrap from deb.debian.org, with the guide's packages
  (`ha-wizard lab image build debian13`). A VM's disk is then one overlay over the image's whole tree.

Built images live in IMAGES (`/var/lib/ha-wizard-lab/images/<name>/`: `rootfs/` and `stamp.json`), which no
`lab down` removes: a build takes minutes and the network, a lab takes a second. An image is rebuilt only
when its recipe changes (the package list, the suite, the mirror or BUILDER_VERSION: `stamp.json`'s
`stamp`), never while a VM runs on it.

Stdlib only and runnable as a script (`python3 -I lab/images.py build debian13`): scripts/install-deps.sh
builds the image with the system Python before the project's venv exists.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# = lab.base.STATE (not imported: this module stands alone); the images are shared by every lab instance.
STATE = Path(os.environ.get("HA_WIZARD_LAB_STATE") or "/var/lib/ha-wizard-lab")
IMAGES = STATE / "images"
DEFAULT_IMAGE = "debian12"
# Bump when the way an image is made changes (not its package list: that is in the stamp already).
BUILDER_VERSION = 1
BUILD_TIMEOUT = 1800.0  # seconds for debootstrap or apt-get, each
LOCK_WAIT = 3600.0  # another process building the same image: wait for it at most this long
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
       "DEBIAN_FRONTEND": "noninteractive", "HOME": "/root"}


class ImageError(Exception):
    """An image cannot be built or used; the message says why (and what to run)."""


@dataclass(frozen=True)
class Image:
    name: str
    description: str
    suite: str = ""  # "" = this machine's own tree (nothing to build)
    mirror: str = "http://deb.debian.org/debian"
    # What a lab host needs beyond debootstrap's minbase: the guide's software, the tools the wizard's
    # commands and the lab's own guest programs call, and what a real Debian VM has anyway (systemd's
    # systemctl/hostnamectl and systemd-sysv's poweroff/reboot, which the lab's stand-ins replace).
    packages: tuple[str, ...] = ()
    # Package versions stamp.json records (and `lab image list` shows).
    shown: tuple[str, ...] = ("pcs", "pacemaker", "corosync", "haproxy", "openssh-server", "php-cli", "python3")

    @property
    def builds(self) -> bool:
        return bool(self.suite)


IMAGE_LIST: dict[str, Image] = {
    "debian12": Image("debian12", "this machine's own Debian 12 tree (pcs 0.11, Pacemaker 2.1)"),
    "debian13": Image(
        "debian13", "Debian 13 (trixie) made with debootstrap (pcs 0.12, Pacemaker 3.0, haproxy 3.0)",
        suite="trixie",
        packages=(
            # the guide's cluster and farm
            "openssh-server", "haproxy", "corosync", "pacemaker", "pacemaker-cli-utils", "pcs",
            "resource-agents", "php-cli",
            # pcsd's second half is a Ruby daemon (pcsd-ruby) in pcs 0.12 still; pcs also brings python3,
            # which the lab's guest programs (systemctl stand-in, ifupdown hook) run on
            "ruby", "python3",
            # the network and the tools the wizard's commands use on the nodes
            "ifupdown", "iproute2", "procps", "psmisc", "curl", "iputils-ping", "sudo",
            "apache2-utils", "siege", "socat",
            # a real Debian VM's init (systemctl, hostnamectl, poweroff...): the lab binds its stand-ins over them
            "systemd", "systemd-sysv",
        ),
    ),
}


def get_image(name: str) -> Image:
    try:
        return IMAGE_LIST[name]
    except KeyError:
        raise ImageError(f"image: unknown image {name!r} (choose one of {', '.join(IMAGE_LIST)})") from None


def image_dir(name: str, images: Path = IMAGES) -> Path:
    return images / name


def image_root(name: str, images: Path = IMAGES) -> Path:
    """The tree a VM on this image runs on: `/` for this machine's own, else the built image's rootfs."""
    return image_dir(name, images) / "rootfs" if get_image(name).builds else Path("/")


def stamp(image: Image) -> str:
    """What the built tree depends on; a different stamp means a rebuild."""
    import hashlib  # here: `ha-wizard` imports this module at every start (lab/cli.py), builds are rare

    recipe = {"builder": BUILDER_VERSION, "suite": image.suite, "mirror": image.mirror, "variant": "minbase",
              "packages": sorted(image.packages)}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def read_stamp(name: str, images: Path = IMAGES) -> dict:
    try:
        return json.loads((image_dir(name, images) / "stamp.json").read_text())
    except (OSError, ValueError):
        return {}


def image_state(name: str, images: Path = IMAGES) -> str:
    """"machine" (this machine's tree), "current", "stale" (its recipe changed: rebuild) or "missing"."""
    image = get_image(name)
    if not image.builds:
        return "machine"
    found = read_stamp(name, images)
    if not found or not (image_root(name, images) / "usr/bin").is_dir():
        return "missing"
    return "current" if found.get("stamp") == stamp(image) else "stale"


def require_image(name: str, images: Path = IMAGES) -> Path:
    """The root of a usable image, or ImageError saying what to run."""
    state = image_state(name, images)
    if state in ("machine", "current"):
        return image_root(name, images)
    what = "is not built" if state == "missing" else "is out of date (its package list changed)"
    raise ImageError(f"image {name} {what}: run `ha-wizard lab image build {name}` (a few minutes; needs "
                     f"deb.debian.org), or `sudo scripts/install-deps.sh`")


def users(root: Path) -> list[int]:
    """Processes whose mounts use `root` as an overlay's lower layer: VMs running on the image."""
    needle = f"lowerdir={root}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if needle in Path(f"/proc/{entry}/mountinfo").read_bytes():
                found.append(int(entry))
        except OSError:
            continue
    return found


def _run(cmd: list[str], log: Callable[[str], None], timeout: float = BUILD_TIMEOUT) -> None:
    log("$ " + " ".join(cmd))
    try:
        res = subprocess.run(cmd, env=ENV, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ImageError(f"{cmd[0]}: no end after {timeout:.0f} s") from None
    if res.returncode != 0:
        tail = "\n".join((res.stdout + res.stderr).strip().splitlines()[-25:])
        raise ImageError(f"{' '.join(cmd[:4])}... failed ({res.returncode}):\n{tail}")


def _private(script: str) -> list[str]:
    """`sh -c script` in a mount namespace of its own: what it mounts (proc in the new root, debootstrap's
    own mounts) goes away with it, whatever happens, and never shows on this machine."""
    return ["unshare", "-m", "--propagation", "private", "sh", "-euc", script]


def _q(path: Path | str) -> str:
    import shlex

    return shlex.quote(str(path))


def _lock(path: Path, wait: float, log: Callable[[str], None]) -> int:
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise ImageError(f"another process is building this image ({path}); waited {wait:.0f} s") from None
            if not told:
                log(f"another process is building this image: waiting for it (at most {wait:.0f} s)")
                told = True
            time.sleep(1)


def _versions(root: Path, packages: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        text = (root / "var/lib/dpkg/status").read_text(errors="replace")
    except OSError:
        return out
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != " ")
        if fields.get("Package") in packages and fields.get("Status", "").endswith(" installed"):
            out[fields["Package"]] = fields.get("Version", "")
    return out


def _size(path: Path) -> int:
    res = subprocess.run(["du", "-sxb", str(path)], capture_output=True, text=True, timeout=300)
    try:
        return int(res.stdout.split()[0])
    except (IndexError, ValueError):
        return 0


def _bootstrap(image: Image, new: Path, log: Callable[[str], None]) -> None:
    """debootstrap's minbase, then the packages through apt inside the new tree, no service started."""
    _run(_private(f"debootstrap --variant=minbase --components=main {_q(image.suite)} {_q(new)} "
                  f"{_q(image.mirror)}"), log)
    # Debian's maintainer scripts start what they install (sshd, haproxy, pcsd...) through invoke-rc.d:
    # policy-rc.d answering 101 forbids it, as on any image builder. Removed once the tree is done.
    policy = new / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\n# ha-wizard lab image build: no service starts while packages install\nexit 101\n")
    policy.chmod(0o755)
    shutil.copyfile("/etc/resolv.conf", new / "etc/resolv.conf")  # apt's way to the mirror, for the build only
    apt = ("env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "
           "apt-get -q -o Acquire::Retries=3")
    _run(_private(f"mount -t proc proc {_q(new / 'proc')}\n"
                  f"chroot {_q(new)} {apt} update\n"
                  f"chroot {_q(new)} {apt} install -y --no-install-recommends {' '.join(image.packages)}\n"
                  f"chroot {_q(new)} {apt} clean\n"), log)
    # What belongs to each VM, not to the image: the lab writes these per VM (lab/install.py).
    policy.unlink()
    for f in (new / "etc/ssh").glob("ssh_host_*"):
        f.unlink()
    (new / "etc/resolv.conf").write_text("# ha-wizard lab image: each VM writes its own\n")
    (new / "etc/hostname").write_text("localhost\n")  # debootstrap copied this machine's
    # Every VM would share the one made at build time; a VM with systemd makes its own at first boot.
    (new / "etc/machine-id").write_text("")


def build_image(name: str, force: bool = False, images: Path = IMAGES, log: Callable[[str], None] = print,
                lock_wait: float = LOCK_WAIT) -> dict:
    """Build (or keep) an image. {"rebuilt": bool, "seconds": float, "bytes": int, "versions": {...}}.

    Kept as is when its stamp is current (unless `force`). Refused while a VM runs on it."""
    image = get_image(name)
    if not image.builds:
        return {"rebuilt": False, "seconds": 0.0, "bytes": 0, "versions": {}}
    if os.geteuid() != 0:
        raise ImageError("building an image needs root (debootstrap, chroot): run it with sudo")
    if not shutil.which("debootstrap", path=ENV["PATH"]):
        raise ImageError("debootstrap is missing: install it with `sudo scripts/install-deps.sh`")
    folder = image_dir(name, images)
    folder.mkdir(parents=True, exist_ok=True)
    images.chmod(0o755)
    fd = _lock(images / f".{name}.lock", lock_wait, log)
    try:
        if not force and image_state(name, images) == "current":
            found = read_stamp(name, images)
            return {"rebuilt": False, "seconds": 0.0, "bytes": found.get("bytes", 0),
                    "versions": found.get("versions", {})}
        root = image_root(name, images)
        running = users(root)
        if running:
            raise ImageError(f"image {name} is in use by running lab VMs (processes {running[:5]}): "
                             "`ha-wizard lab down` first")
        t0 = time.monotonic()
        new = folder / "rootfs.new"
        old = folder / "rootfs.old"
        for leftover in (new, old):
            if leftover.exists():
                _run(["rm", "-rf", "--one-file-system", str(leftover)], log, timeout=600)
        log(f"building image {name}: Debian {image.suite} from {image.mirror} into {root}")
        _bootstrap(image, new, log)
        (folder / "stamp.json").unlink(missing_ok=True)  # from here on the old tree is not the image
        if root.exists():
            root.rename(old)
        new.rename(root)
        if old.exists():
            _run(["rm", "-rf", "--one-file-system", str(old)], log, timeout=600)
        info = {"image": name, "stamp": stamp(image), "builder": BUILDER_VERSION, "suite": image.suite,
                "mirror": image.mirror, "packages": list(image.packages),
                "versions": _versions(root, image.shown), "bytes": _size(root),
                "seconds": round(time.monotonic() - t0, 1), "built": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        tmp = folder / "stamp.json.tmp"
        tmp.write_text(json.dumps(info, indent=2) + "\n")
        os.replace(tmp, folder / "stamp.json")
        log(f"image {name} built in {info['seconds']:.0f} s, {info['bytes'] / 2**20:.0f} MiB: "
            + ", ".join(f"{p} {v}" for p, v in info["versions"].items()))
        return {"rebuilt": True, **{k: info[k] for k in ("seconds", "bytes", "versions")}}
    finally:
        os.close(fd)


def listing(images: Path = IMAGES) -> list[dict]:
    """Every known image: name, description, state, and for a built one its size, versions and build date."""
    out = []
    for name, image in IMAGE_LIST.items():
        found = read_stamp(name, images) if image.builds else {}
        out.append({"name": name, "description": image.description, "state": image_state(name, images),
                    "root": str(image_root(name, images)), "bytes": found.get("bytes", 0),
                    "versions": found.get("versions", {}), "built": found.get("built", ""),
                    "build_seconds": found.get("seconds", 0)})
    return out


def main(argv: list[str]) -> int:
    """`python3 -I lab/images.py build NAME [--force]` | `check NAME` (exit 1 unless current) | `list`."""
    usage = "usage: images.py build NAME [--force] | check NAME | list"
    if not argv or argv[0] not in ("build", "check", "list") or (argv[0] != "list" and len(argv) < 2):
        print(usage, file=sys.stderr)
        return 2
    try:
        if argv[0] == "list":
            for row in listing():
                print(f"{row['name']:<10} {row['state']:<8} {row['description']}")
            return 0
        if argv[0] == "check":
            state = image_state(argv[1])
            print(f"image {argv[1]}: {state}")
            return 0 if state in ("machine", "current") else 1
        res = build_image(argv[1], force="--force" in argv[2:], log=lambda m: print(f"lab image: {m}", flush=True))
        if not res["rebuilt"]:
            print(f"lab image: {argv[1]} is up to date")
        return 0
    except ImageError as exc:
        print(f"lab image: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
