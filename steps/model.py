"""What a section's plan is made of: targets and actions. Pure data, no I/O.

The runner (wizard/) executes actions; the app renders them; the transcript replays them.

Where an action runs decides what runs:
- On a node (over SSH), `command` is what runs, in the node's POSIX shell, exactly as shown.
- On the machine running the wizard (`Target.local()`), which may be Windows, nothing goes through a
  shell: every local action has `argv` (one program run, shell=False; argv[0] "VBoxManage" is the
  VBoxManage the answers name or the wizard finds) or `host` (a procedure the wizard does in Python:
  VM-state waits, HTTP requests, timings), or is manual without a command. Its probe is `host_probe`.
  `command` / `probe` stay as their POSIX shell rendering: what `ha-wizard plan` lists and what the sh
  export replays, so a student can run the same by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ActionKind = Literal["run", "write", "check", "wait", "manual"]
TargetKind = Literal["local", "node", "group"]


@dataclass(frozen=True)
class Target:
    """Where an action runs: the machine running the wizard, one node, or a group of nodes."""

    kind: TargetKind
    nodes: tuple[str, ...] = ()
    group: str = ""  # "directors" / "servers" for kind == "group"

    @classmethod
    def local(cls) -> Target:
        return cls("local")

    @classmethod
    def node(cls, name: str) -> Target:
        return cls("node", (name,))

    @classmethod
    def of_group(cls, group: str, names: list[str] | tuple[str, ...]) -> Target:
        return cls("group", tuple(names), group)

    @property
    def is_local(self) -> bool:
        return self.kind == "local"


def _frozen(value: Any) -> Any:
    """Lists (and lists inside) as tuples: a HostOp stays hashable and comparable."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


@dataclass(frozen=True)
class HostOp:
    """A procedure the machine running the wizard does in Python (wizard/run/hostops.py's registry):
    `op` names it, `args` are its keyword arguments (sorted, hashable). Pure data, like Action."""

    op: str
    args: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, op: str, **kwargs: Any) -> HostOp:
        return cls(op, tuple(sorted((k, _frozen(v)) for k, v in kwargs.items())))

    def kwargs(self) -> dict[str, Any]:
        return dict(self.args)


# -- intents: what an action means, beside the shell line that does it ------------------------------------------
# The wizard shows and runs `command`; the Ansible export (wizard/exports/ansible.py) renders the intent with the
# module that says the same (template, blockinfile, lineinfile, package, systemd_service, user, hostname). An
# action without an intent is a command, and stays one everywhere (pcs, VBoxManage, checks).

@dataclass(frozen=True)
class File:
    """A whole file written from a template of assets/ with these variables (its text is Action.content)."""

    path: str
    template: str
    vars: tuple[tuple[str, Any], ...] = ()
    mode: str = "0644"
    mkdir: bool = False  # the folder may be missing: made first

    @classmethod
    def of(cls, path: str, template: str, mode: str = "0644", mkdir: bool = False, **variables: Any) -> File:
        return cls(path, template, tuple(sorted((k, _frozen(v)) for k, v in variables.items())), mode, mkdir)

    def context(self) -> dict[str, Any]:
        return {k: _thawed(v) for k, v in self.vars}


@dataclass(frozen=True)
class Block:
    """Lines between two marker lines in a file (`marker` with {mark} = BEGIN / END), from a template; the rest of
    the file is left as it is."""

    path: str
    template: str
    marker: str
    vars: tuple[tuple[str, Any], ...] = ()

    def context(self) -> dict[str, Any]:
        return {k: _thawed(v) for k, v in self.vars}


@dataclass(frozen=True)
class Line:
    """One line of a file: the line matching `regexp` (Python syntax) becomes `line`, or `line` is added."""

    path: str
    regexp: str
    line: str


@dataclass(frozen=True)
class Packages:
    """These packages installed (the profile's package manager)."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Service:
    """A service's state now (`started` / `stopped` / `restarted`, or None: left as it is) and at boot (None: left
    as it is)."""

    name: str
    state: str | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class Http:
    """The page at `url` answers (HTTP 2xx), fetched where the action runs."""

    url: str


@dataclass(frozen=True)
class Password:
    """A user's password, from a secret (Action.secrets)."""

    user: str
    secret: str


@dataclass(frozen=True)
class Hostname:
    """The machine's name, now and at boot."""

    name: str


Intent = File | Block | Line | Packages | Service | Http | Password | Hostname


def _thawed(value: Any) -> Any:
    """_frozen's tuples of pairs back to dicts (template variables are data: lists of dicts, strings, numbers)."""
    if isinstance(value, tuple) and value and all(isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str)
                                                  for v in value):
        return {k: _thawed(v) for k, v in value}
    if isinstance(value, tuple):
        return [_thawed(v) for v in value]
    return value


@dataclass(frozen=True)
class Action:
    """One step of a section.

    kind:
      run     - run `command`; exit status 0 is success.
      write   - `command` writes a rendered file (a heredoc); `content` holds the file text.
      check   - run `command`; success when exit 0 and `expect` (a regex) matches its output.
      wait    - like check, retried every `interval` s until `timeout` s have passed.
      manual  - something the user does by hand (`instructions`); `command`, when set,
                is a check that tells the wizard it was done.

    Local actions (target local) run `argv` or `host`, probed by `host_probe`; `command` and
    `probe` are then their POSIX rendering (see the module's doc).
    """

    id: str  # stable, unique in the whole plan: "<section>.<name>[.<node>]"
    kind: ActionKind
    target: Target
    command: str
    why: str  # one sentence, English
    why_es: str = ""
    # What a student reads for the action in lists, the output and messages (a few words: "Power off master");
    # the id is for the record and the command line. Empty: the why stands in.
    title: str = ""
    title_es: str = ""
    content: str = ""  # for write: the file text exactly as written
    path: str = ""  # for write: the file written
    expect: str = ""  # regex the output must match (check / wait)
    probe: str = ""  # exit 0 => already done; re-running the section skips it
    secrets: tuple[str, ...] = ()  # secret names fed on stdin, in this order, one per line
    stdin: str = ""  # template for stdin, "{hacluster_password}" style; secrets only here
    timeout: float = 300.0  # seconds for one attempt
    interval: float = 2.0  # wait: seconds between attempts
    # The command restarts networking / moves the node: run it detached so it survives the
    # SSH session dropping, then reconnect to `reconnect_to` (an address) or the same one.
    disrupts_network: bool = False
    reconnect_to: str = ""
    # Address to reach the node at for this action when it differs from its own
    # (the standby clone boots on master's addresses).
    via_address: str = ""
    instructions: str = ""  # manual: what to do, English
    instructions_es: str = ""
    erratum: str = ""  # set when this command fixes an error of the guide: what the guide says, English
    erratum_es: str = ""
    # wait / check: what the output must show, in words ("both nodes online in `pcs status`"); the engine
    # says it while waiting and when it gives up (the action's `why` when empty), never the regex.
    awaits: str = ""
    awaits_es: str = ""
    on_fail: str = ""  # what to check when it fails (the likely cause), English
    on_fail_es: str = ""
    idempotent: bool = True  # False: running twice changes things (probe guards it)
    # Facts read off the output on each node: (fact name, regex whose group 1 is the value), e.g. the pcs
    # version. The engine keeps them in the session and rebuilds the plan when one changes (steps.profiles).
    facts: tuple[tuple[str, str], ...] = ()
    # A check whose failure is a warning (on_fail says what it means): reported, the section goes on.
    warn_only: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)
    argv: tuple[str, ...] = ()  # local: one program run without a shell
    host: HostOp | None = None  # local: done by the wizard in Python
    host_probe: HostOp | None = None  # local: the probe, in Python (exit 0 => already done)
    intent: Intent | None = None  # what `command` means, when it is a file, packages, a service... (see above)
    # Ids of earlier actions whose change this one applies (a network restart after its files, a cluster restart
    # after its constraints): the wizard runs it every time; Ansible only when one of them changed (a handler).
    applies: tuple[str, ...] = ()
    # A command that says whether it changed anything: the regex its output matches when it did (else no change).
    changed_if: str = ""

    @property
    def section(self) -> str:
        return self.id.split(".", 1)[0]

    def label(self, lang: str) -> str:
        """The action in words, in `lang`: its title, else its why (never its id)."""
        if lang == "es":
            return self.title_es or self.title or self.why_es or self.why
        return self.title or self.why


@dataclass(frozen=True)
class Text:
    """A text in both languages of the product."""

    en: str
    es: str

    def get(self, lang: str) -> str:
        return self.es if lang == "es" else self.en
