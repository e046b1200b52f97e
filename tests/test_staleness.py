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


def test_a_value_put_back_clears_the_marks_of_the_actions_that_ran_with_it() -> None:
    """Issue 21: the VIP changed then put back left ⟳ on the actions for good. A mark remembers the form the
    action ran with; the plan rendering that form again clears it."""
    from wizard.session.staleness import refresh

    guide = Answers()
    moved = copy.deepcopy(guide)
    moved.vip.external = "192.168.1.210"
    done = all_done(plan(guide))
    first = refresh({}, {}, plan(guide), plan(moved), done, changed_fields(guide, moved))
    assert first.marks and set(first.new) == set(first.marks) and not first.cleared
    assert set(first.ran_with) == set(first.marks)
    back = refresh(first.marks, first.ran_with, plan(moved), plan(guide), done, changed_fields(moved, guide))
    assert back.marks == {} and back.ran_with == {} and not back.new
    assert sorted(back.cleared) == sorted(first.marks)


def test_marks_stay_while_the_value_differs_from_the_one_they_ran_with() -> None:
    from wizard.session.staleness import refresh

    guide = Answers()
    moved, again = copy.deepcopy(guide), copy.deepcopy(guide)
    moved.vip.external, again.vip.external = "192.168.1.210", "192.168.1.220"
    done = all_done(plan(guide))
    first = refresh({}, {}, plan(guide), plan(moved), done, changed_fields(guide, moved))
    second = refresh(first.marks, first.ran_with, plan(moved), plan(again), done, changed_fields(moved, again))
    assert second.marks == first.marks and second.ran_with == first.ran_with  # still the guide's value ran
    assert not second.new and not second.cleared
    # Another field changed meanwhile and put back: only its own marks go.
    other = copy.deepcopy(again)
    other.cluster_name = "other_lb"
    third = refresh(second.marks, second.ran_with, plan(again), plan(other), done, changed_fields(again, other))
    assert "cluster_setup.setup" in third.new
    fourth = refresh(third.marks, third.ran_with, plan(other), plan(again), done, changed_fields(other, again))
    assert fourth.marks == second.marks and sorted(fourth.cleared) == sorted(third.new)


def test_an_action_run_again_or_gone_loses_its_mark() -> None:
    from wizard.session.staleness import refresh

    guide = Answers()
    moved = copy.deepcopy(guide)
    moved.vip.external = "192.168.1.210"
    done = all_done(plan(guide))
    first = refresh({}, {}, plan(guide), plan(moved), done, changed_fields(guide, moved))
    one = next(iter(first.marks))
    pending = {**done, one: "pending"}  # taken back to the snapshot since: not done, not out of date
    nothing = refresh(first.marks, first.ran_with, plan(moved), plan(moved), pending, {})
    assert one not in nothing.marks and one in nothing.cleared
