"""`ha-wizard check`: grade an existing cluster against the guide (read-only), as a table or JSON.
The grading itself is wizard/run/check.py."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from steps.profiles import Profile, get_profile
from wizard.base.answers import Answers
from wizard.run.check import (
    EXIT_OK,
    EXIT_USAGE,
    SSH_PASSWORD_ENV,
    check_cluster,
    render_tables,
    sections,
    summary_text,
    to_json,
)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("check", help="grade an existing cluster against the guide (read-only)")
    p.add_argument("--answers", metavar="FILE", help="answers file (TOML) describing the cluster")
    p.add_argument("--profile", help="distribution profile (default: the answers' profile)")
    p.add_argument("--section", action="append", default=[], metavar="ID",
                   help="only this section of the checks (repeat); see the table titles")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--lang", choices=("es", "en"), default=None, help="language (default: from the locale)")
    # The connection flags of `run`: the same keys, known_hosts and trust rules.
    p.add_argument("--trust-new-hosts", action="store_true", help="accept unknown SSH host keys (recorded)")
    p.add_argument("--pin", action="append", default=[], metavar="HOST=SHA256:...",
                   help="accept this host key fingerprint for HOST (node name or address)")
    p.add_argument("--identity", action="append", default=[], metavar="FILE", help="SSH private key (repeat)")
    p.add_argument("--known-hosts", action="append", default=[], metavar="FILE",
                   help="extra known_hosts file (besides ~/.ssh/known_hosts and the wizard's own)")
    p.add_argument("--connect-timeout", type=float, default=10.0, metavar="S")
    p.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    from wizard.base.i18n import default_lang

    lang = args.lang or default_lang()
    from wizard.base.i18n import LocalizedError, msg_of

    try:
        options, answers, profile = _inputs(args)
    except LocalizedError as exc:
        print(f"ha-wizard check: {msg_of(exc).get(lang)}", file=sys.stderr)
        return EXIT_USAGE
    report = check_cluster(answers, profile, sections_wanted=args.section, **options)
    if args.format == "json":
        sys.stdout.write(json.dumps(to_json(report, lang), ensure_ascii=False, indent=2) + "\n")
    else:
        from wizard.cli.run import make_console

        console = make_console()
        for table in render_tables(report, lang):
            console.print(table)
        style = "bold green" if report.exit_code == EXIT_OK else "bold red"
        console.print(f"[{style}]{summary_text(report, lang)}[/]")
    return report.exit_code


def _inputs(args: argparse.Namespace) -> tuple[dict[str, Any], Answers, Profile]:
    """Everything `check` needs from its command line; LocalizedError (es/en) naming the bad input."""
    from wizard.base.i18n import LocalizedError, Msg, msg
    from wizard.cli.main import UsageError, load_checked_answers
    from wizard.run.hostkeys import parse_pins

    if not args.answers:
        raise LocalizedError(msg("check.need_answers"))
    try:
        answers = load_checked_answers(args.answers, args.profile)
        profile = get_profile(answers.profile)
    except UsageError as exc:
        raise LocalizedError(getattr(exc, "msg", None) or Msg.raw(str(exc))) from None
    try:
        pins = parse_pins(args.pin)
    except ValueError as exc:
        raise LocalizedError(getattr(exc, "msg", None) or Msg.raw(str(exc))) from None
    for path in [*args.identity, *args.known_hosts]:
        if not Path(path).is_file():
            raise LocalizedError(msg("check.no_file", path=path))
    known = [s for s, _ in sections()]
    for s in args.section:
        if s not in known:
            raise LocalizedError(msg("check.bad_section", section=s, known=", ".join(known)))
    if args.connect_timeout <= 0:
        raise LocalizedError(msg("check.bad_timeout"))
    options = {"identity_files": args.identity, "known_hosts": args.known_hosts, "pins": pins,
               "trust_new_hosts": args.trust_new_hosts, "connect_timeout": args.connect_timeout,
               "ssh_password": os.environ.get(SSH_PASSWORD_ENV) or None}
    return options, answers, profile
