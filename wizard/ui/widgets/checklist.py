"""A section of checks (preflight) as a checklist: one line per check, what it says, and for a failure or a
warning what is wrong and what to do, in the user's language (the steps' why/on_fail, es/en)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from wizard.base.i18n import t

ICONS = {"ok": "✔", "warning": "⚠", "failed": "✘", "not_tried": "–", "pending": "·", "running": "…",
         "skipped": "↷", "stopped": "■"}
STYLES = {"ok": "green", "warning": "yellow", "failed": "red bold", "not_tried": "dim", "pending": "dim",
          "running": "cyan", "skipped": "dim", "stopped": "yellow"}


@dataclass(frozen=True)
class CheckRow:
    state: str  # a key of ICONS
    what: str  # the check (why), in the user's language
    where: str
    detail: str = ""  # failure or warning: what is wrong and how to fix it


def _pick(rec: Any, field: str, lang: str) -> str:
    es = getattr(rec, f"{field}_es", "") if lang == "es" else ""
    return es or getattr(rec, field, "") or ""


def check_rows(actions: list[Any], records: dict[str, Any], lang: str, where: Any = None) -> list[CheckRow]:
    """Pure: the checklist of `actions` given their records (wizard.session.state.ActionRecord or None)."""
    rows = []
    for a in actions:
        rec = records.get(a.id)
        status = rec.status if rec is not None else "pending"
        what = a.why_es if lang == "es" and a.why_es else a.why
        place = where(a) if where is not None else ", ".join(a.target.nodes) or "local"
        detail = ""
        if status in ("ok", "edited"):
            warning = _pick(rec, "warning", lang)
            state = "warning" if warning else "ok"
            detail = warning
        elif status == "failed":
            error = _pick(rec, "error", lang)
            if error and all(part.strip().split(":", 1)[-1].strip().startswith(("not tried", "sin intentar"))
                             for part in error.split(";")):
                state, detail = "not_tried", t("checklist.not_tried", lang)
            else:
                on_fail = (a.on_fail_es if lang == "es" and a.on_fail_es else a.on_fail) or ""
                state, detail = "failed", "  ".join(x for x in (error, on_fail) if x)
        else:
            state = status if status in ICONS else "pending"
        rows.append(CheckRow(state, what, place, detail))
    return rows


def summary(rows: list[CheckRow], lang: str) -> str:
    count = {k: sum(r.state == k for r in rows) for k in ("ok", "warning", "failed", "not_tried")}
    pending = len(rows) - sum(count.values())
    return t("checklist.summary", lang, ok=count["ok"], warn=count["warning"],
             failed=count["failed"] + count["not_tried"], pending=pending)


class Checklist(Static):
    """The rendered checklist; `show(rows, lang)` replaces its content."""

    DEFAULT_CSS = """
    Checklist { height: auto; margin: 1 0; }
    """

    plain = ""  # what is shown, as plain text (tests, screen readers' logs)

    def show(self, rows: list[CheckRow], lang: str) -> None:
        table = Table(box=None, show_header=False, pad_edge=False, expand=True)
        table.add_column(width=1)
        table.add_column(ratio=1)
        for row in rows:
            cell = Text(row.what, style="" if row.state in ("ok", "pending") else STYLES[row.state])
            cell.append(f"  ({row.where})", style="dim")
            if row.detail:
                cell.append("\n" + row.detail, style=STYLES[row.state] if row.state != "failed" else "red")
            table.add_row(Text(ICONS[row.state], style=STYLES[row.state]), cell)
        title = Text(f"{t('checklist.title', lang)} — {summary(rows, lang)}", style="bold")
        from rich.console import Group
        self.plain = "\n".join([title.plain] + [f"{ICONS[r.state]} {r.what} ({r.where})"
                                                 + (f"\n  {r.detail}" if r.detail else "") for r in rows])
        self.update(Group(title, table))
