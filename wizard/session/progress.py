"""Where a session stands, in words and marks: one status for a section from its actions', their icons,
the next free session name."""

from __future__ import annotations

STATUS_ICONS = {"pending": "·", "running": "▶", "ok": "✔", "failed": "✘", "skipped": "↷", "edited": "✎",
                "stopped": "■"}


DONE_STATUSES = ("ok", "skipped", "edited")


def section_status(statuses: list[str]) -> str:
    """One status for a section from its actions' statuses."""
    if not statuses:
        return "ok"
    if "running" in statuses:
        return "running"
    if "failed" in statuses:
        return "failed"
    if all(s in DONE_STATUSES for s in statuses):
        return "ok"
    if any(s in DONE_STATUSES for s in statuses):
        return "partial"
    return "pending"


SECTION_ICONS = {**STATUS_ICONS, "partial": "◐", "undone": "↺", "stale": "⟳"}  # stale: done with an old value


def next_session_name(existing: list[str], stem: str = "session") -> str:
    """`session-1`, `session-2`…: predictable (no clock), never an existing name."""
    taken = set(existing)
    for n in range(1, 10_000):
        name = f"{stem}-{n}"
        if name not in taken:
            return name
    raise ValueError("too many sessions")
