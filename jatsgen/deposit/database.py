"""Where the ledger (and the service's tables beside it) live: a SQLite file by default, or a
PostgreSQL database named by a `postgresql://` URL, so that several hosts share one ledger
and one queue.

Both are spoken to through one small connection shape with SQLite's `?` placeholders and rows
read by name or position, so every SQL statement is written once for both; what differs
(auto-numbered keys, binary columns, the version mark, locks) is said here, once.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

from ..errors import JatsgenError

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_url(where: str | Path) -> bool:
    return isinstance(where, str) and where.startswith(POSTGRES_SCHEMES)


def redact_url(url: str) -> str:
    """The URL without its password (what messages and pages may show)."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


class Rows(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the ledger and the service's store need of a connection."""

    dialect: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows: ...
    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> None: ...
    def begin(self, *, lock: str | None = None) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


class Row(tuple[Any, ...]):
    """A PostgreSQL row read as SQLite's `sqlite3.Row` is: by position or by column name."""

    names: dict[str, int]

    def __new__(cls, names: dict[str, int], values: Sequence[Any]) -> Row:
        row = super().__new__(cls, values)
        row.names = names
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return super().__getitem__(self.names[key])
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        return list(self.names)


class _Transactions:
    """COMMIT, ROLLBACK and close, spoken alike by both databases' connections."""

    conn: Any

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        with suppress(Exception):
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()


class _Postgres(_Transactions):
    """A psycopg connection in autocommit mode with explicit transactions."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg

        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise JatsgenError(
                f"{redact_url(url)}: cannot connect to the database: "
                f"{redact_url(str(exc)).strip().splitlines()[-1].strip()}"
            ) from None
        self.conn.cursor_factory = psycopg.ClientCursor

    def _cursor(self) -> Any:
        def factory(cursor: Any) -> Any:
            names = {c.name: i for i, c in enumerate(cursor.description or [])}
            return lambda values: Row(names, values)

        return self.conn.cursor(row_factory=factory)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        cur = self._cursor()
        cur.execute(_pg_sql(sql), tuple(params))
        return _PgRows(cur)

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        if params:
            with self.conn.cursor() as cur:
                cur.executemany(_pg_sql(sql), [tuple(p) for p in params])

    def begin(self, *, lock: str | None = None) -> None:
        self.conn.execute("BEGIN")
        if lock is not None:  # held to the end of the transaction, by every host
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (lock,))


class _PgRows:
    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def fetchone(self) -> Any:
        return self.cursor.fetchone() if self.cursor.description else None

    def fetchall(self) -> list[Any]:
        return list(self.cursor.fetchall()) if self.cursor.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


def _pg_sql(sql: str) -> str:
    """SQLite's `?` placeholders as psycopg's `%s` (a literal `%` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class SqliteConnection(_Transactions):
    dialect = "sqlite"

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        return self.conn.execute(sql, params)  # type: ignore[no-any-return]

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, params)

    def begin(self, *, lock: str | None = None) -> None:
        self.conn.execute("BEGIN IMMEDIATE")  # one writer at a time: every lock at once


def ddl(schema: str, dialect: str) -> list[str]:
    """The statements of `schema`, written for SQLite, as `dialect` takes them: an
    auto-numbered key (`INTEGER PRIMARY KEY`), binary columns (`BLOB`), whole numbers and
    seconds (`REAL`, a double) in PostgreSQL's words."""
    if dialect == "postgresql":
        schema = schema.replace("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY")
        schema = re.sub(r"\bBLOB\b", "BYTEA", schema)
        schema = re.sub(r"\bINTEGER\b", "BIGINT", schema)
        schema = re.sub(r"\bREAL\b", "DOUBLE PRECISION", schema)
    statements = re.sub(r"--[^\n]*", "", schema).split(";")
    return [s.strip() for s in statements if s.strip()]


def version_of(conn: Connection, name: str) -> int:
    """The version of `name`'s tables (0: none yet). SQLite ledgers keep theirs in
    `PRAGMA user_version`, as they always have; everything else in `jatsgen_versions`."""
    if conn.dialect == "sqlite" and name == "ledger":
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    conn.execute(
        "CREATE TABLE IF NOT EXISTS jatsgen_versions (name TEXT PRIMARY KEY, version INTEGER)"
    )
    row = conn.execute("SELECT version FROM jatsgen_versions WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else 0


def set_version(conn: Connection, name: str, version: int) -> None:
    if conn.dialect == "sqlite" and name == "ledger":
        conn.execute(f"PRAGMA user_version={int(version)}")
        return
    conn.execute(
        "INSERT INTO jatsgen_versions VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET "
        "version = excluded.version",
        (name, version),
    )


class Database:
    """A SQLite file (a path) or a PostgreSQL database (a URL). `connect()` gives one
    connection for a step; PostgreSQL connections are kept per thread (opening one costs a
    round trip and a login), SQLite's opened each time (as the ledger always has)."""

    def __init__(self, where: str | Path) -> None:
        self.url = str(where) if is_url(where) else None
        self.path = None if self.url else Path(where)
        self._local = threading.local()

    @property
    def dialect(self) -> str:
        return "postgresql" if self.url else "sqlite"

    @property
    def label(self) -> str:
        """What messages and pages call it (a URL's password left out)."""
        return redact_url(self.url) if self.url else str(self.path)

    def exists(self) -> bool:
        return self.url is not None or (self.path is not None and self.path.is_file())

    @contextmanager
    def connect(self, opener: Any = None, *, readonly: bool = False) -> Iterator[Connection]:
        """A connection: SQLite's made by `opener(path, readonly)` (the ledger's own, with
        its pragmas and migration), PostgreSQL's the thread's own."""
        if self.url is None:
            assert self.path is not None and opener is not None
            conn = SqliteConnection(opener(self.path, readonly))
            try:
                yield conn
            finally:
                conn.close()
            return
        pg: _Postgres | None = getattr(self._local, "conn", None)
        if pg is None or pg.conn.closed or os.getpid() != getattr(self._local, "pid", None):
            pg = _Postgres(self.url)
            self._local.conn, self._local.pid = pg, os.getpid()
        try:
            yield pg
        except BaseException:
            pg.rollback()  # a transaction left open would hold its locks
            raise
