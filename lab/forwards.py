"""NAT network port forwards (VBoxManage natnetwork modify --port-forward-4)."""

from __future__ import annotations

import re
import subprocess
import time

from lab.base import GUEST, SYSTEM_PYTHON, LabError


class PortForwards:
    """Port forwards from the machine into the NAT network (a mixin of lab.core.Lab)."""

    # -- port forwards (natnetwork --port-forward-4) --------------------------------------------------
    def add_forward(self, network: str, rule: str) -> None:
        m = re.fullmatch(r"([^:]+):(tcp|udp):\[([^\]]*)\]:(\d+):\[([^\]]*)\]:(\d+)", rule)
        if not m:
            raise LabError(f"VBoxManage: error: invalid port-forward rule {rule!r} "
                           "(expected name:tcp:[]:HOSTPORT:[GUESTIP]:GUESTPORT)")
        name, proto, _, hport, gip, gport = m.groups()
        if proto != "tcp":
            raise LabError("the lab forwards tcp only")
        data = self._lab_state()
        if name in data["forwards"]:
            raise LabError(f"VBoxManage: error: A NAT rule of this name already exists: {name}")
        folder = self.run_dir / "forwards"
        folder.mkdir(parents=True, exist_ok=True)
        log = open(self.state_dir / f"forward-{name}.log", "ab")
        proc = subprocess.Popen([SYSTEM_PYTHON, "-I", str(GUEST / "forward.py"), "127.0.0.1", hport, gip, gport],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LabError(f"port forward {name}: could not listen on 127.0.0.1:{hport} "
                               f"(see {self.state_dir / f'forward-{name}.log'})")
            if (self.state_dir / f"forward-{name}.log").read_text().startswith("listening"):
                break
            time.sleep(0.02)
        (folder / f"{name}.pid").write_text(f"{proc.pid}\n")
        data["forwards"][name] = {"network": network, "rule": rule, "pid": proc.pid}
        self._save_lab_state(data)

    def delete_forward(self, name: str) -> None:
        data = self._lab_state()
        if data["forwards"].pop(name, None) is None:
            raise LabError(f"VBoxManage: error: no port-forward rule named {name!r}")
        self._kill_pidfile(self.run_dir / "forwards" / f"{name}.pid")
        self._save_lab_state(data)

    def forwards(self) -> dict[str, dict]:
        return self._lab_state().get("forwards", {})
