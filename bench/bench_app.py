"""Benchmark of the app: cold start to the first interactive screen, and memory. Prints figures.

Cold start: `python -m wizard.cli.main` (what `ha-wizard` runs) in a pseudo-terminal, from exec to the start
screen drawn on the terminal (its "New session" button seen in the output), median of N runs; then the
resident memory (VmRSS, VmHWM) of that process. Memory with a session open: the app in-process with a
section screen mounted (plan built, engine created), RSS of this process. Target: cold start < 0.6 s.

    .venv/bin/python bench/bench_app.py [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pexpect

TARGET_S = 0.6


def rss_kib(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def cold_start(state: Path) -> tuple[float, dict[str, int]]:
    env = dict(os.environ, HA_WIZARD_STATE_DIR=str(state), TERM="xterm-256color", LANG="C.UTF-8",
               HOME=str(state))
    started = time.perf_counter()
    child = pexpect.spawn(sys.executable, ["-m", "wizard.cli.main", "--lang", "en"], env=env, encoding="utf-8",
                          dimensions=(24, 80), timeout=20)
    try:
        child.expect("New session")
        elapsed = time.perf_counter() - started
        time.sleep(0.3)  # let the first frame settle before reading memory
        mem = rss_kib(child.pid)
        child.send("\x11")  # Ctrl+Q
        child.expect(pexpect.EOF, timeout=10)
    finally:
        child.close(force=True)
    return elapsed, mem


async def section_memory(state: Path) -> dict[str, int]:
    os.environ["HA_WIZARD_STATE_DIR"] = str(state)
    from wizard.base.answers import Answers
    from wizard.session.state import Session
    from wizard.ui.app import WizardApp
    from wizard.ui.screens.section import SectionScreen

    Session.create("bench", Answers(), "rhel7", root=state)
    app = WizardApp(lang="en", state_root=state)
    async with app.run_test(size=(120, 40)) as pilot:
        app.resume_session("bench")
        for _ in range(200):
            if isinstance(app.screen, SectionScreen) and app.screen.built_lang:
                break
            await pilot.pause(0.05)
        for section in ("cluster_setup", "resources", "verification"):
            app.push_section(section)
            await pilot.pause(0.3)
        return rss_kib(os.getpid())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ha-wizard-bench-") as tmp:
        state = Path(tmp)
        times: list[float] = []
        mems: list[dict[str, int]] = []
        cold_start(state)  # warm the page cache and .pyc files: "cold" means a new process, not a cold disk
        for _ in range(max(1, args.runs)):
            elapsed, mem = cold_start(state)
            times.append(elapsed)
            mems.append(mem)
        median = statistics.median(times)
        print(f"cold start to the start screen: median {median:.3f} s, min {min(times):.3f} s, "
              f"max {max(times):.3f} s over {len(times)} runs (target < {TARGET_S} s: "
              f"{'met' if median < TARGET_S else 'NOT met'})")
        print(f"memory at the start screen: RSS {statistics.median(m['VmRSS'] for m in mems) / 1024:.1f} MiB, "
              f"peak {max(m['VmHWM'] for m in mems) / 1024:.1f} MiB")
        section_state = state / "inproc"
        section_state.mkdir()
        mem = asyncio.run(section_memory(section_state))
        print(f"memory with a session open and 4 section screens visited (in-process, 120x40): "
              f"RSS {mem['VmRSS'] / 1024:.1f} MiB, peak {mem['VmHWM'] / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
