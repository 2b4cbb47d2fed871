"""Progress of the long steps (scanning a large tree, starting PostgreSQL, migrating a long history) on a terminal.

The core never prints progress: where a step can be long it takes a :data:`Progress` callback as an argument and
calls it with what it is doing now, as one line of text, and with ``None`` when the step is over. Nothing is global:
without a callback (the default everywhere, the pytest plugin included) nothing is shown. The command line passes
:func:`status_line`'s, which exists only when standard error is a terminal, ``CI`` is not set and ``TERM`` is not
``dumb``: a CI log, a pipe or a file gets no progress. It writes to standard error alone, so the report on standard
output, the JSON and SARIF files and the exit code are the same with and without it.

The line is drawn in place (carriage return, the text cut to the terminal's width, erase to the end of the line) at
most every ``interval`` seconds within a step, the first message of each step at once, and erased when the step ends
or the command stops. A hand-written line rather than ``rich``: rich is not a dependency of the tool, and would bring
three packages (rich, pygments, markdown-it-py, about 13 MB) and 40-100 ms of imports for one line of text, plus a
live display that redirects standard output unless told otherwise.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TextIO

__all__ = ["Progress", "StatusLine", "say", "status_line", "wanted"]

Progress = Callable[[str | None], None]
"""What a long step is doing now (one line of text), or ``None``: the step is over."""


def say(progress: Progress | None, text: str | None) -> None:
    """``progress(text)`` when there is a callback (a core module's one-liner for an optional argument)."""
    if progress is not None:
        progress(text)


def wanted(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether progress belongs on ``stream``: a terminal, outside CI (``CI`` set to anything but empty or
    ``false``), and one that understands a carriage return and erase-line (``TERM`` is not ``dumb``)."""
    env = os.environ if environ is None else environ
    if env.get("CI", "").strip().lower() not in ("", "0", "false"):
        return False
    if env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


class StatusLine:
    """One line of ``stream`` rewritten in place; call it as a :data:`Progress`, and :meth:`close` at the end."""

    def __init__(self, stream: TextIO, *, interval: float = 0.1, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self._shown = False
        self._drawn_at: float | None = None
        """When the current step's line was last drawn; None between steps (the next message is drawn at once)."""

    def __call__(self, text: str | None) -> None:
        if text is None:
            self._erase()
            self._drawn_at = None
            return
        now = self.clock()
        if self._drawn_at is not None and now - self._drawn_at < self.interval:
            return
        self._drawn_at = now
        width = max(self._columns() - 1, 10)  # never wrap: a carriage return goes back to the start of one line only
        line = text if len(text) <= width else text[: width - 3] + "..."
        self._write(f"\r{line}\x1b[K")
        self._shown = True

    def close(self) -> None:
        self._erase()

    def _columns(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            columns = 0
        return columns or shutil.get_terminal_size().columns  # 0: a terminal that does not say (COLUMNS, else 80)

    def _erase(self) -> None:
        if self._shown:
            self._write("\r\x1b[K")
            self._shown = False

    def _write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a terminal that went away must not stop the check
            self.stream.write(text)
            self.stream.flush()


@contextlib.contextmanager
def status_line(stream: TextIO, *, enabled: bool = True) -> Iterator[Progress | None]:
    """A :class:`StatusLine` on ``stream`` when progress is :func:`wanted` there (and ``enabled``), else None;
    the line is erased on the way out, an error's included, so what is printed next starts on a clean line."""
    if not enabled or not wanted(stream):
        yield None
        return
    line = StatusLine(stream)
    try:
        yield line
    finally:
        line.close()
