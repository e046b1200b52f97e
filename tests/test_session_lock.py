"""One runner per session: a second `run --resume`, the app or plain mode is refused at once while a
session runs; listing and export stay allowed; the lock goes with its holder (exit, crash, SIGKILL).

Real processes: the first runner is the real `run` command (with a plan of local commands: the real
plan needs the lab), the second is the real `ha-wizard` CLI or the app under Pilot.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from local_plan import STEPS, cli, make_env, start_runner, wait_for

from wizard.base.answers import Answers, save_answers
from wizard.session.lock import SessionBusy, SessionLock, holder
from wizard.session.state import Session, SessionInUse


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return make_env(tmp_path)


def _new_session(tmp_path: Path, name: str) -> None:
    Session.create(name, Answers(profile="lab"), "lab", root=tmp_path / "state").save()


def test_second_run_is_refused_at_once_and_the_first_finishes_unharmed(tmp_path: Path, env: dict[str, str]) -> None:
    _new_session(tmp_path, "busy")
    hold = tmp_path / "hold"
    hold.touch()  # the first run waits in its second step until the checks below are done
    first, marks = start_runner(tmp_path, dict(env, LOCAL_PLAN_HOLD=str(hold)), "--resume", "busy")
    wait_for(lambda: marks.exists() and marks.read_text().count("\n") >= 1)

    start = time.monotonic()
    second = cli(["run", "--resume", "busy", "--yes"], env)
    took = time.monotonic() - start
    assert second.returncode == 2, second.stdout + second.stderr
    assert took < 10, took
    assert "session 'busy' is in use" in second.stderr and f"pid {first.pid} " in second.stderr, second.stderr
    assert "`ha-wizard run`" in second.stderr and "Traceback" not in second.stderr

    # In Spanish too (the catalogue's text).
    spanish = cli(["--lang", "es", "run", "--resume", "busy"], env)
    assert spanish.returncode == 2 and "la sesión 'busy' está en uso" in spanish.stderr, spanish.stderr

    # Reading stays allowed meanwhile, and the listing says who runs it.
    listing = cli(["sessions"], env)
    assert listing.returncode == 0, listing.stderr
    row = next(line for line in listing.stdout.splitlines() if "busy" in line)
    assert f"pid {first.pid} (`ha-wizard run`)" in row, listing.stdout
    export = cli(["export", "busy", "--format", "md"], env)
    assert export.returncode == 0 and "busy" in export.stdout, export.stderr

    assert first.poll() is None
    hold.unlink()
    out, _ = first.communicate(timeout=60)
    assert first.returncode == 0, out
    # Each step ran exactly once, in order: nothing of the refused run interleaved.
    assert marks.read_text() == "".join(f"s{i}\n" for i in range(STEPS))
    state = json.loads((tmp_path / "state" / "sessions" / "busy" / "state.json").read_text())
    assert [state["actions"][f"t.s{i}"]["runs"] for i in range(STEPS)] == [1] * STEPS
    assert [e["action_id"] for e in state["journal"]] == [f"t.s{i}" for i in range(STEPS)]
    # Released at the end: nobody holds it, and the listing shows no holder.
    assert holder(tmp_path / "state" / "sessions" / "busy") is None
    row = next(line for line in cli(["sessions"], env).stdout.splitlines() if "busy" in line)
    assert "pid" not in row


def test_a_sigkilled_runner_leaves_no_lock_behind(tmp_path: Path, env: dict[str, str]) -> None:
    first, marks = start_runner(tmp_path, env, "--answers", str(_answers(tmp_path)), "--session", "killed")
    wait_for(lambda: marks.exists() and marks.read_text())
    folder = tmp_path / "state" / "sessions" / "killed"
    who = holder(folder)
    assert who and who is not True and who.pid == first.pid and who.front == "run" and who.here
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)
    # The holder file is still there (nobody removed it) but the kernel dropped the lock with the process.
    assert (folder / "holder.json").exists() and holder(folder) is None
    again, marks = start_runner(tmp_path, env, "--resume", "killed", "--yes")
    out, _ = again.communicate(timeout=60)
    assert again.returncode == 0, out


def _answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.toml"
    save_answers(Answers(profile="lab"), path)
    return path


def test_lock_in_process_names_the_holder_and_peeks_do_not_block_runners(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    first = SessionLock(folder)
    first.acquire("app")
    with pytest.raises(SessionBusy) as busy:
        SessionLock(folder).acquire("run")
    assert busy.value.holder is not None and busy.value.holder.pid == os.getpid()
    assert busy.value.holder.front == "app"
    for _ in range(50):  # peeking never takes the lock from its holder
        assert holder(folder).pid == os.getpid()
    first.release()
    assert holder(folder) is None and not (folder / "holder.json").exists()
    # A peek in progress (a shared lock held) delays a runner by an instant, never refuses it.
    peek = open(folder / "run.lock", "rb")  # noqa: SIM115
    import fcntl

    fcntl.flock(peek.fileno(), fcntl.LOCK_SH)
    second = SessionLock(folder)
    import threading

    threading.Timer(0.1, lambda: fcntl.flock(peek.fileno(), fcntl.LOCK_UN)).start()
    second.acquire("run")
    assert second.held
    second.release()
    peek.close()


def test_session_claims_and_engine_safety_net(tmp_path: Path) -> None:
    from wizard.run.engine import Engine, section

    s = Session.create("e", Answers(profile="lab"), "lab", root=tmp_path, claim="app")
    with pytest.raises(SessionInUse, match="the ha-wizard app"):
        Session.load("e", root=tmp_path, claim="run")
    s.release()
    # An engine made over a session nobody claimed claims it (scripts, tests) and lets it go on close.
    other = Session.load("e", root=tmp_path)
    engine = Engine(other, {}, None, plan=[section("t", "T", [])])
    with pytest.raises(SessionInUse, match="`ha-wizard run`"):
        Session.load("e", root=tmp_path, claim="plain")
    engine.close()
    Session.load("e", root=tmp_path, claim="plain").release()


async def test_the_app_refuses_a_session_another_process_runs(tmp_path: Path, env: dict[str, str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from wizard.ui.app import WizardApp
    from wizard.ui.screens.section import SectionScreen

    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    _new_session(tmp_path, "busy")
    hold = tmp_path / "hold"
    hold.touch()
    first, marks = start_runner(tmp_path, dict(env, LOCAL_PLAN_HOLD=str(hold)), "--resume", "busy")
    try:
        wait_for(lambda: marks.exists() and marks.read_text())
        before = marks.read_text()
        app = WizardApp(lang="es")
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            start = time.monotonic()
            app.resume_session("busy")
            await pilot.pause()
            assert time.monotonic() - start < 10
            assert app.session is None and not isinstance(app.screen, SectionScreen)
            messages = [str(n.message) for n in app._notifications]
            assert any("la sesión 'busy' está en uso" in m and f"pid {first.pid} " in m for m in messages), messages
        assert first.poll() is None
        hold.unlink()
        out, _ = first.communicate(timeout=60)
        assert first.returncode == 0, out
        assert marks.read_text().startswith(before)
        assert marks.read_text() == "".join(f"s{i}\n" for i in range(STEPS))
        # Once the run has ended, the app opens the session (and holds it while open).
        app = WizardApp(lang="en")
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.resume_session("busy")
            await pilot.pause()
            assert app.session is not None and app.session.claimed
            assert holder(tmp_path / "state" / "sessions" / "busy").front == "app"
            await pilot.press("ctrl+q")
        assert holder(tmp_path / "state" / "sessions" / "busy") is None
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate(timeout=10)


def test_plain_mode_refuses_a_session_another_process_runs(tmp_path: Path, env: dict[str, str]) -> None:
    pexpect = pytest.importorskip("pexpect")
    import sys

    _new_session(tmp_path, "busy")
    hold = tmp_path / "hold"
    hold.touch()
    first, marks = start_runner(tmp_path, dict(env, LOCAL_PLAN_HOLD=str(hold)), "--resume", "busy")
    try:
        wait_for(lambda: marks.exists() and marks.read_text())
        child = pexpect.spawn(sys.executable, ["-m", "wizard.cli.main", "--plain", "--lang", "en"],
                              env=dict(env, TERM="xterm"), encoding="utf-8", dimensions=(40, 200), timeout=30)
        try:
            child.expect("What do you want to do")
            child.send("\x1b[B\r")  # Resume
            child.expect("Which session")
            child.send("\r")
            child.expect("session 'busy' is in use")
            child.expect(f"pid {first.pid} ")
            child.expect("What do you want to do")  # back to the menu, nothing run
            assert first.poll() is None
        finally:
            child.terminate(force=True)
        hold.unlink()
        out, _ = first.communicate(timeout=60)
        assert first.returncode == 0, out
        assert marks.read_text() == "".join(f"s{i}\n" for i in range(STEPS))
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate(timeout=10)
