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
  exit status read back from the file;
- moves (wizard/run/moves.py: a network change, a VM started): the node's old and new way in are written to
  the checkpoint before the action starts; a run after an unfinished one looks for the node at both, and an
  interrupted detached change that finished meanwhile gives its own exit status (it is not run again).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from steps.access import IDENTIFIES, PUBLIC_KEY
from steps.model import Action, Text
from wizard.base.i18n import EMPTY, Msg, msg, msg_of
from wizard.base.reach import reach, split_address
from wizard.run import faults
from wizard.run.connections import Connections
from wizard.run.errors import EngineError
from wizard.run.events import ActionFinished, ActionStarted, Event, PlanChanged
from wizard.run.hostkeys import ConfirmHostKey, HostKeyTrust
from wizard.run.keys import login_files, wizard_public_key
from wizard.run.local import LocalRunner
from wizard.run.moves import Move, moves_record, plan_moves
from wizard.run.node import NodeResult, NodeWork, detached_tag
from wizard.run.ssh import SSHOptions
from wizard.run.vboxmanage import configured as configured_vboxmanage
from wizard.session.state import DONE, Session, now_iso, wizard_known_hosts

REDACTED = "********"

PlanEntry = tuple[Any, list[Action]]  # (section module with ID and TITLE, its actions)


def section(section_id: str, title: str, actions: list[Action]) -> PlanEntry:
    """A plan entry without a steps module (tests, custom plans)."""
    return SimpleNamespace(ID=section_id, TITLE=Text(title, title)), actions


def secret_env_var(name: str) -> str:
    return "HA_WIZARD_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


class Engine(NodeWork):
    def __init__(self, session: Session, secrets: dict[str, str], confirm_host_key: ConfirmHostKey | None,
                 on_event: Callable[[Event], None] | None = None, *,
                 plan: Sequence[PlanEntry] | None = None,
                 trust_new_hosts: bool = False, pins: dict[str, str] | None = None,
                 identity_files: Sequence[str] = (), known_hosts: Sequence[str | Path] = (),
                 ssh_password: str | None = None, ssh_config: Path | None = None,
                 connect_timeout: float = 10.0, yes: bool = False,
                 confirm_manual: Callable[[Action], bool] | None = None,
                 ask_ssh_password: Callable[[str], str | None] | None = None) -> None:
        """`identity_files` / `known_hosts`: explicit ones replace the lab's (lab profile, wizard/run/keys.py);
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
        self._moves: dict[str, list[Move]] = {}
        self._identifies: dict[str, list[Action]] = {}
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
        # With each action's title: lists of sessions name the last step in words without building a plan.
        self.session.plan = [{"id": a.id, "section": m.ID, "title": a.title, "title_es": a.title_es}
                             for m, acts in self.plan for a in acts]
        self._moves, self._identifies = {}, {}
        for _, acts in self.plan:
            self._learn_moves(acts)

    def _learn_moves(self, actions: Sequence[Action]) -> None:
        """What moves nodes in these actions (one section's, in order), and what tells a node from another."""
        self._moves.update(plan_moves(actions, self.session.answers))
        for action in actions:
            if IDENTIFIES in action.tags:
                for node in action.target.nodes:
                    self._identifies.setdefault(node, []).append(action)

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
        wizard/run/undo.py): not in `plan`, so `run_section` loops and progress counts never meet them."""
        for action in actions:
            known = self._actions.get(action.id)
            if known is not None and known[0] is not module:
                raise EngineError(f"action id {action.id!r} appears twice in the plan")
            self._actions[action.id] = (module, action)
        self._learn_moves(actions)

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
        prefetching = False
        try:
            for _ in range(len(self._actions) + 1):  # bounded: each turn runs an action not tried before
                if self._cancel.is_set():
                    return False
                todo = [a for a in self.section_actions(section_id) if a.id not in tried
                        and (rerun or self.session.status(a.id) not in DONE)]
                action = next(iter(todo), None)
                if action is None:
                    return ok
                if keep_going and not prefetching and not any(a.target.is_local and a.kind == "run" for a in todo):
                    # Checks only from here (what this machine changes, the port forwards, is done): connect to
                    # every node they reach now, all at once, so that one that does not answer costs its seconds
                    # while the others are checked.
                    prefetching = True
                    self.conns.prefetch(list(dict.fromkeys(n for a in todo if not a.target.is_local
                                                           and not a.via_address for n in a.target.nodes)),
                                        self._cancel)
                tried.add(action.id)
                if self.run_action(action.id) == "failed":
                    ok = False
                    if not keep_going:
                        return False
            return ok
        finally:
            self._unreachable = None
            if prefetching:
                self.conns.end_prefetch()

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
        # A move that did not finish (killed, failed, stopped): the node may be on either side of it.
        prior_moves = {n: {**m, "started": rec.started} for n, m in rec.moves.items()} \
            if interrupted or failed_before else {}
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
            # Where each node it moves is before and after, written before anything runs (the save below).
            rec.moves = moves_record(self._moves.get(action_id, []))
            if action.disrupts_network:
                for n, entry in rec.moves.items():
                    # The detached runs' names: this one's, after those of the unfinished runs (their files
                    # on the node say whether one did the change).
                    entry["tags"] = [*prior_moves.get(n, {}).get("tags", []), detached_tag(action_id, n)][-4:]
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
                results[nodes[0]] = self._on_node(action, nodes[0], cmd, stdin, rec, stale.get(nodes[0]),
                                                  prior_moves.get(nodes[0]))
            else:
                with ThreadPoolExecutor(max_workers=len(nodes), thread_name_prefix="node") as pool:
                    futures = {n: pool.submit(self._on_node, action, n, cmd, stdin, rec, stale.get(n),
                                              prior_moves.get(n))
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
        faults.point(action_id, "done")  # test-only (wizard/run/faults.py): inert unless HA_WIZARD_KILL_AT is set
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


