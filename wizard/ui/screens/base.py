"""What every screen of the app shares: translated strings and footer, F1 help, language refresh."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen

from wizard.base.answers import Answers
from wizard.base.i18n import STRINGS, t


class WizardHost(Protocol):
    """What the screens use of the app (wizard.ui.app.WizardApp implements it).

    The screens know the app only through this: wizard.ui.app imports the screens, never the other way.
    """

    lang: str
    session: Any
    engine: Any
    engine_error: str
    engine_options: dict[str, Any]
    secrets: dict[str, str]
    state_root: Path | str | None
    answers_path: str | None
    answers_error: str
    busy: bool
    manual_confirmed: set[str]
    clash_shown: set[str]
    event_target: Any
    stop_requested: Any

    @property
    def dark_theme(self) -> bool: ...
    def sessions(self) -> list[Any]: ...
    def suggest_session_name(self) -> str: ...
    def check_new_session_name(self, name: str) -> str | None: ...
    def load_answers_file(self, path: str) -> bool: ...
    def open_inventory_new(self, name: str) -> None: ...
    def open_inventory_edit(self) -> None: ...
    def inventory_done(self, answers: Answers, session_name: str | None,
                       trusted: Iterable[tuple[str, str, str, str, str]] = ()) -> None: ...
    def resume_session(self, name: str) -> None: ...
    def delete_session(self, name: str) -> None: ...
    def go_start(self) -> None: ...
    async def set_lang(self, lang: str) -> None: ...
    def set_secret(self, name: str, value: str) -> None: ...
    def apply_answers(self, answers: Answers) -> list[str]: ...
    def plan(self) -> list[Any]: ...
    def section(self, section_id: str) -> tuple[Any, list[Any]]: ...
    def section_number(self, section_id: str) -> int: ...
    def next_section(self, section_id: str) -> str | None: ...
    def status(self, action_id: str) -> str: ...
    def record(self, action_id: str) -> Any | None: ...
    def section_state(self, section_id: str) -> str: ...
    def sidebar_entries(self) -> list[tuple[str, str, str]]: ...
    def where_short(self, action: Any) -> str: ...
    def where_long(self, action: Any) -> str: ...
    def goto_section(self, section_id: str, warn: bool = True) -> None: ...
    def guide_complete(self) -> bool: ...
    def show_complete(self) -> None: ...
    def out_of_date(self) -> dict[str, list[str]]: ...
    def stop_running(self) -> None: ...
    def worker_finished(self, result: tuple[str, str | None]) -> bool: ...
    def confirm_host_key(self, node: str, address: str, key: str) -> bool: ...
    def export(self, fmt: str, path: str) -> Path | None: ...
    def call_from_thread(self, callback: Any, *args: Any, **kwargs: Any) -> Any: ...
    def push_screen(self, screen: Any, callback: Any = None, wait_for_dismiss: bool = False) -> Any: ...
    def notify(self, message: str, *, title: str = "", severity: Any = "information", timeout: float | None = None,
               markup: bool = True) -> None: ...


# Textual's own bindings that reach the footer or the help, by action: their English descriptions
# replaced by catalogue keys.
TEXTUAL_ACTIONS = {
    "command_palette": "bind.palette",
    "app.focus_next": "bind.focus_next",
    "app.focus_previous": "bind.focus_previous",
    "screen.copy_text": "bind.copy",
}


def localize_bindings(node: DOMNode, lang: str) -> None:
    """Footer descriptions in `lang`: BINDINGS carry i18n keys ("bind.quit") as descriptions.

    The original keys are remembered per node so the switch works both ways.
    """
    orig: dict[tuple[str, str], str] = node.__dict__.setdefault("_i18n_orig", {})
    fresh: dict[str, list[Any]] = {}
    for key, bindings in node._bindings.key_to_bindings.items():
        out = []
        for binding in bindings:
            desc_key = orig.setdefault((key, binding.action), TEXTUAL_ACTIONS.get(binding.action,
                                                                                binding.description))
            if desc_key in STRINGS:
                binding = dataclasses.replace(binding, description=t(desc_key, lang))
            out.append(binding)
        fresh[key] = out
    node._bindings.key_to_bindings = fresh


class Localized:
    """Mixin for screens: `self.t(key)` in the app's language, and a rebuild when it changes."""

    HELP_KEY = "help.start"
    built_lang: str | None = None  # None until mounted: a resume event can come before the mount
    stale = False  # set when the model changed under the screen (answers applied): compose again

    @property
    def wapp(self) -> WizardHost:
        return self.app  # type: ignore[attr-defined, no-any-return]

    def t(self, key: str, **values: object) -> str:
        return t(key, self.wapp.lang, **values)

    def on_mount(self) -> None:
        self.built_lang = self.wapp.lang
        localize_bindings(self, self.wapp.lang)  # type: ignore[arg-type]

    async def relocalize(self) -> None:
        """Compose again in the current language (values live in the model, not in the widgets)."""
        if self.built_lang is None or (self.built_lang == self.wapp.lang and not self.stale):
            return
        self.built_lang = self.wapp.lang
        self.stale = False
        localize_bindings(self, self.wapp.lang)  # type: ignore[arg-type]
        await self.rebuild()
        self.refresh_bindings()  # type: ignore[attr-defined]

    rebuilds = 0  # complete rebuilds so far: a caller (a test) can wait for the next one to end

    rebuilding = False  # a rebuild is under way: the screen must not be replaced until it ends

    async def rebuild(self) -> None:
        """Compose the screen again from the model, then restore what compose does not."""
        # Composed from the current model and language: nothing is left to rebuild when it is shown again
        # (a screen left marked rebuilt itself on every return from a dialog or the palette).
        self.stale = False
        self.built_lang = self.wapp.lang
        self.rebuilding = True
        try:
            await self.recompose()  # type: ignore[attr-defined]
        finally:
            self.rebuilding = False
        if not self.is_attached:  # type: ignore[attr-defined]
            return  # the app is closing: nothing left to restore
        self.after_relocalize()
        self.rebuilds += 1
        for callback in self.after_rebuild:
            callback()
        self.after_rebuild.clear()

    @property
    def after_rebuild(self) -> list[Any]:
        """What waits for the rebuild under way to end (replacing the screen: see WizardApp.push_section)."""
        return self.__dict__.setdefault("_after_rebuild", [])

    def after_relocalize(self) -> None:
        """Restore what compose does not (cursor, focus); screens override."""

    async def on_screen_resume(self) -> None:
        await self.relocalize()


class WizardScreen(Localized, Screen):
    pass


R = TypeVar("R")


class WizardModal(Localized, ModalScreen[R], Generic[R]):
    HELP_KEY = "help.dialog"
