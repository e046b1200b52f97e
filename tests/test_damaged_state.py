"""Damaged checkpoints: a truncated or hand-edited state file, a missing folder, a full disk while saving,
a checkpoint from another version. `sessions`, `run --resume`, `export` and the app each say what is wrong
(exit 2, no traceback), nothing is overwritten, and the last good copy brings the session back.

Real processes and files: the real CLI, the real `run` (a plan of local commands, tests/local_plan.py),
the app under Pilot; the full disk is a real small tmpfs where the machine allows mounting one, and an
injected ENOSPC at the write everywhere.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from local_plan import ROOT, RUNNER, STEPS, cli, make_env, start_runner, wait_for

from wizard.base.answers import Answers
from wizard.session import state as state_mod
from wizard.session.state import GOOD_FILE, STATE_FILE, Session, list_sessions

GOLDEN_V1 = ROOT / "tests" / "golden" / "state-v1.json"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return make_env(tmp_path)


def _session_with_progress(tmp_path: Path, name: str = "s") -> Path:
    """A session of the local plan with t.s0 and t.s1 done (two saves: a good copy exists)."""
    s = Session.create(name, Answers(profile="lab"), "lab", root=tmp_path / "state")
    s.plan = [{"id": f"t.s{i}", "section": "t"} for i in range(STEPS)]
    for i in range(2):
        rec = s.record(f"t.s{i}")
        rec.status, rec.runs, rec.exit_codes = "ok", 1, {"local": 0}
        s.save()
    folder = s.folder
    assert (folder / GOOD_FILE).exists()
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name.startswith("state")}


def _every_reader_refuses(name: str, env: dict[str, str], *needles: str) -> None:
    """`sessions`, `run --resume` and `export`: exit 2, the message, no traceback."""
    for args in (["sessions"], ["run", "--resume", name, "--yes"], ["export", name]):
        r = cli(args, env)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr, r.stderr
        for needle in needles:
            assert needle in r.stderr, (args, needle, r.stderr)


async def _app_refuses(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch, *needles: str) -> None:
    from wizard.ui.app import WizardApp
    from wizard.ui.screens.section import SectionScreen

    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    app = WizardApp(lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.resume_session(name)
        await pilot.pause()
        assert app.session is None and not isinstance(app.screen, SectionScreen)
        messages = [str(n.message) for n in app._notifications]
        assert any(all(n in m for n in needles) for m in messages), messages


def _resume_finishes(tmp_path: Path, env: dict[str, str], name: str, expect_marks: str) -> None:
    proc, marks = start_runner(tmp_path, env, "--resume", name, step_s=0.05)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert marks.read_text() == expect_marks


async def test_truncated_state_file(tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _session_with_progress(tmp_path)
    text = (folder / STATE_FILE).read_bytes()
    (folder / STATE_FILE).write_bytes(text[: len(text) // 2])
    before = _snapshot(folder)
    _every_reader_refuses("s", env, "'s'", "is damaged (not complete JSON", "ha-wizard sessions --recover s",
                          str(folder / GOOD_FILE))
    spanish = cli(["--lang", "es", "export", "s"], env)
    assert spanish.returncode == 2 and "está dañado" in spanish.stderr, spanish.stderr
    await _app_refuses(tmp_path, "s", monkeypatch, "is damaged", "--recover s")
    assert _snapshot(folder) == before  # nothing was overwritten, the good copy least of all

    r = cli(["sessions", "--recover", "s"], env)
    assert r.returncode == 0 and "back in place" in r.stdout, r.stdout + r.stderr
    [aside] = folder.glob("state.damaged-*.json")
    assert aside.read_bytes() == before[STATE_FILE]  # the damaged file is kept for whoever wants to look
    _resume_finishes(tmp_path, env, "s", "".join(f"s{i}\n" for i in range(1, STEPS)))


async def test_hand_edited_state_file(tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _session_with_progress(tmp_path)
    good = json.loads((folder / STATE_FILE).read_text())
    edits = [
        (lambda d: d.update(actions=[]), "actions is a list, not an object"),
        (lambda d: d["actions"]["t.s0"].update(status="done!"), "action status 'done!' unknown"),
        (lambda d: d["actions"]["t.s0"].update(output="x"), "action field output is a str"),
        (lambda d: d.pop("answers"), "answers is missing"),
        (lambda d: d["answers"].update(ssh_port="22"), "ssh_port: expected an integer"),
    ]
    for edit, problem in edits:
        data = json.loads(json.dumps(good))
        edit(data)
        (folder / STATE_FILE).write_text(json.dumps(data))
        before = _snapshot(folder)
        r = cli(["run", "--resume", "s"], env)
        assert r.returncode == 2 and "is damaged" in r.stderr and problem in r.stderr, (problem, r.stderr)
        assert "--recover s" in r.stderr and "Traceback" not in r.stderr
        assert _snapshot(folder) == before
    _every_reader_refuses("s", env, "is damaged", problem)
    await _app_refuses(tmp_path, "s", monkeypatch, "is damaged", problem)

    # Well-formed, but a value no answers file could hold: refused like an answers file, naming the field.
    data = json.loads(json.dumps(good))
    data["answers"]["directors"][0]["external_ip"] = "192.168.1.2000"
    (folder / STATE_FILE).write_text(json.dumps(data))
    r = cli(["run", "--resume", "s"], env)
    assert r.returncode == 2 and "directors[0].external_ip" in r.stderr, r.stderr
    data["answers"]["directors"][0]["external_ip"] = good["answers"]["directors"][0]["external_ip"]
    data["answers"]["directors"][0]["external_if"] = "eth1;reboot"  # would reach a file bash sources
    (folder / STATE_FILE).write_text(json.dumps(data))
    r = cli(["run", "--resume", "s"], env)
    assert r.returncode == 2 and "directors[0].external_if: 'eth1;reboot' is not an interface name" in r.stderr

    (folder / STATE_FILE).write_text(json.dumps(good))
    _resume_finishes(tmp_path, env, "s", "".join(f"s{i}\n" for i in range(2, STEPS)))


def test_missing_folders_and_files(tmp_path: Path, env: dict[str, str]) -> None:
    # No state folder at all (a fresh machine).
    r = cli(["sessions"], env)
    assert r.returncode == 0 and "no sessions yet" in r.stdout
    for args in (["run", "--resume", "gone"], ["export", "gone"]):
        r = cli(args, env)
        assert r.returncode == 2 and "no such session 'gone'" in r.stderr, r.stderr
        assert str(tmp_path / "state" / "sessions" / "gone") in r.stderr and "Traceback" not in r.stderr

    # The state file gone, its good copy left: say so and how to get it back.
    folder = _session_with_progress(tmp_path)
    (folder / STATE_FILE).unlink()
    _every_reader_refuses("s", env, "is missing", "--recover s")
    assert cli(["sessions", "--recover", "s"], env).returncode == 0
    assert not list(folder.glob("state.damaged-*"))  # nothing to set aside

    # The whole folder removed while the session runs: the runner writes it again from memory.
    shutil.rmtree(folder)
    _session_with_progress(tmp_path, "live")
    proc, marks = start_runner(tmp_path, env, "--resume", "live", step_s=0.3)
    wait_for(lambda: marks.exists() and marks.read_text().count("\n") >= 1)
    shutil.rmtree(tmp_path / "state" / "sessions" / "live")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    back = Session.load("live", root=tmp_path / "state")
    assert [back.status(f"t.s{i}") for i in range(STEPS)] == ["ok"] * STEPS
    assert marks.read_text() == "".join(f"s{i}\n" for i in range(2, STEPS))


class _FullDisk:
    """os.fdopen in wizard.session.state whose file fails its write with ENOSPC from the `fail_at`-th state write on."""

    def __init__(self, fail_at: int) -> None:
        self.fail_at = fail_at
        self.writes = 0
        self.real = os.fdopen

    def __call__(self, fd: int, *args, **kwargs):
        fh = self.real(fd, *args, **kwargs)
        name = os.readlink(f"/proc/self/fd/{fd}") if os.path.exists(f"/proc/self/fd/{fd}") else ""
        if f".{STATE_FILE}." not in name:
            return fh
        self.writes += 1
        if self.writes < self.fail_at:
            return fh

        def write(_text: str) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        fh.write = write
        return fh


def test_full_disk_while_saving_injected(tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from wizard.cli.run import cmd_run
    from wizard.run.engine import section

    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    folder = _session_with_progress(tmp_path)
    marks = tmp_path / "marks.txt"
    ns: dict = {}
    # The runner's own plan, built in this process.
    exec(RUNNER.split("parser = ")[0].replace("F, STEPS, STEP_S = sys.argv[1], int(sys.argv[2]), sys.argv[3]",
                                              f"F, STEPS, STEP_S = {str(marks)!r}, {STEPS}, '0.05'"), ns)
    plan = [section("t", "Test section", [ns["a"](i) for i in range(STEPS)])]
    args = argparse.Namespace(resume="s", answers=None, profile=None, section=[], session=None, yes=False,
                              trust_new_hosts=False, pin=[], identity=[], known_hosts=[], connect_timeout=5.0,
                              lang="en")
    # Saves of this run: the engine's first (1), then before and after each action: s2 before (2), s2 after
    # (3), s3 before (4) fails: s3 must not run.
    full = _FullDisk(fail_at=4)
    monkeypatch.setattr(state_mod.os, "fdopen", full)
    code = cmd_run(args, plan=plan)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "could not save the checkpoint of session 's'" in err and "No space left on device" in err, err
    assert "Free some disk space, then resume: `ha-wizard run --resume s`" in err and "Traceback" not in err
    assert marks.read_text() == "s2\n"  # the action whose "before" could not be written did not run
    on_disk = Session.load("s", root=tmp_path / "state")  # the last save that worked, complete
    assert [on_disk.status(f"t.s{i}") for i in range(STEPS)] == ["ok"] * 3 + ["pending"] * 3
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    from wizard.session.lock import holder

    assert holder(folder) is None  # the failed run let the session go

    monkeypatch.setattr(state_mod.os, "fdopen", full.real)  # space freed
    assert cmd_run(args, plan=plan) == 0, capsys.readouterr()
    assert marks.read_text() == "".join(f"s{i}\n" for i in range(2, STEPS))


FULL_DISK_SCRIPT = r"""
set -u
mount -t tmpfs -o size=512k tmpfs "$STATE"
"$PY" "$SEED" || exit 90
"$PY" "$RUNNER" "$MARKS" 6 0.4 run --resume s > "$OUT/first.log" 2>&1 &
pid=$!
while [ "$(wc -l < "$MARKS" 2>/dev/null || echo 0)" -lt 1 ]; do sleep 0.05; done
dd if=/dev/zero of="$STATE/filler" bs=4k 2>/dev/null
wait $pid; echo "first=$?"
"$PY" -c "import json,sys; json.load(open(sys.argv[1])); print('state=loads')" "$STATE/sessions/s/state.json"
"$PY" -m wizard.cli.main sessions > "$OUT/sessions.log" 2>&1; echo "sessions=$?"
rm -f "$STATE/filler"
"$PY" "$RUNNER" "$MARKS" 6 0.05 run --resume s > "$OUT/second.log" 2>&1; echo "second=$?"
"""


def test_full_disk_while_saving_real_tmpfs(tmp_path: Path, env: dict[str, str]) -> None:
    """A real full file system (a 512 KiB tmpfs in a mount namespace of the test's own)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare (a private mount namespace for the tmpfs)")
    state, out = tmp_path / "state", tmp_path / "out"
    state.mkdir()
    out.mkdir()
    seed = tmp_path / "seed.py"
    seed.write_text(f"import sys; sys.path.insert(0, {str(ROOT / 'tests')!r})\n"
                    "from pathlib import Path\n"
                    "from test_damaged_state import _session_with_progress\n"
                    f"_session_with_progress(Path({str(tmp_path)!r}))\n")
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER)
    marks = tmp_path / "marks.txt"
    script_env = dict(env, STATE=str(state), OUT=str(out), PY=sys.executable, SEED=str(seed), RUNNER=str(runner),
                      MARKS=str(marks))
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip(f"no mount namespaces here: {probe.stderr.decode()[:200]}")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", FULL_DISK_SCRIPT], cwd=ROOT,
                       env=script_env, capture_output=True, text=True, timeout=120)
    first = (out / "first.log").read_text() if (out / "first.log").exists() else ""
    assert "first=2" in r.stdout, (r.stdout, r.stderr, first)
    assert "No space left on device" in first and "Free some disk space" in first, first
    assert "state=loads" in r.stdout, r.stdout
    assert "second=0" in r.stdout, (r.stdout, (out / "second.log").read_text())
    # Every step ran exactly once across the failed run and the resume.
    assert marks.read_text() == "".join(f"s{i}\n" for i in range(2, STEPS))


async def test_checkpoint_from_another_version(tmp_path: Path, env: dict[str, str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _session_with_progress(tmp_path)
    data = json.loads((folder / STATE_FILE).read_text())
    for version, needle in ((0, "written by an older ha-wizard"), (2, "written by a newer ha-wizard")):
        data.update(schema_version=version, wizard_version="0.0.9" if version == 0 else "9.0")
        (folder / STATE_FILE).write_text(json.dumps(data))
        before = _snapshot(folder)
        _every_reader_refuses("s", env, needle, f"format {version}", "Nothing was changed")
        await _app_refuses(tmp_path, "s", monkeypatch, needle)
        assert _snapshot(folder) == before


def test_a_checkpoint_written_before_this_version_still_loads(tmp_path: Path, env: dict[str, str]) -> None:
    """tests/golden/state-v1.json: a state file as the first release wrote it (format 1, no wizard_version).
    Whatever is added to the state later must keep reading it: a student's session outlives an upgrade."""
    folder = tmp_path / "state" / "sessions" / "golden-v1"
    folder.mkdir(parents=True)
    shutil.copy(GOLDEN_V1, folder / STATE_FILE)
    [row] = list_sessions(tmp_path / "state")
    assert (row.name, row.progress, row.status, row.error) == ("golden-v1", "2/3", "failed", None)
    session = Session.load("golden-v1", root=tmp_path / "state")
    assert session.trusted["master"][0]["fingerprint"].startswith("SHA256:")
    assert session.record("t.s2").error == "local: exit status 1"
    r = cli(["export", "golden-v1", "--format", "md"], env)
    assert r.returncode == 0 and "t.s1" in r.stdout, r.stderr
