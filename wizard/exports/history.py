"""`export --format sh --history`: every attempt of the session, in order, as a shell script (failures and
what was cut short shown as they happened)."""

from __future__ import annotations

import shlex
from typing import Any

from wizard.base.i18n import t
from wizard.exports.journal import (
    EXCERPT_LINES,
    comment,
    excerpt,
    figure_text,
    figures_table,
    journal,
    said,
    section_title,
    status_word,
)
from wizard.exports.shell import detached, local_body, prelude, remote_line, why_text
from wizard.session.state import Session


# -- sh --history: every attempt, in order -------------------------------------------------------------
def render_history(session: Session) -> str:
    lang = session.lang
    entries = [e for e in journal(session) if not e.get("event")]
    secrets: list[str] = []
    for entry in entries:
        if entry["status"] == "skipped" or entry.get("note") == "already done":
            continue
        secrets += [n for n in entry.get("secrets", []) if n not in secrets]
    sudo_pw = any(ep.get("sudo") == "password" for e in entries for ep in e.get("endpoints", {}).values())
    out = prelude(session, lang, secrets, sudo_pw)
    out[2:2] = comment([t("tr.hist.about", lang)])
    current = None
    for entry in journal(session):
        if entry.get("event") == "undo":
            out += ["", "#" * 78, "# " + t("tr.md.undo", lang, snapshot=entry.get("snapshot", "")),
                    "# " + ", ".join(entry.get("sections", [])), "#" * 78]
            current = None
            continue
        if entry.get("event"):  # a change of values: nothing ran (the md record tells it)
            continue
        if entry["section"] != current:
            current = entry["section"]
            out += ["", "#" * 78, f"# {section_title(entry, lang)} [{current}]", "#" * 78]
        out += [""] + _history_entry(entry, lang)
    table = figures_table(session)
    if table:
        out += ["", "#" * 78] + comment(table) + ["#" * 78]
    return "\n".join(out) + "\n"


def _history_entry(entry: dict[str, Any], lang: str) -> list[str]:
    status = entry["status"]
    codes = entry.get("exit_codes", {})
    head = f"# --- {entry['action_id']} [{status_word(entry, lang)}] @{', '.join(entry['nodes'])}"
    if codes:
        head += " — exit " + ", ".join(f"{n}={c}" for n, c in codes.items())
    lines = [head] + (comment([why_text(entry, lang)]) if why_text(entry, lang) else [])
    if entry.get("error"):
        lines += comment([f"{t('tr.md.error', lang)}: {said(entry, 'error', lang)}"])
    if entry.get("on_fail"):
        lines += comment([f"{t('tr.md.on_fail', lang)}: {said(entry, 'on_fail', lang)}"])
    for fig in entry.get("figures", []):
        lines.append(f"# {t('tr.md.figure', lang)}: {figure_text(fig)}")
    if entry.get("edited"):
        lines.append("# " + t("tr.sh.edited", lang))
        lines += comment(entry.get("original", "").splitlines(), "#   ")
    if excerpt(entry, lang):
        lines.append(f"# {t('tr.md.output', lang)}")
        lines += comment(excerpt(entry, lang)[-EXCERPT_LINES:], "#   ")
    aid = shlex.quote(entry["action_id"])
    # A failure the session saw too is reported and the replay goes on, as the session went on.
    on_fail = (f"|| echo {shlex.quote(t('tr.hist.failed_too', lang, id=entry['action_id']))} >&2"
               if status == "failed" else f"|| failed {aid}")
    body: list[str] = []
    if entry["command"]:
        if entry["target"] == "local":
            block = local_body(entry, entry["command"])
            body = block[:-1] + [f"{block[-1]} {on_fail}"]
        else:
            for node in entry["nodes"]:
                ep = entry["endpoints"].get(node)
                if ep is None:
                    continue
                if not ep.get("ran", True) and status != "skipped" and entry.get("note") != "already done":
                    why_not = said(entry, "note", lang) or said(entry, "error", lang)
                    lines.append(f"# {node}: {t('tr.hist.not_run', lang)} ({why_not})")
                    lines += comment([remote_line(entry, node)])
                    continue
                if entry.get("disrupts_network"):
                    body += detached(entry, node, ep, lang, on_fail.removeprefix("|| "))
                else:
                    body.append(f"{remote_line(entry, node)} {on_fail}")
    if status in ("interrupted", "running"):
        lines.append("# " + t("tr.hist.interrupted", lang))
        lines += body
    elif status == "skipped":
        lines.append("# " + t("tr.sh.was_skipped", lang))
        lines += comment(body)
    elif entry.get("note") == "already done":
        lines.append("# " + t("tr.hist.already", lang))
        lines += comment(body)
    else:
        lines += body
    return lines


