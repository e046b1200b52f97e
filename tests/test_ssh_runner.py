"""The SSH runner and the engine over SSH, against a real OpenSSH sshd on loopback addresses.

127.0.0.1..4 stand for master, standby and a real server (reached through a director with a
direct-tcpip channel, as the lab's servers are). Needs root (root login): marked `lab`.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest
from test_ssh_helpers import LoopbackSSHD, clean_home_fixture, sshd_fixture  # noqa: F401 - fixtures

from steps.model import Action, Target
from wizard.base.answers import Answers, Director, Server
from wizard.run.engine import Engine, section
from wizard.run.events import OutputLine, Reconnecting
from wizard.run.hostkeys import HostKeyChanged, HostKeyTrust, HostKeyUnknown, fingerprint
from wizard.run.ssh import SSHConnection, SSHOptions, resolve_endpoint
from wizard.run.ssh_errors import AuthFailed, CommandTimeout
from wizard.session.state import Session

pytestmark = pytest.mark.lab
SECRET = "Hx-very-secret-7731"


def options(server: LoopbackSSHD, **kw) -> SSHOptions:
    base = dict(port=server.port, identity_files=[str(server.client_key)], allow_agent=False, look_for_keys=False)
    base.update(kw)
    return SSHOptions(**base)


def trust_for(tmp_path: Path, server: LoopbackSSHD | None, **kw) -> HostKeyTrust:
    user = tmp_path / "user_known_hosts"
    user.write_text(server.known_hosts_line() if server else "")
    return HostKeyTrust(wizard_file=tmp_path / "wizard_known_hosts", user_files=[user], **kw)


def connect(tmp_path: Path, server: LoopbackSSHD, address: str = "127.0.0.1", trust: HostKeyTrust | None = None,
            **kw) -> SSHConnection:
    opts = options(server, **kw)
    return SSHConnection(resolve_endpoint("master", address, opts), opts,
                         trust or trust_for(tmp_path, server)).connect()


def lab_answers(server: LoopbackSSHD) -> Answers:
    a = Answers(profile="lab", ssh_port=server.port)
    a.directors = [Director("master", "master-cr", "master", "127.0.0.1", "10.0.100.1", "10.0.200.1",
                            "08:00:27:01:01:C1", ssh_host="127.0.0.1"),
                   Director("standby", "standby-cr", "standby", "127.0.0.2", "10.0.100.2", "10.0.200.2",
                            "08:00:27:01:01:C2", ssh_host="127.0.0.2")]
    a.servers = [Server("cluster2", "cluster2", "127.0.0.3"), Server("cluster3", "cluster3", "127.0.0.4")]
    return a


def engine_for(tmp_path: Path, server: LoopbackSSHD, actions: list[Action], name: str = "e", **kw):
    events: list = []
    session = Session.create(name, lab_answers(server), "lab", root=tmp_path / "state")
    known = tmp_path / "kh"
    known.write_text(server.known_hosts_line())
    engine = Engine(session, {"hacluster_password": SECRET}, None, events.append,
                    plan=[section("t", "Test", actions)], identity_files=[str(server.client_key)],
                    known_hosts=[known], **kw)
    engine.ssh_options.allow_agent = engine.ssh_options.look_for_keys = False
    return engine, events


def node_action(action_id: str, command: str, target: Target | None = None, **kw) -> Action:
    return Action(id=action_id, kind=kw.pop("kind", "run"), target=target or Target.node("master"),
                  command=command, why="test", **kw)


# -- runner ----------------------------------------------------------------------------------------
def test_streams_lines_live_per_stream_with_exit_status(tmp_path, sshd, clean_home) -> None:
    conn = connect(tmp_path, sshd)
    got: list[tuple[float, str, str]] = []
    t0 = time.monotonic()
    code = conn.run("echo one; echo two >&2; sleep 1; printf 'x%.0s\\n' $(seq 5000); printf tail; exit 7",
                    on_line=lambda s, t: got.append((time.monotonic() - t0, s, t)))
    assert code == 7
    assert got[0][1:] == ("stdout", "one") and got[0][0] < 0.8  # before the command ended: streamed
    assert ("stderr", "two") in [g[1:] for g in got]
    assert [g[2] for g in got].count("x") == 5000 and got[-1][1:] == ("stdout", "tail")
    assert conn.run("exit 0", on_line=lambda s, t: None) == 0
    conn.close()


def test_one_connection_per_node_is_reused(tmp_path, sshd, clean_home) -> None:
    conn = connect(tmp_path, sshd)
    ports = set()
    out: list[str] = []
    for _ in range(5):
        conn.run("echo $SSH_CONNECTION", on_line=lambda s, t: out.append(t))
        ports.add(out[-1].split()[1])
    assert len(ports) == 1  # one TCP connection (one client port) for all the commands
    conn.close()


def test_command_timeout_kills_the_remote_group(tmp_path, sshd, clean_home) -> None:
    conn = connect(tmp_path, sshd)
    mark = f"{time.time_ns() % 100000}.5"
    t0 = time.monotonic()
    with pytest.raises(CommandTimeout):
        conn.run(f"sleep {mark} & sleep {mark}; wait", on_line=lambda s, t: None, timeout=1.0)
    assert time.monotonic() - t0 < 5
    time.sleep(0.3)
    alive = [p for p in os.listdir("/proc") if p.isdigit() and _cmdline(p) == f"sleep {mark}"]
    assert alive == []
    conn.close()


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def test_wrong_password_and_wrong_key_are_refused(tmp_path, sshd, clean_home) -> None:
    with pytest.raises(AuthFailed, match="Authentication refused for root .*the password, refused"):
        connect(tmp_path, sshd, identity_files=[], password="not-the-password")
    other = tmp_path / "other_key"
    from test_ssh_helpers import keygen
    keygen(other)
    with pytest.raises(AuthFailed, match=f"Authentication refused .*keys {re.escape(str(other))}; no password"):
        connect(tmp_path, sshd, identity_files=[str(other)])


def test_no_credential_at_all_fails_at_once_naming_the_way_out(tmp_path, sshd, clean_home) -> None:
    """No key, no agent, no password: paramiko's "No authentication methods available" is a refused login
    (final, never retried as "not reachable"), in both languages."""
    t0 = time.monotonic()
    with pytest.raises(AuthFailed) as err:
        connect(tmp_path, sshd, identity_files=[])
    assert time.monotonic() - t0 < 5
    text = str(err.value)
    assert "Authentication refused for root at 127.0.0.1" in text and "keys -" in text
    assert "no password (none given)" in text and "--identity" in text and "HA_WIZARD_SSH_PASSWORD" in text
    assert "Autenticación rechazada" in err.value.msg.es and "ninguna contraseña" in err.value.msg.es


def test_refused_login_ends_the_action_at_once_and_a_password_is_asked_once(tmp_path, sshd, clean_home) -> None:
    asked: list[str] = []
    acts = [node_action("t.m", "true"), node_action("t.s", "true", Target.node("standby"))]
    engine, _ = engine_for(tmp_path, sshd, acts, ask_ssh_password=lambda prompt: asked.append(prompt) or None)
    engine.ssh_options.identity_files = []
    try:
        t0 = time.monotonic()
        assert engine.run_action("t.m") == "failed"
        assert engine.run_action("t.s") == "failed"
        assert time.monotonic() - t0 < 10
        error = engine.session.record("t.m").error
        assert "Authentication refused" in error and "--identity" in error
        assert len(asked) == 1 and "root" in asked[0] and "master" in asked[0]  # once for every node
    finally:
        engine.close()


def test_a_password_given_when_asked_is_used_and_the_key_install_skipped_after_a_key_login(
        tmp_path, sshd, clean_home) -> None:
    """A key login needs no key install ("already done"); the auth method is what decides."""
    from steps.access import KEY_INSTALL

    install = node_action("t.key", "echo SHOULD-NOT-RUN", tags=(KEY_INSTALL,))
    engine, events = engine_for(tmp_path, sshd, [install])
    try:
        assert engine.run_action("t.key") == "ok"
        rec = engine.session.record("t.key")
        assert rec.note.startswith("already done") and rec.runs == 0
        assert not any(isinstance(e, OutputLine) and "SHOULD-NOT-RUN" in e.text for e in events)
    finally:
        engine.close()


def test_unreachable_address_is_retried_briefly_then_names_the_inventory(tmp_path, sshd, clean_home) -> None:
    """A closed port at a director's address: a few tries, then the address, why and which fields to fix."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    engine, events = engine_for(tmp_path, sshd, [node_action("t.m", "true")])
    engine.session.answers.master.ssh_host, engine.session.answers.master.ssh_port = "127.0.0.6", closed
    try:
        t0 = time.monotonic()
        assert engine.run_action("t.m") == "failed"
        took = time.monotonic() - t0
        error = engine.session.record("t.m").error
        assert 5 < took < 20, took
        assert f"Cannot reach 127.0.0.6:{closed} (Connection refused)" in error
        # The fields by their labels, as the inventory shows them (never the answers' paths).
        assert "Check master · SSH port, master · External IP in the inventory" in error
        assert "directors[0]" not in error
        assert "Tried 4 times" in error
        assert sum(isinstance(e, Reconnecting) for e in events) == 3
    finally:
        engine.close()


def test_a_wait_on_a_node_that_should_be_up_gives_up_after_a_few_tries(tmp_path, sshd, clean_home) -> None:
    """Only a node coming back (after startvm: tagged) is waited for long; `pcs status` on a master whose
    address is wrong fails in seconds, not after the wait's 300 s."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    wait = node_action("t.status", "pcs status", kind="wait", expect="Online", timeout=300, interval=1)
    engine, _ = engine_for(tmp_path, sshd, [wait])
    engine.session.answers.master.ssh_port = closed
    try:
        t0 = time.monotonic()
        assert engine.run_action("t.status") == "failed"
        assert time.monotonic() - t0 < 20
        error = engine.session.record("t.status").error
        assert f"Cannot reach 127.0.0.1:{closed}" in error and "Tried 4 times" in error and "inventory" in error
    finally:
        engine.close()


def test_a_forward_with_nothing_behind_it_says_so(tmp_path, sshd, clean_home) -> None:
    """What a NAT port forward does when the VM behind it is down: it accepts, then closes at once."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def accept_and_close() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                conn.close()
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_close, daemon=True)
    thread.start()
    engine, _ = engine_for(tmp_path, sshd, [node_action("t.m", "true")])
    engine.session.answers.master.ssh_port = listener.getsockname()[1]  # ssh_host 127.0.0.1: a forward
    engine.session.lang = "es"
    try:
        assert engine.run_action("t.m") == "failed"
        error = engine.session.record("t.m").error_es
        assert "El reenvío de puerto respondió pero la VM detrás (127.0.0.1:" in error
        assert "Revisa master · Puerto SSH" in error and "en el inventario" in error and "directors[0]" not in error
    finally:
        engine.close()
        stop.set()
        thread.join()
        listener.close()


def test_unknown_host_key_refused_pinned_or_trusted_accepted(tmp_path, sshd, clean_home) -> None:
    fp = fingerprint(__import__("paramiko").Ed25519Key.from_private_key_file(str(sshd.host_key)))
    with pytest.raises(HostKeyUnknown, match=re.escape(fp)):
        connect(tmp_path, sshd, trust=trust_for(tmp_path, None))
    assert not (tmp_path / "wizard_known_hosts").exists()  # nothing recorded for a refused key
    conn = connect(tmp_path, sshd, trust=trust_for(tmp_path, None, pins={"master": fp}))
    assert conn.host_key_fingerprint() == fp
    conn.close()
    # Now in the wizard's own known_hosts: accepted without pin or flag.
    connect(tmp_path, sshd, trust=trust_for(tmp_path, None)).close()
    trusted: list = []
    connect(tmp_path, sshd, "127.0.0.2", trust=trust_for(tmp_path, None, trust_new_hosts=True,
                                                          on_trusted=lambda *a: trusted.append(a))).close()
    assert ("master", "127.0.0.2", "ssh-ed25519", fp, "--trust-new-hosts") in trusted


def test_changed_host_key_always_refused_with_both_fingerprints(tmp_path, sshd, clean_home) -> None:
    import paramiko
    fake = paramiko.Ed25519Key.from_private_key_file(str(sshd.client_key))  # any other ed25519 key
    real = paramiko.Ed25519Key.from_private_key_file(str(sshd.host_key))
    user = tmp_path / "kh_changed"
    user.write_text(f"[127.0.0.1]:{sshd.port} ssh-ed25519 {fake.get_base64()}\n")
    trust = HostKeyTrust(wizard_file=tmp_path / "wk", user_files=[user], trust_new_hosts=True,
                         pins={"master": fingerprint(real)})
    with pytest.raises(HostKeyChanged) as info:
        connect(tmp_path, sshd, trust=trust)
    assert fingerprint(fake) in str(info.value) and fingerprint(real) in str(info.value)


def test_ssh_config_is_honoured(tmp_path, sshd, clean_home) -> None:
    (tmp_path / "cfg_known_hosts").write_text(sshd.known_hosts_line("127.0.0.2"))
    (clean_home / ".ssh" / "config").write_text(
        f"Host labmaster\n  HostName 127.0.0.2\n  Port {sshd.port}\n  IdentityFile {sshd.client_key}\n"
        f"  ServerAliveInterval 7\n  UserKnownHostsFile {tmp_path / 'cfg_known_hosts'}\n")
    opts = SSHOptions(allow_agent=False, look_for_keys=False)  # no port, no key: the config has them
    ep = resolve_endpoint("master", "labmaster", opts)
    assert (ep.hostname, ep.port, ep.keepalive) == ("127.0.0.2", sshd.port, 7)
    conn = SSHConnection(ep, opts, trust_for(tmp_path, None)).connect()  # key known from the config's file
    out: list[str] = []
    conn.run("echo $SSH_CONNECTION", on_line=lambda s, t: out.append(t))
    assert out[0].split()[2] == "127.0.0.2"
    conn.close()


# -- engine over SSH ---------------------------------------------------------------------------------
def test_secret_never_in_remote_argv_state_or_export(tmp_path, sshd, clean_home) -> None:
    a = node_action("t.chpasswd", 'read -r line; sleep 1.5; test "${line#hacluster:}" != "$line"',
                    secrets=("hacluster_password",), stdin="hacluster:{hacluster_password}\n")
    engine, _ = engine_for(tmp_path, sshd, [a])
    seen: list[str] = []
    done = threading.Event()

    def scan() -> None:  # the node is this machine: read every process's argv while the action runs
        while not done.is_set():
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    seen.append(_cmdline(pid))
            time.sleep(0.05)

    scanner = threading.Thread(target=scan)
    scanner.start()
    try:
        assert engine.run_action("t.chpasswd") == "ok"
    finally:
        done.set()
        scanner.join()
        engine.close()
    assert any("sleep 1.5" in c for c in seen)  # the scan did see the remote command running
    assert not any(SECRET in c for c in seen)
    from wizard.exports.transcript import render
    blobs = [p.read_bytes() for p in (tmp_path / "state").rglob("*") if p.is_file()]
    blobs += [render(engine.session, "sh").encode(), render(engine.session, "md").encode()]
    assert not any(SECRET.encode() in b for b in blobs)


def test_group_runs_in_parallel_and_names_the_failing_node(tmp_path, sshd, clean_home) -> None:
    cmd = ('echo "began $(date +%s.%N)"; sleep 1; echo "ended $(date +%s.%N)"; '
           'case "$SSH_CONNECTION" in *" 127.0.0.2 "*) echo bad >&2; exit 5;; esac; echo fine')
    a = node_action("t.both", cmd, Target.of_group("directors", ["master", "standby"]))
    engine, events = engine_for(tmp_path, sshd, [a])
    assert engine.run_action("t.both") == "failed"
    # Both at once, not one after the other: each node's command began before the other's ended (read from
    # the commands' own clocks, so a slow connect under load cannot fail it).
    times = {(e.node, e.text.split()[0]): float(e.text.split()[1]) for e in events
             if isinstance(e, OutputLine) and e.text.startswith(("began ", "ended "))}
    assert times[("master", "began")] < times[("standby", "ended")]
    assert times[("standby", "began")] < times[("master", "ended")]
    rec = engine.session.record("t.both")
    assert rec.exit_codes == {"master": 0, "standby": 5}
    assert rec.error == "standby: exit status 5"
    lines = {(e.node, e.text) for e in events if isinstance(e, OutputLine)}
    assert {("master", "fine"), ("standby", "bad")} <= lines
    engine.close()


def test_servers_are_reached_through_a_director(tmp_path, sshd, clean_home) -> None:
    a = node_action("t.srv", "echo $SSH_CONNECTION", Target.of_group("servers", ["cluster2", "cluster3"]))
    engine, events = engine_for(tmp_path, sshd, [a])
    assert engine.run_action("t.srv") == "ok"
    out = {e.node: e.text.split() for e in events if isinstance(e, OutputLine)}
    assert out["cluster2"][2] == "127.0.0.3" and out["cluster3"][2] == "127.0.0.4"
    for node in ("cluster2", "cluster3"):
        assert engine.conns.get(node).endpoint.jump.node == "master"
    entry = engine.session.journal[-1]
    assert entry["endpoints"]["cluster2"]["jump"] == f"root@127.0.0.1:{sshd.port}"
    engine.close()


def test_servers_use_the_next_director_when_the_first_is_down(tmp_path, sshd, clean_home) -> None:
    a = node_action("t.srv", "hostname", Target.node("cluster2"))
    engine, events = engine_for(tmp_path, sshd, [a])
    engine.session.answers.master.ssh_host = "127.0.0.9"  # nothing listens there: master is "down"
    assert engine.run_action("t.srv") == "ok", engine.session.record("t.srv").error
    assert engine.conns.get("cluster2").endpoint.jump.node == "standby"
    assert engine.session.journal[-1]["endpoints"]["cluster2"]["jump"] == f"root@127.0.0.2:{sshd.port}"
    engine.close()


def test_network_change_survives_the_drop_and_reconnects(tmp_path, sshd, clean_home) -> None:
    """The command cuts every connection to the node (as a network restart does) half-way."""
    cmd = f"echo before; sleep 0.7; pkill -P {sshd.proc.pid}; sleep 0.5; echo after; exit 3"
    a = node_action("t.netrestart", cmd, disrupts_network=True, reconnect_to="127.0.0.2", timeout=30)
    b = node_action("t.next", "echo $SSH_CONNECTION")
    engine, events = engine_for(tmp_path, sshd, [a, b])
    assert engine.run_action("t.netrestart") == "failed"  # exit 3 read back from the status file
    rec = engine.session.record("t.netrestart")
    assert rec.exit_codes == {"master": 3}
    texts = [e.text for e in events if isinstance(e, OutputLine)]
    assert "before" in texts and "after" in texts
    recon = [e for e in events if isinstance(e, Reconnecting)]
    assert recon and recon[0].address == "127.0.0.2"
    assert engine.conns.get("master", "127.0.0.2").endpoint.address == "127.0.0.2"
    # The next action goes to the node's own address again, over a fresh connection.
    assert engine.run_action("t.next") == "ok"
    assert "wrapper" not in engine.session.journal[0]["endpoints"]["master"]["sent"]
    assert "nohup setsid" in engine.session.journal[0]["endpoints"]["master"]["sent"]
    engine.close()
    # The export starts it detached, then waits for the node at its new address, as the wizard did: run
    # with the real OpenSSH client, the connection drops again and the exit status is read back.
    import subprocess

    from wizard.exports.transcript import render
    script = render(engine.session, "sh", history=True)
    assert f"ssh -o ConnectTimeout=5 \"${{SSH_OPTS[@]}}\" -T -n -p {sshd.port} root@127.0.0.2 'cat /tmp/ha-wizard-t.netrestart-" in script
    (tmp_path / "x.sh").write_text(script)
    assert subprocess.run(["bash", "-n", str(tmp_path / "x.sh")]).returncode == 0
    r = subprocess.run(["bash", str(tmp_path / "x.sh")], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "failed in the session too: t.netrestart" in r.stderr  # exit 3, read back after the drop
    assert "before" in r.stdout and "after" in r.stdout
    assert r.stdout.strip().splitlines()[-1].startswith("127.0.0.1 ")  # t.next: master's own address again


def test_wait_retries_while_the_node_is_not_reachable_yet(tmp_path, sshd, clean_home) -> None:
    """A node still booting (connection refused) is waited for, as after `startvm`."""
    import shutil
    late = LoopbackSSHD(tmp_path / "late", addresses=("127.0.0.5",), port=sshd.port)
    shutil.copy(sshd.folder / "authorized_keys", late.folder / "authorized_keys")
    from steps.access import NODE_RETURNS

    a = node_action("t.wait_ssh", "echo up", Target.node("standby"), kind="wait", expect="^up$", timeout=15,
                    interval=0.3, tags=(NODE_RETURNS,))
    engine, events = engine_for(tmp_path, sshd, [a])
    engine.session.answers.standby.ssh_host = "127.0.0.5"
    (tmp_path / "kh").write_text(sshd.known_hosts_line() + late.known_hosts_line("127.0.0.5"))
    timer = threading.Timer(1.2, late.start)
    timer.start()
    try:
        assert engine.run_action("t.wait_ssh") == "ok", engine.session.record("t.wait_ssh").error
        rec = engine.session.record("t.wait_ssh")
        assert rec.note.startswith("after ") and rec.exit_codes == {"standby": 0}
        assert any(isinstance(e, OutputLine) and "not reachable" in e.text for e in events)
    finally:
        timer.join()
        engine.close()
        late.stop()


def test_connect_timeout_when_nothing_answers(tmp_path, clean_home) -> None:
    """A port that accepts TCP but never speaks SSH (a hung sshd): bounded by the connect timeout."""
    import socket

    from wizard.run.ssh_errors import SSHError
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # the kernel completes handshakes; nobody ever sends a banner
    try:
        opts = SSHOptions(port=silent.getsockname()[1], allow_agent=False, look_for_keys=False,
                          connect_timeout=1.0)
        trust = HostKeyTrust(wizard_file=tmp_path / "wk", trust_new_hosts=True)
        t0 = time.monotonic()
        with pytest.raises(SSHError, match="Cannot reach 127.0.0.1"):
            SSHConnection(resolve_endpoint("master", "127.0.0.1", opts), opts, trust).connect()
        assert time.monotonic() - t0 < 4
    finally:
        silent.close()


def test_no_output_lost_when_the_channel_closes_while_a_callback_is_slow(tmp_path, sshd, clean_home) -> None:
    """Regression: data, EOF and CLOSE can all arrive while on_start (a checkpoint save) runs."""
    conn = connect(tmp_path, sshd)
    for _ in range(3):
        out: list[str] = []
        code = conn.run("printf 'a\\nb\\n'; echo c >&2", on_line=lambda s, t, o=out: o.append(t),
                        on_start=lambda pid: time.sleep(0.3))
        assert code == 0 and sorted(out) == ["a", "b", "c"]
    conn.close()
