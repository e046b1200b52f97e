"""What a name may be, where the name reaches a command or a file: pure rules for wizard/base/validation.py.

Each rule returns None for a good name, or the catalogue key (wizard/i18n.py, `val.*`) and the values of
the message that says what is wrong. The rules never raise, whatever the text.

- Interface names: what udev/systemd and the kernel produce (`enp0s3`, `eth0`, `ens33`, `eth0.100`,
  `bond0`, `br-lan`): ASCII letters, digits, `_`, `-` and `.`, at most 15 (the kernel's IFNAMSIZ less its
  NUL), not starting with `-` or `.`, not all digits, not `all`/`default` (sysctl's reserved names). They go
  into ifcfg files that network-scripts source with bash, and into `ip` commands: nothing of a shell's
  syntax may pass. `@` is refused with its own message: `ip link` prints `eth0.100@eth0`, where what follows
  `@` is the parent link, not part of the name.
- VirtualBox names (VMs, NAT and internal networks, snapshots): any printable text VirtualBox accepts
  (spaces, quotes, accents: "CentOS 7 master", "Red NAT 1"). The steps pass them as one argument each
  (argv) and quote them in every shell line shown. Refused: empty, control or other unprintable characters
  (VirtualBox shows none of them, a terminal would not show them either), a leading `-` (VBoxManage reads
  such an argument as an option: the UUID works instead), and more than 255 characters.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

Problem = tuple[str, dict[str, Any]]

IFNAME_MAX = 15
VBOX_NAME_MAX = 255
_IFNAME_CHAR = re.compile(r"[A-Za-z0-9_.-]")


def _shown(chars: list[str]) -> str:
    """Characters as a person can tell them apart: 'x' for visible ones, U+0009 for the rest."""
    out = []
    for c in dict.fromkeys(chars):
        out.append(repr(c) if c.isprintable() and not c.isspace() else f"U+{ord(c):04X}")
    return " ".join(out)


def _looks_like_address(value: str) -> bool:
    try:
        ipaddress.ip_interface(value)
    except ValueError:
        return False
    return True


def ifname_problem(value: Any) -> Problem | None:
    if not isinstance(value, str) or not value:
        return "val.ifname_empty", {}
    if "@" in value and _IFNAME_CHAR.match(value[0]):
        return "val.ifname_at", {"value": value, "name": value.split("@", 1)[0]}
    if _looks_like_address(value):  # a valid name by its characters, but surely an IP typed in the wrong field
        return "val.ifname_address", {"value": value}
    bad = [c for c in value if not _IFNAME_CHAR.fullmatch(c)]
    if bad:
        return "val.ifname_chars", {"value": value, "chars": _shown(bad)}
    if len(value) > IFNAME_MAX:
        return "val.ifname_long", {"value": value, "n": len(value), "max": IFNAME_MAX}
    if value[0] in "-.":
        return "val.ifname_start", {"value": value}
    if value.isdigit() or value in ("all", "default"):
        return "val.ifname_reserved", {"value": value}
    return None


def vbox_name_problem(value: Any) -> Problem | None:
    """A VM, network or snapshot name of VirtualBox's."""
    if not isinstance(value, str) or not value:
        return "val.vbox_empty", {}
    bad = [c for c in value if not c.isprintable()]
    if bad:
        return "val.vbox_unprintable", {"value": value, "chars": _shown(bad)}
    if value.startswith("-"):
        return "val.vbox_dash", {"value": value}
    if len(value) > VBOX_NAME_MAX:
        return "val.vbox_long", {"n": len(value), "max": VBOX_NAME_MAX}
    return None
