#!/usr/bin/env python3
"""Feed a plan's offline pcs commands to pcs run from a source tree of any version (a maintainer's check).

    git clone https://github.com/ClusterLabs/pcs && mkdir /tmp/pcs-0.12.3 &&
        git -C pcs archive v0.12.3 pcs data | tar -x -C /tmp/pcs-0.12.3
    .venv/bin/python scripts/check_pcs_source.py --src /tmp/pcs-0.12.3 --profile rhel10 [--pcs-version 0.12.3]

The tree's `pcs` package runs under the system Python with the installed pcs's dependencies (lxml,
pycurl, dateutil...) and the installed Pacemaker tools (cibadmin, crm_resource); from 0.10 on its
settings.py is generated from settings.py.in with Debian's paths. Commands go through tests/pcs_cli.py,
as in tests/test_pcs_offline.py: a rejection, a deprecation or a guard that does not tell "there" from
"not there" is reported, and the exit status is 1. What was checked this way: docs/pcs-versions.md.
Nothing from the pcs tree is kept in this repository.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from steps import full_plan  # noqa: E402
from steps.profiles import get_profile, parse_version  # noqa: E402
from tests.pcs_cli import LIVE, OfflinePcs, classify, pcs_invocations  # noqa: E402
from wizard.base.answers import PROFILES, Answers  # noqa: E402

# settings.py.in placeholders -> where Debian 12 has things (the tools the tree's pcs will call).
DEBIAN_PATHS = {
    "FIND": "/usr/bin/find", "KILLALL": "/usr/bin/killall", "RM": "/bin/rm", "RUBY": "/usr/bin/ruby",
    "SERVICE": "/usr/sbin/service", "RC_SERVICE": "/sbin/rc-service", "RC_UPDATE": "/sbin/rc-update",
    "SYSTEMCTL": "/bin/systemctl", "SYSTEMD_UNIT_PATH": "/lib/systemd/system", "CERTUTIL": "/usr/bin/certutil",
    "LIB_DIR": "/usr/lib", "PCSD_PUBLIC_DIR": "/usr/lib/pcsd/public", "PCSD_WEBUI_DIR": "/usr/lib/pcsd/public/ui",
    "GEM_HOME": "", "PCSD_UNIX_SOCKET": "/run/pcsd.socket", "LOCALSTATEDIR": "/var", "CONF_DIR": "/etc/default",
    "PCSD_DEFAULT_CIPHERLIST": "DEFAULT:!RC4:!3DES:@STRENGTH", "COROEXECPREFIX": "/usr", "COROCONFDIR": "/etc",
    "COROLOGDIR": "/var/log/corosync", "COROQDEVEXECPREFIX": "/usr", "COROQDEVCONFDIR": "/etc/corosync/qdevice",
    "PCMKEXECPREFIX": "/usr", "PCMKCONFDIR": "/etc", "PCMKLOCALSTATEDIR": "/var",
    "PCMK_DAEMON_DIR": "/usr/lib/pacemaker", "PCMK_SCHEMA_DIR": "/usr/share/pacemaker",
    "PCMK_CIB_DIR": "/var/lib/pacemaker/cib", "PCMK_USER": "hacluster", "PCMK_GROUP": "haclient",
    "FASEXECPREFIX": "/usr", "SBDEXECPREFIX": "/usr", "SBDCONFDIR": "/etc/default", "BOOTHEXECPREFIX": "/usr",
    "BOOTHCONFDIR": "/etc/booth", "BOOTH_ENABLE_AUTHFILE_SET_ENABLED": "False",
    "BOOTH_ENABLE_AUTHFILE_UNSET_ENABLED": "False", "PCS_BUNDLED_DIR": "/nonexistent",
}


def prepare(src: Path, version: str) -> None:
    """settings.py from settings.py.in (autotools does this in a real build); 0.9 ships settings.py."""
    template = src / "pcs" / "settings.py.in"
    target = src / "pcs" / "settings.py"
    if not template.exists():
        return
    text = template.read_text()

    def value(m: re.Match) -> str:
        key = m.group(1)
        if key == "VERSION":
            return version
        if key not in DEBIAN_PATHS:
            raise SystemExit(f"{template}: unknown placeholder @{key}@ (add it to DEBIAN_PATHS)")
        return DEBIAN_PATHS[key]

    target.write_text(re.sub(r"@([A-Z_]+)@", value, text))


def source_version(src: Path) -> str:
    settings = src / "pcs" / "settings_default.py"
    for path in (settings, src / "pcs" / "settings.py"):
        if path.exists():
            m = re.search(r'pcs_version\s*=\s*"([^"@]+)"', path.read_text())
            if m:
                return m.group(1)
    return ""


# Run by the system Python for each pcs command: what the tree's own pcs.in launcher does (its package first,
# its data/ folder with the OCF schemas), plus adaptations to this machine that change no CLI parsing:
# old pcs uses what Python 3.10/3.11 removed (the ABCs in `collections`, inspect.getargspec), and older
# trees name RHEL's paths (or Pacemaker 1.1's daemons) for the daemons whose `metadata` lists the cluster
# properties.
LAUNCHER = """
import collections, collections.abc, inspect, os, sys
for name in collections.abc.__all__:
    if not hasattr(collections, name):
        setattr(collections, name, getattr(collections.abc, name))
if not hasattr(inspect, "getargspec"):
    inspect.getargspec = inspect.getfullargspec
src = sys.argv.pop(1)
sys.path.insert(0, src)
from pcs import settings, app
data = os.path.join(src, "data")
if os.path.isdir(data) and hasattr(settings, "pcs_data_dir"):
    settings.pcs_data_dir = data
daemons = "/usr/lib/pacemaker"
for names, daemon in ((("pengine_binary", "pacemaker_schedulerd"), "pacemaker-schedulerd"),
                      (("crmd_binary", "pacemaker_controld"), "pacemaker-controld"),
                      (("cib_binary", "pacemaker_based"), "pacemaker-based"),
                      (("stonithd_binary", "pacemaker_fenced"), "pacemaker-fenced")):
    for name in names:
        if isinstance(getattr(settings, name, None), str):
            setattr(settings, name, os.path.join(daemons, daemon))
app.main(sys.argv[1:])
"""


def runner(src: Path) -> object:
    env = {"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}

    def run(args: list[str]) -> tuple[int, str, str]:
        proc = subprocess.run(["/usr/bin/python3", "-Es", "-c", LAUNCHER, str(src), *args], capture_output=True,
                              text=True, timeout=300, env=env)
        return proc.returncode, proc.stdout, proc.stderr

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", required=True, type=Path, help="a pcs source tree (its pcs/ package)")
    parser.add_argument("--profile", choices=PROFILES, required=True)
    parser.add_argument("--pcs-version", help="the version the commands are written for (default: the tree's)")
    parser.add_argument("--pacemaker-version", help="default: the installed pacemakerd's")
    args = parser.parse_args()
    version = args.pcs_version or source_version(args.src)
    if not parse_version(version):
        parser.error("--pcs-version: the tree does not say its version; give it")
    prepare(args.src, version)
    pacemaker = args.pacemaker_version or subprocess.run(
        ["pacemakerd", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    profile = get_profile(args.profile).with_versions(pcs=version, pacemaker=pacemaker)
    run = runner(args.src)
    code, out, err = run(["--version"])
    print(f"# pcs from {args.src}: --version says {out.strip() or err.strip()!r}; commands for "
          f"{profile.versions_text().en}")
    live = []
    with tempfile.TemporaryDirectory(prefix="pcs-check-") as folder:
        offline = OfflinePcs(run, Path(folder), legacy_setup=profile.pcs < (0, 10),
                             systemd=Path("/proc/1/comm").read_text().strip() == "systemd")
        for _module, actions in full_plan(Answers(profile=args.profile), profile):
            for action in actions:
                offline.feed(action)
                live += [f"{action.id}: pcs {' '.join(a)}" for a in pcs_invocations(action.command)
                         if classify(a) == LIVE]
        print(offline.report())
        print("# needs running nodes, not checked here: " + "; ".join(live))
        problems = offline.problems()
        skipped = [r for r in offline.results if r.note]
        print(f"# {len(offline.results)} pcs runs, {len(problems)} problem(s), {len(skipped)} not checkable here")
        return 1 if problems else 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
