"""Shared pytest fixtures: the local practice lab (owner: lab).

- marker `lab`: the test needs root, namespaces and the lab's Debian packages; skipped with the reason
  otherwise (scripts/install-deps.sh installs the packages).
- One lab per machine: the process that builds it owns it until `down()` (lab.core.acquire_lab); a second
  test session on the same machine waits for the first (HA_WIZARD_LAB_WAIT seconds, default 1800).
- `lab_prepared` (session): a lab after guide sections 1-4 (`lab up --prepared`: both directors with their
  three NICs and /etc/hosts; no pcs yet). `lab down` runs before it is built and at the end of the session,
  whatever the tests did.
- `fresh_lab` (function): a factory `fresh_lab(prepared=False, answers=None, host_link=False,
  password_only=None, image="debian12") -> Lab` building a new lab for a test that changes it (power, cluster, clones); torn
  down after the test. Only one lab exists on a machine at a time, so when the session's prepared lab
  existed it is rebuilt (fresh) afterwards.
- Labs are NAT-only (as VirtualBox's NAT network: this machine reaches the guests through port forwards;
  a prepared lab has the wizard's SSH forwards already) unless `host_link=True`.
- `built_cluster` (session): the whole guide run headless on a fresh lab, once per session
  (tests/e2e_support.BuiltCluster: answers, lab, state folder, session name, exit status, log, wall time).
  Tests that only need a built cluster use it instead of building their own, and restore what they change.
  Tests using it run last (see pytest_collection_modifyitems), so no other lab replaces it in between; if one
  does anyway, the next test asking for it gets it rebuilt. A test that uses its session and then a lab of its
  own (the sh export replayed on a fresh lab) runs after all of them.
- `debian13_image` (session): the lab's Debian 13 guest image (lab/images.py), built when absent or out of date
  (scripts/install-deps.sh builds it beforehand; a build needs deb.debian.org): a test on it never skips for
  want of it. Its value is the image's name, for `fresh_lab(image=...)`.
- Figures a lab test records with `e2e_support.record_figure(name, seconds)` are printed together at the end
  of the run (e.g. the wizard's headless run beside the Ansible export's run).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# "lab": the session's prepared lab (lab_prepared), "built": the BuiltCluster whose lab is up, if any.
_SESSION: dict[str, object] = {"lab": None, "built": None}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "lab: needs root, network namespaces and the lab's Debian packages (slow)")


def _lab_skip_reason() -> str | None:
    from lab import missing_requirements

    problems = missing_requirements()
    if problems:
        return "lab tests skipped: " + "; ".join(problems)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Tests on the built cluster last (in their own order): one build serves them all; of those, the ones that
    # also make a lab of their own (which replaces the built one) come at the very end.
    def order(item: pytest.Item) -> tuple[bool, bool]:
        names = getattr(item, "fixturenames", ())
        return "built_cluster" in names, "built_cluster" in names and "fresh_lab" in names

    items.sort(key=order)
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
    from wizard.base.answers import Answers

    # Waits while another test session on this machine owns the lab (one lab per machine), then keeps it.
    Lab().down(keep_ownership=True)
    _SESSION["built"] = None
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
    from wizard.base.answers import Answers

    made: list[object] = []

    def make(prepared: bool = False, answers: Answers | None = None, host_link: bool = False,
             password_only: dict[str, str] | None = None, image: str = "debian12") -> Lab:
        _SESSION["built"] = None  # replaced: a later built_cluster user gets a new build
        lab = Lab(answers or Answers())
        made.append(lab)
        lab.up(prepared=prepared, host_link=host_link, password_only=password_only, image=image)
        return lab

    try:
        yield make
    finally:
        shared = _SESSION["lab"]
        for lab in made:
            lab.down(keep_ownership=shared is not None)
        if made and shared is not None:
            shared.up(prepared=True)  # the session's lab was replaced: give it back, fresh


@pytest.fixture(scope="session")
def debian13_image() -> str:
    """The Debian 13 guest image, built here when scripts/install-deps.sh has not (a few minutes)."""
    _require_lab()
    from e2e_support import record_figure

    from lab.core import acquire_lab
    from lab.images import build_image

    # Owned like a lab (one per machine): no other session's lab runs on the old image while it is replaced,
    # and none is torn down and rebuilt meanwhile.
    acquire_lab()
    built = build_image("debian13", log=lambda m: print(f"lab image: {m}", flush=True))
    if built["rebuilt"]:
        record_figure("lab image debian13: built from scratch (debootstrap + apt)", built["seconds"])
    return "debian13"


def pytest_terminal_summary(terminalreporter: object) -> None:
    from e2e_support import FIGURES

    if FIGURES:
        terminalreporter.section("lab figures")  # type: ignore[attr-defined]
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value:.0f} s")  # type: ignore[attr-defined]


def _build_cluster(tmp: Path) -> object:
    from e2e_support import (
        RUN_TIMEOUT,
        SKIPPED_BY_THE_ANSIBLE_TEST,
        BuiltCluster,
        init_answers,
        load_state,
        record_figure,
        run_args,
        seconds_of,
        wizard_cmd,
        wizard_env,
    )

    from lab import Lab

    state_dir = tmp / "state"
    answers_file = tmp / "lab.toml"
    answers = init_answers(answers_file, wizard_env(state_dir))  # `ha-wizard answers init --profile lab`
    Lab().down(keep_ownership=True)  # whatever lab was there (the session's prepared one, say)
    lab = Lab(answers)
    lab.up(prepared=False)  # NAT-only, as VirtualBox: the wizard makes its own way in
    start = time.monotonic()
    done = subprocess.run(wizard_cmd(*run_args(answers_file, "e2e")), env=wizard_env(state_dir),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    wall = time.monotonic() - start
    log = done.stdout + done.stderr
    (tmp / "run.log").write_text(log)
    if done.returncode == 0:
        record_figure("wizard: the whole guide headless (ha-wizard run)", wall)
        record_figure("wizard: its actions but the failover tests and benchmarks (as the Ansible lab test runs)",
                      seconds_of(load_state(state_dir, "e2e"), answers, SKIPPED_BY_THE_ANSIBLE_TEST))
    return BuiltCluster(answers, lab, answers_file, state_dir, "e2e", done.returncode, log, wall)


@pytest.fixture(scope="session")
def _built_cluster_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    holder: dict[str, object] = {"tmp": tmp_path_factory}
    try:
        yield holder
    finally:
        built = _SESSION["built"]
        _SESSION["built"] = None
        if built is not None:
            built.lab.down()  # type: ignore[attr-defined]


@pytest.fixture
def built_cluster(_built_cluster_session: dict[str, object]) -> object:
    """The guide's cluster, built headless once per session (see the module doc)."""
    _require_lab()
    built = _SESSION["built"]
    if built is None:
        factory: pytest.TempPathFactory = _built_cluster_session["tmp"]  # type: ignore[assignment]
        built = _build_cluster(factory.mktemp("built-cluster"))
        _SESSION["built"] = built
        _SESSION["lab"] = None  # the prepared lab (if any) is gone
    return built


@pytest.fixture
def as_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")
