"""Lab instances side by side (lab/instances.py): names, numbers and loopback addresses; two instances never
see each other's traffic; three build the whole guide at the same time; `lab down --all` leaves nothing.

The first tests need no root: they point the instances' folders at a temporary one.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import lab_name, own_lab
from e2e_support import RUN_TIMEOUT, init_answers, record_figure, run_args, wizard_cmd, wizard_env
from test_e2e import check_end_state

from lab import LabError, instances
from wizard.base.answers import Answers


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(instances, "STATE", tmp_path)
    monkeypatch.setattr(instances, "INSTANCES", tmp_path / "instances")
    monkeypatch.setattr(instances, "RUN", tmp_path / "run")
    return tmp_path


# -- names and numbers (no root) ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["", "Default", "a.b", "a b", "-a", "x" * 25, "a/b"])
def test_a_bad_instance_name_is_refused_saying_what_a_name_may_be(name: str) -> None:
    with pytest.raises(LabError, match="lowercase letters, digits and '-'"):
        instances.check_name(name)


def test_numbers_are_handed_out_lowest_free_first_and_kept(folders: Path) -> None:
    assert instances.reserve("default") == 1
    assert [instances.reserve(n) for n in ("a", "b", "c")] == [2, 3, 4]
    assert instances.reserve("b") == 3, "an instance keeps its number"
    (folders / "instances" / "b" / instances.INFO).unlink()  # b is gone (down): its number is free again
    assert instances.reserve("d") == 3
    assert instances.names() == ["default", "a", "d", "c"]
    assert instances.address_of(instances.number_of("c")) == "127.0.0.4"


def test_the_address_the_answers_name_is_kept_unless_another_instance_has_it(folders: Path) -> None:
    assert instances.reserve("x", preferred="127.0.0.9") == 9
    with pytest.raises(LabError, match=r"127\.0\.0\.9: lab instance 'x' listens there already.*--name y"):
        instances.reserve("y", preferred="127.0.0.9")
    assert instances.reserve("y", preferred="127.0.0.1") == 2  # the default instance's: not a preference


def test_one_instances_names_never_start_another_ones(folders: Path) -> None:
    prefixes = [instances.netns_prefix(n) for n in ("default", "a", "a-b", "ab")]
    for p in prefixes:
        assert [q for q in prefixes if q.startswith(p)] == [p]
    assert len(instances.root_link(instances.LAST)) <= 15  # the kernel's interface name limit
    assert instances.bridge_ns("default") == "hawl-net" and instances.root_link(1) == "hawl0"


def test_answers_for_an_instance_name_its_address_and_files(folders: Path) -> None:
    from lab import Lab

    answers = Lab(Answers(profile="lab"), name="t2").answers
    address = f"127.0.0.{instances.number_of('t2')}"
    assert [d.ssh_host for d in answers.directors] == [address, address]
    assert [d.ssh_port for d in answers.directors] == [2201, 2202]  # the guide's ports, on its own address
    assert answers.virtualbox.vboxmanage == str(folders / "instances/t2/bin/VBoxManage")
    assert answers.ssh_identity == str(folders / "instances/t2/id_ed25519")
    assert answers.ssh_known_hosts == str(folders / "instances/t2/known_hosts")
    # The default instance: the guide's 127.0.0.1, and nothing made on the machine for it (no root needed).
    default = Lab(Answers(profile="lab")).answers
    assert [d.ssh_host for d in default.directors] == ["127.0.0.1", "127.0.0.1"]
    assert not (folders / "instances/default").exists()


def test_the_one_lab_layout_goes_with_the_default_instance_and_nothing_else(folders: Path) -> None:
    """What a lab made before instances left outside instances/ goes with `lab down`; the guest images, the
    instances and the run folders of instances that happen to be called "hosts" stay."""
    from lab import Lab

    old = ["lab.json", "id_ed25519", "id_ed25519.pub", "known_hosts", "forward-0-ssh-master.log",
           "hosts/master/vm.json", "bin/VBoxManage", "run/forwards/12.pid", "run/owner"]
    kept = ["images/debian13/rootfs/etc/os-release", "instances/hosts/instance.json", "run/hosts/owner"]
    for rel in old + kept:
        (folders / rel).parent.mkdir(parents=True, exist_ok=True)
        (folders / rel).write_text("x")
    Lab._remove_one_lab_layout()
    assert [rel for rel in old if (folders / rel).exists()] == []
    assert [rel for rel in kept if not (folders / rel).exists()] == []


# -- side by side on the machine ---------------------------------------------------------------------

SNIFF = r"""
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # every frame on every link here
s.settimeout(0.2)
mark, end, seen = sys.argv[1].encode(), time.monotonic() + float(sys.argv[2]), 0
print("ready", flush=True)
while time.monotonic() < end:
    try:
        seen += sys.argv[1].encode() in s.recv(65535)
    except socket.timeout:
        pass
print(seen, flush=True)
"""


def ssh_forward(lab: object, port: int, cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ssh", "-p", str(port), "-i", str(lab.key_path), "-o", "BatchMode=yes",  # type: ignore
                           "-o", f"UserKnownHostsFile={lab.known_hosts_path}", "-o",  # type: ignore[attr-defined]
                           "StrictHostKeyChecking=yes", f"root@{lab.address}", cmd],  # type: ignore[attr-defined]
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


@pytest.mark.lab
def test_two_instances_side_by_side_never_see_each_others_traffic() -> None:
    a = own_lab(Answers(), lab_name("iso-a"))
    b = own_lab(Answers(), lab_name("iso-b"))
    try:
        for lab in (a, b):
            lab.up()
            lab.exec("master", f"echo {lab.name} > /etc/which-lab", check=True)
            # The guide's rule, the same on both: each listens on its own address.
            m = lab.answers.master
            lab.add_forward(lab.answers.virtualbox.natnetwork, f"ssh-master:tcp:[]:2201:[{m.external_ip}]:22")
        assert a.address != b.address
        for lab in (a, b):
            res = ssh_forward(lab, 2201, "cat /etc/which-lab")
            assert res.returncode == 0 and res.stdout.strip() == lab.name, res.stderr
        listing = subprocess.run([sys.executable, "-m", "lab", "list"], capture_output=True, text=True, timeout=60)
        for lab in (a, b):
            row = next(line for line in listing.stdout.splitlines() if line.startswith(lab.name + " "))
            vms = len(lab.vms())
            assert re.search(rf"debian12\s+nat\s+{re.escape(lab.address)}\s+{vms}/{vms}\s+{lab.summary()['owner']}"
                             r"\s+2201->", row), row

        # The same addresses in both (192.168.1.0/24): b's master broadcasts and sends to its gateway; a frame
        # of it anywhere in b's networks (the control), none anywhere in a's.
        mark = f"hawl-isolation-{time.time_ns()}"
        sniffers = {lab.name: subprocess.Popen([*lab.on_nat_network_argv(), sys.executable, "-c", SNIFF, mark, "6"],
                                               stdout=subprocess.PIPE, text=True) for lab in (a, b)}
        for proc in sniffers.values():
            assert proc.stdout.readline().strip() == "ready"  # type: ignore[union-attr]
        gw = b.answers.networks.external_gateway
        send = ("python3 -c \"import socket, sys; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                "s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1); "
                f"[s.sendto(sys.argv[1].encode(), (ip, 9)) for _ in range(20) for ip in ('192.168.1.255', '{gw}')]\" "
                f"{mark}")
        b.exec("master", send, check=True)
        seen = {name: int(proc.communicate(timeout=30)[0].split()[-1]) for name, proc in sniffers.items()}
        assert seen[b.name] >= 40 and seen[a.name] == 0, seen
    finally:
        for lab in (a, b):
            lab.down()


def _listening(names: list[str]) -> set[str]:
    """ADDRESS:PORT of every socket the port forwarders of these instances listen on now (other programs may
    listen on the same loopback addresses, on other ports)."""
    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True).stdout
    marks = [f"/forward.py\0--lab\0{name}\0".encode() for name in names]
    found = set()
    for line in out.splitlines():
        for pid in re.findall(r"pid=(\d+)", line):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if any(mark in cmdline for mark in marks):
                found.add(line.split()[3])
    return found


def _leftovers_of(names: list[str], links: set[str]) -> list[str]:
    """What of these instances is still on the machine: namespaces, processes, mounts, links, folders (the
    lab's own accounting), and, seen from outside it, sockets their forwarders listen on and the links they
    had. (Their addresses are free again at once: another test process's new instance may listen there.)"""
    from lab import Lab

    found = [f"{name}: {thing}" for name in names for thing in Lab(name=name).leftovers()]
    found += [f"listening {s}" for s in sorted(_listening(names))]
    routes = subprocess.run(["ip", "-4", "route", "show", "table", "all"], capture_output=True, text=True).stdout
    found += [f"route {line}" for line in routes.splitlines() if set(line.split()) & links]
    found += [f"link {link}" for link in sorted(links) if Path(f"/sys/class/net/{link}").exists()]
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    found += [f"netns {ns}" for ns in netns.split() if ns.startswith(tuple(instances.netns_prefix(n) for n in names))]
    return found


@pytest.mark.lab
@pytest.mark.whole_guide(420)
def test_three_labs_at_once_each_build_the_whole_guide_then_down_all_leaves_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Three instances come up at the same time, the wizard runs the whole guide headless on each at the same
    time (`ha-wizard lab answers --name N`, then `ha-wizard run`), each cluster serves every real server through
    its own instance's 5280 forward; `lab down --all` then leaves nothing of them behind."""
    from lab import Lab
    from lab.owner import acquire_lab, release_lab

    names = [lab_name(f"trio{n}") for n in (1, 2, 3)]
    runs: list[tuple[Lab, Answers, Path]] = []
    built = False
    try:
        for name in names:
            acquire_lab(name)
            folder = tmp_path / name
            folder.mkdir()
            answers = init_answers(folder / "lab.toml", name)
            runs.append((Lab(answers, name=name), answers, folder))
        t0 = time.monotonic()
        with ThreadPoolExecutor(len(runs)) as pool:
            list(pool.map(lambda run: run[0].up(), runs))
        print(f"\nthree labs up at once in {time.monotonic() - t0:.1f} s")
        addresses = [lab.address for lab, _, _ in runs]
        assert len(set(addresses)) == 3 and all(a.startswith("127.0.0.") for a in addresses)

        t0 = time.monotonic()
        procs = []
        for lab, _, folder in runs:
            with open(folder / "run.log", "w") as log:
                procs.append(subprocess.Popen(wizard_cmd(*run_args(folder / "lab.toml", "trio")),
                                              env=wizard_env(folder / "state", lab), stdin=subprocess.DEVNULL,
                                              stdout=log, stderr=subprocess.STDOUT))
        load: list[float] = []
        memory: dict[str, int] = {}
        deadline = time.monotonic() + RUN_TIMEOUT
        while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
            load.append(float(Path("/proc/loadavg").read_text().split()[0]))
            for lab, _, _ in runs:  # the most each lab took meanwhile (PSS: shared pages shared out)
                memory[lab.name] = max(memory.get(lab.name, 0), lab.memory()["pss"])
            time.sleep(5)
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        wall = time.monotonic() - t0
        cpu = {lab.name: lab.cpu_seconds() for lab, _, _ in runs}  # before the checks below add their own
        for (lab, _, folder), proc in zip(runs, procs, strict=True):
            assert proc.wait(timeout=30) == 0, (lab.name, (folder / "run.log").read_text()[-4000:])
        for lab, answers, _ in runs:
            assert answers.master.ssh_host == lab.address
            check_end_state(lab, answers)  # the VIP through this instance's ADDRESS:5280 serves every server
        sockets = _listening(names)  # their forwards: 2201, 2202, 5280 on each address
        assert {f"{ip}:{port}" for ip in addresses for port in (2201, 2202, 5280)} <= sockets, sockets
        links = {lab.root_link for lab, _, _ in runs if Path(f"/sys/class/net/{lab.root_link}").exists()}
        record_figure("three labs building the whole guide at the same time (wall)", wall)
        record_figure("  the machine's load average meanwhile, at most", max(load, default=0), "")
        for name in names:
            record_figure(f"  {name}: its processes' memory at most (PSS)", memory[name] / 1024, "MiB")
            record_figure(f"  {name}: its processes' CPU time", cpu[name])
        with capsys.disabled():  # the figures lab/README.md quotes, in the run's output, passed or not
            print(f"\nthree whole guides at once: {wall:.0f} s wall; load average max {max(load, default=0):.1f}; "
                  "most memory per lab (PSS): " + ", ".join(f"{n} {kib // 1024} MiB" for n, kib in memory.items())
                  + "; CPU per lab: " + ", ".join(f"{n} {s:.0f} s" for n, s in cpu.items()))
        built = True
    finally:
        for name in names:
            release_lab(name)  # `lab down --all` below (another process) takes them
            if not built:
                Lab(name=name).down(force=True)
    # Other instances on the machine are not this test's to remove: those no process owns are held meanwhile
    # (`down --all` leaves an instance another live process owns alone, and names it).
    shielded = []
    for other in Lab.every():
        if other.name not in names:
            try:
                acquire_lab(other.name, wait=0)
                shielded.append(other.name)
            except LabError:
                pass  # owned by another live process: down --all leaves it alone anyway
    try:
        down = subprocess.run([sys.executable, "-m", "lab", "down", "--all"], capture_output=True, text=True,
                              timeout=300)
    finally:
        for name in shielded:
            release_lab(name)
    busy = re.findall(r"^ha-wizard lab: ([a-z0-9-]+): ", down.stderr, re.M)
    said = (down.returncode, down.stdout, down.stderr, shielded)
    assert down.returncode == (1 if busy else 0) and not set(busy) & set(names), said
    assert re.search(r"^lab down --all: .*removed", down.stdout, re.M), said
    assert all(name in down.stdout.split("removed")[0] for name in names), said
    assert _leftovers_of(names, links) == []
