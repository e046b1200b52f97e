"""A node's runner stand-in for tests whose "nodes" are this machine: a node runs its commands in its POSIX
shell, as over SSH (the wizard's own local runner refuses shell strings: host steps run without a shell)."""

from __future__ import annotations

from typing import Any

from wizard.run.local import LocalRunner


class NodeShell(LocalRunner):
    def run(self, command: Any, **kw: Any) -> int:
        if isinstance(command, str):
            return self.run_argv(["bash", "-c", command], **kw)
        return super().run(command, **kw)
