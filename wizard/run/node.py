"""What an action does on one node: connect, probe, run (a command, a wait, a step by hand, a network change
started detached and waited for), and the result. `NodeWork` is the engine's half that does it; the
engine's action loop (wizard/run/engine.py) runs it on each node of an action."""

from __future__ import annotations

import re
import secrets as _secrets
import string
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import paramiko

from steps.access import KEY_INSTALL, NODE_RETURNS
from steps.model import Action, HostOp
from wizard.base.i18n import EMPTY, Msg, msg, msg_of
from wizard.run.connections import UNREACHABLE_DELAYS, Connections
from wizard.run.errors import EngineError
from wizard.run.events import OutputLine
from wizard.run.hostkeys import HostKeyError
from wizard.run.local import LocalError, LocalRunner, parse_command
from wizard.run.ssh import (
    AuthFailed,
    Cancelled,
    CommandTimeout,
    NotStarted,
    SSHError,
    Unreachable,
    detached_wrapper,
)
from wizard.session.state import Session

EXIT_TIMEOUT = 124  # as coreutils' timeout(1)


EXIT_SSH = 255  # as ssh(1) when the connection fails


OUTPUT_KEEP = 5000  # lines kept per node for a check's regex


def awaited(action: Action) -> Msg:
    """What a wait or check looks for, in words: its `awaits` text, else its `why`."""
    en = getattr(action, "awaits", "") or action.why
    es = getattr(action, "awaits_es", "") or action.why_es or en
    return Msg(en, es)


@dataclass
class NodeResult:
    code: int
    ok: bool
    error: Msg = EMPTY
    note: Msg = EMPTY  # "already done"
    stopped: bool = False  # the user stopped it (Stop / Ctrl+C / quit)
    ran: bool = True  # False when the probe said it was done
    sent: str = ""  # the command line sent (detached wrapper for network changes)
    sudo: str = ""
    where: dict[str, Any] | None = None  # user/address/port/jump actually used (for the transcript)
    figures: list[dict[str, Any]] | None = None
    facts: dict[str, str] | None = None  # Action.facts found in the output


def extract_facts(specs: Sequence[tuple[str, str]], lines: Sequence[str]) -> dict[str, str]:
    """Action.facts read off an action's output: fact -> the regex's first group (multiline)."""
    text = "\n".join(lines)
    found = {}
    for name, regex in specs:
        m = re.search(regex, text, re.MULTILINE)
        if m:
            found[name] = m.group(1).strip()
    return found


class NodeRunner:
    """A node's runner for one action: connected on first use, and reconnected once when a stale
    connection (the node was powered off and on) cannot even start a command."""

    def __init__(self, engine: NodeWork, node: str, via: str | None, where: dict[str, Any],
                 bounded: bool = True) -> None:
        self.engine, self.node, self.via, self.where = engine, node, via, where
        # bounded: a node that does not answer is tried a few times, then the action fails saying where
        # (a wait does its own retrying instead).
        self.bounded = bounded
        self.runner: Any = None
        self.started = False  # a command of the action itself may have run
        self._sudo = ""

    def get(self) -> Any:
        if self.runner is None:
            if self.node == "local":
                self.runner = self.engine.local
            else:
                conns = self.engine.conns
                self.runner = (conns.get_bounded(self.node, self.via, self.engine._cancel) if self.bounded
                               else conns.get(self.node, self.via))
                ep = getattr(self.runner, "endpoint", None)  # None: a stand-in runner (tests)
                if ep is not None:
                    self.where.update(user=ep.user, address=ep.hostname, port=ep.port,
                                      jump=ep.jump.destination() if ep.jump else "")
                    self._sudo = self.runner.sudo_mode()
        return self.runner

    def reset(self) -> None:
        if self.node != "local":
            self.engine.conns.drop(self.node)
        self.runner = None

    def run(self, command: Any, **kw: Any) -> int:
        runner = self.get()
        self.started = True
        try:
            return runner.run(command, **kw)
        except NotStarted:
            if self.node == "local":
                raise
            self.reset()
            return self.get().run(command, **kw)

    def sudo(self) -> str:
        return self._sudo


def _figures(lines: list[str], node: str) -> list[dict[str, Any]]:
    """Figures printed by the action (HA-WIZARD-FIGURE lines, ab/siege reports), labelled by node."""
    try:
        from wizard.base.figures import parse_figures
    except ImportError:  # the lead's module; absent in early builds
        return []
    out = []
    for fig in parse_figures(lines):
        data = fig.to_dict()
        data["labels"] = {**data.get("labels", {}), "node": node}
        out.append(data)
    return out


class NodeWork:
    """The engine's work on one node of an action (mixed into `Engine`, which provides these attributes)."""

    session: Session
    conns: Connections
    local: LocalRunner
    yes: bool
    confirm_manual: Callable[[Action], bool] | None
    _cancel: threading.Event
    _unreachable: set[str] | None

    def _redact(self, text: str) -> str:
        raise NotImplementedError

    def _emit(self, event: Any) -> None:
        raise NotImplementedError

    def _on_node(self, action: Action, node: str, cmd: str, stdin: bytes | None, rec: Any,
                 stale_pid: int | None = None) -> NodeResult:
        """Everything an action does on one node; never raises (the result says what went wrong)."""
        where: dict[str, Any] = {}
        captured: list[str] = []
        unreachable = self._unreachable
        if unreachable is not None and node in unreachable:
            return NodeResult(EXIT_SSH, False, msg("eng.not_tried", node=node), ran=False)
        try:
            result = self._node_body(action, node, cmd, stdin, rec, where, captured, stale_pid)
        except Exception as exc:  # noqa: BLE001 - a bug must fail the action, not leave it "running"
            result = NodeResult(EXIT_SSH, False, msg("eng.internal", error=f"{type(exc).__name__}: {exc}"))
        result.where = where
        if result.ran and captured:
            result.figures = _figures(captured, node)
            if action.facts:
                result.facts = extract_facts(action.facts, captured)
        if unreachable is not None and result.code == EXIT_SSH and not result.ran and node != "local":
            unreachable.add(node)
        return result

    def _node_body(self, action: Action, node: str, cmd: str, stdin: bytes | None, rec: Any,
                   where: dict[str, Any], captured: list[str], stale_pid: int | None) -> NodeResult:

        def on_line(stream: str, text: str, keep: bool = True, text_es: str = "") -> None:
            text = self._redact(text)
            if keep and len(captured) < OUTPUT_KEEP:
                captured.append(text)
            with self.session.lock:
                rec.add_output(node, stream, text, text_es)
            self._emit(OutputLine(action.id, node, stream, text, text_es))  # type: ignore[arg-type]

        def info(text: Msg) -> None:
            """A line of the wizard's own, in both languages (the output tail keeps both)."""
            on_line("info", text.en, keep=False, text_es=self._redact(text.es))

        waits = action.kind == "wait" or (action.kind == "manual" and bool(cmd))
        nr = NodeRunner(self, node, action.via_address or None, where, bounded=not waits)
        call: Any = cmd  # what the runner gets: the command; on this machine an argv or a host operation
        probe: Any = action.probe
        try:
            if node == "local":
                call, probe = self._local_call(action, cmd), action.host_probe
            if not waits:
                nr.get()  # connect now: a refused host key or login fails before anything else
            if KEY_INSTALL in action.tags and getattr(nr.get(), "auth_method", "") == "publickey":
                # The wizard's key is only installed where the login needed the password.
                return NodeResult(0, True, note=msg("ssh.key_done"), ran=False, sudo=nr.sudo())
            if stale_pid:
                # The interrupted run may still be going (the wizard died, not the command):
                # let it end before the probe looks, or the probe would see half a change.
                info(msg("eng.stale_wait", pid=stale_pid))
                if not nr.get().wait_group_gone(stale_pid, action.timeout):
                    raise EngineError(msg("eng.stale_running", pid=stale_pid))

            def started(pgid: int) -> None:
                with self.session.lock:
                    rec.remote_pids[node] = pgid
                # So a resume after the wizard is killed can wait for this very process. Not fsynced:
                # after a power cut of the wizard's machine the pid would be useless anyway.
                self.session.save_pids()

            if probe:
                try:
                    code = nr.run(probe, on_line=lambda s, t: None, timeout=min(action.timeout, 120.0),
                                  cancel=self._cancel)
                except (HostKeyError, AuthFailed):
                    raise
                except LocalError:
                    code = 1  # the probe cannot tell (no VBoxManage): not done; the action says why if it fails
                except SSHError:
                    if not waits:
                        raise
                    code = 1  # a wait on a node not up yet: its loop retries the connection
                if code == 0:
                    info(msg("eng.probe_done"))  # in words: the probe's command is the action's (Details, md)
                    return NodeResult(0, True, note=msg("eng.already_done"), ran=False, sudo=nr.sudo())
            if isinstance(call, HostOp) and action.kind != "manual":
                info(msg("local.host_op_note"))
            if action.kind == "manual":
                return self._manual(action, node, cmd, nr, on_line, info, captured, call)
            if action.disrupts_network:
                if stdin:
                    raise EngineError(msg("eng.no_stdin_disrupt"))
                code, sent = self._disruptive(action, node, cmd, on_line, info, call)
                ok = code == 0 and self._expect_ok(action, captured)
                return NodeResult(code, ok, EMPTY if ok else self._why(action, code), sent=sent, sudo=nr.sudo())
            if action.kind == "wait":
                return self._wait(action, cmd, nr, stdin, on_line, info, captured, started, call)
            code = nr.run(call, stdin=stdin, on_line=on_line, timeout=action.timeout, cancel=self._cancel,
                          on_start=started)
            ok = code == 0 and (action.kind != "check" or self._expect_ok(action, captured))
            return NodeResult(code, ok, EMPTY if ok else self._why(action, code), sent=cmd, sudo=nr.sudo())
        except CommandTimeout as exc:
            return NodeResult(EXIT_TIMEOUT, False, msg_of(exc), sent=cmd, sudo=nr.sudo())
        except Cancelled as exc:
            return NodeResult(EXIT_TIMEOUT, False, msg_of(exc), sent=cmd, sudo=nr.sudo(), stopped=True)
        except (SSHError, HostKeyError, paramiko.SSHException) as exc:
            return NodeResult(EXIT_SSH, False, msg_of(exc), ran=nr.started)
        except EngineError as exc:
            return NodeResult(EXIT_SSH, False, msg_of(exc), ran=False)
        except LocalError as exc:
            return NodeResult(exc.code, False, msg_of(exc), sent=cmd, ran=False)

    # -- actions on this machine: no shell ----------------------------------------------------------
    def _local_call(self, action: Action, cmd: str) -> Any:
        """What the local runner gets for this action: its argv or host operation, or the command the user
        edited, read as one program and its arguments (a host step is never given to a shell)."""
        if cmd == action.command:
            if action.argv:
                return tuple(action.argv)
            if action.host is not None:
                return action.host
            if not cmd:
                return None
            raise LocalError(f"{action.id}: a host step without argv or host operation (a plan error)",
                             key="local.no_argv", values={"action": action.id})
        if action.host is not None and not action.argv:
            raise LocalError("this step is done by the wizard itself (in Python); its command is only the "
                             "equivalent for a POSIX shell and cannot be edited here", key="local.edit_host_op")
        return tuple(parse_command(cmd))

    def shown_command(self, action: Action, cmd: str) -> str:
        """The command line as the user sees it: on this machine, the program that runs (VBoxManage resolved),
        quoted for this machine's shell (Windows: PowerShell); a host operation shows its POSIX equivalent."""
        if not action.target.is_local:
            return cmd
        try:
            what = self._local_call(action, cmd)
        except LocalError:
            return cmd
        if isinstance(what, tuple):
            return self.local.shown(what)
        return cmd

    @staticmethod
    def _why(action: Action, code: int) -> Msg:
        if code != 0:
            return msg("eng.exit_status", code=code)
        return msg("eng.not_seen", what=awaited(action))

    @staticmethod
    def _expect_ok(action: Action, captured: list[str]) -> bool:
        return not action.expect or re.search(action.expect, "\n".join(captured), re.MULTILINE) is not None

    def _wait(self, action: Action, cmd: str, nr: NodeRunner, stdin: bytes | None, on_line: Any, info: Any,
              captured: list[str], on_start: Any = None, call: Any = None) -> NodeResult:
        """Retry every `interval` s until `timeout` s: also while the node cannot be reached (booting).
        `call`: what the runner gets when it is not `cmd` (on this machine: an argv or a host operation)."""
        call = cmd if call is None else call
        deadline = time.monotonic() + action.timeout
        interval = max(0.1, action.interval)
        max_attempts = int(action.timeout / interval) + 2  # bounded in count as well as in time
        code, why = -1, msg("eng.never_ran")
        what = awaited(action)
        # Only a node that is coming back (boot, reboot) is waited for long; one that should be up and
        # does not answer fails after a few tries, saying which address and where to fix it.
        unanswered, unanswered_max, t0 = 0, 1 + len(UNREACHABLE_DELAYS), time.monotonic()
        for attempt in range(1, max_attempts + 1):
            captured.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                code = nr.run(call, stdin=stdin, on_line=on_line, timeout=remaining, cancel=self._cancel,
                              on_start=on_start)
                why = msg("eng.exit_status", code=code) if code != 0 else msg("eng.not_shown")
                unanswered = 0
            except (HostKeyError, AuthFailed):
                raise
            except SSHError as exc:
                nr.reset()
                code, why = EXIT_SSH, msg("eng.unreachable", error=msg_of(exc))
                unanswered += 1
                if NODE_RETURNS not in action.tags and unanswered >= unanswered_max:
                    if isinstance(exc, Unreachable):
                        exc.with_hint(msg("ssh.attempts", n=unanswered, seconds=round(time.monotonic() - t0)))
                    raise
            if code == 0 and self._expect_ok(action, captured):
                return NodeResult(0, True, sent=cmd, sudo=nr.sudo(),
                                  note=msg("eng.after_attempts", n=attempt) if attempt > 1 else EMPTY)
            if time.monotonic() + interval >= deadline:
                break
            info(msg("eng.not_yet", what=what, why=why, interval=f"{interval:g}"))
            if self._cancel.wait(interval):
                raise Cancelled()
        return NodeResult(code if code != 0 else 1, False,
                          msg("eng.not_ready", seconds=f"{action.timeout:g}", what=what, why=why), sent=cmd,
                          sudo=nr.sudo())

    def _manual(self, action: Action, node: str, cmd: str, nr: NodeRunner, on_line: Any, info: Any,
                captured: list[str], call: Any = None) -> NodeResult:
        text_en, text_es = action.instructions, action.instructions_es or action.instructions
        for line_en, line_es in zip(text_en.splitlines(), text_es.splitlines(), strict=False):
            info(msg("eng.by_hand", line=Msg(line_en, line_es)))
        if len(text_en.splitlines()) != len(text_es.splitlines()):  # not line for line: each as a whole
            info(msg("eng.by_hand", line=Msg(" ".join(text_en.split()), " ".join(text_es.split()))))
        if cmd:
            info(msg("eng.waiting_for", what=awaited(action), command=cmd.splitlines()[0] if cmd else "",
                     interval=f"{action.interval:g}", timeout=f"{action.timeout:g}"))
            return self._wait(action, cmd, nr, None, on_line, info, captured, call=call)
        if self.confirm_manual is not None and self.confirm_manual(action):
            return NodeResult(0, True, note=msg("eng.confirmed_user"), ran=True)
        if self.yes:
            return NodeResult(0, True, note=msg("eng.confirmed_yes"), ran=True)
        return NodeResult(1, False, msg("eng.manual_needed"), ran=False)

    def _disruptive(self, action: Action, node: str, cmd: str, on_line: Any, info: Any,
                    call: Any = None) -> tuple[int, str]:
        if node == "local":
            return self.local.run(cmd if call is None else call, on_line=on_line, timeout=action.timeout,
                                  cancel=self._cancel), cmd
        via = action.via_address or None
        conn = self.conns.get(node, via)
        tag = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{action.id}-{node}") + "-" + _secrets.token_hex(4)
        sent = detached_wrapper(cmd, tag)
        log, rc = f"/tmp/ha-wizard-{tag}.log", f"/tmp/ha-wizard-{tag}.rc"
        try:
            conn.start_detached(cmd, tag)
        except NotStarted:
            raise
        except SSHError as exc:
            # The drop came before the wrapper's own exit status: the log file tells whether it started.
            info(msg("eng.dropped_starting", error=msg_of(exc)))
        # Where the node is after the change: reconnect_to, else its own address (not via_address: the
        # standby clone reached at master's address comes back at its own).
        target = action.reconnect_to or self.conns.address(node)
        info(msg("eng.detached", address=target))
        self.conns.drop(node)
        deadline = time.monotonic() + action.timeout
        # Give the change a moment to start (it waits 0.5 s itself), so the first reconnect does not
        # meet the old network.
        if self._cancel.wait(1.0):
            raise Cancelled()
        digits = string.digits
        out: list[str] = []
        for _ in range(int(action.timeout / 0.5) + 10):  # bounded; the deadline ends it first
            if time.monotonic() >= deadline:
                break
            try:
                conn = self.conns.alive(node, target) or self.conns.reconnect(node, target, deadline, self._cancel)
                out.clear()
                conn.run(f"cat {rc} 2>/dev/null || test -e {log} || echo NOT-STARTED",
                         on_line=lambda s, t: out.append(t), timeout=15)
                value = "".join(out).strip()
                if value == "NOT-STARTED":
                    raise EngineError(msg("eng.not_started"))
                if value and all(c in digits for c in value):
                    conn.run(f"cat {log}; rm -f {log} {rc}", on_line=on_line, timeout=30, cancel=self._cancel)
                    return int(value), sent
            except (HostKeyError, AuthFailed):
                raise
            except SSHError as exc:
                info(msg("eng.lost_again", error=msg_of(exc)))
                self.conns.drop(node)
                continue
            if self._cancel.wait(0.5):
                raise Cancelled()
        raise CommandTimeout(action.timeout)
