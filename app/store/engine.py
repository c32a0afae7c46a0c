"""Engine, connection policy and sessions. The only module that knows which engine it talks to.

SQLite (the embedded default) runs in WAL mode with foreign keys enforced and a bounded busy
timeout, so readers never block the writer and ON DELETE rules hold. PostgreSQL gets a small
pre-pinged pool with lock, statement and connect timeouts. Every fault of either engine that
a client can wait out (a lock, a read-only database, an unreachable server, a file changed
under the server) is named here, by `database_fault`, as a typed 503 (app/errors.py).
"""

from __future__ import annotations

import collections
import math
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Depends, Request
from sqlalchemy import CompoundSelect, Connection, Engine, Select, Table, event, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, create_engine
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.errors import DatabaseBusy, DatabaseReadOnly, DatabaseUnavailable, ServiceUnavailable

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_pragmas(mmap_bytes: int, busy_ms: int) -> Callable[[Any, Any], None]:
    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Reads through a memory map skip a read() call and a copy per page, which on a large
        # file makes index lookups cheaper (SQLite's "Memory-Mapped I/O";
        # docs/decisions/0011-sqlite-memory-map.md).
        cursor.execute(f"PRAGMA mmap_size={int(mmap_bytes)}")
        cursor.close()

    return set_pragmas


def make_engine(
    database_url: str,
    *,
    pool_size: int = 5,
    sqlite_mmap_bytes: int = 0,
    lock_timeout: float = 5.0,
    statement_timeout: float = 0,
    connect_timeout: int = 10,
    create: bool = True,
) -> Engine:
    """An engine for `database_url`. A request waits at most `lock_timeout` seconds for a lock
    and, on PostgreSQL, `statement_timeout` seconds for a statement (0: no limit).

    With `create=False` (the server, and every `kb` command but `seed` and `migrate`) a SQLite
    file is opened only if it exists, and the file is watched: once it is replaced or deleted,
    no connection is handed out (`DatabaseUnavailable`), so no write is acknowledged into a
    file nobody will read again, and no empty database is made in its place."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        pooling: dict[str, Any] = {}
        path = url.database if url.database and url.database != ":memory:" else None
        if path is not None and not path.startswith("file:"):
            if create:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            else:
                # SQLite's URI form with mode=rw opens an existing file (read-only if the OS
                # refuses writes) and never creates one.
                absolute = os.path.abspath(path)
                url = url.set(
                    database=f"file:{quote(absolute)}",
                    query={**url.query, "mode": "rw", "uri": "true"},
                )
            # No cap on connections (max_overflow=-1): reads run on the event loop (run_read),
            # and a loop waiting for a free connection would wait for sessions that only the
            # loop can close, until the pool's timeout. A SQLite connection is a file handle;
            # how many are open is bounded by the requests in flight
            # (docs/decisions/0008-sqlite-pool-without-a-cap.md).
            pooling = {"poolclass": QueuePool, "pool_size": pool_size, "max_overflow": -1}
        engine = create_engine(url, connect_args={"check_same_thread": False}, **pooling)
        event.listen(
            engine, "connect", _sqlite_pragmas(sqlite_mmap_bytes, int(lock_timeout * 1000))
        )
        if path is not None and not create:
            _watch_file(engine, os.path.abspath(path))
    else:
        options = [f"-c lock_timeout={int(lock_timeout * 1000)}"]
        if statement_timeout:
            options.append(f"-c statement_timeout={int(statement_timeout * 1000)}")
        engine = create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            connect_args={"options": " ".join(options), "connect_timeout": connect_timeout},
        )
    event.listen(engine, "handle_error", _reconnect_after_fault)
    return engine


def server_engine(settings: Settings) -> Engine:
    """The server's engine: bounded waits, and a SQLite file it never creates or loses."""
    return make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        sqlite_mmap_bytes=settings.sqlite_mmap_bytes,
        lock_timeout=settings.db_lock_timeout,
        statement_timeout=settings.db_statement_timeout,
        connect_timeout=settings.db_connect_timeout,
        create=False,
    )


# --------------------------------------------------------------------------------------------
# Faults: what each engine's errors mean to a client
# --------------------------------------------------------------------------------------------

DATABASE_ERRORS: tuple[type[Exception], ...] = (DBAPIError, PoolTimeout)
"""What a database fault is raised as: SQLAlchemy's wrapper of the driver's error (`Prepared`
wraps those of the statements it runs on the driver's cursor), or the pool's timeout."""

NO_FILE = "The database file does not exist; create it with `kb seed`."
FILE_CHANGED = (
    "The database file was replaced or removed while the server ran; nothing was written. "
    "Restart the server (on the right file) to serve again."
)
_BUSY = "The database is busy: {what}. Nothing was changed; try again shortly."
_READ_ONLY = (
    "The database is read-only: writes are refused until it is writable again, and reads are "
    "still served. Nothing was written."
)
_UNREACHABLE = "The database cannot be reached; nothing was changed. Try again shortly."


def _sqlite_fault(error: sqlite3.Error) -> ServiceUnavailable | None:
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return None
    primary = code & 0xFF
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_PROTOCOL):
        return DatabaseBusy(_BUSY.format(what="another write held its lock too long"))
    if code == sqlite3.SQLITE_READONLY_DBMOVED:
        return DatabaseUnavailable(FILE_CHANGED)
    if primary == sqlite3.SQLITE_READONLY:
        return DatabaseReadOnly(_READ_ONLY)
    if primary == sqlite3.SQLITE_FULL:
        return DatabaseUnavailable(
            "The database has no room to write (its disk is full); nothing was written."
        )
    if primary in (
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_NOTADB,
        sqlite3.SQLITE_CORRUPT,
    ):
        return DatabaseUnavailable(
            "The database file cannot be opened, read or written; nothing was changed."
        )
    return None


def _postgres_fault(error: BaseException) -> ServiceUnavailable | None:
    import psycopg  # loaded already: the driver raised `error` (kb need not load it)

    state = getattr(error, "sqlstate", None) or ""
    if state == "25006":  # read_only_sql_transaction
        return DatabaseReadOnly(_READ_ONLY)
    if state == "55P03":  # lock_not_available: lock_timeout
        return DatabaseBusy(_BUSY.format(what="a lock was held longer than the wait allowed"))
    if state == "57014":  # query_canceled: statement_timeout
        return DatabaseBusy(_BUSY.format(what="a statement ran longer than allowed"))
    if state in ("40001", "40P01"):  # serialization failure, deadlock
        return DatabaseBusy(_BUSY.format(what="a concurrent write conflicted"))
    if state == "53100":  # disk_full
        return DatabaseUnavailable(
            "The database has no room to write (its disk is full); nothing was written."
        )
    unreached = not state and isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)
    if unreached or state.startswith(("08", "53", "57P")):  # connection, resources, shutdown
        return DatabaseUnavailable(_UNREACHABLE)
    return None


def database_fault(error: BaseException) -> ServiceUnavailable | None:
    """The typed 503 a database error answers, or None for an error that is a bug."""
    if isinstance(error, ServiceUnavailable):
        return error
    if isinstance(error, PoolTimeout):
        return DatabaseBusy(_BUSY.format(what="no connection came free in time"))
    original = error.orig if isinstance(error, DBAPIError) else error
    fault = None
    if original is None:
        pass
    elif isinstance(original, sqlite3.Error):
        fault = _sqlite_fault(original)
    elif type(original).__module__.startswith("psycopg"):
        fault = _postgres_fault(original)
    if fault is None and isinstance(error, DBAPIError) and error.connection_invalidated:
        fault = DatabaseUnavailable(_UNREACHABLE)
    return fault


def _reconnect_after_fault(context: ExceptionContext) -> None:
    """A connection that met a read-only or unreadable database is dropped, and with it every
    connection opened before: one opened while the database was read-only stays read-only
    (SQLite's fallback open, PostgreSQL's `default_transaction_read_only`), and would refuse
    writes long after the database is writable again."""
    fault = database_fault(context.original_exception)
    if isinstance(fault, DatabaseReadOnly | DatabaseUnavailable):
        context.is_disconnect = True


FILE_CHECK_INTERVAL = 0.1
"""Seconds a check of the SQLite file's identity holds for reads (a stat call each)."""


def _watch_file(engine: Engine, path: str) -> None:
    """Hand out connections only while `path` is the file the server first opened."""

    def identity() -> tuple[int, int] | None:
        try:
            status = os.stat(path)
        except OSError:
            return None
        return status.st_dev, status.st_ino

    seen = [identity()]  # the file first opened (None until there is one)
    checked = [0.0]  # when it was last found in place; -inf once it was not: never again

    def check(*_args: Any) -> None:
        if checked[0] != -math.inf:
            now = identity()
            if seen[0] is None:
                if now is None:
                    raise DatabaseUnavailable(NO_FILE)
                seen[0] = now
            if now == seen[0]:
                checked[0] = time.monotonic()
                return
            checked[0] = -math.inf
        raise DatabaseUnavailable(FILE_CHANGED)

    def check_soon(*_args: Any) -> None:
        # A read may be served from the file up to FILE_CHECK_INTERVAL after it was swapped;
        # a write is checked again at commit, always.
        if time.monotonic() - checked[0] >= FILE_CHECK_INTERVAL:
            check()

    event.listen(engine, "do_connect", check)  # before a connection opens the file
    event.listen(engine, "checkout", check_soon)  # before a read or a write
    event.listen(engine, "commit", check)  # just before a write is acknowledged


def is_writable(engine: Engine) -> bool:
    """Whether the database takes writes now, found by starting a write and rolling it back:
    on SQLite, BEGIN IMMEDIATE without waiting (a read-only file or connection refuses it; a
    busy writer means it is writable); on PostgreSQL, a row lock that skips locked rows
    (refused in a read-only transaction, never waited on)."""
    try:
        with engine.connect() as connection:
            if is_sqlite(engine):
                busy_ms = int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0)
                connection.exec_driver_sql("PRAGMA busy_timeout=0")
                try:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                    connection.exec_driver_sql("ROLLBACK")
                finally:
                    if not connection.invalidated:
                        connection.exec_driver_sql(f"PRAGMA busy_timeout={busy_ms}")
            else:
                sql = "SELECT 1 FROM dataset_state FOR UPDATE SKIP LOCKED"
                connection.exec_driver_sql(sql).all()
                connection.rollback()
    except (SQLAlchemyError, ServiceUnavailable) as error:
        return not isinstance(database_fault(error), DatabaseReadOnly)
    return True


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (every branch's, should there be several)."""
    command.upgrade(alembic_config(engine), "heads")


def schema_heads(engine: Engine) -> set[str]:
    """The newest migrations' revision ids."""
    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def schema_is_current(engine: Engine) -> bool:
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == schema_heads(engine)


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session per request. Opening one touches no connection and closing one only returns
    it to the pool, so this runs on the event loop: a thread hop each way would cost more
    than the work (the handlers that use the session still run in the threadpool;
    docs/decisions/0009-reads-on-the-loop-searches-in-the-threadpool.md)."""
    session = Session(request.app.state.engine)
    try:
        yield session
    finally:
        try:
            session.close()
        except SQLAlchemyError:
            # The rollback of a connection the database dropped (a fault): what the request
            # needed is done, and its answer may be on its way; the pool drops the connection.
            pass


SessionDep = Annotated[Session, Depends(get_session)]

Result = TypeVar("Result")


async def run_read(
    request: Request, read: Callable[..., Result], /, *args: Any, threadpool: bool = False
) -> Result:
    """Run a short read, `read(connection, *args)`, on a connection of its own: no session and
    no request-scoped dependency, whose setup and teardown cost more than a prepared statement
    takes (app/reads/sql_json.py). On SQLite such a read is little work in this process:
    running it on the event loop costs less than the thread hop and the GIL hand-offs of the
    threadpool, which under load cut what a core serves. On PostgreSQL a read waits on the
    network: it runs in the threadpool, so the loop serves others meanwhile. Reads that do
    real Python work (search ranking) say `threadpool=True`: on the loop they would answer
    faster alone, but hold up every other request, and a cached detail served beside them
    would wait many times longer. Why, with the measurements:
    docs/decisions/0009-reads-on-the-loop-searches-in-the-threadpool.md."""
    engine: Engine = request.app.state.engine
    if is_sqlite(engine) and not threadpool:
        return _read_on(engine, read, args)
    return await run_in_threadpool(_read_on, engine, read, args)


def _read_on(engine: Engine, read: Callable[..., Result], args: tuple[Any, ...]) -> Result:
    with engine.connect() as connection:
        return read(connection, *args)


def begin_snapshot(session: Session) -> None:
    """Start a new transaction in `session` whose reads all see one committed state (for a
    read that spans many queries, like an export): PostgreSQL REPEATABLE READ, READ ONLY;
    on SQLite an explicit BEGIN, which pins the WAL snapshot at the first read."""
    session.commit()
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN")
    else:
        session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )


def bulk_insert(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert many rows (plain tuples) at the driver's speed, in the connection's transaction:
    COPY on PostgreSQL, one executemany on SQLite. For the rows of a search index build,
    SQLAlchemy's per-row parameter handling, or psycopg's pipelined executemany, costs more
    than the inserts (docs/decisions/0010-core-insert-in-seed.md)."""
    if not rows:
        return
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    if connection.dialect.name == "postgresql":
        driver_connection: Any = connection.connection.driver_connection
        sql = f"COPY {quote(table.name)} ({names}) FROM STDIN"
        try:
            with driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except Exception as error:
            # Wrapped as `Prepared` wraps its driver's errors: a connection the server ended
            # during the COPY is then a 503 like any other statement's, not an unhandled 500.
            driver_error = connection.dialect.loaded_dbapi.Error
            if isinstance(error, driver_error):
                raise DBAPIError.instance(sql, None, error, driver_error) from error
            raise
        return
    marks = ", ".join(["?"] * len(columns))
    connection.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})", rows)


class Prepared:
    """A statement compiled once per engine and run on the driver's own cursor: for
    statements whose shape never changes, this skips SQLAlchemy's per-execution work (the
    compile-cache lookup, the execution context, the result object), which for a statement
    this size costs more than SQLite takes to run it (docs/decisions/0013-prepared-statements.md).
    Values come as the driver gives them (text, numbers); `first` names them (a named tuple of
    the statement's columns)."""

    def __init__(self, statement: Select[Any] | CompoundSelect[Any]):
        self.statement = statement
        names = [str(column.key) for column in statement.selected_columns]
        self.row: Any = collections.namedtuple("Row", names, rename=True)  # type: ignore[misc]
        self._compiled: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {}

    def _prepare(self, connection: Connection) -> tuple[str, Callable[[dict[str, Any]], Any]]:
        """The statement's text for this engine, and how to turn values into its arguments."""
        dialect = connection.dialect
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            defaults = dict(compiled.params)
            order = tuple(compiled.positiontup or ()) if compiled.positional else None

            def arguments(params: dict[str, Any]) -> Any:
                values = {**defaults, **params}
                return values if order is None else tuple(values[name] for name in order)

            found = self._compiled[dialect.name] = (compiled.string, arguments)
        return found

    def _run(self, connection: Connection | Session, params: dict[str, Any], many: bool) -> Any:
        if isinstance(connection, Session):
            connection = connection.connection()
        sql, arguments = self._prepare(connection)
        try:
            cursor = connection.connection.cursor()
            try:
                cursor.execute(sql, arguments(params))
                return cursor.fetchall() if many else cursor.fetchone()
            finally:
                cursor.close()
        except Exception as error:
            # The driver's error, wrapped as SQLAlchemy wraps it for its own statements: one
            # kind of database error for the handlers to answer.
            driver_error = connection.dialect.loaded_dbapi.Error
            if isinstance(error, driver_error):
                raise DBAPIError.instance(sql, None, error, driver_error) from error
            raise

    def first(self, connection: Connection | Session, **params: Any) -> Any:
        """The first row (a named tuple), or None."""
        found = self._run(connection, params, many=False)
        return None if found is None else self.row._make(found)

    def all(self, connection: Connection | Session, **params: Any) -> list[tuple[Any, ...]]:
        """Every row, as the driver's tuples."""
        return list(self._run(connection, params, many=True))
