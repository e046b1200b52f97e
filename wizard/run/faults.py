"""A test-only fault hook: the wizard SIGKILLs itself at a named moment of a named action.

Inert unless the environment variable HA_WIZARD_KILL_AT names a file (tests/test_faults.py's sweep sets it).
The file lists moments, one per line: `ACTION_ID MOMENT`, MOMENT being
- `sent`: the action's command was just started (on its node, or on this machine);
- `done`: the command finished, its result not yet written to the checkpoint.
Each moment fires once: its line is removed from the file (atomically) before the kill, so the resumed wizard,
started with the same environment, goes past it. A test kills the wizard at exact moments this way instead of
by timing from outside.
"""

from __future__ import annotations

import os
import signal
import threading

ENV = "HA_WIZARD_KILL_AT"
MOMENTS = ("sent", "done")
_lock = threading.Lock()


def point(action_id: str, moment: str) -> None:
    """Kill this process now when the file named by HA_WIZARD_KILL_AT lists this moment (then removed)."""
    path = os.environ.get(ENV)
    if not path:
        return
    with _lock:
        try:
            with open(path, encoding="utf-8") as f:
                lines = [line.strip() for line in f if line.strip()]
        except OSError:
            return
        wanted = f"{action_id} {moment}"
        if wanted not in lines:
            return
        lines.remove(wanted)
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
