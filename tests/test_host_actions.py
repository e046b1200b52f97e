"""Every host action of every profile's plan, run by the local runner with nothing but a VBoxManage on PATH.

The machine running the wizard is often Windows: a host step must need no shell and no tool but
VBoxManage. Here PATH holds only a fake VBoxManage (tests/fake_vboxmanage.py: VirtualBox's syntax
and outputs over a JSON file of VMs), every program started is recorded, and the HTTP the verification
does goes to a loopback server that plays the cluster from the fake VMs' states (which real servers
are up, which director answers, the local error page when no server is left). Each profile's local
actions run in plan order, probes first (as the engine does); each must end with exit 0. Then the
measurement preconditions: a failover measured when the director is already off is refused.
"""

from __future__ import annotations

import itertools
import json
import re
import shlex
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import wizard.run.httpops as httpops
import wizard.run.local as local_mod
from steps import full_plan
from steps.model import Action
from steps.profiles import get_profile
from steps.resources import DIRECTOR_HEADER
from steps.snapshot import restore_actions
from steps.verification import ERROR_MARKER
from wizard.base.answers import PROFILES, Answers
from wizard.run.engine import Engine, section
from wizard.run.hostops import EXIT_PRECONDITION
from wizard.run.local import LocalError, LocalRunner
from wizard.session.state import Session

FAKE = Path(__file__).with_name("fake_vboxmanage.py")


class FakeHost:
    """A PATH with only VBoxManage, its VMs, and the web as those VMs would serve it."""

    def __init__(self, folder: Path, answers: Answers) -> None:
        self.answers = answers
        self.bin = folder / "bin"
        self.bin.mkdir()
        self.vboxmanage = self.bin / "VBoxManage"
        self.vboxmanage.write_text(f"#!{sys.executable}\n" + FAKE.read_text())
        self.vboxmanage.chmod(0o755)
        self.state = folder / "vbox.json"
        # The guide's starting point: master and the real servers exist and run; standby does not exist.
        vb = answers.virtualbox
        vms = {d.vm: {"state": "running", "macs": {"1": "080027010101", "2": "080027010201"}, "snapshots": [],
                      "nics": {"1": ["natnetwork", vb.natnetwork], "2": ["intnet", vb.internal_network]}}
               for d in answers.directors[:1]}
        vms.update({s.vm: {"state": "running", "macs": {"1": f"0800270102{i:02X}"}, "snapshots": [],
                           "nics": {"1": ["intnet", vb.internal_network]}}
                    for i, s in enumerate(answers.servers)})
        self.state.write_text(json.dumps({"vms": vms, "natnetworks": [vb.natnetwork], "forwards": {}}))
        self.env = {"PATH": str(self.bin), "FAKE_VBOX_STATE": str(self.state)}
        self.turn = itertools.count()

    def vms(self) -> dict:
        return json.loads(self.state.read_text())["vms"]

    def set_state(self, vm: str, state: str) -> None:
        """As after the guide's sections 1-4 (a VM that does not exist yet is made)."""
        data = json.loads(self.state.read_text())
        data["vms"].setdefault(vm, {"macs": {}, "snapshots": []})["state"] = state
        self.state.write_text(json.dumps(data))

    def running(self, vm: str) -> bool:
        return self.vms().get(vm, {}).get("state") == "running"

    def calls(self) -> list[list[str]]:
        log = Path(str(self.state) + ".log")
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def answer(self) -> tuple[int, dict[str, str], str]:
        """What the VIP answers now: the active director (master preferred) forwards to a running server."""
        directors = [d for d in self.answers.directors if self.running(d.vm)]
        if not directors:
            return 502, {}, "no director"
        header = {DIRECTOR_HEADER: directors[0].name}
        servers = [s for s in self.answers.servers if self.running(s.vm)]
        if not servers:
            return 503, header, f"<html><body>ha-wizard: {ERROR_MARKER}</body></html>"
        s = servers[next(self.turn) % len(servers)]
        return 200, header, f"<html><body><p>Served by {s.name} ({s.ip})</p></body></html>"


def web_proxy(host: FakeHost):
    """A loopback HTTP server used as the proxy of every request the verification makes."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            code, headers, body = host.answer()
            data = body.encode()
            self.send_response(code)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def fake_host(tmp_path, monkeypatch):
    def make(profile: str) -> FakeHost:
        answers = Answers(profile=profile, bench_requests=4, bench_concurrency=2)
        (tmp_path / profile).mkdir()
        host = FakeHost(tmp_path / profile, answers)
        server = web_proxy(host)
        proxy = f"http://127.0.0.1:{server.server_address[1]}"
        monkeypatch.setattr(httpops, "_OPENER", urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": proxy})))
        started: list[str] = []
        real_popen = subprocess.Popen

        def recording_popen(args, *a, **kw):  # noqa: ANN001, ANN202 - subprocess.Popen's signature
            assert kw.get("shell", False) is False and isinstance(args, list), args
            started.append(args[0])
            return real_popen(args, *a, **kw)

        monkeypatch.setattr(local_mod.subprocess, "Popen", recording_popen)
        host.started = started  # type: ignore[attr-defined]
        host.server = server  # type: ignore[attr-defined]
        return host

    return make


def run(runner: LocalRunner, what, timeout: float = 60.0) -> tuple[int, list[tuple[str, str]]]:  # noqa: ANN001
    lines: list[tuple[str, str]] = []
    code = runner.run(what, on_line=lambda s, t: lines.append((s, t)), timeout=timeout)
    return code, lines


def run_like_the_engine(runner: LocalRunner, action: Action) -> tuple[str, list[tuple[str, str]]]:
    """Probe first (exit 0: already done), then the action; a wait is retried until `expect` matches."""
    if action.host_probe is not None:
        code, _ = run(runner, action.host_probe)
        if code == 0:
            return "already done", []
    what = action.argv or action.host
    for _attempt in range(20):
        code, lines = run(runner, what, timeout=action.timeout)
        text = "\n".join(t for _, t in lines)
        if code == 0 and (not action.expect or re.search(action.expect, text, re.M)):
            return "ok", lines
        if action.kind != "wait":
            return f"exit {code}", lines
        time.sleep(0.1)
    return "never ready", lines


@pytest.mark.parametrize("profile", PROFILES)
def test_every_host_action_runs_with_only_vboxmanage_on_path(fake_host, profile):
    host = fake_host(profile)
    runner = LocalRunner(env=host.env)  # VBoxManage found on PATH, as on a student's machine
    plan = full_plan(host.answers, get_profile(profile))
    local = [a for _, actions in plan for a in actions if a.target.is_local]
    assert len(local) > 20
    results = {}
    for action in local:
        if action.kind == "manual" and not action.command:
            continue  # done by hand: nothing runs
        # The rule of the model: argv or a host operation, probes in Python, and a POSIX rendering.
        assert bool(action.argv) != (action.host is not None), action.id
        assert action.command, action.id
        assert bool(action.probe) == (action.host_probe is not None), action.id
        if action.argv:
            rendered = shlex.split(action.command)
            assert rendered[0] == "VBoxManage" and rendered[1:] == list(action.argv[1:]), action.id
        status, lines = run_like_the_engine(runner, action)
        results[action.id] = status
        assert status in ("ok", "already done"), (action.id, status, lines)
    # Nothing but VBoxManage was started, never a shell.
    assert set(host.started) == {str(host.vboxmanage)}
    # What VirtualBox was asked to do, in the guide's order.
    verbs = [c[:2] for c in host.calls() if c[0] not in ("showvminfo", "list") and c[1:2] != ["list"]]
    # The SSH port forwards first (preflight, before any SSH command), then the guide's snapshot.
    assert verbs[:3] == [["natnetwork", "modify"], ["natnetwork", "modify"], ["snapshot", "master"]]
    assert ["clonevm", "master"] in verbs
    assert host.vms()["standby"]["macs"]["3"] == "0800270101C2"
    assert host.vms()["master"]["macs"]["3"] == "0800270101C1"
    assert all(v["state"] == "running" for v in host.vms().values())
    fwd = json.loads(host.state.read_text())["forwards"][host.answers.virtualbox.natnetwork]
    m, sb = host.answers.master, host.answers.standby
    assert fwd == [f"ssh-master:tcp:[127.0.0.1]:2201:[{m.external_ip}]:22",
                   f"ssh-standby:tcp:[127.0.0.1]:2202:[{sb.external_ip}]:22",
                   f"http2:tcp:[]:5280:[{host.answers.vip.external}]:80"]
    assert results["snapshot.take.standby"] == "ok" and results["nic_add.wait_off.master"] == "already done"
    host.server.shutdown()


def figures_of(lines: list[tuple[str, str]]) -> list[str]:
    return [t for _, t in lines if t.startswith("HA-WIZARD-FIGURE")]


def test_verification_clocks_print_the_figures_the_exports_read(fake_host):
    host = fake_host("lab")
    host.set_state("standby", "running")
    runner = LocalRunner(env=host.env)
    actions = {a.id: a for _, acts in full_plan(host.answers, get_profile("lab")) for a in acts}
    # master runs and holds the VIP: the failover is measured.
    code, lines = run(runner, actions["verification.director_down"].host)
    assert code == 0, lines
    [fig] = figures_of(lines)
    assert re.fullmatch(r"HA-WIZARD-FIGURE director_failover=\d+\.\d\d unit=s off=master", fig)
    assert not host.running("master")
    from wizard.base.figures import parse_figures

    [parsed] = parse_figures([fig])
    assert parsed.name == "director_failover" and parsed.labels == {"off": "master"} and parsed.value < 5
    # A real server down: the figure, then the round that passed (requests per surviving server).
    code, lines = run(runner, actions["verification.server_down.cluster2"].host)
    assert code == 0, lines
    figs = figures_of(lines)
    assert figs[0].startswith("HA-WIZARD-FIGURE server_down_detected=") and figs[0].endswith("off=cluster2")
    assert figs[1:] == ["HA-WIZARD-FIGURE requests=2 server=cluster3", "HA-WIZARD-FIGURE requests=2 server=cluster4"]
    host.server.shutdown()


def test_failover_measured_with_the_director_already_off_is_refused(fake_host, tmp_path, monkeypatch):
    """Issue 14: a resumed director_down recorded 0.01 s with master already off. Now: refused, said, no figure."""
    host = fake_host("lab")
    host.set_state("standby", "running")
    monkeypatch.setenv("FAKE_VBOX_STATE", str(host.state))
    answers = host.answers
    answers.virtualbox.vboxmanage = str(host.vboxmanage)
    actions = {a.id: a for _, acts in full_plan(answers, get_profile("lab")) for a in acts}
    down = actions["verification.director_down"]
    session = Session.create("pre", answers, "lab", root=tmp_path / "state", lang="es")
    engine = Engine(session, {}, None, plan=[section("verification", "Verification", [down])])
    assert engine.run_action(down.id) == "ok"
    [fig] = session.record(down.id).figures
    assert fig["name"] == "director_failover" and fig["labels"]["off"] == "master"
    # Resumed / re-run: master is already off.
    assert not host.running("master")
    assert engine.run_action(down.id) == "failed"
    rec = session.record(down.id)
    assert rec.figures == [] and rec.exit_codes == {"local": EXIT_PRECONDITION}
    said = "\n".join(item[3] if len(item) > 3 else item[2] for item in rec.output)  # [node, stream, en(, es)]
    assert "No se cumple la condición previa: master debe estar en marcha" in said
    assert "ni se registra ninguna cifra" in said
    # The other clocks: a server already off is not "detected down"; a VM already on is not "started".
    runner = LocalRunner(env=host.env, lang="en")
    host.set_state("cluster2", "poweroff")
    code, lines = run(runner, actions["verification.server_down.cluster2"].host)
    assert code == EXIT_PRECONDITION and not figures_of(lines)
    assert any("cluster2 must be running" in t for _, t in lines)
    host.set_state("cluster3", "poweroff")
    host.set_state("cluster4", "poweroff")
    code, lines = run(runner, actions["verification.one_and_one"].host)  # cluster2 is off: allowed
    assert code == 0 and figures_of(lines)[0].startswith("HA-WIZARD-FIGURE one_and_one_serving=")
    code, lines = run(runner, actions["verification.one_and_one"].host)  # now it runs: refused
    assert code == EXIT_PRECONDITION and not figures_of(lines)
    assert any("cluster2 must be off" in t for _, t in lines)
    host.server.shutdown()


def test_the_vip_must_serve_before_its_recovery_is_timed(fake_host):
    host = fake_host("rhel9")
    runner = LocalRunner(env=host.env)
    for server in host.answers.servers:
        host.set_state(server.vm, "poweroff")  # every real server off: the VIP answers 503
    actions = {a.id: a for _, acts in full_plan(host.answers, get_profile("rhel9")) for a in acts}
    code, lines = run(runner, actions["verification.director_down"].host)
    assert code == EXIT_PRECONDITION and not figures_of(lines)
    assert any("must serve before the test" in t for _, t in lines)
    assert host.running("master")  # refused before anything changed
    host.server.shutdown()


def test_restore_powers_off_then_restores(fake_host):
    host = fake_host("rhel7")
    runner = LocalRunner(env=host.env)
    actions = {a.id: a for _, acts in full_plan(host.answers, get_profile("rhel7")) for a in acts}
    assert run(runner, actions["snapshot.take.master"].argv)[0] == 0
    [restore] = [a for a in restore_actions(host.answers, get_profile("rhel7")) if a.id == "snapshot.restore.master"]
    code, lines = run(runner, restore.host)
    assert code == 0, lines
    assert host.calls()[-1] == ["snapshot", "master", "restore", "preHA"] and not host.running("master")
    # standby does not exist (yet): nothing to do, said so.
    [standby] = [a for a in restore_actions(host.answers, get_profile("rhel7")) if a.id == "snapshot.restore.standby"]
    code, lines = run(runner, standby.host)
    assert code == 0 and any("standby does not exist" in t for _, t in lines)
    host.server.shutdown()


def test_missing_vboxmanage_says_where_it_looked(tmp_path):
    runner = LocalRunner(env={"PATH": str(tmp_path)})
    with pytest.raises(LocalError) as err:
        run(runner, ("VBoxManage", "list", "vms"))
    assert err.value.code == 127 and str(tmp_path / "VBoxManage") in str(err.value)
    with pytest.raises(LocalError, match="not a shell|shell"):
        run(runner, "VBoxManage list vms | grep x")


def test_the_command_shown_is_the_program_that_runs(fake_host, tmp_path):
    host = fake_host("rhel9")
    host.answers.virtualbox.vboxmanage = str(host.vboxmanage)
    session = Session.create("shown", host.answers, "rhel9", root=tmp_path / "state")
    engine = Engine(session, {}, None)
    take = engine.action("snapshot.take.master")
    # The POSIX rendering names the answers' VBoxManage; what runs is that very file, quoted for this shell.
    assert take.command == f"{shlex.quote(str(host.vboxmanage))} snapshot master take preHA"
    assert engine.shown_command(take, take.command) == shlex.join([str(host.vboxmanage), "snapshot", "master",
                                                                  "take", "preHA"])
    down = engine.action("verification.director_down")
    assert engine.shown_command(down, down.command) == down.command  # done in Python: its POSIX equivalent
    host.server.shutdown()
