"""The lab's VBoxManage program: an executable file the lab answers' `[virtualbox] vboxmanage` names, so
the wizard's host steps run a VBoxManage program as on a real host (no shell involved, nothing else needed
on PATH). It runs `ha-wizard lab vboxmanage --name INSTANCE` (lab/vbox.py) with the interpreter that
built the lab: each lab instance has its own, which acts on that instance only."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lab.base import RUN, STATE

STANDIN = "VBoxManage"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def install_standin(bindir: Path, instance: str, python: str = sys.executable) -> Path:
    """Write bindir/VBoxManage for lab instance `instance`; returns its path."""
    bindir.mkdir(parents=True, exist_ok=True)
    path = bindir / STANDIN
    tmp = path.with_suffix(".tmp")
    # The lab itself needs ip/nsenter/mount, wherever the caller's PATH points (a real VBoxManage does not
    # need the caller's PATH either).
    tmp.write_text(f"#!{python}\n# ha-wizard lab: stand-in for VirtualBox's VBoxManage (NOT VirtualBox), "
                   f"lab instance {instance}\n"
                   "import os\nimport sys\n"
                   "os.environ['PATH'] = os.pathsep.join([os.environ.get('PATH', ''), "
                   f"{SYSTEM_PATH!r}]).strip(os.pathsep)\n"
                   # The folders of the lab that installed it, whatever the caller's environment says.
                   f"os.environ['HA_WIZARD_LAB_STATE'] = {str(STATE)!r}\n"
                   f"os.environ['HA_WIZARD_LAB_RUN'] = {str(RUN)!r}\n"
                   "from wizard.cli.main import main\n"
                   f"sys.exit(main(['lab', 'vboxmanage', '--name', {instance!r}, '--', *sys.argv[1:]]))\n")
    tmp.chmod(0o755)
    os.replace(tmp, path)
    return path
