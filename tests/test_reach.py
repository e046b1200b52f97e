"""How the wizard reaches the nodes (pure): endpoint answers, their validation, the access section's actions,
the wizard's own key and the lab profile's default credentials."""

from __future__ import annotations

import os
import re
import shlex
import stat
from pathlib import Path

import paramiko
import pytest

from steps import full_plan
from steps.access import KEY_INSTALL, PUBLIC_KEY, forward_actions, key_actions
from steps.model import HostOp
from steps.profiles import get_profile
from wizard.base.answers import Answers, answers_from_dict, dumps_answers
from wizard.base.reach import describe, forwards, is_loopback, reach, split_address, web_forward_host
from wizard.base.validation import validate
from wizard.run.hostops import HostContext, natnetwork_rules, op_natnetwork_has_rule, op_natnetwork_rule_free
from wizard.run.keys import ensure_wizard_key, login_files, wizard_key_path, wizard_public_key


def fields(answers: Answers) -> dict[str, str]:
    return {p.field: p.message for p in validate(answers)}


# -- endpoints ------------------------------------------------------------------------------------------

def test_guide_defaults_reach_directors_through_forwards_and_servers_through_a_director():
    a = Answers()
    m, s = reach(a, "master"), reach(a, "standby")
    assert (m.kind, m.host, m.port, m.guest_ip, m.guest_port) == ("forward", "127.0.0.1", 2201, "192.168.1.101", 22)
    assert (s.kind, s.address, s.guest_ip) == ("forward", "127.0.0.1:2202", "192.168.1.102")
    assert m.rule == "ssh-master:tcp:[127.0.0.1]:2201:[192.168.1.101]:22"
    server = reach(a, "cluster3")
    assert (server.kind, server.address, server.jump) == ("jump", "10.0.100.13", ("master", "standby"))
    assert [r.node for r in forwards(a)] == ["master", "standby"]
    # The answers' own view agrees: what the steps use as via/reconnect addresses.
    assert (a.master.address, a.standby.address) == ("127.0.0.1:2201", "127.0.0.1:2202")


def test_a_plain_address_means_direct_and_needs_no_forward():
    a = Answers()
    a.directors[0].ssh_host, a.directors[0].ssh_port = "192.168.56.101", 0
    a.directors[1].ssh_host, a.directors[1].ssh_port = "", 0
    assert reach(a, "master").kind == reach(a, "standby").kind == "direct"
    assert reach(a, "master").address == "192.168.56.101" and reach(a, "standby").address == "192.168.1.102"
    assert forwards(a) == [] and forward_actions(a, get_profile("rhel7")) == []
    a.ssh_port = 2222  # the guests' sshd elsewhere: a direct address is dialled there
    assert reach(a, "master").address == "192.168.56.101:2222"


def test_old_answer_files_without_endpoints_stay_direct():
    data = {"directors": [{**d, "ssh_host": "", "ssh_port": 0} for d in Answers().to_dict()["directors"]]}
    for d in data["directors"]:
        del d["ssh_host"], d["ssh_port"]
    a = answers_from_dict(data)
    assert reach(a, "master") .kind == "direct" and reach(a, "master").host == "192.168.1.101"


def test_endpoint_answers_round_trip_through_toml():
    import tomllib

    a = Answers()
    a.directors[1].ssh_port = 2299
    back = answers_from_dict(tomllib.loads(dumps_answers(a)))
    assert (back.directors[1].ssh_host, back.directors[1].ssh_port) == ("127.0.0.1", 2299)


def _page_urls(answers: Answers) -> set[str]:
    """The web forward's URL wherever the verification section opens it on this machine."""
    plan = [a for _, acts in full_plan(answers, get_profile("lab")) for a in acts if a.id.startswith("verification.")]
    return {url for action in plan for text in (action.command or "", repr(action.host))
            for url in re.findall(r"http://[^/\s'\"]+:5280/index\.php", text)}


def test_the_web_forward_is_opened_where_the_directors_forwards_listen():
    """The guide's http://localhost:5280 by default; a lab instance of its own (directors' forwards on
    127.0.0.3) has its web forward there too; directors reached directly change nothing."""
    a = Answers(profile="lab")
    assert web_forward_host(a) == "localhost" and _page_urls(a) == {"http://localhost:5280/index.php"}
    for d in a.directors:
        d.ssh_host = "127.0.0.3"
    assert web_forward_host(a) == "127.0.0.3" and _page_urls(a) == {"http://127.0.0.3:5280/index.php"}
    direct = Answers(profile="lab")
    for d in direct.directors:
        d.ssh_host, d.ssh_port = "", 0
    assert web_forward_host(direct) == "localhost"


def test_address_helpers():
    assert split_address("127.0.0.1:2201") == ("127.0.0.1", 2201)
    assert split_address("10.0.100.12") == ("10.0.100.12", None)
    assert split_address("fe80::1") == ("fe80::1", None)
    assert is_loopback("127.0.0.1") and is_loopback("127.1.2.3") and is_loopback("localhost")
    assert not is_loopback("192.168.1.101") and not is_loopback("master")


def test_describe_says_which_way_in_both_languages():
    a = Answers()
    assert describe(a, "master", "en") == "port forward 127.0.0.1:2201 → 192.168.1.101:22 (NAT network red-nat-1)"
    assert describe(a, "master", "es") == "reenvío de puerto 127.0.0.1:2201 → 192.168.1.101:22 (red NAT red-nat-1)"
    assert describe(a, "cluster2", "en") == "through master, standby (ProxyJump) to 10.0.100.12:22"
    assert "a través de" in describe(a, "cluster2", "es")
    a.directors[0].ssh_host, a.directors[0].ssh_port = "", 0
    assert describe(a, "master", "es") == "directo a 192.168.1.101:22"


# -- validation -------------------------------------------------------------------------------------------

def test_defaults_are_valid():
    assert validate(Answers()) == []


def test_a_forward_needs_its_own_port_which_must_be_free():
    a = Answers()
    a.directors[0].ssh_port = 0
    assert "port forward" in fields(a)["directors[0].ssh_port"] and "not 22" in fields(a)["directors[0].ssh_port"]
    a = Answers()
    a.directors[1].ssh_port = 2201
    assert fields(a)["directors[1].ssh_port"] == "port 2201 is already used by master · SSH port"
    a.directors[1].ssh_host = "127.0.0.2"  # another loopback address: another socket, no clash
    assert "directors[1].ssh_port" not in fields(a)
    a = Answers()
    a.directors[0].ssh_port = 5280
    assert "VirtualBox · Host port forward" in fields(a)["directors[0].ssh_port"]
    a = Answers()
    a.directors[0].ssh_port = 70000
    assert "not a TCP port" in fields(a)["directors[0].ssh_port"]


def test_endpoint_hosts_are_addresses_or_names_and_servers_never_loopback():
    a = Answers()
    a.directors[0].ssh_host = "bad host;x"
    assert "neither an IPv4 address nor a host name" in fields(a)["directors[0].ssh_host"]
    a = Answers()
    a.directors[0].ssh_host, a.directors[0].ssh_port = "master.lab.example", 0
    assert validate(a) == []
    a = Answers()
    a.servers[1].ssh_host = "127.0.0.1"
    assert "through a director" in fields(a)["servers[1].ssh_host"]


def test_validation_messages_exist_in_spanish():
    from wizard.base.i18n import STRINGS

    for key in ("val.forward_port", "val.port_used", "val.server_loopback", "val.ssh_host", "val.ssh_port",
                "reach.forward", "reach.direct", "reach.jump", "ssh.auth_failed", "ssh.unreachable",
                "ssh.hint_forward_refused", "ssh.hint_forward_dead", "ssh.hint_direct", "ssh.hint_jump",
                "ssh.ask_password", "ssh.key_done"):
        en, es = STRINGS[key]
        assert en and es and en != es, key


# -- the access section -----------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", ["rhel7", "rhel9", "debian12", "lab"])
def test_the_forwards_are_the_plans_first_actions_before_any_ssh(profile):
    plan = full_plan(Answers(), get_profile(profile))
    actions = [a for _, acts in plan for a in acts]
    assert [a.id for a in actions[:4]] == ["preflight.forward_clear.master", "preflight.forward.master",
                                           "preflight.forward_clear.standby", "preflight.forward.standby"]
    assert actions[1].argv == forward_actions(Answers(), get_profile(profile))[1].argv
    assert all(not a.target.is_local for a in actions if a.section == "access")
    assert [m.ID for m, _ in plan][:2] == ["preflight", "access"]  # the key after the read-only checks


def test_forward_actions_are_argv_with_python_probes_and_a_faithful_rendering():
    a = Answers()
    acts = forward_actions(a, get_profile("rhel7"))
    assert [x.id for x in acts] == ["access.forward_clear.master", "access.forward.master",
                                    "access.forward_clear.standby", "access.forward.standby"]
    add = acts[1]
    assert add.argv == ("VBoxManage", "natnetwork", "modify", "--netname", "red-nat-1", "--port-forward-4",
                        "ssh-master:tcp:[127.0.0.1]:2201:[192.168.1.101]:22")
    assert shlex.split(add.command) == list(add.argv)
    assert add.host_probe == HostOp.of("natnetwork_has_rule", netname="red-nat-1", rule=add.argv[-1])
    clear = acts[0]
    assert clear.argv[-2:] == ("delete", "ssh-master") and shlex.split(clear.command) == list(clear.argv)
    assert clear.host_probe.op == "natnetwork_rule_free" and not clear.idempotent and not add.idempotent
    # The rendering names the answers' VBoxManage (the lab's stand-in); the argv stays VBoxManage (resolved at
    # run time).
    a.virtualbox.vboxmanage = "/opt/vbox dir/VBoxManage"
    named = forward_actions(a, get_profile("lab"))[1]
    assert named.command.startswith("'/opt/vbox dir/VBoxManage' natnetwork modify") and named.argv == add.argv


@pytest.mark.parametrize("profile", ["rhel7", "lab"])
def test_only_waits_for_a_booting_node_wait_long_for_it(profile):
    """The engine waits long only for a node that is coming back (after startvm); every other remote wait
    gives up on an address where nothing answers after a few tries (wizard/run/engine.py)."""
    from steps.access import NODE_RETURNS

    acts = [a for _, xs in full_plan(Answers(), get_profile(profile)) for a in xs]
    returning = {a.id for a in acts if NODE_RETURNS in a.tags}
    boots = {a.id for a in acts if ".wait_ssh." in a.id}
    assert boots and returning == boots
    assert all(a.kind == "wait" and not a.target.is_local for a in acts if a.id in returning)


PROFILES = ["rhel7", "rhel8", "rhel9", "rhel10", "debian12", "debian13", "lab"]


@pytest.mark.parametrize("profile", PROFILES)
def test_every_node_coming_back_is_waited_for_long_and_only_then(profile):
    """Where a node goes away on purpose, the plan says it comes back, so the engine waits for it long:
    - a VM the plan boots (`startvm`) is followed at once by a wait on its node tagged NODE_RETURNS;
    - a network restart or reconnection is `disrupts_network` (the engine reconnects until its timeout);
    - nothing else carries the tag, so a node that should be up and does not answer is a bounded retry."""
    from steps.access import NODE_RETURNS

    answers = Answers()
    vm_node = {h.vm: h.name for h in [*answers.directors, *answers.servers]}
    acts = [a for _, xs in full_plan(answers, get_profile(profile)) for a in xs]
    tagged, restarts = set(), 0
    for i, a in enumerate(acts):
        if a.target.is_local and a.argv[1:2] == ("startvm",):
            after = acts[i + 1]
            assert after.kind == "wait" and after.target.nodes == (vm_node[a.argv[2]],), (a.id, after.id)
            assert NODE_RETURNS in after.tags and after.timeout >= 120, after.id
            tagged.add(after.id)
        remote = "" if a.target.is_local else a.command
        if any(word in remote for word in ("restart network", "restart networking", "nmcli connection up",
                                           "reboot", "ifdown", "ifup")):
            assert a.disrupts_network and a.timeout >= 120, a.id
            restarts += 1
    assert restarts >= 3  # heartbeat NICs on master and standby, the servers' gateway
    assert tagged and tagged == {a.id for a in acts if NODE_RETURNS in a.tags}


def test_key_install_on_master_and_servers_key_on_stdin_only():
    a = Answers()
    acts = key_actions(a, get_profile("rhel7"))
    assert [x.target.nodes[0] for x in acts] == ["master", "cluster2", "cluster3", "cluster4"]
    for x in acts:
        assert KEY_INSTALL in x.tags and x.secrets == (PUBLIC_KEY,) and x.stdin == "{wizard_public_key}\n"
        assert "ssh-ed25519" not in x.command and "authorized_keys" in x.command


def test_key_install_command_appends_once_with_sshd_modes(tmp_path):
    """The command itself, run by bash against a fake home: appended once, 700/600, idempotent."""
    import subprocess

    home = tmp_path / "home"
    home.mkdir()
    cmd = key_actions(Answers(ssh_user="student"), get_profile("rhel7"))[0].command
    # getent would find the machine's own user: give the test's home instead (the rest runs unchanged).
    cmd = cmd.replace('h=$(getent passwd "$u" | cut -d: -f6)', f"h={shlex.quote(str(home))}")
    cmd = cmd.replace('chown -R "$u:" "$h/.ssh"', "true")
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake ha-wizard@test"
    for _ in range(2):
        res = subprocess.run(["bash", "-c", cmd], input=key + "\n", capture_output=True, text=True, timeout=30)
        assert res.returncode == 0, res.stderr
    auth = home / ".ssh" / "authorized_keys"
    assert auth.read_text().splitlines() == [key]
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600 and stat.S_IMODE(auth.parent.stat().st_mode) == 0o700
    assert "'student'" in cmd or "u=student" in cmd


class FakeVBox:
    """`VBoxManage list natnetworks` as VirtualBox 7 prints it (two networks, rules under one)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def shown(self, argv):
        return " ".join(argv)

    def run_argv(self, argv, on_line, timeout, cancel=None, on_start=None):
        assert argv[1:] == ["list", "natnetworks"]
        for line in self.text.splitlines():
            on_line("stdout", line)
        return 0


LISTING = """Name:         other-net
Enabled:      Yes
Network:      10.0.2.0/24
Gateway:      10.0.2.1
DHCP Server:  Yes
IPv6:         No
IPv6 Prefix:  fd17:625c:f037:2::/64
IPv6 Default: No
Port-forwarding (ipv4)
        ssh-master:tcp:[]:3001:[10.0.2.15]:22

Name:         red-nat-1
Enabled:      Yes
Network:      192.168.1.0/24
Gateway:      192.168.1.1
DHCP Server:  No
IPv6:         No
IPv6 Prefix:  fd17:625c:f037:a801::/64
IPv6 Default: No
Port-forwarding (ipv4)
        http2:tcp:[]:5280:[192.168.1.200]:80
        ssh-master:tcp:[127.0.0.1]:2201:[192.168.1.9]:22
Loopback mappings (ipv4)
        127.0.0.1=2

"""


def test_natnetwork_rules_are_read_per_network():
    ctx = HostContext(FakeVBox(LISTING), 30, None, None)
    rules = natnetwork_rules(ctx)
    assert rules["other-net"] == ["ssh-master:tcp:[]:3001:[10.0.2.15]:22"]
    assert rules["red-nat-1"] == ["http2:tcp:[]:5280:[192.168.1.200]:80",
                                  "ssh-master:tcp:[127.0.0.1]:2201:[192.168.1.9]:22"]
    want = "ssh-master:tcp:[127.0.0.1]:2201:[192.168.1.101]:22"
    noop = lambda s, t: None  # noqa: E731
    # A rule of that name leads elsewhere (answers changed): not free, the clear action runs.
    assert op_natnetwork_rule_free(ctx, noop, None, 30, netname="red-nat-1", name="ssh-master", rule=want) == 1
    assert op_natnetwork_rule_free(ctx, noop, None, 30, netname="red-nat-1", name="ssh-standby", rule=want) == 0
    same = "ssh-master:tcp:[127.0.0.1]:2201:[192.168.1.9]:22"
    assert op_natnetwork_rule_free(ctx, noop, None, 30, netname="red-nat-1", name="ssh-master", rule=same) == 0
    assert op_natnetwork_has_rule(ctx, noop, None, 30, netname="red-nat-1", rule=same) == 0
    assert op_natnetwork_has_rule(ctx, noop, None, 30, netname="other-net", rule=same) == 1


# -- keys -------------------------------------------------------------------------------------------------

def test_wizard_key_is_made_once_private_and_loadable(tmp_path):
    path = ensure_wizard_key(tmp_path)
    assert path == wizard_key_path(tmp_path) and path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    key = paramiko.Ed25519Key.from_private_key_file(str(path))
    pub = wizard_public_key(tmp_path)
    assert pub.split()[:2] == [key.get_name(), key.get_base64()] and pub.split()[2].startswith("ha-wizard@")
    before = path.read_bytes()
    assert ensure_wizard_key(tmp_path) == path and path.read_bytes() == before  # never replaced


def test_the_answers_key_and_known_hosts_are_used_unless_given(tmp_path):
    lab_dir = tmp_path / "lab"
    lab_dir.mkdir()
    (lab_dir / "id_ed25519").write_text("k")
    (lab_dir / "known_hosts").write_text("h")
    lab = Answers(profile="lab", ssh_identity=str(lab_dir / "id_ed25519"), ssh_known_hosts=str(lab_dir / "known_hosts"))
    state = tmp_path / "state"
    assert login_files(lab, root=state) == ([str(lab_dir / "id_ed25519")], [str(lab_dir / "known_hosts")])
    assert login_files(Answers(profile="rhel7"), root=state) == ([], [])
    mine = tmp_path / "mine"
    assert login_files(lab, [str(mine)], [str(tmp_path / "kh")], root=state) == ([str(mine)],
                                                                                 [str(tmp_path / "kh")])
    ensure_wizard_key(state)
    ids, _ = login_files(Answers(profile="rhel7"), root=state)
    assert ids == [str(wizard_key_path(state))]
    missing = Answers(profile="lab", ssh_identity=str(tmp_path / "gone"))
    assert login_files(missing, root=state)[0] == [str(wizard_key_path(state))]  # a key that is not there: not offered
    if os.geteuid() != 0:  # an unreadable key is not offered
        (lab_dir / "id_ed25519").chmod(0)
        assert login_files(lab, root=state)[0] == [str(wizard_key_path(state))]


def test_engine_fills_in_the_public_key_and_asks_for_no_secret_of_its_own(tmp_path):
    from wizard.run.engine import Engine
    from wizard.session.state import Session

    session = Session.create("k", Answers(), "rhel7", root=tmp_path / "state")
    engine = Engine(session, {}, None)
    try:
        assert engine.secrets[PUBLIC_KEY] == wizard_public_key(tmp_path / "state")
        assert PUBLIC_KEY not in engine.needed_secrets()
        assert "hacluster_password" in engine.needed_secrets()
        assert str(wizard_key_path(tmp_path / "state")) in engine.ssh_options.identity_files
    finally:
        engine.close()
        session.release()
    assert Path(tmp_path / "state" / "ssh").is_dir()
