"""The Ansible export: the real ansible-playbook accepts every profile's export, the playbook follows the plan
(same order, same commands, probes as guards, waits as until/retries, network changes as async + reconnect,
host steps on localhost as argv), the inventory reaches the servers through a director, and the hacluster
password is never in the files. tests/test_ansible_lab.py runs an export against a fresh lab.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from steps import full_plan
from steps.model import Action, HostOp, Target
from steps.profiles import get_profile
from wizard.base.answers import PROFILES, Answers, save_answers
from wizard.exports.ansible import Unsafe, _creates, _split, emit, export
from wizard.run.engine import section

yaml = pytest.importorskip("yaml")  # ansible-core's own dependency (the test extra)
BIN = Path(sys.executable).parent


def load(text: str):
    """YAML as Ansible reads it here: `!unsafe` scalars become plain strings marked as such."""
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!unsafe", lambda loader, node: ("UNSAFE", loader.construct_scalar(node)))
    return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass


def unwrap(value):
    return value[1] if isinstance(value, tuple) and value and value[0] == "UNSAFE" else value


def tasks_of(plays) -> list[dict]:
    return [task for play in plays for task in play["tasks"]]


def module_of(task: dict) -> str:
    return next(k for k in task if k.startswith("ansible.builtin."))


@pytest.mark.parametrize("text", [
    "plain", "", " leading space\nsecond", "ends with newline\n", "two newlines\n\n", "tab\there", "a: b # c",
    "quote ' and \" both", "{{ not_a_template }} {% x %}", "línea\n  indented\n\nafter blank", "trailing \nspace",
    "cr\r\nlf", "- dash\n? question", "#comment-looking\nline",
])
def test_emitted_strings_read_back_exactly(text):
    for value in (text, Unsafe(text)):
        data = load("\n".join(emit({"k": value, "l": [value]})) + "\n")
        assert unwrap(data["k"]) == text and unwrap(data["l"][0]) == text
        assert isinstance(data["k"], tuple) == isinstance(value, Unsafe)


def test_creates_only_for_a_plain_file_test():
    assert _creates("test -f /etc/corosync/corosync.conf") == "/etc/corosync/corosync.conf"
    assert _creates("test -f /a && grep -q x /a") is None
    assert _creates("grep -q x /a") is None


@pytest.fixture
def exported(tmp_path):
    def make(profile: str, answers: Answers | None = None, **kw):
        answers = answers or Answers(profile=profile)
        out = tmp_path / profile
        export(answers, get_profile(profile), out, **kw)
        return answers, out
    return make


@pytest.mark.parametrize("profile", PROFILES)
def test_ansible_playbook_accepts_every_profiles_export(exported, profile):
    if not (BIN / "ansible-playbook").exists():
        pytest.skip("ansible-core not installed (pip install -e '.[test]')")
    _, out = exported(profile)
    done = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(out / "inventory.ini"), str(out / "site.yml"),
                           "--syntax-check"], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(out), "ANSIBLE_LOCAL_TEMP": str(out / "tmp")})
    assert done.returncode == 0, done.stdout + done.stderr
    if profile != "lab":
        return
    listed = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(out / "inventory.ini"), str(out / "site.yml"),
                             "--list-tasks"], capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(out), "ANSIBLE_LOCAL_TEMP": str(out / "tmp")})
    assert listed.returncode == 0, listed.stderr
    assert "constraints.location" in listed.stdout and "TAGS: [constraints]" in listed.stdout


@pytest.mark.parametrize("profile", PROFILES)
def test_the_playbook_follows_the_plan(exported, profile):
    answers, out = exported(profile)
    plays = load((out / "site.yml").read_text())
    plan = [a for _, acts in full_plan(answers, get_profile(profile)) for a in acts]
    # Every action appears, in the plan's order (helper tasks carry the same id: probe, reconnect, result).
    ids = list(dict.fromkeys(t["name"].split(" — ")[0] for t in tasks_of(plays[1:])))
    assert ids == [a.id for a in plan]
    by_id: dict[str, list[dict]] = {}
    for task in tasks_of(plays):
        by_id.setdefault(task["name"].split(" — ")[0], []).append(task)
    for action in plan:
        tasks = by_id[action.id]
        main = next(t for t in tasks if not str(t.get("register", "")).startswith(("probe_", "exists_")))
        assert action.section in main["tags"]
        module = module_of(main)
        if action.kind == "manual" and not action.command:
            assert module == "ansible.builtin.pause"
        elif action.kind == "wait" and action.command == "true" and not action.target.is_local:
            assert module == "ansible.builtin.wait_for_connection"
            assert main["ansible.builtin.wait_for_connection"]["timeout"] == int(action.timeout)
        elif module == "ansible.builtin.shell":
            assert unwrap(main[module]["cmd"]) == action.command  # the wizard's command, verbatim
        if action.kind == "wait" and action.command != "true":
            assert main["retries"] * main["delay"] >= action.timeout and "until" in main
        if action.probe and module != "ansible.builtin.pause":
            guard = [t for t in tasks if str(t.get("register", "")).startswith("probe_")]
            if guard:
                assert guard[0]["failed_when"] is False and guard[0]["changed_when"] is False
                assert any(f"{guard[0]['register']}" in c for c in main["when"])
            else:
                assert main[module].get("creates")
        if action.disrupts_network:
            assert main["async"] and main["poll"] == 0
            assert any(module_of(t) == "ansible.builtin.wait_for_connection" for t in tasks)
            assert any(module_of(t) == "ansible.builtin.async_status" for t in tasks)
        if action.target.is_local:
            play = next(p for p in plays if main in p["tasks"])
            assert play["hosts"] == "localhost" and play["connection"] == "local"
        if action.via_address:
            host, port = _split(action.via_address)
            assert (main["vars"]["ansible_host"], main["vars"]["ansible_port"]) == (host, port or answers.ssh_port)
            assert "ControlMaster=no" in main["vars"]["ansible_ssh_args"]


def test_the_password_comes_from_the_command_line_only(exported):
    answers, out = exported("rhel7")
    text = (out / "site.yml").read_text() + (out / "inventory.ini").read_text()
    plays = load((out / "site.yml").read_text())
    assert plays[0]["tasks"][0]["ansible.builtin.assert"]["that"][0] == "hacluster_password is defined"
    secret_tasks = [t for t in tasks_of(plays) if "hacluster_password" in t.get("ansible.builtin.shell", {}).get(
        "stdin", "")]
    assert {t["name"].split(" — ")[0] for t in secret_tasks} == {
        "pcs_auth.hacluster_password", "pcs_auth.auth"}
    for task in secret_tasks:
        assert task["no_log"] is True and "{{ hacluster_password }}" in task["ansible.builtin.shell"]["stdin"]
    assert text.count("hacluster_password }}") == 2


def test_the_inventory_reaches_servers_through_a_director(exported, tmp_path):
    key, kh = tmp_path / "id_ed25519", tmp_path / "known_hosts"
    key.write_text("x")
    kh.write_text("x")
    answers, out = exported("lab", identity_files=[str(key)], known_hosts=[str(kh)])
    if not (BIN / "ansible-inventory").exists():
        pytest.skip("ansible-core not installed")
    done = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(out / "inventory.ini"), "--list"],
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ANSIBLE_LOCAL_TEMP": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    hv = json.loads(done.stdout)["_meta"]["hostvars"]
    from wizard.exports.ansible import reach

    for d in answers.directors:
        r = reach(answers, d.name)  # a port forward on this machine, or the address itself
        assert (hv[d.name]["ansible_host"], hv[d.name]["ansible_port"]) == (r.host, r.port)
        assert "ProxyCommand" not in hv[d.name]["ansible_ssh_common_args"]
        assert f"IdentityFile={key}" in hv[d.name]["ansible_ssh_common_args"]
    import shlex
    for s in answers.servers:
        assert hv[s.name]["ansible_host"] == s.ip
        args = shlex.split(hv[s.name]["ansible_ssh_common_args"])  # as Ansible splits it for ssh
        proxy = next(a.split("=", 1)[1] for a in args if a.startswith("ProxyCommand="))
        inner = shlex.split(proxy)
        assert inner[:2] == ["sh", "-c"]
        hops = inner[2].split(" || ")
        assert [(h.split()[-1], h.split("-p ")[1].split()[0]) for h in hops] == [
            (f"root@{reach(answers, d.name).host}", str(reach(answers, d.name).port)) for d in answers.directors]
        assert all(f"UserKnownHostsFile={kh}" in h and "-W %h:%p" in h for h in hops)
    assert hv["master"]["vboxmanage"]


def test_host_steps_are_argv_on_localhost_with_probes_in_python_terms(tmp_path):
    """Host steps in h10's model: one program run (argv, VBoxManage from the inventory's variable) and
    probes done by the wizard in Python, rendered as the VBoxManage call that answers them."""
    from wizard.exports.ansible import render_playbook

    answers = Answers(profile="rhel7")
    take = Action(id="snapshot.take.master", kind="run", target=Target.local(),
                  command="VBoxManage snapshot master take preHA", argv=("VBoxManage", "snapshot", "master", "take",
                                                                          "preHA"),
                  host_probe=HostOp.of("has_snapshot", vm="master", name="preHA"), why="Snapshot.")
    off = Action(id="nic_add.poweroff.master", kind="run", target=Target.local(), command="VBoxManage controlvm "
                 "master acpipowerbutton", argv=("VBoxManage", "controlvm", "master", "acpipowerbutton"),
                 host_probe=HostOp.of("vm_not_running", vm="master"), why="Off.")
    node = Action(id="nic_add.find_nic.master", kind="check", target=Target.node("master"),
                  command="ip -o link", expect=r"^\d+: enp0s9[:@]", why="NIC.")
    plan = [(1, *section("snapshot", "Snapshot", [take])), (2, *section("nic_add", "NIC", [off, node]))]
    plays = load(render_playbook(answers, get_profile("rhel7"), plan, "en"))
    assert [p["hosts"] for p in plays] == ["localhost", "localhost", "master"]
    probe, task = plays[0]["tasks"]
    assert probe["ansible.builtin.command"]["argv"][0] == "{{ vboxmanage }}"
    assert [unwrap(a) for a in probe["ansible.builtin.command"]["argv"][1:]] == ["snapshot", "master", "list",
                                                                                "--machinereadable"]
    assert task["ansible.builtin.command"]["argv"][0] == "{{ vboxmanage }}"
    assert [unwrap(a) for a in task["ansible.builtin.command"]["argv"][1:]] == ["snapshot", "master", "take", "preHA"]
    assert "probe_snapshot_take_master.stdout is not search" in task["when"][0]
    off_task = plays[1]["tasks"][1]
    assert off_task["when"] == ["'VMState=\"running\"' in probe_nic_add_poweroff_master.stdout_lines"]
    check = plays[2]["tasks"][0]
    assert unwrap(check["vars"]["expect"]) == r"^\d+: enp0s9[:@]" and "search(expect" in check["failed_when"]


def run_cli(*args: str) -> tuple[int, str, str]:
    from wizard.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_cli_plan_and_export(tmp_path, monkeypatch):
    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(tmp_path / "state"))
    code, _, err = run_cli("plan", "--format", "ansible")
    assert code == 2 and "-o" in err
    code, _, err = run_cli("plan", "--format", "ansible", "-o", str(tmp_path / "x"), "--identity", "/nonexistent")
    assert code == 2 and "/nonexistent" in err
    spaced = tmp_path / "my keys"
    spaced.mkdir()
    (spaced / "k").write_text("x")
    code, _, err = run_cli("plan", "--format", "ansible", "-o", str(tmp_path / "x"), "--identity", str(spaced / "k"))
    assert code == 2 and "spaces" in err
    code, out, _ = run_cli("plan", "--format", "ansible", "-o", str(tmp_path / "p"), "--profile", "rhel9",
                           "--section", "constraints", "--lang", "es")
    assert code == 0 and "ansible-playbook -i" in out
    plays = load((tmp_path / "p" / "site.yml").read_text())
    number = [m.ID for m, _ in full_plan(Answers(profile="rhel9"), get_profile("rhel9"))].index("constraints") + 1
    assert [p["name"].split(" — ")[0] for p in plays] == [f"{number}. Restricciones y reinicio [constraints]"]
    # export NAME --format ansible: the session's answers.
    from wizard.session.state import Session

    answers = Answers(profile="debian12")
    answers.vip.external = "192.168.1.250"
    Session.create("mine", answers, "debian12").save()
    code, _, err = run_cli("export", "mine", "--format", "ansible", "-o", str(tmp_path / "e"))
    assert code == 0, err
    assert "bind 192.168.1.250:80" in (tmp_path / "e" / "site.yml").read_text()
    save_answers(answers, tmp_path / "a.toml")


def test_a_probe_made_of_alternatives_runs_the_action_only_when_none_says_done():
    from wizard.exports.ansible import render_playbook

    answers = Answers(profile="rhel7")
    probe = HostOp.of("any_of", ops=[HostOp.of("has_nic_mac", vm="master", nic=3, mac="0800270101C1"),
                                     HostOp.of("vm_not_running", vm="master")])
    off = Action(id="nic_add.poweroff.master", kind="run", target=Target.local(), command="VBoxManage controlvm "
                 "master acpipowerbutton", argv=("VBoxManage", "controlvm", "master", "acpipowerbutton"),
                 host_probe=probe, why="Off.")
    rule = Action(id="verification.port_forward", kind="run", target=Target.local(), command="VBoxManage natnetwork",
                  argv=("VBoxManage", "natnetwork", "modify", "--netname", "red-nat-1", "--port-forward-4",
                        "http2:tcp:[]:5280:[192.168.1.200]:80"),
                  host_probe=HostOp.of("natnetwork_has_rule", rule="http2:tcp:[]:5280:[192.168.1.200]:80",
                                       netname="red-nat-1"), why="Forward.")
    plays = load(render_playbook(answers, get_profile("rhel7"), [(2, *section("nic_add", "NIC", [off, rule]))], "en"))
    tasks = plays[0]["tasks"]
    assert [t.get("register") for t in tasks] == ["probe_nic_add_poweroff_master_0", "probe_nic_add_poweroff_master_1",
                                                  None, "probe_verification_port_forward", None]
    cond = tasks[2]["when"][0]
    assert "probe_nic_add_poweroff_master_0.stdout | upper" in cond and " and " in cond
    assert "'VMState=\"running\"' in probe_nic_add_poweroff_master_1.stdout_lines" in cond
    assert [unwrap(a) for a in tasks[3]["ansible.builtin.command"]["argv"][1:]] == ["list", "natnetworks"]
    assert "http2:tcp:[]:5280:[192.168.1.200]:80" in tasks[4]["when"][0]


def test_a_host_operation_that_is_a_guarded_call_and_the_path_of_vboxmanage(tmp_path):
    from wizard.exports.ansible import render_playbook

    answers = Answers(profile="rhel7")
    take = Action(id="snapshot.take.standby", kind="run", target=Target.local(),
                  command="if VBoxManage showvminfo standby >/dev/null 2>&1; then VBoxManage snapshot standby take "
                          "preHA; fi",
                  host=HostOp.of("vbox_if_vm_exists", vm="standby", args=("snapshot", "standby", "take", "preHA")),
                  host_probe=HostOp.of("has_snapshot", vm="standby", name="preHA"), why="Snapshot.")
    measure = Action(id="verification.director_down", kind="run", target=Target.local(),
                     command="curl -fsS http://localhost:5280/index.php", host=HostOp.of("measure", what="x"),
                     why="Timed.")
    plays = load(render_playbook(answers, get_profile("rhel7"), [(1, *section("snapshot", "S", [take, measure]))],
                                 "en"))
    has, exists, task, shell = plays[0]["tasks"]
    assert [unwrap(a) for a in exists["ansible.builtin.command"]["argv"][1:]] == ["showvminfo", "standby",
                                                                                 "--machinereadable"]
    assert [unwrap(a) for a in task["ansible.builtin.command"]["argv"]] == ["{{ vboxmanage }}", "snapshot", "standby",
                                                                           "take", "preHA"]
    assert task["when"][1] == "exists_snapshot_take_standby.rc == 0" and "probe_snapshot" in task["when"][0]
    # No VBoxManage equivalent (a timed measurement): its POSIX rendering, with the same VBoxManage first on PATH.
    assert unwrap(shell["ansible.builtin.shell"]["cmd"]) == measure.command
    assert "vboxmanage | dirname" in plays[0]["environment"]["PATH"]
    assert plays[0]["vars"]["ansible_python_interpreter"] == "{{ ansible_playbook_python }}"
    # The inventory names the VBoxManage the answers give (else the one found here, else the bare name).
    fake = tmp_path / "VBoxManage"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    answers.virtualbox.vboxmanage = str(fake)
    export(answers, get_profile("rhel7"), tmp_path / "out")
    assert f"vboxmanage='{fake}'" in (tmp_path / "out" / "inventory.ini").read_text()


def test_the_wizards_public_key_is_a_value_not_a_secret(tmp_path):
    """A key install (ssh-copy-id's work, fed the public key on stdin) runs only with the key at hand: the
    inventory carries --identity's .pub, else the task is skipped; the password assert does not ask for it."""
    from wizard.exports.ansible import render_inventory, render_playbook

    answers = Answers(profile="rhel7")
    install = Action(id="access.wizard_key.master", kind="run", target=Target.node("master"), command="read -r key",
                     secrets=("wizard_public_key",), stdin="{wizard_public_key}\n", why="Key.")
    plays = load(render_playbook(answers, get_profile("rhel7"), [(1, *section("access", "A", [install]))], "en"))
    assert len(plays) == 1  # no secrets play: nothing secret is fed
    task = plays[0]["tasks"][0]
    assert task["ansible.builtin.shell"]["stdin"] == "{{ wizard_public_key }}\n" and "no_log" not in task
    assert task["when"] == ["wizard_public_key is defined"]
    key = tmp_path / "id_ed25519"
    key.write_text("private")
    (tmp_path / "id_ed25519.pub").write_text("ssh-ed25519 AAAAC3Nza me@host\n")
    text = render_inventory(answers, get_profile("rhel7"), "en", [str(key)])
    assert "wizard_public_key='ssh-ed25519 AAAAC3Nza me@host'" in text and "private" not in text


def test_the_clock_check_gets_the_controllers_clock(exported, tmp_path):
    """preflight.clock reads the wizard's clock on stdin ({now}); the playbook gives the controller's."""
    if not (BIN / "ansible").exists():
        pytest.skip("ansible-core not installed (pip install -e '.[test]')")
    import time

    _, out = exported("lab")
    task = next(t for t in tasks_of(load((out / "site.yml").read_text())) if t["name"].startswith("preflight.clock"))
    stdin = task["ansible.builtin.shell"]["stdin"]
    assert "{now}" not in stdin and "now()" in stdin
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp")}
    before = time.time()
    done = subprocess.run([str(BIN / "ansible"), "localhost", "-m", "ansible.builtin.debug", "-a",
                           f"msg={stdin.strip()}"], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    told = float(json.loads(done.stdout[done.stdout.index("{"):])["msg"])
    assert before - 1 <= told <= time.time() + 1, (before, told)


def _inventory_args(out: Path, home: Path) -> dict[str, list[str]]:
    """Each host's ssh arguments as Ansible passes them to ssh (ansible-inventory, then shlex as Ansible splits)."""
    import shlex

    done = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(out / "inventory.ini"), "--list"],
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(home), "ANSIBLE_LOCAL_TEMP": str(home / "t")})
    assert done.returncode == 0, done.stderr
    hostvars = json.loads(done.stdout)["_meta"]["hostvars"]
    return {h: shlex.split(v["ansible_ssh_common_args"]) for h, v in hostvars.items()}


def _hops(args: list[str]) -> list[list[str]]:
    """The inner ssh command lines of a ProxyCommand (one per director tried)."""
    import shlex

    proxy = next(a.split("=", 1)[1] for a in args if a.startswith("ProxyCommand="))
    words = shlex.split(proxy)
    inner = words[2] if words[:2] == ["sh", "-c"] else proxy
    return [shlex.split(hop) for hop in inner.split(" || ")]


def test_the_lab_profiles_exports_log_in_as_run_does_without_flags(tmp_path, monkeypatch):
    """Issue 22: no --identity/--known-hosts on the lab profile: the answers' key and known_hosts (as `run` uses
    them) in the outer connection and in every jump; a flag still wins; the sh export of a session likewise."""
    if not (BIN / "ansible-inventory").exists():
        pytest.skip("ansible-core not installed")
    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    lab_dir = tmp_path / "lab"
    lab_dir.mkdir()
    key, kh = lab_dir / "id_ed25519", lab_dir / "known_hosts"
    key.write_text("private")
    kh.write_text("")
    answers = Answers(profile="lab")
    answers.ssh_identity, answers.ssh_known_hosts = str(key), str(kh)
    save_answers(answers, tmp_path / "lab.toml")
    code, _, err = run_cli("plan", "--answers", str(tmp_path / "lab.toml"), "--format", "ansible", "-o",
                           str(tmp_path / "p"))
    assert code == 0, err
    hosts = _inventory_args(tmp_path / "p", tmp_path)
    assert set(hosts) == {n.name for n in [*answers.directors, *answers.servers]}
    for host, args in hosts.items():
        connections = [args] + (_hops(args) if host in {s.name for s in answers.servers} else [])
        assert len(connections) == (1 if host in {d.name for d in answers.directors} else 1 + len(answers.directors))
        for words in connections:
            assert f"IdentityFile={key}" in words, (host, words)
            files = next(w for w in words if w.startswith("UserKnownHostsFile=")).split("=", 1)[1].split()
            assert str(kh) in files and "~/.ssh/known_hosts" in files, (host, words)
    # An explicit flag wins over the answers'.
    other = tmp_path / "other_key"
    other.write_text("x")
    code, _, err = run_cli("plan", "--answers", str(tmp_path / "lab.toml"), "--format", "ansible", "-o",
                           str(tmp_path / "q"), "--identity", str(other))
    assert code == 0, err
    for args in _inventory_args(tmp_path / "q", tmp_path).values():
        assert f"IdentityFile={other}" in args and f"IdentityFile={key}" not in args
        for hop in _hops(args) if any(a.startswith("ProxyCommand=") for a in args) else []:
            assert f"IdentityFile={other}" in hop and f"IdentityFile={key}" not in hop
    # The sh export of a session that never ran: the answers' key and known_hosts, also in the jump.
    from wizard.session.state import Session

    Session.create("never-ran", answers, "lab").save()
    code, script, err = run_cli("export", "never-ran", "--format", "sh")
    assert code == 0, err
    opts = next(line for line in script.splitlines() if line.startswith("SSH_OPTS="))
    assert f"-i {key}" in opts and str(kh) in opts
    assert "SSH_OPTS_SH=" in script  # what a jump's inner ssh gets (wizard/exports/shell.py ssh_words)
    from wizard.exports.shell import ssh_words

    assert "ProxyCommand=ssh $SSH_OPTS_SH -W %h:%p -p 2201" in ssh_words(
        {"address": "10.0.100.12", "port": 22, "user": "root", "jump": "root@127.0.0.1:2201"}, False)
    code, script, err = run_cli("export", "never-ran", "--format", "sh", "--identity", str(other))
    assert code == 0, err
    opts = next(line for line in script.splitlines() if line.startswith("SSH_OPTS="))
    assert f"-i {other}" in opts and f"-i {key}" not in opts
