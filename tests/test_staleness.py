"""Out-of-date marking: which done actions used a value that changed (pure logic over real plans)."""

from __future__ import annotations

import copy
import re

from steps import full_plan
from steps.profiles import get_profile
from wizard.base.answers import Answers
from wizard.session.staleness import changed_fields, out_of_date


def plan(answers: Answers):
    return full_plan(answers, get_profile(answers.profile))


def all_done(entries) -> dict[str, str]:
    return {a.id: "ok" for _, actions in entries for a in actions}


def test_a_changed_vip_marks_the_done_actions_that_used_it_and_only_those() -> None:
    old = Answers()
    new = copy.deepcopy(old)
    new.vip.external = "192.168.1.210"
    changed = changed_fields(old, new)
    assert changed == {"vip.external": ("192.168.1.200", "192.168.1.210")}
    before, after = plan(old), plan(new)
    stale = out_of_date(before, after, all_done(before), changed)
    assert stale, "the VIP is used by the resources and the checks"
    assert all(fields == ["vip.external"] for fields in stale.values())
    # The resource that carries the VIP is out of date; the snapshot of section 1 is not.
    assert any(action_id.startswith("resources.") for action_id in stale)
    assert not any(action_id.startswith(("snapshot.", "nic_add.", "pcs_auth.")) for action_id in stale)
    for action_id in stale:  # each one really renders differently
        old_action = next(a for _, acts in before for a in acts if a.id == action_id)
        text = " ".join(str(v) for v in vars(old_action).values())
        assert "192.168.1.200" in text or re.escape("192.168.1.200") in text


def test_only_done_actions_are_out_of_date() -> None:
    old = Answers()
    new = copy.deepcopy(old)
    new.cluster_name = "other_lb"
    before, after = plan(old), plan(new)
    statuses = {a.id: "pending" for _, acts in before for a in acts}
    assert out_of_date(before, after, statuses, changed_fields(old, new)) == {}
    statuses["cluster_setup.setup"] = "ok"
    statuses["cluster_setup.start"] = "skipped"  # skipped counts as done: it may have been done by hand
    stale = out_of_date(before, after, statuses, changed_fields(old, new))
    assert stale == {"cluster_setup.setup": ["cluster_name"]}


def test_nothing_changed_nothing_out_of_date() -> None:
    old = Answers()
    entries = plan(old)
    assert changed_fields(old, copy.deepcopy(old)) == {}
    assert out_of_date(entries, plan(copy.deepcopy(old)), all_done(entries), {}) == {}
