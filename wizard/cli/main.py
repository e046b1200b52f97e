"""`ha-wizard` command line: the app by default, and sub-commands for scripted use.

Sub-command modules are imported only when used, so `ha-wizard plan` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from wizard import __version__
from wizard.base.answers import PROFILES, Answers, AnswersError, dumps_answers, load_answers
from wizard.base.i18n import LocalizedError, Msg, msg, msg_of, t
from wizard.session.prefs import user_lang

EXIT_USAGE = 2

# Modules that add their own sub-commands with `register(subparsers)`.
_EXTENSIONS = ("wizard.cli.run", "wizard.cli.check", "lab.cli")


class UsageError(LocalizedError):
    """Bad input from the user: printed as one message (in the user's language), exit status 2."""


def load_checked_answers(path: str | None, profile: str | None) -> Answers:
    """Answers from a file (or the guide's defaults), profile override applied, validated."""
    from wizard.base.validation import validate

    try:
        answers = load_answers(path) if path else Answers()
    except AnswersError as exc:
        raise UsageError(msg_of(exc)) from None
    if profile:
        answers.profile = profile
    problems = validate(answers)
    if problems:
        head = msg("cli.answers_problems_in", path=path) if path else msg("cli.answers_problems")
        lines = Msg.join((Msg(f"  {p.field}: {p.text('en')}", f"  {p.field}: {p.text('es')}") for p in problems),
                         "\n")
        raise UsageError(head + "\n" + lines)
    return answers


def _cmd_plan(args: argparse.Namespace) -> int:
    answers = load_checked_answers(args.answers, args.profile)
    from steps import SECTIONS
    from steps.profiles import get_profile
    from wizard.exports.listing import render_listing

    ids = [m.ID for m in SECTIONS]
    for section in args.section or []:
        if section not in ids:
            raise UsageError(msg("cli.unknown_section", section=section, ids=", ".join(ids)))
    try:
        profile = get_profile(answers.profile).with_versions(args.pcs_version, args.pacemaker_version)
    except ValueError as exc:
        raise UsageError(msg_of(exc)) from None
    if args.format == "ansible":
        from wizard.cli.ansible import cmd_export_ansible

        return cmd_export_ansible(answers, profile, args)
    if args.output:
        raise UsageError(msg("cli.output_only_ansible"))
    sys.stdout.write(render_listing(answers, profile, args.section, args.lang))
    return 0


def _cmd_answers_init(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if path.exists() and not args.force:
        raise UsageError(msg("cli.exists_force", path=path))
    answers = Answers()
    if args.profile:
        answers.profile = args.profile
    if answers.profile == "lab":
        from lab.cli import lab_answers  # the lab command's entry: the only way wizard/ reaches lab/

        answers = lab_answers(answers)
    try:
        path.write_text(dumps_answers(answers), encoding="utf-8")
    except OSError as exc:
        raise UsageError(msg("cli.os_error", path=path, error=exc.strerror or exc)) from None
    print(t("cli.wrote_answers", user_lang(getattr(args, "lang", None)), path=path))
    return 0


def _cmd_answers_check(args: argparse.Namespace) -> int:
    load_checked_answers(args.file, None)
    print(t("cli.answers_ok", user_lang(getattr(args, "lang", None)), path=args.file))
    return 0


def _cmd_default(args: argparse.Namespace) -> int:
    if args.plain:
        from wizard.ui.plain import run_plain

        return run_plain(args)
    from wizard.ui.app import run_app

    return run_app(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ha-wizard",
        description="Step-by-step wizard for a highly available HAProxy pair (Corosync + Pacemaker + pcs).",
    )
    parser.add_argument("--version", action="version", version=f"ha-wizard {__version__}")
    parser.add_argument("--plain", action="store_true", help="questionary prompts instead of the full-screen app")
    parser.add_argument("--lang", choices=("es", "en"), default=None, help="language (default: from the locale)")
    parser.add_argument("--answers", help="answers file (TOML) to start from")
    parser.add_argument("--profile", choices=PROFILES, help="override the answers' profile")
    parser.add_argument("--identity", action="append", default=[], metavar="FILE",
                        help="SSH private key for the nodes (repeatable; e.g. the lab's key)")
    parser.add_argument("--known-hosts", action="append", default=[], metavar="FILE",
                        help="extra known_hosts file (besides ~/.ssh/known_hosts and the wizard's own)")
    parser.set_defaults(func=_cmd_default)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    plan = sub.add_parser("plan", help="print the whole plan (no host is contacted)")
    plan.add_argument("--answers", help="answers file (TOML); default: the guide's values")
    plan.add_argument("--profile", choices=PROFILES, help="override the answers' profile")
    plan.add_argument("--section", action="append", metavar="ID", help="only this section (repeatable)")
    plan.add_argument("--lang", choices=("es", "en"), default="en")
    plan.add_argument("--format", choices=("text", "ansible"), default="text",
                      help="text: the listing; ansible: DIR/inventory.ini and DIR/site.yml (needs -o DIR)")
    plan.add_argument("-o", "--output", metavar="DIR", help="with --format ansible: the folder to write")
    plan.add_argument("--identity", action="append", default=[], metavar="FILE",
                      help="with --format ansible: the SSH key the inventory uses (repeatable)")
    plan.add_argument("--known-hosts", action="append", default=[], metavar="FILE",
                      help="with --format ansible: the known_hosts file the inventory uses")
    plan.add_argument("--pcs-version", metavar="X.Y.Z",
                      help="write the pcs commands for this pcs (default: the profile's; a run uses the one found)")
    plan.add_argument("--pacemaker-version", metavar="X.Y.Z", help="likewise for Pacemaker (fencing property)")
    plan.set_defaults(func=_cmd_plan)

    ans = sub.add_parser("answers", help="write or check an answers file")
    ans_sub = ans.add_subparsers(dest="answers_command", metavar="ACTION", required=True)
    init = ans_sub.add_parser("init", help="write the guide's default answers to FILE")
    init.add_argument("file", metavar="FILE")
    init.add_argument("--profile", choices=PROFILES)
    init.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    init.set_defaults(func=_cmd_answers_init)
    check = ans_sub.add_parser("check", help="validate FILE")
    check.add_argument("file", metavar="FILE")
    check.set_defaults(func=_cmd_answers_check)

    for name in _EXTENSIONS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"ha-wizard: {exc.msg.get(user_lang(getattr(args, 'lang', None)))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"ha-wizard: {t('cli.interrupted', user_lang(getattr(args, 'lang', None)))}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
