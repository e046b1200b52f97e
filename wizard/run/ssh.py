"""The SSH runner (paramiko): one connection per node, reused for all of its commands.

- auth: identity files (--identity or the lab's key, ~/.ssh/config IdentityFile, the wizard's own key), the
  agent, default keys, then the password; which one worked is kept (`auth_method`). A refused or missing
  credential is `AuthFailed` at once (never retried): it names the user, the keys and whether a password
  was tried; a node that cannot be reached is `Unreachable` (what was dialled and why);
- ~/.ssh/config honoured for HostName, Port, IdentityFile, ProxyJump, ConnectTimeout,
  ServerAliveInterval, UserKnownHostsFile (the answers' user and port win: they are explicit);
- host keys verified (wizard.run.hostkeys), never auto-added;
- output streamed line by line per stream to a callback; the exit status returned;
- secrets written to the command's stdin (never its argv); stdin is closed afterwards like `ssh -n`;
- not root: `sudo -n` when the user has NOPASSWD, else `sudo -S -k -p ''` with the password as the
  first stdin line (-k: a cached sudo ticket would otherwise leave the password for the command);
- real servers reached through a director: a direct-tcpip channel over the director's connection
  (primed with one command, see `prime_for_jump`);
- channels per connection bounded (`ChannelGate`): never more open at once than sshd's default `MaxSessions`
  (10), a jump's tunnels counted; a session the node refuses (its own MaxSessions) waits for one to close and
  is tried again (bounded), so a busy connection never turns into a verdict;
- timeouts and cancels kill the command's whole process group on the node (the login shell reports
  its pid first on stderr, consumed here), from a second channel;
- network changes: `start_detached` (nohup setsid, exit status to a file) — the engine reconnects.
"""

from __future__ import annotations

import logging
import os
import select
import shlex
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from wizard.base.i18n import Msg, msg
from wizard.run.channels import (
    OPEN_RETRY_DELAYS,
    ChannelGate,
    LineCallback,
    LineSplitter,
    gate_of,
)
from wizard.run.hostkeys import (
    HostKeyChanged,
    HostKeyError,
    HostKeyTrust,
    HostKeyUnknown,
    changed_message,
    fingerprint,
)
from wizard.run.ssh_errors import (
    AuthFailed,
    Cancelled,
    CommandTimeout,
    JumpFailed,
    NotStarted,
    SSHError,
    Unreachable,
    ssh_reason,
)

# paramiko logs transport failures (with tracebacks) that the runner already turns into SSHError
# messages; without a handler Python would print them on stderr, over the TUI or the headless output.
logging.getLogger("paramiko").addHandler(logging.NullHandler())

READ_CHUNK = 32768
KILL_OPEN_TIMEOUT = 3.0  # seconds to open the channel that kills a timed-out command
PID_MARK = "HA-WIZARD-PID:"


@dataclass
class SSHOptions:
    """How to log in; shared by every node of a run."""

    user: str = "root"
    port: int = 22
    identity_files: list[str] = field(default_factory=list)
    password: str | None = None  # SSH password; also the sudo password when the user is not root
    allow_agent: bool = True
    look_for_keys: bool = True
    connect_timeout: float = 10.0
    keepalive: int = 15  # seconds between keepalives: a dead peer is noticed, NAT tables kept
    ssh_config: Path | None = None  # None: ~/.ssh/config when it exists

    def load_config(self) -> paramiko.SSHConfig:
        path = self.ssh_config or Path(os.path.expanduser("~/.ssh/config"))
        if path.is_file():
            return paramiko.SSHConfig.from_path(str(path))
        return paramiko.SSHConfig()


@dataclass
class Endpoint:
    node: str
    address: str  # as the wizard names it (answers / via / reconnect_to)
    hostname: str  # what is dialled (ssh config HostName may map it)
    port: int
    user: str
    identity_files: list[str] = field(default_factory=list)
    connect_timeout: float = 10.0
    keepalive: int = 15
    jump: Endpoint | None = None
    known_hosts: list[str] = field(default_factory=list)  # ssh config UserKnownHostsFile

    def label(self) -> str:
        via = f" via {self.jump.node}" if self.jump else ""
        return f"{self.node} ({self.address}{via})"

    def destination(self) -> str:
        """`user@host` with `:port` only when not 22 — as `ssh -J` takes it."""
        port = f":{self.port}" if self.port != 22 else ""
        return f"{self.user}@{self.hostname}{port}"


def resolve_endpoint(node: str, address: str, options: SSHOptions, config: paramiko.SSHConfig | None = None,
                     jump: Endpoint | None = None) -> Endpoint:
    """Where and how to dial `address` (`host` or `host:port`, as the answers give it; a port there wins over
    ~/.ssh/config's, which wins over the answers' default port 22)."""
    from wizard.base.reach import split_address

    config = config if config is not None else options.load_config()
    host, explicit_port = split_address(address)
    entry = config.lookup(host)
    identities = list(options.identity_files) + [os.path.expanduser(p) for p in entry.get("identityfile", [])]
    timeout = float(entry.get("connecttimeout", options.connect_timeout))
    keepalive = int(entry.get("serveraliveinterval", options.keepalive))
    port = explicit_port or (options.port if options.port != 22 else int(entry.get("port", 22)))
    if jump is None and entry.get("proxyjump", "none").lower() != "none":
        # One hop, as `ProxyJump [user@]host[:port]` (the first of a list).
        first = entry["proxyjump"].split(",")[0]
        juser, _, jhostport = first.rpartition("@")
        jhost, _, jport = jhostport.partition(":")
        jopts = SSHOptions(user=juser or options.user, port=int(jport or 22), identity_files=options.identity_files,
                           connect_timeout=options.connect_timeout, keepalive=options.keepalive,
                           ssh_config=options.ssh_config)
        jump = resolve_endpoint(f"jump:{jhost}", jhost, jopts, config)
    known = [os.path.expanduser(p) for p in entry.get("userknownhostsfile", "").split()]
    return Endpoint(node=node, address=address, hostname=entry.get("hostname", host), port=port,
                    user=options.user, identity_files=identities, connect_timeout=timeout, keepalive=keepalive,
                    jump=jump, known_hosts=known)


class SSHConnection:
    """One logged-in SSH connection to one node at one address."""

    def __init__(self, endpoint: Endpoint, options: SSHOptions, trust: HostKeyTrust,
                 jump_transport: paramiko.Transport | None = None, only_keys: frozenset[str] | None = None) -> None:
        """`only_keys`: the node is being looked for (it may have moved): only a host key with one of these
        fingerprints is the node; any other is refused (HostKeyUnknown), nothing new is trusted."""
        self.endpoint = endpoint
        self.options = options
        self.trust = trust
        self.jump_transport = jump_transport
        self.only_keys = only_keys
        self.client: paramiko.SSHClient | None = None
        self._sudo_mode: str | None = None  # "", "nopasswd", "password" once known
        self._primed = False
        self._sudo_lock = threading.Lock()
        self._tunnel_gate: ChannelGate | None = None  # the jump's gate, holding a slot for this tunnel
        self.auth_method = ""

    @property
    def node(self) -> str:
        return self.endpoint.node

    @property
    def transport(self) -> paramiko.Transport | None:
        return self.client.get_transport() if self.client else None

    def is_alive(self) -> bool:
        t = self.transport
        return bool(t and t.is_active())

    def connect(self) -> SSHConnection:
        ep = self.endpoint
        client = paramiko.SSHClient()
        self.trust.load_into(client)
        for path in ep.known_hosts:
            if os.path.isfile(path):
                client.load_system_host_keys(path)
        client.set_missing_host_key_policy(self.trust.policy(ep.node, ep.address,
                                                             only_known=self.only_keys is not None))
        sock: socket.socket | paramiko.Channel
        where = f"{ep.hostname}:{ep.port}"
        if self.jump_transport is None:
            try:
                sock = socket.create_connection((ep.hostname, ep.port), timeout=ep.connect_timeout)
            except OSError as exc:
                raise Unreachable(msg("ssh.unreachable", node=ep.node, address=where, reason=ssh_reason(exc)),
                                  "connect") from None
            # Small request/reply packets: without NODELAY, Nagle + delayed ACKs add ~40 ms to each.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            gate = gate_of(self.jump_transport)
            if not gate.acquire(ep.connect_timeout):
                raise JumpFailed(msg("ssh.jump_failed", node=ep.label(), host=ep.hostname, port=ep.port,
                                     error=msg("ssh.gate_full", n=gate.limit)), unresponsive=False)
            try:
                with gate.opening:
                    sock = self.jump_transport.open_channel("direct-tcpip", (ep.hostname, ep.port),
                                                            ("127.0.0.1", 0), timeout=ep.connect_timeout)
                    gate.opened()
            except (paramiko.SSHException, OSError, EOFError) as exc:
                gate.release()
                # ChannelException: the jump host answered (target refused/unreachable); anything
                # else (timeout, EOF): the jump host's own connection is dead.
                raise JumpFailed(msg("ssh.jump_failed", node=ep.label(), host=ep.hostname, port=ep.port,
                                     error=ssh_reason(exc)),
                                 unresponsive=not isinstance(exc, paramiko.ChannelException)) from None
            self._tunnel_gate = gate
        try:
            client.connect(ep.hostname, port=ep.port, username=ep.user, password=self.options.password,
                           key_filename=ep.identity_files or None, timeout=ep.connect_timeout,
                           banner_timeout=ep.connect_timeout, auth_timeout=ep.connect_timeout,
                           channel_timeout=ep.connect_timeout,
                           allow_agent=self.options.allow_agent, look_for_keys=self.options.look_for_keys,
                           sock=sock)
        except paramiko.BadHostKeyException as exc:
            self._give_up(client)
            raise HostKeyChanged(changed_message(ep.node, ep.address, exc.key, exc.expected_key,
                                                 self.trust.wizard_file)) from None
        except HostKeyError:
            self._give_up(client)
            raise
        except paramiko.AuthenticationException as exc:
            self._give_up(client)
            raise self._auth_failed(exc) from None
        except paramiko.SSHException as exc:
            self._give_up(client)
            # paramiko's words when it had nothing to offer: no key, no agent, no password.
            if "No authentication methods available" in str(exc):
                raise self._auth_failed(exc) from None
            # TCP was accepted but no SSH came (a port forward with nothing behind it, a closed banner).
            raise Unreachable(msg("ssh.unreachable", node=ep.node, address=where, reason=ssh_reason(exc)),
                              "banner") from None
        except (OSError, EOFError) as exc:
            self._give_up(client)
            raise Unreachable(msg("ssh.unreachable", node=ep.node, address=where, reason=ssh_reason(exc)),
                              "banner") from None
        transport = client.get_transport()
        assert transport is not None
        if self.only_keys is not None:
            # A known_hosts file may hold a key for this address that is not the node's (another machine
            # answered there before): only the node's own keys identify it.
            fp = fingerprint(transport.get_remote_server_key())
            if fp not in self.only_keys:
                key = transport.get_remote_server_key()
                self._give_up(client)
                raise HostKeyUnknown(msg("move.other_key", node=ep.node, address=ep.address,
                                         key=f"{key.get_name()} {fp}"))
        transport.set_keepalive(ep.keepalive)
        # "publickey", "password" or "keyboard-interactive": a key install is only offered after a password.
        self.auth_method = str(getattr(transport.auth_handler, "auth_method", "") or "")
        # The key passed (known_hosts or policy): remember it for this node, so the same key at
        # another address of the same node (standby clone moving off master's address) is recognised.
        key = transport.get_remote_server_key()
        self.trust.remember(ep.node, ep.address, key, "known_hosts")
        self.client = client
        return self

    def offered_keys(self) -> list[str]:
        """The private key files offered, in paramiko's order (explicit, then ~/.ssh's defaults)."""
        keys = [p for p in self.endpoint.identity_files if os.path.isfile(p)]
        if self.options.look_for_keys:
            for name in ("id_rsa", "id_ecdsa", "id_ed25519"):
                for folder in (".ssh", "ssh"):
                    path = os.path.expanduser(f"~/{folder}/{name}")
                    if os.path.isfile(path) and path not in keys:
                        keys.append(path)
        return keys

    def _auth_failed(self, exc: Exception) -> AuthFailed:
        """What was tried and refused, for a message that says the way out."""
        ep = self.endpoint
        home = os.path.expanduser("~")
        keys = [("~" + k[len(home):]) if home != "/" and k.startswith(home + os.sep) else k
                for k in self.offered_keys()]
        agent = bool(self.options.allow_agent and os.environ.get("SSH_AUTH_SOCK"))
        allowed = list(getattr(exc, "allowed_types", []) or [])
        if self.options.password is None:
            password = "ssh.pw_not_given"
        elif allowed and not {"password", "keyboard-interactive"} & set(allowed):
            password = "ssh.pw_not_allowed"
        else:
            password = "ssh.pw_refused"
        from steps.access import TITLE as KEY_SECTION  # the section that installs the wizard's key, by its title

        return AuthFailed(msg("ssh.auth_failed", node=ep.node, user=ep.user, address=f"{ep.hostname}:{ep.port}",
                              section=Msg(KEY_SECTION.en, KEY_SECTION.es),
                              keys=", ".join(keys) or "-", agent=msg("ssh.agent_keys") if agent else "",
                              password=msg(password, allowed=", ".join(allowed) or "?")))

    def prime_for_jump(self) -> None:
        """Run one command before tunnelling through this connection. OpenSSH's sshd sets TCP_NODELAY
        on a connection only when it starts a session: a connection used for tunnels alone keeps
        Nagle on, and every command through it waits ~40 ms for delayed ACKs (measured: 44 ms
        per `hostname` on a server through an unprimed director, 4 ms primed)."""
        if not self._primed:
            self._primed = True
            self._exec("true", None, lambda s, t: None, self.endpoint.connect_timeout, None)

    def responds(self, timeout: float | None = None) -> bool:
        """Whether this connection still carries a command. A tunnel open that timed out through it may be the
        far end's silence (a server powered off behind a director that answers), not this connection's."""
        try:
            self._exec("true", None, lambda s, t: None, timeout or self.endpoint.connect_timeout, None)
        except (SSHError, CommandTimeout, paramiko.SSHException, OSError, EOFError):
            return False
        return True

    def _give_up(self, client: paramiko.SSHClient) -> None:
        """A login that did not happen: close what it opened, the tunnel's slot on the jump included."""
        client.close()
        self._release_tunnel()

    def _release_tunnel(self) -> None:
        gate, self._tunnel_gate = self._tunnel_gate, None
        if gate is not None:
            gate.closed()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        self._release_tunnel()
        if self.jump_transport is not None:
            self.jump_transport = None

    def host_key_fingerprint(self) -> str:
        t = self.transport
        return fingerprint(t.get_remote_server_key()) if t else ""

    # -- running commands ----------------------------------------------------------------------
    def sudo_mode(self) -> str:
        """"" for root; "nopasswd" when `sudo -n true` works; else "password" (needs options.password)."""
        if self.endpoint.user == "root":
            return ""
        with self._sudo_lock:
            if self._sudo_mode is None:
                code = self._exec("sudo -n true", None, lambda s, t: None, self.endpoint.connect_timeout, None)
                self._sudo_mode = "nopasswd" if code == 0 else "password"
            return self._sudo_mode

    def wrap(self, command: str) -> tuple[str, bytes]:
        """The command line sent and the stdin prefix it needs (sudo's password)."""
        mode = self.sudo_mode()
        if mode == "":
            return command, b""
        if mode == "nopasswd":
            return f"sudo -n bash -c {shlex.quote(command)}", b""
        if not self.options.password:
            raise SSHError(msg("ssh.sudo_password", node=self.endpoint.label(), user=self.endpoint.user))
        return f"sudo -S -k -p '' bash -c {shlex.quote(command)}", self.options.password.encode() + b"\n"

    def run(self, command: str, *, stdin: bytes | None = None, on_line: LineCallback,
            timeout: float = 300.0, cancel: threading.Event | None = None,
            on_start: Callable[[int], None] | None = None) -> int:
        """Run `command` on the node (as root: through sudo if needed); stream lines; return the exit status.

        Raises CommandTimeout / Cancelled (the remote process group is signalled), SSHError when the
        connection is lost. `on_start(pgid)`: the remote process group, as soon as it is known.
        """
        sent, prefix = self.wrap(command)
        return self._exec(sent, prefix + (stdin or b""), on_line, timeout, cancel, on_start)

    def _exec(self, command: str, stdin: bytes | None, on_line: LineCallback, timeout: float,
              cancel: threading.Event | None, on_start: Callable[[int], None] | None = None) -> int:
        t = self.transport
        if t is None or not t.is_active():
            raise NotStarted(msg("ssh.lost", node=self.endpoint.label()))
        # The login shell announces its pid first (on stderr, consumed here): sshd made it a session
        # and process group leader, so a timeout or cancel can kill the whole group from a second
        # channel. (sshd refuses RFC 4254 "signal" requests for root sessions: no privsep child.)
        pid_box: list[str] = []

        def stderr_line(stream: str, text: str) -> None:
            if not pid_box and text.startswith(PID_MARK):
                pid_box.append(text[len(PID_MARK):].strip())
                if on_start is not None and pid_box[0].isdigit():
                    on_start(int(pid_box[0]))
                return
            on_line(stream, text)

        gate = gate_of(t)
        chan = self._open_session(t, gate)
        deadline = time.monotonic() + timeout  # the command's own time: from when it could start
        try:
            chan.exec_command(f"echo {PID_MARK}$$ >&2\n{command}")
        except (paramiko.SSHException, OSError, EOFError) as exc:
            chan.close()
            gate.closed()
            raise NotStarted(msg("ssh.cannot_start", node=self.endpoint.label(), error=ssh_reason(exc))) from None
        try:
            if stdin:
                chan.sendall(stdin)
            chan.shutdown_write()  # EOF: a command reading stdin never waits for a terminal
            out, err = LineSplitter("stdout", on_line), LineSplitter("stderr", stderr_line)
            fd = chan.fileno()
            while True:
                while chan.recv_ready():
                    out.feed(chan.recv(READ_CHUNK))
                while chan.recv_stderr_ready():
                    err.feed(chan.recv_stderr(READ_CHUNK))
                # Done once drained and the remote closed the channel (or sent EOF and its exit
                # status). Data, EOF and CLOSE may all have arrived while a callback ran: never
                # leave on `closed` with data still buffered.
                if (chan.closed or (chan.eof_received and chan.exit_status_ready())) \
                        and not chan.recv_ready() and not chan.recv_stderr_ready():
                    break
                now = time.monotonic()
                if now >= deadline:
                    self._kill(pid_box)
                    raise CommandTimeout(timeout)
                if cancel is not None and cancel.is_set():
                    self._kill(pid_box)
                    raise Cancelled()
                if not t.is_active():
                    raise SSHError(msg("ssh.lost_during", node=self.endpoint.label()))
                if chan.eof_received:
                    # After EOF paramiko keeps the pipe readable: wait on the exit status instead.
                    chan.status_event.wait(min(0.05, deadline - now))
                else:
                    # Woken by data, EOF or close; the cap keeps timeout/cancel/liveness checks running.
                    select.select([fd], [], [], min(0.5, deadline - now))
            out.flush()
            err.flush()
            # Exit status comes just before EOF/close; bounded wait for the rare late one.
            if not chan.status_event.wait(min(5.0, max(0.1, deadline - time.monotonic()))):
                if not t.is_active():
                    raise SSHError(msg("ssh.lost_before_status", node=self.endpoint.label()))
                return 255
            return chan.recv_exit_status()
        except (OSError, EOFError) as exc:
            raise SSHError(msg("ssh.lost_error", node=self.endpoint.label(), error=ssh_reason(exc))) from None
        finally:
            chan.close()
            gate.closed()

    def _open_session(self, t: paramiko.Transport, gate: ChannelGate) -> paramiko.Channel:
        """A session channel within the connection's gate. A session the node refuses (its MaxSessions reached:
        OpenSSH says "open failed") is tried again once another channel closed, a few times (OPEN_RETRY_DELAYS);
        the whole is bounded by the connect timeout plus those pauses. A lost connection is NotStarted at once,
        with its reason."""
        timeout = self.endpoint.connect_timeout
        deadline = time.monotonic() + timeout + sum(OPEN_RETRY_DELAYS)
        last: Msg | str = ""
        attempt = 0
        for attempt in range(len(OPEN_RETRY_DELAYS) + 1):
            if not gate.acquire(max(0.0, deadline - time.monotonic())):
                last = msg("ssh.gate_full", n=gate.limit)
                break
            with gate.opening:
                try:
                    chan = t.open_session(timeout=timeout)
                    gate.opened()
                    return chan
                except (paramiko.SSHException, OSError, EOFError) as exc:
                    if not t.is_active():  # the connection is lost, not busy
                        gate.release()
                        raise NotStarted(msg("ssh.cannot_start", node=self.endpoint.label(),
                                             error=ssh_reason(exc))) from None
                    if "Timeout" not in str(exc):  # refused: the node allows fewer channels than are open
                        gate.refused()
                    gate.release()
                    last = ssh_reason(exc)
            if attempt == len(OPEN_RETRY_DELAYS) or time.monotonic() >= deadline:
                break
            gate.wait_for_close(OPEN_RETRY_DELAYS[attempt])
        raise NotStarted(msg("ssh.cannot_start", node=self.endpoint.label(),
                             error=msg("ssh.refused_tries", error=last, n=attempt + 1)))

    def _kill(self, pid_box: list[str]) -> None:
        """TERM then KILL the command's process group, from a channel of its own (bounded: ~3 s)."""
        if not pid_box or not pid_box[0].isdigit():
            return
        pgid = pid_box[0]
        t = self.transport
        if t is None or not t.is_active():
            return
        script = (f"kill -TERM -- -{pgid} 2>/dev/null || exit 0; "
                  f"for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 -- -{pgid} 2>/dev/null || exit 0; sleep 0.2; done; "
                  f"kill -KILL -- -{pgid} 2>/dev/null; exit 0")
        gate = gate_of(t)
        if not gate.acquire(KILL_OPEN_TIMEOUT):
            return  # every channel busy: the group left running is waited for by the action's next run
        chan = None
        try:
            # Short: on a live link a channel opens in milliseconds, and on a dead one (a pulled cable)
            # waiting longer only delays the timeout the user was promised. A group left running is
            # waited for by the action's next run (the engine keeps its pid).
            with gate.opening:
                chan = t.open_session(timeout=min(self.endpoint.connect_timeout, KILL_OPEN_TIMEOUT))
                gate.opened()
            chan.exec_command(script)
            chan.shutdown_write()
            chan.status_event.wait(5.0)
        except (paramiko.SSHException, OSError, EOFError):
            pass  # the connection is gone: nothing more can be done from here
        finally:
            if chan is None:
                gate.release()
            else:
                chan.close()
                gate.closed()

    def wait_group_gone(self, pgid: int, timeout: float) -> bool:
        """Wait (bounded) until no process of group `pgid` is left; True when gone."""
        script = (f"for i in $(seq {max(1, int(timeout * 2))}); do kill -0 -- -{int(pgid)} 2>/dev/null || exit 0; "
                  f"sleep 0.5; done; exit 1")
        return self._exec(script, None, lambda s, t: None, timeout + 10, None) == 0

    # -- commands that take the network down ---------------------------------------------------
    def start_detached(self, command: str, tag: str) -> tuple[str, str]:
        """Start `command` so it survives this session dropping; return (log path, exit-status path)."""
        log, rc = f"/tmp/ha-wizard-{tag}.log", f"/tmp/ha-wizard-{tag}.rc"
        wrapper = detached_wrapper(command, tag)
        code = self.run(wrapper, on_line=lambda s, t: None, timeout=self.endpoint.connect_timeout + 10)
        if code != 0:
            raise SSHError(msg("ssh.detached_failed", node=self.endpoint.label(), code=code))
        return log, rc


def detached_wrapper(command: str, tag: str) -> str:
    """What `start_detached` sends (for the transcript)."""
    log, rc = f"/tmp/ha-wizard-{tag}.log", f"/tmp/ha-wizard-{tag}.rc"
    # The pause lets this session return its exit status before the change cuts the network.
    inner = f"sleep 0.5; bash -c {shlex.quote(command)}; echo $? > {rc}.tmp && mv {rc}.tmp {rc}"
    return f"rm -f {rc}; nohup setsid sh -c {shlex.quote(inner)} > {log} 2>&1 < /dev/null &"
