"""The local practice lab: the guide's machines as namespace "VMs" on one Linux box (root).

Python API (stable; other engineers' tests use it):

    from lab import Lab, LabError, LabUnavailable
    lab = Lab(answers, name="default")  # wizard.base.answers.Answers; None = the instance's stored answers, else the
                                    # guide's; name: the lab instance (lab/instances.py), several side by side
    lab.address                     # this machine's loopback address its port forwards listen on (127.0.0.N)
    lab.wizard_answers(answers)     # answers pointed at this instance (VBoxManage, key, known_hosts, address);
                                    # Lab() does it itself for answers of profile "lab"
    lab.up(prepared=False)          # build + boot; prepared=True: the state after guide sections 1-4 (and the
                                    # wizard's SSH port forwards); host_link=True: this machine gets an address
                                    # in the external network (default: NAT network only, as VirtualBox);
                                    # password_only={host: pw}: root logs in there with its password only
                                    # image="debian13": every host on the Debian 13 guest image (lab/images.py:
                                    # build_image("debian13") first); default "debian12", this machine's tree
    lab.down()                      # remove everything the instance made (safe twice; up() calls it first)
    Lab.every(); Lab.down_all()     # every instance on the machine; down them all (`lab list`, `lab down --all`)
    lab.exec(host, "cmd", timeout=120, input=None, check=False) -> subprocess.CompletedProcess
                                    # bash -c cmd as root inside the host's namespaces (text output)
    lab.poweroff(host); lab.poweron(host)      # power cut / boot
    lab.unplug(host, ifname); lab.plug(host, ifname)
    lab.key_path, lab.known_hosts_path         # the lab's ed25519 client key and OpenSSH known_hosts
    lab.host_fingerprints() -> {vm: "SHA256:..."}
    lab.host_link, lab.root_address # --host-link mode, and then this machine's address on the external network
    lab.on_nat_network_argv()       # command prefix: run a program on the NAT network (as another VM there)
    lab.forwards(network) -> {name: rule parts}; lab.add_forward(network, rule); lab.delete_forward(network, name)
    lab.ssh_argv(host) -> list[str] # OpenSSH command line reaching host (ProxyJump via a director
                                    # for the real servers), StrictHostKeyChecking=yes
    lab.status() -> list[dict]; lab.summary() -> dict; lab.leftovers() -> list[str]; lab.running(vm) -> bool
    lab.memory() -> {"rss": KiB, "pss": KiB, "processes": n}   # of the running lab's processes
    lab.cpu_seconds() -> float      # CPU its processes (and those they reaped) used so far
    lab.acpi_shutdown(host)         # the power button: services stop, then off
    lab.image, lab.vm_image(vm)     # the image the lab was made on, the one a VM runs (a clone: its original's)
    from lab.vbox import vboxmanage; vboxmanage(lab, ["snapshot", "master", "take", "preHA"])

Lab instances run side by side, each with its own namespaces, folders, key, VBoxManage stand-in and
loopback address (lab/instances.py). The process that ran `up` owns its instance until `down()` or its own
end; `up`/`down` of that instance in another process wait for the owner (at most `wait` seconds, default
HA_WIZARD_LAB_WAIT or 1800) then replace whatever was there, so sessions using one instance take turns;
other instances are not affected. `down(force=True)` does not wait.
Hosts behave like Debian 12 (or 13, on that image) without systemd: ifupdown (/etc/network/interfaces.d/),
a systemctl/hostnamectl stand-in over the init scripts (guest/systemctl), `poweroff`/`reboot` inside a host
work, no DNS (names in /etc/hosts; /etc/resolv.conf points at a closed port so lookups fail at once),
the NAT network's gateway (networks.external_gateway) answers pings but leads nowhere.

`host` is a VM name or any answers name of it (host name, alias, ring name).
Reaching the hosts from the machine: as from a VirtualBox host, only through NAT port forwards
(`lab vboxmanage natnetwork modify --port-forward-4`, what the wizard makes), e.g.
`ssh -p 2201 -i KEY -o UserKnownHostsFile=KH root@ADDRESS` (lab.address: 127.0.0.1 for the default instance);
with --host-link, directors on their external addresses. Real servers only through a director. `ssh_argv`
works in both modes.
"""

from lab.core import Lab, LabBusy, LabError, LabUnavailable, missing_requirements

__all__ = ["Lab", "LabBusy", "LabError", "LabUnavailable", "missing_requirements"]
