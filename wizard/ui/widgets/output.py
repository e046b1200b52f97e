"""The output panel: every line the running commands print, wrapped to the panel's width.

Textual's RichLog renders each line once, when written, at `max(min_width, panel width)`; its default
`min_width` is 78, so in a narrower panel every wrapped line lost its right-hand end (2-3 characters in
a 76-column panel, more at 80x24), and a line written before the vertical scrollbar appeared was two
columns too wide afterwards. Here lines wrap at the panel's own width, the scrollbar's gutter is always
kept, and the lines are wrapped again when the panel changes width (the terminal grows or shrinks).
"""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

MAX_LINES = 2000


class OutputLog(RichLog):
    DEFAULT_CSS = """
    OutputLog { scrollbar-gutter: stable; overflow-x: hidden; }
    """

    def __init__(self, *, max_lines: int = MAX_LINES, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(max_lines=max_lines, min_width=1, wrap=True, markup=False, highlight=False, id=id,
                         classes=classes)
        self.history: deque[Text] = deque(maxlen=max_lines)
        self._wrapped_at = 0

    def add(self, line: Text) -> None:
        """Write one logical line (kept, so it can be wrapped again at another width)."""
        self.history.append(line)
        self.write(line)

    def add_all(self, lines: list[Text]) -> None:
        for line in lines:
            self.add(line)

    def on_resize(self, event: Resize) -> None:
        # Runs before RichLog's own handler (Textual calls both, subclass first), which renders the
        # lines written before the first size was known: only a later change of width re-wraps.
        width = self.scrollable_content_region.width
        previous, self._wrapped_at = self._wrapped_at, width
        if not self._size_known or not previous or width == previous:
            return
        at_end = self.is_vertical_scroll_end
        self.clear()
        for line in self.history:
            self.write(line, scroll_end=False)
        if at_end:
            self.scroll_end(animate=False, immediate=False, x_axis=False)
