"""``python -m schema_parity`` is the ``schema-parity`` command."""

from __future__ import annotations

import sys

from schema_parity.entry import main

sys.exit(main())
