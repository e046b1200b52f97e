"""Exports of a session, made from its journal (what actually ran, in order), not from the plan.

- `md`: the faithful record: every attempt (edits, skips, failures, interrupted runs, going back to
  the snapshot), the host keys trusted, the figures, with counts that add up.
- `sh`: a setup script along the session's effective path (wizard/exports/setup_script.py).
- `sh` with `history=True`: every attempt replayed in order, as it happened (failed ones included,
  their failure ignored): the session's history as a script.

Texts are in the session's language. Secrets are never in a session, so they cannot leak here: the
scripts read them at their top and feed them on stdin with printf, as the wizard does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wizard.base.i18n import plural, t
from wizard.exports.history import render_history
from wizard.exports.journal import (
    excerpt,
    figure_text,
    figures_table,
    journal,
    said,
    section_title,
    stale_marks,
    status_word,
)
from wizard.exports.setup_script import render_setup_script
from wizard.exports.shell import instructions_text, why_text
from wizard.session.state import DONE, Session

__all__ = ["render", "render_md", "render_history", "figures_table", "counts"]

FORMATS = ("sh", "md")


# -- counts ------------------------------------------------------------------------------------------
def counts(session: Session) -> dict[str, int]:
    """What became of the plan's actions, and of the attempts: every figure the md report states.

    done = ran + already + edited; done + skipped + failed + pending = total."""
    ids = [p["id"] for p in session.plan] or list(session.records)
    c = dict.fromkeys(("total", "done", "ran", "already", "edited", "skipped", "failed", "pending"), 0)
    c["total"] = len(ids)
    for action_id in ids:
        rec = session.records.get(action_id)
        status = rec.status if rec else "pending"
        if status == "ok" and rec is not None and rec.note == "already done":
            c["already"] += 1
        elif status == "ok":
            c["ran"] += 1
        elif status in ("edited", "skipped", "failed"):
            c[status] += 1
        else:  # pending, stopped by the user, or running = the wizard died in it: not done either way
            c["pending"] += 1
        if status in DONE and status != "skipped":
            c["done"] += 1
    entries = [e for e in journal(session) if not e.get("event")]
    c["attempts"] = len(entries)
    c["attempts_failed"] = sum(e["status"] == "failed" for e in entries)
    c["interrupted"] = sum(e["status"] in ("interrupted", "running", "stopped") for e in entries)
    c["undos"] = sum(e.get("event") == "undo" for e in journal(session))
    return c


# -- Markdown: the record ------------------------------------------------------------------------------
def _fence(text: str, lang: str = "") -> list[str]:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return [f"{ticks}{lang}", *text.splitlines(), ticks]


def render_md(session: Session) -> str:
    lang = session.lang
    c = counts(session)
    out = [f"# {t('tr.md.title', lang, name=session.name)}", "",
           f"- {t('tr.md.profile', lang)}: {session.profile}",
           f"- {t('tr.md.created', lang)}: {session.created}", f"- {t('tr.md.updated', lang)}: {session.updated}",
           f"- {t('tr.md.actions', lang, **c)}",
           f"- {t('tr.md.attempts', lang, **c)}"]
    if c["undos"]:
        out.append(f"- {t(plural('tr.md.undos', c['undos']), lang, **c)}")
    out.append("")
    if session.trusted:
        out += [f"## {t('tr.md.keys', lang)}", ""]
        for node, entries in session.trusted.items():
            for e in entries:
                out.append(f"- {node} ({e['address']}): {e['key_type']} `{e['fingerprint']}` — {e['how']}")
        out.append("")
    current = None
    for entry in journal(session):
        if entry.get("event") == "undo":
            out += _md_undo(entry, lang)
            current = None
            continue
        if entry.get("event") == "values":
            out += _md_values(session, entry, lang)
            current = None
            continue
        if entry.get("event"):
            continue
        if entry["section"] != current:
            current = entry["section"]
            out += [f"## {section_title(entry, lang)} `[{current}]`", ""]
        out += _md_entry(entry, lang)
    pending = [p["id"] for p in session.plan if session.status(p["id"]) in ("pending", "running")]
    if pending:
        out += [f"## {t('tr.md.pending', lang)}", ""] + [f"- `{p}`" for p in pending] + [""]
    stale = stale_marks(session)
    if stale:
        out += [f"## ⟳ {t('tr.md.stale_now', lang)}", ""]
        out += [f"- `{action_id}`: {', '.join(fields)}" for action_id, fields in stale.items()] + [""]
    out += figures_table(session)
    return "\n".join(out) + "\n"


def _md_values(session: Session, entry: dict[str, Any], lang: str) -> list[str]:
    """Values changed in the app after actions ran: what changed, and which actions it made out of date or up to
    date again (a value put back)."""
    from wizard.base.validation import field_label

    out = [f"## {t('tr.md.values', lang)}", "", f"- {t('tr.md.when', lang)}: {entry.get('when', '')}"]
    for path, (old, new) in (entry.get("changed") or {}).items():
        out.append("- " + t("tr.md.value_change", lang, field=field_label(session.answers, path).get(lang),
                            old=f"`{old}`", new=f"`{new}`"))
    for key, ids in (("tr.md.made_stale", entry.get("out_of_date")), ("tr.md.made_current", entry.get("up_to_date"))):
        if ids:
            out.append("- " + t(key, lang, actions=", ".join(f"`{a}`" for a in ids)))
    return out + [""]


def _md_undo(entry: dict[str, Any], lang: str) -> list[str]:
    out = [f"## {t('tr.md.undo', lang, snapshot=entry.get('snapshot', ''))}", "",
           f"- {t('tr.md.when', lang)}: {entry.get('ended') or entry.get('started', '')}",
           f"- {t('tr.md.undone_sections', lang)}: " + ", ".join(f"`{s}`" for s in entry.get("sections", [])),
           f"- {t('tr.md.undone_actions', lang, n=len(entry.get('actions', [])))}", ""]
    return out


def _md_entry(entry: dict[str, Any], lang: str) -> list[str]:
    out = [f"### `{entry['action_id']}` — {status_word(entry, lang)}", ""]
    out.append(f"- {t('tr.md.where', lang)}: {', '.join(entry['nodes'])}")
    if why_text(entry, lang):
        out.append(f"- {t('tr.md.why', lang)}: {why_text(entry, lang)}")
    codes = entry.get("exit_codes", {})
    if codes:
        out.append(f"- {t('tr.md.exit', lang)}: " + ", ".join(f"{n} {c}" for n, c in codes.items()))
    if entry.get("note"):
        out.append(f"- {t('tr.md.note', lang)}: {said(entry, 'note', lang)}")
    if entry.get("error"):
        out.append(f"- {t('tr.md.error', lang)}: {said(entry, 'error', lang)}")
    if entry.get("on_fail"):
        out.append(f"- {t('tr.md.on_fail', lang)}: {said(entry, 'on_fail', lang)}")
    for fig in entry.get("figures", []):
        out.append(f"- {t('tr.md.figure', lang)}: {figure_text(fig)}")
    if entry.get("secrets"):
        out.append(f"- {t('tr.md.stdin', lang, names=', '.join(entry['secrets']))}")
    if entry.get("kind") == "manual" and instructions_text(entry, lang):
        out.append(f"- {t('tr.md.by_hand', lang)}: {instructions_text(entry, lang)}")
    out.append(f"- {t('tr.md.times', lang, started=entry.get('started', ''), ended=entry.get('ended', ''))}")
    out.append("")
    if entry.get("edited"):
        out += [t("tr.md.edited", lang), ""] + _fence(entry.get("original", ""), "bash") + [""]
    if entry.get("command"):
        out += _fence(entry["command"], "bash") + [""]
    if excerpt(entry, lang):
        out += [t("tr.md.output", lang), ""] + _fence("\n".join(excerpt(entry, lang))) + [""]
    return out


def render(session: Session, fmt: str = "sh", history: bool = False) -> str:
    if fmt == "sh":
        return render_history(session) if history else render_setup_script(session)
    if fmt == "md":
        return render_md(session)
    raise ValueError(t("tr.bad_format", session.lang, fmt=fmt))


def export_transcript(session: Any, fmt: str, path: str | Path) -> Path:
    """Write the session's transcript (`sh` or `md`, wizard.exports.transcript) to `path`; returns the path."""
    path = Path(path).expanduser()
    text = render(session, fmt)
    path.write_text(text, encoding="utf-8")
    if fmt == "sh":
        path.chmod(0o700)
    return path
