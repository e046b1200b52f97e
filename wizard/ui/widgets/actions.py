"""The section's table of actions, fitted to its width: the status and the place are never cut, the
action's name takes what is left and wraps there (a row grows a line rather than losing its end).

DataTable sizes each column to its widest cell; at 80 columns the sum was wider than the panel and the
status, the last column, was cut (`pendien`, `⟳ desactuali`). Here the widths are worked out from the
panel's width each time it changes.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable

PADDING = 2  # DataTable's cell padding, one column each side
GUTTER = 2  # the vertical scrollbar, kept whether or not it shows (scrollbar-gutter: stable)
MIN_ACTION = 18  # below this the names of a section's actions fold into three lines


def fit_widths(width: int, status: list[str], where: list[str]) -> tuple[int, int, int] | None:
    """(action, where, status) column widths for a table `width` columns wide whose status and place
    cells (headers included) are these; None before the width is known. A place of 0: no room for that
    column (the card under the table says where the selected action runs)."""
    if width <= 0:
        return None
    status_w = max(cell_len(s) for s in status)
    where_w = max(cell_len(w) for w in where)
    room = width - GUTTER - 4 * PADDING - 1  # four columns, the first one the status icon
    action_w = room - status_w - where_w
    if action_w < MIN_ACTION:  # narrow (80 columns with the sidebar): the place goes, the name stays readable
        where_w, action_w = 0, room - status_w + PADDING
    return action_w, where_w, status_w


class ActionsTable(DataTable):
    DEFAULT_CSS = """
    ActionsTable { scrollbar-gutter: stable; }
    """

    class Resized(Message):
        """The table's width changed: the section screen fits the columns again."""

    fitted_width = 0

    def on_resize(self, event: Resize) -> None:
        if event.size.width != self.fitted_width:
            self.post_message(self.Resized())
