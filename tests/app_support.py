"""What the app's Pilot tests share."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


async def wait_for(pilot: Any, condition: Callable[[], Any], timeout: float = 20.0) -> None:  # noqa: ANN401
    """Let the app run until `condition()` holds, bounded in time (a failure names no condition: the caller's
    assert line does)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await pilot.pause(0.05)
