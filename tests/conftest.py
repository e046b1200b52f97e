"""Shared pytest fixtures: the local practice lab (owner: lab), and the parallel run's scheduling.

- marker `lab`: the test needs root, namespaces and the lab's Debian packages; skipped with the reason
  otherwise (scripts/install-deps.sh installs the packages).
- Lab instances (lab/instances.py): every test process (each pytest-xdist worker, or the one pytest)
  has its own instances, named `lab_name(kind)` = t-<worker>-<kind> (t-gw0-prep, t-main-fresh, ...), so
  workers and a developer's own `lab up` never wait for each other. An instance is owned by the process
  that built it; a second test session on the same machine using the same names waits for the first
  (HA_WIZARD_LAB_WAIT seconds, default 1800).
- `lab_prepared` (session): a lab after guide sections 1-4 (`lab up --prepared`: both directors with their
  three NICs and /etc/hosts; no pcs yet), instance t-<worker>-prep, removed at the end of the session.
- `fresh_lab` (function): a factory `fresh_lab(prepared=False, answers=None, host_link=False,
  password_only=None, name=None, image="debian12") -> Lab` building a new lab for a test that changes it (power, cluster,
  clones), instance t-<worker>-fresh unless `name`; torn down after the test. Answers of profile "lab"
  passed in are pointed at that instance (its VBoxManage, key, known_hosts, loopback address).
- Labs are NAT-only (as VirtualBox's NAT network: this machine reaches the guests through port forwards on
  the instance's loopback address; a prepared lab has the wizard's SSH forwards already) unless
  `host_link=True`.
- `built_cluster` (session): the whole guide run headless on a fresh lab (instance t-<worker>-built), once
  per test process (tests/e2e_support.BuiltCluster: answers, lab, state folder, session name, exit status,
  log, wall time). Tests that only need a built cluster use it instead of building their own, and restore
  what they change. Under pytest-xdist they all run on one worker (one xdist group), so it is built once;
  a test that uses its session and then rebuilds its instance (the sh export replayed on a fresh lab,
  `fresh_lab(name=built_cluster.lab.name)`) runs after all of them.
- marker `whole_guide(seconds)`: the test runs the whole guide on a lab of its own (or builds the built
  cluster), about that long alone. Such tests, and the built cluster's group, come first, longest first;
  under `pytest -n N --dist loadgroup` (scripts/test.sh) each starts at once on a worker of its own
  (tests/xdist_schedule.py), while the other tests fill the remaining workers.
- Figures a lab test records with `e2e_support.record_figure(name, value, unit="s")` are printed together at
  the end of the run (e.g. the wizard's headless run beside the Ansible export's run); under pytest-xdist
  they travel to the controller with the test's report.
- `debian13_image` (session): the lab's Debian 13 guest image (lab/images.py), built when absent or out of date
  (scripts/install-deps.sh builds it beforehand; a build needs deb.debian.org): a test on it never skips for
  want of it. Its value is the image's name, for `fresh_lab(image=...)`.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# "built": the BuiltCluster of this test process, once built.
_SESSION: dict[str, object] = {"built": None}
BUILT_GROUP = "built_cluster"
BUILT_SECONDS = 600  # the build (about 230 s alone) and the tests on it, one after another on one worker
WHOLE_GUIDE_GROUP = "whole-guide"  # xdist group prefix of the long units (tests/xdist_schedule.py)


def lab_name(kind: str) -> str:
    """The lab instance of this test process for `kind` (prep, fresh, built, ...): t-<xdist worker>-<kind>."""
    return f"t-{os.environ.get('PYTEST_XDIST_WORKER') or 'main'}-{kind}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "lab: needs root, network namespaces and the lab's Debian packages (slow)")
    if config.pluginmanager.hasplugin("xdist"):
        import xdist_schedule

        config.pluginmanager.register(xdist_schedule, "ha_wizard_xdist_schedule")


def _lab_skip_reason() -> str | None:
    from lab import missing_requirements

    problems = missing_requirements()
    if problems:
        return "lab tests skipped: " + "; ".join(problems)
    return None


def _weight(item: pytest.Item) -> float:
    """Seconds a long unit takes alone (0: an ordinary test)."""
    if "built_cluster" in getattr(item, "fixturenames", ()):
        return BUILT_SECONDS
    mark = item.get_closest_marker("whole_guide")
    if mark is None:
        return 0.0
    return float(mark.args[0] if mark.args else mark.kwargs.get("seconds", 300))


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist names the groups in the node ids (--dist loadgroup)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The long units first, longest first: the built cluster's tests together (in their own order, those that
    # rebuild its instance last), then each whole-guide test; then everything else as collected. Each long
    # unit is an xdist group of its own, named whole-guide-<rank>, so that the parallel run's scheduler
    # (tests/xdist_schedule.py) gives each one a worker of its own from the start.
    def order(item: pytest.Item) -> tuple[float, bool]:
        names = getattr(item, "fixturenames", ())
        return -_weight(item), "built_cluster" in names and "fresh_lab" in names

    items.sort(key=order)
    units = sorted({(-_weight(i), BUILT_GROUP if "built_cluster" in getattr(i, "fixturenames", ()) else i.nodeid)
                    for i in items if _weight(i)})
    rank = {key: n for n, (_, key) in enumerate(units, start=1)}
    for item in items:
        if _weight(item):
            key = BUILT_GROUP if "built_cluster" in getattr(item, "fixturenames", ()) else item.nodeid
            item.add_marker(pytest.mark.xdist_group(f"{WHOLE_GUIDE_GROUP}-{rank[key]:02d}"))
    reason = None
    checked = False
    for item in items:
        if item.get_closest_marker("lab") is None:
            continue
        if not checked:
            reason, checked = _lab_skip_reason(), True
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _own_state_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test has its own wizard state and config folders (sessions, the wizard's key, known_hosts,
    preferences), whatever it forgets to set: tests running side by side (pytest -n) never share a file
    there, and the machine's own folders stay untouched. A test sets its own on top when it needs to."""
    folder = tmp_path_factory.mktemp("wizard-folders", numbered=True)
    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(folder / "state"))
    monkeypatch.setenv("HA_WIZARD_CONFIG_DIR", str(folder / "config"))


def _require_lab() -> None:
    reason = _lab_skip_reason()
    if reason:
        pytest.skip(reason)


def own_lab(answers: object, name: str) -> object:
    """A Lab of instance `name`, this process its owner from now on (before `up`): making its answers hands
    it a loopback address, and meanwhile `lab down --all` elsewhere must leave it alone."""
    from lab import Lab
    from lab.owner import acquire_lab

    acquire_lab(name)  # waits while another test session owns the instance (HA_WIZARD_LAB_WAIT)
    return Lab(answers, name=name)


@pytest.fixture(scope="session")
def lab_prepared() -> Iterator[object]:
    """The lab after guide sections 1-4, shared by the test process; removed at the end (also after failures)."""
    _require_lab()
    from wizard.base.answers import Answers

    lab = own_lab(Answers(), lab_name("prep"))  # its answers point at its forwards (127.0.0.N)
    try:
        lab.up(prepared=True)  # waits while another test session owns this instance, then keeps it
        yield lab
    finally:
        lab.down()


@pytest.fixture
def fresh_lab() -> Iterator[Callable[..., object]]:
    """Factory for a lab of the test's own; the lab is removed after the test (pass or fail)."""
    _require_lab()
    from lab import Lab
    from wizard.base.answers import Answers

    made: list[object] = []

    def make(prepared: bool = False, answers: Answers | None = None, host_link: bool = False,
             password_only: dict[str, str] | None = None, name: str | None = None,
             image: str = "debian12") -> Lab:
        name = name or lab_name("fresh")
        built = _SESSION["built"]
        if built is not None and built.lab.name == name:  # type: ignore[attr-defined]
            _SESSION["built"] = None  # its instance is rebuilt: a later built_cluster user gets a new build
        lab = own_lab(answers or Answers(), name)
        made.append(lab)
        lab.up(prepared=prepared, host_link=host_link, password_only=password_only, image=image)
        return lab

    try:
        yield make
    finally:
        for lab in made:
            lab.down()


@pytest.fixture(scope="session")
def debian13_image() -> str:
    """The Debian 13 guest image, built here when scripts/install-deps.sh has not (a few minutes)."""
    _require_lab()
    from e2e_support import record_figure

    from lab.images import build_image

    # build_image takes the image's own lock (workers asking at once build it once) and refuses to replace
    # an image a running VM uses.
    built = build_image("debian13", log=lambda m: print(f"lab image: {m}", flush=True))
    if built["rebuilt"]:
        record_figure("lab image debian13: built from scratch (debootstrap + apt)", built["seconds"])
    return "debian13"


def pytest_terminal_summary(terminalreporter: object) -> None:
    from e2e_support import FIGURES

    if FIGURES:
        terminalreporter.section("lab figures")  # type: ignore[attr-defined]
        for name, (value, unit) in FIGURES.items():
            shown = f"{value:.0f}" if unit in ("s", "MiB") else f"{value:.1f}"
            terminalreporter.write_line(f"{name}: {shown} {unit}".rstrip())  # type: ignore[attr-defined]


FIGURE = "ha-wizard figure"  # a user property of a test report: (name, value, unit)
_SENT: set[str] = set()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Figures recorded since the last report ride on this one (to the controller, under pytest-xdist)."""
    outcome = yield
    from e2e_support import FIGURES

    report = outcome.get_result()
    for name, (value, unit) in FIGURES.items():
        if name not in _SENT:
            _SENT.add(name)
            report.user_properties.append((FIGURE, (name, value, unit)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    from e2e_support import FIGURES

    for key, figure in report.user_properties:
        if key == FIGURE:
            name, value, unit = figure
            FIGURES[name] = (value, unit)


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
    from lab.owner import acquire_lab

    state_dir = tmp / "state"
    answers_file = tmp / "lab.toml"
    name = lab_name("built")
    acquire_lab(name)  # ours before `lab answers` hands it an address (see own_lab)
    answers = init_answers(answers_file, name)  # `ha-wizard lab answers --name NAME -o lab.toml`
    lab = Lab(answers, name=name)
    lab.up(prepared=False)  # NAT-only, as VirtualBox: the wizard makes its own way in
    start = time.monotonic()
    done = subprocess.run(wizard_cmd(*run_args(answers_file, "e2e")), env=wizard_env(state_dir, lab),
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
    """The guide's cluster, built headless once per test process (see the module doc)."""
    _require_lab()
    built = _SESSION["built"]
    if built is None:
        factory: pytest.TempPathFactory = _built_cluster_session["tmp"]  # type: ignore[assignment]
        built = _build_cluster(factory.mktemp("built-cluster"))
        _SESSION["built"] = built
    return built


@pytest.fixture
def as_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A student's home for the app's tests: the wizard's state and config folders and HOME (no known_hosts or
    ssh config of the machine) in the test's own folder. Test files needing more override it, asking for it."""
    root = tmp_path / "state"
    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(root))
    monkeypatch.setenv("HA_WIZARD_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))
    return root
