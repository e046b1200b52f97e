"""Headless sub-commands: `run`, `sessions`, `export` (wired into `ha-wizard` by wizard/cli/main.py).

Exit status: 0 done; 1 an action failed (the message names it and the node); 2 bad input
(answers, options, missing secret, unknown session), a session another process runs, a damaged
checkpoint or one that cannot be saved — a message, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wizard.base.i18n import EMPTY, msg, msg_of, pick, plural, t
from wizard.run.events import ActionFinished, ActionStarted, Event, OutputLine, Reconnecting
from wizard.session.files import atomic_write
from wizard.session.state import DONE, Session, StateError, list_sessions

# Module top kept light (no rich/paramiko): `ha-wizard plan` imports this module at start-up.
SSH_PASSWORD_ENV = "HA_WIZARD_SSH_PASSWORD"


def _usage_error() -> type[Exception]:
    from wizard.cli.main import UsageError
    return UsageError


def _escape(text: str) -> str:
    from rich.markup import escape
    return escape(text)


def make_console(**kw: Any) -> Any:
    """The terminal console of the headless commands: commands and output print verbatim (rich would
    otherwise turn `ocf:heartbeat:IPaddr2` into an emoji and colour numbers)."""
    from rich.console import Console
    return Console(highlight=False, emoji=False, **kw)


def register(subparsers: Any) -> None:
    run = subparsers.add_parser("run", help="run the plan headless (prints each command, then its output)")
    run.add_argument("--answers", metavar="FILE", help="answers file (TOML)")
    run.add_argument("--profile", help="distribution profile (default: the answers' profile)")
    run.add_argument("--section", action="append", default=[], metavar="ID", help="run only this section (repeat)")
    run.add_argument("--session", metavar="NAME", help="name of the new session (default: run-<time>)")
    run.add_argument("--resume", metavar="NAME", help="continue a session")
    run.add_argument("--yes", action="store_true",
                     help="confirm manual steps without a check, and re-run interrupted non-idempotent ones")
    run.add_argument("--trust-new-hosts", action="store_true", help="accept unknown SSH host keys (recorded)")
    run.add_argument("--pin", action="append", default=[], metavar="HOST=SHA256:...",
                     help="accept this host key fingerprint for HOST (node name or address)")
    run.add_argument("--identity", action="append", default=[], metavar="FILE",
                     help="SSH private key (repeat); replaces the lab's key on the lab profile")
    run.add_argument("--known-hosts", action="append", default=[], metavar="FILE",
                     help="extra known_hosts file (besides ~/.ssh/known_hosts and the wizard's own); replaces "
                          "the lab's on the lab profile")
    run.add_argument("--connect-timeout", type=float, default=10.0, metavar="S")
    run.add_argument("--undo", action="store_true",
                     help="with --resume: back to the snapshot of section 1 (power off, restore every VM, start); "
                          "the sections after it are pending again. Asks first unless --yes")
    run.set_defaults(func=cmd_run)

    sessions = subparsers.add_parser("sessions", help="list sessions, their progress and which are in use")
    sessions.add_argument("--recover", metavar="NAME",
                          help="put back the last good checkpoint of a session whose state file is damaged")
    sessions.add_argument("--delete", metavar="NAME",
                          help="delete a session for good (asks first; the machines are not touched)")
    sessions.add_argument("--yes", action="store_true", help="with --delete: do not ask")
    sessions.set_defaults(func=cmd_sessions)

    export = subparsers.add_parser(
        "export", help="export a session: sh = a setup script of its effective path, md = the full record")
    export.add_argument("name", metavar="NAME")
    export.add_argument("--format", choices=("sh", "md", "ansible"), default="sh",
                        help="sh / md: the transcript; ansible: the session's answers as a playbook (-o DIR)")
    export.add_argument("--history", action="store_true",
                        help="sh: replay every attempt in order (failed ones included) instead of the setup script")
    export.add_argument("-o", "--output", metavar="FILE", help="write there (default: stdout; ansible: a folder)")
    export.add_argument("--identity", action="append", default=[], metavar="FILE",
                        help="with --format ansible or sh: the SSH key to log in with (repeatable; default: as run)")
    export.add_argument("--known-hosts", action="append", default=[], metavar="FILE",
                        help="with --format ansible or sh: a known_hosts file to trust (default: as run)")
    export.set_defaults(func=cmd_export)


# -- run -------------------------------------------------------------------------------------------
class Printer:
    """Events -> the terminal. Group output is prefixed with the node so interleaving stays readable."""

    def __init__(self, console: Any, lang: str = "en") -> None:
        self.console = console
        self.lang = lang
        self.multi: dict[str, bool] = {}

    def __call__(self, event: Event) -> None:
        c = self.console
        if isinstance(event, ActionStarted):
            self.multi[event.action_id] = len(event.nodes) > 1
            c.print(f"\n[bold cyan]▶ {_escape(event.action_id)}[/] [dim]@{_escape(', '.join(event.nodes))}[/]")
            if event.command:
                for i, line in enumerate(event.command.splitlines()):
                    c.print(f"[bold]$[/] {_escape(line)}" if i == 0 else f"  {_escape(line)}", highlight=False)
        elif isinstance(event, OutputLine):
            prefix = f"[dim]{_escape(event.node)} |[/] " if self.multi.get(event.action_id) else "  "
            style = {"stderr": "yellow", "info": "blue"}.get(event.stream, "")
            text = _escape(pick(event.text, event.text_es, self.lang))
            c.print(prefix + (f"[{style}]{text}[/]" if style else text), highlight=False)
        elif isinstance(event, Reconnecting):
            line = t("eng.reconnecting", self.lang, node=event.node, address=event.address, attempt=event.attempt)
            c.print(f"[blue]… {_escape(line)}[/]")
        elif isinstance(event, ActionFinished):
            colour = {"ok": "green", "edited": "green", "skipped": "dim", "failed": "red",
                      "stopped": "yellow"}.get(event.status, "")
            codes = ", ".join(f"{n}={v}" for n, v in event.exit_codes.items())
            note = pick(event.note, event.note_es, self.lang)
            extra = f" ({_escape(note)})" if note else ""
            status = t(f"status.{event.status}", self.lang)
            c.print(f"[{colour}]■ {_escape(event.action_id)}: {status}[/]{extra}"
                    + (f" [dim]{_escape(t('run.exit', self.lang, codes=codes))}[/]" if codes else ""))
            if event.error:
                c.print(f"[red]  {_escape(pick(event.error, event.error_es, self.lang))}[/]")


def _secret(name: str, env: str, lang: str) -> str:
    value = os.environ.get(env)
    if value:
        return value
    if sys.stdin.isatty():
        value = getpass.getpass(t("run.secret_prompt", lang, name=name) + " ")
        if value:
            return value
    raise _usage_error()(msg("run.secret_needed", name=name, var=env)
                         + (EMPTY if sys.stdin.isatty() else msg("run.no_tty")))


def _lang(args: argparse.Namespace) -> str:
    from wizard.session.prefs import user_lang
    return user_lang(getattr(args, "lang", None))


def _ask_password(prompt: str) -> str | None:
    """Asked once, when a node refused every key (a fresh VM takes only root's password)."""
    try:
        return getpass.getpass(prompt + ": ") or None
    except (EOFError, KeyboardInterrupt):
        return None


def _open_session(args: argparse.Namespace) -> Session:
    """The session this run goes on with, taken for this process (SessionInUse if another runs it)."""
    UsageError = _usage_error()  # noqa: N806
    if args.resume:
        if args.answers:
            raise UsageError(msg("run.resume_no_answers"))
        session = Session.load(args.resume, claim="run")
        try:
            if args.profile and args.profile != session.profile:
                raise UsageError(msg("run.profile_mismatch", profile=args.profile, name=args.resume,
                                     uses=session.profile))
            from wizard.base.validation import validate
            # A hand-edited state file is read like an answers file: nothing unchecked reaches a command.
            problems = validate(session.answers)
            if problems:
                raise StateError("state.answers_problems", name=session.name,
                                 problems="\n".join(f"  {p}" for p in problems))
        except BaseException:
            session.release()
            raise
        return session
    if not args.answers:
        raise UsageError(msg("run.answers_or_resume"))
    from wizard.cli.main import load_checked_answers
    answers = load_checked_answers(args.answers, args.profile)
    profile = answers.profile
    name = args.session or "run-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Session.create(name, answers, profile, claim="run")


def cmd_run(args: argparse.Namespace, plan: Any = None, console: Any = None) -> int:
    """`plan`: a plan to run instead of steps.full_plan (tests, custom plans)."""
    console = console or make_console()
    try:
        return _run(args, plan, console)
    except StateError as exc:
        print(f"ha-wizard run: {exc.text(_lang(args))}", file=sys.stderr)
        return 2
    except (_usage_error(), ValueError) as exc:
        print(f"ha-wizard run: {msg_of(exc).get(_lang(args))}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, plan: Any, console: Any) -> int:
    from wizard.run.hostkeys import parse_pins
    UsageError = _usage_error()  # noqa: N806

    pins = parse_pins(args.pin)
    for path in [*args.identity, *args.known_hosts]:
        if not Path(path).is_file():
            raise UsageError(msg("run.no_file", path=path))
    session = _open_session(args)
    fresh = not args.resume
    try:
        return _run_session(args, plan, console, session, pins)
    except UsageError:
        if fresh and not session.journal:
            # Nothing ran: do not leave an empty session behind a usage error.
            session.release()
            shutil.rmtree(session.folder, ignore_errors=True)
        raise
    finally:
        session.release()


def _run_session(args: argparse.Namespace, plan: Any, console: Any, session: Session, pins: dict[str, str]) -> int:
    from wizard.run.engine import Engine, secret_env_var
    from wizard.run.errors import EngineError
    UsageError = _usage_error()  # noqa: N806
    lang = _lang(args)
    sections = args.section or session.options.get("sections") or []
    if args.section:
        session.options["sections"] = list(args.section)
    ssh_password = os.environ.get(SSH_PASSWORD_ENV) or None
    if ssh_password is None and session.answers.ssh_user != "root" and sys.stdin.isatty():
        # Not root: sudo will likely want it (empty = none, e.g. NOPASSWD).
        ssh_password = getpass.getpass(t("run.sudo_prompt", lang, user=session.answers.ssh_user) + " ") or None
    engine = Engine(session, {}, None, Printer(console, lang), plan=plan, trust_new_hosts=args.trust_new_hosts,
                    pins=pins, identity_files=args.identity, known_hosts=args.known_hosts,
                    ssh_password=ssh_password, connect_timeout=args.connect_timeout, yes=args.yes,
                    ask_ssh_password=_ask_password if sys.stdin.isatty() else None)
    try:
        if getattr(args, "undo", False):
            return _undo(args, engine, console)
        unknown = [s for s in sections if s not in engine.section_ids()]
        if unknown:
            raise UsageError(msg("cli.unknown_section", section=unknown[0], ids=", ".join(engine.section_ids())))
        for name in engine.needed_secrets(sections or None):
            engine.secrets[name] = _secret(name, secret_env_var(name), lang)
        interrupted = session.interrupted()
        if interrupted:
            console.print(f"[yellow]{_escape(t('run.interrupted', lang, actions=', '.join(interrupted)))}[/]")
        console.print(_escape(t("run.header", lang, name=session.name, profile=session.profile,
                                folder=session.folder)))
        for section_id in (sections or engine.section_ids()):
            if not engine.run_section(section_id):
                # A section of checks ran them all: every failure is listed, each with what to do.
                failures = [a for a in engine.section_actions(section_id) if session.status(a.id) == "failed"]
                if not getattr(engine.section_module(section_id), "KEEP_GOING", False):
                    failures = failures[:1] or [a for a in [engine.next_pending(section_id)] if a is not None]
                if not failures:
                    break
                for failed in failures:
                    rec = session.record(failed.id)
                    nodes = [n for n, c in rec.exit_codes.items() if c != 0] or list(rec.exit_codes)
                    head = t("run.failed_on" if nodes else "run.failed", lang, action=failed.id,
                             nodes=", ".join(nodes))
                    error = pick(rec.error, rec.error_es, lang) or t(f"status.{rec.status}", lang)
                    console.print(f"[red bold]{_escape(head)}[/] — {_escape(error)}")
                    hint = pick(rec.on_fail, rec.on_fail_es, lang)
                    if hint:
                        console.print(f"[yellow]{_escape(t('run.what_to_check', lang, hint=hint))}[/]")
                console.print(_escape(t("run.resume_with", lang, name=session.name)))
                return 1
        left = [a for s in (sections or engine.section_ids()) for a in engine.section_actions(s)
                if session.status(a.id) not in DONE]
        if left:
            console.print(f"[red]{_escape(t('run.not_done', lang, actions=', '.join(a.id for a in left)))}[/]")
            return 1
        console.print(f"[green bold]{_escape(t('run.done', lang, name=session.name))}[/]")
        return 0
    except EngineError as exc:
        raise UsageError(msg_of(exc)) from None
    finally:
        engine.close()


def _undo(args: argparse.Namespace, engine: Any, console: Any) -> int:
    """`run --resume NAME --undo`: show what going back does, ask (unless --yes), do it."""
    from wizard.base.i18n import t
    from wizard.run.undo import UndoError, run_undo, undo_preview
    UsageError = _usage_error()  # noqa: N806
    session = engine.session
    lang = session.lang
    if not args.resume:
        raise UsageError(t("undo.needs_resume", lang))
    try:
        preview = undo_preview(engine)
    except UndoError as exc:
        raise UsageError(exc.msg) from None
    console.print(f"[bold]{_escape(t('undo.heading', lang, snapshot=preview.snapshot, name=session.name))}[/]")
    console.print(_escape(t("undo.sections", lang, sections=", ".join(preview.sections),
                            n=len(preview.done))))
    for action in preview.actions:
        console.print(f"  [dim]{_escape(action.id)}[/]  {_escape(action.command.splitlines()[0])}", highlight=False)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(t("undo.confirm_with_yes", lang))
        if input(t("undo.ask", lang) + " [y/N] ").strip().lower() not in ("y", "yes", "s", "si", "sí"):
            console.print(t("undo.cancelled", lang))
            return 1
    result = run_undo(engine)
    if not result.ok:
        console.print(f"[red bold]{_escape(t('undo.failed', lang, action=result.failed))}[/] — "
                      f"{_escape(result.error)}")
        return 1
    console.print(f"[green bold]{_escape(t('undo.done', lang, snapshot=preview.snapshot, n=len(result.reset)))}[/]")
    console.print(t("undo.next", lang, name=session.name))
    return 0


# -- sessions / export -------------------------------------------------------------------------------
def cmd_sessions(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from rich.table import Table
    lang = _lang(args)
    console = make_console()
    if getattr(args, "recover", None):
        from wizard.session.state import recover
        try:
            session, aside = recover(args.recover)
        except StateError as exc:
            print(f"ha-wizard sessions: {exc.text(lang)}", file=sys.stderr)
            return 2
        console.print(escape(t("state.recovered", lang, name=session.name, updated=session.updated[:19])))
        if aside is not None:
            console.print(escape(t("state.recovered_aside", lang, aside=aside)))
        return 0
    if getattr(args, "delete", None):
        return _delete(args.delete, bool(getattr(args, "yes", False)), lang, console)
    rows = list_sessions()
    if not rows:
        console.print(t("sessions.none", lang))
        return 0
    from rich import box
    # At 80 columns every verdict whole: the status, progress, name and time never wrap nor are cut; the
    # last step (a long action id) and who holds the session wrap in what is left. No vertical rules, a
    # short time (as the app's list) and no "in use" column when no session is in use: room.
    columns = ["name", "profile", "progress", "status", "last", "updated"]
    if any(s.in_use for s in rows):
        columns.append("in_use")
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True)
    for c in columns:
        wraps = c in ("last", "in_use")
        table.add_column(t(f"col.{c}", lang), no_wrap=not wraps, overflow="fold" if wraps else "ellipsis",
                         ratio=1 if wraps else None, min_width=12 if wraps else None)
    for s in rows:
        cells = [escape(s.name), s.profile, s.progress, t("sstatus." + s.status, lang), s.last_action,
                 f"{s.updated[8:10]}/{s.updated[5:7]} {s.updated[11:16]}" if len(s.updated) >= 16 else s.updated]
        if "in_use" in columns:
            cells.append(escape(_in_use(s.in_use, lang)))
        table.add_row(*cells)
    console.print(table)
    broken = [s for s in rows if s.error is not None]
    if broken:
        # A damaged checkpoint is news the user must not miss: say what and how, and exit 2.
        print(t(plural("sessions.unreadable", len(broken)), lang, n=len(broken)), file=sys.stderr)
        for s in broken:
            print(f"  {s.error.text(lang)}", file=sys.stderr)
        return 2
    return 0


def _delete(name: str, yes: bool, lang: str, console: Any) -> int:
    """`sessions --delete NAME`: asked on a terminal (y/N), else only with --yes; refused while in use."""
    from wizard.session.state import delete_session, session_folder
    if not session_folder(name).is_dir():
        print(f"ha-wizard sessions: {StateError('state.no_such', name=name, folder=session_folder(name)).text(lang)}",
              file=sys.stderr)
        return 2
    if not yes:
        if not sys.stdin.isatty():
            print(f"ha-wizard sessions: {t('sessions.delete_needs_yes', lang, name=name)}", file=sys.stderr)
            return 2
        reply = input(t("sessions.delete_q", lang, name=name) + " ")
        if reply.strip().lower() not in ("y", "yes", "s", "si", "sí"):
            console.print(t("sessions.delete_kept", lang, name=name))
            return 1
    try:
        delete_session(name)
    except StateError as exc:
        print(f"ha-wizard sessions: {exc.text(lang)}", file=sys.stderr)
        return 2
    console.print(t("start.deleted", lang, name=name))
    return 0


def _in_use(who: Any, lang: str) -> str:
    from wizard.session.state import front_key
    if not who:
        return ""
    if who is True:
        return t("sessions.in_use_unknown", lang)
    front = front_key(who.front)
    front = t(front, lang) if front != who.front else front
    if who.here:
        return t("sessions.in_use", lang, pid=who.pid, front=front, since=who.since_short)
    return t("sessions.in_use_host", lang, pid=who.pid, host=who.host, front=front, since=who.since_short)


def _ssh_for_script(session: Session, identity: list[str], known_hosts: list[str]) -> None:
    """The sh script logs in as `run` does: --identity/--known-hosts win; else what the session ran with (the
    engine records it); else, for a session that never ran, the answers' key and known_hosts. Only this
    process's copy of the session changes: an export never saves it."""
    from wizard.run.hostkeys import HostKeyTrust
    from wizard.run.keys import login_files
    from wizard.session.state import wizard_known_hosts

    recorded = dict(session.options.get("ssh") or {})
    if recorded and not identity and not known_hosts:
        return
    keys, extra = login_files(session.answers, identity, known_hosts)
    recorded["identity_files"] = keys
    recorded["known_hosts"] = [str(wizard_known_hosts()), *(str(p) for p in HostKeyTrust.default_user_files()),
                               *extra]
    session.options["ssh"] = recorded


def cmd_export(args: argparse.Namespace) -> int:
    from wizard.exports.transcript import render
    try:
        session = Session.load(args.name)
    except StateError as exc:
        print(f"ha-wizard export: {exc.text(_lang(args))}", file=sys.stderr)
        return 2
    history = getattr(args, "history", False)
    if history and args.format != "sh":
        from wizard.base.i18n import t
        print(f"ha-wizard export: {t('tr.history_needs_sh', session.lang)}", file=sys.stderr)
        return 2
    if args.format == "ansible":
        from steps.profiles import get_profile
        from wizard.cli.ansible import cmd_export_ansible

        args.lang = session.lang
        args.section = session.options.get("sections") or []
        profile = get_profile(session.profile)
        if session.facts:  # the pcs/Pacemaker the session found: the same syntax as its own plan
            profile = profile.with_facts(session.facts, prefer=session.answers.master.name)
        return cmd_export_ansible(session.answers, profile, args)
    if args.format == "sh":
        for path in [*args.identity, *args.known_hosts]:
            if not Path(path).is_file():
                print(f"ha-wizard export: {path}: {t('ansible.no_such_file', session.lang)}", file=sys.stderr)
                return 2
        _ssh_for_script(session, args.identity, args.known_hosts)
    text = render(session, args.format, history=history)
    if args.output:
        out = Path(args.output)
        try:
            atomic_write(out.resolve(), text, mode=0o755 if args.format == "sh" else 0o644)
        except OSError as exc:
            print(f"ha-wizard export: {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (`python -m wizard.cli.run ...`) until cli.py wires these in."""
    parser = argparse.ArgumentParser(prog="ha-wizard")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
