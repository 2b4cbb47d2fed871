"""The keeper of a shared cluster's server: its parent, which reaps it and stops it once nobody uses it.

Started by the first process that needs the server (``python -m schema_parity.sources.postgres.keeper DIR LINGER
COMMAND...``), in a session of its own, and detached by a fork so that it outlives that process and is nobody's
child to reap. It runs the server as its child (so the
server is reaped when it ends and never lingers as a zombie whose pid file looks alive), and every fraction of a
second checks, under the cluster's ``start.lock``, whether any process still holds ``users.lock``: once nobody has
for ``LINGER`` seconds (a last user may have been killed with SIGKILL and could not stop it), it stops the server
and exits. It exits as well when the server stops for any other reason (``schema-parity server stop``).
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

POLL = 0.25


def _unused(directory: Path) -> bool:
    """Whether no process holds a lease, decided under ``start.lock`` (a lease is taken under it)."""
    start = os.open(directory / "start.lock", os.O_RDWR | os.O_CREAT, 0o600)
    users = os.open(directory / "users.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(start, fcntl.LOCK_EX)
        try:
            fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    finally:
        os.close(users)
        os.close(start)


def keep(directory: Path, linger: float, command: list[str]) -> int:
    with open(directory / "serve.log", "ab") as log:
        server = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    idle_since: float | None = None
    while server.poll() is None:
        time.sleep(POLL)
        if not _unused(directory):
            idle_since = None
            continue
        idle_since = idle_since if idle_since is not None else time.monotonic()
        if time.monotonic() - idle_since >= linger:
            server.send_signal(signal.SIGINT)  # fast shutdown
            return server.wait()
    return server.returncode


def main(argv: list[str]) -> int:
    """Detach (the starting process waits only for the first fork), record the keeper's pid, keep the server."""
    if os.fork():
        return 0
    directory = Path(argv[0])
    (directory / "keeper.pid").write_text(str(os.getpid()))
    return keep(directory, float(argv[1]), argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
