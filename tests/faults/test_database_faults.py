"""Database faults answer 503 problems with Retry-After, never a 500 or a hang (issue #28).

Busy (a write while another holds the writers' lock), read-only (writes refused, reads served,
`/readyz` ready with `read_only`), unreachable (reads and writes 503, recovering by itself),
and PostgreSQL's lock and statement timeouts. No acknowledged write is lost: every 2xx write
has its audit entry and shows in the data.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.errors import DatabaseBusy
from app.main import create_app
from app.models import Role
from app.store.engine import database_fault
from tests.curation import assert_problem
from tests.faults.conftest import LOCK_TIMEOUT, read_only, writers_lock
from tests.faults.proxy import Proxy
from tests.servers import free_port

Headers = dict[str, str]
POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
postgres_only = pytest.mark.skipif(not POSTGRES, reason="a PostgreSQL fault")


def patch_bruising(client: TestClient, editor: Headers, text: str) -> int:
    """PATCH the side effect 'bruising' with a fresh ETag; return the status."""
    etag = client.get("/v1/side-effects/bruising").headers["etag"]
    response = client.patch(
        "/v1/side-effects/bruising",
        json={"description": text},
        headers={**editor, "If-Match": etag, "Content-Type": "application/merge-patch+json"},
    )
    if response.status_code >= 500:
        body = assert_problem(response, 503)
        assert response.headers["retry-after"].isdigit()
        assert "Traceback" not in response.text and "SELECT" not in response.text
        assert body["instance"] == "/v1/side-effects/bruising"
    return response.status_code


def audit_count(client: TestClient, editor: Headers) -> int:
    response = client.get("/v1/audit", headers=editor)
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


def description(client: TestClient) -> str | None:
    response = client.get("/v1/side-effects/bruising")
    assert response.status_code == 200, response.text
    value: str | None = response.json().get("description")
    return value


@pytest.fixture
def editor(make_key: Callable[[str, Role], Headers], server: TestClient) -> Headers:
    return make_key("editor", Role.editor)


def test_update_record_while_writers_lock_held_answers_503_busy_after_bounded_wait(
    server: TestClient, engine: Engine, editor: Headers
) -> None:
    etag = server.get("/v1/side-effects/bruising").headers["etag"]
    with writers_lock(engine):
        started = time.monotonic()
        response = server.patch(
            "/v1/side-effects/bruising",
            json={"description": "Edited while locked."},
            headers={**editor, "If-Match": etag, "Content-Type": "application/merge-patch+json"},
        )
        waited = time.monotonic() - started
    body = assert_problem(response, 503)
    assert body["type"] == "/problems/database-busy"
    assert "busy" in body["detail"] and "Nothing was changed" in body["detail"]
    assert response.headers["retry-after"] == "1"
    assert LOCK_TIMEOUT * 0.9 <= waited < LOCK_TIMEOUT + 2
    assert description(server) != "Edited while locked."
    assert audit_count(server, editor) == 0
    assert patch_bruising(server, editor, "Edited after the lock.") == 200
    assert description(server) == "Edited after the lock."
    assert audit_count(server, editor) == 1


def test_read_readiness_while_writers_lock_held_is_ready_at_once(
    server: TestClient, engine: Engine
) -> None:
    with writers_lock(engine):
        started = time.monotonic()
        response = server.get("/readyz")
        waited = time.monotonic() - started
        listed = server.get("/v1/therapies")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "read_only": False, "replicas": []}
    assert waited < LOCK_TIMEOUT + 1
    assert listed.status_code == 200


def test_write_to_read_only_database_answers_503_and_reads_are_served(
    server: TestClient, editor: Headers, database_url: str
) -> None:
    server_engine: Engine = server.app.state.engine  # type: ignore[attr-defined]
    assert patch_bruising(server, editor, "Before the fault.") == 200
    with read_only(server_engine, database_url):
        etag = server.get("/v1/side-effects/bruising").headers["etag"]
        refused = server.patch(
            "/v1/side-effects/bruising",
            json={"description": "During the fault."},
            headers={**editor, "If-Match": etag, "Content-Type": "application/merge-patch+json"},
        )
        body = assert_problem(refused, 503)
        assert body["type"] == "/problems/database-read-only"
        assert "read-only" in body["detail"] and "reads are still served" in body["detail"]
        assert refused.headers["retry-after"] == "30"
        ready = server.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ready", "read_only": True, "replicas": []}
        assert server.get("/v1/side-effects/bruising").status_code == 200
        assert server.get("/v1/therapies?limit=1").status_code == 200
        assert description(server) == "Before the fault."
    # Writable again: the server recovers by itself, without a restart (a connection opened
    # read-only may refuse one more write, with the same 503).
    statuses = [patch_bruising(server, editor, f"After the fault {n}.") for n in range(3)]
    assert statuses[-1] == 200 and set(statuses) <= {200, 503}, statuses
    assert server.get("/readyz").json() == {"status": "ready", "read_only": False, "replicas": []}
    assert audit_count(server, editor) == 1 + statuses.count(200)
    assert description(server) == "After the fault 2."


def test_server_started_on_read_only_database_takes_writes_once_writable(
    make_server: Callable[[Settings], TestClient],
    fault_settings: Settings,
    make_key: Callable[[str, Role], Headers],
    database_url: str,
) -> None:
    editor = make_key("editor", Role.editor)
    server = make_server(fault_settings)
    server_engine: Engine = server.app.state.engine  # type: ignore[attr-defined]
    with read_only(server_engine, database_url):
        assert patch_bruising(server, editor, "During the fault.") == 503
        assert server.get("/readyz").json()["read_only"] is True
    statuses = [patch_bruising(server, editor, f"After {n}.") for n in range(3)]
    assert statuses[-1] == 200, statuses


def test_unreachable_database_answers_503_to_reads_writes_and_readiness() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    app = create_app(Settings(database_url=url, db_connect_timeout=2), openapi_examples=False)
    with TestClient(app) as client:
        for path in ("/v1/therapies", "/v1/therapies/prolotherapy", "/v1/search?q=knee"):
            body = assert_problem(client.get(path), 503)
            assert body["type"] == "/problems/database-unavailable", path
        written = client.post(
            "/v1/sources",
            json={"slug": "new-source", "title": "A new source", "kind": "web-page"},
            headers={"Authorization": "Bearer kb_abcdefgh_" + "x" * 40},
        )
        assert assert_problem(written, 503)["type"] == "/problems/database-unavailable"
        assert written.headers["retry-after"] == "5"
        ready = client.get("/readyz")
        assert assert_problem(ready, 503)["detail"].startswith("The database cannot be reached")
        assert ready.headers["retry-after"] == "5"
        assert ready.headers["cache-control"] == "no-store"
    app.state.engine.dispose()


@postgres_only
def test_postgres_cut_then_restored_answers_503_then_recovers(
    make_server: Callable[[Settings], TestClient],
    make_key: Callable[[str, Role], Headers],
    database_url: str,
) -> None:
    url = make_url(database_url)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    try:
        through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        server = make_server(Settings(database_url=through, db_lock_timeout=LOCK_TIMEOUT))
        editor = make_key("editor", Role.editor)
        assert patch_bruising(server, editor, "Before the cut.") == 200
        proxy.stop()
        for path in ("/v1/therapies", "/v1/side-effects/bruising", "/readyz"):
            body = assert_problem(server.get(path), 503)
            assert body["type"].endswith("database-unavailable") or path == "/readyz"
        written = server.post(
            "/v1/sources",
            json={"slug": "new-source", "title": "A new source", "kind": "web-page"},
            headers=editor,
        )
        assert assert_problem(written, 503)["type"] == "/problems/database-unavailable"
        proxy.start()
        assert server.get("/readyz").status_code == 200
        assert server.get("/v1/therapies").status_code == 200
        assert patch_bruising(server, editor, "After the cut.") == 200
        assert audit_count(server, editor) == 2
    finally:
        proxy.stop()


@postgres_only
def test_read_behind_table_lock_answers_503_busy_not_a_hang(
    server: TestClient, engine: Engine
) -> None:
    with engine.connect() as holder:
        holder.execute(text("LOCK TABLE therapies, dataset_state IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        listed = server.get("/v1/therapies")
        ready = server.get("/readyz")
        waited = time.monotonic() - started
        holder.rollback()
    body = assert_problem(listed, 503)
    assert body["type"] == "/problems/database-busy"
    assert "lock" in body["detail"]
    assert assert_problem(ready, 503)["detail"].startswith("The database is busy")
    assert waited < 4 * LOCK_TIMEOUT + 3
    assert server.get("/v1/therapies").status_code == 200


@postgres_only
def test_statement_timeout_answers_503_busy(
    make_server: Callable[[Settings], TestClient], engine: Engine, database_url: str
) -> None:
    server = make_server(
        Settings(database_url=database_url, db_lock_timeout=30, db_statement_timeout=0.3)
    )
    with engine.connect() as holder:
        holder.execute(text("LOCK TABLE therapies IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        listed = server.get("/v1/therapies")
        waited = time.monotonic() - started
        holder.rollback()
    body = assert_problem(listed, 503)
    assert body["type"] == "/problems/database-busy"
    assert "ran longer" in body["detail"]
    assert waited < 3


def test_database_fault_names_faults_and_leaves_bugs_alone() -> None:
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode = sqlite3.SQLITE_BUSY
    assert isinstance(database_fault(locked), DatabaseBusy)
    broken = sqlite3.IntegrityError("UNIQUE constraint failed")
    broken.sqlite_errorcode = sqlite3.SQLITE_CONSTRAINT_UNIQUE
    assert database_fault(broken) is None
    assert database_fault(ValueError("no")) is None
