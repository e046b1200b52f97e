"""The sections sidebar and the failure panel."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Label, ListItem, ListView, Static

from wizard.base.i18n import pick, t
from wizard.session.progress import SECTION_ICONS


class SectionItem(ListItem):
    def __init__(self, section_id: str, text: str, status: str) -> None:
        super().__init__(id=f"side-{section_id}", classes=f"side-{status}")
        self.section_id = section_id
        self.text = text
        self.status = status

    def compose(self) -> ComposeResult:
        # The whole title, wrapped under its number (and as a tooltip): never cut.
        self.tooltip = self.text
        yield Label(f"{SECTION_ICONS.get(self.status, '·')} {self.text}")

    def set_status(self, status: str) -> None:
        self.remove_class(f"side-{self.status}")
        self.status = status
        self.add_class(f"side-{status}")
        self.query_one(Label).update(f"{SECTION_ICONS.get(status, '·')} {self.text}")


class Sidebar(ListView):
    """The 11 sections with their status; Enter or a click jumps (the app warns when earlier ones are open)."""

    class Jump(Message):
        def __init__(self, section_id: str) -> None:
            super().__init__()
            self.section_id = section_id

    def __init__(self, entries: list[tuple[str, str, str]], current: str) -> None:
        items = [SectionItem(sid, f"{n}. {title}", status) for n, (sid, title, status) in enumerate(entries, 1)]
        index = next((i for i, (sid, _, _) in enumerate(entries) if sid == current), 0)
        super().__init__(*items, initial_index=index, id="sidebar")

    def set_status(self, section_id: str, status: str) -> None:
        for item in self.query(SectionItem):
            if item.section_id == section_id:
                item.set_status(status)

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        item = event.item
        if isinstance(item, SectionItem):
            self.post_message(self.Jump(item.section_id))


class FailurePanel(Static):
    """Exit status per node, the tail of stderr, the engine's error and what to check."""

    def show_failure(self, action: Any, record: Any, lang: str) -> None:
        codes = ", ".join(f"{n}: {c}" for n, c in (record.exit_codes or {}).items()) or "—"
        lines = [Text(t("fail.title", lang, action=action.id), style="bold"),
                 Text(t("fail.exit", lang, codes=codes))]
        if record.error:
            lines.append(Text(pick(record.error, record.error_es, lang), style="italic"))
        tail = [o for o in record.output if o[1] == "stderr"][-8:] or [o for o in record.output if o[1] != "info"][-5:]
        if tail:
            lines.append(Text(t("fail.stderr", lang), style="bold"))
            multi = len({o[0] for o in tail}) > 1
            for node, _, text, *_ in tail:
                lines.append(Text(f"  {node}: {text}" if multi else f"  {text}"))
        hint = action.on_fail_es if lang == "es" and getattr(action, "on_fail_es", "") else action.on_fail
        lines.append(Text(t("fail.check", lang), style="bold"))
        lines.append(Text("  " + (hint or t("fail.generic", lang))))
        self.update(Group(*lines))
        self.display = True

    def hide(self) -> None:
        self.display = False


class CheckTable(Static):
    """The connection check, one block per node: its name and way in on the first line, then its host key,
    its system and, for a failure, why, each on a line of its own and wrapped. Five columns side by side
    did not fit 80 columns: the key, the system and the verdict were off the screen."""

    def __init__(self, **kw: Any) -> None:
        super().__init__("", **kw)
        self.headers: list[str] = []
        self.rows: list[tuple[str, ...]] = []
        self.ok: list[bool] = []

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def get_row_at(self, index: int) -> tuple[str, ...]:
        return self.rows[index]

    def set_headers(self, headers: list[str]) -> None:
        """Node, address, host key, system, result: the last three name the lines under each node."""
        self.headers = headers
        self.rows = []
        self.ok = []
        self._draw()

    def add_row(self, *cells: str, ok: bool = True) -> None:
        self.rows.append(tuple(cells))
        self.ok.append(ok)
        self._draw()

    def _draw(self) -> None:
        from rich.table import Table

        table = Table(box=None, show_header=False, pad_edge=False, expand=True)
        table.add_column(width=1, no_wrap=True)
        table.add_column(ratio=1, overflow="fold")
        labels = (self.headers + [""] * 5)[2:5]
        for (node, address, key, system, result), ok in zip(self.rows, self.ok, strict=True):
            body = Text.assemble((node, "bold"), "  ", address)
            for label, value in zip(labels[:2], (key, system), strict=True):
                if value and value != "—":
                    body.append(f"\n{label}: ", style="dim")
                    body.append(value)
            if not ok:
                body.append(f"\n{labels[2]}: ", style="dim")
                body.append(result, style="red")
            table.add_row(Text("✔", style="green") if ok else Text("✘", style="bold red"), body)
        self.update(table)
        self.display = bool(self.rows)
