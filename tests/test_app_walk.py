"""The whole app by keyboard only (issue 21): a new session from the start screen, the inventory, Ctrl+P to
every section (answering the jump's question), Tab and Shift+Tab through every screen, the help, the sections
list, the values applied and the palette back to the same section (the crash of finding 1), every action
skipped section after section (Ctrl+N), the guide complete and its export, back to the start and Ctrl+Q.

Nothing runs on a node: every action is skipped (k), so the walk touches no network. It fails on any
exception in the app (run_test raises it) and on an exit that is not clean.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import wait_for

from wizard.base.i18n import t
from wizard.ui.app import WizardApp
from wizard.ui.screens.complete import GuideCompleteScreen
from wizard.ui.screens.dialogs import ClashDialog, ConfirmDialog, ExportDialog, HelpScreen, UndoDialog
from wizard.ui.screens.inventory import InventoryScreen
from wizard.ui.screens.section import SectionScreen
from wizard.ui.screens.start import StartScreen


@pytest.fixture
def state(state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("HA_WIZARD_HACLUSTER_PASSWORD", raising=False)
    monkeypatch.chdir(tmp_path)  # the export's default file lands here
    return state


def on_section(app: WizardApp, section_id: str | None = None) -> bool:
    screen = app.screen
    return (isinstance(screen, SectionScreen) and screen.built_lang is not None and screen.is_mounted
            and (section_id is None or screen.section_id == section_id))


async def tab_around(pilot, app: WizardApp) -> None:  # noqa: ANN001 - Textual's Pilot
    """Tab once round every focusable widget of the screen, then a few Shift+Tabs back."""
    for _ in range(len(app.screen.focus_chain) + 1):
        await pilot.press("tab")
    await pilot.press("shift+tab", "shift+tab", "shift+tab")


async def tab_to(pilot, app: WizardApp, selector: str) -> None:  # noqa: ANN001
    """Tab until the widget `selector` has the focus (bounded by the screen's focus chain)."""
    for _ in range(len(app.screen.focus_chain) + 1):
        if app.focused is not None and app.focused in list(app.screen.query(selector)):
            return
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached {selector}")


async def palette_to(pilot, app: WizardApp, n: int, section_id: str) -> None:  # noqa: ANN001
    """Ctrl+P, "sección N:", Enter; yes to the question a jump past open sections asks; past the address
    clash's explanation (sections 5 and 6)."""
    await pilot.press("ctrl+p", *f"sección {n}:", "enter")
    for _ in range(3):
        await wait_for(pilot, lambda: on_section(app) or isinstance(app.screen, (ConfirmDialog, ClashDialog)))
        if not isinstance(app.screen, (ConfirmDialog, ClashDialog)):
            break
        await pilot.press("enter")  # "go there anyway" / "understood" has the focus
    await wait_for(pilot, lambda: on_section(app, section_id))


async def test_the_whole_app_by_keyboard(state: Path, tmp_path: Path) -> None:
    app = WizardApp(lang="es", state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        # The start screen: no session yet, the new session's name has the focus; Enter goes on.
        assert isinstance(app.screen, StartScreen)
        await tab_around(pilot, app)
        await tab_to(pilot, app, "#session-name")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InventoryScreen) and app.screen.query("#pw1"))
        await pilot.pause()
        await pilot.press(*"s3cret", "tab", *"s3cret")
        await tab_around(pilot, app)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: on_section(app, "preflight"))
        plan = [module.ID for module, _ in app.plan()]

        # Ctrl+P to every section, by number as the palette names it; a jump past open sections asks first.
        for n, section_id in enumerate(plan, 1):
            await palette_to(pilot, app, n, section_id)
            if n in (1, len(plan)):  # every focusable widget of a section screen, the help and the sidebar
                await tab_around(pilot, app)
                await pilot.press("f1")
                await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
                await pilot.press("escape")
                await wait_for(pilot, lambda section_id=section_id: on_section(app, section_id))
                await pilot.press("b", "down", "up", "ctrl+b", "ctrl+b")
                assert app.screen.query_one("#sidebar").display
            else:
                await pilot.press("tab", "tab", "shift+tab")

        # Section 10: its values opened and applied by keyboard, then the palette back to it and Tab (finding 1).
        await palette_to(pilot, app, 10, "resources")
        await tab_to(pilot, app, "#fields CollapsibleTitle")
        await pilot.press("enter")
        await tab_to(pilot, app, "#apply")
        await pilot.press("enter")
        await palette_to(pilot, app, 10, "resources")
        await pilot.press("tab", "tab", "shift+tab", "tab", "shift+tab")
        await wait_for(pilot, lambda: on_section(app, "resources"))

        # Keys of the footer and F1 on the way: the inventory and back, the export dialog and back, the
        # language both ways, the undo's question (Cancel has the focus).
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, InventoryScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: on_section(app, "resources"))
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        await pilot.press("escape")
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.lang == "en" and on_section(app, "resources"))
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.lang == "es" and on_section(app, "resources"))
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, UndoDialog) or on_section(app, "resources"))
        if isinstance(app.screen, UndoDialog):
            await pilot.press("enter")
        await wait_for(pilot, lambda: on_section(app, "resources"))

        # Back to the start and out. Skipping every action of every section by key would take 160 presses:
        # the second walk starts with the sections before the last one done.
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
        await tab_around(pilot, app)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running)
    assert not app.return_code and app.crash is None


async def test_the_end_of_the_guide_by_keyboard(state: Path, tmp_path: Path) -> None:
    """From the start screen (Enter resumes), every action of the last section skipped (k), Ctrl+N: the
    guide complete, its export (Tab, Enter), back to the sections and to the start screen, Ctrl+Q."""
    from test_app_navigation import make_session

    make_session(state, "almost", "verification")
    app = WizardApp(lang="es", state_root=state)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: on_section(app, "verification"))
        screen = app.screen
        for _ in range(len(screen.actions) + 1):
            if screen.next_index() is None:
                break
            await pilot.press("k")
        assert screen.next_index() is None
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, GuideCompleteScreen))
        await tab_around(pilot, app)
        await tab_to(pilot, app, "#export-md")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        await tab_to(pilot, app, "#export-path")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GuideCompleteScreen))
        # The default file is named in the student's language (a Spanish session hands in "-registro.md").
        assert (tmp_path / t("export.file_md", "es", name=app.session.name)).is_file()
        assert (tmp_path / "almost-registro.md").read_text().startswith("#")
        await pilot.press("escape")
        await wait_for(pilot, lambda: on_section(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
        await tab_around(pilot, app)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running)
    assert not app.return_code and app.crash is None
