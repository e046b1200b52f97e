"""PID 1 of one lab host: mounts its private "disk", boots it like a Debian host without systemd, reaps.

Started by the lab (lab/machines.py) as
    ip netns exec NS unshare -m -u -i -p -f --propagation private --mount-proc python3 -I hostinit.py HOSTDIR \
        [--root=ROOT] [--state=LABSTATE]
so it already runs in the host's own network, mount, UTS, IPC and PID namespaces. Standalone (stdlib only,
system python3): the host keeps running whatever the wizard's venv does.

HOSTDIR layout (made by lab/machines.py and lab/install.py): disk/{etc,var,root} = the host's writable
layers, work/ = overlay work dirs. Without ROOT the host runs on this machine's own tree (image debian12):
disk/etc and disk/var are the upper dirs of overlays over the machine's /etc and /var, disk/root a plain
/root. With ROOT (a guest image's tree, lab/images.py) the whole of disk/ is the upper dir of one overlay
over ROOT, and the host pivots into it: nothing of this machine's tree is left inside.
stdout/stderr are the host's console log; "BOOTED" on a line of its own tells the lab the boot is done.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

GUEST = os.path.dirname(os.path.abspath(__file__))
ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/root",
    "TERM": "dumb",
}
# Boot order of the services a host may have enabled; others follow alphabetically.
ORDER = ["ssh", "corosync", "pacemaker", "pcsd-ruby", "pcsd", "haproxy", "phpweb"]
ENABLED_FILE = "/etc/ha-wizard-lab/enabled"
LAB_STATES = ["/var/lib/ha-wizard-lab"]  # and --state=LABSTATE: the labs' folders, hidden inside the host
HOSTDIR = ""
ROOT = ""


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd: list[str], check: bool = True, timeout: float = 60) -> int:
    rc = subprocess.run(cmd, env=ENV, timeout=timeout, stdin=subprocess.DEVNULL).returncode
    if rc and check:
        raise SystemExit(f"hostinit: {' '.join(cmd)} failed ({rc})")
    return rc


def mount_disk(hostdir: str, root: str = "") -> None:
    if root:
        mount_image(hostdir, root)
        return
    # Tools a Debian host would have through systemd, mapped onto the init scripts. Bound first: the
    # project may live under /tmp, /root or /run, which the host's own mounts below then hide.
    for tool in ("systemctl", "hostnamectl"):
        if os.path.exists(f"/usr/bin/{tool}"):
            run(["mount", "--bind", os.path.join(GUEST, tool), f"/usr/bin/{tool}"])
    disk = os.path.join(hostdir, "disk")
    work = os.path.join(hostdir, "work")
    for part in ("etc", "var"):
        # The host's /etc and /var are the machine's, plus this host's own writes (copy-on-write):
        # every file it changes lands in disk/<part>, which is what clone and snapshot copy.
        run(["mount", "-t", "overlay", "overlay", "-o",
             f"lowerdir=/{part},upperdir={disk}/{part},workdir={work}/{part}", f"/{part}"])
    run(["mount", "--bind", f"{disk}/root", "/root"])
    for where, opts in (("/run", "mode=755"), ("/tmp", "mode=1777"), ("/dev/shm", "mode=1777")):
        run(["mount", "-t", "tmpfs", "-o", f"{opts},size=256m", "tmpfs", where])
    # The lab's own state (every host's disk, the lab key) is not the host's business.
    for folder in LAB_STATES:
        if os.path.isdir(folder):
            run(["mount", "-t", "tmpfs", "-o", "mode=700,size=1m", "tmpfs", folder])


def mount_image(hostdir: str, root: str) -> None:
    """The host's whole tree: an overlay of the image (lower) and its disk (upper), then pivot_root into it.

    After the pivot every program is the image's (its ifup, its init scripts, its python3 for the lab's
    tools); only this process keeps running on the machine's Python, with what it imported beforehand."""
    new = os.path.join(hostdir, "mnt")
    work = os.path.join(hostdir, "work", "fs")
    os.makedirs(new, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    run(["mount", "-t", "overlay", "overlay", "-o",
         f"lowerdir={root},upperdir={os.path.join(hostdir, 'disk')},workdir={work}", new])
    # What Debian would do through systemd, the lab's stand-ins do (see the machine-tree case below).
    for tool in ("systemctl", "hostnamectl"):
        if os.path.exists(f"{new}/usr/bin/{tool}"):
            run(["mount", "--bind", os.path.join(GUEST, tool), f"{new}/usr/bin/{tool}"])
    run(["mount", "-t", "proc", "proc", f"{new}/proc"])  # this host's PID namespace
    run(["mount", "-t", "sysfs", "sysfs", f"{new}/sys"])  # this host's network namespace's devices
    run(["mount", "--rbind", "/dev", f"{new}/dev"])
    for where, opts in (("/run", "mode=755"), ("/tmp", "mode=1777"), ("/dev/shm", "mode=1777")):
        run(["mount", "-t", "tmpfs", "-o", f"{opts},size=256m", "tmpfs", new + where])
    # The old root goes under /run (a tmpfs: nothing of it lands on the disk) and is cut off at once.
    os.makedirs(f"{new}/run/oldroot")
    run(["pivot_root", new, f"{new}/run/oldroot"])
    os.chdir("/")
    run(["umount", "-l", "/run/oldroot"])
    os.rmdir("/run/oldroot")


def _ids(path: str, name: str) -> int | None:
    """A user's or group's id from the host's own /etc/passwd or /etc/group (read, not NSS: on an image the
    machine's C library would be asked to load the image's NSS modules)."""
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.split(":")
                if len(parts) > 2 and parts[0] == name:
                    return int(parts[2])
    except (OSError, ValueError):
        pass
    return None


def prepare_run() -> None:
    for d in ("/run/network", "/run/sshd", "/run/lock", "/run/resource-agents"):
        os.makedirs(d, exist_ok=True)
    open("/run/network/ifstate", "a").close()
    open("/run/utmp", "a").close()
    uid, gid = _ids("/etc/passwd", "hacluster"), _ids("/etc/group", "haclient")
    if uid is not None and gid is not None:
        for d in ("/run/crm", "/run/pacemaker"):
            os.makedirs(d, exist_ok=True)
            os.chown(d, uid, gid)
            os.chmod(d, 0o750)


def set_hostname() -> None:
    try:
        with open("/etc/hostname", encoding="utf-8") as f:
            name = f.read().split()[0]
    except (OSError, IndexError):
        name = "localhost"
    run(["hostname", name], check=False)
    log(f"hostname {name}")


def apply_sysctl_d() -> None:
    """What systemd-sysctl does at boot, for the keys that belong to this host: /etc/sysctl.d's net.*
    settings (per network namespace). Others are the shared kernel's, the machine's own: left alone."""
    try:
        names = sorted(n for n in os.listdir("/etc/sysctl.d") if n.endswith(".conf"))
    except OSError:
        return
    for name in names:
        try:
            with open(os.path.join("/etc/sysctl.d", name), encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        for line in lines:
            key, sep, value = line.partition("=")
            key = key.strip().lstrip("-")
            if not sep or not key.startswith("net.") or line.lstrip().startswith(("#", ";")):
                continue
            try:
                with open("/proc/sys/" + key.replace(".", "/"), "w") as out:
                    out.write(value.strip())
                log(f"sysctl {key} = {value.strip()} ({name})")
            except OSError as exc:
                log(f"sysctl {key}: {exc}")


def enabled_services() -> list[str]:
    try:
        with open(ENABLED_FILE, encoding="utf-8") as f:
            names = {line.strip() for line in f if line.strip() and not line.startswith("#")}
    except OSError:
        names = set()
    names.add("ssh")  # a host the lab can't log into is no use
    known = [n for n in ORDER if n in names]
    return known + sorted(names - set(known))


def service(name: str, verb: str) -> None:
    script = f"/etc/init.d/{name}"
    if not os.path.exists(script):
        log(f"{name}: no init script")
        return
    try:
        rc = run([script, verb], check=False, timeout=90)
    except subprocess.TimeoutExpired:
        rc = -1
    log(f"{verb} {name}: {'ok' if rc == 0 else f'failed ({rc})'}")


def boot(hostdir: str, remount: bool = True) -> None:
    if remount:
        mount_disk(hostdir, ROOT)
    prepare_run()
    set_hostname()
    run(["ip", "link", "set", "lo", "up"])
    # Debian 12's systemd sets promote_secondaries=1 (50-default.conf): removing an interface's own
    # address then keeps the secondary ones (pacemaker's VIPs) instead of deleting them all.
    for conf in ["all", "default", *os.listdir("/sys/class/net")]:
        try:
            with open(f"/proc/sys/net/ipv4/conf/{conf}/promote_secondaries", "w") as f:
                f.write("1")
        except OSError:
            pass
    apply_sysctl_d()
    rc = run(["ifup", "-a"], check=False)
    log(f"ifup -a: {'ok' if rc == 0 else f'failed ({rc})'}")
    # What ifup configured, for `systemctl restart networking` to undo (guest/systemctl).
    run(["/usr/bin/systemctl", "ha-wizard-lab-record-network"], check=False)  # the guest's, bound above
    for name in enabled_services():
        service(name, "start")
    log("BOOTED")


def stop_services() -> None:
    for name in reversed(enabled_services()):
        service(name, "stop")


def cut_everything() -> None:
    """Kill what is left and cut the network like a dead box."""
    try:
        os.kill(-1, signal.SIGKILL)  # pid namespace: every remaining process of this host
    except ProcessLookupError:
        pass
    # The namespace outlives its processes: without this its addresses would keep answering pings.
    for ifname in os.listdir("/sys/class/net"):
        if ifname != "lo":
            run(["ip", "-4", "addr", "flush", "dev", ifname], check=False)
            run(["ip", "link", "set", "dev", ifname, "down"], check=False)


PENDING: dict[str, object] = {"action": None, "worker": None}


def on_power_signal(signum: int, _frame: object) -> None:
    """SIGTERM = power button / `poweroff` inside the host; SIGUSR1 = `reboot` inside the host.

    The services are stopped by a forked worker while PID 1 keeps reaping: start-stop-daemon waits
    for its daemon to vanish, and an orphaned daemon only vanishes once PID 1 reaps it.
    """
    if PENDING["worker"] is not None:
        return
    PENDING["action"] = "reboot" if signum == signal.SIGUSR1 else "halt"
    log("rebooting" if PENDING["action"] == "reboot" else "shutting down")
    pid = os.fork()
    if pid == 0:
        try:
            stop_services()
        finally:
            os._exit(0)
    PENDING["worker"] = pid


def after_worker() -> None:
    cut_everything()
    if PENDING["action"] == "halt":
        log("power off")
        sys.exit(0)
    for d in os.listdir("/run"):
        run(["rm", "-rf", "--one-file-system", os.path.join("/run", d)], check=False)
    PENDING["action"] = PENDING["worker"] = None
    boot(HOSTDIR, remount=False)


def main() -> None:
    global HOSTDIR, ROOT
    HOSTDIR = sys.argv[1]
    options = dict(a[2:].split("=", 1) for a in sys.argv[2:] if a.startswith("--") and "=" in a)
    ROOT = options.get("root", "")
    LAB_STATES.extend(path for path in (options.get("state"),) if path and path not in LAB_STATES)
    os.chdir("/")
    signal.signal(signal.SIGTERM, on_power_signal)
    signal.signal(signal.SIGUSR1, on_power_signal)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    boot(HOSTDIR)
    # PID 1 of the namespace adopts every orphan: reap them forever.
    while True:
        try:
            pid, _ = os.wait()
        except ChildProcessError:
            time.sleep(1)
            continue
        if pid == PENDING["worker"]:
            after_worker()


if __name__ == "__main__":
    main()
