"""Read replicas: which PostgreSQL standby a read may use, and which are in the rotation.

A GET answers for one dataset version: the one the response cache keys it on, read from the
primary (app/http/cache.py). Its read goes to a replica that has replayed that version or a
later one, taking turns among those that have; when none has, it goes to the primary. So a
replica never makes an answer older than the version it is cached and tagged with: what a
client gets from a replica it would have got from the primary, and read-your-writes holds for
a client that sends back the version it wrote (`Min-Dataset-Version`, or an `If-None-Match`
tag, whose first part is the version).

A monitor thread reads each replica's state every `interval` seconds: the dataset version it
has replayed, and whether it is still a standby. A replica leaves the rotation when it cannot
be reached, answers with an error, is no longer a standby (it was promoted: its data may
part from the primary's), or has stayed behind the primary's version for longer than
`max_lag` seconds; it comes back once it answers and has caught up. A read that fails on a
replica is run again on the primary (reads change nothing), and the replica leaves the
rotation until the monitor finds it well again. Why, and what was measured:
docs/decisions/0026-version-gated-read-replicas.md.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings
from app.errors import ServiceUnavailable
from app.store.engine import database_fault, make_engine

Result = TypeVar("Result")

_STANDBY_STATE = text(
    "SELECT pg_is_in_recovery(), (SELECT version FROM dataset_state WHERE id = 1)"
)
_PRIMARY_VERSION = text("SELECT version FROM dataset_state WHERE id = 1")


def replica_name(url: str) -> str:
    """How a replica is named in /readyz and logs: host, port and database, never a password."""
    parsed = make_url(url)
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


@dataclass
class Replica:
    name: str
    engine: Engine
    version: int = -1
    """The dataset version it had replayed when last checked (-1: not known yet)."""
    behind_since: float | None = None
    """Since when (monotonic) its version has been below the primary's; None when level."""
    problem: str | None = "not checked yet"
    """Why it is out of the rotation; None when it is in."""

    def lag(self, now: float) -> float:
        return 0.0 if self.behind_since is None else now - self.behind_since


class ReadReplicas:
    """The primary and its replicas, the rotation among them, and the monitor that keeps it."""

    def __init__(
        self,
        primary: Engine,
        replicas: Sequence[tuple[str, Engine]],
        *,
        max_lag: float,
        interval: float = 0.25,
    ):
        self.primary = primary
        self.replicas = [Replica(name, engine) for name, engine in replicas]
        self.max_lag = max_lag
        self.interval = interval
        self._rotation: tuple[Replica, ...] = ()
        self._turn = itertools.count()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- reads --------------------------------------------------------------------------

    def engine_for(self, version: int | None) -> Engine:
        """A replica in the rotation that has replayed `version`, taking turns; else the
        primary (always for None: a read that must see the latest commit)."""
        rotation = self._rotation
        if version is None or not rotation:
            return self.primary
        start = next(self._turn)
        for step in range(len(rotation)):
            replica = rotation[(start + step) % len(rotation)]
            if replica.version >= version:
                return replica.engine
        return self.primary

    def run(
        self, version: int | None, read: Callable[..., Result], args: tuple[Any, ...]
    ) -> Result:
        """`read(connection, *args)` on `engine_for(version)`; on the primary again when the
        replica fails (a read changes nothing, so running it twice is safe)."""
        engine = self.engine_for(version)
        if engine is not self.primary:
            try:
                with engine.connect() as connection:
                    return read(connection, *args)
            except (SQLAlchemyError, ServiceUnavailable) as error:
                fault = database_fault(error)
                if fault is None:
                    raise
                self._failed(engine, fault.detail)
        with self.primary.connect() as connection:
            return read(connection, *args)

    def _failed(self, engine: Engine, detail: str) -> None:
        for replica in self.replicas:
            if replica.engine is engine:
                replica.problem = f"a read failed: {detail}"
        self._rebuild()

    def _rebuild(self) -> None:
        """The rotation: the replicas with no problem, as one tuple the readers swap to."""
        self._rotation = tuple(r for r in self.replicas if r.problem is None)

    # ---- the monitor --------------------------------------------------------------------

    def check(self) -> None:
        """One round: the primary's version, then each replica's state; rebuild the rotation."""
        try:
            with self.primary.connect() as connection:
                primary_version: int | None = int(
                    connection.execute(_PRIMARY_VERSION).scalar() or 0
                )
        except (SQLAlchemyError, ServiceUnavailable):
            primary_version = None  # the primary is down: keep judging lag by what was known
        for replica in self.replicas:
            self._check(replica, primary_version)
        self._rebuild()

    def _check(self, replica: Replica, primary_version: int | None) -> None:
        now = time.monotonic()
        try:
            with replica.engine.connect() as connection:
                standby, version = connection.execute(_STANDBY_STATE).one()
        except (SQLAlchemyError, ServiceUnavailable) as error:
            fault = database_fault(error)
            replica.problem = "unreachable: " + (fault.detail if fault else type(error).__name__)
            return
        replica.version = int(version or 0) if standby else -1
        if primary_version is not None:
            if replica.version >= primary_version:
                replica.behind_since = None
            elif replica.behind_since is None:
                replica.behind_since = now
        if not standby:
            replica.problem = "not a standby (promoted?): its data may differ from the primary's"
        elif replica.lag(now) > self.max_lag:
            replica.problem = f"behind the primary for over {self.max_lag:g} s"
        else:
            replica.problem = None

    def start(self) -> None:
        """Check now, then every `interval` seconds on a daemon thread until `stop`."""
        self.check()
        self._thread = threading.Thread(target=self._watch, name="replica-monitor", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # noqa: BLE001 - the monitor must outlive any one bad round
                for replica in self.replicas:
                    replica.problem = "the monitor failed to check it"
                self._rotation = ()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for replica in self.replicas:
            replica.engine.dispose()

    def status(self) -> list[dict[str, Any]]:
        """Each replica for /readyz: in the rotation or why not, its version and lag."""
        now = time.monotonic()
        return [
            {
                "name": replica.name,
                "in_rotation": replica.problem is None,
                "dataset_version": replica.version if replica.version >= 0 else None,
                "lag_seconds": round(replica.lag(now), 3),
                "problem": replica.problem,
            }
            for replica in self.replicas
        ]


def server_replicas(settings: Settings, primary: Engine) -> ReadReplicas | None:
    """The server's replicas (DATABASE_READ_URLS), with the primary's timeouts; None without."""
    urls = settings.read_urls
    if not urls:
        return None
    engines = [
        (
            replica_name(url),
            make_engine(
                url,
                pool_size=settings.db_pool_size,
                lock_timeout=settings.db_lock_timeout,
                statement_timeout=settings.db_statement_timeout,
                connect_timeout=settings.db_connect_timeout,
                create=False,
            ),
        )
        for url in urls
    ]
    return ReadReplicas(primary, engines, max_lag=settings.replica_max_lag)
