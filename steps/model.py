"""What a section's plan is made of: targets and actions. Pure data, no I/O.

The runner (wizard/) executes actions; the app renders them; the transcript replays them.
Everything a user sees of an action is `command`: it is exactly what runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

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
    """

    id: str  # stable, unique in the whole plan: "<section>.<name>[.<node>]"
    kind: ActionKind
    target: Target
    command: str
    why: str  # short, English
    why_es: str = ""
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
    erratum: str = ""  # set when this command fixes an error of the guide
    on_fail: str = ""  # what to check when it fails (the likely cause), English
    on_fail_es: str = ""
    idempotent: bool = True  # False: running twice changes things (probe guards it)
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def section(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class Text:
    """A text in both languages of the product."""

    en: str
    es: str

    def get(self, lang: str) -> str:
        return self.es if lang == "es" else self.en
