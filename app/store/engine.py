"""Engine, connection policy and sessions. The only module that knows which engine it talks to.

SQLite (the embedded default) runs in WAL mode with foreign keys enforced and a busy timeout, so
readers never block the writer and ON DELETE rules hold. PostgreSQL gets a small pre-pinged pool.
"""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Depends, Request
from sqlalchemy import CompoundSelect, Connection, Engine, Select, Table, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, create_engine
from starlette.concurrency import run_in_threadpool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_pragmas(mmap_bytes: int) -> Callable[[Any, Any], None]:
    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Reads through a memory map skip a read() call and a copy per page, which on a large
        # file makes index lookups cheaper (SQLite's "Memory-Mapped I/O";
        # docs/decisions/0011-sqlite-memory-map.md).
        cursor.execute(f"PRAGMA mmap_size={int(mmap_bytes)}")
        cursor.close()

    return set_pragmas


def make_engine(database_url: str, *, pool_size: int = 5, sqlite_mmap_bytes: int = 0) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        pooling: dict[str, Any] = {}
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            # No cap on connections (max_overflow=-1): reads run on the event loop (run_read),
            # and a loop waiting for a free connection would wait for sessions that only the
            # loop can close, until the pool's timeout. A SQLite connection is a file handle;
            # how many are open is bounded by the requests in flight
            # (docs/decisions/0008-sqlite-pool-without-a-cap.md).
            pooling = {"poolclass": QueuePool, "pool_size": pool_size, "max_overflow": -1}
        engine = create_engine(url, connect_args={"check_same_thread": False}, **pooling)
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_mmap_bytes))
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


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
    with Session(request.app.state.engine) as session:
        yield session


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
        with (
            driver_connection.cursor() as cursor,
            cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
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
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql, arguments(params))
            return cursor.fetchall() if many else cursor.fetchone()
        finally:
            cursor.close()

    def first(self, connection: Connection | Session, **params: Any) -> Any:
        """The first row (a named tuple), or None."""
        found = self._run(connection, params, many=False)
        return None if found is None else self.row._make(found)

    def all(self, connection: Connection | Session, **params: Any) -> list[tuple[Any, ...]]:
        """Every row, as the driver's tuples."""
        return list(self._run(connection, params, many=True))
