#!/usr/bin/env bash
# The whole test run, as CI does it: Debian packages for the lab, the venv, then every test.
# Lab tests need root (network namespaces); `pytest -m "not lab"` runs the fast ones alone.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then
    scripts/install-deps.sh
else
    echo "test: not root: lab tests will be skipped (run as root to include them)" >&2
fi
scripts/setup.sh --test
exec .venv/bin/python -m pytest -ra --durations=25 "$@"
