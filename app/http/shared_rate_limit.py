"""The rate limit shared by every process and host using one database (RATE_LIMIT_SHARED).

Each request is still decided in this process, from its own bucket (app/http/rate_limit.py),
with no database round trip on the request's way. A thread reports the tokens taken here to
the shared buckets every `sync_interval` seconds, and at once when a client new to this
process arrives; each report brings back the shared balance, which replaces the local one
(less what was taken here meanwhile). So the per-minute rate holds across all processes
together; between two reports each process may let a client through at the full rate, which
the shared bucket then owes back (it goes below zero, and every process refuses until it has
refilled). Why not a database round trip per request: docs/decisions/0027-shared-rate-limit.md.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.errors import ServiceUnavailable
from app.http.rate_limit import Decision, RateLimiter
from app.store.rate_limits import prune_buckets, take_tokens

logger = logging.getLogger("app.rate_limit")

PRUNE_EVERY = 60.0
"""Seconds between removals of buckets that are full again."""


class SharedRateLimiter(RateLimiter):
    def __init__(
        self,
        *,
        per_minute: int,
        burst: int,
        engine: Engine,
        sync_interval: float = 0.2,
        max_clients: int = 100_000,
    ):
        super().__init__(per_minute=per_minute, burst=burst, max_clients=max_clients)
        self.engine = engine
        self.sync_interval = sync_interval
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._taken: dict[str, int] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pruned = time.monotonic()

    def take(self, client: str, now: float | None = None) -> Decision:
        with self._lock:
            new = client not in self._buckets
            decision = super().take(client, now)
            if decision.wait == 0:
                self._taken[client] = self._taken.get(client, 0) + 1
        if new:
            self._wake.set()  # learn the shared balance of a client first seen here now
        return decision

    def sync(self) -> None:
        """Report what was taken here since the last report; take the shared balances."""
        with self._sync_lock:
            with self._lock:
                taken, self._taken = self._taken, {}
            try:
                left = take_tokens(self.engine, taken, per_second=self.rate, burst=self.burst)
            except (SQLAlchemyError, ServiceUnavailable) as error:
                # The database is away: each process limits on its own until it is back, and
                # what was taken meanwhile is reported then.
                logger.warning("shared rate limit not reported: %s", error)
                with self._lock:
                    for client, count in taken.items():
                        self._taken[client] = self._taken.get(client, 0) + count
                return
            now = time.monotonic()
            with self._lock:
                for client, tokens in left.items():
                    if client in self._buckets:
                        self._buckets[client] = (tokens - self._taken.get(client, 0), now)
            if now - self._pruned > PRUNE_EVERY:
                self._pruned = now
                try:
                    prune_buckets(self.engine, idle_seconds=self.burst / self.rate + PRUNE_EVERY)
                except (SQLAlchemyError, ServiceUnavailable) as error:
                    logger.warning("shared rate limit buckets not pruned: %s", error)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rate-limit-sync", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.sync_interval)
            self._wake.clear()
            try:
                self.sync()
            except Exception:  # noqa: BLE001 - the limiter must outlive any one failed report
                logger.exception("shared rate limit report failed")

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.sync()  # what was taken since the last report still counts for the others
