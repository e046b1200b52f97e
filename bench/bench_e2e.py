"""The whole guide, headless, on a fresh lab: wall time, the wizard's own share, and the figures.

    sudo .venv/bin/python bench/bench_e2e.py [--keep]

"The wizard's own share" is the CPU time of the `ha-wizard run` process itself (utime + stime from
/proc, sampled until it exits; its children — local commands, the lab — are not counted) over the
run's wall time: the time not spent waiting on remote or local commands. Target < 5 %.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab import Lab  # noqa: E402
from wizard.base.answers import Answers, save_answers  # noqa: E402
from wizard.base.figures import Figure, bench_table  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (children excluded)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    parser.add_argument("--name", default="default", help="the lab instance to build (default: default)")
    args = parser.parse_args()
    answers = Answers(profile="lab", bench_requests=100, bench_concurrency=10, pi_intervals=1000000)
    lab = Lab(answers, name=args.name)
    t = time.monotonic()
    lab.up(prepared=False)
    print(f"lab up: {time.monotonic() - t:.1f} s")
    tmp = Path(tempfile.mkdtemp(prefix="ha-wizard-bench-"))
    save_answers(answers, tmp / "lab.toml")
    env = dict(os.environ, HA_WIZARD_STATE_DIR=str(tmp / "state"), HA_WIZARD_HACLUSTER_PASSWORD="bench-pass-1",
               PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    cmd = [sys.executable, "-m", "wizard.cli.main", "run", "--answers", str(tmp / "lab.toml"), "--profile", "lab",
           "--yes", "--trust-new-hosts", "--session", "bench", "--identity", str(lab.key_path),
           "--known-hosts", str(lab.known_hosts_path)]
    try:
        start = time.monotonic()
        with open(tmp / "run.log", "w") as log:
            proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            cpu = 0.0
            while proc.poll() is None:
                cpu = cpu_seconds(proc.pid) or cpu
                time.sleep(0.2)
        wall = time.monotonic() - start
        print(f"headless end to end: exit {proc.returncode}, wall {wall:.1f} s, wizard CPU {cpu:.1f} s "
              f"= {100 * cpu / wall:.1f} % of the wall time (target < 5 %)   [log: {tmp / 'run.log'}]")
        state = json.loads((tmp / "state" / "sessions" / "bench" / "state.json").read_text())
        figures = [Figure.from_dict(f) for rec in state["actions"].values() for f in rec.get("figures", [])]
        for f in figures:
            if not f.name.startswith(("ab_", "siege_", "requests")):
                print(f"  {f}")
        spread = [f for f in figures if f.name == "requests"]
        print("  requests per server (all up, then per test): " + ", ".join(
            f"{f.labels.get('server')}={f.value:g}" for f in spread))
        print(f"  {'tool':6} {'page':10} {'servers':>7} {'req/s':>9} {'mean ms':>9}")
        for row in bench_table(figures):
            print(f"  {row['tool']:6} {row['page']:10} {row['servers']:>7} {row.get('rps', 0):9.1f} "
                  f"{row.get('mean_ms', 0):9.1f}")
    finally:
        if not args.keep:
            t = time.monotonic()
            lab.down()
            print(f"lab down: {time.monotonic() - t:.1f} s")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
