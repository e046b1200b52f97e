"""The engine against the lab's real sshd: directors through their NAT port forwards (the lab is NAT-only),
real servers only through a director, network changes that cut the connection, host keys, secrets on the node.

Uses the session's `lab_prepared`. For quick iterations against an already running lab, set
HA_WIZARD_TEST_RUNNING_LAB=1 (the default lab instance; or an instance name: the lab is then used as it is, and
left running).
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest

from steps.model import Action, Target
from wizard.run.engine import Engine, section
from wizard.run.events import OutputLine, Reconnecting
from wizard.run.hostkeys import HostKeyChanged, HostKeyTrust, HostKeyUnknown
from wizard.run.ssh import SSHConnection, SSHOptions, resolve_endpoint
from wizard.run.ssh_errors import AuthFailed, CommandTimeout
from wizard.session.state import Session

pytestmark = pytest.mark.lab
SECRET = "Lab-hacluster-secret-9917"


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest):
    name = os.environ.get("HA_WIZARD_TEST_RUNNING_LAB")  # "1": the default lab instance, else its name
    if name:
        from lab import Lab
        running = Lab(name="default" if name == "1" else name)
        if all(running.running(vm) for vm in running.vms()):
            return running
    return request.getfixturevalue("lab_prepared")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    (h / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(h))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return h


def make_engine(tmp_path: Path, lab, actions: list[Action], **kw) -> tuple[Engine, list]:
    events: list = []
    session = Session.create("lab", lab.answers, "lab", root=tmp_path / "state")
    engine = Engine(session, {"hacluster_password": SECRET}, None, events.append,
                    plan=[section("t", "Lab test", actions)], identity_files=[str(lab.key_path)],
                    known_hosts=[lab.known_hosts_path], **kw)
    engine.ssh_options.allow_agent = engine.ssh_options.look_for_keys = False
    return engine, events


def act(action_id: str, command: str, target: Target, **kw) -> Action:
    return Action(id=action_id, kind=kw.pop("kind", "run"), target=target, command=command, why="lab test", **kw)


def test_address_move_drops_the_connection_and_reconnects(tmp_path, lab, home) -> None:
    """master leaves its address for another (as the standby clone does), then comes back. The lab is a NAT
    network: the new address is reached through a port forward of its own, as the wizard's would be."""
    m = lab.answers.master
    gw = lab.answers.networks.external_gateway
    temp_ip = m.external_ip.rsplit(".", 1)[0] + ".111"
    port = 2290
    net = lab.answers.virtualbox.natnetwork
    lab.add_forward(net, f"ssh-temp:tcp:[]:{port}:[{temp_ip}]:22")
    temp = f"{lab.address}:{port}"  # where the lab instance listens

    def move(to: str) -> str:
        return (f"ip addr flush dev {m.external_if} && ip addr add {to}/24 dev {m.external_if} && "
                f"ip route replace default via {gw} dev {m.external_if} onlink && echo moved to {to}")

    away = act("t.away", move(temp_ip), Target.node("master"), disrupts_network=True, reconnect_to=temp,
               timeout=60, expect="moved to")
    check = act("t.where", "ip -o -4 addr show dev " + m.external_if, Target.node("master"), via_address=temp,
                kind="check", expect=temp_ip.replace(".", r"\."))
    back = act("t.back", move(m.external_ip), Target.node("master"), via_address=temp, disrupts_network=True,
               timeout=60)
    engine, events = make_engine(tmp_path, lab, [away, check, back])
    try:
        assert engine.run_action("t.away") == "ok", engine.session.record("t.away").error
        # The old connection is gone; the new one is at the new address, with master's known key
        # (accepted without --trust-new-hosts: the same key as the node had).
        assert [e.address for e in events if isinstance(e, Reconnecting)][0] == temp
        assert engine.run_action("t.where") == "ok"
        assert engine.run_action("t.back") == "ok", engine.session.record("t.back").error
        assert any("moved to " + m.external_ip in e.text for e in events if isinstance(e, OutputLine))
        how = {e["address"]: e["how"] for e in engine.session.trusted["master"]}
        assert how[temp].startswith("same key already trusted")
    finally:
        engine.close()
        lab.exec("master", move(m.external_ip) + " >/dev/null")  # whatever happened above
        lab.delete_forward(net, "ssh-temp")


def test_network_restart_survives(tmp_path, lab, home) -> None:
    restart = act("t.restart", "systemctl restart networking && ip -o -4 addr show", Target.node("standby"),
                  disrupts_network=True, timeout=90)
    after = act("t.after", "hostname", Target.node("standby"), kind="check", expect="^standby$")
    engine, events = make_engine(tmp_path, lab, [restart, after])
    try:
        assert engine.run_action("t.restart") == "ok", engine.session.record("t.restart").error
        assert any(lab.answers.standby.external_ip in e.text for e in events if isinstance(e, OutputLine))
        assert engine.run_action("t.after") == "ok"
    finally:
        engine.close()


def test_group_on_servers_through_the_director_names_the_failing_one(tmp_path, lab, home) -> None:
    servers = [s.name for s in lab.answers.servers]
    bad = servers[1]
    cmd = f'sleep 0.5; hostname; test "$(hostname)" != {bad}'
    engine, events = make_engine(tmp_path, lab, [act("t.grp", cmd, Target.of_group("servers", servers))])
    try:
        t0 = time.monotonic()
        assert engine.run_action("t.grp") == "failed"
        assert time.monotonic() - t0 < 1.4  # in parallel
        rec = engine.session.record("t.grp")
        assert rec.exit_codes == {s: (1 if s == bad else 0) for s in servers}
        assert rec.error == f"{bad}: exit status 1"
        assert {(e.node, e.text) for e in events if isinstance(e, OutputLine)} == {(s, s) for s in servers}
        assert all(engine.conns.get(s).endpoint.jump is not None for s in servers)
    finally:
        engine.close()


def test_commands_through_a_fresh_director_connection_are_fast(tmp_path, lab, home) -> None:
    """Regression: a director connection used only for tunnels keeps Nagle on in sshd (~40 ms/command)."""
    server = lab.answers.servers[0].name
    engine, _ = make_engine(tmp_path, lab, [act("t.fast", "true", Target.node(server))])
    try:
        conn = engine.conns.get(server)  # opens the director's connection only to tunnel through it
        times = []
        for _ in range(9):
            t0 = time.perf_counter()
            assert conn.run("true", on_line=lambda s, t: None) == 0
            times.append(time.perf_counter() - t0)
        assert sorted(times)[4] < 0.025, times  # median; unprimed it was ~0.044
    finally:
        engine.close()


def test_secret_not_in_the_nodes_process_arguments(tmp_path, lab, home) -> None:
    a = act("t.pw", "read -r line; sleep 2; test -n \"$line\" && echo fed", Target.node("master"),
            secrets=("hacluster_password",), stdin="hacluster:{hacluster_password}\n")
    engine, _ = make_engine(tmp_path, lab, [a])
    scans: list[str] = []
    scanner = threading.Thread(target=lambda: scans.append(lab.exec(
        "master", "for i in $(seq 30); do for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f 2>/dev/null; "
                  "echo; done; sleep 0.1; done", timeout=60).stdout))
    try:
        scanner.start()
        assert engine.run_action("t.pw") == "ok"
    finally:
        scanner.join()
        engine.close()
    assert "sleep 2" in scans[0]  # the scan saw the command running on the node
    assert SECRET not in scans[0]
    blobs = [p.read_bytes() for p in (tmp_path / "state").rglob("*") if p.is_file()]
    from wizard.exports.transcript import render
    blobs += [render(engine.session, "sh").encode(), render(engine.session, "md").encode()]
    assert not any(SECRET.encode() in b for b in blobs)


def _conn(tmp_path: Path, lab, trust: HostKeyTrust, **kw) -> SSHConnection:
    opts = SSHOptions(identity_files=[str(lab.key_path)], allow_agent=False, look_for_keys=False, **kw)
    return SSHConnection(resolve_endpoint("master", lab.answers.master.address, opts), opts, trust).connect()


def test_host_keys_unknown_and_changed(tmp_path, lab, home) -> None:
    fps = lab.host_fingerprints()
    with pytest.raises(HostKeyUnknown, match=re.escape(fps["master"])):
        _conn(tmp_path, lab, HostKeyTrust(wizard_file=tmp_path / "wk"))
    # standby's key filed under master's address: master's real key is then a *changed* key.
    standby_pub = (lab.hostdir("standby") / "disk/etc/ssh/ssh_host_ed25519_key.pub").read_text().split()
    wrong = tmp_path / "wrong_known_hosts"
    from wizard.base.reach import reach
    from wizard.run.hostkeys import known_hosts_name

    r = reach(lab.answers, "master")  # the forward ADDRESS:2201: known_hosts names it [ADDRESS]:2201
    wrong.write_text(f"{known_hosts_name(r.host, r.port)} {standby_pub[0]} {standby_pub[1]}\n")
    with pytest.raises(HostKeyChanged) as info:
        _conn(tmp_path, lab, HostKeyTrust(wizard_file=tmp_path / "wk2", user_files=[wrong], trust_new_hosts=True))
    assert fps["master"] in str(info.value) and fps["standby"] in str(info.value)


def test_timeout_and_wrong_key_on_the_lab(tmp_path, lab, home) -> None:
    from test_ssh_helpers import keygen
    trust = HostKeyTrust(wizard_file=tmp_path / "wk", user_files=[lab.known_hosts_path])
    conn = _conn(tmp_path, lab, trust)
    mark = f"{time.time_ns() % 100000}.25"
    t0 = time.monotonic()
    with pytest.raises(CommandTimeout):
        conn.run(f"sleep {mark}", on_line=lambda s, t: None, timeout=1)
    assert time.monotonic() - t0 < 5
    left = lab.exec("master", f"pgrep -fx 'sleep {mark}' || true").stdout.strip()
    assert left == ""
    conn.close()
    other = keygen(tmp_path / "not_the_lab_key")
    opts = SSHOptions(identity_files=[str(other)], allow_agent=False, look_for_keys=False)
    with pytest.raises(AuthFailed):
        SSHConnection(resolve_endpoint("master", lab.answers.master.address, opts), opts, trust).connect()


@pytest.mark.parametrize("sudo_rule", ["ALL", "NOPASSWD: ALL"])
def test_not_root_runs_through_sudo_with_the_password_on_stdin(tmp_path, lab, home, sudo_rule) -> None:
    import dataclasses
    import shutil
    if not shutil.which("sudo"):
        pytest.skip("sudo is not installed (the lab hosts use the machine's binaries)")
    user, password = "hawtest", "Sudo-pw-5521"
    user_home = Path(f"/var/tmp/ha-wizard-{user}-{os.getpid()}")  # sshd reads it as the user: no 0700 parents
    setup = (f"id {user} >/dev/null 2>&1 || useradd -M -d {user_home} -s /bin/bash {user}; "
             f"printf '%s\\n' '{user}:{password}' | chpasswd; mkdir -p {user_home}/.ssh; "
             f"cp /root/.ssh/authorized_keys {user_home}/.ssh/; chown -R {user} {user_home}; "
             f"chmod 755 {user_home}; echo '{user} ALL=(ALL) {sudo_rule}' > /etc/sudoers.d/{user}")
    lab.exec("master", setup, check=True)
    try:
        answers = dataclasses.replace(lab.answers, ssh_user=user)
        session = Session.create("sudo", answers, "lab", root=tmp_path / "state")
        actions = [act("t.id", "id -u; whoami", Target.node("master"), kind="check", expect="^0\nroot$"),
                   act("t.pw", 'read -r line; echo "got ${#line}"; sleep 1', Target.node("master"),
                       kind="check", expect=f"^got {len('hacluster:' + SECRET)}$", secrets=("hacluster_password",),
                       stdin="hacluster:{hacluster_password}\n")]
        events: list = []
        engine = Engine(session, {"hacluster_password": SECRET}, None, events.append,
                        plan=[section("t", "sudo", actions)], identity_files=[str(lab.key_path)],
                        known_hosts=[lab.known_hosts_path], ssh_password=password)
        engine.ssh_options.allow_agent = engine.ssh_options.look_for_keys = False
        scans: list[str] = []
        scanner = threading.Thread(target=lambda: scans.append(lab.exec(
            "master", "for i in $(seq 15); do cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '; echo; "
                      "sleep 0.1; done", timeout=60).stdout))
        try:
            assert engine.run_action("t.id") == "ok", engine.session.record("t.id").output
            scanner.start()
            assert engine.run_action("t.pw") == "ok", engine.session.record("t.pw").output
        finally:
            scanner.join()
            engine.close()
        expected = "nopasswd" if "NOPASSWD" in sudo_rule else "password"
        assert engine.session.journal[0]["endpoints"]["master"]["sudo"] == expected
        assert password not in scans[0] and SECRET not in scans[0]
        from wizard.exports.transcript import render
        script = render(engine.session, "sh")
        # The session had a login password: the script asks it through SSH_ASKPASS (never in argv); sudo
        # gets it on stdin only where sudo wanted one.
        assert password not in script and "SSH_ASKPASS" in script
        assert ("sudo -S -k" in script) == (expected == "password")
        assert ("sudo -n bash -c" in script) == (expected == "nopasswd")
    finally:
        lab.exec("master", f"rm -f /etc/sudoers.d/{user}; userdel {user}; rm -rf {user_home}")
