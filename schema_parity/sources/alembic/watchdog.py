"""A time limit per revision, and telling a real Ctrl-C from user code raising KeyboardInterrupt.

Both must work wherever migrations run: from the CLI's main thread, or from a test session's worker thread, on
every platform. So the limit is a timer thread rather than ``signal.alarm`` (main thread only, not on Windows).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

__all__ = ["RevisionTimeout", "Watchdog", "ctrl_c_watch"]


class RevisionTimeout(BaseException):
    """Raised inside the migrating thread when a revision runs out of time (a BaseException: ``except Exception``
    in the revision must not swallow it)."""


class Watchdog:
    """Stops a revision that runs longer than ``limit`` seconds.

    A timer thread, not ``signal.alarm``: signals reach only the main thread and do not exist on Windows, and a
    test session may migrate from a worker thread. On expiry it interrupts the running statement (sqlite3's
    ``interrupt()``, psycopg's ``cancel``), which Python code cannot do while a query runs in C, and raises
    :class:`RevisionTimeout` in the migrating thread. The clock restarts at each revision.
    """

    def __init__(self, limit: float | None, dbapi_connection: Any = None) -> None:
        self.limit = limit
        self.expired = False
        self._dbapi_connection = dbapi_connection
        self._target = threading.get_ident()
        self._deadline = 0.0
        self._stopped = False
        self._changed = threading.Condition()

    def restart(self) -> None:
        """A new deadline, never earlier than the one the timer waits for: the timer is not woken (a thread switch
        per revision), it finds the later deadline when the earlier one comes."""
        with self._changed:
            self._deadline = time.monotonic() + (self.limit or 0.0)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        if self.limit is None:
            yield
            return
        self.restart()
        watcher = threading.Thread(target=self._watch, name="schema-parity revision time limit", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            with self._changed:
                self._stopped = True
                self._changed.notify()
            watcher.join()
            if self.expired:  # withdraw the exception if it has not been raised yet; check() reports the timeout
                _raise_in(self._target, None)

    def check(self) -> None:
        """The revision finished as the limit expired (the exception was withdrawn): still a timeout."""
        if self.expired:
            raise RevisionTimeout

    def _watch(self) -> None:
        with self._changed:
            while not self._stopped:
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._changed.wait(remaining)
                    continue
                self.expired = True
                self._interrupt()
                _raise_in(self._target, RevisionTimeout)
                return

    def _interrupt(self) -> None:
        """Abort the statement running on the migration's connection, if any (both calls are thread-safe)."""
        for name in ("interrupt", "cancel_safe", "cancel"):  # sqlite3; psycopg 3.2+; psycopg 3.0/3.1, psycopg2
            method = getattr(self._dbapi_connection, name, None)
            if method is not None:
                with contextlib.suppress(Exception):  # a connection already closed: nothing runs there
                    method()
                return


def _raise_in(thread_id: int, exc_type: type[BaseException] | None) -> None:
    """Raise ``exc_type`` in another thread at its next bytecode; None withdraws one not raised yet (CPython).

    ctypes is imported here, when a revision runs out of time, not in every process that migrates (a share of
    its start-up)."""
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc_type) if exc_type is not None else None
    )


@contextlib.contextmanager
def ctrl_c_watch() -> Iterator[Callable[[], bool]]:
    """Tell a real Ctrl-C (which must stay a KeyboardInterrupt, to stop the CLI or the test session) from user code
    raising KeyboardInterrupt (a failure of that code).

    SIGINT reaches only the main thread, and becomes a KeyboardInterrupt only through a Python handler: where
    either is missing, every KeyboardInterrupt comes from user code.
    """
    pressed: list[int] = []
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if main else None
    if not callable(previous):
        yield lambda: False
        return

    def handler(signum: int, frame: FrameType | None) -> Any:
        pressed.append(signum)
        return previous(signum, frame)

    signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(pressed)
    finally:
        signal.signal(signal.SIGINT, previous)
