"""The answers as fields a person edits: their paths (`directors[0].external_ip`, also the names validation's
problems use), kinds, groups, which section uses which, and how a field's text maps onto Answers.

The Textual app and plain mode go through the same functions, so a session started in one continues in the
other.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from wizard.base.answers import PROFILES, Answers
from wizard.base.i18n import Msg, msg

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


