#!/usr/bin/env bash
# Create .venv and install ha-wizard into it (with the test tools when called with --test).
# Idempotent: re-running only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "setup: Python 3.11 or newer is needed ($PYTHON is $("$PYTHON" -V 2>&1))" >&2
    exit 2
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
extra=""
[ "${1:-}" = "--test" ] && extra="[test]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extra}"
if [ "${1:-}" = "--test" ]; then
    # CentOS 7's nodes need ansible-core 2.16, the last whose modules run on their Python (2.7, 3.6): the tests
    # check the Ansible export with it too, from a venv of its own (it runs on a Python 3.10 to 3.12).
    [ -x .venv-ansible216/bin/python ] || "$PYTHON" -m venv .venv-ansible216
    .venv-ansible216/bin/python -m pip install --quiet --disable-pip-version-check 'ansible-core>=2.16,<2.17' \
        'passlib>=1.7'
fi
