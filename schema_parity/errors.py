"""User-facing errors: each carries a message that names the file, revision or URL at fault and what to do."""

from __future__ import annotations

import functools
import re
from pathlib import Path

#: Exit codes, documented in docs/cli.md.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 2
"""An unexpected exception (a bug in schema-parity) exits 2 as well, so CI never mistakes a crash for findings."""


def describe(exc: BaseException) -> str:
    """``TypeName: first line of the message``: what a one-paragraph error quotes of an underlying exception."""
    lines = [line for line in mask_secrets(str(exc)).strip().splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0].strip()}" if lines else type(exc).__name__


#: Names whose values are hidden, as Django's debug page hides settings (API, TOKEN, KEY, SECRET, PASS, SIGNATURE).
_SECRET_NAME = r"[A-Za-z0-9_.-]*(?:API|TOKEN|KEY|SECRET|PASS|SIGNATURE)[A-Za-z0-9_.-]*"
MASK = "********"
#: ``'SECRET': 'value'`` in a mapping's repr (pydantic's ``input_value={...}``, a settings dict).
_QUOTED_ITEM = (
    rf"""(?P<head>(?P<q>['"])(?i:{_SECRET_NAME})(?P=q)\s*:\s*)(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^,}}\s]+)"""
)
#: ``SECRET_KEY=value`` (an environment assignment, a keyword argument's repr).
_ASSIGNMENT = rf"""(?P<head>\b(?i:{_SECRET_NAME})=)(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s,;)}}\]]+)"""
#: pydantic's ``input_value=...`` inside the block of a field (the field's name on the unindented line above).
_INPUT_VALUE = r"(?P<head>\binput_value=).*?(?=, input_type=|\]$|$)"
_SECRET_FIELD = rf"(?i:{_SECRET_NAME})"


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """Compiled on first use: only an error message is masked, and compiling at import is a share of start-up."""
    return re.compile(pattern)


def mask_secrets(text: str) -> str:
    """``text`` with the values of secret-looking names hidden, the rest kept: an exception from a project's settings
    (a pydantic ValidationError quotes its input values) never prints a key, token or password."""
    text = _compiled(_QUOTED_ITEM).sub(lambda m: f"{m['head']}'{MASK}'", text)
    text = _compiled(_ASSIGNMENT).sub(lambda m: f"{m['head']}{MASK}", text)
    lines, secret_field = [], False
    for line in text.split("\n"):
        if line and not line[0].isspace():
            secret_field = _compiled(_SECRET_FIELD).fullmatch(line.strip()) is not None
            lines.append(line)
            continue
        lines.append(_compiled(_INPUT_VALUE).sub(lambda m: f"{m['head']}'{MASK}'", line) if secret_field else line)
    return "\n".join(lines)


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
