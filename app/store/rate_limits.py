"""Token buckets shared by every process and host using the database (RATE_LIMIT_SHARED).

One row per client in `rate_limit_buckets`. A process sends the tokens its clients took since
it last reported, and each bucket is refilled and charged in one atomic upsert, by the
database's clock (one clock for every host): concurrent reports from several processes are
each applied once, in some order, and none is lost.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine, text

_NOW = {
    "postgresql": "extract(epoch FROM clock_timestamp())",
    "sqlite": "(julianday('now') - 2440587.5) * 86400.0",
}
_LEAST = {"postgresql": "LEAST", "sqlite": "min"}
_GREATEST = {"postgresql": "GREATEST", "sqlite": "max"}


def _take_sql(dialect: str) -> str:
    least, greatest = _LEAST[dialect], _GREATEST[dialect]
    return (
        "INSERT INTO rate_limit_buckets AS b (client, tokens, updated_at) "
        f"VALUES (:client, :burst - :taken, {_NOW[dialect]}) "
        "ON CONFLICT (client) DO UPDATE SET "
        f"tokens = {least}(:burst, b.tokens + {greatest}(0, excluded.updated_at - b.updated_at)"
        " * :rate) - :taken, "
        f"updated_at = {greatest}(b.updated_at, excluded.updated_at) "
        "RETURNING tokens"
    )


def take_tokens(
    engine: Engine, taken: Mapping[str, int], *, per_second: float, burst: float
) -> dict[str, float]:
    """Charge each client's bucket with the tokens it took (0 only refreshes it); return
    each bucket's tokens after the charge (below 0 when the processes together let through
    more than the bucket held)."""
    if not taken:
        return {}
    statement = text(_take_sql(engine.dialect.name))
    left: dict[str, float] = {}
    with engine.begin() as connection:
        for client in sorted(taken):  # one order for every process: no deadlocks between them
            params = {"client": client, "taken": taken[client], "rate": per_second, "burst": burst}
            left[client] = float(connection.execute(statement, params).scalar_one())
    return left


def prune_buckets(engine: Engine, *, idle_seconds: float) -> None:
    """Remove buckets not charged for `idle_seconds` (by then they are full again, which is
    what a missing row means)."""
    now = _NOW[engine.dialect.name]
    with engine.begin() as connection:
        connection.execute(
            text(f"DELETE FROM rate_limit_buckets WHERE updated_at < {now} - :idle"),
            {"idle": idle_seconds},
        )
