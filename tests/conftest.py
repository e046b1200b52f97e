"""Shared pytest fixtures: the local practice lab (owner: lab).

- marker `lab`: the test needs root, namespaces and the lab's Debian packages; skipped with the reason
  otherwise (scripts/install-deps.sh installs the packages).
- One lab per machine: the process that builds it owns it until `down()` (lab.core.acquire_lab); a second
  test session on the same machine waits for the first (HA_WIZARD_LAB_WAIT seconds, default 1800).
- `lab_prepared` (session): a lab after guide sections 1-4 (`lab up --prepared`: both directors with their
  three NICs and /etc/hosts; no pcs yet). `lab down` runs before it is built and at the end of the session,
  whatever the tests did.
- `fresh_lab` (function): a factory `fresh_lab(prepared=False, answers=None) -> Lab` building a new lab
  for a test that changes it (power, cluster, clones); torn down after the test. Only one lab exists on a
  machine at a time, so when the session's prepared lab existed it is rebuilt (fresh) afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

_SESSION: dict[str, object] = {"lab": None}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "lab: needs root, network namespaces and the lab's Debian packages (slow)")


def _lab_skip_reason() -> str | None:
    from lab import missing_requirements

    problems = missing_requirements()
    if problems:
        return "lab tests skipped: " + "; ".join(problems)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = None
    checked = False
    for item in items:
        if item.get_closest_marker("lab") is None:
            continue
        if not checked:
            reason, checked = _lab_skip_reason(), True
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


def _require_lab() -> None:
    reason = _lab_skip_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def lab_prepared() -> Iterator[object]:
    """The lab after guide sections 1-4, shared by the session; removed at the end (also after failures)."""
    _require_lab()
    from lab import Lab
    from wizard.answers import Answers

    # Waits while another test session on this machine owns the lab (one lab per machine), then keeps it.
    Lab().down(keep_ownership=True)
    lab = Lab(Answers())
    try:
        lab.up(prepared=True)
        _SESSION["lab"] = lab
        yield lab
    finally:
        _SESSION["lab"] = None
        lab.down()


@pytest.fixture
def fresh_lab() -> Iterator[Callable[..., object]]:
    """Factory for a lab of the test's own; the lab is removed after the test (pass or fail)."""
    _require_lab()
    from lab import Lab
    from wizard.answers import Answers

    made: list[object] = []

    def make(prepared: bool = False, answers: Answers | None = None) -> Lab:
        lab = Lab(answers or Answers())
        made.append(lab)
        lab.up(prepared=prepared)
        return lab

    try:
        yield make
    finally:
        shared = _SESSION["lab"]
        for lab in made:
            lab.down(keep_ownership=shared is not None)
        if made and shared is not None:
            shared.up(prepared=True)  # the session's lab was replaced: give it back, fresh


@pytest.fixture
def as_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")
