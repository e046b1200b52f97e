"""Which done actions a change of values makes out of date. Pure functions, no I/O.

An action "used" a value when its rendered form changes with it: the command, the file it writes, its
probe, what it waits for, where it runs. So the plan is built before and after the change and the
done actions whose rendered form differs are out of date; the values that changed are named with each
(those whose old text appears in what the action did, else all of them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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
