"""Going back to the snapshot ("back to preHA"), the engine's side: what the app and `run --undo` call.

    preview = undo_preview(engine)   # what it will do (actions to show) and which sections it undoes
    result = run_undo(engine)        # blocking (a worker thread in the app); events as for any action

The VMs go back (steps/undo.py: check every snapshot, power off and restore every VM, remove a clone
made after it, start, wait for SSH). The session then knows what was undone: every action of the sections
after the snapshot's is pending again (its record says "undone"), and the journal holds one `undo` event
naming the snapshot, the sections and the actions, which the exports show (md) or leave out of the
setup path (sh). The records are reset once every snapshot was found, before anything is powered off: a
wizard killed halfway then finds the sections pending, never "done" on VMs that were restored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from steps.model import Action
from wizard.base.i18n import LocalizedError, msg
from wizard.run.hostops import HostContext, Result, host_op, power_off, snapshot_names, vm_info, vm_state
from wizard.session.state import now_iso

SNAPSHOT_SECTION = "snapshot"


class UndoError(LocalizedError, ValueError):
    """Going back is not possible for this plan (no snapshot section); the message says why."""


@dataclass
class UndoPreview:
    snapshot: str
    sections: list[str]  # the sections undone, in plan order
    actions: list[Action]  # what runs (the app shows these before asking)
    done: list[str] = field(default_factory=list)  # actions of those sections that are not pending now


@dataclass
class UndoResult:
    ok: bool
    sections: list[str]
    reset: list[str]  # actions back to pending
    failed: str = ""  # the undo action that failed
    error: str = ""


def _module() -> Any:
    import steps.undo
    return steps.undo


def sections_after_snapshot(engine: Any) -> list[str]:
    ids = engine.section_ids()
    if SNAPSHOT_SECTION not in ids:
        raise UndoError(msg("undo.no_snapshot_section"))
    return ids[ids.index(SNAPSHOT_SECTION) + 1:]


def undo_preview(engine: Any) -> UndoPreview:
    from steps.profiles import get_profile

    session = engine.session
    sections = sections_after_snapshot(engine)
    actions = _module().plan(session.answers, get_profile(session.profile))
    done = [a.id for s in sections for a in engine.section_actions(s) if session.status(a.id) != "pending"]
    return UndoPreview(session.answers.snapshot_name, sections, actions, done)


def run_undo(engine: Any) -> UndoResult:
    """Back to the snapshot; stops at the first failing step (the result names it)."""
    preview = undo_preview(engine)
    session = engine.session
    engine.add_side_section(_module(), preview.actions)
    checks = [a for a in preview.actions if a.kind == "check"]
    changes = [a for a in preview.actions if a.kind != "check"]
    with session.lock:
        for action in preview.actions:  # a previous undo's records: this is a new one
            session.records.pop(action.id, None)
    for action in checks:  # nothing changes before every snapshot was found
        if engine.run_action(action.id) != "ok":
            return UndoResult(False, [], [], action.id, session.record(action.id).error)
    reset = [a.id for s in preview.sections for a in engine.section_actions(s)
             if session.status(a.id) != "pending"]
    stamp = now_iso()
    note = msg("undo.note", snapshot=preview.snapshot)
    with session.lock:
        for action_id in reset:
            rec = session.record(action_id)
            rec.status, rec.note, rec.note_es, rec.error, rec.error_es = "pending", note.en, note.es, "", ""
            rec.exit_codes, rec.remote_pids = {}, {}
        event = engine.journal_event({"event": "undo", "section": "undo", "snapshot": preview.snapshot,
                                      "sections": preview.sections, "actions": reset, "status": "running",
                                      "started": stamp, "ended": ""})
    session.save()
    for action in changes:
        if engine.run_action(action.id) != "ok":
            error = session.record(action.id).error
            with session.lock:
                event.update(status="failed", ended=now_iso(), error=f"{action.id}: {error}")
            session.save()
            return UndoResult(False, preview.sections, reset, action.id, error)
    with session.lock:
        event.update(status="ok", ended=now_iso())
    session.save()
    return UndoResult(True, preview.sections, reset)


def undone_sections(session: Any) -> list[str]:
    """The sections the last undo put back to pending that are still not done since (for the app)."""
    for entry in sorted(session.journal, key=lambda e: e.get("seq", 0), reverse=True):
        if entry.get("event") == "undo":
            pending = {a for a in entry.get("actions", []) if session.status(a) == "pending"}
            return [s for s in entry.get("sections", [])
                    if any(p["id"] in pending for p in session.plan if p["section"] == s)]
    return []


# -- host operations only going back needs (registered in wizard/run/hostops.py's registry) ------------------
@host_op("vm_absent")
def op_vm_absent(ctx: HostContext, on_line: Any, cancel: Any, timeout: float, *, vm: str) -> int:
    return 0 if vm_info(ctx, vm) is None else 1


@host_op("lacks_snapshot")
def op_lacks_snapshot(ctx: HostContext, on_line: Any, cancel: Any, timeout: float, *, vm: str, name: str) -> int:
    """0 when the VM does not exist or has no snapshot of that name (nothing to restore)."""
    return 0 if vm_info(ctx, vm) is None or name not in snapshot_names(ctx, vm) else 1


@host_op("remove_vm")
def op_remove_vm(ctx: HostContext, on_line: Any, cancel: Any, timeout: float, *, vm: str) -> int:
    """Power the VM off when it runs, then unregister it and delete its files (`unregistervm --delete`)."""
    if vm_state(ctx, vm) == "running":
        code = power_off(ctx, on_line, vm)
        if code != 0:
            return code
    res: Result = ctx.vbox("unregistervm", vm, "--delete", on_line=on_line, show=True)
    return res.code
