"""Which done actions a change of values makes out of date. Pure functions, no I/O.

An action "used" a value when its rendered form changes with it: the command, the file it writes, its
probe, what it waits for, where it runs. So the plan is built before and after the change and the
done actions whose rendered form differs are out of date; the values that changed are named with each
(those whose old text appears in what the action did, else all of them).

A mark remembers the form the action ran with (`refresh`): putting the old value back makes the plan render
that form again, and the mark goes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wizard.base.answers import Answers
from wizard.base.fields import get_value, inventory_fields
from wizard.session.progress import DONE_STATUSES

# What an action does, as opposed to how it is explained (why, instructions, hints).
_RENDERED = ("kind", "target", "command", "content", "path", "expect", "probe", "stdin", "via_address",
             "reconnect_to", "disrupts_network", "argv", "host", "host_probe")

PlanEntries = Iterable[tuple[Any, list[Any]]]


def rendered(action: Any) -> tuple[Any, ...]:
    return tuple(getattr(action, name, None) for name in _RENDERED)


def changed_fields(old: Answers, new: Answers) -> dict[str, tuple[str, str]]:
    """Inventory field path -> (old text, new text), for every field whose value differs."""
    old_specs = {s.path for s in inventory_fields(old)}
    out: dict[str, tuple[str, str]] = {}
    for spec in inventory_fields(new):
        before = get_value(old, spec.path) if spec.path in old_specs else ""
        after = get_value(new, spec.path)
        if before != after:
            out[spec.path] = (before, after)
    return out


def out_of_date(old_plan: PlanEntries, new_plan: PlanEntries, statuses: Mapping[str, str],
                changed: Mapping[str, tuple[str, str]]) -> dict[str, list[str]]:
    """Done actions (ok / edited / skipped) whose rendered form differs in `new_plan`, with the fields
    that explain it. Actions new in the plan are pending anyway; actions gone from it are not listed."""
    before = {a.id: a for _, actions in old_plan for a in actions}
    out: dict[str, list[str]] = {}
    for _, actions in new_plan:
        for action in actions:
            if statuses.get(action.id, "pending") not in DONE_STATUSES:
                continue
            old = before.get(action.id)
            if old is None or rendered(old) == rendered(action):
                continue
            text = " ".join(str(v) for v in rendered(old) if v)
            # A value appears as typed, or escaped inside a regex it waits for.
            used = [path for path, (was, _now) in changed.items() if was and (was in text or re.escape(was) in text)]
            out[action.id] = used or list(changed)
    return out


def fingerprint(action: Any) -> str:
    """The rendered form of an action as a short stable text: what an action ran with, to compare later."""
    return hashlib.sha256(repr(rendered(action)).encode()).hexdigest()[:16]


@dataclass
class Marks:
    """The out-of-date marks of a session after a change of values.

    marks: action id -> the fields whose change made it out of date; ran_with: action id -> the fingerprint of
    the form it last ran with (a mark clears when the plan renders that form again: a value put back);
    new: marked by this change; cleared: no longer out of date after this change."""

    marks: dict[str, list[str]]
    ran_with: dict[str, str]
    new: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)


def refresh(marks: Mapping[str, list[str]], ran_with: Mapping[str, str], old_plan: PlanEntries,
            new_plan: PlanEntries, statuses: Mapping[str, str], changed: Mapping[str, tuple[str, str]]) -> Marks:
    """The marks after `changed` turned `old_plan` into `new_plan`. A done action that renders differently now is
    marked, remembering the form it ran with; a marked action whose form is again the one it ran with (the value
    was put back) is not out of date any more, nor is one gone from the plan or not done any more."""
    old_plan, new_plan = list(old_plan), list(new_plan)
    before = {a.id: a for _, actions in old_plan for a in actions}
    now = {a.id: a for _, actions in new_plan for a in actions}
    out = Marks({k: list(v) for k, v in marks.items()}, dict(ran_with))
    for action_id, fields in out_of_date(old_plan, new_plan, statuses, changed).items():
        if action_id in out.marks:  # still out of date: what it ran with is older than this change
            out.marks[action_id] = sorted(set(out.marks[action_id]) | set(fields))
            continue
        out.marks[action_id] = fields
        out.ran_with[action_id] = fingerprint(before[action_id])
        out.new.append(action_id)
    for action_id in list(out.marks):
        action = now.get(action_id)
        back = action is not None and out.ran_with.get(action_id) == fingerprint(action)
        if action is None or back or statuses.get(action_id, "pending") not in DONE_STATUSES:
            del out.marks[action_id]
            out.ran_with.pop(action_id, None)
            if action_id in out.new:
                out.new.remove(action_id)
            else:
                out.cleared.append(action_id)
    return out
