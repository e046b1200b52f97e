"""Finding VBoxManage on Windows, macOS and Linux layouts: fake folders and environment variables,
real files (the discovery looks at the file system it is given)."""

from __future__ import annotations

import ntpath
import os
import stat
import sys
from pathlib import Path

import pytest

from wizard.run.vboxmanage import MAC_BUNDLE, find_vboxmanage, looked_summary, resolve_argv, vboxmanage_version


def make_exe(path: Path, body: str = "#!/bin/sh\necho 7.0.14r161095\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def windows_fs(files: set[str]):
    """Windows paths are compared case-insensitively, as NTFS does."""
    lowered = {ntpath.normcase(f) for f in files}
    return lambda p: ntpath.normcase(p) in lowered


# -- Windows ------------------------------------------------------------------------------------------

def test_windows_program_files_when_not_on_path():
    exe = r"C:\Program Files\Oracle\VirtualBox\VBoxManage.exe"
    env = {"PATH": r"C:\Windows\system32;C:\Windows", "ProgramFiles": r"C:\Program Files",
           "PATHEXT": ".COM;.EXE;.BAT;.CMD"}
    found = find_vboxmanage(env=env, platform="win32", is_executable=windows_fs({exe}))
    assert found.path == exe
    # PATH was searched first, for VBoxManage.com/.exe only (never a .bat, which needs cmd.exe).
    assert found.looked[:4] == [r"C:\Windows\system32\VBoxManage.com", r"C:\Windows\system32\VBoxManage.exe",
                                r"C:\Windows\VBoxManage.com", r"C:\Windows\VBoxManage.exe"]


def test_windows_path_wins_over_install_folder():
    on_path = r"D:\tools\vbox\VBoxManage.exe"
    exe = r"C:\Program Files\Oracle\VirtualBox\VBoxManage.exe"
    env = {"PATH": r'"D:\tools\vbox";C:\Windows', "ProgramFiles": r"C:\Program Files"}
    found = find_vboxmanage(env=env, platform="win32", is_executable=windows_fs({exe, on_path}))
    assert found.path == on_path


def test_windows_installer_variable_with_trailing_backslash():
    # VirtualBox installed on another drive: only VBOX_MSI_INSTALL_PATH knows where.
    exe = r"E:\Apps\VirtualBox\VBoxManage.exe"
    env = {"PATH": r"C:\Windows", "ProgramFiles": r"C:\Program Files",
           "VBOX_MSI_INSTALL_PATH": "E:\\Apps\\VirtualBox\\"}
    found = find_vboxmanage(env=env, platform="win32", is_executable=windows_fs({exe}))
    assert found.path == exe
    assert found.looked.index(r"C:\Program Files\Oracle\VirtualBox\VBoxManage.exe") < found.looked.index(exe)


def test_windows_old_installer_variable():
    exe = r"F:\VBox\VBoxManage.exe"
    env = {"PATH": "", "VBOX_INSTALL_PATH": "F:\\VBox\\", "ProgramFiles": r"C:\Program Files"}
    assert find_vboxmanage(env=env, platform="win32", is_executable=windows_fs({exe})).path == exe


def test_windows_32bit_python_on_64bit_windows():
    # A 32-bit Python sees ProgramFiles = "Program Files (x86)"; VirtualBox is 64-bit only.
    exe = r"C:\Program Files\Oracle\VirtualBox\VBoxManage.exe"
    env = {"PATH": "", "ProgramFiles": r"C:\Program Files (x86)", "ProgramW6432": r"C:\Program Files"}
    assert find_vboxmanage(env=env, platform="win32", is_executable=windows_fs({exe})).path == exe


def test_windows_not_found_says_where_it_looked():
    env = {"PATH": r"C:\Windows", "ProgramFiles": r"C:\Program Files", "VBOX_MSI_INSTALL_PATH": "E:\\VB\\"}
    found = find_vboxmanage(env=env, platform="win32", is_executable=lambda p: False)
    assert not found.found
    text = looked_summary(found)
    assert r"C:\Program Files\Oracle\VirtualBox\VBoxManage.exe" in text and r"E:\VB\VBoxManage.exe" in text
    assert "/usr/bin" not in text and "Applications" not in text


# -- macOS --------------------------------------------------------------------------------------------

def test_macos_application_bundle_when_path_lacks_it():
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}  # what a GUI-started terminal may have
    found = find_vboxmanage(env=env, platform="darwin", is_executable=lambda p: p == MAC_BUNDLE)
    assert found.path == MAC_BUNDLE
    assert "/usr/local/bin/VBoxManage" in found.looked
    assert not any(p.endswith("vboxmanage") for p in found.looked)  # no lowercase link on macOS


def test_macos_usr_local_bin_link(tmp_path):
    env = {"PATH": str(tmp_path / "empty")}
    found = find_vboxmanage(env=env, platform="darwin", is_executable=lambda p: p == "/usr/local/bin/VBoxManage")
    assert found.path == "/usr/local/bin/VBoxManage"


# -- Linux (real files in fake folders) ---------------------------------------------------------------

def test_linux_path_search_real_files(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    make_exe(second / "VBoxManage")
    (first).mkdir()
    (first / "VBoxManage").write_text("not executable")  # a file without x is skipped, as a shell does
    found = find_vboxmanage(env={"PATH": f"{first}:{second}"}, platform="linux")
    assert found.path == str(second / "VBoxManage")


def test_linux_lowercase_link(tmp_path):
    make_exe(tmp_path / "bin" / "vboxmanage")
    found = find_vboxmanage(env={"PATH": str(tmp_path / "bin")}, platform="linux")
    assert found.path == str(tmp_path / "bin" / "vboxmanage")


def test_linux_standard_folders_after_path():
    found = find_vboxmanage(env={"PATH": "/opt/x"}, platform="linux", is_executable=lambda p: p == "/usr/bin/VBoxManage")
    assert found.path == "/usr/bin/VBoxManage"
    assert found.looked[:2] == ["/opt/x/VBoxManage", "/opt/x/vboxmanage"]
    assert "/usr/local/bin/VBoxManage" in found.looked


# -- the answers' value ---------------------------------------------------------------------------------

def test_configured_path_is_used_and_not_searched(tmp_path):
    exe = make_exe(tmp_path / "lab" / "VBoxManage")
    elsewhere = make_exe(tmp_path / "bin" / "VBoxManage")
    found = find_vboxmanage(str(exe), env={"PATH": str(elsewhere.parent)}, platform="linux")
    assert found.path == str(exe) and found.configured


def test_configured_path_missing_is_not_replaced_by_another(tmp_path):
    make_exe(tmp_path / "bin" / "VBoxManage")
    found = find_vboxmanage(str(tmp_path / "nope" / "VBoxManage"), env={"PATH": str(tmp_path / "bin")},
                            platform="linux")
    assert not found.found and found.looked == [str(tmp_path / "nope" / "VBoxManage")]


def test_configured_bare_name_is_looked_up_on_path(tmp_path):
    exe = make_exe(tmp_path / "bin" / "vboxmanage")
    found = find_vboxmanage("vboxmanage", env={"PATH": str(tmp_path / "bin")}, platform="linux")
    assert found.path == str(exe)


def test_resolve_argv_only_replaces_vboxmanage():
    assert resolve_argv(("VBoxManage", "list", "vms"), "/x/VBoxManage") == ["/x/VBoxManage", "list", "vms"]
    assert resolve_argv(("curl", "VBoxManage"), "/x/VBoxManage") == ["curl", "VBoxManage"]


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX script stands in for VBoxManage")
def test_version_of_a_real_program(tmp_path):
    exe = make_exe(tmp_path / "VBoxManage", "#!/bin/sh\necho 'WARNING: vboxdrv missing' >&2\necho 7.1.4r165100\n")
    assert vboxmanage_version(str(exe)) == ("7.1.4r165100", "")
    broken = make_exe(tmp_path / "broken", "#!/bin/sh\necho 'VBoxManage: error: no' >&2\nexit 1\n")
    version, error = vboxmanage_version(str(broken))
    assert version == "" and "error: no" in error
    assert vboxmanage_version(str(tmp_path / "absent"))[1]
    assert os.path.exists(exe)


def test_state_folder_per_platform(monkeypatch):
    """Sessions, known_hosts and keys live in the platform's per-user state folder (no vendor folder on Windows)."""
    import platformdirs.macos
    import platformdirs.unix
    import platformdirs.windows

    from wizard.session import state

    monkeypatch.delenv("HA_WIZARD_STATE_DIR", raising=False)
    monkeypatch.setattr(platformdirs.windows, "get_win_folder", lambda csidl: r"C:\Users\ana\AppData\Local")
    windows = platformdirs.windows.Windows("ha-wizard", appauthor=False).user_state_dir
    assert windows.startswith(r"C:\Users\ana\AppData\Local") and windows.count("ha-wizard") == 1
    assert platformdirs.macos.MacOS("ha-wizard", appauthor=False).user_state_dir.endswith(
        "/Library/Application Support/ha-wizard")
    monkeypatch.setenv("XDG_STATE_HOME", "/home/ana/.local/state")
    assert platformdirs.unix.Unix("ha-wizard", appauthor=False).user_state_dir == "/home/ana/.local/state/ha-wizard"
    if sys.platform.startswith("linux"):
        assert state.state_root() == Path("/home/ana/.local/state/ha-wizard")
        assert state.wizard_known_hosts() == Path("/home/ana/.local/state/ha-wizard/known_hosts")
