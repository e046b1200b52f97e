"""The inventory's connection check: reach every node as the engine does (its connections and host-key rules),
read what it runs (system, pcs version, init), and say which profile fits; this machine's row is the
VBoxManage the host steps will run."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.base.answers import Answers
from wizard.base.i18n import EMPTY, Msg, msg_of

_OS_ID = re.compile(r'^(ID|ID_LIKE|VERSION_ID)=(.*)$', re.M)


def detect_profile(os_release: str, pcs_version: str = "", init: str = "") -> str | None:
    """The profile made for what a node runs: /etc/os-release, `pcs --version`, /proc/1/comm.

    None when nothing fits (the user picks one). A Debian 12 host whose PID 1 is not systemd is the
    practice lab (its hosts are namespaces of one machine, without systemd). The pcs version does not
    choose the profile: the commands follow the version found on the node whatever the profile.
    """
    from steps.profiles import profile_for_os

    info = {k: v.strip().strip('"') for k, v in _OS_ID.findall(os_release)}
    systemd = not init.strip() or init.strip() == "systemd"
    found = profile_for_os(info.get("ID", ""), info.get("ID_LIKE", ""), info.get("VERSION_ID", ""), systemd)
    if found is None and not os_release.strip() and pcs_version.strip().startswith("0.9"):
        return "rhel7"  # no os-release at all (a very old system): pcs 0.9 is CentOS/RHEL 7's
    return found


DETECT_COMMAND = ("cat /etc/os-release 2>/dev/null; echo '---ha-wizard---'; pcs --version 2>/dev/null; "
                  "echo '---ha-wizard---'; cat /proc/1/comm 2>/dev/null")


def parse_detect_output(text: str) -> tuple[str, str, str]:
    """Split DETECT_COMMAND's output into (os-release, pcs version, init)."""
    parts = text.split("---ha-wizard---")
    parts += [""] * (3 - len(parts))
    return parts[0].strip(), parts[1].strip(), parts[2].strip()


def pretty_os(os_release: str) -> str:
    m = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', os_release, re.M)
    return m.group(1) if m else "?"


@dataclass
class NodeCheck:
    """What the connection check learnt about one node."""

    node: str
    address: str
    fingerprint: str = ""
    system: str = ""
    pcs: str = ""
    profile: str | None = None
    error: Msg = EMPTY  # why the node could not be checked, in both languages
    reach: str = ""  # which way the wizard reaches it (wizard.base.reach.describe), in the user's language

    @property
    def ok(self) -> bool:
        return not self.error


LAB_STANDIN = "ha-wizard-lab"  # in the version the lab's VBoxManage stand-in prints (lab/vbox.py)


def vboxmanage_check(answers: Answers, lang: str = "en") -> NodeCheck:
    """This machine's row of the connection check: which VBoxManage the host steps run and its version, or
    that none was found and where the wizard looked."""
    from wizard.base.i18n import t
    from wizard.run.local import LocalError, LocalRunner
    from wizard.run.vboxmanage import configured, vboxmanage_version

    check = NodeCheck("VBoxManage", t("vbox.check_name", lang))
    runner = LocalRunner(vboxmanage=configured(answers), lang=lang)
    try:
        path = runner.vboxmanage()
    except LocalError as exc:
        check.error = t(exc.key, lang, **exc.values)
        return check
    check.address = path
    version, error = vboxmanage_version(path)
    if error:
        check.error = t("vbox.version_failed", lang, path=path, error=error)
    elif LAB_STANDIN in version:
        # The lab's VBoxManage says it is not VirtualBox, in English, after its version: said in the user's words.
        check.system = t("vbox.lab_standin", lang, version=version.split(" (", 1)[0])
    else:
        check.system = f"VirtualBox {version}"
    return check


def check_connections(answers: Answers, confirm_host_key: Any, root: Path | str | None = None,
                      on_result: Any = None, connect_timeout: float = 8.0,
                      identity_files: list[str] | tuple[str, ...] = (),
                      known_hosts: list[str] | tuple[str, ...] = (),
                      ssh_password: str | None = None, lang: str = "en",
                      ) -> tuple[list[NodeCheck], list[tuple[str, str, str, str, str]]]:
    """Reach every node over SSH (the engine's own connections and host-key rules), read what it runs.

    Returns the checks, in the inventory's order, and the host keys trusted on the way
    (node, address, key type, fingerprint, how) for the session to record. Blocking: call it from a
    worker thread. `confirm_host_key(node, address, "type SHA256:...")` decides on unknown keys.
    """
    from wizard.base.reach import describe
    from wizard.run.connections import Connections
    from wizard.run.hostkeys import HostKeyTrust
    from wizard.run.keys import login_files
    from wizard.run.ssh import SSHOptions
    from wizard.session.state import wizard_known_hosts

    trusted: list[tuple[str, str, str, str, str]] = []
    # The lab profile's key and known_hosts unless given; the wizard's own key when it has one.
    identity_files, known_hosts = login_files(answers, identity_files, known_hosts, root)
    user_files = [*HostKeyTrust.default_user_files(), *(Path(p) for p in known_hosts)]
    trust = HostKeyTrust(wizard_file=wizard_known_hosts(root), user_files=user_files,
                         confirm=confirm_host_key, on_trusted=lambda *a: trusted.append(a))
    options = SSHOptions(user=answers.ssh_user, port=answers.ssh_port, connect_timeout=connect_timeout,
                         identity_files=list(identity_files), password=ssh_password)
    conns = Connections(answers, options, trust, lambda event: None, lang=lang)
    checks: list[NodeCheck] = [vboxmanage_check(answers, lang)]  # the host steps' program, first
    if on_result is not None:
        on_result(checks[0])
    try:
        for host in [*answers.directors, *answers.servers]:
            check = NodeCheck(host.name, host.address, reach=describe(answers, host.name, lang))
            try:
                conn = conns.get(host.name)
                check.fingerprint = conn.host_key_fingerprint()
                lines: list[str] = []
                conn.run(DETECT_COMMAND, on_line=lambda stream, text, out=lines: out.append(text), timeout=30)
                os_release, pcs, init = parse_detect_output("\n".join(lines))
                check.system = pretty_os(os_release)
                check.pcs = pcs.splitlines()[0] if pcs else ""
                check.profile = detect_profile(os_release, pcs, init)
            except Exception as exc:  # noqa: BLE001 - every failure is shown in the row of its node
                check.error = msg_of(exc)
            checks.append(check)
            if on_result is not None:
                on_result(check)
    finally:
        conns.close()
    return checks, trusted


def suggested_profile(checks: list[NodeCheck]) -> str | None:
    """The profile the directors agree on (they run pcs), else the most common one."""
    found = [c.profile for c in checks if c.profile]
    if not found:
        return None
    return max(set(found), key=found.count)
