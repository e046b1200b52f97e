"""The Textual app: start → inventory → one screen per section → guide complete.

The app holds the session, its engine and the secrets (memory only) and moves between screens; the
screens (wizard/ui/screens/) know it only through `WizardHost` and never import this module. The engine
runs in thread workers: its events arrive on its threads and are posted (thread-safe) to the screen
that started the work; host-key and manual-step questions from those threads are shown as modal
dialogs while the thread waits (docs/architecture.md).
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import threading
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider

from wizard.base.answers import Answers, AnswersError, load_answers
from wizard.base.fields import SECRET_HACLUSTER
from wizard.base.i18n import default_lang, t
from wizard.session.prefs import load_prefs, remember
from wizard.session.progress import DONE_STATUSES, next_session_name
from wizard.session.staleness import changed_fields, refresh
from wizard.ui.engine_link import EngineLink
from wizard.ui.plan_view import PlanView
from wizard.ui.screens.base import Localized, localize_bindings
from wizard.ui.screens.complete import GuideCompleteScreen
from wizard.ui.screens.dialogs import (
    ConfirmDialog,
    ExportDialog,
    HelpScreen,
)
from wizard.ui.screens.inventory import InventoryScreen
from wizard.ui.screens.section import SectionScreen
from wizard.ui.screens.start import StartScreen


class SectionCommands(Provider):
    """Command palette: jump to any section by (part of) its name."""

    def _entries(self) -> list[tuple[str, str]]:
        app: WizardApp = self.app  # type: ignore[assignment]
        if app.session is None:
            return []
        return [(module.ID, t("palette.section", app.lang, n=n, title=module.TITLE.get(app.lang)))
                for n, (module, _) in enumerate(app.plan(), 1)]

    async def search(self, query: str) -> Hits:
        app: WizardApp = self.app  # type: ignore[assignment]
        matcher = self.matcher(query)
        found = False
        for section_id, text in self._entries():
            score = matcher.match(f"{text} {section_id}")
            if score > 0:
                found = True
                yield Hit(score, matcher.highlight(text), partial(app.goto_section, section_id),
                          help=t("palette.help", app.lang))
        if not found:
            # Said by the wizard, in the student's language: Textual's own "No matches found" is English only.
            yield Hit(0.01, t("palette.no_matches" if app.session is not None else "palette.no_session", app.lang),
                      lambda: None)

    async def discover(self) -> Hits:
        app: WizardApp = self.app  # type: ignore[assignment]
        for section_id, text in self._entries():
            yield DiscoveryHit(text, partial(app.goto_section, section_id), help=t("palette.help", app.lang))


class WizardPalette(CommandPalette):
    """Textual's command palette in the app's language: its placeholder and its keys' descriptions."""

    def __init__(self, lang: str) -> None:
        super().__init__(placeholder=t("palette.placeholder", lang), id="--command-palette")
        localize_bindings(self, lang)


class WizardApp(PlanView, EngineLink, App[int]):
    CSS_PATH = "app.tcss"  # beside this module, as Textual resolves it
    TITLE = "ha-wizard"
    # Only the wizard's own commands: Textual's system commands have English names only.
    COMMANDS = {SectionCommands}
    # Screen classes by width: the sidebar widens when there is room (80 columns must work).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        # In the footer only F1: at 80 columns the screens' own keys need the room; F1 lists these too.
        Binding("f1", "help", "bind.help"),
        Binding("ctrl+l", "toggle_lang", "bind.lang", show=False),
        Binding("ctrl+t", "toggle_theme", "bind.theme", show=False),
        Binding("ctrl+e", "export", "bind.export", show=False),
        Binding("ctrl+q", "quit", "bind.quit", show=False, priority=True),
        Binding("ctrl+c", "quit", "bind.quit", show=False, priority=True),
    ]

    def __init__(self, *, lang: str | None = None, answers: Answers | None = None, answers_path: str | None = None,
                 profile: str | None = None, state_root: Path | str | None = None, theme: str | None = None,
                 engine_options: dict[str, Any] | None = None) -> None:
        super().__init__()
        # Extra Engine keywords (identity_files, known_hosts, ssh_password, connect_timeout...).
        self.engine_options = dict(engine_options or {})
        prefs = load_prefs()
        # --lang, else the language last chosen (a preference kept between runs), else the locale.
        self.lang = lang or prefs.lang or default_lang()
        self.lang_chosen = bool(lang)  # chosen for this run: a resumed session's language does not override it
        self.state_root = state_root
        self.profile_override = profile
        self.initial_answers = answers
        self.answers_path: str | None = None
        self.answers_error = ""
        if answers_path:
            self.load_answers_file(answers_path)
        if theme or prefs.theme:
            self.theme = theme or prefs.theme
        self.session: Any = None
        self.engine: Any = None
        self.engine_error = ""
        self._plan: list[Any] | None = None
        self.secrets: dict[str, str] = {}  # memory only: never written anywhere
        self.busy = False
        self.quitting = False
        self.stop_requested = threading.Event()
        self.closing = threading.Event()  # set on quit: threads waiting for a dialog give up
        self.manual_confirmed: set[str] = set()
        self.clash_shown: set[str] = set()
        self.cleared_marks: list[str] = []  # actions up to date again after the last change of values
        self.event_target: Any = None
        self.crash: BaseException | None = None  # the error nothing caught, that ended the app

    # -- start-up ------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.title = t("app.title", self.lang)
        localize_bindings(self, self.lang)
        self.push_screen(StartScreen())

    @property
    def dark_theme(self) -> bool:
        return self.theme != "textual-light"

    # -- sessions --------------------------------------------------------------------------------------
    def sessions(self) -> list[Any]:
        from wizard.session.state import list_sessions

        return list_sessions(self.state_root)

    def suggest_session_name(self) -> str:
        return next_session_name([s.name for s in self.sessions()])

    def check_new_session_name(self, name: str) -> str | None:
        from wizard.session.state import StateError, check_name

        try:
            check_name(name)
        except StateError as exc:
            return exc.text(self.lang)
        if name in {s.name for s in self.sessions()}:
            return t("state.exists", self.lang, name=name)
        return None

    def load_answers_file(self, path: str) -> bool:
        if not path:
            return False
        try:
            self.initial_answers = load_answers(path)
        except AnswersError as exc:
            self.answers_error = str(exc)
            return False
        self.answers_path = path
        self.answers_error = ""
        return True

    def base_answers(self) -> Answers:
        answers = copy.deepcopy(self.initial_answers) if self.initial_answers else Answers()
        if self.profile_override:
            answers.profile = self.profile_override
        return answers

    def open_inventory_new(self, name: str) -> None:
        self.push_screen(InventoryScreen(self.base_answers(), name))

    def open_inventory_edit(self) -> None:
        self.push_screen(InventoryScreen(self.session.answers, None))

    def inventory_done(self, answers: Answers, session_name: str | None,
                       trusted: Iterable[tuple[str, str, str, str, str]] = ()) -> None:
        from wizard.session.state import Session, StateError

        if session_name is None:  # editing the running session's answers
            self.apply_answers(answers)
            for entry in trusted:
                self.session.trust(*entry)
            self.session.save()
            self.pop_screen()
            return
        try:
            session = Session.create(session_name, copy.deepcopy(answers), answers.profile, root=self.state_root,
                                     lang=self.lang, claim="app")
        except StateError as exc:
            self.notify(exc.text(self.lang), severity="error", timeout=15)
            return
        for entry in trusted:
            session.trust(*entry)
        session.save()
        self.open_session(session)
        self.pop_screen()  # the inventory; the start screen stays below
        self.push_section(self.resume_section())

    def resume_session(self, name: str) -> None:
        from wizard.session.state import Session, StateError

        if self.session is not None and self.session.name == name and self.session.claimed:
            session = self.session  # back from the start screen to the session this app runs
        else:
            try:
                # Taken before it is read: another process running it (SessionInUse) is refused here.
                session = Session.load(name, root=self.state_root, claim="app")
            except StateError as exc:
                self.notify(exc.text(self.lang), severity="error", timeout=15)
                return
        self.open_session(session)
        self.push_section(self.resume_section())

    def delete_session(self, name: str) -> None:
        """Remove a session for good (asked for and confirmed on the start screen)."""
        from wizard.session.state import StateError, delete_session

        if self.session is not None and self.session.name == name:
            self.close_session()
        try:
            delete_session(name, root=self.state_root)
        except StateError as exc:
            self.notify(exc.text(self.lang), severity="error", timeout=15)
            return
        self.notify(t("start.deleted", self.lang, name=name))

    def close_session(self) -> None:
        """Leave the session: its engine closed, free for another process to run it."""
        self._close_engine()
        self.engine = None
        self._release_session()
        self.session = None
        self._plan = None

    def go_start(self) -> None:
        """Back to the start screen (the session is left; resuming it comes back where it was)."""
        if self.busy:
            self.notify(t("sec.busy", self.lang), severity="warning")
            return
        while len(self.screen_stack) > 2 and not isinstance(self.screen, StartScreen):
            self.pop_screen()
        self.close_session()

    def open_session(self, session: Any) -> None:
        if self.session is not None and self.session is not session:
            self._close_engine()
            self.session.release()  # one session at a time: the other one is free for others again
        self.session = session
        if self.lang_chosen or not session.lang:
            session.lang = self.lang
        elif session.lang != self.lang:  # the session's own language, as it was left
            self.lang = session.lang
            self.title = t("app.title", self.lang)
            localize_bindings(self, self.lang)
            self.refresh_bindings()
        self.manual_confirmed.clear()
        self.make_engine()

    def apply_answers(self, answers: Answers) -> list[str]:
        """Use new values; returns the done actions they make out of date (marked in the session). A value put
        back clears the marks of the actions that ran with it (`cleared_marks` lists them); the change is in
        the journal, so the md record says what changed and what it made out of date."""
        old_answers, old_plan = self.session.answers, self.plan()
        changed = changed_fields(old_answers, answers)
        self.session.answers = copy.deepcopy(answers)
        self.session.profile = answers.profile
        self.make_engine()
        statuses = {a.id: self.status(a.id) for _, actions in self.plan() for a in actions}
        result = refresh(self.out_of_date(), self.ran_with(), old_plan, self.plan(), statuses, changed)
        self.session.options["out_of_date"] = result.marks
        self.session.options["ran_with"] = result.ran_with
        self.cleared_marks = result.cleared
        if changed:
            self.journal_values(changed, result)
        self.session.save()
        for screen in self.screen_stack:
            if isinstance(screen, SectionScreen):
                screen.stale = True  # the plan changed: compose again when shown
        return [a for a in result.marks if a in result.new or any(f in changed for f in result.marks[a])]

    def set_secret(self, name: str, value: str) -> None:
        self.secrets[name] = value
        if self.engine is not None:
            self.engine.secrets[name] = value  # the engine keeps its own copy

    def show_complete(self) -> None:
        if not isinstance(self.screen, GuideCompleteScreen):
            self.push_screen(GuideCompleteScreen())

    # -- navigation -------------------------------------------------------------------------------------
    def push_section(self, section_id: str) -> None:
        if self.session.options.get("ui_section") != section_id:
            self.session.options["ui_section"] = section_id  # resuming comes back here
            if not self.busy:
                self.session.save(durable=False)
        screen = self.screen
        if isinstance(screen, SectionScreen) and screen.rebuilding:
            # Replacing a screen while it composes itself again kills Textual's Header (its title is set
            # after its children are gone): go there once the rebuild has ended.
            screen.after_rebuild.append(partial(self.push_section, section_id))
            return
        if isinstance(screen, SectionScreen) and screen.section_id == section_id and not screen.stale:
            screen.focus_actions()  # already there: the same screen, not a copy of it
            return
        if isinstance(screen, SectionScreen):
            self.switch_screen(SectionScreen(section_id))
        else:
            self.push_screen(SectionScreen(section_id))

    def goto_section(self, section_id: str, warn: bool = True) -> None:
        if self.session is None:
            return
        if self.busy:
            self.notify(t("sec.busy", self.lang), severity="warning")
            return
        if isinstance(self.screen, GuideCompleteScreen):
            self.pop_screen()
        open_before = []
        for n, (module, actions) in enumerate(self.plan(), 1):
            if module.ID == section_id:
                break
            if any(self.status(a.id) not in DONE_STATUSES for a in actions):
                open_before.append(f"{n}. {module.TITLE.get(self.lang)}")
        if not open_before or not warn:
            self.push_section(section_id)
            return
        message = t("sec.jump_warn", self.lang, sections=", ".join(open_before))

        def answer(ok: bool | None) -> None:
            if ok:
                self.push_section(section_id)

        self.push_screen(ConfirmDialog(message, "sec.jump"), answer)

    async def action_quit(self) -> None:
        if self.busy:
            # Cancel, then exit when the worker returns: the engine writes the action's end state first.
            self.quitting = True
            self.closing.set()
            self.notify(t("quit.waiting", self.lang), severity="warning")
            self.stop_running()
            self.set_timer(30, self._force_exit)
            return
        self.closing.set()
        self._close_engine()
        self._release_session()
        self.exit(0)

    def _handle_exception(self, error: Exception) -> None:
        # Textual's one way in for an error no handler caught (it then ends the app with status 1): the
        # session keeps where the student was, so the next start opens there (crash_note says so).
        if self.crash is None:
            self.crash = error
            self.remember_where()
        super()._handle_exception(error)

    def remember_where(self) -> None:
        """Save the section (and action) on screen into the session; never raises (the app may be dying)."""
        if self.session is None or not self.session.claimed:
            return
        section = next((s for s in reversed(self.screen_stack) if isinstance(s, SectionScreen)), None)
        try:
            if section is not None:
                self.session.options["ui_section"] = section.section_id
            self.session.save()
        except Exception:  # noqa: BLE001 - a checkpoint that cannot be written must not hide the first error
            pass

    def on_unmount(self) -> None:
        # However the app ends, threads waiting for a dialog stop waiting, and a running command stops.
        self.closing.set()
        if self.busy:
            self.stop_running()
        else:
            self._release_session()

    def _force_exit(self) -> None:
        self.exit(1)

    # -- app-wide actions ---------------------------------------------------------------------------------
    def action_command_palette(self) -> None:
        """Ctrl+P: the palette, in the app's language (Textual's own says "Search for commands…")."""
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(WizardPalette(self.lang))

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(getattr(self.screen, "HELP_KEY", "help.start"), self.screen))

    async def action_toggle_lang(self) -> None:
        await self.set_lang("en" if self.lang == "es" else "es")

    async def set_lang(self, lang: str) -> None:
        if lang == self.lang:
            return
        self.lang = lang
        self.lang_chosen = True
        remember(lang=lang)  # the next launch starts in it
        self.title = t("app.title", lang)
        localize_bindings(self, lang)
        if self.session is not None:
            self.session.lang = lang
            if not self.busy:
                self.session.save()
        screen = self.screen
        if isinstance(screen, Localized):
            await screen.relocalize()
        self.refresh_bindings()
        self.notify(t("lang.switched", lang), timeout=2)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.dark_theme else "textual-dark"
        remember(theme=self.theme)

    def action_export(self) -> None:
        if self.session is None:
            self.notify(t("export.no_session", self.lang), severity="warning")
            return
        if isinstance(self.screen, ExportDialog):
            return

        def chosen(value: tuple[str, str] | None) -> None:
            if value:
                self.export(*value)

        self.push_screen(ExportDialog(self.session.name), chosen)

    def export(self, fmt: str, path: str) -> Path | None:
        from wizard.exports.transcript import export_transcript

        try:
            written = export_transcript(self.session, fmt, path)
        except (OSError, ValueError, RuntimeError) as exc:
            self.notify(t("export.failed", self.lang, error=exc), severity="error", timeout=8)
            return None
        self.notify(t("export.done", self.lang, path=written))
        return written


def crash_note(app: WizardApp) -> str | None:
    """After the app ended on an error: the line for the terminal (which session, where, how to go on)."""
    if not app.return_code or app.crash is None:
        return None
    error = f"{type(app.crash).__name__}: {app.crash}"
    session = app.session
    if session is None:
        return f"ha-wizard: {error}"
    where = ""
    section_id = session.options.get("ui_section")
    if section_id in [m.ID for m, _ in app.plan()]:
        module, actions = app.section(section_id)
        where = t("crash.where", app.lang, n=app.section_number(section_id), title=module.TITLE.get(app.lang))
        action_id = session.options.get("ui_action")
        action = next((a for a in actions if a.id == action_id), None)
        if action is not None:
            why = action.why_es if app.lang == "es" and action.why_es else action.why
            where += t("crash.where_action", app.lang, action=why or action.id)
    return t("crash.note", app.lang, error=error, name=session.name, where=where)


def run_app(args: argparse.Namespace) -> int:
    """`ha-wizard` with no sub-command."""
    options: dict[str, Any] = {}
    # Honoured when the command line has them (as `ha-wizard run` does: --identity, --known-hosts).
    if getattr(args, "identity", None):
        options["identity_files"] = list(args.identity)
    if getattr(args, "known_hosts", None):
        options["known_hosts"] = list(args.known_hosts)
    # The README's environment variables for secrets (never in argv, never stored).
    if os.environ.get("HA_WIZARD_SSH_PASSWORD"):
        options["ssh_password"] = os.environ["HA_WIZARD_SSH_PASSWORD"]
    app = WizardApp(lang=getattr(args, "lang", None), answers_path=getattr(args, "answers", None),
                    profile=getattr(args, "profile", None), engine_options=options)
    if os.environ.get("HA_WIZARD_HACLUSTER_PASSWORD"):
        app.secrets[SECRET_HACLUSTER] = os.environ["HA_WIZARD_HACLUSTER_PASSWORD"]
    result = app.run()
    note = crash_note(app)
    if note:
        print(note, file=sys.stderr)
    # Textual's run() gives None after an error it caught: its return code says the app failed.
    return app.return_code or int(result or 0)
