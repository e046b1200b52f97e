"""`plan --format ansible -o DIR` and `export NAME --format ansible -o DIR`: the command line's half of the
Ansible export (checking its flags, finding on this machine what `run` would log in with and VBoxManage, printing
what was written)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from steps.profiles import Profile
from wizard.base.answers import Answers
from wizard.base.i18n import LocalizedError, default_lang, msg_of, t
from wizard.exports.ansible import export
from wizard.run import vboxmanage as vbox
from wizard.run.keys import login_files
from wizard.session.state import wizard_known_hosts

# ssh's own default, named because setting UserKnownHostsFile replaces it (run trusts it too).
USER_KNOWN_HOSTS = "~/.ssh/known_hosts"


def _vboxmanage(answers: Answers) -> str:
    """The VBoxManage the playbook runs: the answers' (the lab's stand-in on the lab profile), else the one the
    wizard finds on this machine, else the bare name (PATH). `-e vboxmanage=...` overrides it."""
    configured = vbox.configured(answers)
    return vbox.find_vboxmanage(configured).path or configured or vbox.NAME


def connection_files(answers: Answers, identity: list[str] | tuple[str, ...] = (),
                     known_hosts: list[str] | tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """(keys, known_hosts files) exactly as `run` logs in: the flags, else the answers' `ssh_identity` /
    `ssh_known_hosts` (the lab profile's name the lab's), the wizard's own key when it exists; host keys from
    the user's known_hosts, the wizard's own file (what it trusted) when it exists, and those files."""
    keys, extra = login_files(answers, identity, known_hosts)
    files = [USER_KNOWN_HOSTS]
    own = wizard_known_hosts()
    if own.is_file():
        files.append(str(own))
    files += [f for f in extra if f not in files]
    return keys, files


def cmd_export_ansible(answers: Answers, profile: Profile, args: Any) -> int:
    """`plan --format ansible -o DIR` and `export NAME --format ansible -o DIR`: exit 0, or 2 with a message."""
    lang = getattr(args, "lang", None) or default_lang()
    if not args.output:
        print(f"ha-wizard: {t('ansible.no_output', lang)}", file=sys.stderr)
        return 2
    for path in [*args.identity, *args.known_hosts]:
        if not Path(path).is_file():
            print(f"ha-wizard: {path}: {t('ansible.no_such_file', lang)}", file=sys.stderr)
            return 2
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        print(f"ha-wizard: {out}: {t('ansible.not_a_folder', lang)}", file=sys.stderr)
        return 2
    identity_files, known_hosts = connection_files(answers, args.identity, args.known_hosts)
    try:
        written = export(answers, profile, out, sections=getattr(args, "section", None) or (), lang=lang,
                         identity_files=identity_files, known_hosts=known_hosts, vboxmanage=_vboxmanage(answers))
    except LocalizedError as exc:
        print(f"ha-wizard: {msg_of(exc).get(lang)}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"ha-wizard: {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    print(t("ansible.how_to_run", lang, folder=out))
    return 0
