"""Per-command overhead of the SSH runner, and group parallelism, against the lab's real sshd.

1. `true` N times on master: the runner over its open paramiko connection, OpenSSH through a
   ControlMaster socket, and a fresh `ssh` per command (median each, ratios; target runner <= 1.2x CM).
2. One action on the 3 real servers (reached through master) vs on 1: engine wall time, warm
   connections, median of several runs (target <= 1.3x).

Uses the running lab (`ha-wizard lab up`), or builds one and removes it afterwards (root needed).
Usage: python bench/bench_runner.py [--runs 60] [--keep]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab import Lab  # noqa: E402
from steps.model import Action, Target  # noqa: E402
from wizard.base.answers import Answers  # noqa: E402
from wizard.run.engine import Engine, section  # noqa: E402
from wizard.session.state import Session  # noqa: E402


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(fn, runs: int) -> list[float]:  # noqa: ANN001 - any callable
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=60, help="commands per method (>= 50)")
    ap.add_argument("--group-runs", type=int, default=9)
    ap.add_argument("--keep", action="store_true", help="leave a lab this script built running")
    ap.add_argument("--name", default="default", help="the lab instance to use or build (default: default)")
    args = ap.parse_args()

    lab = Lab(name=args.name)
    built = False
    vms = ["master", "cluster2", "cluster3", "cluster4"]  # read-only commands: a lab in use is fine
    if lab.vms() and not all(lab.running(vm) for vm in vms):
        # Someone's lab, mid-change (a VM powered off): never rebuild or remove it from here.
        print("the lab exists but master or a server is not running (in use?): try again later", file=sys.stderr)
        return 2
    if not lab.vms():
        print("no lab: building one (lab up)…", flush=True)
        lab = Lab(Answers(), name=args.name)
        built = True
        try:
            lab.up(prepared=False)
        except BaseException:
            lab.down()  # ours, half built
            raise
    answers = lab.answers
    tmp = Path(tempfile.mkdtemp(prefix="bench-runner-"))
    os.environ["HA_WIZARD_STATE_DIR"] = str(tmp / "state")
    try:
        # -- 1. per-command overhead ------------------------------------------------------------
        session = Session.create("bench", answers, "lab")
        engine = Engine(session, {}, None, plan=[section("b", "bench", [])],
                        identity_files=[str(lab.key_path)], known_hosts=[lab.known_hosts_path])
        engine.ssh_options.allow_agent = engine.ssh_options.look_for_keys = False
        conn = engine.conns.get("master")
        noop = lambda s, t: None  # noqa: E731
        conn.run("true", on_line=noop)  # warm
        runner = timed(lambda: conn.run("true", on_line=noop), args.runs)

        base = lab.ssh_argv("master")
        sock = tmp / "cm.sock"
        cm = [*base[:-1], "-o", f"ControlPath={sock}", base[-1]]
        subprocess.run([cm[0], "-o", "ControlMaster=yes", "-o", "ControlPersist=no", "-fN", *cm[1:]], check=True)
        try:
            subprocess.run([*cm, "true"], check=True)
            control = timed(lambda: subprocess.run([*cm, "true"], check=True), args.runs)
        finally:
            subprocess.run([cm[0], "-O", "exit", *cm[1:]], capture_output=True)
        fresh_argv = [*base[:-1], "-o", "ControlMaster=no", "-o", "ControlPath=none", base[-1], "true"]
        fresh = timed(lambda: subprocess.run(fresh_argv, check=True), args.runs)

        r, c, f = median_ms(runner), median_ms(control), median_ms(fresh)
        print(f"\nper-command `true` on master, median of {args.runs}:")
        print(f"  runner (paramiko, open connection) {r:7.2f} ms")
        print(f"  OpenSSH ControlMaster              {c:7.2f} ms")
        print(f"  fresh ssh per command              {f:7.2f} ms")
        print(f"  runner / ControlMaster = {r / c:.2f}x (target <= 1.2)   fresh / runner = {f / r:.1f}x")
        print(f"HA-WIZARD-FIGURE runner_ms={r:.2f} controlmaster_ms={c:.2f} fresh_ms={f:.2f} unit=ms")

        # -- 2. one action on 3 servers vs 1 -------------------------------------------------------
        servers = [s.name for s in answers.servers][:3]
        results = {}
        for label, cmd in (("trivial", "hostname >/dev/null"), ("0.3 s of work", "sleep 0.3; hostname")):
            one = Action(id="b.one", kind="run", target=Target.node(servers[0]), command=cmd, why="bench")
            three = Action(id="b.three", kind="run", target=Target.of_group("servers", servers), command=cmd,
                           why="bench")
            engine.plan = [section("b", "bench", [one, three])]
            engine._actions = {a.id: (engine.plan[0][0], a) for a in (one, three)}
            for n in servers:
                engine.conns.get(n)  # warm: connections are reused by the engine anyway
            t1, t3 = [], []
            for _ in range(args.group_runs):  # interleaved: the growing journal weighs on both alike
                t1 += timed(lambda: engine.run_action("b.one"), 1)
                t3 += timed(lambda: engine.run_action("b.three"), 1)
            assert session.status("b.three") == "ok", session.record("b.three").error
            results[label] = (median_ms(t1), median_ms(t3))
        # The same without the engine: the runner alone, one thread per server (where the time goes).
        sconns = [engine.conns.get(n) for n in servers]
        def par3() -> None:
            threads = [threading.Thread(target=c.run, args=("hostname >/dev/null",), kwargs={"on_line": noop})
                       for c in sconns]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        raw1 = median_ms(timed(lambda: sconns[0].run("hostname >/dev/null", on_line=noop), args.runs))
        raw3 = median_ms(timed(par3, args.runs))
        print(f"\none action (engine, checkpoints included), median of {args.group_runs}:")
        for label, (a1, a3) in results.items():
            print(f"  {label:14} 1 server {a1:7.1f} ms   3 servers {a3:7.1f} ms   ratio {a3 / a1:.2f}x "
                  f"(target <= 1.3)")
        print(f"  runner alone, trivial: 1 server {raw1:.1f} ms, 3 in parallel threads {raw3:.1f} ms "
              f"(ratio {raw3 / raw1:.2f}x: the lab's 2 cores run 3 sessions + the director's forwarding)")
        engine.close()
    finally:
        if built and not args.keep:
            lab.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
