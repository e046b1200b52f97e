"""Transcript export of a session: a bash script replaying what ran, or a Markdown report.

Made from the session's journal (what actually ran, in order), not from the plan. Secrets are
never in the session, so they cannot leak here: the script reads them at its top (`read -rs`)
and feeds them on stdin with printf, as the wizard did.
"""

from __future__ import annotations

import re
import shlex
import string
from collections.abc import Iterable
from typing import Any

from wizard.state import Session, now_iso

EXCERPT_LINES = 6


def _var(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def _comment(lines: Iterable[str], prefix: str = "# ") -> list[str]:
    return [(prefix + line).rstrip() for text in lines for line in (text.splitlines() or [""])]


def printf_for(template: str, sudo_password: bool = False) -> str:
    """A stdin template ("hacluster:{hacluster_password}\\n") -> `printf FORMAT "$VAR"...`."""
    fmt, args = ["%s\\n"] if sudo_password else [], ['"$SSH_PASSWORD"'] if sudo_password else []
    for literal, field, _spec, _conv in string.Formatter().parse(template):
        fmt.append(literal.replace("\\", "\\\\").replace("%", "%%").replace("\n", "\\n").replace("\t", "\\t"))
        if field is not None:
            fmt.append("%s")
            args.append(f'"${_var(field)}"')
    return "printf " + shlex.quote("".join(fmt)) + ("" if not args else " " + " ".join(args))


def ssh_prefix(ep: dict[str, Any], with_stdin: bool, options: tuple[str, ...] = ()) -> str:
    parts = ["ssh", "-T", *options]
    if not with_stdin:
        parts.append("-n")  # the wizard closes stdin of commands without secrets: same here
    if ep.get("jump"):
        parts += ["-J", shlex.quote(ep["jump"])]
    if int(ep.get("port", 22)) != 22:
        parts += ["-p", str(ep["port"])]
    parts.append(shlex.quote(f"{ep.get('user', 'root')}@{ep['address']}"))
    return " ".join(parts)


def remote_line(entry: dict[str, Any], node: str) -> str:
    """The shell line that runs this entry's command on `node` as the wizard did."""
    ep = entry["endpoints"][node]
    sent = ep.get("sent") or entry["command"]
    sudo = ep.get("sudo", "")
    if sudo == "nopasswd":
        sent = f"sudo -n bash -c {shlex.quote(sent)}"
    elif sudo == "password":
        sent = f"sudo -S -k -p '' bash -c {shlex.quote(sent)}"
    has_stdin = bool(entry.get("stdin")) or sudo == "password"
    line = f"{ssh_prefix(ep, has_stdin)} {shlex.quote(sent)}"
    if has_stdin:
        line = f"{printf_for(entry.get('stdin', ''), sudo == 'password')} | {line}"
    return line


def _wait_for_change(entry: dict[str, Any], node: str) -> list[str]:
    """After a detached network change: wait, as the wizard did, until the node answers (at its new
    address) and the change wrote its exit status. Bounded: 60 tries, 2 s apart."""
    ep = entry["endpoints"][node]
    match = re.search(r"/tmp/ha-wizard-[A-Za-z0-9_.-]+\.rc", ep.get("sent", ""))
    if not entry.get("disrupts_network") or not match:
        return []
    after = dict(ep, address=ep.get("reconnect") or ep["address"], sudo="")
    check = f"{ssh_prefix(after, False, ('-o', 'ConnectTimeout=5'))} {shlex.quote('test -e ' + match.group(0))}"
    return [f"for _try in $(seq 60); do {check} 2>/dev/null && break; sleep 2; done"]


def _local_block(entry: dict[str, Any]) -> list[str]:
    cmd = entry["command"]
    lines = ["("] + cmd.splitlines() + [")"]
    if entry.get("stdin"):
        lines = [f"{printf_for(entry['stdin'])} | ("] + cmd.splitlines() + [")"]
    return lines


def _on_failure(entry: dict[str, Any], node: str) -> str:
    label = shlex.quote(f"{entry['action_id']} on {node}")
    if entry["status"] == "failed":
        return f"|| echo {shlex.quote('ha-wizard: failed in the session too: ' + entry['action_id'])} >&2"
    return f"|| step_failed {label}"


def _needs_sudo_password(journal: list[dict[str, Any]]) -> bool:
    return any(ep.get("sudo") == "password" for e in journal for ep in e.get("endpoints", {}).values())


def render_sh(session: Session) -> str:
    journal = sorted(session.journal, key=lambda e: e.get("seq", 0))
    secret_names: list[str] = []
    for entry in journal:
        if entry["status"] in ("skipped",) or entry.get("note") == "already done":
            continue
        secret_names += [n for n in entry.get("secrets", []) if n not in secret_names]
    out = [
        "#!/usr/bin/env bash",
        f"# ha-wizard session {session.name} — profile {session.profile} — exported {now_iso()}",
        "# Replays, in order, exactly what the wizard ran. Review it before running it.",
        "# Secrets are not in this file: they are read below and fed on stdin, never in argv.",
        "set -u",
        "step_failed() { echo \"ha-wizard replay: step $1 failed\" >&2; exit 1; }",
    ]
    if _needs_sudo_password(journal):
        out.append("read -rs -p 'SSH/sudo password: ' SSH_PASSWORD; echo >&2")
    for name in secret_names:
        out.append(f"read -rs -p {shlex.quote(name + ': ')} {_var(name)}; echo >&2")
    current = None
    for entry in journal:
        if entry["section"] != current:
            current = entry["section"]
            title = entry.get("section_title") or current
            out += ["", "#" * 78, f"# {title} [{current}]", "#" * 78]
        out += [""] + _entry_sh(entry)
    table = figures_table(session)
    if table:
        out += ["", "#" * 78] + _comment(table) + ["#" * 78]
    return "\n".join(out) + "\n"


def _entry_sh(entry: dict[str, Any]) -> list[str]:
    status = entry["status"]
    nodes = entry["nodes"]
    codes = entry.get("exit_codes", {})
    head = f"# --- {entry['action_id']} [{status}] @{', '.join(nodes)}"
    if codes:
        head += " — exit " + ", ".join(f"{n}={c}" for n, c in codes.items())
    lines = [head]
    if entry.get("why"):
        lines += _comment([entry["why"]])
    if entry.get("note"):
        lines.append(f"# note: {entry['note']}")
    if entry.get("error"):
        lines += _comment([f"error: {entry['error']}"])
    if entry.get("on_fail"):
        lines += _comment([f"what to check: {entry['on_fail']}"])
    for fig in entry.get("figures", []):
        lines.append(f"# figure: {_figure_text(fig)}")
    if entry.get("edited"):
        lines.append("# EDITED by the user; the wizard had proposed:")
        lines += _comment(entry.get("original", "").splitlines(), "#   ")
    if entry.get("disrupts_network"):
        lines.append("# changes the network: started detached, the wizard then reconnected"
                     + (f" at {entry['reconnect_to']}" if entry.get("reconnect_to") else ""))
    if entry.get("kind") == "manual":
        lines += _comment(entry.get("instructions", "").splitlines(), "# by hand: ")
    if entry.get("excerpt"):
        lines.append("# output (last lines):")
        lines += _comment(entry["excerpt"][-EXCERPT_LINES:], "#   ")
    body: list[str] = []
    skipped = status == "skipped"
    if entry["target"] == "local":
        if entry["command"]:
            block = _local_block(entry)
            block[-1] += " " + _on_failure(entry, "local")
            body = block
    else:
        for node in nodes:
            ep = entry["endpoints"].get(node)
            if ep is None or not entry["command"]:
                continue
            if not skipped and not ep.get("ran", True) and entry.get("note") != "already done":
                lines.append(f"# {node}: not run ({entry.get('note') or entry.get('error') or 'nothing to do'})")
                lines += _comment([remote_line(entry, node)])
                continue
            body.append(f"{remote_line(entry, node)} {_on_failure(entry, node)}")
            body += _wait_for_change(entry, node)
    if status == "interrupted":
        lines.append("# INTERRUPTED: the wizard stopped while this ran (it ran at least in part)")
        lines += body
    elif status == "running":
        lines.append("# RUNNING when exported (or the wizard died in it)")
        lines += body
    elif skipped:
        lines.append("# SKIPPED by the user — not run:")
        lines += _comment(body)
    elif entry.get("note") == "already done":
        lines.append("# already done (its probe said so) — not run:")
        lines += _comment(body)
    else:
        lines += body
    return lines


def _figure_text(fig: dict[str, Any]) -> str:
    labels = " ".join(f"{k}={v}" for k, v in sorted(fig.get("labels", {}).items()))
    unit = f" {fig['unit']}" if fig.get("unit") else ""
    return f"{fig['name']} = {fig['value']:g}{unit}" + (f" ({labels})" if labels else "")


# -- Markdown ---------------------------------------------------------------------------------------
def _fence(text: str, lang: str = "") -> list[str]:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return [f"{ticks}{lang}", *text.splitlines(), ticks]


def render_md(session: Session) -> str:
    journal = sorted(session.journal, key=lambda e: e.get("seq", 0))
    summary = session.summary()
    out = [f"# ha-wizard session `{session.name}`", "",
           f"- profile: {session.profile}", f"- created: {session.created}", f"- updated: {session.updated}",
           f"- progress: {summary.progress} actions done ({summary.status})", ""]
    if session.trusted:
        out += ["## Host keys trusted", ""]
        for node, entries in session.trusted.items():
            for e in entries:
                out.append(f"- {node} ({e['address']}): {e['key_type']} `{e['fingerprint']}` — {e['how']}")
        out.append("")
    current = None
    for entry in journal:
        if entry["section"] != current:
            current = entry["section"]
            out += [f"## {entry.get('section_title') or current} `[{current}]`", ""]
        codes = entry.get("exit_codes", {})
        out.append(f"### `{entry['action_id']}` — {entry['status']}")
        out.append("")
        out.append(f"- where: {', '.join(entry['nodes'])}")
        if entry.get("why"):
            out.append(f"- why: {entry['why']}")
        if codes:
            out.append("- exit status: " + ", ".join(f"{n} {c}" for n, c in codes.items()))
        if entry.get("note"):
            out.append(f"- note: {entry['note']}")
        if entry.get("error"):
            out.append(f"- error: {entry['error']}")
        if entry.get("on_fail"):
            out.append(f"- what to check: {entry['on_fail']}")
        for fig in entry.get("figures", []):
            out.append(f"- figure: {_figure_text(fig)}")
        if entry.get("secrets"):
            out.append(f"- stdin: {', '.join(entry['secrets'])} (secret, not shown)")
        out.append(f"- started {entry.get('started', '')}, ended {entry.get('ended', '')}")
        out.append("")
        if entry.get("edited"):
            out += ["Edited by the user; proposed:", ""] + _fence(entry.get("original", ""), "bash") + [""]
        if entry["command"]:
            out += _fence(entry["command"], "bash") + [""]
        if entry.get("excerpt"):
            out += ["Output (last lines):", ""] + _fence("\n".join(entry["excerpt"])) + [""]
    out += figures_table(session)
    return "\n".join(out) + "\n"


def figures_table(session: Session) -> list[str]:
    """The session's measured figures as Markdown tables: the tests' figures, then the benchmarks."""
    from wizard.figures import Figure, bench_table

    journal = sorted(session.journal, key=lambda e: e.get("seq", 0))
    found = [(e["action_id"], Figure.from_dict(f)) for e in journal for f in e.get("figures", [])]
    if not found:
        return []
    out = ["## Measured figures", "", "| test | figure | value |", "|---|---|---|"]
    for action_id, fig in found:
        if fig.name.startswith(("ab_", "siege_")):
            continue
        labels = " ".join(f"{k}={v}" for k, v in sorted(fig.labels.items()) if k != "node")
        out.append(f"| `{action_id}` | {fig.name}{f' ({labels})' if labels else ''} | "
                   f"{fig.value:g}{(' ' + fig.unit) if fig.unit else ''} |")
    rows = bench_table(f for _, f in found)
    if rows:
        out += ["", "| tool | page | real servers | requests/s | mean ms per request | failed |",
                "|---|---|---|---|---|---|"]
        for r in rows:
            out.append(f"| {r['tool']} | {r['page']} | {r['servers']} | {r.get('rps', '')} | {r.get('mean_ms', '')} "
                       f"| {r.get('failed', '')} |")
    return out + [""]


def render(session: Session, fmt: str = "sh") -> str:
    if fmt == "sh":
        return render_sh(session)
    if fmt == "md":
        return render_md(session)
    raise ValueError(f"--format {fmt!r}: choose sh or md")
