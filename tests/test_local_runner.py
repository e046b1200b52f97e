"""The local runner's rules: argument vectors only, edited commands read without a shell, and commands
shown quoted for the user's own shell (POSIX sh; PowerShell on Windows)."""

from __future__ import annotations

import pytest

from wizard.run.local import LocalError, LocalRunner, parse_command, quote_argv


def test_posix_quoting_round_trips():
    argv = ["VBoxManage", "natnetwork", "modify", "--netname", "red nat", "--port-forward-4",
            "http2:tcp:[]:5280:[192.168.1.200]:80"]
    assert quote_argv(argv, "linux") == ("VBoxManage natnetwork modify --netname 'red nat' --port-forward-4 "
                                         "'http2:tcp:[]:5280:[192.168.1.200]:80'")
    assert parse_command(quote_argv(argv, "linux")) == argv


def test_windows_quoting_is_powershell():
    exe = r"C:\Program Files\Oracle\VirtualBox\VBoxManage.exe"
    shown = quote_argv([exe, "snapshot", "master", "take", "pre HA", "it's"], "win32")
    # A quoted program needs PowerShell's call operator; single quotes double inside.
    assert shown == r"& 'C:\Program Files\Oracle\VirtualBox\VBoxManage.exe' snapshot master take 'pre HA' 'it''s'"
    assert quote_argv([r"C:\VBox\VBoxManage.exe", "list", "vms"], "win32") == r"C:\VBox\VBoxManage.exe list vms"


@pytest.mark.parametrize("command, what", [
    ("VBoxManage list vms | grep master", "|"),
    ("VBoxManage list vms > out.txt", ">"),
    ("VBoxManage startvm a; VBoxManage startvm b", ";"),
    ("VBoxManage startvm a && echo ok", "&&"),
    ("VBoxManage startvm $(cat name)", "$(...)"),
    ("VBoxManage startvm `cat name`", "`...`"),
])
def test_edited_commands_needing_a_shell_are_refused(command, what):
    with pytest.raises(LocalError) as err:
        parse_command(command)
    assert err.value.key == "local.no_shell" and err.value.values == {"what": what}


def test_an_explicit_shell_is_a_program_like_any_other():
    # What is quoted is the program's argument, not the wizard's business.
    assert parse_command("sh -c 'echo STARTED-$((40+2)); sleep `echo 1`'") == [
        "sh", "-c", "echo STARTED-$((40+2)); sleep `echo 1`"]


def test_edited_command_quotes_are_read_as_a_shell_would():
    assert parse_command("VBoxManage snapshot master take 'pre HA'") == ["VBoxManage", "snapshot", "master", "take",
                                                                        "pre HA"]
    with pytest.raises(LocalError, match="cannot be read"):
        parse_command("VBoxManage snapshot 'unterminated")


def test_runner_refuses_shell_strings_and_runs_argv(tmp_path):
    runner = LocalRunner()
    with pytest.raises(LocalError) as err:
        runner.run("echo hi", on_line=lambda s, t: None)
    assert err.value.key == "local.shell_string"
    lines = []
    data = "line one\nline two\n"
    code = runner.run(("cat",), stdin=data.encode(), on_line=lambda s, t: lines.append((s, t)), timeout=10)
    assert code == 0 and lines == [("stdout", "line one"), ("stdout", "line two")]
    with pytest.raises(LocalError) as err:
        runner.run((str(tmp_path / "absent"),), on_line=lambda s, t: None)
    assert err.value.code == 127
