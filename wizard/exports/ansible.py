"""The plan as an Ansible playbook: `ha-wizard plan --format ansible -o DIR` and `export NAME --format ansible`.

DIR/inventory.ini says how to reach each node (the directors directly, the real servers through a director
with an SSH ProxyCommand), DIR/site.yml does what the plan does, in the plan's order:

- each section becomes plays: the machine running VirtualBox (`hosts: localhost`) for host steps, the nodes
  for the rest; a task per action, named by its id, tagged with its section (and the action's tags), so
  `--tags` / `--skip-tags` pick parts as `--section` does;
- remote commands run as the wizard runs them (the node's shell, `ansible.builtin.shell`); host steps that are
  one program run (`Action.argv`) are `ansible.builtin.command` with `argv`, VBoxManage taken from the
  `vboxmanage` variable; host operations done in Python by the wizard become the equivalent VBoxManage calls
  where they are one, else their POSIX rendering (an Ansible controller is always POSIX);
- probes become guards: `creates:` for a plain file test, else a read-only task registered and a `when:`;
  checks fail on the exit status or when the output does not match the expected pattern; waits are
  `until`/`retries`/`delay`; a node that boots is waited for with `wait_for_connection`; network changes run
  `async` (poll 0), then the node is reached again (at its new address when it moves) and the job's status
  read back — the wizard's detached run and reconnect;
- the hacluster password comes from `-e hacluster_password=...` (or an ansible-vault file given with
  `-e @vault.yml`), reaches the commands on stdin (`no_log`), and is never written into the files;
- every command and pattern is `!unsafe`: Ansible never templates what the wizard would run verbatim.

Generation needs neither Ansible nor PyYAML: the YAML is written here (a small emitter) into jinja2 templates
(assets/ansible/, StrictUndefined). ansible-core is only a test dependency (the syntax check and the lab run).
"""

from __future__ import annotations

import json
import math
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assets import render
from steps.model import Action, HostOp
from steps.profiles import Profile
from wizard.base.answers import Answers
from wizard.base.i18n import LocalizedError, msg, t

VBOX_VAR = "vboxmanage"
NO_MUX = "-C -o ControlMaster=no -o ControlPath=none"  # Ansible's ssh_args without its ControlMaster
SECRET_VARS = {"hacluster_password": "hacluster_password"}
# Values fed on stdin that are not secrets: the wizard's public key (h9's key install, like ssh-copy-id). The
# inventory carries it when --identity's .pub is at hand; without it those tasks are skipped (Ansible logged in
# with a key already, or with --ask-pass: then give it with -e wizard_public_key="...").
PUBLIC_VARS = ("wizard_public_key",)


class Unsafe(str):
    """A string Ansible must not template (emitted with the `!unsafe` tag): commands, regexes, file text."""


# -- a small YAML emitter (block style, safe quoting) ---------------------------------------------------------
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if value is None:
        return "null"
    text = str(value)
    quoted = json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar
    return f"!unsafe {quoted}" if isinstance(value, Unsafe) else quoted


def _block(value: str, indent: int) -> list[str]:
    """A multi-line string as a literal block; exact text back (indentation and final newlines kept)."""
    tag = "!unsafe " if isinstance(value, Unsafe) else ""
    chomp = "+" if value.endswith("\n") else "-"
    body = value[:-1] if value.endswith("\n") else value
    lines = body.split("\n")
    # An explicit indentation indicator: the first line may itself start with spaces.
    head = f"{tag}|2{chomp}"
    pad = " " * (indent + 2)
    return [head] + [pad + line if line else "" for line in lines]


def _needs_block(value: Any) -> bool:
    return isinstance(value, str) and "\n" in value and not re.search(r"[ \t]\n|[\t\r]", value)


def emit(value: Any, indent: int = 0) -> list[str]:
    """YAML lines for `value` (dicts keep their order; lists of dicts in block style)."""
    pad = " " * indent
    if isinstance(value, dict):
        out: list[str] = []
        for key, item in value.items():
            k = key if _PLAIN_KEY.match(key) else json.dumps(key)
            if isinstance(item, dict | list) and item:
                out.append(f"{pad}{k}:")
                out += emit(item, indent + 2)
            elif isinstance(item, dict | list):
                out.append(f"{pad}{k}: {'{}' if isinstance(item, dict) else '[]'}")
            elif _needs_block(item):
                first, *rest = _block(item, indent)
                out.append(f"{pad}{k}: {first}")
                out += rest
            else:
                out.append(f"{pad}{k}: {_scalar(item)}")
        return out
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, dict) and item:
                inner = emit(item, indent + 2)
                out.append(f"{pad}- {inner[0].lstrip()}")
                out += inner[1:]
            else:  # list items are short (argv words, conditions): always quoted
                out.append(f"{pad}- {_scalar(item)}")
        return out
    return [pad + _scalar(value)]


# -- how each node is reached ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reach:
    node: str
    host: str
    port: int
    jumps: tuple[tuple[str, int], ...] = ()  # directors to go through, in order (the first that answers)


def _split(address: str) -> tuple[str, int | None]:
    """`127.0.0.1:2201` -> ("127.0.0.1", 2201); a plain address -> (address, None)."""
    host, sep, port = address.rpartition(":")
    if sep and host and ":" not in host and port.isdigit():
        return host, int(port)
    return address, None


def reach(answers: Answers, node: str, address: str = "") -> Reach:
    """Where the node answers SSH, as the wizard dials it (wizard/base/reach.py when it is there: a port forward on
    this machine, a direct address, servers through the directors); `address` (`host[:port]`) instead when an
    action names one (the clone at master's address)."""
    try:
        from wizard.base.reach import reach as wizard_reach
    except ImportError:  # before per-node endpoints: every node at its address, the answers' port
        wizard_reach = None
    if wizard_reach is not None:
        r = wizard_reach(answers, node)
        host, port = r.host, r.port
        jumps = tuple((wizard_reach(answers, d).host, wizard_reach(answers, d).port) for d in r.jump)
    else:
        n = answers.node(node)
        host, port = _split(n.address)[0], answers.ssh_port
        is_server = any(s.name == node for s in answers.servers)
        jumps = tuple((_split(d.address)[0], answers.ssh_port) for d in answers.directors) if is_server else ()
    if address:
        via_host, via_port = _split(address)
        host, port = via_host, via_port or answers.ssh_port
    return Reach(node, host, port, jumps)


def _connection_vars(r: Reach) -> dict[str, Any]:
    return {"ansible_host": r.host, "ansible_port": r.port}


_SAFE_WORD = re.compile(r"^[A-Za-z0-9_@%+=:,./~-]+$")  # needs no shell quoting


def ssh_options(identity_files: Sequence[str], known_hosts: Sequence[str]) -> list[str]:
    """ssh's arguments for the given key and known_hosts files (what `run` logs in with: see wizard/cli/ansible.py).

    Every file goes into one `UserKnownHostsFile` (OpenSSH separates several with spaces), so a path must be
    a plain word: one with spaces or quotes is refused with a clear message rather than half-quoted."""
    args: list[str] = []
    for path in map(str, identity_files):
        args += ["-o", f"IdentityFile={path}"]
    files = list(map(str, known_hosts))
    if files:
        args += ["-o", "UserKnownHostsFile=" + " ".join(files)]
    for path in [*map(str, identity_files), *files]:
        if not _SAFE_WORD.match(path):
            raise LocalizedError(msg("ansible.unsafe_path", path=path))
    return args


def _proxy_command(answers: Answers, r: Reach, options: list[str]) -> str:
    """`ssh -W` through the first director that answers (the next one when it is down), as the wizard does, with
    the same key and known_hosts as the outer connection. OpenSSH execs the ProxyCommand, so the fallback needs
    its own `sh -c`."""
    user = answers.ssh_user
    hops = [shlex.join(["ssh", *options, "-o", "BatchMode=yes", "-p", str(port), "-W", "%h:%p", f"{user}@{host}"])
            for host, port in r.jumps]
    if len(hops) == 1:
        return hops[0]
    return "sh -c " + shlex.quote(" || ".join(hops))


def render_inventory(answers: Answers, profile: Profile, lang: str, identity_files: Sequence[str] = (),
                     known_hosts: Sequence[str] = (), vboxmanage: str = "") -> str:
    """`identity_files` / `known_hosts`: what the nodes are logged into with and checked against (the command
    line passes what `run` would use). `vboxmanage`: the program the host steps run (the command line finds
    it); empty: the answers' or the bare name (PATH). `-e vboxmanage=...` overrides it at run time."""
    options = ssh_options(identity_files, known_hosts)
    directors = [reach(answers, d.name) for d in answers.directors]
    servers = [reach(answers, s.name) for s in answers.servers]
    server_options = list(options)
    if servers:
        server_options += ["-o", "ProxyCommand=" + _proxy_command(answers, servers[0], options)]
    public_key = ""
    for key in identity_files:
        pub = Path(f"{key}.pub")
        if pub.is_file():
            public_key = pub.read_text(encoding="utf-8").strip().splitlines()[0]
            break
    # Ansible splits ansible_ssh_common_args as a shell would (shlex): each argument quoted once, here.
    return render("ansible/inventory.ini.j2", header=t("ansible.inventory_header", lang, profile=profile.name),
                  directors=directors, servers=servers, user=answers.ssh_user, become=answers.ssh_user != "root",
                  common_args=_ini_value(shlex.join(options)), server_args=_ini_value(shlex.join(server_options)),
                  vboxmanage=_ini_value(vboxmanage or answers.virtualbox.vboxmanage or "VBoxManage"),
                  public_key=_ini_value(public_key) if public_key else "")


def _ini_value(text: str) -> str:
    """A value for an INI inventory's `[group:vars]` line: Ansible reads it as a Python literal when quoted."""
    return repr(text) if text else "''"


# -- the playbook -------------------------------------------------------------------------------------------------

def _var(action_id: str, what: str) -> str:
    return f"{what}_{re.sub(r'[^A-Za-z0-9]+', '_', action_id)}"


def _why(action: Action, lang: str) -> str:
    return action.why_es if lang == "es" and action.why_es else action.why


def _creates(probe: str) -> str | None:
    """`test -f PATH` / `test -e PATH` alone: Ansible's `creates:` says the same."""
    try:
        words = shlex.split(probe)
    except ValueError:
        return None
    if len(words) == 3 and words[0] == "test" and words[1] in ("-f", "-e"):
        return words[2]
    return None


def _output_matches(register: str) -> str:
    return f"(({register}.stdout | default('')) ~ '\\n' ~ ({register}.stderr | default(''))) is search(expect, " \
           "multiline=True)"


def _stdin(action: Action) -> str:
    """The action's stdin template with the secrets as Ansible variables ("{hacluster_password}" style)."""
    # {now}: the controller's clock when the task starts, as the engine gives the wizard's (preflight's clock
    # check); a naive now() is local time, which .timestamp() reads as such.
    text = action.stdin.replace("{now}", "{{ '%.3f' % now().timestamp() }}")
    for name in action.secrets:
        text = text.replace("{" + name + "}", "{{ " + SECRET_VARS.get(name, name) + " }}")
    return text


@dataclass
class Play:
    name: str
    hosts: list[str]
    local: bool
    tasks: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        play: dict[str, Any] = {"name": self.name, "hosts": "localhost" if self.local else ":".join(self.hosts)}
        if self.local:
            play["connection"] = "local"
            # The controller's own Python (the one running ansible-playbook), not whatever `python3` is here.
            play["vars"] = {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}
            # Host steps written as shell (their POSIX rendering) say `VBoxManage`: the same one as the argv steps.
            play["environment"] = {"PATH": "{{ ((vboxmanage | dirname) ~ ':') if (vboxmanage | dirname) else '' }}"
                                           "{{ lookup('env', 'PATH') }}"}
        play |= {"gather_facts": False, "any_errors_fatal": True, "tasks": self.tasks}
        return play


class PlaybookBuilder:
    def __init__(self, answers: Answers, profile: Profile, lang: str) -> None:
        self.answers = answers
        self.profile = profile
        self.lang = lang

    # -- local (the machine running VirtualBox) ---------------------------------------------------------------
    def _argv(self, argv: Sequence[str]) -> list[Any]:
        head = argv[0]
        first: Any = "{{ " + VBOX_VAR + " }}" if head == "VBoxManage" else Unsafe(head)
        return [first, *(Unsafe(a) for a in argv[1:])]

    def _host_op_command(self, op: HostOp) -> list[Any] | None:
        """The one VBoxManage call a host operation is, when it is one; None otherwise."""
        kw = op.kwargs()
        if op.op == "vbox_if_vm_exists":
            return self._argv(["VBoxManage", *kw["args"]])  # guarded by _host_op_guard
        if op.op == "vm_state":
            return self._argv(["VBoxManage", "showvminfo", kw["vm"], "--machinereadable"])
        return None

    def _host_op_guard(self, op: HostOp, register: str) -> tuple[list[dict[str, Any]], str] | None:
        """A condition the operation itself checks before its call (vbox_if_vm_exists: the VM exists)."""
        if op.op != "vbox_if_vm_exists":
            return None
        task = self._probe_task(self._argv(["VBoxManage", "showvminfo", op.kwargs()["vm"], "--machinereadable"]),
                                register, shell=False)
        return [task], f"{register}.rc == 0"

    def _local_probe(self, op: HostOp, register: str) -> tuple[list[dict[str, Any]], str] | None:
        """A host probe as read-only tasks + the condition under which the action still has to run (the probe
        said "not done"); None when the operation has no VBoxManage equivalent here."""
        kw = op.kwargs()
        if op.op == "any_of":
            # Done when any alternative says so: the action runs only when every one says "not done".
            tasks, conds = [], []
            for i, sub in enumerate(kw["ops"]):
                mapped = self._local_probe(sub, f"{register}_{i}")
                if mapped is None:
                    return None
                tasks += mapped[0]
                conds.append(f"({mapped[1]})")
            return tasks, " and ".join(conds)
        info = ("showvminfo", kw.get("vm", ""), "--machinereadable")
        if op.op in ("vm_running", "vm_not_running", "vm_exists", "has_nic_mac"):
            task = self._probe_task(self._argv(["VBoxManage", *info]), register, shell=False)
            if op.op == "vm_running":
                return [task], f"'VMState=\"running\"' not in {register}.stdout_lines"
            if op.op == "vm_not_running":
                return [task], f"'VMState=\"running\"' in {register}.stdout_lines"
            if op.op == "vm_exists":
                return [task], f"{register}.rc != 0"
            line = f'macaddress{int(kw["nic"])}="{str(kw["mac"]).upper()}"'
            return [task], f"({register}.stdout | upper) is not search({json.dumps(line)}, multiline=True)"
        if op.op == "has_snapshot":
            task = self._probe_task(self._argv(["VBoxManage", "snapshot", kw["vm"], "list", "--machinereadable"]),
                                    register, shell=False)
            pattern = rf'^SnapshotName(-\d+)*="{re.escape(str(kw["name"]))}"$'
            return [task], f"{register}.stdout is not search({json.dumps(pattern)}, multiline=True)"
        if op.op == "natnetwork_rule_free":
            # Done (nothing to remove) when no rule has this name, or the rule there is the one wanted.
            task = self._probe_task(self._argv(["VBoxManage", "list", "natnetworks"]), register, shell=False)
            lines = f"({register}.stdout_lines | map('trim') | list)"
            named = f"({lines} | select('match', {json.dumps(re.escape(str(kw['name'])) + ':')}) | list | length > 0)"
            return [task], f"{named} and {json.dumps(str(kw['rule']))} not in {lines}"
        if op.op == "natnetwork_has_rule":
            task = self._probe_task(self._argv(["VBoxManage", "list", "natnetworks"]), register, shell=False)
            return [task], f"{json.dumps(str(kw['rule']))} not in ({register}.stdout_lines | map('trim') | list)"
        return None

    def _probe_task(self, command: Any, register: str, shell: bool) -> dict[str, Any]:
        module = "ansible.builtin.shell" if shell else "ansible.builtin.command"
        args = {"cmd": Unsafe(command)} if shell else {"argv": command}
        return {module: args, "register": register, "changed_when": False, "failed_when": False,
                "check_mode": False}

    # -- tasks of one action -----------------------------------------------------------------------------------------
    def tasks(self, action: Action, play_nodes: list[str]) -> list[dict[str, Any]]:
        name = f"{action.id} — {_why(action, self.lang)}"
        tags = [action.section, *action.tags]
        guard: list[str] = []
        if not action.target.is_local and list(action.target.nodes) != play_nodes:
            guard.append(f"inventory_hostname in {json.dumps(list(action.target.nodes))}")
        out: list[dict[str, Any]] = []
        base: dict[str, Any] = {}
        if action.via_address and not action.target.is_local:
            # Another machine's address (the standby clone at master's): a connection of its own, never the
            # multiplexed one ssh may still keep for the machine that had that address.
            base["vars"] = {**_connection_vars(reach(self.answers, action.target.nodes[0], action.via_address)),
                            "ansible_ssh_args": NO_MUX}

        if action.kind == "manual":
            text = action.instructions_es if self.lang == "es" and action.instructions_es else action.instructions
            if action.command:
                out.append(self._wait_task(action, name, tags, guard, base))
            else:
                out.append({"name": name, "ansible.builtin.pause": {"prompt": Unsafe(text or _why(action, self.lang))},
                            "tags": [*tags, "manual"], **({"when": guard} if guard else {})})
            return out

        if action.kind == "wait" and not action.target.is_local and action.command.strip() == "true":
            # Waiting for a node to answer SSH (it boots): Ansible's own reconnect loop.
            task = {"name": name, "ansible.builtin.wait_for_connection": {
                "timeout": int(action.timeout), "sleep": max(1, int(action.interval))}, "tags": tags, **base}
            if guard:
                task["when"] = guard
            return [task]

        probe_cond: list[str] = []
        creates = None
        if action.target.is_local and action.host_probe is not None:
            mapped = self._local_probe(action.host_probe, _var(action.id, "probe"))
            if mapped is not None:
                probe_tasks, cond = mapped
                out += [{"name": f"{action.id} — {t('ansible.probe', self.lang)}", **p, "tags": tags}
                        for p in probe_tasks]
                probe_cond.append(cond)
            elif action.probe:
                out.append({"name": f"{action.id} — {t('ansible.probe', self.lang)}",
                            **self._probe_task(action.probe, _var(action.id, "probe"), shell=True), "tags": tags})
                probe_cond.append(f"{_var(action.id, 'probe')}.rc != 0")
        elif action.probe:
            creates = _creates(action.probe)
            if creates is None:
                task = {"name": f"{action.id} — {t('ansible.probe', self.lang)}",
                        **self._probe_task(action.probe, _var(action.id, "probe"), shell=True), "tags": tags, **base}
                if guard:
                    task["when"] = list(guard)
                out.append(task)
                probe_cond.append(f"{_var(action.id, 'probe')}.rc != 0")

        if action.target.is_local and action.host is not None:
            own = self._host_op_guard(action.host, _var(action.id, "exists"))
            if own is not None:
                out += [{"name": f"{action.id} — {t('ansible.probe', self.lang)}", **p, "tags": tags} for p in own[0]]
                probe_cond.append(own[1])

        if action.kind == "wait":
            out.append(self._wait_task(action, name, tags, guard + probe_cond, base))
            return out

        task: dict[str, Any] = {"name": name}
        task |= self._command(action, creates)
        if set(action.secrets) - set(PUBLIC_VARS):
            task["no_log"] = True
        probe_cond += [f"{v} is defined" for v in action.secrets if v in PUBLIC_VARS]
        if action.kind == "check":
            task["register"] = "out"
            task["changed_when"] = False
            if action.expect:
                task["vars"] = {**base.get("vars", {}), "expect": Unsafe(action.expect)}
                task["failed_when"] = f"out.rc != 0 or not ({_output_matches('out')})"
        elif "info" in action.tags:
            task["changed_when"] = False
        if "vars" not in task and base:
            task |= base
        if action.disrupts_network:
            return out + self._disruptive(action, task, tags, guard + probe_cond)
        task["timeout"] = int(action.timeout)
        task["tags"] = tags
        if guard + probe_cond:
            task["when"] = guard + probe_cond
        out.append(task)
        return out

    def _command(self, action: Action, creates: str | None = None) -> dict[str, Any]:
        """The module call that runs the action's command."""
        if action.target.is_local:
            if action.argv:
                return {"ansible.builtin.command": {"argv": self._argv(action.argv)}}
            if action.host is not None:
                argv = self._host_op_command(action.host)
                if argv is not None:
                    return {"ansible.builtin.command": {"argv": argv}}
            # A host operation with no single-program equivalent (HTTP timings, loops): its POSIX rendering.
            return {"ansible.builtin.shell": {"cmd": Unsafe(action.command)}}
        args: dict[str, Any] = {"cmd": Unsafe(action.command)}
        if creates:
            args["creates"] = Unsafe(creates)
        if action.stdin:  # secrets, or the clock check's {now}: a command that reads stdin must get it
            args["stdin"] = _stdin(action)
            args["stdin_add_newline"] = False
        return {"ansible.builtin.shell": args}

    def _wait_task(self, action: Action, name: str, tags: list[str], when: list[str],
                   base: dict[str, Any]) -> dict[str, Any]:
        interval = max(1.0, action.interval)
        retries = max(1, math.ceil(action.timeout / interval))
        task: dict[str, Any] = {"name": name, **self._command(action), "register": "out", "changed_when": False}
        cond = "out.rc == 0"
        if action.expect:
            task["vars"] = {**base.get("vars", {}), "expect": Unsafe(action.expect)}
            cond += f" and {_output_matches('out')}"
        elif base:
            task |= base
        task |= {"until": cond, "retries": retries, "delay": int(interval), "tags": tags}
        if when:
            task["when"] = when
        return task

    def _disruptive(self, action: Action, task: dict[str, Any], tags: list[str], when: list[str]) -> list[
            dict[str, Any]]:
        """Started in the background (the connection drops), the node reached again, the job's result read."""
        job = _var(action.id, "job")
        timeout = int(action.timeout)
        task |= {"async": timeout, "poll": 0, "register": job, "tags": tags}
        if when:
            task["when"] = when
        node = action.target.nodes[0]
        after: dict[str, Any] = {}
        moved = action.reconnect_to or ""
        if moved:
            after["vars"] = _connection_vars(reach(self.answers, node, moved))
        condition = [*when, f"{job}.ansible_job_id is defined"]
        wait = {"name": f"{action.id} — {t('ansible.reconnect', self.lang, address=moved or '…')}",
                "ansible.builtin.wait_for_connection": {"delay": 2, "timeout": timeout}, "tags": tags,
                "when": condition, **after}
        status = {"name": f"{action.id} — {t('ansible.job_result', self.lang)}",
                  "ansible.builtin.async_status": {"jid": "{{ " + job + ".ansible_job_id }}"},
                  "register": f"{job}_result", "until": f"{job}_result.finished", "retries": timeout,
                  "delay": 1, "tags": tags, "when": condition, **after}
        return [task, wait, status]

    # -- plays --------------------------------------------------------------------------------------------------------
    def plays(self, plan: Sequence[tuple[int, Any, list[Action]]]) -> list[Play]:
        """`plan`: (section number in the whole plan, section module, its actions)."""
        plays: list[Play] = []
        if any(set(a.secrets) - set(PUBLIC_VARS) for _, _, actions in plan for a in actions):
            plays.append(Play(t("ansible.secrets_play", self.lang), [], True, [{
                "name": t("ansible.secrets_task", self.lang),
                "ansible.builtin.assert": {
                    "that": [f"{v} is defined", f"{v} | string | length > 0"],
                    "fail_msg": t("ansible.secrets_missing", self.lang, var=v), "quiet": True},
                "tags": ["always"]} for v in dict.fromkeys(SECRET_VARS.get(s, s) for _, _, acts in plan
                                                              for a in acts for s in a.secrets
                                                              if s not in PUBLIC_VARS)]))
        order = [d.name for d in self.answers.directors] + [s.name for s in self.answers.servers]
        for number, module, actions in plan:
            title = f"{number}. {module.TITLE.get(self.lang)} [{module.ID}]"
            runs: list[list[Action]] = []
            for action in actions:
                if runs and runs[-1][0].target.is_local == action.target.is_local:
                    runs[-1].append(action)
                else:
                    runs.append([action])
            for run in runs:
                local = run[0].target.is_local
                nodes = [] if local else [n for n in order if any(n in a.target.nodes for a in run)]
                where = t("ansible.where_local", self.lang) if local else ", ".join(nodes)
                play = Play(f"{title} — {where}", nodes, local)
                for action in run:
                    play.tasks += self.tasks(action, nodes)
                plays.append(play)
        return plays


def render_playbook(answers: Answers, profile: Profile, plan: Sequence[tuple[int, Any, list[Action]]],
                    lang: str) -> str:
    builder = PlaybookBuilder(answers, profile, lang)
    plays = [p.to_dict() for p in builder.plays(plan)]
    body = "\n".join(emit(plays))
    header = t("ansible.site_header", lang, profile=profile.name, description=profile.description)
    return render("ansible/site.yml.j2", header=header.splitlines(), body=body)


def export(answers: Answers, profile: Profile, out_dir: str | Path, *,
           plan: list[tuple[Any, list[Action]]] | None = None, sections: Sequence[str] = (), lang: str = "en",
           identity_files: Sequence[str] = (), known_hosts: Sequence[str] = (), vboxmanage: str = "") -> list[Path]:
    """Write DIR/inventory.ini and DIR/site.yml; returns their paths. OSError when DIR cannot be written."""
    from steps import full_plan

    full = plan if plan is not None else full_plan(answers, profile)
    chosen = [(n, m, acts) for n, (m, acts) in enumerate(full, 1) if not sections or m.ID in sections]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "inventory.ini": render_inventory(answers, profile, lang, identity_files, known_hosts, vboxmanage),
        "site.yml": render_playbook(answers, profile, chosen, lang),
    }
    written = []
    for name, text in files.items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


