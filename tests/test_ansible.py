"""The Ansible export as a project: the real ansible-playbook accepts every profile's export (ansible-core of the
test extra, and 2.16 for CentOS 7's nodes), `ansible-lint --profile production` passes on every profile's export,
the roles follow the plan (one per section, every action in order, an intent as its module, a command verbatim,
probes as guards that run in check mode, restarts as handlers), Ansible renders the wizard's own templates to the
same files, nothing reports a change on a second run without a reason, the inventory logs in as `run` does, and
the hacluster password is never in the files. tests/test_ansible_lab.py runs a project on a fresh lab.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from steps import full_plan
from steps.model import Action, Block, File, Hostname, HostOp, Http, Line, Packages, Password, Service, Target
from steps.profiles import get_profile
from wizard.base.answers import PROFILES, Answers, save_answers
from wizard.exports.ansible import export, reach
from wizard.exports.ansible_roles import RoleBuilder, expand_modules
from wizard.exports.yaml_emit import Unsafe, emit
from wizard.run.engine import section

yaml = pytest.importorskip("yaml")  # ansible-core's own dependency (the test extra)
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
ANSIBLE_216 = ROOT / ".venv-ansible216" / "bin"  # scripts/setup.sh --test makes it (CentOS 7's ansible-core)
MODULES = {File: "ansible.builtin.template", Block: "ansible.builtin.blockinfile", Line: "ansible.builtin.lineinfile",
           Service: "ansible.builtin.systemd_service", Password: "ansible.builtin.user",
           Hostname: "ansible.builtin.hostname", Http: "ansible.builtin.uri"}
PACKAGE_MODULES = {"apt": "ansible.builtin.apt", "dnf": "ansible.builtin.dnf", "yum": "ansible.builtin.package"}


def load(text: str):
    """YAML as Ansible reads it here: `!unsafe` scalars become ("UNSAFE", text)."""
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!unsafe", lambda loader, node: ("UNSAFE", loader.construct_scalar(node)))
    return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass


def unwrap(value):
    return value[1] if isinstance(value, tuple) and value and value[0] == "UNSAFE" else value


def module_of(task: dict) -> str:
    return next(k for k in task if k.startswith("ansible.builtin."))


def env_for(home: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
            "ANSIBLE_NOCOLOR": "1"}


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    """Every profile's project, exported once for the module's tests."""
    root = tmp_path_factory.mktemp("projects")
    for profile in PROFILES:
        export(Answers(profile=profile), get_profile(profile), root / profile)
    return root


def tasks_by_id(project: Path) -> dict[str, list[dict]]:
    """Every task and handler of every role, by the action id its name ends with."""
    out: dict[str, list[dict]] = {}
    for path in sorted(project.glob("roles/*/*/main.yml")):
        if path.parent.name not in ("tasks", "handlers"):
            continue
        for task in load(path.read_text()) or []:
            action_id = re.search(r"\(([a-z_]+\.[^()]+)\)$", task["name"])
            assert action_id, task["name"]
            out.setdefault(action_id.group(1), []).append({**task, "_file": path.parent.name})
    return out


@pytest.mark.parametrize("text", [
    "plain", "", " leading space\nsecond", "ends with newline\n", "two newlines\n\n", "tab\there", "a: b # c",
    "quote ' and \" both", "{{ not_a_template }} {% x %}", "línea\n  indented\n\nafter blank", "trailing \nspace",
    "cr\r\nlf", "- dash\n? question", "#comment-looking\nline", "word " * 80, "x" * 400, "  " + "a b  " * 60,
])
def test_emitted_strings_read_back_exactly(text):
    for value in (text, Unsafe(text)):
        lines = emit({"k": value, "l": [value], "m": {"n": value}})
        assert max(map(len, lines)) <= 150  # yamllint's width (160) with room
        data = load("\n".join(lines) + "\n")
        assert unwrap(data["k"]) == text and unwrap(data["l"][0]) == text and unwrap(data["m"]["n"]) == text
        assert isinstance(data["k"], tuple) == isinstance(value, Unsafe)


@pytest.mark.parametrize("profile", PROFILES)
def test_the_project_has_one_role_per_section_in_the_plans_order(projects, profile):
    out = projects / profile
    answers = Answers(profile=profile)
    plan = full_plan(answers, get_profile(profile))
    for name in ("inventory.ini", "ansible.cfg", "site.yml", "group_vars/all.yml", "README.md"):
        assert (out / name).is_file(), name
    plays = load((out / "site.yml").read_text())
    assert plays[0]["tags"] == ["always"] and "hacluster_password is defined" in plays[0]["tasks"][0][
        "ansible.builtin.assert"]["that"]
    assert [p["roles"] for p in plays[1:]] == [[{"role": m.ID}] for m, _ in plan]
    assert [p["tags"] for p in plays[1:]] == [[m.ID] for m, _ in plan]
    readme = (out / "README.md").read_text()
    for m, _ in plan:
        assert (out / "roles" / m.ID / "tasks" / "main.yml").is_file()
        assert f"| `{m.ID}` |" in readme
    # Every action has its tasks, in the plan's order (handlers are where they apply: flushed at their place).
    by_id = tasks_by_id(out)
    listed = []
    for m, _ in plan:
        for task in load((out / "roles" / m.ID / "tasks" / "main.yml").read_text()):
            action_id = re.search(r"\(([a-z_]+\.[^()]+)\)$", task["name"]).group(1)
            if not listed or listed[-1] != action_id:
                listed.append(action_id)
    assert listed == [a.id for _, acts in plan for a in acts]
    assert set(by_id) == {a.id for _, acts in plan for a in acts}


@pytest.mark.parametrize("profile", PROFILES)
def test_each_action_becomes_what_it_means(projects, profile):
    """An intent is its module; a command is the wizard's, verbatim, with changed_when; checks and waits change
    nothing and run in check mode; probes are read-only guards; `applies` is a handler flushed at its place."""
    out = projects / profile
    p = get_profile(profile)
    plan = [a for _, acts in full_plan(Answers(profile=profile), p) for a in acts]
    by_id = tasks_by_id(out)
    for action in plan:
        tasks = by_id[action.id]
        helpers = [t for t in tasks if str(t.get("register", "")).split("_")[-2:-1] == ["probe"]
                   or "_probe_" in str(t.get("register", "")) or "_exists_" in str(t.get("register", ""))]
        for probe in helpers:
            assert probe["failed_when"] is False and probe["check_mode"] is False, action.id
        main = [t for t in tasks if t not in helpers and "ansible.builtin.meta" not in t]
        first = main[0]
        module = module_of(first)
        if action.applies:
            assert all(t["_file"] == "handlers" and t["listen"].startswith(action.id) for t in main), action.id
            flush = [t for t in tasks if t.get("ansible.builtin.meta") == "flush_handlers"]
            assert flush and flush[0]["_file"] == "tasks", action.id
            for applied in action.applies:
                notifying = [t for t in by_id[applied] if t.get("notify")]
                assert notifying and any(n.startswith(action.id) for n in notifying[-1]["notify"]), applied
        if action.kind == "manual" and not action.command:
            assert module == "ansible.builtin.pause"
        elif action.kind == "wait" and action.command == "true" and not action.target.is_local:
            assert module == "ansible.builtin.wait_for_connection"
        elif action.kind in ("check", "wait"):
            assert first["changed_when"] is False and first["check_mode"] is False, action.id
            if action.kind == "wait":
                assert first["retries"] * first["delay"] >= action.timeout and "until" in first
            if action.warn_only:
                assert first["ignore_errors"] is True and first["register"], action.id
        elif isinstance(action.intent, Packages):
            assert module == PACKAGE_MODULES[p.package_manager], action.id
            var = first[module]["name"].strip("{} ")
            defaults = load((out / "roles" / action.section / "defaults" / "main.yml").read_text())
            assert defaults[var] == list(action.intent.names)
        elif action.intent is not None:
            modules = [module_of(t) for t in main]
            assert MODULES[type(action.intent)] in modules, (action.id, modules)
        elif not action.target.is_local or module == "ansible.builtin.shell":
            assert module in ("ansible.builtin.command", "ansible.builtin.shell"), action.id
            assert unwrap(first[module]["cmd"]) == action.command, action.id  # the wizard's command, verbatim
            assert "changed_when" in first, action.id
        if action.probe and action.intent is None and action.kind in ("run", "write") and helpers:
            # Ansible skips commands in --check: their probe says what they would change.
            assert "ansible_check_mode" in str(helpers[-1]["changed_when"]), action.id
        if action.target.is_local:
            assert all(t.get("delegate_to") == "localhost" and t.get("run_once") for t in tasks
                       if "ansible.builtin.meta" not in t), action.id
        if action.via_address:
            r = reach(Answers(profile=profile), action.target.nodes[0], action.via_address)
            assert (first["vars"]["ansible_host"], first["vars"]["ansible_port"]) == (r.host, r.port)
        if action.disrupts_network:
            started = next(t for t in main if "async" in t)
            assert started["poll"] == 0
            assert any(module_of(t) == "ansible.builtin.async_status" for t in main)
        if set(action.secrets) - {"wizard_public_key"}:
            assert any(t.get("no_log") is True for t in main), action.id


def test_every_intent_and_kind_has_an_ansible_form():
    """A step the export cannot render fails here, not in a student's playbook."""
    answers = Answers(profile="lab")
    builder = RoleBuilder(answers, get_profile("lab"), "en", reach)

    class Unknown:
        pass

    odd = Action(id="x.y", kind="run", target=Target.node("master"), command="true", why="Odd.",
                 intent=Unknown())  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match="no Ansible form"):
        builder.role(1, type("M", (), {"ID": "x", "TITLE": type("T", (), {"get": lambda self, lang: "X"})()}),
                     [odd])


def test_a_second_run_changes_nothing_by_construction():
    """What may report `changed` on a second run: a command with neither probe, intent, handler nor changed_if.
    Only the verification's measurements (failover, bench: left out by --skip-tags) and hand steps may."""
    for profile in PROFILES:
        for _, actions in full_plan(Answers(profile=profile), get_profile(profile)):
            for a in actions:
                if a.kind not in ("run", "write") or a.target.is_local and a.host_probe is not None:
                    continue
                settled = a.probe or a.intent or a.applies or a.changed_if or "info" in a.tags
                assert settled or {"failover", "bench", "manual"} & set(a.tags), (profile, a.id)


@pytest.mark.parametrize("profile", PROFILES)
def test_ansible_playbook_accepts_every_profiles_project(projects, profile, tmp_path):
    if not (BIN / "ansible-playbook").exists():
        pytest.skip("ansible-core not installed (pip install -e '.[test]')")
    out = projects / profile
    for binary in (BIN, ANSIBLE_216):
        if binary == ANSIBLE_216 and not (binary / "ansible-playbook").exists():
            continue  # checked by test_centos7s_ansible_core_is_there
        done = subprocess.run([str(binary / "ansible-playbook"), "site.yml", "--syntax-check"], cwd=out,
                              capture_output=True, text=True, timeout=180, env=env_for(tmp_path))
        assert done.returncode == 0, (binary, done.stdout + done.stderr)
    if profile == "lab":
        listed = subprocess.run([str(BIN / "ansible-playbook"), "site.yml", "--list-tasks"], cwd=out,
                                capture_output=True, text=True, timeout=180, env=env_for(tmp_path))
        assert listed.returncode == 0, listed.stderr
        assert "(constraints.location)" in listed.stdout and "TAGS: [constraints]" in listed.stdout


def test_centos7s_ansible_core_is_there():
    """scripts/setup.sh --test makes .venv-ansible216 (ansible-core 2.16, the last one for CentOS 7's Python)."""
    if not (BIN / "ansible-playbook").exists():
        pytest.skip("ansible-core not installed (pip install -e '.[test]')")
    done = subprocess.run([str(ANSIBLE_216 / "ansible-playbook"), "--version"], capture_output=True, text=True,
                          timeout=60, env=env_for(ROOT))
    assert done.returncode == 0 and re.search(r"core 2\.16\.", done.stdout), done.stdout + done.stderr


@pytest.mark.parametrize("profile", PROFILES)
def test_ansible_lint_production_passes_every_profiles_project(projects, profile, tmp_path):
    """0 failures at ansible-lint's production profile, offline; every rule skipped says why, where it is."""
    if not (BIN / "ansible-lint").exists():
        pytest.skip("ansible-lint not installed (pip install -e '.[test]')")
    out = projects / profile
    done = subprocess.run([str(BIN / "ansible-lint"), "--offline", "--profile", "production", "--nocolor", "-f",
                           "pep8", "."], cwd=out, capture_output=True, text=True, timeout=600,
                          env={**env_for(tmp_path), "PATH": f"{BIN}:/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "0 failure(s), 0 warning(s)" in done.stderr + done.stdout
    for path in out.rglob("*.yml"):
        for line in path.read_text().splitlines():
            if "# noqa" in line:
                rules = line.split("# noqa:", 1)[1]
                # each rule with its reason in parentheses
                assert re.fullmatch(r"\s*[a-z-]+(\[[a-z-]+\])? \([^)]+\)(; [a-z-]+(\[[a-z-]+\])? \([^)]+\))*\s*",
                                    rules), line
    assert not (out / ".ansible-lint").exists()  # nothing skipped project-wide


def test_ansible_renders_the_wizards_templates_to_the_same_files(projects, tmp_path):
    """The template tasks' variables (group_vars, host_vars) through Ansible's own template module give the
    file the wizard writes, byte for byte."""
    if not (BIN / "ansible-playbook").exists():
        pytest.skip("ansible-core not installed (pip install -e '.[test]')")
    cases = []
    for profile in ("lab", "rhel7"):
        out = projects / profile
        answers = Answers(profile=profile)
        group = load((out / "group_vars" / "all.yml").read_text())
        for _, actions in full_plan(answers, get_profile(profile)):
            for action in actions:
                if not isinstance(action.intent, (File, Block)):
                    continue
                role = out / "roles" / action.section
                task = next(t for t in load((role / "tasks" / "main.yml").read_text())
                            if t["name"].endswith(f"({action.id})") and ("ansible.builtin.template" in t
                                                                         or "ansible.builtin.blockinfile" in t))
                node = action.target.nodes[0]
                hv = out / "host_vars" / f"{node}.yml"
                variables = {**group, **(load(hv.read_text()) if hv.exists() else {})}
                dest = tmp_path / f"{len(cases)}.out"
                content = action.content
                if isinstance(action.intent, Block):
                    content = content.split("\n", 1)[1].rsplit("# END", 1)[0]  # between the markers
                cases.append((role / "templates" / action.intent.template, task["vars"], variables, dest, content))
    play = [{"name": "Render", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [
        {"name": f"Render {i}", "ansible.builtin.template": {"src": str(src), "dest": str(dest), "mode": "0644",
                                                            "lstrip_blocks": True}, "vars": {**variables, **tvars}}
        for i, (src, tvars, variables, dest, _) in enumerate(cases)]}]
    (tmp_path / "render.yml").write_text(json.dumps(play))
    done = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(tmp_path / "render.yml")],
                          capture_output=True, text=True, timeout=180, env=env_for(tmp_path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert len(cases) > 8
    for _, _, _, dest, content in cases:
        assert dest.read_text() == content, dest


def test_the_password_comes_from_the_command_line_only(projects):
    out = projects / "rhel7"
    text = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    by_id = tasks_by_id(out)
    auth = next(t for t in by_id["pcs_auth.auth"] if "stdin" in t[module_of(t)])
    module = module_of(auth)
    assert auth["no_log"] is True and auth[module]["stdin"] == "{{ hacluster_password }}\n"
    user = next(t for t in by_id["pcs_auth.hacluster_password"] if "ansible.builtin.user" in t)
    assert user["no_log"] is True and "hacluster_password | password_hash('sha512'" in user[
        "ansible.builtin.user"]["password"]
    assert "random(seed=inventory_hostname)" in user["ansible.builtin.user"]["password"]  # same hash every run
    assert text.count("hacluster_password }}") == 1 and text.count("hacluster_password | password_hash") == 1


def test_host_steps_are_argv_on_localhost_with_probes_in_python_terms():
    """Host steps: one program run (argv, VBoxManage from the `vboxmanage` variable), their probes the VBoxManage
    query that answers them; a probe made of alternatives lets the action run only when none says done."""
    answers = Answers(profile="rhel7")
    take = Action(id="snapshot.take.master", kind="run", target=Target.local(),
                  command="VBoxManage snapshot master take preHA",
                  argv=("VBoxManage", "snapshot", "master", "take", "preHA"),
                  host_probe=HostOp.of("has_snapshot", vm="master", name="preHA"), why="Snapshot.")
    probe = HostOp.of("any_of", ops=[HostOp.of("has_nic_mac", vm="master", nic=3, mac="0800270101C1"),
                                     HostOp.of("vm_not_running", vm="master")])
    off = Action(id="snapshot.poweroff.master", kind="run", target=Target.local(),
                 command="VBoxManage controlvm master acpipowerbutton",
                 argv=("VBoxManage", "controlvm", "master", "acpipowerbutton"), host_probe=probe, why="Off.")
    measure = Action(id="snapshot.timed", kind="run", target=Target.local(), command="curl -fsS http://x/ | wc -l",
                     host=HostOp.of("measure", what="x"), why="Timed.", tags=("failover",))
    builder = RoleBuilder(answers, get_profile("rhel7"), "en", reach)
    mod, _ = section("snapshot", "S", [take, off, measure])
    role = builder.role(1, mod, [take, off, measure])
    tasks = load("\n".join(emit(expand_modules(role.tasks))))
    has, task, p0, p1, off_task, shell = tasks
    assert [unwrap(a) for a in has["ansible.builtin.command"]["argv"]] == ["{{ vboxmanage }}", "snapshot", "master",
                                                                           "list", "--machinereadable"]
    assert [unwrap(a) for a in task["ansible.builtin.command"]["argv"]] == ["{{ vboxmanage }}", "snapshot", "master",
                                                                            "take", "preHA"]
    assert "is not search" in task["when"][0] and task["changed_when"] is True
    assert "ansible_check_mode" in has["changed_when"]  # in --check, the probe reports what would change
    cond = off_task["when"][0]
    assert "probe_poweroff_master_0.stdout | upper" in cond and " and " in cond
    assert "'VMState=\"running\"' in snapshot_probe_poweroff_master_1.stdout_lines" in cond
    assert unwrap(shell["ansible.builtin.shell"]["cmd"]) == measure.command
    assert "vboxmanage | dirname" in shell["environment"]["PATH"]
    assert all(t["delegate_to"] == "localhost" and t["run_once"] is True for t in tasks)


def test_the_wizards_public_key_is_a_value_not_a_secret(tmp_path):
    """The key install (ssh-copy-id's work, the key on stdin) runs only with the key at hand (group_vars carry the
    .pub of the key logged in with) and reports a change only when it added the key."""
    answers = Answers(profile="rhel7")
    key = tmp_path / "id_ed25519"
    key.write_text("private")
    (tmp_path / "id_ed25519.pub").write_text("ssh-ed25519 AAAAC3Nza me@host\n")
    export(answers, get_profile("rhel7"), tmp_path / "p", identity_files=[str(key)])
    assert load((tmp_path / "p" / "group_vars" / "all.yml").read_text())["wizard_public_key"] == \
        "ssh-ed25519 AAAAC3Nza me@host"
    assert "private" not in "".join(p.read_text() for p in (tmp_path / "p").rglob("*") if p.is_file())
    task = tasks_by_id(tmp_path / "p")["access.wizard_key.master"][0]
    module = module_of(task)
    assert task[module]["stdin"] == "{{ wizard_public_key }}\n" and "no_log" not in task
    assert "wizard_public_key is defined" in task["when"] and "key added" in task["changed_when"]
    plays = load((tmp_path / "p" / "site.yml").read_text())
    assert all("wizard_public_key" not in json.dumps(t) for t in plays[0]["tasks"])  # not asked for


def test_the_clock_check_gets_the_controllers_clock(projects, tmp_path):
    """preflight.clock reads the wizard's clock on stdin ({now}); the playbook gives the controller's."""
    if not (BIN / "ansible").exists():
        pytest.skip("ansible-core not installed (pip install -e '.[test]')")
    import time

    task = tasks_by_id(projects / "lab")["preflight.clock"][0]
    stdin = task[module_of(task)]["stdin"]
    assert "{now}" not in stdin and "now()" in stdin
    before = time.time()
    done = subprocess.run([str(BIN / "ansible"), "localhost", "-m", "ansible.builtin.debug", "-a",
                           f"msg={stdin.strip()}"], capture_output=True, text=True, timeout=120, env=env_for(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    told = float(json.loads(done.stdout[done.stdout.index("{"):])["msg"])
    assert before - 1 <= told <= time.time() + 1, (before, told)


def run_cli(*args: str) -> tuple[int, str, str]:
    from wizard.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_cli_plan_and_export(tmp_path, monkeypatch):
    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
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
    assert code == 0 and "ansible-playbook" in out
    plays = load((tmp_path / "p" / "site.yml").read_text())
    number = [m.ID for m, _ in full_plan(Answers(profile="rhel9"), get_profile("rhel9"))].index("constraints") + 1
    assert [p["name"] for p in plays] == [f"{number}. Restricciones y reinicio [constraints]"]
    assert sorted(p.name for p in (tmp_path / "p" / "roles").iterdir()) == ["constraints"]
    # export NAME --format ansible: the session's answers.
    from wizard.session.state import Session

    answers = Answers(profile="debian12")
    answers.vip.external = "192.168.1.250"
    Session.create("mine", answers, "debian12").save()
    code, _, err = run_cli("export", "mine", "--format", "ansible", "-o", str(tmp_path / "e"))
    assert code == 0, err
    assert load((tmp_path / "e" / "group_vars" / "all.yml").read_text())["resources_haproxy_cfg"]["vip"] == \
        "192.168.1.250"
    save_answers(answers, tmp_path / "a.toml")


def test_the_inventory_reaches_servers_through_a_director(tmp_path):
    if not (BIN / "ansible-inventory").exists():
        pytest.skip("ansible-core not installed")
    key, kh = tmp_path / "id_ed25519", tmp_path / "known_hosts"
    key.write_text("x")
    kh.write_text("x")
    answers = Answers(profile="lab")
    export(answers, get_profile("lab"), tmp_path / "p", identity_files=[str(key)], known_hosts=[str(kh)])
    done = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(tmp_path / "p" / "inventory.ini"), "--list"],
                          capture_output=True, text=True, timeout=60, env=env_for(tmp_path))
    assert done.returncode == 0, done.stderr
    hv = json.loads(done.stdout)["_meta"]["hostvars"]
    for d in answers.directors:
        r = reach(answers, d.name)  # a port forward on this machine, or the address itself
        assert (hv[d.name]["ansible_host"], hv[d.name]["ansible_port"]) == (r.host, r.port)
        assert "ProxyCommand" not in hv[d.name]["ansible_ssh_common_args"]
    for s in answers.servers:
        assert hv[s.name]["ansible_host"] == s.ip
        hops = _hops(__import__("shlex").split(hv[s.name]["ansible_ssh_common_args"]))
        assert [(h[-1], h[h.index("-p") + 1]) for h in hops] == [
            (f"root@{reach(answers, d.name).host}", str(reach(answers, d.name).port)) for d in answers.directors]
        assert all(f"UserKnownHostsFile={kh}" in h and "%h:%p" in h for h in hops)


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


@pytest.mark.parametrize(("op", "done_output", "not_done_output"), [
    (HostOp.of("has_nic_mac", vm="standby", nic=3, mac="0800270101c2"),
     'name="standby"\nmacaddress3="0800270101C2"\n', 'name="standby"\nmacaddress3="0800270101C1"\n'),
    (HostOp.of("vm_running", vm="master"), 'VMState="running"\n', 'VMState="poweroff"\n'),
    (HostOp.of("vm_not_running", vm="master"), 'VMState="poweroff"\n', 'VMState="running"\n'),
    (HostOp.of("has_snapshot", vm="master", name="preHA"), 'SnapshotName="x"\nSnapshotName-1="preHA"\n',
     'SnapshotName="preHAx"\n'),
    (HostOp.of("natnetwork_has_rule", netname="n", rule="ssh:tcp:[]:1:[2]:22"),
     "Name: n\n        ssh:tcp:[]:1:[2]:22\n", "Name: n\n        ssh:tcp:[]:1:[2]:23\n"),
])
def test_host_probe_conditions_read_vboxmanage_right(op, done_output, not_done_output):
    """A host probe's condition ("still to do") over real VBoxManage output, evaluated as Ansible does (Jinja with
    its `search` test): false where the probe says done, true where not (a wrong case here powered master off on a
    second run)."""
    import jinja2

    builder = RoleBuilder(Answers(profile="lab"), get_profile("lab"), "en", reach)
    _, cond = builder._local_probe(op, "reg")
    env = jinja2.Environment()
    env.tests["search"] = lambda value, pattern, multiline=False: bool(
        re.search(pattern, value, re.M if multiline else 0))
    check = env.compile_expression(cond)
    for output, to_do in ((done_output, False), (not_done_output, True)):
        reg = {"stdout": output, "stdout_lines": output.splitlines(), "rc": 0}
        assert bool(check(reg=reg)) is to_do, (op, output, cond)
