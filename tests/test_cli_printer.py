"""The headless run prints each command exactly as it runs: no rich markup, emoji or highlighting."""

from __future__ import annotations

import io

from wizard.cli.run import Printer, make_console
from wizard.run.events import ActionStarted, OutputLine


def test_commands_and_output_print_verbatim():
    out = io.StringIO()
    printer = Printer(make_console(file=out, width=200, color_system=None))
    command = "pcs resource create VIP ocf:heartbeat:IPaddr2 ip=192.168.1.200 [bold]x[/] :smile:"
    printer(ActionStarted("resources.vip", ["master"], command=command))
    printer(OutputLine("resources.vip", "master", "stdout", "Error: ocf:heartbeat:IPaddr2 [red]"))
    text = out.getvalue()
    assert f"$ {command}" in text
    assert "Error: ocf:heartbeat:IPaddr2 [red]" in text
