"""A `run` with a plan of local commands, for tests of runs, resumes and faults without the lab.

`start_runner` starts the real `run` command (wizard.cli.run.cmd_run) in a process of its own with STEPS local
actions; each appends its name to a marks file, then sleeps: the marks say what ran, and how often. Each
is not idempotent and has a probe (its name in the marks file), like the guide's steps of that kind. With
LOCAL_PLAN_HOLD=FILE in its environment, each step after the first waits while FILE exists (a test's gate).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS = 6
STEP_S = 0.5

RUNNER = r'''
import argparse, dataclasses, os, shlex, sys
from steps.model import Action, Target
from wizard.cli.run import cmd_run, register
from wizard.run.engine import section
F, STEPS, STEP_S = sys.argv[1], int(sys.argv[2]), sys.argv[3]
HOLD = os.environ.get("LOCAL_PLAN_HOLD", "")  # while it exists, steps after the first wait (<= 60 s)
has_argv = "argv" in {f.name for f in dataclasses.fields(Action)}
try:  # the probe in Python where the model has host probes (wizard/run/hostops.py)
    from steps.model import HostOp
    from wizard.run.hostops import host_op, known_ops

    def _marks_has(ctx, on_line, cancel, timeout, *, path, line):
        try:
            return 0 if line in open(path).read().split() else 1
        except OSError:
            return 1

    if "test_marks_has" not in known_ops():  # this text may run twice in one process (tests exec it)
        host_op("test_marks_has")(_marks_has)

    def probe_kw(i):
        return {"host_probe": HostOp.of("test_marks_has", path=F, line=f"s{i}")}
except ImportError:
    def probe_kw(i):
        return {}
def a(i):
    hold = f"t = time.time()\nwhile os.path.exists({HOLD!r}) and time.time() - t < 60: time.sleep(0.05)\n" if HOLD and i else ""
    argv = (sys.executable, "-c", f"import os, time\n{hold}open({F!r}, 'a').write('s{i}\\n'); time.sleep({STEP_S})")
    # Not idempotent (it appends), so guarded by a probe as the guide's own such steps are.
    return Action(id=f"t.s{i}", kind="run", target=Target.local(), command=shlex.join(argv), why=f"s{i}",
                  idempotent=False, probe=shlex.join(["grep", "-qx", f"s{i}", F]),
                  **({"argv": argv} if has_argv else {}), **probe_kw(i))
plan = [section("t", "Test section", [a(i) for i in range(STEPS)])]
parser = argparse.ArgumentParser()
parser.add_argument("--lang")
sub = parser.add_subparsers(dest="cmd")
register(sub)
args = parser.parse_args(sys.argv[4:])
sys.exit(cmd_run(args, plan=plan) if args.cmd == "run" else args.func(args))
'''


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """The real `ha-wizard` CLI."""
    return subprocess.run([sys.executable, "-m", "wizard.cli.main", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)


def start_runner(tmp_path: Path, env: dict[str, str], *run_args: str, steps: int = STEPS,
                 step_s: float = STEP_S, command: str = "run") -> tuple[subprocess.Popen, Path]:
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    marks = tmp_path / "marks.txt"
    proc = subprocess.Popen([sys.executable, str(script), str(marks), str(steps), str(step_s), command, *run_args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL)
    return proc, marks


def wait_for(condition: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def make_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a wizard process: its own state folder and HOME, English unless told."""
    import os

    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(home), HA_WIZARD_STATE_DIR=str(tmp_path / "state"), COLUMNS="250",
               PYTHONPATH=str(ROOT), LANG="C.UTF-8")
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "SSH_AUTH_SOCK", "HA_WIZARD_HACLUSTER_PASSWORD"):
        env.pop(var, None)
    return env
