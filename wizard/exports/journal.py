"""Reading a session's journal for any export: the entries in order, their texts in a language, the
section titles, the figures measured (as Markdown tables)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wizard.base.i18n import pick, t
from wizard.session.state import DONE, Session


def journal(session: Session) -> list[dict[str, Any]]:
    return sorted(session.journal, key=lambda e: e.get("seq", 0))


def figures_table(session: Session) -> list[str]:
    """The session's measured figures as Markdown tables: the tests' figures, then the benchmarks."""
    from wizard.base.figures import Figure, bench_table

    lang = session.lang
    found = [(e["action_id"], Figure.from_dict(f)) for e in journal(session) if not e.get("event")
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


def comment(lines: Iterable[str], prefix: str = "# ") -> list[str]:
    return [(prefix + line).rstrip() for text in lines for line in (str(text).splitlines() or [""])]


def section_title(entry: dict[str, Any], lang: str) -> str:
    """The section's title in `lang` (from its steps module; the recorded one for others)."""
    try:
        from steps import SECTIONS
        for module in SECTIONS:
            if module.ID == entry["section"]:
                return module.TITLE.get(lang)
    except ImportError:
        pass
    return entry.get("section_title") or entry["section"]


def stale_marks(session: Session) -> dict[str, list[str]]:
    """Done actions out of date (they ran with values changed since), with those fields as the inventory names
    them: the exports say so (the app marks them ⟳)."""
    from wizard.base.validation import field_label

    marks = session.options.get("out_of_date") or {}
    return {action_id: [field_label(session.answers, f).get(session.lang) for f in fields]
            for action_id, fields in marks.items() if isinstance(fields, list) and session.status(action_id) in DONE}


EXCERPT_LINES = 6


def status_word(entry: dict[str, Any], lang: str) -> str:
    if entry.get("note") == "already done" and entry["status"] == "ok":
        return t("tr.already_done", lang)
    return t(f"status.{entry['status']}", lang)


def said(entry: dict[str, Any], key: str, lang: str) -> str:
    """A message the engine recorded in both languages (note, error, on_fail) in `lang`."""
    return pick(entry.get(key, ""), entry.get(f"{key}_es", ""), lang)


def excerpt(entry: dict[str, Any], lang: str) -> list[str]:
    return (entry.get("excerpt_es") if lang == "es" else None) or entry.get("excerpt", [])


def figure_text(fig: dict[str, Any]) -> str:
    labels = " ".join(f"{k}={v}" for k, v in sorted(fig.get("labels", {}).items()))
    unit = f" {fig['unit']}" if fig.get("unit") else ""
    return f"{fig['name']} = {fig['value']:g}{unit}" + (f" ({labels})" if labels else "")
