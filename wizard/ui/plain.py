"""Plain mode (`ha-wizard --plain`): the app's flow as questionary prompts and rich output.

For serial consoles, screen readers and logs: no full-screen UI, one question at a time, output as
plain lines. Sessions, checkpoint and export are the same as the app's (wizard.session.state, wizard.run.engine,
wizard.exports.transcript), so a session started here can be resumed in the app and the other way round.
Ctrl+C while an action runs stops it through the engine (the checkpoint stays consistent).
"""

from __future__ import annotations

import argparse
import copy
import os
import signal
import threading
from typing import Any

import questionary
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from wizard.base.answers import Answers, AnswersError, load_answers
from wizard.base.fields import SECRET_HACLUSTER, get_value, inventory_fields, set_value
from wizard.base.i18n import pick, plural, status_text, t
from wizard.exports.transcript import export_transcript
from wizard.session.progress import DONE_STATUSES, STATUS_ICONS, next_session_name, section_status
from wizard.session.state import StateError

QUIT = "__quit__"
BACK = "__back__"


class Plain:
    def __init__(self, lang: str, console: Console | None = None, state_root: Any = None) -> None:
        self.lang = lang
        self.lang_chosen = False  # chosen for this run (--lang, or switched): a session's own does not override
        self.console = console or Console(highlight=False, emoji=False)
        self.state_root = state_root
        self.secrets: dict[str, str] = {}
        self.session: Any = None
        self.engine: Any = None
        self._ask_lock = threading.Lock()
        self.ssh_password: str | None = None
        self.engine_options: dict[str, Any] = {}  # identity_files / known_hosts from the command line

    def t(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)

    def switch_lang(self) -> None:
        from wizard.session.prefs import remember

        self.lang = "en" if self.lang == "es" else "es"
        self.lang_chosen = True
        remember(lang=self.lang)  # the next launch starts in it

    def ask(self, question: Any) -> Any:
        """questionary's answer; None on Ctrl+C / Ctrl+D (the caller goes back or quits)."""
        return question.ask()

    # -- start -----------------------------------------------------------------------------------
    def start(self, answers: Answers) -> int:
        from wizard.session.state import list_sessions

        self.console.rule(self.t("app.title"))
        for _ in range(1000):  # bounded menu loop
            sessions = list_sessions(self.state_root)
            choices = [questionary.Choice(self.t("start.new"), "new")]
            if sessions:
                choices.append(questionary.Choice(self.t("start.resume"), "resume"))
            choices += [questionary.Choice(self.t("start.load"), "load"),
                        questionary.Choice(self.t("plain.lang"), "lang"),
                        questionary.Choice(self.t("plain.quit"), QUIT)]
            choice = self.ask(questionary.select(self.t("plain.start"), choices=choices))
            if choice in (None, QUIT):
                return 0
            if choice == "lang":
                self.switch_lang()
                self.console.print(self.t("lang.switched"))
            elif choice == "load":
                path = self.ask(questionary.path(self.t("start.answers_file")))
                if path:
                    try:
                        answers = load_answers(path)
                        self.console.print(self.t("start.loaded", path=path))
                    except AnswersError as exc:
                        self.console.print(f"[red]{escape(str(exc))}[/red]")
            elif choice == "new":
                taken = [s.name for s in sessions]
                name = self.ask(questionary.text(self.t("start.name"), default=next_session_name(taken),
                                                 validate=lambda v, taken=taken: self.name_problem(v, taken) or True))
                if not name:
                    continue
                edited = self.inventory(copy.deepcopy(answers), need_password=not self.secrets.get(SECRET_HACLUSTER))
                if edited is None:
                    continue
                from wizard.session.state import Session

                try:
                    session = Session.create(name, edited, edited.profile, root=self.state_root, lang=self.lang,
                                             claim="plain")
                except StateError as exc:
                    self.console.print(exc.text(self.lang), style="red", markup=False)
                    continue
                return self.sections(session)
            elif choice == "resume":
                labels = [questionary.Choice(
                    f"{s.name}  [{s.profile}]  {s.progress}  {t('sstatus.' + s.status, self.lang)}  "
                    f"{s.last_action or '—'}", s.name) for s in sessions]
                name = self.ask(questionary.select(self.t("plain.resume_which"), choices=labels))
                if name:
                    from wizard.session.state import Session

                    try:
                        # Taken before it is read: a session another process runs is refused here.
                        session = Session.load(name, root=self.state_root, claim="plain")
                    except StateError as exc:
                        self.console.print(exc.text(self.lang), style="red", markup=False)
                        continue
                    return self.sections(session)
        return 0

    def name_problem(self, name: str, taken: list[str]) -> str | None:
        from wizard.session.state import check_name

        try:
            check_name(name)
        except StateError as exc:
            return exc.text(self.lang)
        if name in taken:
            return t("state.exists", self.lang, name=name)
        return None

    # -- inventory ---------------------------------------------------------------------------------
    def inventory(self, answers: Answers, need_password: bool) -> Answers | None:
        from wizard.base.validation import validate

        self.console.rule(self.t("inv.title"))
        specs = inventory_fields(answers)
        for _ in range(1000):
            problems: dict[str, str] = {}
            for p in validate(answers):
                problems.setdefault(p.field, p.text(self.lang))
            table = Table(show_header=False, box=None, pad_edge=False)
            for spec in specs:
                problem = problems.get(spec.path, "")
                table.add_row(spec.path, get_value(answers, spec.path), f"[red]{escape(problem)}[/red]")
            self.console.print(table)
            extra = [f"{f}: {m}" for f, m in problems.items() if f not in {s.path for s in specs}]
            for line in extra:
                self.console.print(f"[red]{escape(line)}[/red]")
            status = self.t(plural("inv.errors", len(problems)), n=len(problems)) if problems else self.t("inv.ok")
            self.console.print(status, style="red" if problems else "green")
            choices = []
            if not problems:
                choices.append(questionary.Choice(self.t("plain.continue"), BACK))
            for spec in specs:
                mark = " ⚠" if spec.path in problems else ""
                choices.append(questionary.Choice(f"{spec.path} = {get_value(answers, spec.path)}{mark}", spec.path))
            # With problems, the cursor starts on the first broken field (Continue is not offered).
            first_bad = next((s.path for s in specs if s.path in problems), None)
            choice = self.ask(questionary.select(self.t("plain.edit_q"), choices=choices, default=first_bad))
            if choice is None:
                return None
            if choice == BACK:
                break
            spec = next(s for s in specs if s.path == choice)
            if spec.kind == "choice":
                value = self.ask(questionary.select(self.t("plain.value", field=spec.path), choices=list(spec.choices),
                                                    default=get_value(answers, spec.path)))
            else:
                value = self.ask(questionary.text(self.t("plain.value", field=spec.path),
                                                  default=get_value(answers, spec.path)))
            if value is not None:
                problem = set_value(answers, spec.path, value, spec.kind)
                if problem:
                    self.console.print(f"[red]{escape(problem.get(self.lang))}[/red]")
        if need_password and not self.ask_password():
            return None
        return answers

    def ask_password(self) -> bool:
        for _ in range(5):
            pw1 = self.ask(questionary.password(self.t("inv.password")))
            if pw1 is None:
                return False
            if not pw1:
                self.console.print(self.t("inv.pw_empty"), style="red")
                continue
            pw2 = self.ask(questionary.password(self.t("inv.password2")))
            if pw1 == pw2:
                self.set_secret(SECRET_HACLUSTER, pw1)
                return True
            self.console.print(self.t("inv.pw_mismatch"), style="red")
        return False

    def set_secret(self, name: str, value: str) -> None:
        self.secrets[name] = value
        if self.engine is not None:
            self.engine.secrets[name] = value

    # -- sections ----------------------------------------------------------------------------------
    def make_engine(self) -> None:
        from wizard.run.engine import Engine

        if self.engine is not None:
            self.engine.close()
        self.engine = Engine(self.session, self.secrets, self.confirm_host_key, self.on_event,
                             confirm_manual=self.confirm_manual, ssh_password=self.ssh_password,
                             ask_ssh_password=self.ask_ssh_password, **self.engine_options)

    def sections(self, session: Any) -> int:
        self.session = session
        if self.lang_chosen or not session.lang:
            session.lang = self.lang
        else:
            self.lang = session.lang  # the session's own language, as it was left
        self.make_engine()
        try:
            return self._sections()
        finally:
            self.engine.close()
            session.release()

    def _sections(self) -> int:
        plan = self.engine.plan
        ids = [m.ID for m, _ in plan]
        where = self.session.options.get("ui_section")
        current = where if where in ids else self.first_open(plan)  # where the student was
        shown: str | None = None
        for _ in range(10_000):
            index = ids.index(current)
            module, actions = plan[index]
            self.session.options["ui_section"] = current
            if shown != current:
                self.show_section(index, module, actions)
                shown = current
            choices = [
                questionary.Choice(self.t("bind.run_next"), "next"),
                questionary.Choice(self.t("bind.run_section"), "section"),
                questionary.Choice(self.t("bind.skip"), "skip"),
                questionary.Choice(self.t("bind.edit"), "edit"),
                questionary.Choice(self.t("bind.retry"), "retry"),
                questionary.Choice(self.t("plain.show_expl"), "explain"),
                questionary.Choice(self.t("plain.next_section"), "forward"),
                questionary.Choice(self.t("plain.goto"), "goto"),
                questionary.Choice(self.t("bind.export"), "export"),
                questionary.Choice(self.t("plain.lang"), "lang"),
                questionary.Choice(self.t("plain.quit"), QUIT),
            ]
            choice = self.ask(questionary.select(self.t("plain.section_q", n=index + 1, total=len(plan)),
                                                 choices=choices))
            if choice in (None, QUIT):
                self.session.save(durable=False)  # where the student was, for the next resume
                self.console.print(f"{self.session.name}: {self.t('sstatus.' + self.session.summary().status)}")
                return 0
            if choice == "next":
                action = self.engine.next_pending(current)
                if action is None:
                    self.console.print(self.t("sec.none_left"))
                else:
                    self.run(action.id)
            elif choice == "section":
                self.run_section(current, actions)
            elif choice in ("skip", "edit", "retry"):
                action = self.pick_action(actions, choice)
                if action is not None:
                    if choice == "skip":
                        self.engine.skip(action.id)
                    elif choice == "retry":
                        self.run(action.id)
                    else:
                        self.edit(action)
            elif choice == "explain":
                self.show_explanation(module)
            elif choice == "forward":
                if index + 1 < len(ids):
                    current = ids[index + 1]
                else:
                    self.console.print(self.t("plain.all_done"))
            elif choice == "goto":
                target = self.ask(questionary.select(self.t("plain.goto"), choices=[
                    questionary.Choice(f"{STATUS_ICONS.get(self.section_state(a), '◐')} {n}. {m.TITLE.get(self.lang)}",
                                       m.ID) for n, (m, a) in enumerate(plan, 1)]))
                if target:
                    current = target
            elif choice == "export":
                self.export()
            elif choice == "lang":
                self.switch_lang()
                self.session.lang = self.lang
                shown = None
            if choice in ("next", "section", "skip", "edit", "retry"):
                self.show_actions(actions)
        return 0

    def first_open(self, plan: list[Any]) -> str:
        for module, actions in plan:
            if any(self.session.status(a.id) not in DONE_STATUSES for a in actions):
                return module.ID
        return plan[-1][0].ID

    def section_state(self, actions: list[Any]) -> str:
        return section_status([self.session.status(a.id) for a in actions])

    def show_section(self, index: int, module: Any, actions: list[Any]) -> None:
        self.console.rule(f"{index + 1}. {module.TITLE.get(self.lang)} [{module.ID}]")
        errata = getattr(module, "ERRATA", []) or []
        if errata:
            self.console.print(self.t("sec.errata"), style="yellow")
        self.show_actions(actions)

    def show_explanation(self, module: Any) -> None:
        self.console.print(Panel(module.EXPLANATION.get(self.lang), title=self.t("sec.explanation")))
        for erratum in getattr(module, "ERRATA", []) or []:
            self.console.print(f"⚠ {erratum.get(self.lang)}", style="yellow")

    def show_actions(self, actions: list[Any]) -> None:
        from wizard.exports.listing import target_label

        for a in actions:
            status = self.session.status(a.id)
            why = a.why_es if self.lang == "es" and a.why_es else a.why
            self.console.print(f"{STATUS_ICONS.get(status, '·')} {a.label(self.lang)} "
                               f"[{status_text(status, self.lang)}] "
                               f"{target_label(self.session.answers, a.target, a.via_address)}", markup=False)
            self.console.print(f"    {why}", style="dim", markup=False)
            if a.kind == "manual":
                text = a.instructions_es if self.lang == "es" and a.instructions_es else a.instructions
                self.console.print(f"    ✋ {self.t('sec.by_hand')}: {text}", markup=False)
            if a.command and status not in DONE_STATUSES:
                self.console.print(Syntax(a.command, "bash", word_wrap=True, background_color="default"))

    def pick_action(self, actions: list[Any], what: str) -> Any | None:
        choices = [questionary.Choice(f"{STATUS_ICONS.get(self.session.status(a.id), '·')} {a.label(self.lang)}", a.id)
                   for a in actions]
        default = next((a.id for a in actions if self.session.status(a.id) not in DONE_STATUSES), None)
        picked = self.ask(questionary.select(self.t("plain.which_action"), choices=choices, default=default))
        return next((a for a in actions if a.id == picked), None)

    def action_label(self, action_id: str) -> str:
        """An action in words (its title); the id only when the plan does not know it."""
        try:
            return self.engine.action(action_id).label(self.lang)
        except Exception:  # noqa: BLE001 - no engine, or not its action
            return action_id

    def edit(self, action: Any) -> None:
        rec = self.session.records.get(action.id)
        current = rec.command_run if rec is not None and rec.edited and rec.command_run else action.command
        text = self.ask(questionary.text(self.t("edit.title"), default=current, multiline="\n" in current))
        if text and text.strip():
            self.run(action.id, None if text == action.command else text)

    # -- running ----------------------------------------------------------------------------------
    def ensure_secrets(self, names: list[str]) -> bool:
        missing = [n for n in names if not self.secrets.get(n)]
        if not missing:
            return True
        return self.ask_password()

    def run(self, action_id: str, command: str | None = None) -> str:
        action = self.engine.action(action_id)
        if not self.ensure_secrets(list(action.secrets)):
            return "pending"
        if action.kind == "manual":
            text = action.instructions_es if self.lang == "es" and action.instructions_es else action.instructions
            self.console.print(Panel(text or action.why, title=self.t("manual.title", action=action.label(self.lang))))
            if not self.ask(questionary.confirm(self.t("plain.done"), default=True)):
                return "pending"
            self._confirmed = action.id
        previous = signal.getsignal(signal.SIGINT)
        stopped = []

        def on_sigint(signum: int, frame: Any) -> None:
            # Ctrl+C stops the running command through the engine: the checkpoint records the end.
            stopped.append(True)
            self.engine.cancel()

        signal.signal(signal.SIGINT, on_sigint)
        try:
            status = self.engine.run_action(action_id, command)
        finally:
            signal.signal(signal.SIGINT, previous)
        if stopped:
            self.console.print(self.t("sec.cancelled"), style="yellow")
            self.make_engine()  # a cancelled engine stays cancelled
        if status == "failed":
            self.show_failure(action)
        return status

    def run_section(self, section_id: str, actions: list[Any]) -> None:
        if not self.ensure_secrets(self.engine.needed_secrets([section_id])):
            return
        for _ in range(len(actions) + 1):
            action = self.engine.next_pending(section_id)
            if action is None:
                self.console.print(self.t("sec.done_section", title=section_id), style="green")
                return
            status = self.run(action.id)
            if status in ("failed", "stopped", "pending"):
                return

    def show_failure(self, action: Any) -> None:
        rec = self.session.records.get(action.id)
        if rec is None:
            return
        codes = ", ".join(f"{n}: {c}" for n, c in rec.exit_codes.items()) or "—"
        lines = [self.t("fail.exit", codes=codes)]
        if rec.error:
            lines.append(pick(rec.error, rec.error_es, self.lang))
        tail = [o for o in rec.output if o[1] == "stderr"][-8:]
        if tail:
            lines.append(self.t("fail.stderr"))
            lines += [f"  {o[2]}" for o in tail]
        hint = action.on_fail_es if self.lang == "es" and action.on_fail_es else action.on_fail
        lines += [self.t("fail.check"), "  " + (hint or self.t("fail.generic"))]
        self.console.print(Panel("\n".join(lines), title=self.t("fail.title", action=action.label(self.lang)),
                                 style="red"))

    _confirmed: str = ""

    def confirm_manual(self, action: Any) -> bool:
        return action.id == self._confirmed

    def confirm_host_key(self, node: str, address: str, key: str) -> bool:
        with self._ask_lock:  # group actions connect from several threads: one question at a time
            self.console.print(Panel(f"{node} {address}\n{key}\n\n{self.t('hostkey.body')}",
                                     title=self.t("hostkey.title")))
            if threading.current_thread() is threading.main_thread():
                return bool(self.ask(questionary.confirm(self.t("plain.trust", node=node, fingerprint=key),
                                                         default=False)))
            reply = self.console.input(f"{self.t('plain.trust', node=node, fingerprint=key)} [y/N] ")
            return reply.strip().lower() in ("y", "yes", "s", "si", "sí")

    def ask_ssh_password(self, prompt: str) -> str | None:
        """A node refused every key (a fresh VM takes root's password only): asked once, kept in memory."""
        with self._ask_lock:  # group actions connect from several threads: one question at a time
            if threading.current_thread() is threading.main_thread():
                value = self.ask(questionary.password(prompt))
            else:
                import getpass

                value = getpass.getpass(prompt + ": ")
            if value:
                self.ssh_password = value
            return value or None

    def on_event(self, event: Any) -> None:
        from wizard.run.events import ActionFinished, ActionStarted, OutputLine, Reconnecting

        if isinstance(event, ActionStarted):
            where = ", ".join(self.t("sec.where_local") if n == "local" else n for n in event.nodes)
            self.console.print(f"▶ {self.action_label(event.action_id)} @{where}", style="bold", markup=False)
            if event.command:
                self.console.print(f"$ {event.command}", style="cyan", markup=False)
        elif isinstance(event, OutputLine):
            prefix = f"[{event.node}] " if event.node != "local" else ""
            style = {"stderr": "red", "info": "dim"}.get(event.stream, "")
            self.console.print(prefix + pick(event.text, event.text_es, self.lang), style=style, markup=False)
        elif isinstance(event, ActionFinished):
            error, note = pick(event.error, event.error_es, self.lang), pick(event.note, event.note_es, self.lang)
            extra = f" — {error}" if error else (f" — {note}" if note else "")
            self.console.print(f"{STATUS_ICONS.get(event.status, '')} {self.action_label(event.action_id)}: "
                               f"{status_text(event.status, self.lang)}{extra}",
                               style="green" if event.status in DONE_STATUSES else "red", markup=False)
        elif isinstance(event, Reconnecting):
            self.console.print("… " + self.t("eng.reconnecting", node=event.node, address=event.address,
                                             attempt=event.attempt), style="dim", markup=False)

    def export(self) -> None:
        fmt = self.ask(questionary.select(self.t("export.format"), choices=[
            questionary.Choice(self.t("export.sh"), "sh"), questionary.Choice(self.t("export.md"), "md")]))
        if not fmt:
            return
        path = self.ask(questionary.text(self.t("plain.export_path"),
                                         default=self.t(f"export.file_{fmt}", name=self.session.name)))
        if not path:
            return
        try:
            written = export_transcript(self.session, fmt, path)
        except (OSError, ValueError) as exc:
            self.console.print(self.t("export.failed", error=exc), style="red")
            return
        self.console.print(self.t("export.done", path=written), style="green")


def run_plain(args: argparse.Namespace) -> int:
    """`ha-wizard --plain`."""
    from wizard.session.prefs import user_lang

    lang = user_lang(getattr(args, "lang", None))
    # prompt_toolkit asks the terminal for the cursor position before each prompt and waits up to a
    # second for the reply; serial consoles and log-capturing terminals never reply.
    os.environ.setdefault("PROMPT_TOOLKIT_NO_CPR", "1")
    answers = Answers()
    path = getattr(args, "answers", None)
    if path:
        try:
            answers = load_answers(path)
        except AnswersError as exc:
            print(f"ha-wizard: {exc}")
            return 2
    if getattr(args, "profile", None):
        answers.profile = args.profile
    plain = Plain(lang)
    plain.lang_chosen = bool(getattr(args, "lang", None))
    # The README's environment variables for secrets (never in argv, never stored).
    if os.environ.get("HA_WIZARD_HACLUSTER_PASSWORD"):
        plain.secrets[SECRET_HACLUSTER] = os.environ["HA_WIZARD_HACLUSTER_PASSWORD"]
    plain.ssh_password = os.environ.get("HA_WIZARD_SSH_PASSWORD") or None
    if getattr(args, "identity", None):
        plain.engine_options["identity_files"] = list(args.identity)
    if getattr(args, "known_hosts", None):
        plain.engine_options["known_hosts"] = list(args.known_hosts)
    return plain.start(answers)
