"""`ha-wizard check`: grade an existing cluster (built by the wizard or by hand) against the guide.

The probes and judges are data in steps/checks/; this module runs the probes over SSH with the
engine's connections (the same keys, host-key trust and jumps through a director as `run`), grades them
and renders the result: a rich table per section, or JSON. Nothing here changes a node: every command
comes from steps.checks, and a test holds each of them to a read-only allow-list.

Exit status: 0 every check passed; 1 a check failed or could not be checked; 2 bad input.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steps.checks import (
    ANY_DIRECTOR,
    VERSIONS_PROBE,
    CheckPlan,
    FixBook,
    Outcome,
    Probe,
    ProbeResult,
    build,
    fix_profile,
    grade,
    sections,
    versions_found,
)
from steps.profiles import Profile, get_profile
from wizard.base.answers import Answers
from wizard.base.i18n import t

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SSH_PASSWORD_ENV = "HA_WIZARD_SSH_PASSWORD"
# Probes run at once on one node (with the cluster-wide ones, on a director): within sshd's default MaxSessions
# (10); a node that allows fewer gets them in turn (wizard/run/ssh.py's channel gate).
PROBES_AT_ONCE = 3
FIX_LINES_SHOWN = 10  # longer fixes (haproxy.cfg's heredoc) show their first line in the table; JSON has all


@dataclass
class Report:
    answers: Answers
    profile: Profile
    outcomes: list[Outcome]
    versions: dict[str, str] = field(default_factory=dict)  # pcs / Pacemaker found on master

    @property
    def counts(self) -> dict[str, int]:
        out = {"pass": 0, "fail": 0, "not_checked": 0}
        for o in self.outcomes:
            out[o.verdict.status] += 1
        return out

    @property
    def exit_code(self) -> int:
        return EXIT_OK if all(o.verdict.status == "pass" for o in self.outcomes) else EXIT_FAILED


# -- running the probes ---------------------------------------------------------------------------------

class ProbeRunner:
    """Runs a check plan's probes: one thread per node (servers through a director), cluster-wide probes
    on the first director where they succeed. Every call is bounded by the probe's timeout."""

    def __init__(self, answers: Answers, *, identity_files: Sequence[str] = (), known_hosts: Sequence[str] = (),
                 pins: dict[str, str] | None = None, trust_new_hosts: bool = False, ssh_password: str | None = None,
                 connect_timeout: float = 10.0, confirm_host_key: Any = None, state_root: Path | str | None = None,
                 on_probe: Callable[[Probe, ProbeResult], None] | None = None,
                 cancel: threading.Event | None = None) -> None:
        from wizard.run.connections import Connections
        from wizard.run.hostkeys import HostKeyTrust
        from wizard.run.keys import login_files
        from wizard.run.ssh import SSHOptions
        from wizard.session.state import wizard_known_hosts

        # The lab profile's own key and known_hosts unless given; the wizard's key when it has one (h9).
        identity_files, known_hosts = login_files(answers, identity_files, known_hosts, state_root)
        self.answers = answers
        self.on_probe = on_probe
        self.cancel = cancel or threading.Event()
        user_files = [*HostKeyTrust.default_user_files(), *(Path(p) for p in known_hosts)]
        self.trust = HostKeyTrust(wizard_file=wizard_known_hosts(state_root), user_files=user_files,
                                  pins=dict(pins or {}), trust_new_hosts=trust_new_hosts, confirm=confirm_host_key)
        self.options = SSHOptions(user=answers.ssh_user, port=answers.ssh_port, identity_files=list(identity_files),
                                  password=ssh_password, connect_timeout=connect_timeout)
        self.conns = Connections(answers, self.options, self.trust, lambda event: None)
        self._reach: dict[str, str] = {}  # node -> error ("" when reached)
        self._reach_lock = threading.Lock()
        self._reached: dict[str, threading.Event] = {}

    def close(self) -> None:
        self.conns.close()

    def _connect(self, node: str) -> str:
        """"" when the node is reachable, else the reason (the host key message, auth, no route...)."""
        from wizard.run.hostkeys import HostKeyError
        from wizard.run.ssh_errors import SSHError

        with self._reach_lock:
            if node in self._reach:
                return self._reach[node]
        try:
            # A node briefly busy (its sshd still starting the previous connection) is tried again a little
            # (about 10 s): a verdict of "not reachable" must mean it.
            self.conns.get_bounded(node, cancel=self.cancel)
            error = ""
        except (SSHError, HostKeyError, OSError) as exc:
            error = str(exc) or type(exc).__name__
        except Exception as exc:  # noqa: BLE001 - paramiko's own errors: the node is just not reachable
            error = f"{type(exc).__name__}: {exc}"
        with self._reach_lock:
            self._reach[node] = error
        return error

    def _run_one(self, probe: Probe, node: str) -> ProbeResult:
        from wizard.run.ssh_errors import Cancelled, CommandTimeout, NotStarted, SSHError

        error = self._connect(node)
        if error:
            return ProbeResult(None, node=node, error=f"{node} not reachable: {error}")
        out: list[str] = []
        err: list[str] = []

        def on_line(stream: str, text: str) -> None:
            (err if stream == "stderr" else out).append(text)

        try:
            try:
                code = self.conns.get(node).run(probe.command, on_line=on_line, timeout=probe.timeout,
                                                cancel=self.cancel)
            except NotStarted:
                # Nothing ran (the connection was lost, or its channels stayed refused): once more, on a new
                # connection when that one is dead (`get` makes one; a live director's is kept: servers' tunnels
                # ride on it). None runs twice: this one never started.
                with self._reach_lock:
                    self._reach.pop(node, None)
                error = self._connect(node)
                if error:
                    return ProbeResult(None, node=node, error=f"{node} not reachable: {error}")
                code = self.conns.get(node).run(probe.command, on_line=on_line, timeout=probe.timeout,
                                                cancel=self.cancel)
        except CommandTimeout as exc:
            return ProbeResult(None, "\n".join(out), "\n".join(err), node, f"{node}: {exc}")
        except Cancelled:
            return ProbeResult(None, node=node, error="cancelled")
        except SSHError as exc:
            return ProbeResult(None, "\n".join(out), "\n".join(err), node, str(exc))
        return ProbeResult(code, "\n".join(out), "\n".join(err), node)

    def _run_anywhere(self, probe: Probe) -> ProbeResult:
        last: ProbeResult | None = None
        for d in self.answers.directors:
            result = self._run_one(probe, d.name)
            if result.code == 0:
                return result
            if last is None or (result.ran and not last.ran):
                last = result
        return last or ProbeResult(None, error="no director")

    def run(self, plan: CheckPlan) -> dict[str, ProbeResult]:
        by_node: dict[str, list[Probe]] = {}
        anywhere: list[Probe] = []
        for probe in plan.probes:
            if probe.node == ANY_DIRECTOR:
                anywhere.append(probe)
            else:
                by_node.setdefault(probe.node, []).append(probe)
        results: dict[str, ProbeResult] = {}
        lock = threading.Lock()

        def record(probe: Probe, result: ProbeResult) -> None:
            with lock:
                results[probe.id] = result
            if self.on_probe is not None:
                try:
                    self.on_probe(probe, result)
                except Exception:  # noqa: BLE001 - a display problem must not stop the check
                    pass

        def node_worker(node: str, probes: list[Probe]) -> None:
            for probe in probes:
                if self.cancel.is_set():
                    record(probe, ProbeResult(None, node=node, error="cancelled"))
                    continue
                record(probe, self._run_one(probe, node))

        def anywhere_worker() -> None:
            for probe in anywhere:
                record(probe, self._run_anywhere(probe))

        # PROBES_AT_ONCE workers per node, each with its share of the node's probes; the connection's channel
        # gate (wizard/run/ssh.py) keeps them within what the node's sshd allows. Directors first in the pool:
        # the servers' connections jump through them.
        shares = [(n, ps[i::PROBES_AT_ONCE]) for n, ps in by_node.items() for i in range(PROBES_AT_ONCE)
                  if ps[i::PROBES_AT_ONCE]]
        with ThreadPoolExecutor(max_workers=len(shares) + 1, thread_name_prefix="check") as pool:
            futures = [pool.submit(node_worker, n, ps) for n, ps in shares]
            futures.append(pool.submit(anywhere_worker))
            for f in futures:
                f.result()
        return results


def check_cluster(answers: Answers, profile: Profile | None = None, *, sections_wanted: Sequence[str] = (),
                  **runner_options: Any) -> Report:
    """Run every probe and grade (blocking; the app calls it from a worker thread)."""
    profile = profile or get_profile(answers.profile)
    plan = build(answers, profile)
    if sections_wanted:
        plan = _only(plan, sections_wanted)
    runner = ProbeRunner(answers, **runner_options)
    try:
        results = runner.run(plan)
    finally:
        runner.close()
    fixes = FixBook(answers, fix_profile(profile, results, answers.master.name))
    return Report(answers, profile, grade(plan, results, fixes), versions_found(results))


def _only(plan: CheckPlan, wanted: Sequence[str]) -> CheckPlan:
    checks = [c for c in plan.checks if c.section in wanted or c.section == "reach"]
    needed = {p for c in checks for p in c.probes} | {VERSIONS_PROBE}
    return CheckPlan([p for p in plan.probes if p.id in needed], checks)


# -- rendering ------------------------------------------------------------------------------------------

def fix_text(fix: Any, lang: str, full: bool = False) -> str:
    lines = fix.command.splitlines() or [""]
    where = t("check.fix_local", lang) if fix.node == "local" else t("check.fix_on", lang, node=fix.node)
    shown = lines if full or len(lines) <= FIX_LINES_SHOWN else lines[:1]
    text = f"{where} $ " + "\n    ".join(shown)
    if len(shown) < len(lines):
        section = fix.action_id.split(".", 1)[0] if fix.action_id else ""
        text += "\n    " + t("check.more_lines", lang, n=len(lines) - len(shown), section=section,
                              action=fix.action_id or "?")
    if fix.note is not None:
        text += f"\n    ({fix.note.get(lang)})"
    return text


def render_tables(report: Report, lang: str) -> list[Any]:
    """One rich Table per section (the CLI prints them; the app shows the same renderables)."""
    from rich.table import Table
    from rich.text import Text as RichText

    marks = {"pass": ("check.pass", "green"), "fail": ("check.fail", "bold red"),
             "not_checked": ("check.not_checked", "yellow")}
    by_section: dict[str, list[Outcome]] = {}
    for o in report.outcomes:
        by_section.setdefault(o.check.section, []).append(o)
    tables = []
    for n, (sid, title) in enumerate((s for s in sections() if s[0] in by_section), 1):
        table = Table(title=RichText(f"{n}. {title.get(lang)}", style="bold"), title_justify="left", expand=True)
        table.add_column(t("check.col.check", lang), ratio=3)
        table.add_column(t("check.col.result", lang), no_wrap=True)
        table.add_column(t("check.col.details", lang), ratio=5)
        for o in by_section[sid]:
            key, style = marks[o.verdict.status]
            found = o.verdict.found.get(lang)
            if o.verdict.status == "fail":
                details = RichText()
                details.append(t("check.expected", lang) + " ", style="bold")
                details.append(o.check.expected.get(lang) + "\n")
                details.append(t("check.found", lang) + " ", style="bold")
                details.append(found)
                for fix in o.verdict.fixes:
                    details.append("\n" + t("check.fix", lang) + " ", style="bold")
                    details.append(fix_text(fix, lang), style="cyan")
            else:
                details = RichText(found, style="dim" if o.verdict.status == "pass" else "yellow")
            # Text objects, never markup strings: commands and agent names (ocf:heartbeat:IPaddr2) print verbatim.
            table.add_row(RichText(o.check.title.get(lang)), RichText(t(key, lang), style=style), details)
        tables.append(table)
    return tables


def summary_text(report: Report, lang: str) -> str:
    c = report.counts
    return t("check.summary", lang, passed=c["pass"], failed=c["fail"], unchecked=c["not_checked"],
             total=len(report.outcomes))


def to_json(report: Report, lang: str) -> dict[str, Any]:
    titles = dict(sections())
    out_sections: list[dict[str, Any]] = []
    index: dict[str, dict[str, Any]] = {}
    for o in report.outcomes:
        sid = o.check.section
        if sid not in index:
            index[sid] = {"id": sid, "title": titles[sid].get(lang), "checks": []}
            out_sections.append(index[sid])
        index[sid]["checks"].append({
            "id": o.check.id, "title": o.check.title.get(lang), "node": o.check.node,
            "status": o.verdict.status, "expected": o.check.expected.get(lang), "found": o.verdict.found.get(lang),
            "fixes": [{"node": f.node, "command": f.command, "action_id": f.action_id,
                       "note": f.note.get(lang) if f.note else ""} for f in o.verdict.fixes],
        })
    order = [s for s, _ in sections()]
    out_sections.sort(key=lambda s: order.index(s["id"]))
    return {"profile": report.profile.name, "cluster_name": report.answers.cluster_name,
            "versions": report.versions, "summary": report.counts, "passed": report.exit_code == EXIT_OK,
            "sections": out_sections}




