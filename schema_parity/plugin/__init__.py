"""pytest plugin entry point (``pytest11``): thin hooks and fixtures over the pytest-free core."""

from __future__ import annotations
