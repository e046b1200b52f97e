"""The check plan's data: probes (commands that only read), their results, checks, verdicts and fixes."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from steps.model import Action, Text
from steps.profiles import Profile
from wizard.base.answers import Answers

q = shlex.quote


Status = Literal["pass", "fail", "not_checked"]


ANY_DIRECTOR = ""  # Probe.node: the first director where the command succeeds (cluster-wide facts)


RESOURCES = ("VIP_externa", "VIP_interna", "HAproxy")


WEB_PAGE = "index.php"


HTTP_MARK = "HA-WIZARD-HTTP"


VERSIONS_PROBE = "versions"


@dataclass(frozen=True)
class Probe:
    """A command that only reads, run on one node (or on any director: ANY_DIRECTOR)."""

    id: str
    node: str
    command: str
    timeout: float = 30.0


@dataclass(frozen=True)
class ProbeResult:
    code: int | None  # None: it could not run (see `error`)
    stdout: str = ""
    stderr: str = ""
    node: str = ""  # where it ran
    error: str = ""

    @property
    def ran(self) -> bool:
        return self.code is not None


@dataclass(frozen=True)
class Fix:
    """A command that repairs a failure, and where to run it ("local": the computer running VirtualBox)."""

    node: str
    command: str
    action_id: str = ""  # the plan's action it comes from; empty when the plan has no such step
    note: Text | None = None


@dataclass(frozen=True)
class Verdict:
    status: Status
    found: Text
    fixes: tuple[Fix, ...] = ()


@dataclass(frozen=True)
class Check:
    id: str
    section: str
    title: Text
    node: str  # what it is about ("cluster" for cluster-wide checks)
    expected: Text
    probes: tuple[str, ...]
    judge: Callable[[dict[str, ProbeResult], FixBook], Verdict]


@dataclass(frozen=True)
class Outcome:
    check: Check
    verdict: Verdict


SECTIONS: tuple[tuple[str, Text], ...] = (
    ("reach", Text("Reaching the nodes", "Acceso a los nodos")),
    ("addresses", Text("Heartbeat NIC and addresses", "Tarjeta de latido y direcciones")),
    ("hosts", Text("/etc/hosts", "/etc/hosts")),
    ("pcsd", Text("pcsd and node authorisation", "pcsd y autorización de los nodos")),
    ("corosync", Text("Corosync ring and members", "Anillo y miembros de corosync")),
    ("nodes", Text("Both nodes online", "Los dos nodos en línea")),
    ("properties", Text("STONITH and quorum", "STONITH y quorum")),
    ("resources", Text("Resources", "Recursos")),
    ("constraints", Text("Constraints", "Restricciones")),
    ("placement", Text("Resources together on the preferred director", "Recursos juntos en el director preferido")),
    ("vips", Text("VIPs on the right interfaces", "VIP en las interfaces correctas")),
    ("haproxy", Text("haproxy.cfg", "haproxy.cfg")),
    ("gateway", Text("Real servers' default route", "Ruta por defecto de los servidores reales")),
    ("web", Text("The page through the VIP", "La página a través de la VIP")),
)


@dataclass
class CheckPlan:
    probes: list[Probe] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def probe(self, probe: Probe) -> str:
        if not any(p.id == probe.id for p in self.probes):
            self.probes.append(probe)
        return probe.id


class FixBook:
    """Fix commands: the plan's own commands by action id (the pcs syntax of the profile), plus a few the
    plan never needs (enable a disabled resource, clear a move)."""

    def __init__(self, answers: Answers, profile: Profile) -> None:
        from steps import full_plan

        self.answers = answers
        self.profile = profile
        self.actions: dict[str, Action] = {a.id: a for _, acts in full_plan(answers, profile) for a in acts}

    def plan(self, action_id: str, node: str | None = None, note: Text | None = None) -> tuple[Fix, ...]:
        """The plan's action `action_id`, to run on `node` (default: its own target)."""
        action = self.actions.get(action_id)
        if action is None or not action.command:
            return ()
        where = node or ("local" if action.target.is_local else ",".join(action.target.nodes))
        return (Fix(where, action.command, action_id, note),)

    def plans(self, *action_ids: str, node: str | None = None) -> tuple[Fix, ...]:
        return tuple(f for a in action_ids for f in self.plan(a, node))

    def section(self, section: str, node: str | None = None, kinds: tuple[str, ...] = ("run", "write")) -> tuple[
            Fix, ...]:
        out: list[Fix] = []
        for action in self.actions.values():
            if action.section != section or action.kind not in kinds or "info" in action.tags:
                continue
            if node is not None and not action.target.is_local and node not in action.target.nodes:
                continue
            out += self.plan(action.id, node if node and not action.target.is_local else None)
        return tuple(out)

    def master_node(self) -> str:
        return self.answers.master.name


def same_text(text: str) -> Text:
    """A text that reads the same in both languages (values, commands)."""
    return Text(text, text)


def verdict_pass(en: str, es: str | None = None) -> Verdict:
    return Verdict("pass", Text(en, es if es is not None else en))


def verdict_fail(en: str, es: str, fixes: tuple[Fix, ...] = ()) -> Verdict:
    return Verdict("fail", Text(en, es), fixes)


def not_checked(en: str, es: str) -> Verdict:
    return Verdict("not_checked", Text(en, es))


# -- judges --------------------------------------------------------------------------------------------
Judge = Callable[[dict[str, ProbeResult], FixBook], Verdict]
