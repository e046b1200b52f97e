"""How long `ha-wizard plan` takes for the whole guide (target: < 0.3 s of its own).

Prints the median wall time of the CLI process (interpreter start included) and, separately,
of building + rendering the plan in-process, per profile.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from steps.profiles import get_profile
from wizard.base.answers import PROFILES, Answers
from wizard.exports.listing import render_listing

RUNS = 15


def main() -> None:
    bare = []
    for _ in range(RUNS):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - t)
    cli = []
    for _ in range(RUNS):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "wizard.cli.main", "plan"], check=True, stdout=subprocess.DEVNULL)
        cli.append(time.perf_counter() - t)
    print(f"python -c pass            median {statistics.median(bare) * 1000:7.1f} ms")
    print(f"ha-wizard plan (process)  median {statistics.median(cli) * 1000:7.1f} ms  "
          f"-> own time {(statistics.median(cli) - statistics.median(bare)) * 1000:.1f} ms (target < 300)")
    for name in PROFILES:
        answers, profile = Answers(profile=name), get_profile(name)
        times = []
        for _ in range(RUNS):
            t = time.perf_counter()
            text = render_listing(answers, profile)
            times.append(time.perf_counter() - t)
        print(f"render_listing {name:9} median {statistics.median(times) * 1000:7.1f} ms  "
              f"({text.count(chr(10))} lines)")


if __name__ == "__main__":
    main()
