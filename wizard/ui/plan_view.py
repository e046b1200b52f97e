"""The plan and the session's progress as the screens ask for them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wizard.base.i18n import STRINGS, Msg, t
from wizard.session.progress import DONE_STATUSES, section_status


class PlanView:
    """A mixin of the app (wizard/ui/app.py): what the screens ask of the plan and of the session."""

    session: Any
    engine: Any
    lang: str
    secrets: dict[str, str]
    _plan: list[Any] | None

    def ran_with(self) -> dict[str, str]:
        marks = self.session.options.get("ran_with") if self.session is not None else None
        return {k: str(v) for k, v in (marks or {}).items()}

    def journal_values(self, changed: dict[str, tuple[str, str]], result: Any) -> None:
        """The change of values as a journal entry (the md record shows it where it happened)."""
        from wizard.session.state import now_iso

        entry = {"event": "values", "when": now_iso(), "changed": {k: list(v) for k, v in changed.items()},
                 "out_of_date": list(result.new), "up_to_date": list(result.cleared)}
        if self.engine is not None:
            self.engine.journal_event(entry)
        else:
            self.session.add_journal({"seq": max((e.get("seq", 0) for e in self.session.journal), default=0) + 1,
                                      **entry})

    def out_of_date(self) -> dict[str, list[str]]:
        """Done actions that used values changed since they ran: action id -> the fields."""
        if self.session is None:
            return {}
        marks = self.session.options.get("out_of_date") or {}
        return {k: list(v) for k, v in marks.items() if isinstance(v, list)}

    def up_to_date(self, action_id: str) -> None:
        """The action ran again: no longer out of date."""
        marks, ran_with = self.out_of_date(), self.ran_with()
        if marks.pop(action_id, None) is not None:
            self.session.options["out_of_date"] = marks
        if ran_with.pop(action_id, None) is not None:
            self.session.options["ran_with"] = ran_with

    def stale_done(self) -> list[str]:
        """Done actions marked out of date: the guide is not complete while there is one."""
        return [a for a in self.out_of_date() if self.status(a) in DONE_STATUSES]

    # -- the plan, as the screens see it --------------------------------------------------------------
    def plan(self) -> list[Any]:
        if self.engine is not None:
            return self.engine.plan
        if self._plan is None:
            from steps import session_plan

            # Written for the pcs/Pacemaker the session found on its nodes (facts), as the engine's would be.
            self._plan = session_plan(self.session.answers, self.session.profile, self.session.facts)
        return self._plan

    def section(self, section_id: str) -> tuple[Any, list[Any]]:
        for module, actions in self.plan():
            if module.ID == section_id:
                return module, actions
        raise KeyError(section_id)

    def section_number(self, section_id: str) -> int:
        return [m.ID for m, _ in self.plan()].index(section_id) + 1

    def find_action(self, action_id: str) -> Any | None:
        """The plan's action (or a side action the engine runs, going back to the snapshot) with this id."""
        if self.engine is not None:
            try:
                return self.engine.action(action_id)
            except Exception:  # noqa: BLE001 - not the engine's: look in the plan below
                pass
        for _, actions in self.plan():
            for action in actions:
                if action.id == action_id:
                    return action
        return None

    def action_label(self, action_id: str) -> Msg:
        """An action as a student reads it (its title), in both languages: never its id. An id the plan does
        not know (a section's, after going back) is named by its section's title when there is one."""
        action = self.find_action(action_id)
        if action is not None:
            return Msg(action.label("en"), action.label("es"))
        for module, _ in self.plan():
            if module.ID == action_id.split(".", 1)[0]:
                return Msg(module.TITLE.en, module.TITLE.es)
        return Msg.raw(action_id)

    def missing_secrets(self, names: Iterable[str]) -> list[str]:
        """Of these secrets, those nobody gave yet. The engine fills some itself (the wizard's public key, which
        is no secret of the student's): only the rest are asked."""
        engine_secrets = self.engine.secrets if self.engine is not None else {}
        return [n for n in dict.fromkeys(names) if not self.secrets.get(n) and not engine_secrets.get(n)]

    def status(self, action_id: str) -> str:
        return self.session.status(action_id)

    def record(self, action_id: str) -> Any | None:
        return self.session.records.get(action_id)

    def section_state(self, section_id: str) -> str:
        """A section's status; "stale" when it is done but an action of it ran with a value changed since."""
        actions = self.section(section_id)[1]
        state = section_status([self.status(a.id) for a in actions])
        if state == "ok" and set(self.stale_done()) & {a.id for a in actions}:
            return "stale"
        return state

    def sidebar_entries(self) -> list[tuple[str, str, str]]:
        from wizard.run.undo import undone_sections

        undone = set(undone_sections(self.session))  # taken back to the snapshot and not done again yet
        return [(m.ID, m.TITLE.get(self.lang), "undone" if m.ID in undone else self.section_state(m.ID))
                for m, _ in self.plan()]

    def first_open_section(self) -> str:
        for module, actions in self.plan():
            if any(self.status(a.id) not in DONE_STATUSES for a in actions):
                return module.ID
        return self.plan()[-1][0].ID

    def resume_section(self) -> str:
        """Where the student was when the session was left, else the first section not done."""
        where = self.session.options.get("ui_section")
        if where in [m.ID for m, _ in self.plan()]:
            return str(where)
        return self.first_open_section()

    def next_section(self, section_id: str) -> str | None:
        ids = [m.ID for m, _ in self.plan()]
        i = ids.index(section_id)
        return ids[i + 1] if i + 1 < len(ids) else None

    def guide_complete(self) -> bool:
        """Every action done, and none of them done with values changed since (⟳)."""
        return all(self.status(a.id) in DONE_STATUSES for _, actions in self.plan() for a in actions) \
            and not self.stale_done()

    def where_short(self, action: Any) -> str:
        target = action.target
        if target.is_local:
            return t("sec.where_local", self.lang)
        if target.kind == "group":
            return self.group_words(target.group)
        return ", ".join(target.nodes)

    def group_words(self, group: str) -> str:
        """A group of nodes in words ("the directors"), not the plan's name for it ("directors")."""
        key = f"where.{group}"
        return t(key, self.lang) if key in STRINGS else group

    def where_long(self, action: Any) -> str:
        from wizard.exports.listing import target_label

        target = action.target
        if target.is_local:
            return "@" + t("sec.where_local", self.lang)
        label = target_label(self.session.answers, target, action.via_address)
        if target.kind == "group":
            label = label.replace(f"@{target.group}:", f"@{self.group_words(target.group)}:", 1)
        return label
