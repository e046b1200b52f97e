"""Where a node may be while an action moves it: the actions that change how a node is reached, and its ways in.

A node is reached one way (wizard/base/reach.py: a port forward, a direct address, a jump through a director).
Some actions change that way in: a network restart (the standby clone leaves master's address for its own), a
VM started (the node comes back, after being off), the gateway change (a server's network restarted). A wizard
that stops in the middle of one (a kill, a closed laptop) does not know which side of the change the node is
on: the engine records both ways in the checkpoint before the action starts (`ActionRecord.moves`) and, when it
resumes the action or reconnects during it, looks for the node at the new way and at the old one.

The moves are read off the plan, never listed by hand:
- an action with `disrupts_network` moves each of its nodes from its `via_address` (or the node's own way) to
  its `reconnect_to` (or the node's own way);
- a wait tagged NODE_RETURNS (a node coming back from a boot) ends a move that the nearest action on this
  machine before it in its section started: the one naming that node's VM (`startvm`, undo's start). Before it
  the node was off: no old way.

Pure: data from the plan and the answers; the engine does the looking (wizard/run/connections.py `find`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from steps.access import NODE_RETURNS
from steps.model import Action
from wizard.base.answers import Answers
from wizard.base.i18n import Msg, msg
from wizard.base.reach import join_address, reach, split_address


@dataclass(frozen=True)
class Way:
    """One way into a node: what the engine dials (`address`), and what it leads to, for people."""

    address: str  # host[:port] as the engine dials it (wizard/run/connections.py)
    kind: str = "direct"  # "forward" (a port forward on this machine), "direct", "jump"
    guest: str = ""  # forward: where it leads (guest address:port)
    jump: str = ""  # jump: the directors it goes through, in order ("master, standby")

    def to_dict(self) -> dict[str, str]:
        host, port = split_address(self.address)
        return {"address": self.address, "host": host, "port": str(port or ""), "kind": self.kind,
                "guest": self.guest, "jump": self.jump}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Way:
        return cls(str(data.get("address", "")), str(data.get("kind", "direct")), str(data.get("guest", "")),
                   str(data.get("jump", "")))

    def describe(self) -> Msg:
        """`127.0.0.1:2202 (the port forward to 192.168.1.102:22)`, in both languages."""
        if self.kind == "forward":
            return msg("move.way_forward", address=self.address, guest=self.guest)
        if self.kind == "jump":
            return msg("move.way_jump", address=self.address, jump=self.jump)
        return Msg.raw(self.address)


@dataclass(frozen=True)
class Move:
    """An action's change of how `node` is reached: from `old` (None: the node was off) to `new`."""

    node: str
    vm: str
    old: Way | None
    new: Way

    @property
    def ways(self) -> list[Way]:
        """Where to look, the new way first (the change usually finished), then the old one."""
        return [self.new] + ([self.old] if self.old is not None and self.old.address != self.new.address else [])


def way_in(answers: Answers, node: str, address: str = "") -> Way:
    """The way into `node` at `address` (empty: the node's own way). An address that is another director's own
    way (the clone at master's forward) is described as that director's way: it leads where that one leads."""
    own = reach(answers, node)
    if not address or address == own.address:
        r = own
    else:
        r = next((reach(answers, d.name) for d in answers.directors if reach(answers, d.name).address == address),
                 None)
        if r is None:
            host, port = split_address(address)
            kind = "jump" if own.kind == "jump" else "direct"
            return Way(join_address(host, port), kind, jump=", ".join(own.jump) if kind == "jump" else "")
    if r.kind == "forward":
        return Way(r.address, "forward", guest=join_address(r.guest_ip, r.guest_port))
    if r.kind == "jump":
        return Way(r.address, "jump", jump=", ".join(r.jump))
    return Way(r.address, "direct")


def borrowed(answers: Answers, node: str, way: Way) -> str:
    """The other node whose own way `way` is (the clone at master's forward: "master"), or ""."""
    for d in answers.directors:
        if d.name != node and reach(answers, d.name).address == way.address:
            return d.name
    return ""


def _names_vm(action: Action, vm: str) -> bool:
    if vm in action.argv:
        return True

    def flat(value: Any) -> list[Any]:
        if isinstance(value, tuple):
            return [x for v in value for x in flat(v)]
        return [value]

    return action.host is not None and vm in flat(action.host.args)


def plan_moves(actions: Sequence[Action], answers: Answers) -> dict[str, list[Move]]:
    """Action id -> the moves it makes, for the actions of one section (or the whole plan, in order)."""
    out: dict[str, list[Move]] = {}
    for i, action in enumerate(actions):
        if action.disrupts_network and not action.target.is_local:
            for node in action.target.nodes:
                try:
                    vm = answers.node(node).vm
                    move = Move(node, vm, way_in(answers, node, action.via_address),
                                way_in(answers, node, action.reconnect_to))
                except KeyError:
                    continue
                out.setdefault(action.id, []).append(move)
        if action.kind == "wait" and NODE_RETURNS in action.tags and not action.target.is_local:
            for node in action.target.nodes:
                try:
                    vm = answers.node(node).vm
                except KeyError:
                    continue
                starter = next((a for a in reversed(actions[:i]) if a.target.is_local and a.kind == "run"
                                and a.section == action.section and _names_vm(a, vm)), None)
                if starter is not None:
                    out.setdefault(starter.id, []).append(Move(node, vm, None, way_in(answers, node,
                                                                                       action.via_address)))
    return out


def moves_record(moves: Sequence[Move]) -> dict[str, dict[str, Any]]:
    """What the checkpoint keeps (ActionRecord.moves): node -> old and new way, the VM, the detached runs."""
    return {m.node: {"old": m.old.to_dict() if m.old else None, "new": m.new.to_dict(), "vm": m.vm, "tags": []}
            for m in moves}


def recorded_ways(entry: dict[str, Any]) -> list[Way]:
    """The ways a checkpoint's move entry names, the new one first."""
    ways = [Way.from_dict(entry["new"])] if entry.get("new") else []
    if entry.get("old"):
        old = Way.from_dict(entry["old"])
        if old.address not in {w.address for w in ways}:
            ways.append(old)
    return ways
