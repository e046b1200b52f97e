"""The whole guide on Debian 13 (pcs 0.12, Pacemaker 3.0, corosync 3.1, haproxy 3.0): a fresh NAT-only lab on the
`debian13` guest image (`ha-wizard lab up --image debian13`), then the student's `ha-wizard answers init
--profile lab` and `ha-wizard run --yes --trust-new-hosts`, as tests/test_e2e.py does on Debian 12.

The wizard finds pcs 0.12 / Pacemaker 3.0 on the nodes and writes their syntax (steps/profiles.py); the run is
judged from outside the wizard (the page through the 5280 forward, crm_mon, the servers' routes, the
verification's figures, `ha-wizard check`), and no pcs or crm_* output of the session's journal may carry a
deprecation warning: what pcs 0.12 says of a form it still takes (`constraint colocation add A with B
INFINITY`: "Deprecation Warning: Specifying score as a standalone value is deprecated...").
"""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest
from conftest import lab_name, own_lab
from e2e_support import (
    connection_args,
    init_answers,
    load_state,
    record_figure,
    run_args,
    wizard_cmd,
    wizard_env,
)
from test_e2e import check_end_state, check_figures, check_nat_only

from lab.images import image_root, image_state, users
from steps.profiles import PACEMAKER_VERSION, PCS_VERSION, get_profile, parse_version
from wizard.session.state import TAIL_LINES

RUN_TIMEOUT = 1200
# What pcs and Pacemaker's tools print when a form is on its way out: pcs prefixes every deprecation report
# with "Deprecation Warning: " (pcs/cli/reports/output.py), Pacemaker's tools warn ("warning: ... is
# deprecated ..."). A resource agent's description saying one of its parameters is deprecated is no warning.
DEPRECATION = re.compile(r"(?i)deprecation warning|\bwarning\b.*\bdeprecat")
PCS_OR_CRM = re.compile(r"(?:^|[\s;&|(])(?:pcs|crm_\w+)\s")


def deprecations(state: dict) -> tuple[list[str], list[str]]:
    """(deprecation lines in the outputs of the journal's pcs/crm_* commands, those commands whose output the
    session kept only the tail of). From the journal's excerpts and each action's kept output."""
    found: list[str] = []
    truncated: list[str] = []
    commands = {}
    for entry in state["journal"]:
        if not PCS_OR_CRM.search(" " + entry["command"]):
            continue
        commands[entry["action_id"]] = entry["command"]
        found += [f"{entry['action_id']}: {line}" for line in entry["excerpt"] if DEPRECATION.search(line)]
    for action_id, command in commands.items():
        output = state["actions"].get(action_id, {}).get("output", [])
        found += [f"{action_id}: {o[2]}" for o in output if DEPRECATION.search(o[2])]
        if len(output) >= TAIL_LINES:
            truncated.append(command)
    return sorted(set(found)), sorted(set(truncated))


@pytest.mark.parametrize(("line", "flagged"), [
    ("Deprecation Warning: Specifying score as a standalone value is deprecated and might be removed in a future "
     "release, use score=value instead", True),  # pcs 0.12.0.2's words, seen on the lab's Debian 13
    ("warning: Support for stonith-enabled is deprecated and will be removed in a future release", True),
    ("Cluster has been successfully set up.", False),
    ("This parameter is deprecated and used for the backward compatibility only.", False),  # IPaddr2's metadata
])
def test_the_deprecation_collector_sees_pcs_and_pacemaker_words(line: str, flagged: bool) -> None:
    """The journal reader below can fail: a pcs deprecation in an excerpt or in a kept output is reported,
    another command's output is not looked at."""
    state = {"journal": [{"action_id": "constraints.colocation_vips", "command": "pcs constraint colocation add A "
                          "with B INFINITY", "excerpt": [line]},
                         {"action_id": "other", "command": "echo pcsd", "excerpt": ["deprecated"]}],
             "actions": {"constraints.colocation_vips": {"output": [["master", "stderr", line]]},
                         "other": {"output": [["master", "stdout", "deprecated"]]}}}
    found, truncated = deprecations(state)
    assert bool(found) == flagged and all(f.startswith("constraints.colocation_vips: ") for f in found)
    assert truncated == []


@pytest.mark.lab
@pytest.mark.whole_guide(230)
def test_the_whole_guide_on_debian13(fresh_lab, debian13_image, tmp_path):
    state_dir = tmp_path / "state"
    answers_file = tmp_path / "lab.toml"
    name = lab_name("fresh")
    own_lab(None, name)  # ours before `lab answers` hands it an address (see own_lab)
    answers = init_answers(answers_file, name)  # `ha-wizard lab answers --name NAME -o lab.toml`
    t0 = time.monotonic()
    lab = fresh_lab(prepared=False, answers=answers, image=debian13_image, name=name)
    record_figure("lab up --image debian13 (fresh, NAT only)", time.monotonic() - t0)
    assert {r["vm"]: r["image"] for r in lab.status()} == {vm: "debian13" for vm in lab.vms()}
    release = lab.exec(answers.master.name, ". /etc/os-release; echo $ID $VERSION_ID", check=True).stdout.split()
    assert release == ["debian", "13"], release

    start = time.monotonic()
    done = subprocess.run(wizard_cmd(*run_args(answers_file, "d13")), env=wizard_env(state_dir, lab),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    wall = time.monotonic() - start
    (tmp_path / "run.log").write_text(done.stdout + done.stderr)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    record_figure("wizard: the whole guide headless on Debian 13 (ha-wizard run)", wall)
    state = load_state(state_dir, "d13")
    statuses = {k: v["status"] for k, v in state["actions"].items()}
    assert all(s in ("ok", "skipped") for s in statuses.values()), statuses

    # The versions were found on both directors, and the plan was written for them.
    facts = state["facts"]
    for node in (answers.master.name, answers.standby.name):
        assert parse_version(facts[PCS_VERSION][node])[:2] == (0, 12), facts
        assert parse_version(facts[PACEMAKER_VERSION][node])[:2] == (3, 0), facts
    profile = get_profile("lab").with_facts(facts, prefer=answers.master.name)
    ran = {e["action_id"]: e["command"] for e in state["journal"] if e["status"] == "ok"}
    assert ran["constraints.show"] == "pcs constraint config"
    assert ran["constraints.colocation_vips"].endswith(" score=INFINITY")
    assert ran["constraints.colocation_haproxy"].endswith(" score=INFINITY")
    # Pacemaker 3.0.0 and 3.0.1 know stonith-enabled only; fencing-enabled from 3.0.2 (docs/pcs-versions.md).
    assert ran["properties.stonith"] == f"pcs property set {profile.fencing_option}=false"
    assert ran["resources.haproxy"].startswith("pcs resource create HAproxy lsb:haproxy ")

    # No pcs or crm_* output of the session carries a deprecation; outputs kept only in part are run again
    # (read-only ones) to see all of them.
    found, truncated = deprecations(state)
    assert not found, found
    for command in truncated:
        assert command.startswith(("pcs status", "pcs config", "pcs constraint config", "pcs resource ")), command
        again = lab.exec(answers.master.name, command, timeout=120)
        lines = [x for x in (again.stdout + again.stderr).splitlines() if DEPRECATION.search(x)]
        assert not lines, (command, lines)

    # Section 7 (STONITH & quorum) leaves a configuration crm_verify has nothing to say about, and so does the end.
    assert state["actions"]["properties.crm_verify"]["status"] == "ok"
    assert not [o for o in state["actions"]["properties.crm_verify"]["output"] if o[1] in ("stdout", "stderr")]
    verify = lab.exec(answers.master.name, "crm_verify -L -V", timeout=60)
    assert verify.returncode == 0 and not (verify.stdout + verify.stderr).strip(), verify.stdout + verify.stderr

    # The standby is master's clone (section 3): a copy of its disk, so on the same image.
    assert {r["vm"]: r["image"] for r in lab.status()} == {vm: "debian13" for vm in lab.vms()}
    assert answers.standby.vm in lab.vms()
    check_end_state(lab, answers)
    check_nat_only(answers)
    check_figures(state, answers)
    check = subprocess.run(wizard_cmd("check", "--answers", str(answers_file), *connection_args(lab),
                                      "--format", "json"), env=wizard_env(state_dir, lab), capture_output=True,
                           text=True, timeout=300)
    data = json.loads(check.stdout)
    bad = {c["id"]: c["found"] for s in data["sections"] for c in s["checks"] if c["status"] != "pass"}
    assert check.returncode == 0 and not bad, bad
    memory = lab.memory()
    print(f"\nDebian 13: whole guide {wall:.0f} s; lab memory with the cluster running: "
          f"PSS {memory['pss'] / 1024:.0f} MiB, RSS {memory['rss'] / 1024:.0f} MiB, {memory['processes']} processes")

    # `lab down` leaves nothing of the lab, and keeps the image for the next one.
    lab.down(keep_ownership=True)
    assert lab.leftovers() == []
    assert image_state(debian13_image) == "current" and not users(image_root(debian13_image))
