"""User-facing errors: each carries a message that names the file, revision or URL at fault and what to do."""

from __future__ import annotations

from pathlib import Path

#: Exit codes, documented in docs/cli.md.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 2
"""An unexpected exception (a bug in schema-parity) exits 2 as well, so CI never mistakes a crash for findings."""


def describe(exc: BaseException) -> str:
    """``TypeName: first line of the message``: what a one-paragraph error quotes of an underlying exception."""
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0].strip()}" if lines else type(exc).__name__


class SchemaParityError(Exception):
    """A problem with the user's input or environment; the CLI prints it without a traceback and exits 2."""

    exit_code = EXIT_USAGE


class ConfigError(SchemaParityError):
    """Missing or malformed configuration (alembic.ini, pyproject, command-line options)."""


class MigrationError(SchemaParityError):
    """A revision script failed, could not be found, or cannot run on the target engine."""

    def __init__(self, message: str, *, revision: str | None = None, path: str | None = None) -> None:
        super().__init__(message)
        self.revision = revision
        self.path = path


class ConnectionFailed(SchemaParityError):
    """A database URL could not be opened."""


def read_text(path: Path) -> str:
    """The UTF-8 text of a file the user named; a missing, unreadable or non-UTF-8 file is a ConfigError naming it.

    Only a regular file is opened: reading a FIFO or a device named by mistake would wait, or never end.
    """
    if path.exists() and not path.is_file():
        raise ConfigError(f"{path}: not a regular file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, column {column}); "
            "save the file as UTF-8"
        ) from exc
