"""A real PostgreSQL server for the tests (Debian's `postgresql` package): `.ci/run` starts
one with `python tests/pgserver.py start DIR` and exports its URL as $JATSGEN_TEST_POSTGRES;
without it, the tests that need one start their own the same way (or are skipped, with the
reason, where the server's programs are not installed; $JATSGEN_REQUIRE_POSTGRES=1, set by
`.ci/run`, makes that a failure)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ENV_URL = "JATSGEN_TEST_POSTGRES"


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl (Debian keeps them out of PATH)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


def _as_owner(args: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as `postgres`."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(folder: Path | None = None) -> tuple[str, Path]:
    """A new cluster in `folder` (default: a new folder in the system's temporary folder,
    which the `postgres` user can reach), started on a free port; its URL (database
    `postgres`) and its folder."""
    import tempfile

    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL's server programs are not installed (Debian: postgresql)")
    folder = folder or Path(tempfile.mkdtemp(prefix="jatsgen-postgres-"))
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    subprocess.run(
        _as_owner(
            [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]
        ),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _as_owner(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "log"),
                "-w",
                "-o",
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=200",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    _wait(url)
    return url, folder


def _wait(url: str) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop(folder: Path) -> None:
    bin_dir = binaries()
    if bin_dir is not None and (folder / "data").is_dir():
        subprocess.run(
            _as_owner(
                [str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "stop"]
            ),
            capture_output=True,
        )


def new_database(url: str, name: str) -> str:
    """A fresh, empty database on the server of `url`; its URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + f"/{name}"


if __name__ == "__main__":  # python tests/pgserver.py start|stop DIR
    command, where = sys.argv[1], Path(sys.argv[2])
    if command == "start":
        print(start(where)[0])
    else:
        stop(where)
