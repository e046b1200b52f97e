"""The app's and plain mode's shared helpers (wizard.base.fields): pure functions."""

from __future__ import annotations

import pytest

from wizard.base.answers import Answers
from wizard.base.fields import get_value, inventory_fields, set_value
from wizard.run.inventory import detect_profile, parse_detect_output
from wizard.session.progress import next_session_name, section_status

CENTOS7 = 'NAME="CentOS Linux"\nVERSION_ID="7"\nID="centos"\nID_LIKE="rhel fedora"\n'
ROCKY9 = 'NAME="Rocky Linux"\nVERSION_ID="9.4"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
ALMA8 = 'ID="almalinux"\nVERSION_ID="8.10"\nID_LIKE="rhel centos fedora"\n'
DEBIAN12 = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
UBUNTU = 'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n'


@pytest.mark.parametrize(("os_release", "pcs", "init", "expected"), [
    (CENTOS7, "0.9.169", "systemd", "rhel7"),
    (ROCKY9, "0.11.7", "systemd", "rhel9"),
    (ALMA8, "0.10.18", "systemd", "rhel8"),
    (ROCKY9, "0.9.170", "systemd", "rhel9"),  # the syntax follows the pcs found, the profile the system
    (DEBIAN12, "0.11.5", "systemd", "debian12"),
    (UBUNTU, "", "systemd", None),  # netplan, not ifupdown: no profile is made for it
    (DEBIAN12, "0.11.5", "hostinit.py", "lab"),  # no systemd as PID 1: the practice lab
    ("ID=arch\n", "", "systemd", None),
    ("", "", "", None),
])
def test_detect_profile(os_release: str, pcs: str, init: str, expected: str | None) -> None:
    assert detect_profile(os_release, pcs, init) == expected


def test_parse_detect_output() -> None:
    text = f"{DEBIAN12}---ha-wizard---\n0.11.5\n---ha-wizard---\nsystemd\n"
    os_release, pcs, init = parse_detect_output(text)
    assert "bookworm" in os_release and pcs == "0.11.5" and init == "systemd"
    assert parse_detect_output("") == ("", "", "")


def test_every_inventory_field_round_trips() -> None:
    answers = Answers()
    for spec in inventory_fields(answers):
        text = get_value(answers, spec.path)
        assert set_value(answers, spec.path, text, spec.kind) is None, spec.path
        assert get_value(answers, spec.path) == text
    assert set_value(answers, "ssh_port", "22x", "int") is not None
    assert answers.ssh_port == 22  # a bad number is not stored
    set_value(answers, "directors[0].aliases", "cluster1, lb-a ,", "list")
    assert answers.directors[0].aliases == ["cluster1", "lb-a"]
    set_value(answers, "servers[2].ip", " 10.0.100.44 ", "str")
    assert answers.servers[2].ip == "10.0.100.44"


def test_session_names_and_section_status() -> None:
    assert next_session_name([]) == "session-1"
    assert next_session_name(["session-1", "session-3"]) == "session-2"
    assert section_status(["ok", "skipped", "edited"]) == "ok"
    assert section_status(["ok", "pending"]) == "partial"
    assert section_status(["ok", "failed"]) == "failed"
    assert section_status(["running", "failed"]) == "running"
    assert section_status(["pending"]) == "pending"
