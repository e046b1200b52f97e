"""The plan as an Ansible project: `ha-wizard plan --format ansible -o DIR` and `export NAME --format ansible -o DIR`.

DIR holds what an Ansible user expects to find:
- `inventory.ini`: how each node is reached, as the wizard reaches it (a port forward or an address for the
  directors, the real servers through a director with an SSH ProxyCommand that tries the next director when the
  first does not answer), with the key and known_hosts `run` would use (the command line passes them);
- `group_vars/all.yml`, `host_vars/<node>.yml`: the values each file is written from (haproxy.cfg, interface
  files, the /etc/hosts block...), the VBoxManage to run, the wizard's public key: a student edits variables,
  never tasks;
- `site.yml`: one play per guide section, each importing its role, tagged with the section id;
- `roles/<section>/`: `tasks/main.yml` (the section's actions, in the plan's order), `handlers/main.yml` (the
  actions that apply earlier changes), `templates/` (the same jinja2 templates the wizard renders, from assets/),
  `defaults/main.yml` (package lists); wizard/exports/ansible_roles.py says how an action becomes tasks;
- `README.md`: how to run it, tag by tag, check mode, CentOS 7.

The hacluster password comes from `-e hacluster_password=...` (or an ansible-vault file, `-e @vault.yml`) and is
never written into the files. Generation needs neither Ansible nor PyYAML (wizard/exports/yaml_emit.py writes
the YAML); ansible-core and ansible-lint are test dependencies only.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assets import environment, render
from steps.model import Action
from steps.profiles import Profile
from wizard.base.answers import Answers
from wizard.base.i18n import LocalizedError, msg, t
from wizard.exports.ansible_roles import PUBLIC_VARS, SECRET_VARS, VBOX_VAR, Role, RoleBuilder, expand_modules
from wizard.exports.yaml_emit import Unsafe, document, emit

__all__ = ["Unsafe", "emit", "export", "project_files", "reach", "render_inventory", "ssh_options"]


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
                     known_hosts: Sequence[str] = ()) -> str:
    """`identity_files` / `known_hosts`: what the nodes are logged into with and checked against (the command
    line passes what `run` would use)."""
    options = ssh_options(identity_files, known_hosts)
    directors = [reach(answers, d.name) for d in answers.directors]
    servers = [reach(answers, s.name) for s in answers.servers]
    server_options = list(options)
    if servers:
        server_options += ["-o", "ProxyCommand=" + _proxy_command(answers, servers[0], options)]
    # Ansible splits ansible_ssh_common_args as a shell would (shlex): each argument quoted once, here.
    return render("ansible/inventory.ini.j2", header=t("ansible.inventory_header", lang, profile=profile.name),
                  directors=directors, servers=servers, user=answers.ssh_user, become=answers.ssh_user != "root",
                  common_args=_ini_value(shlex.join(options)), server_args=_ini_value(shlex.join(server_options)))


def _ini_value(text: str) -> str:
    """A value for an INI inventory's `[group:vars]` line: Ansible reads it as a Python literal when quoted."""
    return repr(text) if text else "''"


# -- the project ----------------------------------------------------------------------------------------------------

def _role_files(role: Role, lang: str) -> dict[str, str]:
    head = [t("ansible.role_header", lang, number=role.number, title=role.title, role=role.name)]
    files = {f"roles/{role.name}/tasks/main.yml": document(expand_modules(role.tasks), head)}
    if role.handlers:
        files[f"roles/{role.name}/handlers/main.yml"] = document(expand_modules(role.handlers), head)
    if role.defaults:
        files[f"roles/{role.name}/defaults/main.yml"] = document(role.defaults, head)
    for name in sorted(role.templates):
        # The wizard's own template, as it is: the node gets the same file from either side.
        source = environment().loader.get_source(environment(), name)[0]  # type: ignore[union-attr]
        files[f"roles/{role.name}/templates/{name}"] = source
    return files


def _site(roles: Sequence[Role], secrets: list[str], lang: str, profile: Profile) -> str:
    plays: list[dict[str, Any]] = []
    if secrets:
        plays.append({"name": t("ansible.secrets_play", lang), "hosts": "localhost", "connection": "local",
                      "gather_facts": False, "tags": ["always"], "tasks": [{
                          "name": t("ansible.secrets_task", lang), "ansible.builtin.assert": {
                              "that": [f"{v} is defined", f"{v} | string | length > 0"],
                              "fail_msg": t("ansible.secrets_missing", lang, var=v), "quiet": True}}
                          for v in secrets]})
    for role in roles:
        play: dict[str, Any] = {"name": f"{role.number}. {role.title} [{role.name}]",
                                "hosts": ":".join(role.hosts) or "localhost"}
        if not role.hosts:
            play["connection"] = "local"
        play |= {"gather_facts": False, "any_errors_fatal": True, "tags": [role.name],
                 "roles": [{"role": role.name}]}
        plays.append(play)
    header = t("ansible.site_header", lang, profile=profile.name, description=profile.description).splitlines()
    return document(plays, header)


def project_files(answers: Answers, profile: Profile, plan: Sequence[tuple[int, Any, list[Action]]], lang: str,
                  identity_files: Sequence[str] = (), known_hosts: Sequence[str] = (), vboxmanage: str = "",
                  public_key: str = "") -> dict[str, str]:
    """Every file of the project, by its path in DIR. `plan`: (section number, section module, its actions)."""
    builder = RoleBuilder(answers, profile, lang, reach)
    roles = [builder.role(number, module, actions) for number, module, actions in plan]
    secrets = list(dict.fromkeys(SECRET_VARS.get(s, s) for _, _, acts in plan for a in acts for s in a.secrets
                                 if s not in PUBLIC_VARS))
    files: dict[str, str] = {
        "inventory.ini": render_inventory(answers, profile, lang, identity_files, known_hosts),
        "site.yml": _site(roles, secrets, lang, profile),
    }
    group_vars: dict[str, Any] = {VBOX_VAR: vboxmanage or answers.virtualbox.vboxmanage or "VBoxManage"}
    if public_key:
        group_vars["wizard_public_key"] = public_key
    group_vars |= builder.group_vars
    files["group_vars/all.yml"] = document(group_vars, t("ansible.group_vars_header", lang).splitlines())
    for node in builder.order:
        if builder.host_vars.get(node):
            files[f"host_vars/{node}.yml"] = document(builder.host_vars[node],
                                                       t("ansible.host_vars_header", lang, node=node).splitlines())
    for role in roles:
        files |= _role_files(role, lang)
    files["ansible.cfg"] = render("ansible/ansible.cfg.j2")
    files["README.md"] = render(f"ansible/README.{'es' if lang == 'es' else 'en'}.md.j2", profile=profile,
                                roles=roles, secrets=secrets, answers=answers)
    return files


def export(answers: Answers, profile: Profile, out_dir: str | Path, *,
           plan: list[tuple[Any, list[Action]]] | None = None, sections: Sequence[str] = (), lang: str = "en",
           identity_files: Sequence[str] = (), known_hosts: Sequence[str] = (), vboxmanage: str = "") -> list[Path]:
    """Write the project into DIR; returns the paths written, inventory.ini and site.yml first. OSError when DIR
    cannot be written."""
    from steps import full_plan

    full = plan if plan is not None else full_plan(answers, profile)
    chosen = [(n, m, acts) for n, (m, acts) in enumerate(full, 1) if not sections or m.ID in sections]
    public_key = ""
    for key in identity_files:
        pub = Path(f"{key}.pub")
        if pub.is_file():
            public_key = pub.read_text(encoding="utf-8").strip().splitlines()[0]
            break
    files = project_files(answers, profile, chosen, lang, identity_files, known_hosts, vboxmanage, public_key)
    out = Path(out_dir)
    written = []
    for name, text in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
