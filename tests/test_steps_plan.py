"""The plan: the guide's commands in the guide's order (rhel7), nothing hard-coded, profile syntax,
secrets only on stdin, unique ids, probes that really tell "already done" (run against real pcs/sh).

Regenerate the golden listing after a reviewed change: UPDATE_GOLDEN=1 pytest tests/test_steps_plan.py
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from steps import SECTIONS, full_plan, get_section, pcs_auth
from steps.model import Action, Target, Text
from steps.profiles import get_profile
from wizard.base.answers import Answers, Director, Server, VirtualBox, answers_from_dict
from wizard.exports.listing import render_listing

GOLDEN = Path(__file__).parent / "golden" / "rhel7.plan.txt"
PROFILES = ("rhel7", "rhel9", "debian12", "lab")
IDS = ["preflight", "access", "snapshot", "nic_add", "standby_clone", "networking", "pcs_auth", "cluster_setup",
       "properties", "resources", "constraints", "gateway", "verification"]


def actions(answers: Answers, profile: str) -> list[Action]:
    return [a for _, acts in full_plan(answers, get_profile(profile)) for a in acts]


def texts(a: Action) -> list[str]:
    """Everything of an action that reaches a machine or a file."""
    return [a.command, a.probe, a.content, a.path, a.stdin, a.instructions, a.instructions_es]


def other_lab() -> Answers:
    """Other names, interfaces, subnets, MACs and two servers: no value shared with the guide's."""
    return Answers(
        profile="rhel7", cluster_name="web_ha", snapshot_name="before-ha", domain="lan", ssh_user="admin",
        networks=answers_from_dict({"networks": {
            "external": "172.20.0.0/16", "internal": "10.77.0.0/25", "heartbeat": "10.88.0.0/26",
            "external_gateway": "172.20.0.1", "dns": "172.20.0.53"}}).networks,
        vip=answers_from_dict({"vip": {"external": "172.20.9.9", "internal": "10.77.0.100"}}).vip,
        directors=[
            Director(name="alpha", aliases=["lb1"], ring_name="alpha-hb", vm="vm-alpha", external_if="eth0",
                     external_ip="172.20.0.11", internal_if="eth1", internal_ip="10.77.0.11", heartbeat_if="eth2",
                     heartbeat_ip="10.88.0.11", heartbeat_mac="52:54:00:aa:00:01"),
            Director(name="beta", aliases=[], ring_name="beta-hb", vm="vm-beta", external_if="eth0",
                     external_ip="172.20.0.12", internal_if="eth1", internal_ip="10.77.0.12", heartbeat_if="eth2",
                     heartbeat_ip="10.88.0.12", heartbeat_mac="52:54:00:aa:00:02"),
        ],
        servers=[Server(name="web-a", vm="vm-web-a", ip="10.77.0.21", ifname="ens18"),
                 Server(name="web-b", vm="vm-web-b", ip="10.77.0.22", ifname="ens18")],
        virtualbox=VirtualBox(natnetwork="natlab", heartbeat_network="hbnet", nic_type="virtio", host_port=8088,
                              standby_macs=["525400bb0001", "525400bb0002", "52:54:00:aa:00:02"]),
    )


# -- structure ---------------------------------------------------------------------------------

def test_sections_registry_in_the_guides_order():
    assert [m.ID for m in SECTIONS] == IDS
    for m in SECTIONS:
        assert get_section(m.ID) is m
        assert isinstance(m.TITLE, Text) and m.TITLE.en and m.TITLE.es
        assert isinstance(m.EXPLANATION, Text) and len(m.EXPLANATION.es) > 200 and len(m.EXPLANATION.en) > 200
        assert m.USES and all(isinstance(u, str) for u in m.USES)
        assert all(isinstance(e, Text) and e.en and e.es for e in m.ERRATA)
    with pytest.raises(ValueError, match="section: unknown section"):
        get_section("nope")


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("which", ["guide", "other"])
def test_ids_unique_stable_and_prefixed(profile, which):
    answers = Answers() if which == "guide" else other_lab()
    plan = full_plan(answers, get_profile(profile))
    ids = [a.id for _, acts in plan for a in acts]
    assert len(ids) == len(set(ids))
    for module, acts in plan:
        assert acts, module.ID
        for a in acts:
            assert a.section == module.ID and re.fullmatch(r"[a-z_]+\.[a-z0-9_]+(\.[\w.-]+)?", a.id), a.id
            assert a.why and a.why_es, a.id
    # Pure: the same answers give the same plan.
    assert [a for _, acts in full_plan(answers, get_profile(profile)) for a in acts] == \
        [a for _, acts in plan for a in acts]


# -- the guide, in order ---------------------------------------------------------------------------

# Every command of the guide (errata fixed), in the guide's order, as it must appear in the rhel7 plan.
GUIDE_RHEL7 = [
    "VBoxManage snapshot master take preHA",
    "VBoxManage snapshot cluster2 take preHA",
    "VBoxManage modifyvm master --nic3 intnet --intnet3 latido --nictype3 82545EM --macaddress3 0800270101C1",
    "ip -o link | grep -i 08:00:27:01:01:C1",
    "cat > /etc/sysconfig/network-scripts/ifcfg-enp0s9 <<'EOF'\nTYPE=Ethernet\nBOOTPROTO=static\nNAME=enp0s9\n"
    "DEVICE=enp0s9\nONBOOT=yes\nIPADDR=10.0.200.1\nNETMASK=255.255.255.0\nNM_CONTROLLED=no\nEOF",
    "systemctl restart network",
    "ip addr show",
    "10.0.100.2      standby.cluster standby\n10.0.200.1      master-cr\n10.0.200.2      standby-cr\n",
    "VBoxManage clonevm master --name standby --register",
    "--macaddress3 0800270101C2",
    "VBoxManage startvm standby --type headless",
    "cat > /etc/sysconfig/network-scripts/ifcfg-enp0s3 <<'EOF'\nTYPE=Ethernet\nBOOTPROTO=static\nNAME=enp0s3\n"
    "DEVICE=enp0s3\nONBOOT=yes\nIPADDR=192.168.1.102\nNETMASK=255.255.255.0\nGATEWAY=192.168.1.1\n"
    "DNS1=192.168.1.1\nNM_CONTROLLED=no\nEOF",
    "cat > /etc/sysconfig/network-scripts/ifcfg-enp0s8 <<'EOF'\nTYPE=Ethernet\nBOOTPROTO=static\nNAME=enp0s8\n"
    "DEVICE=enp0s8\nONBOOT=yes\nIPADDR=10.0.100.2\nNETMASK=255.255.255.0\nNM_CONTROLLED=no\nEOF",
    "cat > /etc/sysconfig/network-scripts/ifcfg-enp0s9 <<'EOF'\nTYPE=Ethernet\nBOOTPROTO=static\nNAME=enp0s9\n"
    "DEVICE=enp0s9\nONBOOT=yes\nIPADDR=10.0.200.2\nNETMASK=255.255.255.0\nNM_CONTROLLED=no\nEOF",
    "systemctl restart network",
    "ip addr show",
    "ping -c 3 www.google.es",
    "10.0.100.1      master.cluster master cluster1\n",
    "hostnamectl set-hostname standby",
    "ping -c 3 master-cr",
    "yum install -y pcs",
    "systemctl start pcsd && systemctl enable pcsd",
    "chpasswd",
    "firewall-cmd --permanent --add-service=high-availability",
    "firewall-cmd --reload",
    "setsebool -P daemons_enable_cluster_mode 1",
    "pcs cluster auth master-cr standby-cr -u hacluster",
    "pcs cluster setup --name cluster_lb master-cr standby-cr --force",
    "cat /etc/corosync/corosync.conf",
    "pcs cluster start --all",
    "pcs cluster enable --all",
    "pcs status",
    "corosync-cfgtool -s",
    "corosync-cmapctl | grep members",
    "pcs status corosync",
    "crm_verify -L -V",
    "pcs property set stonith-enabled=false",
    "crm_verify -L -V",
    "pcs property set no-quorum-policy=ignore",
    "pcs status",
    "pcs resource list",
    "pcs resource describe ocf:heartbeat:IPaddr2",
    "pcs resource create VIP_externa ocf:heartbeat:IPaddr2 ip=192.168.1.200 nic=enp0s3 cidr_netmask=24 "
    "op monitor interval=10s",
    "pcs resource create VIP_interna ocf:heartbeat:IPaddr2 ip=10.0.100.200 nic=enp0s8 cidr_netmask=24 "
    "op monitor interval=10s",
    "systemctl stop haproxy && systemctl disable haproxy",
    "cat > /etc/haproxy/haproxy.cfg <<'EOF'",
    "bind 192.168.1.200:80",
    "pcs resource create HAproxy systemd:haproxy op monitor interval=5s",
    "pcs constraint colocation add VIP_externa with VIP_interna INFINITY",
    "pcs constraint colocation add VIP_interna with HAproxy INFINITY",
    "pcs constraint order set VIP_externa VIP_interna HAproxy",
    "pcs constraint location HAproxy prefers master-cr",
    "pcs status",
    "pcs config",
    "pcs constraint show",
    "pcs cluster stop --all",
    "pcs cluster start --all",
    "ip addr show",
    "GATEWAY=10.0.100.200/' /etc/sysconfig/network-scripts/ifcfg-enp0s3",
    "systemctl restart network",
    "curl -fsS http://192.168.1.200/index.php",
    "VBoxManage natnetwork modify --netname red-nat-1 --port-forward-4 'http2:tcp:[]:5280:[192.168.1.200]:80'",
    "systemctl stop haproxy",
    "yum install -y httpd-tools",
    "ab -n 100 -c 10 http://192.168.1.200/index.php",
    "yum install -y epel-release",
    "yum install -y siege",
    "siege -c 10 -r 100 http://192.168.1.200/index.php",
    "cat > /var/www/html/pi.php <<'EOF'\n<html>\n<body>\n<?php\n\n$start=microtime(true);",
    "ab -n 100 -c 10 -r 'http://192.168.1.200/pi.php?n=1000000'",
]


def test_rhel7_plan_has_every_guide_command_in_order():
    stream = "\n\x00\n".join(a.command for a in actions(Answers(), "rhel7"))
    pos = 0
    for needle in GUIDE_RHEL7:
        found = stream.find(needle, pos)
        assert found >= 0, f"not found (in order) after offset {pos}: {needle!r}"
        pos = found + len(needle)


def test_rhel7_errata_fixed_and_flagged():
    acts = actions(Answers(), "rhel7")
    everything = "\n".join(t for a in acts for t in texts(a))
    for wrong in ("enable -all", "haproxy.cnf", "enpos3", "HProxy", "UUID=", "--help", "passwd hacluster"):
        assert wrong not in everything, wrong
    flagged = {a.id for a in acts if a.erratum}
    assert {"cluster_setup.enable", "resources.haproxy_cfg", "gateway.set.cluster2", "pcs_auth.auth",
            "standby_clone.clonevm.standby", "verification.ab_pi"} <= flagged
    errata = " ".join(e.en for m in SECTIONS for e in m.ERRATA)
    for word in ("-all", "haproxy.cnf", "enpos3", "HProxy", "UUID", "--help", "-u hacluster", "siege"):
        assert word in errata, word


def test_rhel7_golden_listing():
    listing = render_listing(Answers(), get_profile("rhel7"))
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(listing, encoding="utf-8")
    assert listing == GOLDEN.read_text(encoding="utf-8"), "plan changed: review, then UPDATE_GOLDEN=1"


# -- nothing hard-coded ----------------------------------------------------------------------------

GUIDE_DEFAULTS = [
    "master", "standby", "cluster1", "cluster2", "cluster3", "cluster4", "cluster_lb", "preHA",
    "192.168.1.", "10.0.100.", "10.0.200.", "enp0s3", "enp0s8", "enp0s9", "latido", "red-nat-1",
    "08:00:27:01:01:C1", "0800270101C1", "08:00:27:01:01:C2", "0800270101C2", "080027010102", "080027010202",
    "82545EM", "5280", "master-cr", "standby-cr", "255.255.255.0", "/24",
]


@pytest.mark.parametrize("profile", PROFILES)
def test_other_lab_plan_has_no_guide_default(profile):
    acts = actions(other_lab(), profile)
    for a in acts:
        for text in texts(a):
            low = text.lower()
            for value in GUIDE_DEFAULTS:
                assert value.lower() not in low, f"{a.id}: guide default {value!r} in {text!r}"
            assert not re.search(r"\.cluster\b", text), f"{a.id}: the guide's domain in {text!r}"
    commands = "\n".join(a.command for a in acts)
    # ... and the other lab's values are there instead.
    for value in ("vm-alpha", "web_ha", "before-ha", "alpha-hb", "beta-hb", "172.20.9.9", "10.77.0.100",
                  "eth2", "hbnet", "natnet" if profile == "x" else "natlab", "8088", "web-b", "ens18"):
        assert value in commands, value
    assert "cidr_netmask=16" in commands and "cidr_netmask=25" in commands


def test_vip_nic_left_out_when_directors_name_it_differently():
    a = other_lab()
    a.directors[1].external_if = "ens3"
    cmds = [x.command for x in actions(a, "rhel7") if x.id.startswith("resources.vip_")]
    assert " nic=" not in cmds[0] and " nic=eth1 " in cmds[1]


def test_shell_special_values_are_quoted():
    a = other_lab()
    a.snapshot_name = "pre HA; rm -rf /"
    a.virtualbox.natnetwork = "nat $(id)"
    cmds = "\n".join(x.command + "\n" + x.probe for x in actions(a, "rhel7"))
    assert "take 'pre HA; rm -rf /'" in cmds
    assert "--netname 'nat $(id)'" in cmds
    assert "take pre HA" not in cmds


# -- profiles ------------------------------------------------------------------------------------

def _cmds(profile: str) -> str:
    return "\n".join(a.command + "\n" + a.probe for a in actions(Answers(), profile))


@pytest.mark.parametrize("profile", ["rhel9", "debian12", "lab"])
def test_modern_pcs_syntax(profile):
    cmds = _cmds(profile)
    assert "pcs host auth master-cr standby-cr -u hacluster" in cmds
    assert "pcs cluster setup cluster_lb master-cr standby-cr --force" in cmds
    assert "pcs constraint config" in cmds and "pcs resource config VIP_externa" in cmds
    for old in ("pcs cluster auth", "--name cluster_lb", "pcs constraint show", "pcs resource show", "yum "):
        assert old not in cmds, old


def test_rhel9_syntax():
    cmds = _cmds("rhel9")
    assert "dnf config-manager --set-enabled highavailability" in cmds
    assert "dnf install -y pcs pacemaker" in cmds
    assert "nmcli connection add type ethernet con-name enp0s9 ifname enp0s9" in cmds
    assert "ipv4.addresses 192.168.1.102/24 ipv4.gateway 192.168.1.1 ipv4.dns 192.168.1.1" in cmds
    assert "nmcli connection up enp0s3 && nmcli connection up enp0s8 && nmcli connection up enp0s9" in cmds
    assert "nmcli connection modify enp0s3 ipv4.gateway 10.0.100.200" in cmds
    assert "firewall-cmd --permanent --add-service=high-availability" in cmds
    assert "network-scripts" not in cmds and "systemctl restart network" not in cmds


@pytest.mark.parametrize("profile", ["debian12", "lab"])
def test_debian_syntax(profile):
    acts = actions(Answers(), profile)
    cmds = "\n".join(a.command for a in acts)
    assert "apt-get -o DPkg::Lock::Timeout=120 install -y pcs pacemaker corosync" in cmds
    assert "cat > /etc/network/interfaces.d/enp0s3 <<'EOF'" in cmds
    assert "iface enp0s3 inet static\n    address 192.168.1.102/24\n    gateway 192.168.1.1\n" in cmds
    assert "address 10.0.100.12/24\n    gateway 10.0.100.200\n" in cmds  # the servers' new gateway
    assert "systemctl restart networking" in cmds
    for absent in ("firewall-cmd", "setsebool", "nmcli", "network-scripts", "yum ", "dnf "):
        assert absent not in cmds, absent
    haproxy = next(a for a in acts if a.id == "resources.haproxy")
    assert haproxy.command.endswith(("systemd:haproxy op monitor interval=5s", "lsb:haproxy op monitor interval=5s"))
    hostname = next(a for a in acts if a.id == "networking.hostname.standby").command
    assert hostname == ("echo standby > /etc/hostname && hostname standby" if profile == "lab"
                        else "hostnamectl set-hostname standby")


# -- secrets, network moves, probes ----------------------------------------------------------------

@pytest.mark.parametrize("profile", PROFILES)
def test_secrets_only_on_stdin(profile):
    acts = actions(Answers(), profile)
    with_secret = [a for a in acts if a.secrets and a.section != "access"]
    assert {a.id for a in with_secret} == {"pcs_auth.hacluster_password", "pcs_auth.auth"}
    # The access section feeds the wizard's public key the same way (stdin), nothing else.
    keys = [a for a in acts if a.section == "access" and a.secrets]
    assert keys and all(a.secrets == ("wizard_public_key",) and a.stdin == "{wizard_public_key}\n" for a in keys)
    for a in acts:
        for text in (a.command, a.probe, a.content, a.expect):
            assert "{hacluster_password}" not in text and "password" not in text.lower(), a.id
        if a.stdin and not a.secrets:  # a run-time value only (preflight's clock check)
            assert a.stdin == "{now}\n", a.id
        elif a.stdin:
            assert all(f"{{{s}}}" in a.stdin for s in a.secrets), a.id
    pw = next(a for a in acts if a.id == "pcs_auth.hacluster_password")
    assert (pw.command, pw.stdin) == ("chpasswd", "hacluster:{hacluster_password}\n")
    auth = next(a for a in acts if a.id == "pcs_auth.auth")
    assert auth.stdin == "{hacluster_password}\n" and " -p" not in auth.command


def test_clone_reached_at_masters_address_until_its_network_moves():
    a = other_lab()
    acts = actions(a, "rhel7")
    net = [x for x in acts if x.section == "networking" and x.target.nodes == ("beta",)]
    restart = next(x for x in net if x.id == "networking.restart_network.beta")
    before = net[: net.index(restart)]
    after = net[net.index(restart) + 1:]
    assert before and all(x.via_address == "172.20.0.11" for x in before)
    assert restart.via_address == "172.20.0.11" and restart.reconnect_to == "172.20.0.12"
    assert restart.disrupts_network
    assert after and all(not x.via_address for x in after)
    # master is started again only after the clone left its addresses, then the ring is pinged.
    ids = [x.id for x in acts]
    assert ids.index("networking.restart_network.beta") < ids.index("networking.startvm.vm-alpha") \
        < ids.index("networking.ping_ring.beta")
    assert all(x.disrupts_network for x in acts if "restart_network" in x.id)


@pytest.mark.parametrize("profile", PROFILES)
def test_non_idempotent_actions_have_probes(profile):
    acts = actions(Answers(), profile)
    for a in acts:
        if not a.idempotent:
            assert a.probe, a.id
    must = re.compile(r"pcs resource create|pcs constraint (colocation add|order set|location)|pcs cluster setup"
                      r"|clonevm|snapshot \S+ take|natnetwork modify|startvm|acpipowerbutton")
    guarded = [a for a in acts if must.search(a.command)]
    assert len(guarded) >= 15
    for a in guarded:
        if "failover" in a.tags:
            # Verification tests re-run as a whole: a power command there is guarded inline (make sure it runs)
            # or follows a precondition on the VM's state that refuses the measurement (exit 3, no figure).
            lines = a.command.splitlines()
            for i, line in enumerate(lines):
                if re.search(r"startvm|controlvm \S+ poweroff", line):
                    guarded = "VMState" in line and "||" in line
                    vm = re.search(r"(?:startvm|controlvm) (\S+)", line).group(1)
                    before = lines[:i]
                    refused = any("VMState" in x and f" {vm} " in x for x in before) and any(
                        x.strip().endswith("exit 3") for x in before)
                    assert guarded or refused, (a.id, line)
            assert a.host is not None, a.id  # and the wizard does it in Python
            continue
        assert a.probe and not a.idempotent, a.id


def _sh(cmd: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


@pytest.mark.skipif(not shutil.which("pcs") or not shutil.which("cibadmin"), reason="needs pcs and cibadmin")
def test_pcs_probes_against_a_real_cib(tmp_path):
    """Each resource/constraint probe says "not done" before its command and "done" after, on a real CIB
    file (pcs -f / CIB_file): the probes parse what pcs really writes."""
    cib = tmp_path / "cib.xml"
    cib.write_text(subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True, check=True).stdout)
    env = {"CIB_file": str(cib)}
    acts = [a for a in actions(other_lab(), "lab")  # lsb:haproxy: an agent this machine has
            if a.id.startswith(("resources.vip_", "resources.haproxy", "constraints."))
            and a.probe and not a.idempotent]
    assert [a.id.split(".")[1] for a in acts] == ["vip_externa", "vip_interna", "haproxy", "colocation_vips",
                                                  "colocation_haproxy", "order", "location"]
    for a in acts:
        probe = a.probe.replace("pcs ", f"pcs -f {cib} ")
        assert _sh(probe, env).returncode != 0, f"{a.id}: probe says done before running"
        run = _sh(a.command.replace("pcs ", f"pcs -f {cib} ", 1) + " --force" * ("location" in a.id), env)
        assert run.returncode == 0, (a.id, run.stderr)
        assert _sh(probe, env).returncode == 0, f"{a.id}: probe says not done after running"


def _run_write(a: Action, tmp_path: Path) -> Path:
    target = tmp_path / Path(a.path).name
    cmd = a.command.replace(f"cat > {a.path} <<", f"cat > {target} <<", 1)
    if "mkdir -p" in cmd:
        cmd = cmd.replace(f"mkdir -p {Path(a.path).parent}", f"mkdir -p {tmp_path}")
    res = _sh(cmd)
    assert res.returncode == 0, (a.id, res.stderr)
    return target


@pytest.mark.parametrize("profile", ["rhel7", "debian12"])
def test_write_commands_write_exactly_their_content(profile, tmp_path):
    writes = [a for a in actions(other_lab(), profile) if a.kind == "write" and a.path != "/etc/hosts"]
    assert len(writes) >= 6
    for a in writes:
        assert a.command.startswith((f"cat > {a.path} <<'EOF'\n", "mkdir -p ")), a.id
        assert _run_write(a, tmp_path).read_text() == a.content, a.id


def test_hosts_block_applied_twice_never_duplicates(tmp_path):
    acts = actions(Answers(), "rhel7")
    hosts = [a for a in acts if a.path == "/etc/hosts"]
    assert [a.id for a in hosts] == ["nic_add.hosts.master", "networking.hosts.standby"]
    a = hosts[0]
    f = tmp_path / "hosts"
    original = "127.0.0.1 localhost\n10.0.100.12 cluster2\n"
    f.write_text(original)
    cmd = a.command.replace("/etc/hosts", str(f))
    for _ in range(2):
        assert _sh(cmd).returncode == 0
        text = f.read_text()
        lines = [x for x in text.splitlines() if x.strip()]
        assert len(lines) == len(set(lines)), text
        assert text == original + a.content
    # A changed block (other answers) replaces the old one and keeps the rest.
    other = next(x for x in actions(other_lab(), "rhel7") if x.path == "/etc/hosts")
    f.write_text(text + "192.0.2.1 after\n")
    assert _sh(other.command.replace("/etc/hosts", str(f))).returncode == 0
    new = f.read_text()
    assert new == original + "192.0.2.1 after\n" + other.content
    assert "master-cr" not in new and new.count("# BEGIN ha-wizard") == 1
    assert not (tmp_path / "hosts.ha-wizard").exists()


def test_rhel7_gateway_edit_on_a_copy(tmp_path):
    a = next(x for x in actions(Answers(), "rhel7") if x.id == "gateway.set.cluster3")
    path = "/etc/sysconfig/network-scripts/ifcfg-enp0s3"
    f = tmp_path / "ifcfg-enp0s3"
    f.write_text("TYPE=Ethernet\nIPADDR=10.0.100.13\nGATEWAY=10.0.100.1\nNM_CONTROLLED=no\n")
    probe = a.probe.replace(path, str(f))
    assert _sh(probe).returncode == 1
    for _ in range(2):
        assert _sh(a.command.replace(path, str(f))).returncode == 0
        assert f.read_text() == "TYPE=Ethernet\nIPADDR=10.0.100.13\nGATEWAY=10.0.100.200\nNM_CONTROLLED=no\n"
    assert _sh(probe).returncode == 0
    f.write_text("TYPE=Ethernet\n")  # no GATEWAY line at all: one is added
    assert _sh(a.command.replace(path, str(f))).returncode == 0
    assert f.read_text() == "TYPE=Ethernet\nGATEWAY=10.0.100.200\n"


@pytest.mark.skipif(not shutil.which("ifquery"), reason="needs ifupdown")
def test_debian_interface_files_parse_with_ifupdown(tmp_path):
    acts = [a for a in actions(Answers(), "debian12") if a.path.startswith("/etc/network/interfaces.d/")]
    assert len(acts) == 7  # master's heartbeat, standby's three, three servers
    for a in acts:
        f = _run_write(a, tmp_path)
        ifname = Path(a.path).name
        res = subprocess.run(["ifquery", "-i", str(f), ifname], capture_output=True, text=True, timeout=30)
        assert res.returncode == 0, res.stderr
        assert "address:" in res.stdout


def test_expect_regexes_match_real_looking_output():
    acts = {a.id: a for a in actions(Answers(), "debian12")}
    status = ("Cluster name: cluster_lb\nNode List:\n  * Online: [ master-cr standby-cr ]\n\nFull List of Resources:\n"
              "  * VIP_externa\t(ocf:heartbeat:IPaddr2):\t Started master-cr\n"
              "  * VIP_interna\t(ocf:heartbeat:IPaddr2):\t Started master-cr\n"
              "  * HAproxy\t(systemd:haproxy):\t Started master-cr\n")
    assert re.search(acts["cluster_setup.status"].expect, status)
    assert re.search(acts["constraints.running"].expect, status)
    assert not re.search(acts["constraints.running"].expect, status.replace("HAproxy\t(systemd:haproxy):\t Started",
                                                                           "HAproxy\t(systemd:haproxy):\t Stopped"))
    assert not re.search(acts["cluster_setup.status"].expect, status.replace(" standby-cr ]", " ]"))
    ip = ("2: enp0s3: <BROADCAST>\n    inet 192.168.1.101/24 brd 192.168.1.255 scope global enp0s3\n"
          "    inet 192.168.1.200/24 brd 192.168.1.255 scope global secondary enp0s3\n"
          "3: enp0s8: <BROADCAST>\n    inet 10.0.100.200/24 scope global secondary enp0s8\n")
    assert re.search(acts["constraints.vips.master"].expect, ip)
    assert not re.search(acts["constraints.vips.master"].expect, ip.replace("10.0.100.200/24", "10.0.100.1/24"))
    assert re.search(acts["nic_add.find_nic.master"].expect,
                     "4: enp0s9: <BROADCAST,MULTICAST> mtu 1500 link/ether 08:00:27:01:01:c1 brd ff:ff:ff:ff:ff:ff")
    assert not re.search(acts["nic_add.find_nic.master"].expect, "4: eth2: <BROADCAST> link/ether 08:00:27:01:01:c1")
    assert re.search(acts["gateway.route.cluster2"].expect, "default via 10.0.100.200 dev enp0s3 onlink\n")
    assert not re.search(acts["gateway.route.cluster2"].expect, "default via 10.0.100.2000 dev enp0s3\n")
    assert re.search(acts["cluster_setup.members"].expect,
                     "runtime.members.1.ip (str) = r(0) ip(10.0.200.1)\nruntime.members.2.ip (str) = r(0) ip(10.0.200.2)")


def _resolve(obj, path: str) -> None:
    """Follow `a.b[0].c` / `a[].c` on the answers; raises AttributeError/IndexError when it doesn't exist."""
    for part in path.split("."):
        m = re.fullmatch(r"(\w+)(\[(\d*)\])?", part)
        assert m, path
        obj = getattr(obj, m.group(1))
        if m.group(2):
            obj = obj[int(m.group(3))] if m.group(3) else obj[0]


def test_uses_name_real_answer_fields():
    a = Answers()
    for m in SECTIONS:
        for path in m.USES:
            _resolve(a, path)


def test_heredoc_survives_an_eof_line(tmp_path):
    from steps._common import heredoc
    content = "a\nEOF\nb $HOME `id`\n"
    cmd = heredoc(str(tmp_path / "f"), content)
    assert "<<'EOF_'" in cmd
    assert _sh(cmd).returncode == 0 and (tmp_path / "f").read_text() == content


def test_snapshot_restore_actions_cover_every_vm():
    from steps import snapshot
    acts = snapshot.restore_actions(other_lab(), get_profile("rhel7"))
    assert [a.id for a in acts] == ["snapshot.restore.vm-alpha", "snapshot.restore.vm-beta",
                                    "snapshot.restore.vm-web-a", "snapshot.restore.vm-web-b"]
    assert all("snapshot vm-" in a.command and "restore before-ha" in a.command and a.target.is_local for a in acts)


def test_debian_sample_corosync_conf_is_set_aside_once(tmp_path):
    """Run against a copy of Debian's real shipped corosync.conf; a cluster's own config is left alone."""
    shipped = Path("/etc/corosync/corosync.conf")
    if not shipped.exists() or "cluster_name: debian" not in shipped.read_text():
        pytest.skip("needs Debian's corosync package (scripts/install-deps.sh)")
    [action] = [a for a in pcs_auth.plan(Answers(profile="debian12"), get_profile("debian12"))
                if a.id == "pcs_auth.default_corosync_conf"]
    conf = tmp_path / "corosync.conf"
    conf.write_text(shipped.read_text())
    cmd = action.command.replace("/etc/corosync/corosync.conf", str(conf))
    for _ in range(2):  # re-running is harmless
        assert subprocess.run(["sh", "-c", cmd], timeout=10).returncode == 0
    assert not conf.exists() and (tmp_path / "corosync.conf.dist").read_text() == shipped.read_text()
    conf.write_text("totem {\n    cluster_name: cluster_lb\n}\n")
    assert subprocess.run(["sh", "-c", cmd], timeout=10).returncode == 0 and conf.exists()
    assert not [a for a in pcs_auth.plan(Answers(profile="lab"), get_profile("lab")) if "corosync.conf" in a.command]


# -- what a student reads for an action ------------------------------------------------------------

def every_action(answers: Answers) -> list[Action]:
    """Every profile's plan and the side section that goes back to the snapshot."""
    from steps import undo

    out: list[Action] = []
    for profile in ("rhel7", "rhel8", "rhel9", "rhel10", "debian12", "lab"):
        out += actions(answers, profile) + undo.plan(answers, get_profile(profile))
    return out


@pytest.mark.parametrize("answers", [Answers(), other_lab()], ids=["guide", "other"])
def test_every_action_has_a_short_title_in_both_languages_and_never_its_id(answers: Answers) -> None:
    """Lists, the output, the failure box and the dialogs name an action by its title (docs: issue 21's
    internal names on the screen): each has one, short enough for a table column at 80 columns (no longer than the ids it replaces, give or take)."""
    for a in every_action(answers):
        assert a.title and a.title_es, f"{a.id}: no title"
        assert len(a.title) <= 34 and len(a.title_es) <= 34, (a.id, a.title, a.title_es)
        name = a.id.split(".")[1]
        for title in (a.title, a.title_es):  # a program's name (crm_verify) is a word the student types
            assert a.id not in title and not ("_" in name and name in title and name not in a.command), (a.id, title)
        assert a.label("es") == a.title_es and a.label("en") == a.title
    # Without a title the why stands in (a plan of someone else's): never the id.
    bare = Action(id="x.some_step", kind="run", target=Target.local(), command="true", why="Why.", why_es="Por qué.")
    assert (bare.label("en"), bare.label("es")) == ("Why.", "Por qué.")


def test_spanish_texts_write_cluster_with_its_accent_and_name_sections_by_title() -> None:
    """One spelling for Spanish ("clúster", as the RAE writes it), and no "section N" in a student's text: the
    wizard's numbers are not the guide's (preflight and access come first), so a number would point elsewhere."""
    from steps import undo
    from wizard.base.i18n import STRINGS

    spanish = {f"catalogue {k}": es for k, (_en, es) in STRINGS.items()}
    english = {f"catalogue {k}": en for k, (en, _es) in STRINGS.items()}
    for profile in ("rhel7", "rhel8", "debian12", "lab"):
        answers = Answers(profile=profile)
        for module, acts in full_plan(answers, get_profile(profile)):
            spanish[f"{module.ID} title"], english[f"{module.ID} title"] = module.TITLE.es, module.TITLE.en
            spanish[f"{module.ID} explanation"] = module.EXPLANATION.es
            english[f"{module.ID} explanation"] = module.EXPLANATION.en
            for a in [*acts, *undo.plan(answers, get_profile(profile))]:
                for field in ("why", "title", "on_fail", "awaits", "instructions", "erratum"):
                    spanish[f"{a.id} {field}"] = getattr(a, f"{field}_es")
                    english[f"{a.id} {field}"] = getattr(a, field)

    def prose(text: str) -> str:  # commands and names stay as they are: `pcs cluster`, cluster_lb, cluster2
        return re.sub(r"pcs cluster\b", "", re.sub(r"`[^`]*`", "", text))

    unaccented = {k: v for k, v in spanish.items() if re.search(r"(?<![\w-])cluster(?![\w-])", prose(v))}
    assert not unaccented, unaccented
    numbered = {k: v for k, v in {**spanish, **english}.items()
                if re.search(r"\b(section|sección|secciones) \d", v, re.I) and "{n}" not in v}
    assert not numbered, numbered
