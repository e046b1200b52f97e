"""The `sh` export: a bash script that sets the cluster up again along the session's effective path.

Not a replay of history (that is `--history`, wizard/exports/transcript.py): each action appears once, as it
last succeeded (edited commands as edited), in plan order; what the session undid (back to the
snapshot) and never did again is left out. Each action keeps the guard that made the wizard safe to
re-run: a probe becomes `if PROBE; then skip; else COMMAND; fi`; a wait becomes a bounded retry loop;
a network change is started detached and waited for at the node's new address, as the wizard did.
SSH runs with the session's own options (identity, known_hosts, host key policy, jump through a
director, port forwards), so the script reaches the nodes the way the session did.

Secrets are never in the script: read once at its top (`read -rs`, or HA_WIZARD_<NAME> from the
environment) and fed on stdin by printf (a shell builtin: never in a process's argv).
"""

from __future__ import annotations

import shlex
from typing import Any

from wizard.base.i18n import t
from wizard.exports.journal import comment, figures_table, section_title, stale_marks
from wizard.exports.shell import (
    detached,
    instructions_text,
    local_body,
    prelude,
    remote_line,
    tries,
    warn_flag,
    why_text,
)
from wizard.session.state import Session

DONE_STATUSES = ("ok", "edited")


# -- which runs make the effective path ----------------------------------------------------------
def effective_entries(session: Session) -> tuple[list[dict[str, Any]], list[str]]:
    """(the journal entry that counts for each action, in plan order; plan actions never done).

    The entry that counts is the action's last successful run after the last time the session undid it
    (back to the snapshot); without one, its last attempt (skipped, failed, interrupted), which the
    script shows but does not run."""
    last_ok: dict[str, dict[str, Any]] = {}
    last_any: dict[str, dict[str, Any]] = {}
    for entry in sorted(session.journal, key=lambda e: e.get("seq", 0)):
        if entry.get("event") == "undo":
            for action_id in entry.get("actions", []):
                last_ok.pop(action_id, None)
                last_any.pop(action_id, None)
            continue
        if entry.get("event") or entry.get("section") == "undo":
            continue  # going back is not part of setting up
        action_id = entry["action_id"]
        last_any[action_id] = entry
        if entry["status"] in DONE_STATUSES:
            last_ok[action_id] = entry
        elif entry["status"] == "skipped":
            last_ok.pop(action_id, None)  # skipped after it ran: the student's setup goes without it
    chosen = {a: last_ok.get(a) or e for a, e in last_any.items()}
    order = {p["id"]: i for i, p in enumerate(session.plan)}
    entries = sorted(chosen.values(), key=lambda e: (order.get(e["action_id"], len(order)), e.get("seq", 0)))
    never = [p["id"] for p in session.plan if p["id"] not in chosen]
    return entries, never


def _node_step(entry: dict[str, Any], node: str, lang: str) -> list[str]:
    """One node's part of a remote action: guarded by its probe, retried if it waits, detached if it
    changes the network."""
    ep = entry["endpoints"][node]
    aid = shlex.quote(f"{entry['action_id']}@{node}")
    command = entry["command"]
    out: list[str] = []
    kind = entry.get("kind")
    if entry.get("disrupts_network"):
        body = detached(entry, node, ep, lang)
    elif kind in ("wait", "manual"):
        timeout, every = tries(entry)
        body = [f"step() {{ {remote_line(entry, node, command)}; }}",
                f"retry {aid} {timeout} {every} {shlex.quote(entry.get('expect', ''))}"]
    elif kind == "check":
        body = [f"step() {{ {remote_line(entry, node, command)}; }}",
                f"check {aid} {shlex.quote(entry.get('expect', ''))}{warn_flag(entry)}"]
    else:
        body = [f"{remote_line(entry, node, command)} || failed {aid}"]
    probe = entry.get("probe")
    if probe:
        out.append(f"if {remote_line(entry, node, probe, stdin=False)}; then skip {aid}; else")
        out += ["  " + line for line in body]
        out.append("fi")
    else:
        out += body
    return out


def _entry(entry: dict[str, Any], lang: str, stale: list[str] | None = None) -> list[str]:
    """One action of the script; `stale`: the fields whose change since it ran makes it out of date."""
    status = entry["status"]
    aid = entry["action_id"]
    lines = ["", f"# --- {aid}" + (f" @{', '.join(entry['nodes'])}" if entry.get("nodes") else "")]
    lines += comment([why_text(entry, lang)]) if why_text(entry, lang) else []
    if stale:  # it replays what ran, with the old value: say so where a reader sees it
        lines.append("# ⟳ " + t("tr.sh.stale", lang, fields=", ".join(stale)))
    if entry.get("erratum"):
        lines += comment([t("tr.sh.erratum", lang, text=entry["erratum"])])
    if status == "edited" or entry.get("edited"):
        lines.append("# " + t("tr.sh.edited", lang))
        lines += comment(entry.get("original", "").splitlines(), "#   ")
    if status not in DONE_STATUSES:
        reason = {"skipped": "tr.sh.was_skipped", "failed": "tr.sh.was_failed"}.get(status, "tr.sh.was_cut")
        lines.append("# " + t(reason, lang))
        if entry.get("error"):
            from wizard.base.i18n import pick
            lines += comment([pick(entry["error"], entry.get("error_es", ""), lang)], "#   ")
        if entry.get("command"):
            lines += comment(entry["command"].splitlines(), "#   ")
        return lines
    if entry.get("kind") == "manual":
        text = instructions_text(entry, lang)
        if text:
            lines += [f"echo {shlex.quote(t('tr.sh.by_hand', lang) + ': ' + line)}" for line in text.splitlines()]
        if not entry.get("command"):
            return lines
    if not entry.get("command"):
        return lines
    lines.append(f"begin {shlex.quote(aid)}")
    if entry.get("target") == "local":
        lines += _local(entry)
    else:
        for node in entry["nodes"]:
            if node in entry.get("endpoints", {}):
                lines += _node_step(entry, node, lang)
    return lines


def _local(entry: dict[str, Any]) -> list[str]:
    aid = shlex.quote(entry["action_id"])
    kind = entry.get("kind")
    body_lines = local_body(entry, entry["command"])
    if kind in ("wait", "manual", "check"):
        body = ["step() {", *("  " + x for x in body_lines), "}"]
        if kind == "check":
            body.append(f"check {aid} {shlex.quote(entry.get('expect', ''))}{warn_flag(entry)}")
        else:
            timeout, every = tries(entry)
            body.append(f"retry {aid} {timeout} {every} {shlex.quote(entry.get('expect', ''))}")
    else:
        body = body_lines[:-1] + [body_lines[-1] + f" || failed {aid}"]
    probe = entry.get("probe")
    if not probe:
        return body
    probe_lines = probe.splitlines()
    if len(probe_lines) == 1:
        head = [f"if {{ {probe_lines[0]}; }} </dev/null; then skip {aid}; else"]
    else:
        head = ["if {", *("  " + x for x in probe_lines), "} </dev/null; then skip " + aid + "; else"]
    return head + ["  " + x for x in body] + ["fi"]


def render_setup_script(session: Session) -> str:
    lang = session.lang
    entries, never = effective_entries(session)
    marks = stale_marks(session)
    done = [e for e in entries if e["status"] in DONE_STATUSES]
    secrets: list[str] = []
    for e in done:
        secrets += [n for n in e.get("secrets", []) if n not in secrets]
    sudo_password = any(ep.get("sudo") == "password" for e in done for ep in e.get("endpoints", {}).values())
    out = prelude(session, lang, secrets, sudo_password)
    section = None
    for entry in entries:
        if entry["section"] != section:
            section = entry["section"]
            title = section_title(entry, lang)
            out += ["", "#" * 78, f"# {title} [{section}]", "#" * 78]
        out += _entry(entry, lang, marks.get(entry["action_id"]))
    if never:
        out += ["", "# " + t("tr.sh.never", lang)] + comment(never, "#   ")
    out += ["", f"echo {shlex.quote(t('tr.sh.end', lang))}"]
    table = figures_table(session)
    if table:
        out += ["", "#" * 78, "# " + t("tr.sh.figures", lang)] + comment(table) + ["#" * 78]
    return "\n".join(out) + "\n"


