"""The limits that keep every run bounded, whatever the project holds: one home for their defaults.

A scanned file larger than ``DEFAULT_MAX_FILE_SIZE`` is not read (generated dumps and data files named ``.sql``);
a revision running longer than ``DEFAULT_REVISION_TIMEOUT`` seconds is stopped. Both are settings
(``max-file-size``, ``revision-timeout``); this module is imported by the CLI for its help, so it imports nothing.
"""

from __future__ import annotations

#: Bytes: files bigger than this are reported (SP903) instead of read. A ``.sql`` script is split as it is read and
#: only its upserts are kept, so its memory is about its own size (a 50 MB dump peaks at 160 MB in all).
DEFAULT_MAX_FILE_SIZE = 1024 * 1024 * 1024
#: The PostgreSQL major versions whose rules the tool knows (``postgres-version``; see verdicts/versions.py).
OLDEST_POSTGRES = 14
NEWEST_POSTGRES = 18
#: Seconds one revision may run before it is stopped (None removes the limit).
DEFAULT_REVISION_TIMEOUT = 600.0
