"""Host key policy: pure decision logic, and the policy as paramiko calls it (no network)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import paramiko
import pytest

from wizard.run.hostkeys import (
    HostKeyTrust,
    HostKeyUnknown,
    WizardHostKeyPolicy,
    changed_message,
    decide_unknown,
    fingerprint,
    parse_pins,
)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[paramiko.PKey, str]]:
    """Two ed25519 keys with the fingerprints OpenSSH's ssh-keygen prints for them."""
    out = {}
    folder = tmp_path_factory.mktemp("keys")
    for name in ("a", "b"):
        path = folder / name
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
        printed = subprocess.run(["ssh-keygen", "-lf", f"{path}.pub"], check=True, capture_output=True,
                                 text=True).stdout.split()[1]
        out[name] = (paramiko.Ed25519Key.from_private_key_file(str(path)), printed)
    return out


def test_fingerprint_is_openssh_sha256(keys) -> None:
    for key, printed in keys.values():
        assert fingerprint(key) == printed


def _decide(fp: str, **kw):
    args = dict(pins={}, trust_new_hosts=False, node_fingerprints=(), confirm=None)
    args.update(kw)
    return decide_unknown("master", "10.0.0.1", "ssh-ed25519", fp, **args)


def test_unknown_key_refused_by_default_with_a_way_out(keys) -> None:
    fp = keys["a"][1]
    d = _decide(fp)
    assert not d.accept
    assert fp in d.how and f"--pin master={fp}" in d.how and "--trust-new-hosts" in d.how


def test_pins_by_node_or_address_accept_only_their_key(keys) -> None:
    fa, fb = keys["a"][1], keys["b"][1]
    assert _decide(fa, pins={"master": fa}).accept
    assert _decide(fa, pins={"10.0.0.1": fa}).accept
    wrong = _decide(fa, pins={"master": fb}, trust_new_hosts=True)  # a pin beats --trust-new-hosts
    assert not wrong.accept and fa in wrong.how and fb in wrong.how


def test_trust_new_confirm_and_same_node_key(keys) -> None:
    fa, fb = keys["a"][1], keys["b"][1]
    assert _decide(fa, trust_new_hosts=True).how == "--trust-new-hosts"
    asked = []
    assert _decide(fa, confirm=lambda n, a, f: asked.append((n, a, f)) or True).accept
    assert asked == [("master", "10.0.0.1", f"ssh-ed25519 {fa}")]
    assert not _decide(fa, confirm=lambda n, a, f: False).accept
    # The node moved address (standby clone): its key is already trusted, another one is not.
    assert _decide(fa, node_fingerprints={fa}).accept
    assert not _decide(fb, node_fingerprints={fa}).accept


def test_parse_pins_validates(keys) -> None:
    fa = keys["a"][1]
    assert parse_pins([f"master={fa}"]) == {"master": fa}
    assert parse_pins([f"10.0.0.1={fa[7:]}="]) == {"10.0.0.1": fa}  # bare and padded forms
    for bad in ("master", "=SHA256:x", "master=SHA256:tooshort", "master=MD5:aa:bb"):
        with pytest.raises(ValueError, match="--pin"):
            parse_pins([bad])


def test_policy_records_accepted_keys_in_the_wizard_file(tmp_path: Path, keys) -> None:
    key, fp = keys["a"]
    seen = []
    trust = HostKeyTrust(wizard_file=tmp_path / "known_hosts", trust_new_hosts=True,
                         on_trusted=lambda *a: seen.append(a))
    policy = trust.policy("master", "10.0.0.1")
    assert isinstance(policy, paramiko.MissingHostKeyPolicy)
    assert not isinstance(policy, paramiko.AutoAddPolicy)
    policy.missing_host_key(paramiko.SSHClient(), "10.0.0.1", key)
    assert seen == [("master", "10.0.0.1", "ssh-ed25519", fp, "--trust-new-hosts")]
    stored = paramiko.HostKeys(str(tmp_path / "known_hosts"))
    assert stored.lookup("10.0.0.1")["ssh-ed25519"] == key
    # Same key, same node, new address: accepted without --trust-new-hosts.
    strict = HostKeyTrust(wizard_file=tmp_path / "known_hosts", node_fingerprints={"master": {fp}})
    WizardHostKeyPolicy(strict, "master", "10.0.0.9").missing_host_key(paramiko.SSHClient(), "10.0.0.9", key)
    with pytest.raises(HostKeyUnknown, match="unknown host key"):
        WizardHostKeyPolicy(strict, "standby", "10.0.0.2").missing_host_key(paramiko.SSHClient(), "10.0.0.2",
                                                                            keys["b"][0])


def test_changed_message_shows_both_fingerprints(keys) -> None:
    both = changed_message("master", "10.0.0.1", keys["b"][0], keys["a"][0])
    msg = both.en
    assert "CHANGED" in msg and keys["a"][1] in msg and keys["b"][1] in msg and "ssh-keygen -R" in msg
    assert "HA CAMBIADO" in both.es and keys["a"][1] in both.es and keys["b"][1] in both.es


def test_changed_key_advice_names_the_entry_as_openssh_writes_it_and_the_wizards_file(keys, tmp_path) -> None:
    """A port other than 22 is written `[host]:port` in known_hosts: `ssh-keygen -R 127.0.0.1:2201` finds nothing
    (checked with ssh-keygen below). The advice names that form, quoted for the shell, and the wizard's own file."""
    import shlex
    import shutil
    import subprocess

    wizard_file = tmp_path / "known_hosts"
    advice = changed_message("master", "127.0.0.1:2201", keys["b"][0], keys["a"][0], wizard_file)
    assert f"ssh-keygen -R '[127.0.0.1]:2201' -f {wizard_file}" in advice.en
    assert f"ssh-keygen -R '[127.0.0.1]:2201' -f {wizard_file}" in advice.es and "known_hosts del asistente" in advice.es
    assert "ssh-keygen -R 10.0.0.1 -f" in changed_message("master", "10.0.0.1", keys["b"][0], keys["a"][0],
                                                          wizard_file).en  # port 22: the bare address
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen not installed")
    key = keys["a"][0]
    wizard_file.write_text(f"[127.0.0.1]:2201 {key.get_name()} {key.get_base64()}\n")
    command = advice.en.split("`")[1]  # the first command of the advice, run as a student would
    done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "[127.0.0.1]:2201" not in wizard_file.read_text(), (command, done.stderr)
