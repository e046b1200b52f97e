"""The same guide two ways, each on a fresh lab: the wizard's headless run and the exported Ansible playbook.

    sudo .venv/bin/python bench/bench_ansible.py [--skip-tags failover,bench]

Prints both wall times. The playbook is `ha-wizard plan --format ansible -o DIR` of the same answers, run
with `ansible-playbook -i DIR/inventory.ini DIR/site.yml -e @secret.json` (ansible-core from the test extra).
With --skip-tags, the playbook leaves out those tags and the wizard's figure is the sum of its actions
without them (from its checkpoint), so both sides do the same work.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from e2e_support import e2e_answers, load_state, run_args, seconds_of, wizard_cmd, wizard_env  # noqa: E402

from lab import Lab  # noqa: E402
from wizard.base.answers import save_answers  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-tags", default="", help="tags the playbook leaves out (e.g. failover,bench)")
    parser.add_argument("--name", default="default", help="the lab instance to build (default: default)")
    args = parser.parse_args()
    playbook = Path(sys.executable).parent / "ansible-playbook"
    if not playbook.exists():
        print("ansible-playbook not found: ./scripts/setup.sh --test installs ansible-core", file=sys.stderr)
        return 2
    answers = e2e_answers(args.name)
    tmp = Path(tempfile.mkdtemp(prefix="ha-wizard-bench-ansible-"))
    save_answers(answers, tmp / "lab.toml")
    skip = tuple(t for t in args.skip_tags.split(",") if t)
    lab = Lab(answers, name=args.name)
    try:
        lab.up(prepared=False)
        env = wizard_env(tmp / "state", lab)
        start = time.monotonic()
        with open(tmp / "wizard.log", "w") as log:
            done = subprocess.run(wizard_cmd(*run_args(tmp / "lab.toml", "bench")), env=env,
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        wizard_wall = time.monotonic() - start
        same = seconds_of(load_state(tmp / "state", "bench"), answers, skip)
        print(f"wizard (ha-wizard run --yes): exit {done.returncode}, wall {wizard_wall:.0f} s"
              + (f"; its actions without {','.join(skip)}: {same:.0f} s" if skip else "")
              + f"   [log: {tmp / 'wizard.log'}]")

        lab.up(prepared=False)  # the guide's starting point again
        out = tmp / "ansible"
        subprocess.run(wizard_cmd("plan", "--format", "ansible", "-o", str(out), "--answers", str(tmp / "lab.toml")),
                       env=env, check=True, capture_output=True)  # the lab profile's key: no flag (as run)
        secret = tmp / "secret.json"
        secret.write_text(json.dumps({"hacluster_password": env["HA_WIZARD_HACLUSTER_PASSWORD"]}))
        secret.chmod(0o600)
        control = Path(tempfile.mkdtemp(prefix="hw-cp-"))  # ssh control sockets: a short path
        aenv = dict(env, ANSIBLE_NOCOLOR="1", ANSIBLE_SSH_CONTROL_PATH_DIR=str(control),
                    ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"))
        aenv.pop("HA_WIZARD_HACLUSTER_PASSWORD", None)
        cmd = [str(playbook), "-i", str(out / "inventory.ini"), str(out / "site.yml"), "-e", f"@{secret}"]
        if skip:
            cmd += ["--skip-tags", ",".join(skip)]
        start = time.monotonic()
        with open(tmp / "ansible.log", "w") as log:
            done = subprocess.run(cmd, env=aenv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        ansible_wall = time.monotonic() - start
        print(f"ansible-playbook site.yml{' --skip-tags ' + ','.join(skip) if skip else ''}: exit {done.returncode}, "
              f"wall {ansible_wall:.0f} s   [log: {tmp / 'ansible.log'}]")
        print(f"ratio ansible / wizard: {ansible_wall / (same if skip else wizard_wall):.2f}")
    finally:
        (tmp / "secret.json").unlink(missing_ok=True)
        lab.down()
        print(f"(folder {tmp}; os load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
