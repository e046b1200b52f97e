"""Each validation rule, with the message it gives (field named, problem said)."""

import pytest

from wizard.base.answers import Answers, Server
from wizard.base.validation import problems_for, validate


def _problems(mutate) -> list[str]:
    a = Answers()
    mutate(a)
    return [str(p) for p in validate(a)]


def test_guide_defaults_are_valid():
    assert validate(Answers()) == []


def _set(path: str, value):
    def mutate(a):
        obj = a
        *parts, last = path.split(".")
        for part in parts:
            obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
        if last.isdigit():
            obj[int(last)] = value
        else:
            setattr(obj, last, value)
    return mutate


@pytest.mark.parametrize("path, value, expected", [
    ("directors.0.external_ip", "10.0.100.50", "directors[0].external_ip: 10.0.100.50 is not inside Networks · External (192.168.1.0/24)"),
    ("directors.1.heartbeat_ip", "10.0.200.255", "directors[1].heartbeat_ip: 10.0.200.255 is the network or broadcast address of 10.0.200.0/24"),
    ("servers.0.ip", "10.0.100.300", "servers[0].ip: '10.0.100.300' is not an IPv4 address"),
    ("networks.internal", "10.0.100.1/24", "networks.internal: '10.0.100.1/24' is not a network in CIDR form"),
    ("networks.heartbeat", "10.0.0.0/16", "networks.heartbeat: 10.0.0.0/16 overlaps Networks · Internal (10.0.100.0/24)"),
    ("networks.external_gateway", "192.168.2.1", "networks.external_gateway: 192.168.2.1 is not inside Networks · External"),
    ("vip.external", "10.0.100.200", "vip.external: 10.0.100.200 is not inside Networks · External (192.168.1.0/24)"),
    ("vip.internal", "10.0.100.12", "vip.internal: 10.0.100.12 is already the real address of cluster2 · IP; a floating IP must be free"),
    ("vip.external", "192.168.1.101", "vip.external: 192.168.1.101 is already the real address of master · External IP"),
    ("servers.1.ip", "10.0.100.12", "servers[1].ip: 10.0.100.12 is already used by cluster2 · IP"),
    ("directors.1.internal_ip", "10.0.100.1", "directors[1].internal_ip: 10.0.100.1 is already used by master · Internal IP"),
    ("directors.0.heartbeat_mac", "08:00:27:01:01", "directors[0].heartbeat_mac: '08:00:27:01:01' is not a MAC address"),
    ("directors.0.heartbeat_mac", "0900270101C1", "directors[0].heartbeat_mac: 0900270101C1 is a multicast address"),
    ("directors.0.heartbeat_mac", "08:00:27:01:01:C2", "directors[1].heartbeat_mac: MAC 0800270101C2 is already used by master · Heartbeat MAC"),
    ("virtualbox.standby_macs.0", "0800270101c1", "virtualbox.standby_macs[0]: MAC 0800270101C1 is already used by master · Heartbeat MAC"),
    ("virtualbox.standby_macs.2", "0800270101C3", "virtualbox.standby_macs[2]: 0800270101C3 differs from standby · Heartbeat MAC"),
    ("directors.0.heartbeat_if", "enp0s9-heartbeat-1", "directors[0].heartbeat_if: 'enp0s9-heartbeat-1' is not an interface name: 18 characters"),
    ("servers.2.ifname", "eth/0", "servers[2].ifname: 'eth/0' is not an interface name: '/' cannot be in one"),
    ("directors.0.external_if", "192.168.1.102", "directors[0].external_if: '192.168.1.102' is an address, not an interface name"),
    ("directors.0.external_if", "eth1;reboot", "directors[0].external_if: 'eth1;reboot' is not an interface name: ';' cannot be in one"),
    ("directors.0.internal_if", "enp0s3", "directors[0].internal_if: enp0s3 is already master · External NIC"),
    ("directors.0.name", "-master", "directors[0].name: '-master' is not a valid host name"),
    ("directors.1.ring_name", "standby cr", "directors[1].ring_name: 'standby cr' is not a valid host name"),
    ("servers.0.name", "master", "master · Host name"),  # clash reported on the later field
    ("cluster_name", "my cluster;rm", "cluster_name: 'my cluster;rm' is not a valid cluster name"),
    ("domain", "clu ster", "domain: 'clu ster' is not a valid DNS domain"),
    ("ssh_port", 0, "ssh_port: 0 is not a TCP port (1-65535)"),
    ("virtualbox.host_port", 70000, "virtualbox.host_port: 70000 is not a TCP port (1-65535)"),
    ("virtualbox.nic_type", "e1000", "virtualbox.nic_type: 'e1000' is not a VirtualBox NIC type"),
    ("profile", "centos", "profile: 'centos' is not a profile"),
    ("bench_concurrency", 500, "bench_concurrency: 500 concurrent requests is more than the 100 requests"),
    ("directors.0.vm", "-master", "directors[0].vm: '-master' starts with '-', which VBoxManage reads as an option"),
    ("virtualbox.natnetwork", "red\tnat", "virtualbox.natnetwork: 'red\\tnat' has characters that cannot be shown or typed (U+0009)"),
])
def test_rule_and_message(path, value, expected):
    problems = _problems(_set(path, value))
    assert any(expected in p for p in problems), problems


def test_name_clash_names_both_fields():
    problems = _problems(_set("servers.0.name", "master"))
    assert "servers[0].name: 'master' is already used by master · Host name" in problems


def test_exactly_two_directors_and_at_least_one_server():
    problems = _problems(lambda a: (a.directors.pop(), a.servers.clear()))
    assert "directors: exactly two directors are needed (active and passive), found 1" in problems
    assert "servers: at least one real server is needed" in problems


def test_both_mac_spellings_are_accepted():
    def mutate(a):
        a.directors[0].heartbeat_mac = "0800270101c1"
        a.virtualbox.standby_macs[2] = "08:00:27:01:01:c2"
    assert _problems(mutate) == []


def test_any_number_of_servers():
    def mutate(a):
        a.servers.append(Server(name="cluster5", vm="cluster5", ip="10.0.100.15"))
    assert _problems(mutate) == []


def test_messages_in_both_languages_name_the_other_field_as_the_inventory_does():
    a = Answers()
    a.servers[1].ip = "10.0.100.12"
    (problem,) = validate(a)
    assert problem.text("en") == "10.0.100.12 is already used by cluster2 · IP"
    assert problem.text("es") == "10.0.100.12 ya la usa cluster2 · IP"
    a = Answers()
    a.networks.internal = "10.0.100.1/24"
    texts = [p.text("es") for p in validate(a)]
    assert "'10.0.100.1/24' no es una red en forma CIDR: tiene bits de host (¿querías decir 10.0.100.0/24?)" in texts


def test_problems_for_selects_one_field_or_table():
    a = Answers()
    a.directors[0].external_ip = "1.2.3.4"
    a.servers[0].ip = "1.2.3.4"
    problems = validate(a)
    assert [p.field for p in problems_for(problems, "directors[0]")] == ["directors[0].external_ip"]
    assert {p.field for p in problems_for(problems, "servers[0].ip")} == {"servers[0].ip"}
