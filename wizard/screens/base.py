"""What every screen of the app shares: translated strings and footer, F1 help, language refresh."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen

from wizard.i18n import STRINGS, t

if TYPE_CHECKING:
    from wizard.app import WizardApp


def localize_bindings(node: DOMNode, lang: str) -> None:
    """Footer descriptions in `lang`: BINDINGS carry i18n keys ("bind.quit") as descriptions.

    The original keys are remembered per node so the switch works both ways.
    """
    orig: dict[tuple[str, str], str] = node.__dict__.setdefault("_i18n_orig", {})
    fresh: dict[str, list[Any]] = {}
    for key, bindings in node._bindings.key_to_bindings.items():
        out = []
        for binding in bindings:
            desc_key = orig.setdefault((key, binding.action), binding.description)
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
    def wapp(self) -> WizardApp:
        return self.app  # type: ignore[attr-defined, return-value]

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

    async def rebuild(self) -> None:
        """Compose the screen again from the model, then restore what compose does not."""
        await self.recompose()  # type: ignore[attr-defined]
        if not self.is_attached:  # type: ignore[attr-defined]
            return  # the app is closing: nothing left to restore
        self.after_relocalize()
        self.rebuilds += 1

    def after_relocalize(self) -> None:
        """Restore what compose does not (cursor, focus); screens override."""

    async def on_screen_resume(self) -> None:
        await self.relocalize()


class WizardScreen(Localized, Screen):
    pass


R = TypeVar("R")


class WizardModal(Localized, ModalScreen[R], Generic[R]):
    HELP_KEY = "help.dialog"
