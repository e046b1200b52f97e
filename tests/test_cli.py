"""The command line: bad input is one clear message and exit status 2, never a traceback."""

import subprocess
import sys

import pytest

from wizard.base.answers import Answers, dumps_answers, load_answers


def ha_wizard(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wizard.cli.main", *args], capture_output=True, text=True,
                          input=input, timeout=60)


def test_version():
    done = ha_wizard("--version")
    assert done.returncode == 0 and done.stdout.startswith("ha-wizard ")


def test_answers_init_writes_loadable_defaults(tmp_path):
    path = tmp_path / "a.toml"
    done = ha_wizard("answers", "init", str(path), "--profile", "lab")
    assert done.returncode == 0, done.stderr
    answers = load_answers(path)
    assert answers.profile == "lab" and answers.directors == Answers().directors
    again = ha_wizard("answers", "init", str(path))
    assert again.returncode == 2 and "exists; use --force" in again.stderr


@pytest.mark.parametrize("content, message", [
    ('[vip]\nexternal = "10.0.100.200"\n', "vip.external: 10.0.100.200 is not inside Networks · External"),
    ('cluster_name = 7\n', "cluster_name: expected a string, got 7"),
    ('[[directors]]\nname="a"\nring_name="a-cr"\nvm="a"\nexternal_ip="192.168.1.5"\ninternal_ip="10.0.100.5"\n'
     'heartbeat_ip="10.0.200.5"\nheartbeat_mac="0800270101C5"\n', "directors: exactly two directors are needed"),
    ('not toml at all [', "not valid TOML"),
])
@pytest.mark.parametrize("command", [["answers", "check"], ["plan", "--answers"]])
def test_bad_answers_exit_2_with_the_field(tmp_path, content, message, command):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    done = ha_wizard(*command, str(path))
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_missing_answers_file(tmp_path):
    done = ha_wizard("plan", "--answers", str(tmp_path / "none.toml"))
    assert done.returncode == 2 and "No such file" in done.stderr and "Traceback" not in done.stderr


def test_unknown_section_and_profile():
    done = ha_wizard("plan", "--section", "nope")
    assert done.returncode == 2 and "--section: unknown section 'nope'" in done.stderr
    done = ha_wizard("plan", "--profile", "centos")
    assert done.returncode == 2 and "invalid choice: 'centos'" in done.stderr


def test_answers_check_accepts_the_defaults(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text(dumps_answers(Answers()))
    done = ha_wizard("answers", "check", str(path))
    assert done.returncode == 0 and "ok" in done.stdout
