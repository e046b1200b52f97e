"""One SSH connection per node, reused: dialled where wizard/base/reach.py says (a port forward, a direct
address, a jump through a director), with bounded retries and messages that say where to look."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from wizard.base.i18n import EMPTY, Msg, msg, msg_of, t
from wizard.base.reach import reach
from wizard.run.errors import EngineError
from wizard.run.events import Event, Reconnecting
from wizard.run.hostkeys import HostKeyError, HostKeyTrust
from wizard.run.moves import Way
from wizard.run.ssh import SSHConnection, SSHOptions, resolve_endpoint
from wizard.run.ssh_errors import AuthFailed, Cancelled, JumpFailed, SSHError, Unreachable

RECONNECT_DELAYS = (0.5, 1.0, 1.0, 2.0, 3.0, 5.0)  # then 5 s until the action's timeout
# Looking for a node that may have moved (`find`): pauses between rounds over its ways, then 5 s.
FIND_DELAYS = (0.5, 1.0, 2.0, 3.0, 5.0)


# A node that should be up but does not answer: tried again after these pauses, then the action fails
# (about 10 s plus the connect timeouts), naming the address and the inventory fields behind it.
# No new try starts once their sum has gone by: an address that takes seconds to say no (a forward with nothing
# behind it, a server behind a director whose ARP gets no answer) is named as fast as one that refuses at once.
UNREACHABLE_DELAYS = (2.0, 3.0, 5.0)


class Connections:
    """One SSH connection per node, reused; servers through the first reachable director.

    Where each node is dialled comes from wizard/base/reach.py (a port forward, a direct address, a jump).
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
        self._prefetched: dict[str, Future[None]] = {}  # node -> a background attempt to connect (`prefetch`)

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

    def get(self, node: str, address: str | None = None, only_keys: frozenset[str] | None = None,
            hint: bool = True, skip_directors: frozenset[str] = frozenset()) -> SSHConnection:
        """The node's connection at `address` (its own way by default), reused while alive. `only_keys`: accept
        only these host keys (a node looked for where it may be, `find`); `hint`: add to an Unreachable which
        inventory fields lead to that address; `skip_directors`: for a server, directors not to jump through
        (they did not answer a moment ago)."""
        address = address or self.address(node)
        with self._node_lock(node):
            conn = self._conns.get(node)
            if conn is not None and conn.is_alive() and conn.endpoint.address == address:
                return conn
            if conn is not None:
                conn.close()
                del self._conns[node]
            try:
                conn = self._open(node, address, only_keys, skip_directors)
            except Unreachable as exc:
                raise (self._with_hint(exc, node, address) if hint else exc) from None
            self._conns[node] = conn
            return conn

    def find(self, node: str, ways: Sequence[Way], deadline: float, cancel: threading.Event, *,
             identify: Callable[[SSHConnection, Way], Msg | None] | None = None, min_rounds: int = 1,
             vm: str = "", action: str = "") -> tuple[SSHConnection, Way]:
        """Look for a node that may have moved (wizard/run/moves.py): each way in turn, the new one first, until
        one answers with a host key already trusted for this node and `identify` (None: no question) does not
        object (it returns why it is another machine); rounds until `deadline`, at least `min_rounds` of them.
        A refused key or an objection at one way does not end the search (another machine may answer there);
        a refused login does (the node's key answered: it is the node). Only when no way gave the node does it
        fail: Unreachable naming every way tried and the VM to look at."""
        known = frozenset(self.trust.node_fingerprints.get(node, ()))
        only = known or None  # a node never reached before has no key to be known by: the usual trust decides
        t0 = time.monotonic()
        attempt = 0
        why: dict[str, Msg] = {}
        rounds = max(min_rounds, int(max(0.0, deadline - t0) / FIND_DELAYS[0]) + 2)
        for rnd in range(rounds):  # bounded in count as well as by the deadline
            for way in ways:
                if cancel.is_set():
                    raise Cancelled()
                attempt += 1
                self.emit(Reconnecting(node, way.address, attempt))
                try:
                    conn = self.get(node, way.address, only_keys=only, hint=False)
                except AuthFailed:
                    raise
                except (HostKeyError, SSHError) as exc:
                    why[way.address] = msg_of(exc)
                    continue
                objection = identify(conn, way) if identify is not None else None
                if objection:
                    why[way.address] = objection
                    self.drop(node)
                    continue
                return conn, way
            now = time.monotonic()
            if rnd + 1 >= min_rounds and now >= deadline:
                break
            delay = FIND_DELAYS[min(rnd, len(FIND_DELAYS) - 1)]
            if rnd + 1 >= min_rounds and now + delay >= deadline:
                delay = max(0.0, deadline - now)
            if cancel.wait(delay):
                raise Cancelled()
        tried = Msg.join(w.describe() + ": " + why.get(w.address, msg("move.no_answer")) for w in ways)
        key = "move.lost_two" if len(ways) > 1 else "move.lost_one"
        raise Unreachable(msg(key, node=node, action=action, new=ways[0].describe(),
                              old=ways[-1].describe(), n=attempt, seconds=round(time.monotonic() - t0),
                              tried=tried, vm=vm or node), "moved")

    def prefetch(self, nodes: Sequence[str], cancel: threading.Event | None = None) -> None:
        """Start connecting to these nodes now, each in a thread of its own, as `get_bounded` does. For a section
        of checks (preflight): a node that does not answer spends its seconds while the other checks run, and
        the check that reaches it (`get_bounded` on its own way) waits for that attempt and gets its result."""
        for node in nodes:
            with self._lock:
                if node in self._prefetched:
                    continue
                future: Future[None] = Future()
                self._prefetched[node] = future
            threading.Thread(target=self._prefetch_one, args=(node, future, cancel), daemon=True,
                             name=f"reach-{node}").start()

    def _prefetch_one(self, node: str, future: Future[None], cancel: threading.Event | None) -> None:
        try:
            self._get_bounded(node, None, cancel, UNREACHABLE_DELAYS)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the node
            future.set_exception(exc)
        else:
            future.set_result(None)

    def end_prefetch(self) -> None:
        """Forget the background attempts (each ends by itself, bounded): later calls connect afresh."""
        with self._lock:
            self._prefetched.clear()

    def get_bounded(self, node: str, address: str | None = None, cancel: threading.Event | None = None,
                    delays: Sequence[float] = UNREACHABLE_DELAYS) -> SSHConnection:
        """`get`, tried again a few times (`delays`) while the address does not answer: a node that is up
        but briefly busy gets through, a wrong address fails in seconds with where to fix it. A background
        attempt under way for the node's own way (`prefetch`) is waited for and its result given."""
        with self._lock:
            future = self._prefetched.get(node) if not address else None
        if future is not None:
            exc = future.exception()  # waits: bounded, the attempt being bounded as below
            if exc is None or not isinstance(exc, SSHError | HostKeyError):
                return self.get(node)  # connected (cached), or an odd failure: the usual way
            raise exc
        return self._get_bounded(node, address, cancel, delays)

    def _get_bounded(self, node: str, address: str | None, cancel: threading.Event | None,
                     delays: Sequence[float]) -> SSHConnection:
        t0 = time.monotonic()
        skip: frozenset[str] = frozenset()
        for attempt in range(len(delays) + 1):
            try:
                return self.get(node, address, skip_directors=skip) if skip else self.get(node, address)
            except Unreachable as exc:  # nothing answered there: try again a little (other failures are final)
                # A server: the next tries jump only through the directors that answered (one that did not
                # answer would only add its own seconds); all of them again when none did.
                dead = frozenset(exc.dead_directors)
                skip = dead if len(dead) < len(self.answers.directors) else frozenset()
                # (1 s of slack: the tries' own milliseconds)
                late = time.monotonic() - t0 + (delays[attempt] if attempt < len(delays) else 0) > sum(delays) + 1
                if attempt == len(delays) or late:
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
            fields = self._labels(f"directors[{index}].ssh_port", f"directors[{index}].external_ip")
            exc.with_hint(msg(key, guest=f"{r.guest_ip}:{r.guest_port}", network=self.answers.virtualbox.natnetwork,
                              fields=fields))
        else:
            exc.with_hint(msg("ssh.hint_direct", fields=self._labels(f"directors[{index}].ssh_host",
                                                                     f"directors[{index}].external_ip")))
        return exc

    def _labels(self, *paths: str) -> Msg:
        """Fields as the inventory names them ("master · SSH port"), never their answers paths."""
        from wizard.base.validation import field_label

        return Msg.join([field_label(self.answers, p) for p in paths], ", ")

    def _login(self, endpoint: Any, jump_transport: Any = None, only_keys: frozenset[str] | None = None
               ) -> SSHConnection:
        """Log in; when the node refused and no password was tried yet, ask for it once and try again."""
        try:
            return SSHConnection(endpoint, self.options, self.trust, jump_transport, only_keys).connect()
        except AuthFailed:
            if not self._password_now(endpoint):
                raise
        return SSHConnection(endpoint, self.options, self.trust, jump_transport, only_keys).connect()

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

    def _open(self, node: str, address: str, only_keys: frozenset[str] | None = None,
              skip_directors: frozenset[str] = frozenset()) -> SSHConnection:
        if self.is_server(node):
            return self._open_via_director(node, address, only_keys, skip_directors)
        endpoint = resolve_endpoint(node, address, self.options, self.config)
        jump_transport = None
        if endpoint.jump is not None:
            hop = self._login(endpoint.jump)
            hop.prime_for_jump()
            self._extra.append(hop)
            jump_transport = hop.transport
        return self._login(endpoint, jump_transport, only_keys)

    def _open_via_director(self, node: str, address: str, only_keys: frozenset[str] | None = None,
                           skip: frozenset[str] = frozenset()) -> SSHConnection:
        """Real servers: through the first director that is reachable and can reach the server."""
        errors = []
        dead = []
        for director in self.answers.directors:
            if director.name in skip:
                continue
            try:
                jump = self.get(director.name)
            except (HostKeyError, AuthFailed):
                raise  # a director that refuses the login: no other director will let the wizard in
            except SSHError as exc:
                errors.append(msg_of(exc))
                dead.append(director.name)
                continue
            endpoint = resolve_endpoint(node, address, self.options, self.config, jump=jump.endpoint)
            try:
                try:
                    jump.prime_for_jump()
                except SSHError as exc:  # the director's connection is dead: try the next one
                    raise JumpFailed(str(exc), unresponsive=True) from None
                return self._login(endpoint, jump.transport, only_keys)
            except JumpFailed as exc:
                errors.append(msg_of(exc))
                if exc.unresponsive and not jump.responds(min(5.0, endpoint.connect_timeout)):
                    # A dead connection (the director was powered off): forget it. A director that
                    # answered (the tunnel's timeout was the server's silence) keeps its connection:
                    # other servers' logins and commands may be riding on it.
                    self.drop(director.name)
        index = next((i for i, s in enumerate(self.answers.servers) if s.name == node), 0)
        fields = self._labels(f"servers[{index}].ip", f"servers[{index}].ssh_host")
        exc = Unreachable(msg("eng.via_directors", node=node, address=address, errors=Msg.join(errors)), "jump")
        exc.dead_directors = [*skip, *dead]
        raise exc.with_hint(msg("ssh.hint_jump", fields=fields))

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
