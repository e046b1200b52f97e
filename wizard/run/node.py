"""What an action does on one node: connect, probe, run (a command, a wait, a step by hand, a network change
started detached and waited for), and the result. `NodeWork` is the engine's half that does it; the
engine's action loop (wizard/run/engine.py) runs it on each node of an action."""

from __future__ import annotations

import re
import secrets as _secrets
import shlex
import string
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import paramiko

from steps.access import KEY_INSTALL, NODE_RETURNS
from steps.model import Action, HostOp
from wizard.base.i18n import EMPTY, Msg, msg, msg_of
from wizard.base.reach import split_address
from wizard.run import faults
from wizard.run.connections import UNREACHABLE_DELAYS, Connections
from wizard.run.errors import EngineError
from wizard.run.events import OutputLine
from wizard.run.hostkeys import HostKeyError
from wizard.run.local import LocalError, LocalRunner, parse_command
from wizard.run.moves import Move, Way, borrowed, recorded_ways
from wizard.run.ssh import detached_wrapper
from wizard.run.ssh_errors import AuthFailed, Cancelled, CommandTimeout, NotStarted, SSHError, Unreachable
from wizard.session.state import Session

if TYPE_CHECKING:
    from wizard.run.ssh import SSHConnection

EXIT_TIMEOUT = 124  # as coreutils' timeout(1)


EXIT_SSH = 255  # as ssh(1) when the connection fails


OUTPUT_KEEP = 5000  # lines kept per node for a check's regex


# A resume of a move the wizard was interrupted in looks for the node at least this long (seconds), and until
# the move's own timeout has passed since it started (a network restart: 300 s).
RESUME_LOOK_MIN = 30.0


def detached_tag(action_id: str, node: str) -> str:
    """The name of one detached run's files on the node (/tmp/ha-wizard-TAG.log/.rc): unique per attempt."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{action_id}-{node}") + "-" + _secrets.token_hex(4)


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

    def use(self, conn: Any) -> None:
        """Run on this connection (a node found where it may have moved)."""
        self.runner = conn
        ep = conn.endpoint
        self.where.update(user=ep.user, address=ep.hostname, port=ep.port,
                          jump=ep.jump.destination() if ep.jump else "")
        self._sudo = conn.sudo_mode()

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
    _moves: dict[str, list[Move]]
    _identifies: dict[str, list[Action]]

    def _redact(self, text: str) -> str:
        raise NotImplementedError

    def _emit(self, event: Any) -> None:
        raise NotImplementedError

    def _on_node(self, action: Action, node: str, cmd: str, stdin: bytes | None, rec: Any,
                 stale_pid: int | None = None, prior: dict[str, Any] | None = None) -> NodeResult:
        """Everything an action does on one node; never raises (the result says what went wrong).

        `prior`: the move this action recorded for this node on its previous, unfinished run (the checkpoint's
        `moves` entry): where the node may be now, and the detached runs that may have done the change."""
        where: dict[str, Any] = {}
        captured: list[str] = []
        unreachable = self._unreachable
        if unreachable is not None and node in unreachable:
            return NodeResult(EXIT_SSH, False, msg("eng.not_tried", node=node), ran=False)
        try:
            result = self._node_body(action, node, cmd, stdin, rec, where, captured, stale_pid, prior)
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
                   where: dict[str, Any], captured: list[str], stale_pid: int | None,
                   prior: dict[str, Any] | None = None) -> NodeResult:

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
        moving = action.disrupts_network and node != "local"
        try:
            if node == "local":
                call, probe = self._local_call(action, cmd), action.host_probe
            if moving:
                # The node may be on either side of the change (a run of it was interrupted): look for it.
                conn, tag, finished = self._reach_moving(action, node, rec, prior, nr, info)
                if finished is not None:  # the interrupted run did the change: its result is the action's
                    code = finished
                    sent = detached_wrapper(cmd, tag)
                    conn.run(f"cat /tmp/ha-wizard-{tag}.log; rm -f /tmp/ha-wizard-{tag}.log /tmp/ha-wizard-{tag}.rc",
                             on_line=on_line, timeout=30, cancel=self._cancel)
                    ok = code == 0 and self._expect_ok(action, captured)
                    return NodeResult(code, ok, EMPTY if ok else self._why(action, code), sent=sent, sudo=nr.sudo(),
                                      note=msg("move.finished_away", code=code))
                if tag:  # still running from the interrupted run: wait for it, start nothing
                    code, sent = self._disruptive(action, node, cmd, on_line, info, call, rec=rec, resume_tag=tag)
                    ok = code == 0 and self._expect_ok(action, captured)
                    return NodeResult(code, ok, EMPTY if ok else self._why(action, code), sent=sent,
                                      sudo=nr.sudo())
            elif not waits:
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
                faults.point(action.id, "sent")

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
                code, sent = self._disruptive(action, node, cmd, on_line, info, call, rec=rec,
                                              conn=None if node == "local" else nr.get())
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

    # -- a node that moves --------------------------------------------------------------------------------
    def _ways(self, action: Action, node: str, prior: dict[str, Any] | None) -> tuple[list[Way], str]:
        """Where the node may be, the new way first (the ways this run recorded, then the interrupted run's
        if they differ), and its VM."""
        entry = self.session.record(action.id).moves.get(node) or {}
        ways = recorded_ways(entry)
        for way in recorded_ways(prior or {}):
            if way.address not in {w.address for w in ways}:
                ways.append(way)
        if not ways:  # not a move the plan knows (a test's plan): the node's own way
            ways = [Way(self.conns.address(node))]
        return ways, str(entry.get("vm") or (prior or {}).get("vm") or node)

    def _identify(self, node: str) -> Any:
        """The question asked of a machine that answers with the node's host key at another node's way in (the
        clone at master's forward): the plan's checks tagged IDENTIFIES for this node say whether it is the node.
        Returns why it is not (a Msg), or None."""
        checks = self._identifies.get(node, [])

        def identify(conn: SSHConnection, way: Way) -> Msg | None:
            other = borrowed(self.session.answers, node, way)
            if not other or not checks:
                return None
            for check in checks:
                out: list[str] = []
                try:
                    code = conn.run(check.command, on_line=lambda _s, t, out=out: out.append(t), timeout=30,
                                    cancel=self._cancel)
                except SSHError as exc:
                    return msg_of(exc)
                if code != 0 or (check.expect and not re.search(check.expect, "\n".join(out), re.MULTILINE)):
                    return msg("move.not_it", node=node, address=way.address, other=other, check=check.id)
            return None

        return identify

    def _reach_moving(self, action: Action, node: str, rec: Any, prior: dict[str, Any] | None, nr: NodeRunner,
                      info: Any) -> tuple[Any, str, int | None]:
        """Connect to a node this action moves: (connection, tag, exit status).

        A first run connects where the node is before the change (bounded, as any action). A run after an
        unfinished one (the wizard killed, a laptop closed, a failure mid-change) looks for the node at the new
        way and the old one (`Connections.find`: host key, and for another node's way the plan's identity
        check), then reads what the earlier detached runs left: a finished run's exit status is the action's
        (tag, status); one still running is waited for (tag, None); none that started: ("", None), run it."""
        if not prior:
            return nr.get(), "", None
        ways, vm = self._ways(action, node, prior)
        old = recorded_ways(prior)[-1] if recorded_ways(prior) else ways[-1]
        look = RESUME_LOOK_MIN
        try:
            started = datetime.fromisoformat(str(prior.get("started", "")))
            elapsed = (datetime.now(UTC) - started).total_seconds()
            look = max(RESUME_LOOK_MIN, min(action.timeout, action.timeout - elapsed))
        except (TypeError, ValueError):
            pass
        info(msg("move.looking", node=node, ways=Msg.join((w.describe() for w in ways), " / "),
                 seconds=f"{look:.0f}"))
        conn, way = self.conns.find(node, ways, time.monotonic() + look, self._cancel,
                                    identify=self._identify(node), min_rounds=2, vm=vm, action=action.id)
        nr.use(conn)
        if way.address != old.address:
            info(msg("move.found", node=node, way=way.describe()))
            # The journal keeps the plan's way for the command (a replay starts where the plan does) and says
            # where the node was found.
            host, port = split_address(old.address)
            nr.where.update(address=host, port=port or self.session.answers.ssh_port, found_at=way.address)
        tags = [t for t in prior.get("tags", []) if isinstance(t, str) and t]
        if not tags:
            return conn, "", None
        states = self._previous_runs(conn, tags)
        for tag in reversed(tags):
            state = states.get(tag, "none")
            if state.isdigit():
                return conn, tag, int(state)
            if state == "running":
                info(msg("move.still_running", node=node))
                return conn, tag, None
            if state == "died":
                info(msg("move.died", node=node))
        return conn, "", None

    @staticmethod
    def _previous_runs(conn: Any, tags: Sequence[str]) -> dict[str, str]:
        """tag -> its exit status (digits), "running", "died" (a log but no process and no status) or "none"."""
        lines = []
        for tag in tags:
            log, rc = shlex.quote(f"/tmp/ha-wizard-{tag}.log"), shlex.quote(f"/tmp/ha-wizard-{tag}.rc")
            # [h]a-wizard: the pattern does not match this very shell's command line, only the detached run's.
            pattern = shlex.quote("[h]a-wizard-" + re.escape(tag) + r"\.rc")
            word = shlex.quote(tag)
            lines.append(f"if [ -e {rc} ]; then echo {word} $(cat {rc}); elif [ -e {log} ]; then "
                         f"if command -v pgrep >/dev/null 2>&1 && ! pgrep -f -- {pattern} >/dev/null; "
                         f"then echo {word} died; else echo {word} running; fi; else echo {word} none; fi")
        out: list[str] = []
        conn.run("\n".join(lines), on_line=lambda s, t: out.append(t), timeout=30)
        states = {}
        for line in out:
            tag, _, state = line.strip().partition(" ")
            states[tag] = state.strip() or "none"
        return states

    def _disruptive(self, action: Action, node: str, cmd: str, on_line: Any, info: Any,
                    call: Any = None, rec: Any = None, resume_tag: str = "", conn: Any = None) -> tuple[int, str]:
        """Start the change detached (or, `resume_tag`, wait for the one an interrupted run started), then wait
        for its exit status wherever the node is now: the new way or the old one (a change that failed leaves
        the node where it was), each in turn, until the action's timeout."""
        if node == "local":
            return self.local.run(cmd if call is None else call, on_line=on_line, timeout=action.timeout,
                                  cancel=self._cancel), cmd
        ways, vm = self._ways(action, node, None)
        identify = self._identify(node)
        entry = rec.moves.get(node) if rec is not None else None
        tag = resume_tag or ((entry or {}).get("tags") or [""])[-1] or detached_tag(action.id, node)
        sent = detached_wrapper(cmd, tag)
        log, rc = f"/tmp/ha-wizard-{tag}.log", f"/tmp/ha-wizard-{tag}.rc"
        if not resume_tag:
            conn = conn or self.conns.get(node, action.via_address or None)
            try:
                conn.start_detached(cmd, tag)
            except NotStarted:
                raise
            except SSHError as exc:
                # The drop came before the wrapper's own exit status: the log file tells whether it started.
                info(msg("eng.dropped_starting", error=msg_of(exc)))
            faults.point(action.id, "sent")
            info(msg("eng.detached", address=ways[0].address))
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
                conn = next((c for w in ways if (c := self.conns.alive(node, w.address)) is not None), None)
                if conn is None:
                    conn = self.conns.find(node, ways, deadline, self._cancel, identify=identify, vm=vm,
                                           action=action.id)[0]
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
            except Unreachable as exc:
                if exc.stage == "moved":  # looked everywhere until the deadline: nothing answered
                    raise
                info(msg("eng.lost_again", error=msg_of(exc)))
                self.conns.drop(node)
                continue
            except SSHError as exc:
                info(msg("eng.lost_again", error=msg_of(exc)))
                self.conns.drop(node)
                continue
            if self._cancel.wait(0.5):
                raise Cancelled()
        raise CommandTimeout(action.timeout)
