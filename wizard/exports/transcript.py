"""Exports of a session, made from its journal (what actually ran, in order), not from the plan.

- `md`: the faithful record: every attempt (edits, skips, failures, interrupted runs, going back to
  the snapshot), the host keys trusted, the figures, with counts that add up.
- `sh`: a setup script along the session's effective path (wizard/setup_script.py).
- `sh` with `history=True`: every attempt replayed in order, as it happened (failed ones included,
  their failure ignored): the session's history as a script.

Texts are in the session's language. Secrets are never in a session, so they cannot leak here: the
scripts read them at their top and feed them on stdin with printf, as the wizard does.
"""

from __future__ import annotations

import shlex
from typing import Any

from wizard.base.i18n import pick, t
from wizard.exports.setup_script import (
    _detached,
    _prelude,
    comment,
    printf_for,
    remote_line,
    render_setup_script,
    section_title,
)
from wizard.session.state import DONE, Session

__all__ = ["render", "render_md", "render_history", "figures_table", "printf_for", "remote_line", "counts"]

EXCERPT_LINES = 6
FORMATS = ("sh", "md")


def _journal(session: Session) -> list[dict[str, Any]]:
    return sorted(session.journal, key=lambda e: e.get("seq", 0))


def _status_word(entry: dict[str, Any], lang: str) -> str:
    if entry.get("note") == "already done" and entry["status"] == "ok":
        return t("tr.already_done", lang)
    return t(f"status.{entry['status']}", lang)


def _said(entry: dict[str, Any], key: str, lang: str) -> str:
    """A message the engine recorded in both languages (note, error, on_fail) in `lang`."""
    return pick(entry.get(key, ""), entry.get(f"{key}_es", ""), lang)


def _excerpt(entry: dict[str, Any], lang: str) -> list[str]:
    return (entry.get("excerpt_es") if lang == "es" else None) or entry.get("excerpt", [])


def _figure_text(fig: dict[str, Any]) -> str:
    labels = " ".join(f"{k}={v}" for k, v in sorted(fig.get("labels", {}).items()))
    unit = f" {fig['unit']}" if fig.get("unit") else ""
    return f"{fig['name']} = {fig['value']:g}{unit}" + (f" ({labels})" if labels else "")


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
    journal = [e for e in _journal(session) if not e.get("event")]
    c["attempts"] = len(journal)
    c["attempts_failed"] = sum(e["status"] == "failed" for e in journal)
    c["interrupted"] = sum(e["status"] in ("interrupted", "running", "stopped") for e in journal)
    c["undos"] = sum(e.get("event") == "undo" for e in _journal(session))
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
        out.append(f"- {t('tr.md.undos', lang, **c)}")
    out.append("")
    if session.trusted:
        out += [f"## {t('tr.md.keys', lang)}", ""]
        for node, entries in session.trusted.items():
            for e in entries:
                out.append(f"- {node} ({e['address']}): {e['key_type']} `{e['fingerprint']}` — {e['how']}")
        out.append("")
    current = None
    for entry in _journal(session):
        if entry.get("event") == "undo":
            out += _md_undo(entry, lang)
            current = None
            continue
        if entry["section"] != current:
            current = entry["section"]
            out += [f"## {section_title(entry, lang)} `[{current}]`", ""]
        out += _md_entry(entry, lang)
    pending = [p["id"] for p in session.plan if session.status(p["id"]) in ("pending", "running")]
    if pending:
        out += [f"## {t('tr.md.pending', lang)}", ""] + [f"- `{p}`" for p in pending] + [""]
    out += figures_table(session)
    return "\n".join(out) + "\n"


def _md_undo(entry: dict[str, Any], lang: str) -> list[str]:
    out = [f"## {t('tr.md.undo', lang, snapshot=entry.get('snapshot', ''))}", "",
           f"- {t('tr.md.when', lang)}: {entry.get('ended') or entry.get('started', '')}",
           f"- {t('tr.md.undone_sections', lang)}: " + ", ".join(f"`{s}`" for s in entry.get("sections", [])),
           f"- {t('tr.md.undone_actions', lang, n=len(entry.get('actions', [])))}", ""]
    return out


def _md_entry(entry: dict[str, Any], lang: str) -> list[str]:
    from wizard.exports.setup_script import _instructions, _why

    out = [f"### `{entry['action_id']}` — {_status_word(entry, lang)}", ""]
    out.append(f"- {t('tr.md.where', lang)}: {', '.join(entry['nodes'])}")
    if _why(entry, lang):
        out.append(f"- {t('tr.md.why', lang)}: {_why(entry, lang)}")
    codes = entry.get("exit_codes", {})
    if codes:
        out.append(f"- {t('tr.md.exit', lang)}: " + ", ".join(f"{n} {c}" for n, c in codes.items()))
    if entry.get("note"):
        out.append(f"- {t('tr.md.note', lang)}: {_said(entry, 'note', lang)}")
    if entry.get("error"):
        out.append(f"- {t('tr.md.error', lang)}: {_said(entry, 'error', lang)}")
    if entry.get("on_fail"):
        out.append(f"- {t('tr.md.on_fail', lang)}: {_said(entry, 'on_fail', lang)}")
    for fig in entry.get("figures", []):
        out.append(f"- {t('tr.md.figure', lang)}: {_figure_text(fig)}")
    if entry.get("secrets"):
        out.append(f"- {t('tr.md.stdin', lang, names=', '.join(entry['secrets']))}")
    if entry.get("kind") == "manual" and _instructions(entry, lang):
        out.append(f"- {t('tr.md.by_hand', lang)}: {_instructions(entry, lang)}")
    out.append(f"- {t('tr.md.times', lang, started=entry.get('started', ''), ended=entry.get('ended', ''))}")
    out.append("")
    if entry.get("edited"):
        out += [t("tr.md.edited", lang), ""] + _fence(entry.get("original", ""), "bash") + [""]
    if entry.get("command"):
        out += _fence(entry["command"], "bash") + [""]
    if _excerpt(entry, lang):
        out += [t("tr.md.output", lang), ""] + _fence("\n".join(_excerpt(entry, lang))) + [""]
    return out


def figures_table(session: Session) -> list[str]:
    """The session's measured figures as Markdown tables: the tests' figures, then the benchmarks."""
    from wizard.base.figures import Figure, bench_table

    lang = session.lang
    found = [(e["action_id"], Figure.from_dict(f)) for e in _journal(session) if not e.get("event")
             for f in e.get("figures", [])]
    if not found:
        return []
    out = [f"## {t('tr.fig.title', lang)}", "", t("tr.fig.head", lang), "|---|---|---|"]
    for action_id, fig in found:
        if fig.name.startswith(("ab_", "siege_")):
            continue
        labels = " ".join(f"{k}={v}" for k, v in sorted(fig.labels.items()) if k != "node")
        out.append(f"| `{action_id}` | {fig.name}{f' ({labels})' if labels else ''} | "
                   f"{fig.value:g}{(' ' + fig.unit) if fig.unit else ''} |")
    rows = bench_table(f for _, f in found)
    if rows:
        out += ["", t("tr.fig.bench_head", lang), "|---|---|---|---|---|---|"]
        for r in rows:
            out.append(f"| {r['tool']} | {r['page']} | {r['servers']} | {r.get('rps', '')} | {r.get('mean_ms', '')} "
                       f"| {r.get('failed', '')} |")
    return out + [""]


# -- sh --history: every attempt, in order -------------------------------------------------------------
def render_history(session: Session) -> str:
    lang = session.lang
    journal = [e for e in _journal(session) if not e.get("event")]
    secrets: list[str] = []
    for entry in journal:
        if entry["status"] == "skipped" or entry.get("note") == "already done":
            continue
        secrets += [n for n in entry.get("secrets", []) if n not in secrets]
    sudo_pw = any(ep.get("sudo") == "password" for e in journal for ep in e.get("endpoints", {}).values())
    out = _prelude(session, lang, secrets, sudo_pw)
    out[2:2] = comment([t("tr.hist.about", lang)])
    current = None
    for entry in _journal(session):
        if entry.get("event") == "undo":
            out += ["", "#" * 78, "# " + t("tr.md.undo", lang, snapshot=entry.get("snapshot", "")),
                    "# " + ", ".join(entry.get("sections", [])), "#" * 78]
            current = None
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
    from wizard.exports.setup_script import _local_body, _why

    status = entry["status"]
    codes = entry.get("exit_codes", {})
    head = f"# --- {entry['action_id']} [{_status_word(entry, lang)}] @{', '.join(entry['nodes'])}"
    if codes:
        head += " — exit " + ", ".join(f"{n}={c}" for n, c in codes.items())
    lines = [head] + (comment([_why(entry, lang)]) if _why(entry, lang) else [])
    if entry.get("error"):
        lines += comment([f"{t('tr.md.error', lang)}: {_said(entry, 'error', lang)}"])
    if entry.get("on_fail"):
        lines += comment([f"{t('tr.md.on_fail', lang)}: {_said(entry, 'on_fail', lang)}"])
    for fig in entry.get("figures", []):
        lines.append(f"# {t('tr.md.figure', lang)}: {_figure_text(fig)}")
    if entry.get("edited"):
        lines.append("# " + t("tr.sh.edited", lang))
        lines += comment(entry.get("original", "").splitlines(), "#   ")
    if _excerpt(entry, lang):
        lines.append(f"# {t('tr.md.output', lang)}")
        lines += comment(_excerpt(entry, lang)[-EXCERPT_LINES:], "#   ")
    aid = shlex.quote(entry["action_id"])
    # A failure the session saw too is reported and the replay goes on, as the session went on.
    on_fail = (f"|| echo {shlex.quote(t('tr.hist.failed_too', lang, id=entry['action_id']))} >&2"
               if status == "failed" else f"|| failed {aid}")
    body: list[str] = []
    if entry["command"]:
        if entry["target"] == "local":
            block = _local_body(entry, entry["command"])
            body = block[:-1] + [f"{block[-1]} {on_fail}"]
        else:
            for node in entry["nodes"]:
                ep = entry["endpoints"].get(node)
                if ep is None:
                    continue
                if not ep.get("ran", True) and status != "skipped" and entry.get("note") != "already done":
                    why_not = _said(entry, "note", lang) or _said(entry, "error", lang)
                    lines.append(f"# {node}: {t('tr.hist.not_run', lang)} ({why_not})")
                    lines += comment([remote_line(entry, node)])
                    continue
                if entry.get("disrupts_network"):
                    body += _detached(entry, node, ep, lang, on_fail.removeprefix("|| "))
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


def render(session: Session, fmt: str = "sh", history: bool = False) -> str:
    if fmt == "sh":
        return render_history(session) if history else render_setup_script(session)
    if fmt == "md":
        return render_md(session)
    raise ValueError(t("tr.bad_format", session.lang, fmt=fmt))
