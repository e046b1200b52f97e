#!/usr/bin/env bash
# The whole test run, as CI does it: Debian packages for the lab, the venv, then every test, in parallel.
# Lab tests need root (network namespaces); `pytest -m "not lab"` runs the fast ones alone.
# HA_WIZARD_TEST_WORKERS: pytest-xdist workers (default 4, measured best on 2 cores: the lab tests mostly
# wait on Pacemaker's timers); 0 runs everything in this one process.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then
    scripts/install-deps.sh
else
    echo "test: not root: lab tests will be skipped (run as root to include them)" >&2
fi
scripts/setup.sh --test
workers=${HA_WIZARD_TEST_WORKERS:-4}
parallel=()
[ "$workers" != 0 ] && parallel=(-n "$workers" --dist loadgroup)  # tests/xdist_schedule.py: longest first
exec .venv/bin/python -m pytest "${parallel[@]}" -ra --durations=25 "$@"
