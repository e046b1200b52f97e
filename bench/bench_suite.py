"""The test suite's wall time and its five slowest tests (issue: the whole run in <= 15 min on 2 cores).

    sudo .venv/bin/python bench/bench_suite.py [-- PYTEST ARGS...]      # runs ./scripts/test.sh and times it
    .venv/bin/python bench/bench_suite.py --read report.xml              # a junit report of an earlier run
    .venv/bin/python bench/bench_suite.py --read durations.txt           # or pytest's --durations output

A run goes through ./scripts/test.sh as CI runs it (its parallelism, `-n`; extra arguments go to pytest),
with a junit report of its own; meanwhile the machine's load average and used memory are sampled every
5 s (the machine is shared: they say how much else ran). Printed: wall time, tests per outcome, the five
slowest tests (setup + call + teardown: a session fixture's build lands in the first test that uses it),
the CPU time the run used (its processes, the labs' included, as far as they were waited for: divided by
the machine's cores, what the run would take at the least with the machine to itself), load average
(mean, max) and the most memory in use.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP = 5


def from_junit(path: Path) -> tuple[dict[str, float], Counter, float]:
    """(test -> seconds, outcome counts, the report's own wall time) from a pytest junit XML file."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    times: dict[str, float] = {}
    outcomes: Counter = Counter()
    for case in (c for s in suites for c in s.iter("testcase")):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        times[name] = times.get(name, 0.0) + float(case.get("time") or 0)
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[kinds[0] if kinds else "passed"] += 1
    wall = max((float(s.get("time") or 0) for s in suites), default=0.0)
    return times, outcomes, wall


_DURATION = re.compile(r"^\s*([0-9.]+)s\s+(setup|call|teardown)\s+(\S+)")


def from_durations(path: Path) -> tuple[dict[str, float], Counter, float]:
    """The same from pytest's `--durations=N` lines (`12.34s call tests/test_x.py::test_y`), and its last
    summary line (`... in 812.35s`) for the wall time."""
    times: dict[str, float] = {}
    wall = 0.0
    outcomes: Counter = Counter()
    for line in path.read_text(errors="replace").splitlines():
        m = _DURATION.match(line)
        if m:
            times[m.group(3)] = times.get(m.group(3), 0.0) + float(m.group(1))
        summary = re.search(r"=+ (.*) in ([0-9.]+)s", line)
        if summary:
            wall = float(summary.group(2))
            for count, kind in re.findall(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)", summary.group(1)):
                outcomes[kind] += int(count)
    return times, outcomes, wall


class Sampler(threading.Thread):
    """The machine's 1-minute load average and used memory, every `every` seconds, until stopped."""

    def __init__(self, every: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.every, self.load, self.used_mib = every, [], []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.load.append(float(Path("/proc/loadavg").read_text().split()[0]))
            mem = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
            kib = int(mem["MemTotal"].split()[0]) - int(mem["MemAvailable"].split()[0])
            self.used_mib.append(kib // 1024)


def report(times: dict[str, float], outcomes: Counter, wall: float) -> None:
    print(f"wall time: {wall:.0f} s ({wall / 60:.1f} min)")
    print("tests: " + ", ".join(f"{n} {kind}" for kind, n in sorted(outcomes.items())))
    print(f"the {TOP} slowest (setup + call + teardown):")
    for name, seconds in sorted(times.items(), key=lambda kv: -kv[1])[:TOP]:
        print(f"  {seconds:7.1f} s  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--read", metavar="FILE", type=Path,
                        help="a junit XML report (or pytest --durations output) of an earlier run; no run")
    parser.add_argument("pytest_args", nargs="*", help="passed on to pytest (after --)")
    args = parser.parse_args()
    if args.read:
        reader = from_junit if args.read.suffix == ".xml" else from_durations
        report(*reader(args.read))
        return 0
    junit = Path(tempfile.mkdtemp(prefix="ha-wizard-bench-suite-")) / "report.xml"
    sampler = Sampler()
    sampler.start()
    start = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([str(ROOT / "scripts/test.sh"), f"--junitxml={junit}", *args.pytest_args], cwd=ROOT,
                          stdin=subprocess.DEVNULL)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sampler.done.set()
    sampler.join()
    times, outcomes, _ = from_junit(junit)
    print(f"\n./scripts/test.sh exit {done.returncode}   [junit: {junit}]")
    report(times, outcomes, wall)
    cores = len(os.sched_getaffinity(0))
    print(f"CPU time of the run: {cpu:.0f} s ({cpu / cores / 60:.1f} min over {cores} cores)")
    if sampler.load:
        print(f"load average (1 min) during the run: mean {sum(sampler.load) / len(sampler.load):.1f}, "
              f"max {max(sampler.load):.1f}; memory in use at most {max(sampler.used_mib)} MiB")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
