"""What the engine reports while it works.

Events are emitted from the engine's worker thread (and, for group actions, from one thread
per node): a UI must hand them over to its own thread (Textual: `call_from_thread`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Stream = Literal["stdout", "stderr", "info"]


@dataclass(frozen=True)
class ActionStarted:
    action_id: str
    nodes: tuple[str, ...]  # ("local",) for actions on the wizard's machine
    command: str = ""  # exactly what runs (the edited one when edited)
    kind: str = "run"


@dataclass(frozen=True)
class OutputLine:
    action_id: str
    node: str
    stream: Stream  # "info": a line of the wizard's own (probe result, reconnect, manual text)
    text: str
    text_es: str = ""  # info lines: the same line in Spanish (wizard.base.i18n.pick chooses)


@dataclass(frozen=True)
class ActionFinished:
    action_id: str
    status: str  # one of wizard.session.state.STATUSES
    exit_codes: dict[str, int] = field(default_factory=dict)
    error: str = ""  # empty on success; names the failing node(s) otherwise (English)
    note: str = ""  # e.g. "already done" when the probe said so (English)
    error_es: str = ""  # the same two in Spanish
    note_es: str = ""


@dataclass(frozen=True)
class Reconnecting:
    node: str
    address: str
    attempt: int


@dataclass(frozen=True)
class PlanChanged:
    """A fact found on a node (e.g. the pcs version) changed the plan's commands; action ids stay the same."""

    facts: dict[str, dict[str, str]] = field(default_factory=dict)  # fact -> node -> value, all known so far


Event = ActionStarted | OutputLine | ActionFinished | Reconnecting | PlanChanged
