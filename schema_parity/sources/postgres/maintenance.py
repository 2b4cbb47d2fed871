"""Housekeeping of what the tool runs and leaves on PostgreSQL: ``schema-parity server status|start|stop``, ``clean``.

Nothing here touches a server or a database the tool did not make: clusters are the ones under the cache
directory, and a scratch database is dropped only when it carries the tool's marker and its process is gone.
"""

from __future__ import annotations

from pathlib import Path

from schema_parity.errors import describe
from schema_parity.sources.postgres.cluster import cache_root, clusters

__all__ = ["cluster_lines", "drop_stale_databases", "stop_clusters"]

#: Prefix of every scratch database the check and the fixtures create.
SCRATCH_PREFIX = "schema_parity_"


def cluster_lines(root: Path | None = None) -> list[str]:
    """One line per cluster: what it runs, whether it runs, whether a process uses it, where it lives."""
    found = clusters(root)
    if not found:
        return [f"no PostgreSQL cluster under {root or cache_root()}"]
    lines = []
    for cluster in found:
        pid = cluster.running_pid()
        state = "stopped" if pid is None else f"running (pid {pid}, {'in use' if cluster.in_use() else 'idle'})"
        lines.append(
            f"PostgreSQL {cluster.binaries.version} ({cluster.binaries.origin}): {state}, "
            f"{_size(cluster.dir) // (1 << 20)} MB in {cluster.dir}"
        )
    return lines


def stop_clusters(*, force: bool = False, root: Path | None = None) -> list[str]:
    """Stop every running cluster nobody uses (``force``: even one in use); one line per cluster stopped."""
    stopped = []
    for cluster in clusters(root):
        if cluster.running_pid() is None:
            continue
        if cluster.stop() if force else cluster.stop_if_unused():
            stopped.append(f"stopped PostgreSQL {cluster.binaries.version} in {cluster.dir}")
        else:
            stopped.append(f"left PostgreSQL {cluster.binaries.version} in {cluster.dir} running: a process uses it")
    return stopped


def drop_stale_databases(urls: list[str]) -> list[str]:
    """Drop the scratch databases of dead runs on each server (its running clusters, and the given URLs)."""
    from schema_parity.sources.server import ScratchDatabases

    lines = []
    targets = [*urls, *(c.url for c in clusters() if c.running_pid() is not None)]
    for url in dict.fromkeys(targets):
        scratch = ScratchDatabases(url, SCRATCH_PREFIX)
        try:
            removed = scratch.remove_stale()
        except Exception as exc:  # a server that does not answer: reported, the others are still cleaned
            lines.append(f"{scratch.shown}: not cleaned ({describe(exc)})")
            continue
        finally:
            scratch.close()
        lines += [f"{scratch.shown}: dropped stale scratch database {name}" for name in removed]
    return lines


def _size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file() and not p.is_symlink())
