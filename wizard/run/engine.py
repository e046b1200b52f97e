"""The engine: runs a plan's actions over SSH and locally, checkpointing before and after each.

Blocking API, meant for a worker thread (the TUI) or the main thread (headless). Events go to
`on_event` from the engine's threads. Group actions run one thread per node.

Decisions worth knowing (docs: the report of issue 4):
- probe first: an action whose probe exits 0 on a node is not run there ("already done"), which
  makes resuming after a crash safe for non-idempotent actions;
- an action found `running` on resume was interrupted: its probe decides; without a probe, a
  non-idempotent one is not re-run unless `yes` / `force` (the user checked by hand);
- manual actions: with a check command, the check is waited on (every `interval` s for `timeout` s);
  without one, `confirm_manual(action)` (the TUI) or `yes` (headless --yes) says it was done;
- `disrupts_network`: started detached (nohup setsid, exit status to a file), the connection
  dropped, then reconnected with bounded backoff to `reconnect_to` (or the same address) and the
  exit status read back from the file.
"""

from __future__ import annotations

import re
import secrets as _secrets
import string
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import paramiko

from steps.access import KEY_INSTALL, NODE_RETURNS, PUBLIC_KEY
from steps.model import Action, HostOp, Text
from wizard.base.i18n import EMPTY, LocalizedError, Msg, msg, msg_of, t
from wizard.base.reach import reach, split_address
from wizard.run.events import ActionFinished, ActionStarted, Event, OutputLine, PlanChanged, Reconnecting
from wizard.run.hostkeys import ConfirmHostKey, HostKeyError, HostKeyTrust
from wizard.run.keys import login_files, wizard_public_key
from wizard.run.local import LocalError, LocalRunner, parse_command
from wizard.run.ssh import (
    AuthFailed,
    Cancelled,
    CommandTimeout,
    JumpFailed,
    NotStarted,
    SSHConnection,
    SSHError,
    SSHOptions,
    Unreachable,
    detached_wrapper,
    resolve_endpoint,
)
from wizard.run.vboxmanage import configured as configured_vboxmanage
from wizard.session.state import DONE, Session, now_iso, wizard_known_hosts

EXIT_TIMEOUT = 124  # as coreutils' timeout(1)
EXIT_SSH = 255  # as ssh(1) when the connection fails
OUTPUT_KEEP = 5000  # lines kept per node for a check's regex
RECONNECT_DELAYS = (0.5, 1.0, 1.0, 2.0, 3.0, 5.0)  # then 5 s until the action's timeout
# A node that should be up but does not answer: tried again after these pauses, then the action fails
# (about 10 s plus the connect timeouts), naming the address and the inventory fields behind it.
UNREACHABLE_DELAYS = (2.0, 3.0, 5.0)
REDACTED = "********"

PlanEntry = tuple[Any, list[Action]]  # (section module with ID and TITLE, its actions)


class EngineError(LocalizedError, ValueError):
    """A request the engine cannot honour (unknown action, missing secret...)."""


def section(section_id: str, title: str, actions: list[Action]) -> PlanEntry:
    """A plan entry without a steps module (tests, custom plans)."""
    return SimpleNamespace(ID=section_id, TITLE=Text(title, title)), actions


def secret_env_var(name: str) -> str:
    return "HA_WIZARD_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


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


class Connections:
    """One SSH connection per node, reused; servers through the first reachable director.

    Where each node is dialled comes from wizard/reach.py (a port forward, a direct address, a jump).
    A refused login is final at once; with `ask_password` the password is asked once (for every node)
    and the login tried again with it. An address that does not answer gets a bounded retry
    (`get_bounded`) and an error that says which address and which inventory fields lead there.
    """

    def __init__(self, answers: Any, options: SSHOptions, trust: HostKeyTrust,
                 emit: Callable[[Event], None], ask_password: Callable[[str], str | None] | None = None,
                 lang: str = "en") -> None:
        self.answers = answers
        self.options = options
        self.trust = trust
        self.emit = emit
        self.ask_password = ask_password
        self.lang = lang
        self.config = options.load_config()
        self._conns: dict[str, SSHConnection] = {}
        self._extra: list[SSHConnection] = []  # ProxyJump hops from ~/.ssh/config
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._password_lock = threading.Lock()
        self._password_asked = False

    def _node_lock(self, node: str) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(node, threading.Lock())

    def address(self, node: str) -> str:
        try:
            return reach(self.answers, node).address
        except KeyError:
            raise EngineError(msg("eng.not_in_answers", node=node)) from None

    def is_server(self, node: str) -> bool:
        return any(s.name == node for s in self.answers.servers)

    def get(self, node: str, address: str | None = None) -> SSHConnection:
        address = address or self.address(node)
        with self._node_lock(node):
            conn = self._conns.get(node)
            if conn is not None and conn.is_alive() and conn.endpoint.address == address:
                return conn
            if conn is not None:
                conn.close()
                del self._conns[node]
            try:
                conn = self._open(node, address)
            except Unreachable as exc:
                raise self._with_hint(exc, node, address) from None
            self._conns[node] = conn
            return conn

    def get_bounded(self, node: str, address: str | None = None, cancel: threading.Event | None = None,
                    delays: Sequence[float] = UNREACHABLE_DELAYS) -> SSHConnection:
        """`get`, tried again a few times (`delays`) while the address does not answer: a node that is up
        but briefly busy gets through, a wrong address fails in seconds with where to fix it."""
        t0 = time.monotonic()
        for attempt in range(len(delays) + 1):
            try:
                return self.get(node, address)
            except Unreachable as exc:  # nothing answered there: try again a little (other failures are final)
                if attempt == len(delays):
                    exc.with_hint(msg("ssh.attempts", n=attempt + 1, seconds=round(time.monotonic() - t0)))
                    raise
                self.emit(Reconnecting(node, address or self.address(node), attempt + 1))
                if cancel is not None and cancel.wait(delays[attempt]):
                    raise Cancelled() from None
                if cancel is None:
                    time.sleep(delays[attempt])
        raise AssertionError("unreachable")  # the loop returns or raises

    def _with_hint(self, exc: Unreachable, node: str, address: str) -> Unreachable:
        """Which answers lead to `address`: the node's own, or the director's whose address a clone borrows."""
        owner = node
        for d in self.answers.directors:
            if d.name != node and address == self.address(d.name):
                owner = d.name
        try:
            r = reach(self.answers, owner)
        except KeyError:
            return exc
        index = next((i for i, d in enumerate(self.answers.directors) if d.name == owner), 0)
        if r.kind == "forward":
            key = "ssh.hint_forward_refused" if exc.stage == "connect" else "ssh.hint_forward_dead"
            fields = f"directors[{index}].ssh_port, directors[{index}].external_ip ({owner})"
            exc.with_hint(msg(key, guest=f"{r.guest_ip}:{r.guest_port}", network=self.answers.virtualbox.natnetwork,
                              fields=fields))
        else:
            exc.with_hint(msg("ssh.hint_direct", fields=f"directors[{index}].ssh_host, "
                                                        f"directors[{index}].external_ip ({owner})"))
        return exc

    def _login(self, endpoint: Any, jump_transport: Any = None) -> SSHConnection:
        """Log in; when the node refused and no password was tried yet, ask for it once and try again."""
        try:
            return SSHConnection(endpoint, self.options, self.trust, jump_transport).connect()
        except AuthFailed:
            if not self._password_now(endpoint):
                raise
        return SSHConnection(endpoint, self.options, self.trust, jump_transport).connect()

    def _password_now(self, endpoint: Any) -> bool:
        """True when a password is there to try (asked now, or by another node's login meanwhile)."""
        with self._password_lock:
            if self.options.password is not None:
                return True
            if self._password_asked or self.ask_password is None:
                return False
            self._password_asked = True
            prompt = t("ssh.ask_password", self.lang, user=endpoint.user, node=endpoint.node,
                       address=f"{endpoint.hostname}:{endpoint.port}")
            password = self.ask_password(prompt)
            if password:
                self.options.password = password
                return True
            return False

    def _open(self, node: str, address: str) -> SSHConnection:
        if self.is_server(node):
            return self._open_via_director(node, address)
        endpoint = resolve_endpoint(node, address, self.options, self.config)
        jump_transport = None
        if endpoint.jump is not None:
            hop = self._login(endpoint.jump)
            hop.prime_for_jump()
            self._extra.append(hop)
            jump_transport = hop.transport
        return self._login(endpoint, jump_transport)

    def _open_via_director(self, node: str, address: str) -> SSHConnection:
        """Real servers: through the first director that is reachable and can reach the server."""
        errors = []
        for director in self.answers.directors:
            try:
                jump = self.get(director.name)
            except (HostKeyError, AuthFailed):
                raise  # a director that refuses the login: no other director will let the wizard in
            except SSHError as exc:
                errors.append(msg_of(exc))
                continue
            endpoint = resolve_endpoint(node, address, self.options, self.config, jump=jump.endpoint)
            try:
                try:
                    jump.prime_for_jump()
                except SSHError as exc:  # the director's connection is dead: try the next one
                    raise JumpFailed(str(exc), unresponsive=True) from None
                return self._login(endpoint, jump.transport)
            except JumpFailed as exc:
                errors.append(msg_of(exc))
                if exc.unresponsive:
                    # A dead connection (the director was powered off): forget it. A director that
                    # answered keeps its connection: other servers' commands may be riding on it.
                    self.drop(director.name)
        index = next((i for i, s in enumerate(self.answers.servers) if s.name == node), 0)
        fields = f"servers[{index}].ip, servers[{index}].ssh_host ({node})"
        raise Unreachable(msg("eng.via_directors", node=node, address=address, errors=Msg.join(errors)),
                          "jump").with_hint(msg("ssh.hint_jump", fields=fields))

    def jump(self) -> SSHConnection:
        errors = []
        for director in self.answers.directors:
            try:
                return self.get(director.name)
            except HostKeyError:
                raise
            except SSHError as exc:
                errors.append(msg_of(exc))
        raise SSHError(msg("eng.no_director", errors=Msg.join(errors)))

    def alive(self, node: str, address: str) -> SSHConnection | None:
        with self._node_lock(node):
            conn = self._conns.get(node)
        if conn is not None and conn.is_alive() and conn.endpoint.address == address:
            return conn
        return None

    def drop(self, node: str) -> None:
        with self._node_lock(node):
            conn = self._conns.pop(node, None)
        if conn is not None:
            conn.close()

    def reconnect(self, node: str, address: str, deadline: float, cancel: threading.Event) -> SSHConnection:
        """Bounded backoff until `deadline` (monotonic). Host key and auth errors are final."""
        attempt = 0
        last: Msg = EMPTY
        while True:
            attempt += 1
            self.emit(Reconnecting(node, address, attempt))
            try:
                return self.get(node, address)
            except (HostKeyError, AuthFailed):
                raise
            except SSHError as exc:
                last = msg_of(exc)
            delay = RECONNECT_DELAYS[min(attempt - 1, len(RECONNECT_DELAYS) - 1)]
            if time.monotonic() + delay >= deadline:
                raise SSHError(msg("eng.not_again", node=node, address=address, n=attempt, error=last))
            if cancel.wait(delay):
                raise Cancelled()

    def close(self) -> None:
        with self._lock:
            conns = list(self._conns.values()) + self._extra
            self._conns.clear()
            self._extra.clear()
        # Servers first: their connections ride on the directors' ones.
        for conn in sorted(conns, key=lambda c: c.endpoint.jump is None):
            conn.close()


class _NodeRunner:
    """A node's runner for one action: connected on first use, and reconnected once when a stale
    connection (the node was powered off and on) cannot even start a command."""

    def __init__(self, engine: Engine, node: str, via: str | None, where: dict[str, Any],
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


class Engine:
    def __init__(self, session: Session, secrets: dict[str, str], confirm_host_key: ConfirmHostKey | None,
                 on_event: Callable[[Event], None] | None = None, *,
                 plan: Sequence[PlanEntry] | None = None,
                 trust_new_hosts: bool = False, pins: dict[str, str] | None = None,
                 identity_files: Sequence[str] = (), known_hosts: Sequence[str | Path] = (),
                 ssh_password: str | None = None, ssh_config: Path | None = None,
                 connect_timeout: float = 10.0, yes: bool = False,
                 confirm_manual: Callable[[Action], bool] | None = None,
                 ask_ssh_password: Callable[[str], str | None] | None = None) -> None:
        """`identity_files` / `known_hosts`: explicit ones replace the lab's (lab profile, wizard/keys.py);
        the wizard's own key is always offered. `ask_ssh_password(prompt)`: called once, when a node
        refuses every key and no password was given (a terminal or the app asks; None: never ask)."""
        self.session = session
        # One runner per session: the front end claims it with its own name; an engine made without one
        # (tests, scripts) claims it here, so two engines in two processes can never run one session.
        self._claimed_here = not session.claimed
        if self._claimed_here:
            session.claim("run")
        self.secrets = dict(secrets)
        self.on_event = on_event
        self.yes = yes
        self.confirm_manual = confirm_manual
        self._cancel = threading.Event()
        self._running: set[str] = set()
        # Nodes found unreachable while a keep-going section (preflight) runs: not tried again in it.
        # None outside such a section (a node that failed once is tried again next time).
        self._unreachable: set[str] | None = None
        # The engine builds the plan itself unless given one: then it rebuilds it when a fact changes.
        self._builds_plan = plan is None
        self.plan: list[PlanEntry] = []
        self._actions: dict[str, tuple[Any, Action]] = {}
        self._set_plan(self._build_plan() if plan is None else plan)
        root = session.folder.parent.parent
        if any(PUBLIC_KEY in a.secrets for _, acts in self.plan for a in acts):
            # Made now (first run), so it is offered from the first login on; not a secret: nothing to ask.
            self.secrets.setdefault(PUBLIC_KEY, wizard_public_key(root))
        identity_files, known_hosts = login_files(session.answers, identity_files, known_hosts, root)
        user_files = [*HostKeyTrust.default_user_files(), *(Path(p) for p in known_hosts)]
        self.trust = HostKeyTrust(wizard_file=wizard_known_hosts(root), user_files=user_files, pins=dict(pins or {}),
                                  trust_new_hosts=trust_new_hosts, confirm=confirm_host_key,
                                  on_trusted=session.trust)
        for node, entries in session.trusted.items():
            self.trust.node_fingerprints[node] = {e["fingerprint"] for e in entries}
        self.ssh_options = SSHOptions(user=session.answers.ssh_user, port=session.answers.ssh_port,
                                      identity_files=list(identity_files), password=ssh_password,
                                      connect_timeout=connect_timeout, ssh_config=ssh_config)
        self.conns = Connections(session.answers, self.ssh_options, self.trust, self._emit,
                                 ask_password=ask_ssh_password, lang=session.lang)
        self._record_ssh_options()
        self.local = LocalRunner(vboxmanage=configured_vboxmanage(session.answers), lang=session.lang,
                                 answers=session.answers)
        self._seq = max((e.get("seq", 0) for e in session.journal), default=0)
        session.save()

    def _build_plan(self) -> list[PlanEntry]:
        from steps import session_plan
        return session_plan(self.session.answers, self.session.profile, self.session.facts)

    def _set_plan(self, plan: Sequence[PlanEntry]) -> None:
        actions: dict[str, tuple[Any, Action]] = {}
        for module, acts in plan:
            for action in acts:
                if action.id in actions:
                    raise EngineError(f"action id {action.id!r} appears twice in the plan")
                actions[action.id] = (module, action)
        self.plan, self._actions = list(plan), actions
        self.session.plan = [{"id": a.id, "section": m.ID} for m, acts in self.plan for a in acts]

    def replan(self) -> bool:
        """Rebuild the plan for the session's current facts; True when a command changed."""
        if not self._builds_plan:
            return False
        new = self._build_plan()
        if [a for _, acts in new for a in acts] == [a for _, acts in self.plan for a in acts]:
            return False
        self._set_plan(new)
        return True

    # -- queries ----------------------------------------------------------------------------------
    def action(self, action_id: str) -> Action:
        try:
            return self._actions[action_id][1]
        except KeyError:
            raise EngineError(msg("eng.no_action", id=action_id)) from None

    def section_of(self, action_id: str) -> Any:
        self.action(action_id)
        return self._actions[action_id][0]

    def section_ids(self) -> list[str]:
        return [m.ID for m, _ in self.plan]

    def section_actions(self, section_id: str) -> list[Action]:
        for module, actions in self.plan:
            if module.ID == section_id:
                return actions
        raise EngineError(msg("eng.no_section", id=section_id, ids=", ".join(self.section_ids())))

    def next_pending(self, section: str | None = None) -> Action | None:
        """The first action not done yet (pending, interrupted or failed), in plan order."""
        for module, actions in self.plan:
            if section is not None and module.ID != section:
                continue
            for action in actions:
                if self.session.status(action.id) not in DONE:
                    return action
        return None

    def needed_secrets(self, sections: Sequence[str] | None = None) -> list[str]:
        names: list[str] = []
        for module, actions in self.plan:
            if sections and module.ID not in sections:
                continue
            for action in actions:
                if self.session.status(action.id) in DONE:
                    continue
                names += [n for n in action.secrets if n not in names and n not in self.secrets]
        return names

    def _record_ssh_options(self) -> None:
        """How this run reaches the nodes, for the exports' ssh lines: the keys, known_hosts files and host-key
        policy in effect (paths and policy only; no secret). Refreshed with every journal entry, so options
        set after the engine was made (a profile's own key, say) are the ones recorded."""
        opts, trust = self.ssh_options, self.trust
        self.session.options["ssh"] = {
            "identity_files": [str(p) for p in opts.identity_files],
            "known_hosts": [str(trust.wizard_file), *(str(p) for p in trust.user_files)],
            "trust_new_hosts": trust.trust_new_hosts, "connect_timeout": opts.connect_timeout,
            "ssh_config": str(opts.ssh_config) if opts.ssh_config else "", "password": opts.password is not None,
            # The wizard's public key, when the plan installs it (not a secret): the sh export writes it in.
            "public_key": self.secrets.get(PUBLIC_KEY, "")}

    def add_side_section(self, module: Any, actions: Sequence[Action]) -> None:
        """Actions runnable by id that are not part of the forward plan (going back to the snapshot,
        wizard/undo.py): not in `plan`, so `run_section` loops and progress counts never meet them."""
        for action in actions:
            known = self._actions.get(action.id)
            if known is not None and known[0] is not module:
                raise EngineError(f"action id {action.id!r} appears twice in the plan")
            self._actions[action.id] = (module, action)

    def journal_event(self, data: dict[str, Any]) -> dict[str, Any]:
        """A journal entry that is not an action's run (e.g. going back to the snapshot); returned for
        updating in place, as an action's entry is."""
        with self.session.lock:
            self._seq += 1
            entry = {"seq": self._seq, **data}
            self.session.add_journal(entry)
            return entry

    # -- control ----------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop the running command (its process group is signalled) and the section loop."""
        self._cancel.set()

    def close(self) -> None:
        self.conns.close()
        if self._claimed_here:
            self.session.release()

    def skip(self, action_id: str) -> None:
        action = self.action(action_id)
        rec = self.session.record(action_id)
        note = msg("eng.skipped")
        with self.session.lock:
            rec.status = "skipped"
            rec.started = rec.ended = now_iso()
            rec.note, rec.note_es = note.en, note.es
            rec.error = rec.error_es = ""
            self._journal(action, action.command, False, "skipped", {}, note, {})
        self.session.save()
        self._emit(ActionFinished(action_id, "skipped", {}, "", note.en, note_es=note.es))

    def section_module(self, section_id: str) -> Any:
        for module, _ in self.plan:
            if module.ID == section_id:
                return module
        raise EngineError(f"no section {section_id!r} (sections: {', '.join(self.section_ids())})")

    def moved_past(self, section_id: str) -> bool:
        """Whether any action of a section after this one has been started (done, failed, skipped…)."""
        ids = self.section_ids()
        later = ids[ids.index(section_id) + 1:] if section_id in ids else []
        return any(self.session.status(a.id) != "pending" for s in later for a in self.section_actions(s))

    def run_section(self, section_id: str, rerun: bool | None = None) -> bool:
        """Run the section's actions not done yet, in order; stop at the first failure.

        A section with KEEP_GOING (preflight: checks) runs every action and reports all failures; a node
        that cannot be reached is not tried again in it. With RERUN its done actions run again too (checks
        say how things are now). The plan is looked up after every action: a fact found on the way
        (the pcs version) may have changed the commands that follow.
        """
        self._cancel.clear()
        module = self.section_module(section_id)
        keep_going = bool(getattr(module, "KEEP_GOING", False))
        # Checks describe the starting point: once a later section has begun, the guide has changed it on
        # purpose (a VM powered off to add its NIC, standby cloned), so a resume runs only the checks not
        # passed yet instead of failing on what the guide itself did.
        # `rerun=True`: the student asked for the checks again (the app's button).
        if rerun is None:
            rerun = bool(getattr(module, "RERUN", False)) and not self.moved_past(section_id)
        rerun = rerun and bool(getattr(module, "RERUN", False))
        tried: set[str] = set()
        ok = True
        self._unreachable = set() if keep_going else None
        try:
            for _ in range(len(self._actions) + 1):  # bounded: each turn runs an action not tried before
                if self._cancel.is_set():
                    return False
                action = next((a for a in self.section_actions(section_id) if a.id not in tried
                               and (rerun or self.session.status(a.id) not in DONE)), None)
                if action is None:
                    return ok
                tried.add(action.id)
                if self.run_action(action.id) == "failed":
                    ok = False
                    if not keep_going:
                        return False
            return ok
        finally:
            self._unreachable = None

    # -- running one action -------------------------------------------------------------------
    def run_action(self, action_id: str, command: str | None = None, *, force: bool = False) -> str:
        action = self.action(action_id)
        edited = command is not None and command != action.command
        cmd = command if command is not None else action.command
        nodes = ("local",) if action.target.is_local else tuple(action.target.nodes)
        rec = self.session.record(action_id)
        with self.session.lock:
            if action_id in self._running:
                raise EngineError(msg("eng.already_running", id=action_id))
            self._running.add(action_id)
        try:
            return self._run_action(action, rec, cmd, edited, nodes, force)
        finally:
            with self.session.lock:
                self._running.discard(action_id)

    def _run_action(self, action: Action, rec: Any, cmd: str, edited: bool, nodes: tuple[str, ...],
                    force: bool) -> str:
        action_id = action.id
        self._cancel.clear()  # a cancel was for the previous action
        # "running" in the checkpoint and not running here: the wizard died while it ran.
        interrupted = rec.status == "running"
        failed_before = rec.status in ("failed", "stopped")
        with self.session.lock:
            rec.status = "running"
            rec.started, rec.ended = now_iso(), ""
            rec.command_run, rec.edited = cmd, edited
            rec.exit_codes, rec.output = {}, []
            rec.error = rec.error_es = ""
            first_note = msg("eng.interrupted_probe") if interrupted else EMPTY
            rec.note, rec.note_es = first_note.en, first_note.es
            # A run that failed on a timeout or a lost link may have left its command running on the node
            # (the kill could not get through): the next run waits for it too, so it never runs twice at once.
            # (Not for waits: their last attempt was a quick check, and their node may not be up yet.)
            left_running = failed_before and action.kind in ("run", "write")
            stale = dict(rec.remote_pids) if interrupted or left_running else {}
            rec.remote_pids = {}
            if interrupted:
                self._mark_interrupted(action_id)
            entry = self._journal(action, cmd, edited, "running", {}, EMPTY, {})
        self.session.save()  # before: a crash from here on leaves "running" = interrupted
        self._emit(ActionStarted(action_id, nodes, self.shown_command(action, cmd), action.kind))
        results: dict[str, NodeResult] = {}
        error: Msg = EMPTY
        try:
            if interrupted and not action.probe and not action.idempotent and not (force or self.yes):
                raise EngineError(msg("eng.interrupted_unsafe"))
            stdin = self._stdin(action)
            if action.target.is_local:
                results["local"] = self._on_node(action, "local", cmd, stdin, rec, stale.get("local"))
            elif len(nodes) == 1:
                results[nodes[0]] = self._on_node(action, nodes[0], cmd, stdin, rec, stale.get(nodes[0]))
            else:
                with ThreadPoolExecutor(max_workers=len(nodes), thread_name_prefix="node") as pool:
                    futures = {n: pool.submit(self._on_node, action, n, cmd, stdin, rec, stale.get(n))
                           for n in nodes}
                    try:
                        results = {n: f.result() for n, f in futures.items()}
                    except BaseException:
                        # Ctrl-C in the main thread: stop the node threads' commands too (the pool
                        # waits for them on the way out); the record stays "running" = interrupted.
                        self._cancel.set()
                        raise
        except (EngineError, KeyError, ValueError) as exc:
            error = msg_of(exc)
        failed = [n for n, r in results.items() if not r.ok]
        stopped = bool(failed) and all(results[n].stopped for n in failed)
        if stopped:
            error = msg("eng.stopped")
        elif failed:
            error = Msg.join(msg("eng.node_error", node=n, error=results[n].error) for n in failed)
        warning = EMPTY
        if error and not stopped and action.warn_only and all(results[n].ran for n in failed):
            # The check ran and said no: a warning to read, not a stop.
            nodes = ", ".join(failed)
            warning = Msg(f"{nodes}: {action.on_fail or error.en}", f"{nodes}: {action.on_fail_es or error.es}")
            error = EMPTY
        if stopped:
            status = "stopped"
        elif error:
            status = "failed"
        else:
            status = "edited" if edited else "ok"
        done_note = msg("eng.already_done")
        done_nodes = [n for n, r in results.items() if r.note == done_note]
        others = [(n, r.note) for n, r in results.items() if r.note and r.note != done_note]
        if warning:
            note = warning
        elif results and len(done_nodes) == len(results):
            note = done_note
        elif done_nodes:
            note = msg("eng.already_done_on", nodes=", ".join(done_nodes))
        elif others:
            note = Msg.join(msg("eng.node_error", node=n, error=t) if len(results) > 1 else t for n, t in others)
        else:
            note = Msg(rec.note, rec.note_es) if status not in ("ok", "stopped") else EMPTY
        with self.session.lock:
            rec.status = status
            rec.ended = now_iso()
            # A stopped command has no exit status of its own (the wizard signalled it).
            rec.exit_codes = {} if stopped else {n: r.code for n, r in results.items()}
            rec.error, rec.error_es = error.en, error.es
            rec.note, rec.note_es = note.en, note.es
            rec.runs += sum(1 for r in results.values() if r.ran)
            rec.figures = [f for r in results.values() for f in (r.figures or [])]
            failed_now = status == "failed"
            rec.on_fail = action.on_fail if failed_now else ""
            rec.on_fail_es = action.on_fail_es if failed_now else ""
            rec.warning, rec.warning_es = warning.en, warning.es
            changed = False
            for n, r in results.items():
                for name, value in (r.facts or {}).items():
                    changed = self.session.set_fact(name, n, value) or changed
            self._journal(action, cmd, edited, status, rec.exit_codes, note, results, error, entry=entry)
            replanned = changed and self.replan()
        self.session.save()  # after
        self._emit(ActionFinished(action_id, status, dict(rec.exit_codes), error.en, note.en, error_es=error.es,
                                  note_es=note.es))
        if replanned:
            self._emit(PlanChanged({k: dict(v) for k, v in self.session.facts.items()}))
        return status

    def _stdin(self, action: Action) -> bytes | None:
        if not action.stdin:
            return None
        missing = [n for n in action.secrets if not self.secrets.get(n)]
        if missing:
            raise EngineError(msg("eng.secret_missing", name=missing[0], var=secret_env_var(missing[0])))
        try:
            # Run-time values a check may read on stdin besides the secrets: this machine's clock.
            return action.stdin.format(**{"now": f"{time.time():.3f}", **self.secrets}).encode()
        except (KeyError, IndexError) as exc:
            raise EngineError(msg("eng.stdin_unknown", id=action.id, name=exc)) from None

    def _redact(self, text: str) -> str:
        for value in self.secrets.values():
            if value and len(value) >= 3 and value in text:
                text = text.replace(value, REDACTED)
        pw = self.ssh_options.password
        if pw and len(pw) >= 3 and pw in text:
            text = text.replace(pw, REDACTED)
        return text

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
        nr = _NodeRunner(self, node, action.via_address or None, where, bounded=not waits)
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
                    info(msg("eng.probe_done", probe=action.probe))
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

    def _wait(self, action: Action, cmd: str, nr: _NodeRunner, stdin: bytes | None, on_line: Any, info: Any,
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

    def _manual(self, action: Action, node: str, cmd: str, nr: _NodeRunner, on_line: Any, info: Any,
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

    # -- journal / events ---------------------------------------------------------------------
    def _journal(self, action: Action, cmd: str, edited: bool, status: str, codes: dict[str, int], note: Msg,
                 results: dict[str, NodeResult], error: Msg = EMPTY, entry: dict[str, Any] | None = None) -> dict:
        """Add (or complete, when `entry` is the one added at the start) the journal entry of a run."""
        module = self._actions[action.id][0]
        nodes = ["local"] if action.target.is_local else list(action.target.nodes)
        endpoints: dict[str, dict[str, Any]] = {}
        for n in nodes:
            if n == "local":
                continue
            r = results.get(n)
            try:
                addr = action.via_address or self.conns.address(n)
            except EngineError:
                addr = n
            host, port = split_address(addr)
            where = {"user": self.ssh_options.user, "address": host, "port": port or self.ssh_options.port,
                     "jump": ""}
            if self.conns.is_server(n) and self.session.answers.directors:
                # What the jump would be when nothing ran: the first director, as it is dialled.
                d = reach(self.session.answers, self.session.answers.directors[0].name)
                where["jump"] = f"{self.ssh_options.user}@{d.host}" + (f":{d.port}" if d.port != 22 else "")
            where.update((r.where or {}) if r else {})
            # No result yet (the entry written at the start): it is about to run.
            ran = bool(r.ran) if r else status == "running"
            endpoints[n] = {**where, "sudo": r.sudo if r else "", "ran": ran,
                            "sent": r.sent if r and r.sent else cmd}
            if action.disrupts_network:
                try:
                    endpoints[n]["reconnect"] = action.reconnect_to or self.conns.address(n)
                except EngineError:
                    endpoints[n]["reconnect"] = action.reconnect_to
        title = module.TITLE.get(self.session.lang) if hasattr(module.TITLE, "get") else str(module.TITLE)
        rec = self.session.record(action.id)
        self._record_ssh_options()
        data = {
            "action_id": action.id, "section": module.ID, "section_title": title,
            "kind": action.kind, "target": action.target.kind, "group": action.target.group, "nodes": nodes,
            "endpoints": endpoints, "command": cmd, "edited": edited,
            "original": action.command if edited else "", "why": action.why,
            "why_es": action.why_es, "instructions_es": action.instructions_es, "erratum": action.erratum,
            "expect": action.expect, "timeout": action.timeout, "interval": action.interval,
            "secrets": list(action.secrets), "stdin": action.stdin, "probe": action.probe,
            "warn_only": action.warn_only,
            "disrupts_network": action.disrupts_network, "reconnect_to": action.reconnect_to,
            "instructions": action.instructions, "status": status, "exit_codes": dict(codes), "note": note.en,
            "note_es": note.es, "error": error.en, "error_es": error.es, "on_fail": rec.on_fail,
            "on_fail_es": rec.on_fail_es,
            "figures": list(rec.figures),
            "excerpt": [f"{n}: {t}" if len(nodes) > 1 else t for n, _s, t, *_ in rec.output[-6:]],
            "excerpt_es": [f"{n}: {es[0] if es else t}" if len(nodes) > 1 else (es[0] if es else t)
                           for n, _s, t, *es in rec.output[-6:]],
            "started": rec.started, "ended": "" if status == "running" else now_iso(),
        }
        if entry is not None:
            entry.update(data)
            return entry
        self._seq += 1
        data = {"seq": self._seq, **data}
        self.session.add_journal(data)
        return data

    def _mark_interrupted(self, action_id: str) -> None:
        """The journal entry of a run the wizard died in: it ran (maybe partly), say so."""
        for entry in reversed(self.session.journal):
            if entry.get("action_id") == action_id and entry.get("status") == "running":
                note = msg("eng.interrupted_journal")
                entry["status"] = "interrupted"
                entry["note"], entry["note_es"] = note.en, note.es
                break

    def _emit(self, event: Event) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:  # noqa: BLE001 - a display bug must not leave the checkpoint "running"
            pass


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
