"""The guide's sections, in the guide's order, each a module with a pure `plan(answers, profile)`.

A section module has: ID, TITLE and EXPLANATION (steps.model.Text, en/es), USES (answer field
paths it reads), ERRATA (Text list: what the guide gets wrong and the wizard fixes) and
`plan(answers, profile) -> list[Action]`.
"""

from __future__ import annotations

from types import ModuleType

from steps import (
    access,
    cluster_setup,
    constraints,
    gateway,
    networking,
    nic_add,
    pcs_auth,
    preflight,
    properties,
    resources,
    snapshot,
    standby_clone,
    verification,
)
from steps.model import Action
from steps.profiles import Profile, get_profile
from wizard.base.answers import Answers

SECTIONS: list[ModuleType] = [
    preflight, access, snapshot, nic_add, standby_clone, networking, pcs_auth, cluster_setup, properties,
    resources, constraints, gateway, verification,
]

_BY_ID = {m.ID: m for m in SECTIONS}


def get_section(section_id: str) -> ModuleType:
    try:
        return _BY_ID[section_id]
    except KeyError:
        raise ValueError(f"section: unknown section {section_id!r} (one of {', '.join(_BY_ID)})") from None


def full_plan(answers: Answers, profile: Profile) -> list[tuple[ModuleType, list[Action]]]:
    """Every section with its actions; action ids are unique across the whole plan."""
    plan = [(m, m.plan(answers, profile)) for m in SECTIONS]
    seen: set[str] = set()
    for _, actions in plan:
        for a in actions:
            if a.id in seen:  # a programming error (or two hosts with one name): fail loudly
                raise ValueError(f"duplicate action id {a.id!r} in the plan")
            seen.add(a.id)
    return plan


def session_profile(answers: Answers, profile: str, facts: dict[str, dict[str, str]] | None = None) -> Profile:
    """The profile adapted to the facts found on the nodes (pcs commands run on the first director)."""
    prefer = answers.directors[0].name if answers.directors else ""
    return get_profile(profile).with_facts(facts or {}, prefer)


def session_plan(answers: Answers, profile: str, facts: dict[str, dict[str, str]] | None = None
                 ) -> list[tuple[ModuleType, list[Action]]]:
    """The plan a session runs: its answers, its profile, and what was found on its nodes."""
    return full_plan(answers, session_profile(answers, profile, facts))
