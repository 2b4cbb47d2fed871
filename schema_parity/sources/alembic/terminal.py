"""User code runs without a terminal: nothing to read on standard input, and nothing it prints reaches the report.

Revision scripts (and the application modules they import) print progress, configure logging handlers that hold
``sys.stdout`` itself, and sometimes ask a question with ``input()``. Standard output belongs to the report
(``--format json``, SARIF), so while user code is imported or run both the Python-level ``sys.stdout`` and file
descriptor 1 point at standard error (a handler created at import time writes to the descriptor it captured); and
``input()`` meets an empty standard input, so it fails at once instead of waiting for an answer nobody will give.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator

__all__ = ["asked_for_input", "no_terminal"]


@contextlib.contextmanager
def no_terminal() -> Iterator[None]:
    """Standard output to standard error (Python objects and file descriptor 1), standard input empty."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = _dup(1)
    try:
        if saved is not None:
            os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr), _empty_stdin():
            yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


def asked_for_input(exc: BaseException) -> bool:
    """Whether ``exc`` is ``input()`` meeting the empty standard input."""
    return isinstance(exc, EOFError)


@contextlib.contextmanager
def _empty_stdin() -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = io.StringIO("")
    try:
        yield
    finally:
        sys.stdin = saved


def _dup(fd: int) -> int | None:
    """A copy of descriptor ``fd``, or None where there is none to redirect (a closed or missing stdout)."""
    try:
        return os.dup(fd)
    except OSError:
        return None
