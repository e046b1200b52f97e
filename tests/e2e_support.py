"""What the end-to-end tests share: the guide's answers for the lab, how to call the wizard as a user does,
and the built-cluster fixture's record (tests/conftest.py builds it once per session)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.base.answers import Answers

PASSWORD = "e2e-Secret-hacluster-7"
RUN_TIMEOUT = 900
# Printed at the end of the test run (conftest.pytest_terminal_summary); under pytest-xdist each worker's
# travel to the controller with the test's report (conftest.pytest_runtest_makereport).
FIGURES: dict[str, tuple[float, str]] = {}


def record_figure(name: str, value: float, unit: str = "s") -> None:
    """A figure to print in the run's summary, beside the others (e.g. the headless run and the Ansible one)."""
    FIGURES[name] = (value, unit)


SMALL = {"bench_requests": 40, "bench_concurrency": 4, "pi_intervals": 100000}


def e2e_answers(name: str = "default") -> Answers:
    # The guide's topology; smaller benchmark sizes keep the run short on 2 cores. VBoxManage, key and port
    # forwards: lab instance `name`'s, as `ha-wizard lab answers --name NAME` writes them (a lab made from
    # them with another name points them at its own).
    from lab import Lab

    return Lab(Answers(profile="lab", **SMALL), name=name).answers


def lab_standin(name: str = "default") -> str:
    """Lab instance `name`'s VBoxManage stand-in, as its answers name it."""
    from lab import Lab

    return str(Lab(name=name).vboxmanage_path)


def wizard_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "wizard.cli.main", *args]


def lab_cmd(lab: Any, *args: str) -> list[str]:
    """`ha-wizard lab ACTION --name INSTANCE ARGS...` for `lab` (a Lab), as a user types it."""
    action, *rest = args
    return [sys.executable, "-m", "lab", action, "--name", lab.name, *rest]


def wizard_env(state_dir: Path, lab: Any = None) -> dict[str, str]:
    """A student's environment: a home with an empty ~/.ssh, no SSH agent and no SSH password; the wizard's
    state in a folder of the test's own; on PATH only the folder of `lab`'s VBoxManage (default: the
    default instance's)."""
    env = dict(os.environ)
    env["HA_WIZARD_STATE_DIR"] = str(state_dir)
    env["HA_WIZARD_HACLUSTER_PASSWORD"] = PASSWORD
    home = state_dir.parent / "home"
    (home / ".ssh").mkdir(parents=True, exist_ok=True)
    env["HOME"] = str(home)
    env.pop("SSH_AUTH_SOCK", None)
    env.pop("HA_WIZARD_SSH_PASSWORD", None)
    # As on a student's Windows laptop: no shell, curl or coreutils for the host steps, nothing on PATH but
    # the folder of a VBoxManage (the lab's stand-in, named in the answers' [virtualbox] vboxmanage).
    env["PATH"] = str(Path(lab.vboxmanage_path if lab is not None else lab_standin()).parent)
    env["COLUMNS"] = "160"
    return env


def init_answers(path: Path, name: str = "default") -> Answers:
    """The answers for lab instance `name` as a student writes them: `ha-wizard answers init FILE --profile
    lab` for the default instance, `ha-wizard lab answers --name NAME -o FILE` for another; only the
    benchmark sizes are then made smaller (e2e_answers) to keep the run short on 2 cores."""
    import subprocess

    from wizard.base.answers import load_answers, save_answers

    if name == "default":
        argv = wizard_cmd("answers", "init", str(path), "--profile", "lab", "--force")
    else:
        argv = wizard_cmd("lab", "answers", "--name", name, "-o", str(path), "--force")
    res = subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stderr
    answers = load_answers(path)
    for key, value in SMALL.items():
        setattr(answers, key, value)
    save_answers(answers, path)
    return answers


def connection_args(lab: Any) -> list[str]:
    """How `check` reaches the lab's hosts (`run` needs none: the lab profile brings the lab's key)."""
    return ["--identity", str(lab.key_path), "--known-hosts", str(lab.known_hosts_path)]


def run_args(answers_file: Path, session: str) -> list[str]:
    """`ha-wizard run` as the README's lab rehearsal: no key flags (the lab profile's own key and
    known_hosts), the lab being NAT-only (the wizard makes its port forwards)."""
    return ["run", "--answers", str(answers_file), "--yes", "--trust-new-hosts", "--session", session]


SKIPPED_BY_THE_ANSIBLE_TEST = ("failover", "bench")  # tags: the verification's failovers and benchmarks


def seconds_of(state: dict, answers: Answers, without_tags: tuple[str, ...] = ()) -> float:
    """Seconds the session's actions took (start to end of each, summed), leaving out those with these tags."""
    from datetime import datetime

    from steps import full_plan
    from steps.profiles import get_profile

    skip = {a.id for _, acts in full_plan(answers, get_profile(answers.profile)) for a in acts
            if set(a.tags) & set(without_tags)}
    total = 0.0
    for action_id, rec in state["actions"].items():
        if action_id in skip or not rec.get("started") or not rec.get("ended"):
            continue
        total += (datetime.fromisoformat(rec["ended"]) - datetime.fromisoformat(rec["started"])).total_seconds()
    return total


def load_state(state_dir: Path, session: str) -> dict:
    path = state_dir / "sessions" / session / "state.json"
    return json.loads(path.read_text())


@dataclass
class BuiltCluster:
    """The whole guide run headless (`ha-wizard run --yes`) on a fresh lab: what a test needs to use it.

    Tests that change the cluster restore what they changed before they end (pass or fail)."""

    answers: Answers
    lab: Any
    answers_file: Path
    state_dir: Path
    session: str
    returncode: int
    log: str
    wall: float  # seconds, the headless run alone

    def require(self) -> None:
        import pytest

        if self.returncode != 0:
            pytest.fail(f"the guide's headless run failed (exit {self.returncode}); its end:\n{self.log[-3000:]}")

    def env(self) -> dict[str, str]:
        return wizard_env(self.state_dir, self.lab)
