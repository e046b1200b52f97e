"""Feeding a plan's pcs commands to a real pcs offline: `pcs -f <CIB file>`, `--corosync_conf <file>`.

Used by tests/test_pcs_offline.py (the lab's own pcs) and by scripts/check_pcs_source.py (pcs run
from a source tree of another version). Each pcs invocation of a command or probe is classified:

- offline with `-f CIB` (property, resource create/config, constraints), with `-f` and the
  corosync.conf made by the offline setup (`status`, `config`), without `-f` (pcs says `-f` is not
  supported there: `--version`, `resource list|describe`), the setup itself writing a local
  corosync.conf (`--corosync_conf`; pcs 0.9 also `--local`);
- live: needs running nodes (auth, cluster start/stop/enable, `status corosync`, `resource cleanup`).

A command passes when pcs exits 0 and prints no deprecation; a resource guard (probe) must say
"not there" before its command and "there" after it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from steps.model import Action

# pcs prints its deprecations on stderr ("Deprecation Warning: ..."); stdout may quote agents' own texts.
DEPRECATED = re.compile(r"deprecat", re.IGNORECASE)
# pcs refuses an agent whose metadata it cannot read: systemd: agents need systemd as PID 1 (not here).
NO_SYSTEMD_AGENT = re.compile(r"Agent 'systemd:[^']+' is not installed|Unable to find agent 'systemd:"
                              r"|Unable to get metadata of 'systemd:|Agent 'systemd:[^']+' is not installed")

# This machine's Pacemaker is older than what the pcs being checked needs for a command: nothing about the
# command itself can be learnt here (scripts/check_pcs_source.py running a newer pcs).
PACEMAKER_TOO_OLD = re.compile(r"please upgrade pacemaker", re.IGNORECASE)

# pcs 0.10.0-0.10.5: `cluster setup` always contacts the nodes (no local mode to check it with).
NO_LOCAL_SETUP = re.compile(r"'--corosync_conf'.* not supported")

LIVE = "live"
WITH_CIB = "cib"
WITH_CIB_AND_CONF = "cib+conf"
NO_FILE = "plain"
SETUP = "setup"


_KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time"}


def pcs_invocations(shell: str) -> list[list[str]]:
    """The `pcs ...` argument lists in a shell command line (redirections, operators, keywords dropped)."""
    if "pcs" not in shell:
        return []
    try:
        # A new line ends a command as ";" does (inside a quoted string it only adds a harmless ";").
        lexer = shlex.shlex(shell.replace("\n", " ;\n"), posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return []
    out: list[list[str]] = []
    current: list[str] | None = None  # None: at the start of a command
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        redirect = re.fullmatch(r"[<>]+&?", nxt)
        if tok.isdigit() and redirect:  # the fd of "2>&1"
            i += 1
            continue
        if re.fullmatch(r"[<>]+&?", tok):
            i += 2  # the redirection and its target
            continue
        if re.fullmatch(r"[;&|()]+", tok) or (current is None and tok in _KEYWORDS):
            current = None
        elif current is None:
            current = ["pcs"] if tok == "pcs" else ["other"]
            if tok == "pcs":
                out.append(current)
        elif current[0] == "pcs":
            current.append(tok)
        i += 1
    return [argv[1:] for argv in out]


def classify(args: Sequence[str]) -> str:
    words = [a for a in args if not a.startswith("-")]
    head = words[:2]
    if args[:1] == ["--version"]:
        return NO_FILE
    if head == ["cluster", "setup"]:
        return SETUP
    if head[:1] == ["status"] and len(words) == 1 or head[:1] == ["config"] and len(words) == 1:
        return WITH_CIB_AND_CONF
    if head in (["resource", "list"], ["resource", "describe"]):
        return NO_FILE
    if head[:1] == ["property"] or head[:1] == ["constraint"]:
        return WITH_CIB
    if head in (["resource", "create"], ["resource", "config"], ["resource", "show"]):
        return WITH_CIB
    return LIVE


@dataclass
class Result:
    action: str
    field: str  # command / probe-before / probe-after
    args: list[str]
    code: int
    output: str  # stdout + stderr
    problem: str = ""
    stderr: str = ""
    note: str = ""  # not checkable on this machine, and why


@dataclass
class OfflinePcs:
    """One offline cluster: a CIB file and the corosync.conf the plan's setup wrote."""

    run_pcs: Callable[[list[str]], tuple[int, str, str]]  # pcs arguments -> (exit status, stdout, stderr)
    folder: Path
    legacy_setup: bool = False  # pcs 0.9: the local setup also needs --local
    systemd: bool = False  # systemd is PID 1 here (systemd: agents have metadata)
    results: list[Result] = field(default_factory=list)
    # Answers of commands that read no file (--version, resource list|describe): the same for every plan.
    stateless: dict[tuple[str, ...], tuple[int, str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.cib = self.folder / "cib.xml"
        self.conf = self.folder / "corosync.conf"
        empty = subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True, check=True).stdout
        self.cib.write_text(empty)

    def argv(self, args: list[str]) -> list[str] | None:
        kind = classify(args)
        if kind == LIVE:
            return None
        if kind == NO_FILE:
            return list(args)
        if kind == SETUP:
            extra = ["--local"] if self.legacy_setup else []
            return [*args, *extra, "--corosync_conf", str(self.conf)]
        if kind == WITH_CIB_AND_CONF:
            if not self.conf.exists():
                return None  # no setup ran before (a section run alone): nothing to read
            return ["-f", str(self.cib), "--corosync_conf", str(self.conf), *args]
        return ["-f", str(self.cib), *args]

    def _run(self, action: str, field: str, args: list[str]) -> Result | None:
        argv = self.argv(args)
        if argv is None:
            return None
        if classify(args) == NO_FILE and tuple(argv) in self.stateless:
            code, out, err = self.stateless[tuple(argv)]
        else:
            code, out, err = self.run_pcs(argv)
            if classify(args) == NO_FILE:
                self.stateless[tuple(argv)] = (code, out, err)
        result = Result(action, field, args, code, out + err, stderr=err)
        if "Traceback (most recent call last)" in err:
            result.problem = "pcs crashed"
        self.results.append(result)
        return result

    def feed(self, action: Action) -> list[Result]:
        """Probe (must say "not done"), command (must pass), probe again (must say "done")."""
        out: list[Result] = []
        probes = pcs_invocations(action.probe)
        for args in probes:
            r = self._run(action.id, "probe-before", args)
            if r is not None and not r.problem:
                if r.code == 0:
                    r.problem = "the guard says done before the command ran"
                elif DEPRECATED.search(r.stderr):
                    r.problem = "deprecated"
                out.append(r)
        commands = pcs_invocations(action.command)
        for args in commands:
            r = self._run(action.id, "command", args)
            if r is None:
                continue
            out.append(r)
            if r.problem:
                continue
            if r.code != 0 and not self.systemd and NO_SYSTEMD_AGENT.search(r.output):
                # Only the agent's metadata is missing here: check everything else with --force (which
                # also creates the resource the constraints that follow name).
                forced = self._run(action.id, "command (--force: no systemd here)", [*args, "--force"])
                if forced is not None:
                    out.append(forced)
                    if forced.code != 0:
                        forced.problem = "rejected"
                    elif DEPRECATED.search(forced.stderr):
                        forced.problem = "deprecated"
                continue
            if r.code != 0 and PACEMAKER_TOO_OLD.search(r.output):
                r.note = "not checkable here: this pcs needs a newer Pacemaker than the installed one"
            elif r.code != 0 and classify(args) == SETUP and NO_LOCAL_SETUP.search(r.output):
                r.note = "not checkable offline: this pcs has no local setup (--corosync_conf came in 0.10.6)"
            elif r.code != 0:
                r.problem = "rejected"
            elif DEPRECATED.search(r.stderr):
                r.problem = "deprecated"
        # After the command, its guard must say done, when the command is pcs's: a guard over another command
        # (haproxy off at boot: "done once pacemaker runs haproxy") is a later state, not this command's effect.
        for args in probes if commands else ():
            r = self._run(action.id, "probe-after", args)
            if r is not None and not r.problem:
                if r.code != 0:
                    r.problem = "the guard says not done after the command ran"
                out.append(r)
        return out

    def problems(self) -> list[Result]:
        return [r for r in self.results if r.problem]

    def report(self) -> str:
        lines = []
        for r in self.results:
            mark = "FAIL" if r.problem else "skip" if r.note else "ok"
            lines.append(f"{mark:4} {r.action:34} {r.field:14} pcs {shlex.join(r.args)}"
                         + (f"\n     -> {r.problem}: {r.output.strip()[:400]}" if r.problem else "")
                         + (f"\n     -> {r.note}" if r.note else ""))
        return "\n".join(lines)

