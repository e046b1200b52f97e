"""What the Textual app and plain mode share, without any UI import: the inventory's fields and how
their text maps onto Answers, statuses of actions and sections, profile detection, session names and
the export call.

Both front ends go through the same functions so that a session started in one continues in the other.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.base.answers import PROFILES, Answers
from wizard.base.i18n import EMPTY, Msg, msg, msg_of

STATUS_ICONS = {"pending": "·", "running": "▶", "ok": "✔", "failed": "✘", "skipped": "↷", "edited": "✎",
                "stopped": "■"}
DONE_STATUSES = ("ok", "skipped", "edited")
SECRET_HACLUSTER = "hacluster_password"

# Which answers each section uses, as field path patterns (`*` = every director/server).
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "snapshot": ("snapshot_name", "directors[*].vm", "servers[*].vm"),
    "nic_add": ("directors[0].heartbeat_if", "directors[0].heartbeat_ip", "directors[0].heartbeat_mac",
                "virtualbox.heartbeat_network", "virtualbox.nic_type", "networks.heartbeat"),
    "standby_clone": ("directors[1].vm", "virtualbox.standby_macs"),
    "networking": ("directors[1].external_ip", "directors[1].internal_ip", "directors[1].heartbeat_ip",
                   "networks.external_gateway", "networks.dns", "domain"),
    "pcs_auth": ("directors[0].ring_name", "directors[1].ring_name"),
    "cluster_setup": ("cluster_name", "directors[0].ring_name", "directors[1].ring_name"),
    "properties": (),
    "resources": ("vip.external", "vip.internal", "directors[0].external_if", "directors[0].internal_if"),
    "constraints": ("directors[0].ring_name",),
    "gateway": ("servers[*].ip", "vip.internal"),
    "verification": ("vip.external", "virtualbox.host_port", "bench_requests", "bench_concurrency",
                     "pi_intervals"),
}


@dataclass(frozen=True)
class FieldSpec:
    path: str  # "directors[0].external_ip": also the field name validation's problems use
    label_key: str  # i18n key, "field.<leaf>"
    kind: str  # "str" | "int" | "list" | "choice"
    group: str  # "general" | "networks" | "vip" | "director:0" | "server:1" | "virtualbox"
    choices: tuple[str, ...] = ()


_GENERAL = (("profile", "choice"), ("cluster_name", "str"), ("snapshot_name", "str"), ("domain", "str"),
            ("ssh_user", "str"), ("ssh_port", "int"))
_BENCH = (("bench_requests", "int"), ("bench_concurrency", "int"), ("pi_intervals", "int"))
_DIRECTOR = (("name", "str"), ("aliases", "list"), ("ring_name", "str"), ("vm", "str"),
             ("external_if", "str"), ("external_ip", "str"), ("internal_if", "str"), ("internal_ip", "str"),
             ("heartbeat_if", "str"), ("heartbeat_ip", "str"), ("heartbeat_mac", "str"), ("ssh_host", "str"),
             ("ssh_port", "int"))
_SERVER = (("name", "str"), ("vm", "str"), ("ifname", "str"), ("ip", "str"), ("ssh_host", "str"), ("ssh_port", "int"))
_VBOX = (("natnetwork", "str"), ("heartbeat_network", "str"), ("internal_network", "str"),
         ("nic_type", "str"), ("host_port", "int"), ("standby_macs", "list"), ("vboxmanage", "str"))


def inventory_fields(answers: Answers) -> list[FieldSpec]:
    """Every editable value, in the order the inventory shows them."""
    out = [FieldSpec(k, f"field.{k}", kind, "general", PROFILES if kind == "choice" else ())
           for k, kind in _GENERAL]
    out += [FieldSpec(f"networks.{f.name}", f"field.{f.name}", "str", "networks")
            for f in dataclasses.fields(answers.networks)]
    out += [FieldSpec(f"vip.{f.name}", f"field.{f.name}", "str", "vip") for f in dataclasses.fields(answers.vip)]
    for i in range(len(answers.directors)):
        out += [FieldSpec(f"directors[{i}].{k}", f"field.{k}", kind, f"director:{i}") for k, kind in _DIRECTOR]
    for i in range(len(answers.servers)):
        out += [FieldSpec(f"servers[{i}].{k}", f"field.{k}", kind, f"server:{i}") for k, kind in _SERVER]
    out += [FieldSpec(f"virtualbox.{k}", f"field.{k}", kind, "virtualbox") for k, kind in _VBOX]
    out += [FieldSpec(k, f"field.{k}", kind, "general") for k, kind in _BENCH]
    return out


_STEP = re.compile(r"^([a-z_]+)(?:\[(\d+)\])?$")


def _resolve(answers: Answers, path: str) -> tuple[Any, str]:
    """(object holding the leaf, leaf attribute name) for a field path."""
    parts = path.split(".")
    obj: Any = answers
    for part in parts[:-1]:
        m = _STEP.match(part)
        if not m:
            raise KeyError(path)
        obj = getattr(obj, m.group(1))
        if m.group(2) is not None:
            obj = obj[int(m.group(2))]
    return obj, parts[-1]


def get_value(answers: Answers, path: str) -> str:
    obj, leaf = _resolve(answers, path)
    value = getattr(obj, leaf)
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def set_value(answers: Answers, path: str, text: str, kind: str) -> Msg | None:
    """Store the typed text into `answers`. Returns a parse problem or None.

    Values are stored even when validation will reject them, so that the problems name the field;
    only a text that cannot be the field's type (a port that is not a number) is kept out.
    """
    obj, leaf = _resolve(answers, path)
    if kind == "int":
        try:
            setattr(obj, leaf, int(text.strip()))
        except ValueError:
            return msg("inv.not_int", value=text)
        return None
    if kind == "list":
        setattr(obj, leaf, [p.strip() for p in text.split(",") if p.strip()])
        return None
    setattr(obj, leaf, text.strip())
    return None


def section_field_paths(section_id: str, answers: Answers) -> list[str]:
    paths: list[str] = []
    for pattern in SECTION_FIELDS.get(section_id, ()):
        if "[*]" in pattern:
            group = pattern.split("[", 1)[0]
            paths += [pattern.replace("[*]", f"[{i}]") for i in range(len(getattr(answers, group)))]
        else:
            paths.append(pattern)
    return paths


def field_spec(answers: Answers, path: str) -> FieldSpec:
    for spec in inventory_fields(answers):
        if spec.path == path:
            return spec
    raise KeyError(path)


def section_status(statuses: list[str]) -> str:
    """One status for a section from its actions' statuses."""
    if not statuses:
        return "ok"
    if "running" in statuses:
        return "running"
    if "failed" in statuses:
        return "failed"
    if all(s in DONE_STATUSES for s in statuses):
        return "ok"
    if any(s in DONE_STATUSES for s in statuses):
        return "partial"
    return "pending"


SECTION_ICONS = {**STATUS_ICONS, "partial": "◐", "undone": "↺"}


def next_session_name(existing: list[str], stem: str = "session") -> str:
    """`session-1`, `session-2`…: predictable (no clock), never an existing name."""
    taken = set(existing)
    for n in range(1, 10_000):
        name = f"{stem}-{n}"
        if name not in taken:
            return name
    raise ValueError("too many sessions")


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


def export_transcript(session: Any, fmt: str, path: str | Path) -> Path:
    """Write the session's transcript (`sh` or `md`, wizard.exports.transcript) to `path`; returns the path."""
    from wizard.exports.transcript import render

    path = Path(path).expanduser()
    text = render(session, fmt)
    path.write_text(text, encoding="utf-8")
    if fmt == "sh":
        path.chmod(0o700)
    return path


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
    from wizard.run.engine import Connections
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
