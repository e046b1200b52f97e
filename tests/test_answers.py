"""The answers file: the guide's defaults, TOML round trip, and clear errors for bad files."""

import dataclasses

import pytest

from wizard.base.answers import (
    Answers,
    AnswersError,
    answers_from_dict,
    dumps_answers,
    load_answers,
    mac_colon,
    mac_plain,
)


def test_defaults_are_the_guides_values():
    a = Answers()
    assert (a.profile, a.cluster_name, a.snapshot_name, a.domain) == ("rhel7", "cluster_lb", "preHA", "cluster")
    assert [d.name for d in a.directors] == ["master", "standby"]
    assert a.master.aliases == ["cluster1"] and a.master.ring_name == "master-cr"
    assert (a.master.external_ip, a.master.internal_ip, a.master.heartbeat_ip) == ("192.168.1.101", "10.0.100.1",
                                                                                    "10.0.200.1")
    assert (a.standby.external_ip, a.standby.internal_ip, a.standby.heartbeat_ip) == ("192.168.1.102", "10.0.100.2",
                                                                                      "10.0.200.2")
    assert [(s.name, s.ip) for s in a.servers] == [("cluster2", "10.0.100.12"), ("cluster3", "10.0.100.13"),
                                                   ("cluster4", "10.0.100.14")]
    assert (a.vip.external, a.vip.internal) == ("192.168.1.200", "10.0.100.200")
    assert (a.virtualbox.natnetwork, a.virtualbox.heartbeat_network, a.virtualbox.nic_type,
            a.virtualbox.host_port) == ("red-nat-1", "latido", "82545EM", 5280)
    assert mac_plain(a.standby.heartbeat_mac) == "0800270101C2"


def test_toml_round_trip_keeps_every_value(tmp_path):
    a = Answers()
    a.servers = a.servers[:2]
    a.directors[1].aliases = ["cluster5", "backup"]
    a.virtualbox.host_port = 8080
    path = tmp_path / "answers.toml"
    path.write_text(dumps_answers(a))
    assert load_answers(path) == a
    text = path.read_text()
    # The contract's layout: real [[directors]] / [[servers]] tables, no inline arrays of tables.
    assert text.count("[[directors]]") == 2 and text.count("[[servers]]") == 2
    assert "hacluster" not in text and "password" not in text


def test_partial_file_takes_defaults_for_the_rest(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text('profile = "lab"\n[vip]\nexternal = "192.168.1.250"\n')
    a = load_answers(path)
    assert a.profile == "lab" and a.vip.external == "192.168.1.250" and a.vip.internal == "10.0.100.200"
    assert a.directors == Answers().directors


@pytest.mark.parametrize("text, message", [
    ('profile = 3\n', "profile: expected a string, got 3"),
    ('clustername = "x"\n', "clustername: unknown key"),
    ('[networks]\nexternall = "x"\n', "networks.externall: unknown key"),
    ('[[servers]]\nname = "a"\nvm = "a"\n', "servers[0].ip: missing"),
    ('[[directors]]\nname = "a"\n', "directors[0]."),
    ('ssh_port = "22"\n', "ssh_port: expected an integer"),
    ('servers = 3\n', "servers: expected an array of tables"),
    ('profile = \n', "not valid TOML"),
])
def test_bad_files_name_the_field(tmp_path, text, message):
    path = tmp_path / "a.toml"
    path.write_text(text)
    with pytest.raises(AnswersError) as err:
        load_answers(path)
    assert message in str(err.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(AnswersError, match="No such file"):
        load_answers(tmp_path / "nope.toml")


def test_mac_spellings():
    assert mac_plain("08:00:27:01:01:c1") == "0800270101C1"
    assert mac_colon("0800270101c1") == "08:00:27:01:01:C1"


def test_answers_from_dict_does_not_share_defaults():
    a = answers_from_dict({})
    b = answers_from_dict({})
    a.directors[0].aliases.append("x")
    assert b.directors[0].aliases == ["cluster1"]
    assert dataclasses.asdict(answers_from_dict({"cluster_name": "lb2"}))["cluster_name"] == "lb2"
