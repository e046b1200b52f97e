"""One role per guide section: the plan's actions as Ansible tasks and handlers (wizard/exports/ansible.py writes
them out as a project).

How an action becomes tasks (docs/check-and-ansible.md has the table):
- an action with an intent (steps/model.py) is the module that says the same: template, blockinfile, lineinfile,
  package/dnf/apt, systemd_service, user (the password through password_hash, never logged), hostname. The
  variables of each file it writes live in group_vars/host_vars, its packages in the role's defaults;
- a command stays a command (pcs, firewall-cmd, checks): `ansible.builtin.command` when it needs no shell, else
  `ansible.builtin.shell`, always `!unsafe` (never templated), with `changed_when` saying what is true: a check
  or a wait changes nothing, a command guarded by its probe changed what the probe found missing, a command
  that prints whether it changed something (`changed_if`) is believed;
- a probe is a read-only task (it runs in `--check` too) and the action's `when`; in check mode the probe of a
  command reports the drift itself (`changed` exactly when the command would run), since Ansible skips
  commands in check mode;
- an action that applies earlier changes (`applies`: a network restart, the cluster restart after its
  constraints) is a handler those changes notify, flushed where the plan has it;
- host steps (VirtualBox) run on this machine (`delegate_to: localhost`, once): `argv` with the `vboxmanage`
  variable, guarded by the VBoxManage query that answers their probe.
"""

from __future__ import annotations

import json
import math
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from steps.model import Action, Block, File, Hostname, HostOp, Http, Line, Packages, Password, Service
from steps.profiles import Profile
from wizard.base.answers import Answers
from wizard.base.i18n import t
from wizard.exports.yaml_emit import Commented, Unsafe

VBOX_VAR = "vboxmanage"
NO_MUX = "-C -o ControlMaster=no -o ControlPath=none"  # Ansible's ssh_args without its ControlMaster
SECRET_VARS = {"hacluster_password": "hacluster_password"}
# Values fed on stdin that are not secrets: the wizard's public key (the key install, like ssh-copy-id). The
# group_vars carry it when a key's .pub is at hand; without it those tasks are skipped.
PUBLIC_VARS = ("wizard_public_key",)
# A command needs the shell when it has any of these (ansible-lint's command-instead-of-shell reads the same).
SHELL_CHARS = set("&|<>;$\n*[]{}?`!()~#\\")
# The wizard's pipelines, run by the same /bin/sh: their status is the last command's on purpose (`pipefail`
# would fail a `grep -q` whose writer gets SIGPIPE; dash has no pipefail before 0.5.11). The export's README too.
PIPE_NOQA = "risky-shell-pipe (the last command's status, as in the wizard)"
# Commands a module would not say better, each with why (ansible-lint's command-instead-of-module otherwise).
COMMAND_NOQA = (
    (re.compile(r"^sed -i "), "command-instead-of-module (one sed over a glob of files)"),
    (re.compile(r"^yum makecache$"), "command-instead-of-module (the fetch checks the vault)"),
)


def var_name(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".").replace("\n", " ")
    return text[:1].upper() + text[1:]


@dataclass
class Role:
    """One guide section as a role: its tasks, handlers, templates (asset names), defaults."""

    name: str
    number: int
    title: str
    hosts: list[str]
    tasks: list[dict[str, Any]] = field(default_factory=list)
    handlers: list[dict[str, Any]] = field(default_factory=list)
    templates: set[str] = field(default_factory=set)
    defaults: dict[str, Any] = field(default_factory=dict)
    action_ids: list[str] = field(default_factory=list)


class RoleBuilder:
    """Builds each section's role; collects the variables the roles read (group_vars, host_vars)."""

    def __init__(self, answers: Answers, profile: Profile, lang: str,
                 reach: Callable[[Answers, str, str], Any]) -> None:
        self.answers = answers
        self.profile = profile
        self.lang = lang
        self.reach = reach
        self.group_vars: dict[str, Any] = {}
        self.host_vars: dict[str, dict[str, Any]] = {}
        self.order = [d.name for d in answers.directors] + [s.name for s in answers.servers]

    # -- names ------------------------------------------------------------------------------------------------
    def _why(self, action: Action) -> str:
        return action.why_es if self.lang == "es" and action.why_es else action.why

    def _name(self, action: Action, what: str = "") -> str:
        text = _sentence(self._why(action))
        return f"{what}: {text} ({action.id})" if what else f"{text} ({action.id})"

    def _reg(self, role: Role, what: str, action: Action) -> str:
        return f"{role.name}_{what}_{var_name(action.id.split('.', 1)[1])}"

    # -- a section ---------------------------------------------------------------------------------------------
    def role(self, number: int, module: Any, actions: Sequence[Action]) -> Role:
        nodes = [n for n in self.order if any(n in a.target.nodes for a in actions if not a.target.is_local)]
        role = Role(module.ID, number, module.TITLE.get(self.lang), nodes)
        notify: dict[str, list[str]] = {}
        for action in actions:
            for applied in action.applies:
                notify.setdefault(applied, []).append(self._topic(action))
        flushed = False
        for action in actions:
            role.action_ids.append(action.id)
            tasks = self.tasks(role, action, notify.get(action.id, []))
            if action.applies:
                for task in tasks:
                    task["listen"] = self._topic(action)
                role.handlers += tasks
                role.tasks.append({"name": self._name(action, t("ansible.apply", self.lang)),
                                   "ansible.builtin.meta": "flush_handlers"})
                flushed = True
            else:
                role.tasks += tasks
        del flushed
        return role

    def _topic(self, action: Action) -> str:
        return f"{action.id} ({_sentence(self._why(action))})"

    # -- one action ----------------------------------------------------------------------------------------------
    def tasks(self, role: Role, action: Action, notify: list[str]) -> list[dict[str, Any]]:
        local = action.target.is_local
        guard: list[str] = []
        if not local and list(action.target.nodes) != role.hosts:
            guard.append(f"inventory_hostname in {json.dumps(list(action.target.nodes))}")
        base: dict[str, Any] = {}
        if local:
            base = {"delegate_to": "localhost", "run_once": True}
        elif action.via_address:
            # Another machine's address (the standby clone at master's): a connection of its own, never the
            # multiplexed one ssh may still keep for the machine that had that address.
            r = self.reach(self.answers, action.target.nodes[0], action.via_address)
            base = {"vars": {"ansible_host": r.host, "ansible_port": r.port, "ansible_ssh_args": NO_MUX}}
        tags = [action.section, *action.tags] if action.tags else []

        if action.kind == "manual" and not action.command:
            text = action.instructions_es if self.lang == "es" and action.instructions_es else action.instructions
            task = {"name": self._name(action), "ansible.builtin.pause": {"prompt": Unsafe(text or self._why(action))},
                    **({"delegate_to": "localhost", "run_once": True} if local else {})}
            return [self._finish(task, tags + ["manual"] if tags else [action.section, "manual"], guard)]

        if action.kind == "wait" and not local and action.command.strip() == "true":
            # Waiting for a node to answer SSH (it boots): Ansible's own reconnect loop.
            task = {"name": self._name(action), "ansible.builtin.wait_for_connection": {
                "timeout": int(action.timeout), "sleep": max(1, int(action.interval))}, **base}
            return [self._finish(task, tags, guard)]

        out: list[dict[str, Any]] = []
        probe_when: list[str] = []
        command_like = action.intent is None and action.kind in ("run", "write")
        if local and action.host_probe is not None:
            mapped = self._local_probe(action.host_probe, self._reg(role, "probe", action))
            if mapped is not None:
                probes, cond = mapped
                out += [self._finish({"name": self._name(action, t("ansible.probe", self.lang)), **p, **base},
                                     tags, guard) for p in probes]
                probe_when.append(cond)
            elif action.probe:
                reg = self._reg(role, "probe", action)
                out.append(self._finish({"name": self._name(action, t("ansible.probe", self.lang)),
                                         **self._probe_task(action.probe, reg, shell=True), **base}, tags, guard))
                probe_when.append(f"{reg}.rc != 0")
        elif action.probe:
            reg = self._reg(role, "probe", action)
            task = {"name": self._name(action, t("ansible.probe", self.lang)),
                    **self._probe_task(action.probe, reg, shell=None), **base}
            out.append(self._finish(task, tags, guard))
            probe_when.append(f"{reg}.rc != 0")
        if local and action.host is not None:
            own = self._host_op_guard(action.host, self._reg(role, "exists", action))
            if own is not None:
                out += [self._finish({"name": self._name(action, t("ansible.probe", self.lang)), **p, **base},
                                     tags, guard) for p in own[0]]
                probe_when.append(own[1])
        if out and probe_when and command_like:
            # Ansible skips commands in check mode: the last probe says what the command would change.
            out[-1]["changed_when"] = "ansible_check_mode and " + " and ".join(f"({c})" for c in probe_when)
        when = guard + probe_when + [f"{v} is defined" for v in action.secrets if v in PUBLIC_VARS]

        if action.kind in ("check", "wait") or (action.kind == "manual" and action.command):
            out.append(self._finish(self._check_task(role, action, base), tags, when))
            return out
        if action.intent is not None:
            tasks = self._intent_tasks(role, action, base)
            if action.disrupts_network:
                out += [self._finish(task, tags, when) for task in tasks[:-1]]
                return out + self._disruptive(role, action, tasks[-1], tags, when, notify)
            out += [self._finish(task, tags, when) for task in tasks]
        else:
            task = {"name": self._name(action), **self._command(action), **base}
            if set(action.secrets) - set(PUBLIC_VARS):
                task["no_log"] = True
            if action.changed_if:
                reg = self._reg(role, "result", action)
                task["register"] = reg
                task["changed_when"] = f"{reg}.stdout is search({json.dumps(action.changed_if)}, multiline=True)"
            elif "info" in action.tags:
                task["changed_when"] = False
            else:
                task["changed_when"] = True  # it ran: its probe (if any) found it not done
            if action.disrupts_network:
                return out + self._disruptive(role, action, task, tags, when, notify)
            task["timeout"] = int(action.timeout)
            out.append(self._finish(task, tags, when))
        if notify:
            out[-1]["notify"] = notify
        return out

    @staticmethod
    def _finish(task: dict[str, Any], tags: list[str], when: list[str]) -> dict[str, Any]:
        if when:
            task["when"] = list(when)
        if tags:
            task["tags"] = list(dict.fromkeys(tags))
        return task

    # -- commands ----------------------------------------------------------------------------------------------
    def _module_for(self, command: str) -> tuple[str, dict[str, Any]]:
        needs_shell = any(c in SHELL_CHARS for c in command) or "=" in command.split(" ", 1)[0]
        name = "ansible.builtin.shell" if needs_shell else "ansible.builtin.command"
        skips = [reason for pattern, reason in COMMAND_NOQA if pattern.search(command)]
        if needs_shell and "|" in command.replace("||", ""):
            skips.append(PIPE_NOQA)
        module: Any = Commented(name, "noqa: " + "; ".join(skips)) if skips else name
        return module, {"cmd": Unsafe(command)}

    def _command(self, action: Action) -> dict[str, Any]:
        if action.target.is_local:
            if action.argv:
                return {"ansible.builtin.command": {"argv": self._argv(action.argv)}}
            if action.host is not None:
                argv = self._host_op_command(action.host)
                if argv is not None:
                    return {"ansible.builtin.command": {"argv": argv}}
            # A host operation with no single-program equivalent (HTTP timings, loops): its POSIX rendering, the
            # VBoxManage of the `vboxmanage` variable first on PATH.
            module, args = self._module_for(action.command)
            return {"_module": (module, args), "environment": {"PATH": (
                "{{ ((vboxmanage | dirname) ~ ':') if (vboxmanage | dirname) else '' }}{{ lookup('env', 'PATH') }}")}}
        module, args = self._module_for(action.command)
        if action.stdin:  # secrets, or the clock check's {now}: a command that reads stdin must get it
            args["stdin"] = self._stdin(action)
            args["stdin_add_newline"] = False
        return {"_module": (module, args)}

    def _probe_task(self, command: Any, register: str, shell: bool | None) -> dict[str, Any]:
        if shell is False:
            call: dict[str, Any] = {"ansible.builtin.command": {"argv": command}}
        else:
            module, args = self._module_for(command)
            call = {"_module": (module, args)}
        return {**call, "register": register, "changed_when": False, "failed_when": False, "check_mode": False}

    def _stdin(self, action: Action) -> str:
        # {now}: the controller's clock when the task starts, as the engine gives the wizard's (preflight's clock
        # check); a naive now() is local time, which .timestamp() reads as such.
        text = action.stdin.replace("{now}", "{{ '%.3f' % now().timestamp() }}")
        for name in action.secrets:
            text = text.replace("{" + name + "}", "{{ " + SECRET_VARS.get(name, name) + " }}")
        return text

    def _check_task(self, role: Role, action: Action, base: dict[str, Any]) -> dict[str, Any]:
        """A check or a wait: read-only, so it runs in check mode too; fails on the status or the pattern."""
        reg = self._reg(role, "result", action)
        if isinstance(action.intent, Http):
            call: dict[str, Any] = {"ansible.builtin.uri": {"url": action.intent.url, "timeout": 10}}
        else:
            call = self._command(action)
        task: dict[str, Any] = {"name": self._name(action), **call, **base, "register": reg,
                                "changed_when": False, "check_mode": False}
        cond = f"{reg}.status == 200" if isinstance(action.intent, Http) else f"{reg}.rc == 0"
        if action.expect:
            task["vars"] = {**base.get("vars", {}), f"{role.name}_expect": Unsafe(action.expect)}
            cond += (f" and ((({reg}.stdout | default('')) ~ '\\n' ~ ({reg}.stderr | default(''))) is "
                     f"search({role.name}_expect, multiline=True))")
        if action.kind == "wait" or action.kind == "manual":
            interval = max(1.0, action.interval)
            task |= {"until": cond, "retries": max(1, math.ceil(action.timeout / interval)), "delay": int(interval)}
        else:
            task["failed_when"] = f"not ({cond})"
            task["timeout"] = int(action.timeout)
        if action.warn_only:
            # A warning in the wizard: shown as a failure Ansible ignores (the output says what it means).
            task["ignore_errors"] = True
        return task

    def _disruptive(self, role: Role, action: Action, task: dict[str, Any], tags: list[str],
                    when: list[str], notify: list[str]) -> list[dict[str, Any]]:
        """Started in the background (the connection drops), the node reached again, the job's result read."""
        job = self._reg(role, "job", action)
        timeout = int(action.timeout)
        task |= {"async": timeout, "poll": 0, "register": job}
        task.pop("timeout", None)
        node = action.target.nodes[0]
        after: dict[str, Any] = {}
        if action.reconnect_to:
            r = self.reach(self.answers, node, action.reconnect_to)
            after["vars"] = {"ansible_host": r.host, "ansible_port": r.port}
        condition = [*when, f"{job}.ansible_job_id is defined"]
        wait = {"name": self._name(action, t("ansible.reconnect", self.lang)),
                "ansible.builtin.wait_for_connection": {"delay": 2, "timeout": timeout}, **after}
        status = {"name": self._name(action, t("ansible.job_result", self.lang)),
                  "ansible.builtin.async_status": {"jid": "{{ " + job + ".ansible_job_id }}"},
                  "register": f"{job}_result", "until": f"{job}_result.finished", "retries": timeout, "delay": 1,
                  "changed_when": False, **after}
        if notify:
            status["notify"] = notify
        return [self._finish(task, tags, when), self._finish(wait, tags, condition),
                self._finish(status, tags, condition)]

    # -- intents -------------------------------------------------------------------------------------------------
    def _vars_home(self, action: Action) -> dict[str, Any]:
        """Where an action's variables live: group_vars/all.yml for a group, the node's host_vars otherwise."""
        if action.target.kind == "group":
            return self.group_vars
        return self.host_vars.setdefault(action.target.nodes[0], {})

    def _file_var(self, action: Action) -> str:
        parts = action.id.split(".")
        if not action.target.is_local and action.target.kind == "node" and parts[-1] == action.target.nodes[0]:
            parts = parts[:-1]  # host_vars/<node>.yml already says whose
        return var_name("_".join(parts))

    def _intent_tasks(self, role: Role, action: Action, base: dict[str, Any]) -> list[dict[str, Any]]:
        intent = action.intent
        name = self._name(action)
        var = self._file_var(action)
        if isinstance(intent, File):
            self._vars_home(action)[var] = {"path": intent.path, **intent.context()}
            role.templates.add(intent.template)
            out = []
            if intent.mkdir:
                out.append({"name": self._name(action, t("ansible.folder", self.lang)), "ansible.builtin.file": {
                    "path": "{{ " + var + ".path | dirname }}", "state": "directory", "mode": "0755"}, **base})
            task_vars = {**base.get("vars", {}), **{k: "{{ " + f"{var}.{k}" + " }}" for k in intent.context()}}
            out.append({"name": name, "ansible.builtin.template": {
                "src": intent.template, "dest": "{{ " + var + ".path }}", "mode": intent.mode,
                "lstrip_blocks": True}, **base, "vars": task_vars})
            return out
        if isinstance(intent, Block):
            self._vars_home(action)[var] = {"path": intent.path, **intent.context()}
            role.templates.add(intent.template)
            task_vars = {**base.get("vars", {}), **{k: "{{ " + f"{var}.{k}" + " }}" for k in intent.context()}}
            return [{"name": name, "ansible.builtin.blockinfile": {
                "path": "{{ " + var + ".path }}", "marker": intent.marker,
                "block": "{{ lookup('ansible.builtin.template', '" + intent.template + "') }}",
                # /etc/hosts is often a bind mount (containers), where the usual rename cannot replace it.
                "unsafe_writes": True}, **base, "vars": task_vars}]
        if isinstance(intent, Line):
            self._vars_home(action)[var] = {"path": intent.path, "line": intent.line}
            return [{"name": name, "ansible.builtin.lineinfile": {
                "path": "{{ " + var + ".path }}", "regexp": Unsafe(intent.regexp), "line": "{{ " + var + ".line }}"},
                **base}]
        if isinstance(intent, Packages):
            default = f"{role.name}_{var_name(action.id.split('.', 1)[1])}_packages"
            role.defaults[default] = list(intent.names)
            manager = self.profile.package_manager
            if manager == "apt":
                # A freshly booted Debian often has unattended-upgrades holding the lock.
                call = {"ansible.builtin.apt": {"name": "{{ " + default + " }}", "state": "present",
                                                "lock_timeout": 120}}
            elif manager == "dnf":
                call = {"ansible.builtin.dnf": {"name": "{{ " + default + " }}", "state": "present"}}
            else:  # yum: ansible-core <= 2.16 (the only ones that run on CentOS 7's Python) pick yum by themselves
                call = {"ansible.builtin.package": {"name": "{{ " + default + " }}", "state": "present"}}
            return [{"name": name, **call, **base, "timeout": int(action.timeout)}]
        if isinstance(intent, Service):
            args: dict[str, Any] = {"name": intent.name}
            if intent.state is not None:
                args["state"] = intent.state
            if intent.enabled is not None:
                args["enabled"] = intent.enabled
            return [{"name": name, "ansible.builtin.systemd_service": args, **base}]
        if isinstance(intent, Password):
            secret = SECRET_VARS.get(intent.secret, intent.secret)
            # A salt of its own per host, the same every run: the hash only changes when the password does.
            return [{"name": name, "ansible.builtin.user": {
                "name": intent.user,
                "password": "{{ " + secret + " | password_hash('sha512', 65534 | random(seed=inventory_hostname)"
                            " | string) }}"}, **base, "no_log": True}]
        if isinstance(intent, Hostname):
            return [{"name": name, "ansible.builtin.hostname": {"name": intent.name}, **base}]
        raise AssertionError(f"{action.id}: no Ansible form for {intent!r}")

    # -- this machine (VirtualBox) -------------------------------------------------------------------------------
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
            # VBoxManage prints MACs in upper case; compared upper-cased, as `grep -i` does in the shell rendering.
            line = f'MACADDRESS{int(kw["nic"])}="{str(kw["mac"]).upper()}"'
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


def expand_modules(value: Any) -> Any:
    """Tasks carry their module as `_module: (name, args)` while being built: put it where Ansible reads it,
    right after the name (ansible-lint's key order)."""
    if isinstance(value, list):
        return [expand_modules(v) for v in value]
    if isinstance(value, dict):
        if "_module" not in value:
            return {k: expand_modules(v) for k, v in value.items()}
        module, args = value["_module"]
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k == "_module":
                continue
            out[k] = v
            if k == "name":
                out[module.value if isinstance(module, Commented) else module] = (
                    Commented(args, module.comment) if isinstance(module, Commented) else args)
        if "name" not in value:
            out = {(module.value if isinstance(module, Commented) else module): args, **out}
        return out
    return value


def shell_words(command: str) -> list[str]:
    return shlex.split(command)
