"""Odd and hostile values: interface names as udev/systemd make them, VirtualBox names as students have them.

Property tests (hypothesis) with names drawn from every printable character: validation answers with its
own message and nothing else, and every plan line that uses an accepted name still parses (shlex) with
the name as one literal word, exactly where a plain name would be. The files a shell sources (ifcfg) are
sourced by a real bash.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from steps import full_plan
from steps.profiles import get_profile
from wizard.base.answers import PROFILES, Answers, save_answers
from wizard.base.names import ifname_problem, vbox_name_problem
from wizard.base.validation import Problem, validate

ROOT = Path(__file__).resolve().parents[1]
SENTINEL = "Zq9sentinel"

# Every Unicode character but lone surrogates (a TOML file cannot hold them); printable or not.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
PRINTABLE = st.text(st.characters(exclude_categories=("Cs",)).filter(str.isprintable), min_size=1, max_size=40)
# Names mostly made of what a shell or a config file treats specially.
SHELLISH = st.text(st.sampled_from(list(" \"'\\$`;&|<>(){}[]*?!#~=%^,:@-_.aZ0é")), min_size=1, max_size=20)

VBOX_FIELDS = ("directors.0.vm", "directors.1.vm", "servers.1.vm", "virtualbox.natnetwork",
               "virtualbox.heartbeat_network", "virtualbox.internal_network", "snapshot_name")
IF_FIELDS = ("directors.0.external_if", "directors.0.internal_if", "directors.1.heartbeat_if", "servers.0.ifname")


def _set(answers: Answers, path: str, value: str) -> Answers:
    obj = answers
    *parts, last = path.split(".")
    for part in parts:
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    setattr(obj, last, value)
    return answers


def _lines(plan) -> list[tuple[tuple, str]]:
    """(where, text) for every shell line and argument vector of a plan, in plan order (ids aside:
    they embed VM names)."""
    out = []
    for n, (action) in enumerate(a for _, acts in plan for a in acts):
        for field_name in ("command", "probe"):
            text = getattr(action, field_name)
            for i, line in enumerate(text.splitlines()):
                out.append(((n, field_name, i), line))
        argv = getattr(action, "argv", ())
        if argv:
            out.append(((n, "argv", 0), "\0".join(argv)))
        for field_name in ("host", "host_probe"):
            op = getattr(action, field_name, None)
            if op is not None:
                out.append(((n, field_name, 0), json.dumps(_plain(op), ensure_ascii=False)))
    return out


def _plain(value):
    """A HostOp (operations nest: any_of) as JSON-able lists."""
    if hasattr(value, "op") and hasattr(value, "args"):
        return [value.op, _plain(value.args)]
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _substitute(data, value: str):
    if isinstance(data, str):
        return data.replace(SENTINEL, value)
    if isinstance(data, list):
        return [_substitute(d, value) for d in data]
    return data


_SENTINEL_LINES: dict[tuple[str, str], dict[tuple, str]] = {}


def _sentinel_lines(path: str, profile: str) -> dict[tuple, str]:
    """The plan's lines with a plain, unmistakable name in `path`: where the name is used, and how."""
    key = (path, profile)
    if key not in _SENTINEL_LINES:
        plan = full_plan(_set(Answers(profile=profile), path, SENTINEL), get_profile(profile))
        _SENTINEL_LINES[key] = {where: line for where, line in _lines(plan) if SENTINEL in line}
    return _SENTINEL_LINES[key]


def _check_one_literal_word(path: str, value: str, profile: str) -> int:
    """Every line where the plain name stands: same words, the value in place of the plain name."""
    uses = _sentinel_lines(path, profile)  # may be none (the internal network only names itself)
    plan = full_plan(_set(Answers(profile=profile), path, value), get_profile(profile))
    lines = dict(_lines(plan))
    for where, plain in uses.items():
        line = lines[where]
        kind = where[1]
        if kind == "argv":  # one argument each: no quoting at all, the value itself
            assert line.split("\0") == [w.replace(SENTINEL, value) for w in plain.split("\0")], (where, line)
            continue
        if kind in ("host", "host_probe"):  # arguments of a Python procedure: the value itself, never parsed
            assert json.loads(line) == _substitute(json.loads(plain), value), (where, plain, line)
            continue
        words, plain_words = shlex.split(line), shlex.split(plain)
        assert len(words) == len(plain_words), (where, plain, line)
        for word, plain_word in zip(words, plain_words, strict=True):
            # The value itself, or escaped where the word is a regular expression (grep -E patterns).
            assert word in (plain_word.replace(SENTINEL, value), plain_word.replace(SENTINEL, re.escape(value))), (
                where, plain, line)
    return len(uses)


@pytest.mark.parametrize("path", VBOX_FIELDS)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.one_of(SHELLISH, PRINTABLE, ANY_TEXT), profile=st.sampled_from(PROFILES))
@example(value='CentOS 7 "LB 1"', profile="rhel7")
@example(value="it's $(reboot) `x` ; rm -rf / #", profile="rhel9")
def test_vbox_names_are_refused_with_a_message_or_reach_every_line_as_one_word(path: str, value: str,
                                                                             profile: str) -> None:
    answers = _set(Answers(profile=profile), path, value)
    problems = validate(answers)  # never raises: every answer gets a message or nothing
    mine = [p for p in problems if p.field == path.replace(".0.", "[0].").replace(".1.", "[1].")]
    expected = vbox_name_problem(value)
    if expected is None and value not in ("master", "standby", "cluster2", "cluster3", "cluster4"):
        assert problems == [], problems  # printable, not starting with '-': VirtualBox accepts it, so do we
        _check_one_literal_word(path, value, profile)
    elif expected is not None:
        assert len(mine) == 1 and isinstance(mine[0], Problem) and mine[0].message, problems


@pytest.mark.parametrize("path", IF_FIELDS)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.one_of(SHELLISH, ANY_TEXT, st.from_regex(r"[a-z]{1,4}[0-9]{1,3}(\.[0-9]{1,3})?", fullmatch=True)),
       profile=st.sampled_from(PROFILES))
@example(value="eth1;reboot", profile="rhel7")
# Found by a CI run: a probe with a new line inside its quotes (nmcli's expected lines) broke the line reading.
@example(value="_", profile="rhel8")
def test_interface_names_are_what_udev_makes_and_never_need_quoting(path: str, value: str, profile: str) -> None:
    answers = _set(Answers(profile=profile), path, value)
    problems = validate(answers)
    field = path.replace(".0.", "[0].").replace(".1.", "[1].")
    if ifname_problem(value) is None:
        # Only letters, digits, '_', '-', '.': nothing a shell or an ifcfg file could read otherwise.
        assert shlex.quote(value) == value and len(value) <= 15
        assert not [p for p in problems if p.field == field and "interface name" in p.message], problems
        if not problems:
            _check_one_literal_word(path, value, profile)
    else:
        assert [p for p in problems if p.field == field], (value, problems)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(ANY_TEXT, min_size=1, max_size=1))
def test_validation_only_ever_answers_with_its_own_messages(values: list[str]) -> None:
    """Any text in any text field: a list of problems (or none), never an exception."""
    [value] = values
    answers = Answers()
    for f in dataclasses.fields(Answers):
        if f.type in ("str", str):
            setattr(answers, f.name, value)
    for host in [*answers.directors, *answers.servers]:
        for f in dataclasses.fields(host):
            if f.type in ("str", str):
                setattr(host, f.name, value)
    for section in (answers.networks, answers.vip, answers.virtualbox):
        for f in dataclasses.fields(section):
            if f.type in ("str", str):
                setattr(section, f.name, value)
    problems = validate(answers)
    assert all(isinstance(p, Problem) and p.field and p.message for p in problems)


def test_the_guides_vm_name_with_spaces_and_quotes_is_accepted_and_one_word_everywhere(tmp_path: Path) -> None:
    """The issue's case: `vm = "CentOS 7 \\"LB 1\\""` passes `answers check` and every line that names the
    VM, in `ha-wizard plan` too, reads it as one literal word."""
    name = 'CentOS 7 "LB 1"'
    answers = Answers()
    answers.master.vm = name
    answers.virtualbox.natnetwork = "Red NAT 1"
    path = tmp_path / "a.toml"
    save_answers(answers, path)
    assert 'vm = "CentOS 7 \\"LB 1\\""' in path.read_text()
    check = subprocess.run([sys.executable, "-m", "wizard.cli.main", "answers", "check", str(path)], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    for profile in PROFILES:
        assert _check_one_literal_word("directors.0.vm", name, profile) >= 5
        _check_one_literal_word("virtualbox.natnetwork", "Red NAT 1", profile)
    listing = subprocess.run([sys.executable, "-m", "wizard.cli.main", "plan", "--answers", str(path)], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    checked = 0
    for line in listing.stdout.splitlines():
        line = line.strip().removeprefix("# skipped when already done: ")
        if "LB 1" not in line or line.startswith("#"):  # a description, not a command
            continue
        # Within one word, whole: the name itself (an argument) or inside a message that echoes it.
        assert any(name in word for word in shlex.split(line)), line
        checked += 1
    assert checked >= 5, listing.stdout


@pytest.mark.parametrize("value, key", [
    ("eth1;reboot", "val.ifname_chars"), ("eth0.100@eth0", "val.ifname_at"), ("enp0s3\n", "val.ifname_chars"),
    ("a" * 16, "val.ifname_long"), ("-eth0", "val.ifname_start"), (".hidden", "val.ifname_start"),
    ("123", "val.ifname_reserved"), ("all", "val.ifname_reserved"), ("", "val.ifname_empty"),
    ("enp0s3", None), ("eth0.100", None), ("br-lan", None), ("wlp2s0", None), ("enx0800270101c1", None),
])
def test_interface_name_rules(value: str, key: str | None) -> None:
    found = ifname_problem(value)
    assert (found[0] if found else None) == key


@pytest.mark.parametrize("value, key", [
    ("CentOS 7 master", None), ('CentOS 7 "LB 1"', None), ("Red NAT 1", None), ("máquina ñ", None),
    ("it's $HOME `x`", None), ("-master", "val.vbox_dash"), ("tab\there", "val.vbox_unprintable"),
    ("", "val.vbox_empty"), ("x" * 256, "val.vbox_long"), ("nbsp\u00a0", "val.vbox_unprintable"),
])
def test_virtualbox_name_rules(value: str, key: str | None) -> None:
    found = vbox_name_problem(value)
    assert (found[0] if found else None) == key


def test_ifcfg_files_source_as_data_even_with_a_hostile_value(tmp_path: Path) -> None:
    """Defence in depth: the ifcfg template quotes each value for bash, which network-scripts source with."""
    from assets import render

    marker = tmp_path / "pwned"
    hostile = f"eth1;touch {marker};x=$(touch {marker})`touch {marker}`'\""
    text = render("ifcfg.j2", ifname=hostile, ip="10.0.100.1", netmask="255.255.255.0", gateway="", dns="")
    plain = render("ifcfg.j2", ifname="enp0s8", ip="10.0.100.1", netmask="255.255.255.0", gateway="10.0.100.254",
                   dns="")
    assert "DEVICE=enp0s8\n" in plain and "GATEWAY=10.0.100.254\n" in plain  # plain values read as the guide's
    path = tmp_path / "ifcfg-x"
    path.write_text(text)
    r = subprocess.run(["bash", "-c", 'set -e; . "$1"; printf "%s" "$DEVICE"', "bash", str(path)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == hostile and not marker.exists()


def test_answers_check_refuses_shell_syntax_in_interface_names(tmp_path: Path) -> None:
    for field, value in (("external_if", "eth1;reboot"), ("internal_if", "eth1 $(reboot)"), ("ifname", "eth0'")):
        answers = Answers()
        if field == "ifname":
            answers.servers[1].ifname = value
        else:
            setattr(answers.master, field, value)
        path = tmp_path / "a.toml"
        save_answers(answers, path)
        r = subprocess.run([sys.executable, "-m", "wizard.cli.main", "answers", "check", str(path)], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
        where = "servers[1].ifname" if field == "ifname" else f"directors[0].{field}"
        assert r.returncode == 2 and f"{where}: {value!r} is not an interface name" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
