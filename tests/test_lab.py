"""The local practice lab against real software: sshd, PHP, haproxy, corosync, pacemaker, pcs in namespaces.

Tests marked `lab` need root and scripts/install-deps.sh's packages; they skip with the reason otherwise.
Figures (failover seconds, memory) are printed: run with `-s` to see them.
"""

from __future__ import annotations

import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_support import lab_cmd

from lab import Lab, LabError, missing_requirements
from wizard.base.answers import Answers, mac_plain

PASSWORD = "lab-test-" + str(time.time_ns())[-6:]  # fed on stdin only


def ssh(lab: Lab, host: str, cmd: str, address: str | None = None, known_hosts: Path | None = None,
        timeout: float = 30) -> subprocess.CompletedProcess:
    argv = lab.ssh_argv(host, address)
    if known_hosts is not None:
        argv = [a.replace(str(lab.known_hosts_path), str(known_hosts)) for a in argv]
    return subprocess.run([*argv, cmd], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def wait_for(what: str, check, timeout: float, interval: float = 0.2) -> float:
    """Poll check() until true; returns the seconds it took. Bounded in time."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if check():
            return time.monotonic() - t0
        time.sleep(interval)
    raise AssertionError(f"{what}: not true after {timeout} s")


def curl(url: str, timeout: float = 5, lab: Lab | None = None) -> str:
    """The page at `url` from this machine, or (`lab`) from the NAT network itself, as another VM there."""
    prefix = lab.on_nat_network_argv() if lab is not None else []
    res = subprocess.run([*prefix, "curl", "-sS", "-m", str(timeout), url], capture_output=True, text=True,
                         timeout=timeout + 5)
    return res.stdout if res.returncode == 0 else ""


def ssh_answers(ip: str, port: int = 22, timeout: float = 3) -> bool:
    """An SSH server answers at ip:port (its banner). A bare TCP connect would not do: some machines'
    default route accepts every connection (an egress proxy) without anything behind it."""
    try:
        with socket.create_connection((ip, port), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(8).startswith(b"SSH-")
    except OSError:
        return False


def route_device(ip: str) -> str:
    out = subprocess.run(["ip", "-o", "route", "get", ip], capture_output=True, text=True).stdout.split()
    return out[out.index("dev") + 1] if "dev" in out else ""


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


# -- without root -----------------------------------------------------------------------------------

def test_without_root_lab_up_says_what_is_missing(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from lab.__main__ import main

    monkeypatch.setattr("os.geteuid", lambda: 1000)
    assert any("root" in p for p in missing_requirements())
    assert main(["up"]) == 2
    err = capsys.readouterr().err
    assert "needs root" in err and "Traceback" not in err


def test_missing_package_names_the_install_script(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda prog, path=None: None if prog == "pcs" else real(prog, path=path))
    problems = " ".join(missing_requirements())
    assert "pcs" in problems and "scripts/install-deps.sh" in problems


def test_vboxmanage_help_says_it_is_not_virtualbox() -> None:
    res = subprocess.run([sys.executable, "-m", "lab", "vboxmanage", "--help"], capture_output=True, text=True,
                         timeout=30)
    assert res.returncode == 0
    assert "NOT VirtualBox" in res.stdout and "stand-in" in res.stdout


def test_install_deps_check_runs() -> None:
    script = Path(__file__).resolve().parents[1] / "scripts/install-deps.sh"
    res = subprocess.run(["sh", str(script), "--check"], capture_output=True, text=True, timeout=60)
    assert res.returncode in (0, 1)
    # Exit 1 exactly when something is to do: a package missing, or a lab image to build.
    todo = "missing:" in res.stdout or "lab images to build:" in res.stdout
    assert todo == (res.returncode == 1), res.stdout


# -- the prepared lab (guide sections 1-4 done) --------------------------------------------------------

@pytest.mark.lab
def test_every_host_answers_ssh_on_each_address_with_its_hostname(lab_prepared: Lab) -> None:
    a = lab_prepared.answers
    targets = [(d.name, ip) for d in a.directors for ip in (d.external_ip, d.internal_ip, d.heartbeat_ip)]
    targets += [(s.name, s.ip) for s in a.servers]
    for name, ip in targets:
        res = ssh(lab_prepared, name, "hostname", address=ip)
        assert res.returncode == 0, f"{name} at {ip}: {res.stderr}"
        assert res.stdout.strip() == name, f"{ip} answered as {res.stdout.strip()!r}, expected {name}"
    fps = lab_prepared.host_fingerprints()
    assert len(set(fps.values())) == len(fps) == len(a.directors) + len(a.servers), "host keys must differ"


@pytest.mark.lab
def test_host_keys_are_really_checked(lab_prepared: Lab, tmp_path: Path) -> None:
    # The same ssh with a known_hosts that has another host's key under master's address must refuse.
    a = lab_prepared.answers
    lines = lab_prepared.known_hosts_path.read_text().splitlines()
    other_key = next(line.split(" ", 1)[1] for line in lines if line.startswith(a.servers[0].name + ","))
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"{a.master.external_ip} {other_key}\n")
    res = ssh(lab_prepared, a.master.name, "hostname", known_hosts=wrong)
    assert res.returncode != 0 and "host key" in res.stderr.lower()


@pytest.mark.lab
def test_servers_serve_both_pages_and_only_inside(lab_prepared: Lab) -> None:
    a = lab_prepared.answers
    for s in a.servers:
        page = lab_prepared.exec(a.master.name, f"curl -sS -m 5 http://{s.ip}/index.php", check=True).stdout
        assert s.name in page and s.ip in page
        pi = lab_prepared.exec(a.master.name, f"curl -sS -m 10 'http://{s.ip}/pi.php?n=100000'", check=True).stdout
        assert "3.14159" in pi and f"El servidor es {s.ip}" in pi
    # From the machine: neither the servers' network nor (NAT network) the directors are reachable.
    assert curl(f"http://{a.servers[0].ip}/index.php", timeout=2) == ""
    assert curl(f"http://{a.master.external_ip}/index.php", timeout=2) == ""
    # From the NAT network: seminar 3's balancer on master serves every server.
    # Round robin: every server within a few rounds (a health check that timed out on a loaded machine takes
    # a server out for a moment; a server never served fails).
    served: set[str] = set()
    for _ in range(4 * len(a.servers)):
        served.add(curl(f"http://{a.master.external_ip}/index.php", lab=lab_prepared).split("served-by: ")[-1]
                   .split()[0])
        if served == {s.name for s in a.servers}:
            break
    assert served == {s.name for s in a.servers}, "haproxy on master balances over every server"


@pytest.mark.lab
def test_hosts_have_private_etc_var_and_hostname(lab_prepared: Lab) -> None:
    a = lab_prepared.answers
    m, s = a.master.name, a.standby.name
    mark = f"/etc/lab-test-{time.time_ns()}"
    lab_prepared.exec(m, f"echo only-{m} > {mark}; echo x > /var/tmp/lab-test", check=True)
    try:
        assert lab_prepared.exec(m, f"cat {mark}").stdout.strip() == f"only-{m}"
        assert lab_prepared.exec(s, f"test -e {mark}").returncode != 0
        assert lab_prepared.exec(s, "test -e /var/tmp/lab-test").returncode != 0
        assert not Path(mark).exists(), "the machine's own /etc must not change"
        assert lab_prepared.exec(s, "cat /etc/hostname; hostname").stdout.split() == [s, s]
        # The lab's state (every host's disk, the lab key) is hidden inside the hosts.
        assert lab_prepared.exec(s, "ls -A /var/lib/ha-wizard-lab").stdout.strip() == ""
        # Each host sees only its own processes.
        assert "pcsd" not in lab_prepared.exec(a.servers[0].name, "ps -e").stdout
    finally:
        lab_prepared.exec(m, f"rm -f {mark} /var/tmp/lab-test")


@pytest.mark.lab
def test_nat_mode_leaves_the_root_namespace_alone(lab_prepared: Lab) -> None:
    """As on VirtualBox's NAT network: no link, address or route of the lab in the root namespace; the
    directors' SSH only through the port forwards (a prepared lab has the wizard's), which connect from
    the NAT network's gateway."""
    a = lab_prepared.answers
    assert not lab_prepared.host_link
    assert not Path(f"/sys/class/net/{lab_prepared.root_link}").exists()
    addrs = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True).stdout
    assert not [line for line in addrs.splitlines() if " 192.168.1." in line], addrs
    routes = subprocess.run(["ip", "-4", "route", "show", "table", "all"], capture_output=True, text=True).stdout
    assert "192.168.1." not in routes
    assert route_device(a.master.external_ip) != lab_prepared.root_link and not ssh_answers(a.master.external_ip)
    # The NAT network's gateway answers (as VirtualBox's does), and leads nowhere.
    gw = a.networks.external_gateway
    assert lab_prepared.exec(a.master.name, f"ping -c1 -W2 {gw}").returncode == 0
    # The wizard's forwards of a prepared lab: master's SSH on the instance's ADDRESS:2201, seen by master as
    # coming from the gateway.
    assert {f["name"] for f in lab_prepared.forwards(a.virtualbox.natnetwork).values()} >= {"ssh-master"}
    ssh_cmd = ["ssh", "-p", "2201", "-i", str(lab_prepared.key_path), "-o", "BatchMode=yes",
               "-o", f"UserKnownHostsFile={lab_prepared.known_hosts_path}", "-o", "StrictHostKeyChecking=yes",
               f"root@{lab_prepared.address}", "echo $SSH_CLIENT; hostname"]
    res = subprocess.run(ssh_cmd, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stderr
    client, name = res.stdout.split("\n")[:2]
    assert client.split()[0] == gw and name == a.master.name


@pytest.mark.lab
def test_port_forwards_as_vboxmanage_makes_them(fresh_lab) -> None:
    lab = fresh_lab()
    a = lab.answers
    m, net = a.master, a.virtualbox.natnetwork
    port, other = free_port(lab.address), free_port(lab.address)
    rule = f"web:tcp:[]:{port}:[{m.external_ip}]:80"
    # The guide's short options, and the name right after `modify` (VirtualBox 7.1+).
    assert vbox(lab, "natnetwork", "modify", "-t", net, "-p", rule).returncode == 0
    assert "served-by:" in curl(f"http://{lab.address}:{port}/index.php")
    dup = vbox(lab, "natnetwork", "modify", net, "--port-forward-4", f"web:tcp:[]:{other}:[{m.external_ip}]:80")
    assert dup.returncode == 1 and dup.stderr.strip() == "VBoxManage: error: A NAT rule of this name already exists"
    dup = vbox(lab, "natnetwork", "modify", "--netname", net, "--port-forward-4",
               f"web2:tcp:[]:{port}:[{m.external_ip}]:22")
    assert dup.returncode == 1 and "for this host port and this host IP already exists" in dup.stderr
    bad = vbox(lab, "natnetwork", "modify", "--netname", net, "--port-forward-4", "web3:tcp:[]:99999:[1.2.3.4]:80")
    assert bad.returncode == 1 and "Invalid port-forward rule" in bad.stderr
    assert vbox(lab, "natnetwork", "modify", "--netname", "nope", "-p", rule).stderr.strip() == \
        "VBoxManage: error: NAT network 'nope' not found"
    listing = vbox(lab, "list", "natnetworks").stdout
    assert f"Name:         {net}" in listing and f"Port-forwarding (ipv4)\n        {rule}" in listing
    # An SSH forward: the lab's known_hosts names it as ssh dials it; a VM that is off: closed at once.
    # [127.0.0.1] in a rule is the instance's own address, as [] is.
    ssh_rule = f"ssh-m:tcp:[127.0.0.1]:{other}:[{m.external_ip}]:22"
    assert vbox(lab, "natnetwork", "modify", "--netname", net, "--port-forward-4", ssh_rule).returncode == 0
    assert f"[{lab.address}]:{other}" in lab.known_hosts_path.read_text()
    lab.poweroff(m.name)
    with socket.create_connection((lab.address, other), timeout=5) as s:
        s.settimeout(15)
        t0 = time.monotonic()
        assert s.recv(100) == b"" and time.monotonic() - t0 < 12
    lab.poweron(m.name)
    # Deleted: nothing listens any more; deleting again is VBoxManage's error.
    assert vbox(lab, "natnetwork", "modify", "--netname", net, "--port-forward-4", "delete", "web").returncode == 0
    assert not ssh_answers(lab.address, port, timeout=2) and curl(f"http://{lab.address}:{port}/", 2) == ""
    again = vbox(lab, "natnetwork", "modify", "--netname", net, "--port-forward-4", "delete", "web")
    assert again.returncode == 1 and "Failed to delete port forwarding" in again.stderr
    status = subprocess.run(lab_cmd(lab, "status"), capture_output=True, text=True, timeout=60)
    assert "mode: NAT network only" in status.stdout
    assert f"{lab.address}:{other} -> {m.external_ip}:22" in status.stdout


# -- the cluster, configured by the guide's pcs commands (lab profile) ----------------------------------

def configure_cluster(lab: Lab) -> None:
    from steps.profiles import get_profile

    a = lab.answers
    p = get_profile("lab")
    m, s = a.master, a.standby
    rings = [d.ring_name for d in a.directors]
    for d in a.directors:
        lab.exec(d.name, "systemctl start pcsd && systemctl enable pcsd", check=True)
        lab.exec(d.name, "chpasswd", input=f"hacluster:{PASSWORD}\n", check=True)
    out = lab.exec(m.name, p.pcs_auth(rings), input=f"{PASSWORD}\n", check=True)
    assert out.stderr.count("Authorized") == len(rings), out.stderr
    lab.exec(m.name, p.cluster_setup(a.cluster_name, rings), check=True, timeout=120)
    lab.exec(m.name, "pcs cluster start --all", check=True, timeout=180)
    lab.exec(m.name, "pcs cluster enable --all", check=True, timeout=60)
    lab.exec(m.name, "pcs property set stonith-enabled=false && pcs property set no-quorum-policy=ignore",
             check=True)
    q = shlex.quote
    for name, ip, d_if in (("VIP_externa", a.vip.external, m.external_if), ("VIP_interna", a.vip.internal,
                                                                              m.internal_if)):
        net = a.networks.external if name == "VIP_externa" else a.networks.internal
        lab.exec(m.name, f"pcs resource create {name} ocf:heartbeat:IPaddr2 ip={q(ip)} nic={q(d_if)} "
                         f"cidr_netmask={net.split('/')[1]} op monitor interval=10s", check=True)
    for d in a.directors:
        lab.exec(d.name, "systemctl stop haproxy && systemctl disable haproxy", check=True)
        lab.exec(d.name, f"sed -i 's/^\\( *bind \\).*:80$/\\1{a.vip.external}:80/' /etc/haproxy/haproxy.cfg",
                 check=True)
    lab.exec(m.name, f"pcs resource create HAproxy {p.haproxy_agent} op monitor interval=5s", check=True)
    for c in ("colocation add VIP_externa with VIP_interna INFINITY", "colocation add VIP_interna with HAproxy INFINITY",
              "order set VIP_externa VIP_interna HAproxy", f"location HAproxy prefers {q(m.ring_name)}"):
        lab.exec(m.name, f"pcs constraint {c}", check=True)
    assert lab.exec(m.name, "systemctl is-enabled pcsd corosync pacemaker").stdout.split() == ["enabled"] * 3
    assert lab.exec(s.name, "systemctl is-enabled haproxy").stdout.strip() == "disabled"


def holds_vips(lab: Lab, host: str) -> bool:
    a = lab.answers
    res = lab.exec(host, "ip -o -4 addr show", timeout=20)
    return f" {a.vip.external}/" in res.stdout and f" {a.vip.internal}/" in res.stdout


@pytest.mark.lab
def test_cluster_vips_fail_over_and_pacemaker_restarts_haproxy(fresh_lab) -> None:
    lab = fresh_lab(prepared=True)
    a = lab.answers
    m, s = a.master, a.standby
    configure_cluster(lab)
    wait_for("VIPs on master", lambda: holds_vips(lab, m.name), timeout=90)
    assert not holds_vips(lab, s.name)
    # haproxy starts after the VIPs (the order constraint), bound to the external VIP.
    wait_for("service on the VIP", lambda: "served-by:" in curl(f"http://{a.vip.external}/index.php", 2, lab),
             timeout=30)
    assert "HAproxy" in lab.exec(m.name, "crm_mon -1").stdout

    # Software failure: haproxy killed; pacemaker's 5 s monitor starts it again.
    lab.exec(m.name, "kill -9 $(cat /run/haproxy.pid)", check=True)
    assert lab.exec(m.name, "pgrep -x haproxy").returncode != 0
    back = wait_for("haproxy restarted by pacemaker",
                    lambda: lab.exec(m.name, "pgrep -x haproxy").returncode == 0, timeout=40)
    print(f"\nhaproxy restarted by pacemaker after {back:.1f} s")
    wait_for("service back", lambda: "served-by:" in curl(f"http://{a.vip.external}/index.php", 2, lab), timeout=20)

    # Power cut of the active director: the VIPs and haproxy move to the other one.
    t0 = time.monotonic()
    lab.poweroff(m.name)
    wait_for("VIPs on standby", lambda: holds_vips(lab, s.name), timeout=60)
    moved = time.monotonic() - t0
    served = wait_for("service through the standby",
                      lambda: "served-by:" in curl(f"http://{a.vip.external}/index.php", 2, lab), timeout=30)
    print(f"VIPs on {s.name} {moved:.1f} s after the power cut of {m.name}; serving after {moved + served:.1f} s")
    assert not lab.running(m.vm)
    assert "OFFLINE" in lab.exec(s.name, "crm_mon -1").stdout


# -- VBoxManage stand-in and power ------------------------------------------------------------------

def vbox(lab: Lab, *args: str) -> subprocess.CompletedProcess:
    """The lab instance's VBoxManage stand-in, run as the wizard's host steps run it (its own program)."""
    return subprocess.run([str(lab.vboxmanage_path), *args], capture_output=True, text=True, timeout=120)


@pytest.mark.lab
def test_vboxmanage_guide_sections_1_to_4(fresh_lab) -> None:
    lab = fresh_lab()
    a = lab.answers
    m, s = a.master, a.standby
    vb = a.virtualbox
    nic3 = ["--nic3", "intnet", "--intnet3", vb.heartbeat_network, "--nictype3", vb.nic_type,
            "--macaddress3", mac_plain(m.heartbeat_mac)]

    assert vbox(lab, "snapshot", m.vm, "take", a.snapshot_name).returncode == 0
    assert f'SnapshotName="{a.snapshot_name}"' in vbox(lab, "snapshot", m.vm, "list", "--machinereadable").stdout

    refused = vbox(lab, "modifyvm", m.vm, *nic3)
    assert refused.returncode == 1 and "locked" in refused.stderr, "VirtualBox refuses modifyvm on a running VM"
    assert vbox(lab, "controlvm", m.vm, "poweroff").returncode == 0
    assert 'VMState="poweroff"' in vbox(lab, "showvminfo", m.vm, "--machinereadable").stdout
    assert vbox(lab, "modifyvm", m.vm, *nic3).returncode == 0
    info = vbox(lab, "showvminfo", m.vm, "--machinereadable").stdout
    assert f'macaddress3="{mac_plain(m.heartbeat_mac)}"' in info and f'intnet3="{vb.heartbeat_network}"' in info

    # The clone boots with master's disk: master's hostname, addresses and host key (the clash is real).
    assert vbox(lab, "clonevm", m.vm, "--name", s.vm, "--register").returncode == 0
    macs = [f"--macaddress{i}" if j == 0 else mac for i, mac in enumerate(vb.standby_macs, 1) for j in (0, 1)]
    assert vbox(lab, "modifyvm", s.vm, *macs).returncode == 0
    assert vbox(lab, "startvm", s.vm, "--type", "headless").returncode == 0
    assert f'"{s.vm}"' in vbox(lab, "list", "runningvms").stdout
    assert lab.exec(s.vm, "hostname").stdout.strip() == m.name
    res = ssh(lab, s.name, "hostname", address=m.external_ip)  # master is off: the clone answers
    assert res.returncode == 0 and res.stdout.strip() == m.name, res.stderr
    link = lab.exec(s.vm, f"ip -o link show {m.heartbeat_if}").stdout.lower()
    assert mac_plain(vb.standby_macs[2]).lower() in link.replace(":", "")

    # Section 4 on the clone (lab profile: ifupdown + systemctl restart networking + hostnamectl).
    from assets import render

    for ifname, ip, net in ((s.external_if, s.external_ip, a.networks.external),
                            (s.internal_if, s.internal_ip, a.networks.internal),
                            (s.heartbeat_if, s.heartbeat_ip, a.networks.heartbeat)):
        text = render("debian-iface.j2", ifname=ifname, ip=ip, prefix=net.split("/")[1], gateway="", dns="")
        lab.exec(s.vm, f"cat > /etc/network/interfaces.d/{ifname}", input=text, check=True)
    lab.exec(s.vm, "systemctl restart networking && hostnamectl set-hostname " + shlex.quote(s.name), check=True)
    addrs = lab.exec(s.vm, "ip -o -4 addr show").stdout
    assert f" {s.external_ip}/" in addrs and f" {m.external_ip}/" not in addrs
    assert f" {s.heartbeat_ip}/" in addrs
    assert lab.exec(s.vm, "hostname").stdout.strip() == s.name

    # Power master back on: both answer on their own addresses and the heartbeat NIC is there.
    assert vbox(lab, "startvm", m.vm).returncode == 0
    assert ssh(lab, m.name, "hostname").stdout.strip() == m.name
    assert lab.exec(m.vm, f"ip link show {m.heartbeat_if}").returncode == 0
    assert lab.exec(s.vm, f"ping -c1 -W2 {m.internal_ip}").returncode == 0

    # Port forward of the NAT network: ADDRESS:PORT -> master's haproxy.
    port = free_port(lab.address)
    rule = f"http2:tcp:[]:{port}:[{m.external_ip}]:80"
    assert vbox(lab, "natnetwork", "modify", "--netname", vb.natnetwork, "--port-forward-4", rule).returncode == 0
    assert rule in vbox(lab, "list", "natnetworks").stdout
    assert "served-by:" in curl(f"http://{lab.address}:{port}/index.php")

    # Snapshot restore needs the VM off, and brings its disk back.
    lab.exec(m.vm, "echo after > /etc/after-snapshot", check=True)
    assert vbox(lab, "snapshot", m.vm, "restore", a.snapshot_name).returncode == 1
    assert vbox(lab, "controlvm", m.vm, "poweroff").returncode == 0
    assert vbox(lab, "snapshot", m.vm, "restore", a.snapshot_name).returncode == 0
    assert "nic3=\"none\"" in vbox(lab, "showvminfo", m.vm, "--machinereadable").stdout
    assert vbox(lab, "startvm", m.vm).returncode == 0
    assert lab.exec(m.vm, "test -e /etc/after-snapshot").returncode == 1


@pytest.mark.lab
def test_unplug_plug_and_power_cycle(fresh_lab) -> None:
    lab = fresh_lab()
    a = lab.answers
    m, srv = a.master, a.servers[0]
    status = subprocess.run(lab_cmd(lab, "status"), capture_output=True, text=True, timeout=60)
    assert status.returncode == 0 and f"{m.vm:<10} debian12  running" in status.stdout
    assert all(fp in status.stdout for fp in lab.host_fingerprints().values()), "status shows every host key"
    assert f"{srv.ip}/" in status.stdout and "phpweb" in status.stdout
    ping = f"ping -c1 -W1 {srv.ip}"
    assert lab.exec(m.name, ping).returncode == 0
    lab.unplug(srv.name, srv.ifname)
    assert lab.exec(m.name, ping).returncode != 0
    assert "NO-CARRIER" in lab.exec(srv.name, f"ip link show {srv.ifname}").stdout
    lab.plug(srv.name, srv.ifname)
    wait_for("ping after plug", lambda: lab.exec(m.name, ping).returncode == 0, timeout=10)

    lab.poweroff(srv.name)
    assert not lab.running(srv.vm)
    assert lab.exec(m.name, ping).returncode != 0
    with pytest.raises(LabError):
        lab.exec(srv.name, "true")
    lab.poweron(srv.name)
    assert "phpweb" in lab.exec(srv.name, "systemctl is-active phpweb && echo phpweb").stdout
    # `poweroff` inside a host powers it off (the guide's way to take a director down).
    lab.exec(srv.name, "poweroff")
    wait_for("host off", lambda: not lab.running(srv.vm), timeout=30)
    assert lab.exec(m.name, ping).returncode != 0
    mem = lab.memory()
    print(f"\nlab memory: {mem['rss'] // 1024} MiB RSS, {mem['pss'] // 1024} MiB PSS in {mem['processes']} processes")


# -- down --------------------------------------------------------------------------------------------

@pytest.mark.lab
def test_down_leaves_nothing_also_after_a_crash_midway(fresh_lab) -> None:
    from lab.core import release_lab

    first = fresh_lab()  # a lab to crash into; fresh_lab's teardown runs down() once more (safe twice)
    release_lab(first.name)  # let the `lab up` below own it (it would wait for this process otherwise)
    up = subprocess.Popen(lab_cmd(first, "up", "--prepared", "--wait", "60"),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill `lab up` while it builds: some namespaces, veths and hosts exist, others not.
    wait_for("lab up under way", lambda: (first.hostdir("master") / "vm.json").exists(), timeout=30,
             interval=0.01)
    up.kill()
    up.wait(timeout=10)
    lab = Lab(Answers(), name=first.name)
    t0 = time.monotonic()
    lab.down()
    print(f"\nlab down in {time.monotonic() - t0:.2f} s")
    assert lab.leftovers() == []
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert lab.ns_prefix not in netns
    assert str(lab.state_dir) not in Path("/proc/self/mountinfo").read_text()
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert f"hostinit.py {lab.state_dir}/" not in ps
    lab.down()  # twice is fine
    assert lab.leftovers() == []
    # And `up` after the crash works from whatever was left.
    t0 = time.monotonic()
    lab.up()
    print(f"lab up in {time.monotonic() - t0:.2f} s")
    assert ssh(lab, a_master(lab), "hostname").returncode == 0
    lab.down()
    assert lab.leftovers() == []


def a_master(lab: Lab) -> str:
    return lab.answers.master.name


@pytest.mark.lab
def test_other_names_interfaces_and_subnets(fresh_lab) -> None:
    """Nothing of the guide's topology is hard-coded: other names, VMs, interfaces and subnets work alike."""
    from wizard.base.answers import answers_from_dict

    def director(n: int) -> dict:
        return {"name": f"lb{n}", "vm": f"vm-lb{n}", "ring_name": f"lb{n}-ring", "aliases": [f"balancer{n}"],
                "external_ip": f"172.30.5.{10 + n}", "internal_ip": f"10.77.0.{n}", "heartbeat_ip": f"10.78.1.{n}",
                "heartbeat_mac": f"02:00:00:00:0{n}:09", "external_if": "ext0", "internal_if": "int0",
                "heartbeat_if": "hb0"}

    answers = answers_from_dict({
        "domain": "example", "cluster_name": "lbpair",
        "networks": {"external": "172.30.5.0/24", "internal": "10.77.0.0/16", "heartbeat": "10.78.1.0/24",
                     "external_gateway": "172.30.5.1", "dns": "172.30.5.1"},
        "vip": {"external": "172.30.5.100", "internal": "10.77.0.100"},
        "directors": [director(1), director(2)],
        "servers": [{"name": f"web{n}", "vm": f"vm-web{n}", "ip": f"10.77.3.{n}", "ifname": "lan0"} for n in (1, 2)],
        "virtualbox": {"natnetwork": "outside", "heartbeat_network": "beat", "internal_network": "farm"},
    })
    # The direct link of `lab up --host-link` (a host-only adapter): this machine is in the external network.
    lab = fresh_lab(prepared=True, answers=answers, host_link=True)
    link = lab.root_link
    assert lab.host_link and lab.root_address == "172.30.5.254"
    addrs = subprocess.run(["ip", "-o", "-4", "addr", "show", "dev", link], capture_output=True, text=True).stdout
    assert "172.30.5.254/24" in addrs
    routes = subprocess.run(["ip", "-4", "route", "show", "dev", link], capture_output=True, text=True).stdout
    assert routes.strip().splitlines() == ["172.30.5.0/24 proto kernel scope link src 172.30.5.254"]
    assert link not in subprocess.run(["ip", "-4", "route", "show", "default"], capture_output=True,
                                      text=True).stdout
    assert route_device(answers.master.external_ip) == link and ssh_answers(answers.master.external_ip)
    for d in answers.directors:
        for ip in (d.external_ip, d.internal_ip, d.heartbeat_ip):
            res = ssh(lab, d.name, "hostname", address=ip)
            assert res.stdout.strip() == d.name, res.stderr
        assert lab.exec(d.name, "getent hosts lb1-ring lb2-ring | wc -l").stdout.strip() == "2"
        assert "hb0" in lab.exec(d.name, "ip -o link show").stdout
    for s in answers.servers:
        assert ssh(lab, s.name, "hostname").stdout.strip() == s.name
        page = lab.exec("lb1", f"curl -sS -m 5 http://{s.ip}/index.php").stdout
        assert f"{s.name} {s.ip}" in page
        assert "default via 10.77.0.1 " in lab.exec(s.name, "ip route").stdout
    served = curl(f"http://{answers.master.external_ip}/index.php")
    assert "served-by: web" in served


@pytest.mark.lab
def test_a_second_session_waits_for_the_lab_owner(fresh_lab) -> None:
    """Two sessions using one instance take turns: `up` elsewhere waits while this process owns it."""
    lab = fresh_lab()
    other = subprocess.run(lab_cmd(lab, "up"), capture_output=True, text=True, timeout=60)
    assert other.returncode == 1 and "in use by process" in other.stderr and lab.name in other.stderr
    again = Lab(name=lab.name)
    assert again.running(again.answers.master.vm), "the owner's lab is untouched"
    down = subprocess.run(lab_cmd(lab, "down", "--wait", "1"), capture_output=True, text=True, timeout=60)
    assert down.returncode == 1 and again.running(again.answers.master.vm)
