"""The app's side of the engine: making it, its questions from worker threads, its events, its end."""

from __future__ import annotations

import threading
from typing import Any

from wizard.ui.screens.dialogs import HostKeyDialog, ManualDialog
from wizard.ui.screens.section_run import EngineEvent

ASK_TIMEOUT = 600.0  # seconds a worker thread waits for the user's answer to a dialog


class EngineLink:
    """A mixin of the app (wizard/ui/app.py): the engine made, asked and heard from its worker threads."""

    def make_engine(self) -> None:
        """A fresh engine over the session (after answers change, or a cancel: its cancel flag stays set)."""
        if self.engine is not None:
            try:
                self.engine.close()
            except Exception:  # noqa: BLE001 - closing dead connections must not stop the app
                pass
        self.engine = None
        self._plan = None
        try:
            from wizard.run.engine import Engine

            options = {"ask_ssh_password": self.ask_ssh_password, **self.engine_options}
            self.engine = Engine(self.session, self.secrets, self.confirm_host_key, self.engine_callback,
                                 confirm_manual=self.confirm_manual, **options)
            self.engine_error = ""
        except Exception as exc:  # noqa: BLE001 - shown on the section screens; the plan is still browsable
            self.engine_error = f"{type(exc).__name__}: {exc}"

    # -- questions from the engine's threads ------------------------------------------------------------
    def _ask(self, screen: Any) -> Any:
        """Show `screen` from a worker thread and wait (bounded) for its result."""
        done = threading.Event()
        result: list[Any] = [None]

        def answered(value: Any) -> None:
            result[0] = value
            done.set()

        try:
            self.call_from_thread(self.push_screen, screen, answered)
        except RuntimeError:  # the app is not running any more
            return None
        deadline = ASK_TIMEOUT
        while deadline > 0 and not done.is_set() and not self.closing.is_set():
            done.wait(0.2)
            deadline -= 0.2
        return result[0]

    def confirm_host_key(self, node: str, address: str, key: str) -> bool:
        return bool(self._ask(HostKeyDialog(node, address, key)))

    def ask_ssh_password(self, prompt: str) -> str | None:
        """A node refused every key (a fresh VM takes root's password only): asked once, kept in memory."""
        from wizard.ui.screens.dialogs import PasswordDialog

        return self._ask(PasswordDialog("", prompt=prompt)) or None

    def confirm_manual(self, action: Any) -> bool:
        if action.id in self.manual_confirmed:
            return True
        # Asked from the engine's thread: only "done" lets it go on (a skip is the section screen's own answer).
        return self._ask(ManualDialog(action, self.lang, self.dark_theme)) == "done"

    def engine_callback(self, event: Any) -> None:
        """Engine thread → the screen that started the work (post_message is thread-safe)."""
        target = self.event_target
        if target is not None:
            target.post_message(EngineEvent(event))

    # -- running state -----------------------------------------------------------------------------------
    def stop_running(self) -> None:
        self.stop_requested.set()
        if self.engine is not None:
            self.engine.cancel()

    def worker_finished(self, result: tuple[str, str | None]) -> bool:
        """Called by a section screen when its engine worker ends. True when the app is exiting."""
        if self.stop_requested.is_set():
            self.make_engine()  # the old engine's cancel flag stays set
            self.stop_requested.clear()
        if self.quitting:
            self._close_engine()
            self._release_session()
            self.exit(0)
            return True
        return False

    def _close_engine(self) -> None:
        if self.engine is not None:
            try:
                self.engine.close()
            except Exception:  # noqa: BLE001
                pass

    def _release_session(self) -> None:
        """Let other processes run the session again (the process ending would too; tests go on living)."""
        if self.session is not None:
            self.session.release()
