"""The sh building blocks both shell exports use (the setup script and `--history`): SSH lines with the
session's own options, stdin by printf, the prelude with its helpers and secrets, a network change started
detached and waited for at the node's new address."""

from __future__ import annotations

import math
import re
import shlex
from typing import Any

from steps.access import PUBLIC_KEY
from wizard.base.i18n import STRINGS, t
from wizard.base.reach import split_address
from wizard.exports.journal import comment
from wizard.session.state import Session, now_iso

DETACHED_RC = re.compile(r"/tmp/ha-wizard-[A-Za-z0-9_.-]+\.rc")


def secret_var(name: str) -> str:
    """The environment variable a secret is read from (the same the wizard reads: HA_WIZARD_<NAME>)."""
    return "HA_WIZARD_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


# -- SSH as the session used it ------------------------------------------------------------------
def ssh_options(session: Session) -> list[str]:
    """OpenSSH options equivalent to the session's: its keys, its known_hosts files, its host key policy."""
    opts: dict[str, Any] = dict(session.options.get("ssh") or {})
    if opts.get("password"):  # the password comes from SSH_ASKPASS (see prelude), once per connection
        out = ["-o", "NumberOfPasswordPrompts=1"]
    else:
        out = ["-o", "BatchMode=yes"]  # never a prompt in the middle of the script (secrets come on stdin)
    for path in opts.get("identity_files", []):
        out += ["-i", path]
    files = [*opts.get("known_hosts", [])]
    if files:
        out += ["-o", "UserKnownHostsFile=" + " ".join(f'"{f}"' if " " in f else f for f in files)]
    out += ["-o", "StrictHostKeyChecking=" + ("accept-new" if opts.get("trust_new_hosts") else "yes")]
    out += ["-o", f"ConnectTimeout={int(opts.get('connect_timeout', 10))}"]
    if opts.get("ssh_config"):
        out += ["-F", opts["ssh_config"]]
    return out


def _split_dest(dest: str) -> tuple[str, str]:
    """`user@host[:port]` (as ssh -J takes it) -> (`user@host`, port)."""
    m = re.fullmatch(r"(.*?)(?::(\d+))?", dest)
    assert m is not None
    return m.group(1), m.group(2) or "22"


def ssh_words(ep: dict[str, Any], with_stdin: bool, extra: tuple[str, ...] = (), address: str = "") -> str:
    """`ssh "${SSH_OPTS[@]}" ... user@host` for one endpoint (a server through its director's hop)."""
    # Options given before SSH_OPTS win (ssh takes the first value of each option).
    parts = ["ssh", *extra, '"${SSH_OPTS[@]}"', "-T"]
    if not with_stdin:
        parts.append("-n")  # the wizard closes stdin of commands without secrets: same here
    if ep.get("jump"):
        host, port = _split_dest(ep["jump"])
        # `ssh -J` would not pass -i/-o on to the hop: a ProxyCommand with the same options does.
        parts.append(f'-o "ProxyCommand=ssh $SSH_OPTS_SH -W %h:%p -p {port} {shlex.quote(host)}"')
    if int(ep.get("port", 22) or 22) != 22:
        parts += ["-p", str(ep["port"])]
    parts.append(shlex.quote(f"{ep.get('user') or 'root'}@{address or ep['address']}"))
    return " ".join(parts)


def remote_sent(ep: dict[str, Any], command: str) -> tuple[str, bool]:
    """(what goes to the node's shell, whether stdin carries the sudo password first)."""
    sudo = ep.get("sudo", "")
    if sudo == "nopasswd":
        return f"sudo -n bash -c {shlex.quote(command)}", False
    if sudo == "password":
        return f"sudo -S -k -p '' bash -c {shlex.quote(command)}", True
    return command, False


def printf_for(template: str, sudo_password: bool = False) -> str:
    """A stdin template ("hacluster:{hacluster_password}\\n") -> `printf FORMAT "$VAR"...`."""
    import string

    fmt, args = (["%s\\n"], ['"$HA_WIZARD_SSH_PASSWORD"']) if sudo_password else ([], [])
    for literal, field, _spec, _conv in string.Formatter().parse(template):
        fmt.append(literal.replace("\\", "\\\\").replace("%", "%%").replace("\n", "\\n").replace("\t", "\\t"))
        if field is not None:
            fmt.append("%s")
            # {now}: the clock of the machine running the script, as the engine gives the wizard's (preflight).
            args.append('"$(date +%s.%N)"' if field == "now" else f'"${secret_var(field)}"')
    return "printf " + shlex.quote("".join(fmt)) + ("" if not args else " " + " ".join(args))


def remote_line(entry: dict[str, Any], node: str, command: str | None = None, ep: dict[str, Any] | None = None,
                stdin: bool = True, extra: tuple[str, ...] = ()) -> str:
    """The shell line that runs `command` (default: the entry's, as sent) on `node` as the wizard did."""
    ep = ep or entry["endpoints"][node]
    cmd = command if command is not None else (ep.get("sent") or entry["command"])
    sent, sudo_pw = remote_sent(ep, cmd)
    template = entry.get("stdin", "") if stdin else ""
    has_stdin = bool(template) or sudo_pw
    line = f"{ssh_words(ep, has_stdin, extra)} {shlex.quote(sent)}"
    if has_stdin:
        line = f"{printf_for(template, sudo_pw)} | {line}"
    return line


# -- the script ------------------------------------------------------------------------------------
def prelude(session: Session, lang: str, secrets: list[str], sudo_password: bool) -> list[str]:
    opts = ssh_options(session)
    out = [
        "#!/usr/bin/env bash",
        *comment([t("tr.sh.head", lang, name=session.name, profile=session.profile, when=now_iso())]),
        *comment(t("tr.sh.about", lang).splitlines()),
        *comment(t("tr.sh.host_steps", lang).splitlines()),
        "",
        *comment([t("tr.sh.ssh_opts", lang)]),
        "SSH_OPTS=(" + " ".join(shlex.quote(o) for o in opts) + ")",
        "SSH_OPTS_SH=" + shlex.quote(" ".join(shlex.quote(o) for o in opts)),
        *comment([t("tr.sh.python", lang)]),
        'PYTHON=${PYTHON:-python3}',
        "",
        failed_fn(lang),
        f"skip() {{ echo \"  {t('tr.sh.already', lang)}: $1\"; }}",
        "begin() { printf '\\n== %s\\n' \"$1\"; }",
        *comment(t("tr.sh.helpers", lang).splitlines()),
        "matches() {",
        "  \"$PYTHON\" -c 'import re, sys; sys.exit(0 if re.search(sys.argv[1], sys.stdin.read(), re.M) else 1)' \\",
        "    \"$1\"",
        "}",
        "check() {",
        "  local out",
        "  out=$(step 2>&1); local rc=$?",
        "  printf '%s\\n' \"$out\"",
        "  [ \"$rc\" = 0 ] && { [ -z \"$2\" ] || printf '%s\\n' \"$out\" | matches \"$2\"; } && return 0",
        f"  [ -n \"${{3:-}}\" ] && {{ echo \"  {t('tr.sh.warning', lang)}: $1\" >&2; return 0; }}",
        "  failed \"$1\"",
        "}",
        "retry() {",
        "  local out rc i tries=$(( ($2 + $3 - 1) / $3 )) end=$((SECONDS + $2 + 1))",
        "  for ((i = 1; i <= tries; i++)); do",
        "    out=$(step 2>&1); rc=$?",
        "    if [ \"$rc\" = 0 ] && { [ -z \"$4\" ] || printf '%s\\n' \"$out\" | matches \"$4\"; }; then",
        "      printf '%s\\n' \"$out\"; return 0",
        "    fi",
        "    [ \"$i\" -lt \"$tries\" ] && [ \"$SECONDS\" -lt \"$end\" ] || break",
        f"    echo \"  {t('tr.sh.not_yet', lang)}\" >&2; sleep \"$3\"",
        "  done",
        "  printf '%s\\n' \"$out\" >&2",
        "  failed \"$1\"",
        "}",
    ]
    login_password = bool((session.options.get("ssh") or {}).get("password"))
    if sudo_password or secrets or login_password:
        out += ["", *comment([t("tr.sh.secrets", lang)])]
    names = (["ssh_password"] if sudo_password or login_password else []) + secrets
    for name in names:
        var = secret_var(name)
        public_key = (session.options.get("ssh") or {}).get("public_key", "")
        if name == PUBLIC_KEY and public_key:
            # The wizard's public key (steps/access.py) is no secret: written here, nothing to type.
            out.append(f"{var}=${{{var}:-{shlex.quote(public_key)}}}")
            continue
        # The secret in words, and the variable that spares typing it: never the wizard's own name for it.
        what = t(f"secret.{name}", lang) if f"secret.{name}" in STRINGS else name
        prompt = t("tr.sh.prompt", lang, what=what[:1].upper() + what[1:], var=var)
        out += [f'if [ -z "${{{var}:-}}" ]; then',
                f"  IFS= read -rs -p {shlex.quote(prompt + ': ')} {var} || failed {shlex.quote(name)}; echo >&2",
                "fi"]
    if login_password:
        # ssh asks SSH_ASKPASS for the password: a helper reading the (exported) variable, never argv.
        out += [*comment([t("tr.sh.askpass", lang)]),
                'ASKPASS=$(mktemp) || exit 1; trap \'rm -f "$ASKPASS"\' EXIT',
                'printf \'#!/bin/sh\\nprintf "%%s\\\\n" "$HA_WIZARD_SSH_PASSWORD"\\n\' > "$ASKPASS"',
                'chmod 700 "$ASKPASS"',
                'export HA_WIZARD_SSH_PASSWORD SSH_ASKPASS="$ASKPASS" SSH_ASKPASS_REQUIRE=force']
    return out


def failed_fn(lang: str) -> str:
    before, _, after = t("tr.sh.failed", lang, id="\x00").partition("\x00")
    return f"failed() {{ echo {shlex.quote(before)}\"$1\"{shlex.quote(after)} >&2; exit 1; }}"


def why_text(entry: dict[str, Any], lang: str) -> str:
    return (entry.get("why_es") if lang == "es" else "") or entry.get("why", "")


def instructions_text(entry: dict[str, Any], lang: str) -> str:
    return (entry.get("instructions_es") if lang == "es" else "") or entry.get("instructions", "")


def warn_flag(entry: dict[str, Any]) -> str:
    """A check the guide can go on without (preflight's warn_only): a warning, not a stop, as in the wizard."""
    return " warn" if entry.get("warn_only") else ""


def tries(entry: dict[str, Any]) -> tuple[int, int]:
    """(timeout, interval) in whole seconds for `retry` (bash arithmetic is integer)."""
    interval = max(1, round(float(entry.get("interval") or 2.0)))
    timeout = max(interval, math.ceil(float(entry.get("timeout") or 300.0)))
    return timeout, interval


def local_body(entry: dict[str, Any], command: str) -> list[str]:
    lines = command.splitlines() or [":"]
    if entry.get("stdin"):
        return [f"{printf_for(entry['stdin'])} | (", *lines, ")"]
    return ["(", *lines, ") </dev/null"]


def detached(entry: dict[str, Any], node: str, ep: dict[str, Any], lang: str, on_fail: str = "") -> list[str]:
    """Start the change detached (the connection may drop), wait for its exit status at the node's
    address after the change, as the wizard does; bounded by the action's timeout."""
    aid = shlex.quote(f"{entry['action_id']}@{node}")
    on_fail = on_fail or f"failed {aid}"
    sent = ep.get("sent") or ""
    match = DETACHED_RC.search(sent)
    if not match:  # an old session without the wrapper recorded: run it plainly
        return [f"{remote_line(entry, node)} || {on_fail}"]
    rc = match.group(0)
    log = rc[:-3] + ".log"
    # The engine journals where it reconnects as `host[:port]` (a NAT forward: 127.0.0.1:2201).
    host, port = split_address(ep.get("reconnect_host") or ep.get("reconnect") or ep["address"])
    after = dict(ep, address=host, port=ep.get("reconnect_port") or port or ep.get("port", 22),
                 sudo=ep.get("sudo", ""))
    timeout = max(2, math.ceil(float(entry.get("timeout") or 300.0)))
    read_rc = remote_line(entry, node, f"cat {rc} 2>/dev/null", ep=after, stdin=False, extra=("-o", "ConnectTimeout=5"))
    return [
        f"{remote_line(entry, node)} || true  # {t('tr.sh.drops', lang)}",
        f"rc=''; end=$((SECONDS + {timeout}))",
        f"for ((i = 0; i < {timeout // 2 + 1}; i++)); do  # {t('tr.sh.bounded', lang)}",
        f"  sleep 2; rc=$({read_rc} 2>/dev/null) && [ -n \"$rc\" ] && break",
        "  [ \"$SECONDS\" -lt \"$end\" ] || break",
        "done",
        f"{remote_line(entry, node, f'cat {log}; rm -f {log} {rc}', ep=after, stdin=False)} || true",
        f"[ \"$rc\" = 0 ] || {on_fail}",
    ]


