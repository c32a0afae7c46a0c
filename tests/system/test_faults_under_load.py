"""Faults injected under a mixed load: only documented answers, no acknowledged write lost.

Four readers and two editors share a real server for LOAD_SECONDS (30 by default) while the
database misbehaves mid-run: on SQLite another writer holds the write lock for 4 s (busy); on
PostgreSQL the connections are cut and refused for 4 s, then the database turns read-only for
4 s. Every answer is a 2xx, a 412 (a lost edit race), or a 503 of a documented database type;
every acknowledged write is in the data, and the audit trail matches the data (issue #28).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.models import Role
from app.store.engine import make_engine
from tests.factories import seed_document
from tests.faults.proxy import Proxy
from tests.servers import running_server

LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "30"))
FAULT_SECONDS = 4.0
READS = ["/v1/therapies", "/v1/side-effects/bruising", "/v1/search?q=dextrose", "/readyz"]
DOCUMENTED = {"database-busy", "database-read-only", "database-unavailable"}


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    maybe_created: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    patched: int = 0
    maybe_patched: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, response: httpx.Response, *allowed: int) -> int:
        status = response.status_code
        with self.lock:
            self.statuses[status] += 1
            if status == 503:
                if response.request.url.path == "/readyz":
                    return status  # not ready while the database is down: as documented
                kind = response.json()["type"].removeprefix("/problems/")
                if kind not in DOCUMENTED:
                    self.unexpected.append(f"503 {kind}")
                if "retry-after" not in response.headers:
                    self.unexpected.append("503 without Retry-After")
            elif status not in allowed:
                self.unexpected.append(f"{status} {response.request.url.path} {response.text}")
        return status


def reader(base: str, stop: float, tally: Tally) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        position = 0
        while time.monotonic() < stop:
            tally.saw(client.get(READS[position % len(READS)]), 200)
            position += 1


def editor(base: str, stop: float, tally: Tally, name: str, headers: dict[str, str]) -> None:
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        round_ = 0
        while time.monotonic() < stop:
            round_ += 1
            slug = f"{name}-effect-{round_}"
            created = client.post("/v1/side-effects", json={"slug": slug, "name": slug})
            status = tally.saw(created, 201)
            with tally.lock:
                (tally.created if status == 201 else tally.maybe_created).add(slug)
            current = client.get("/v1/side-effects/bruising")
            if tally.saw(current, 200) != 200:
                continue
            patched = client.patch(
                "/v1/side-effects/bruising",
                json={"description": f"Edited by {name}, round {round_}."},
                headers={"If-Match": current.headers["etag"]},
            )
            status = tally.saw(patched, 200, 412)
            with tally.lock:
                tally.patched += status == 200
                tally.maybe_patched += status == 503
            if created.status_code == 201 and round_ % 3 == 0:
                gone = client.delete(
                    f"/v1/side-effects/{slug}", headers={"If-Match": created.headers["etag"]}
                )
                if tally.saw(gone, 204) == 204:
                    with tally.lock:
                        tally.deleted.add(slug)


def sqlite_busy(database_url: str) -> None:
    """Hold the write lock, as a long `kb import` would."""
    holder = sqlite3.connect(make_url(database_url).database or "")
    holder.execute("BEGIN IMMEDIATE")
    time.sleep(FAULT_SECONDS)
    holder.rollback()
    holder.close()


def postgres_read_only(database_url: str) -> None:
    name = make_url(database_url).database
    admin = make_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")
    others = (
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        connection.execute(text(others))  # the server reconnects into read-only sessions
    time.sleep(FAULT_SECONDS)
    with admin.connect() as connection:
        connection.execute(text("SET default_transaction_read_only = off"))
        connection.execute(text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
    admin.dispose()


def test_faults_under_mixed_load_answer_only_documented_statuses(
    database_url: str,
    load: Callable[[dict[str, Any]], None],
    make_key: Callable[[str, Role], dict[str, str]],
) -> None:
    load(seed_document())
    keys = {name: make_key(name, Role.editor) for name in ("editor-a", "editor-b")}
    url = make_url(database_url)
    postgres = url.get_backend_name() == "postgresql"
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432)) if postgres else None
    served = database_url
    if proxy is not None:
        proxy.start()
        served = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    tally = Tally()
    try:
        with running_server(served, DB_LOCK_TIMEOUT="0.5", DB_CONNECT_TIMEOUT="2") as base:
            started = time.monotonic()
            stop = started + LOAD_SECONDS
            threads = [threading.Thread(target=reader, args=(base, stop, tally)) for _ in range(4)]
            threads += [
                threading.Thread(target=editor, args=(base, stop, tally, name, headers))
                for name, headers in keys.items()
            ]
            for thread in threads:
                thread.start()
            time.sleep(LOAD_SECONDS / 4)
            if proxy is None:
                sqlite_busy(database_url)
            else:
                proxy.stop()
                time.sleep(FAULT_SECONDS)
                proxy.start()
                time.sleep(LOAD_SECONDS / 8)
                postgres_read_only(database_url)
            for thread in threads:
                thread.join(timeout=LOAD_SECONDS + 120)
                assert not thread.is_alive()
            assert not tally.unexpected, tally.unexpected[:10]
            assert tally.statuses[503] > 0 and tally.statuses[200] > 100, tally.statuses
            assert tally.created and tally.patched

            with httpx.Client(base_url=base, headers=keys["editor-a"], timeout=30) as client:
                time.sleep(1)  # past VERSION_TTL
                for slug in tally.created - tally.deleted:
                    assert client.get(f"/v1/side-effects/{slug}").status_code == 200, slug
                committed = {
                    slug
                    for slug in tally.maybe_created
                    if client.get(f"/v1/side-effects/{slug}").status_code == 200
                }
                version = client.get("/v1/side-effects/bruising").json()["version"]
                entries = audit_entries(client)
    finally:
        if proxy is not None:
            proxy.stop()
    actions = Counter(entry["action"] for entry in entries)
    assert actions["create"] == len(tally.created) + len(committed)
    assert actions["delete"] == len(tally.deleted)
    updates = sum(
        1 for entry in entries if entry["action"] == "update" and entry["record"] == "bruising"
    )
    assert updates == version - 1
    assert tally.patched <= updates <= tally.patched + tally.maybe_patched


def audit_entries(client: httpx.Client) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    url: str | None = "/v1/audit?limit=100"
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.text
        entries.extend(page.json()["items"])
        url = page.json()["links"]["next"]
    return entries
