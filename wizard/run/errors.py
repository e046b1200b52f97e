"""The engine's own error, below everything that raises it (connections, node work, the action loop)."""

from __future__ import annotations

from wizard.base.i18n import LocalizedError


class EngineError(LocalizedError, ValueError):
    """A request the engine cannot honour (unknown action, missing secret...)."""
