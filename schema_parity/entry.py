"""The ``schema-parity`` command's entry point: a warm run replays its stored result (results.py) before anything
but the standard library is imported; any other run is the full command (cli.py)."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from schema_parity.results import replay

        code = replay(args)
    except Exception:  # a cache must never stop the command: run it in full instead
        code = None
    if code is not None:
        return code
    from schema_parity.cli import main as run

    return run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
