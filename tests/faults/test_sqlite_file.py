"""The server's SQLite file is watched: replaced or deleted under a running server, it stops
acknowledging writes (503) and is not ready; it never makes an empty database (issue #28)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.config import Settings
from app.main import create_app
from app.models import Role
from app.store.engine import FILE_CHANGED, NO_FILE
from tests.curation import assert_problem
from tests.faults.test_database_faults import POSTGRES, patch_bruising

pytestmark = pytest.mark.skipif(POSTGRES, reason="a SQLite fault")

Headers = dict[str, str]


def file_of(database_url: str) -> Path:
    return Path(make_url(database_url).database or "")


def description_in(path: Path) -> str | None:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        row = connection.execute(
            "SELECT description FROM side_effects WHERE slug = 'bruising'"
        ).fetchone()
    return None if row is None else row[0]


def assert_stopped(server: TestClient, detail: str) -> None:
    """Reads (of pages no cache holds), and readiness, answer 503 with `detail`."""
    for path in ("/v1/conditions", "/v1/sources/clinic-page", "/readyz"):
        body = assert_problem(server.get(path), 503)
        assert body["detail"] == detail, path
        if path != "/readyz":
            assert body["type"] == "/problems/database-unavailable"


@pytest.fixture
def editor(make_key: Callable[[str, Role], Headers], server: TestClient) -> Headers:
    return make_key("editor", Role.editor)


def test_replaced_file_stops_writes_and_readiness(
    server: TestClient, editor: Headers, database_url: str
) -> None:
    path = file_of(database_url)
    assert patch_bruising(server, editor, "Before the swap.") == 200
    etag = server.get("/v1/side-effects/bruising").headers["etag"]
    replacement = path.with_suffix(".new")
    with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(replacement)) as target:
        source.backup(target)
    os.replace(replacement, path)
    refused = server.patch(
        "/v1/side-effects/bruising",
        json={"description": "After the swap."},
        headers={**editor, "If-Match": etag, "Content-Type": "application/merge-patch+json"},
    )
    body = assert_problem(refused, 503)
    assert body["type"] == "/problems/database-unavailable"
    assert body["detail"] == FILE_CHANGED
    assert refused.headers["retry-after"] == "5"
    assert_stopped(server, FILE_CHANGED)
    assert description_in(path) == "Before the swap."


def test_deleted_file_stops_writes_and_is_not_made_again(
    server: TestClient, editor: Headers, database_url: str
) -> None:
    path = file_of(database_url)
    assert patch_bruising(server, editor, "Before the delete.") == 200
    etag = server.get("/v1/side-effects/bruising").headers["etag"]
    path.unlink()
    refused = server.patch(
        "/v1/side-effects/bruising",
        json={"description": "After the delete."},
        headers={**editor, "If-Match": etag, "Content-Type": "application/merge-patch+json"},
    )
    assert assert_problem(refused, 503)["detail"] == FILE_CHANGED
    assert_stopped(server, FILE_CHANGED)
    assert not path.exists()


def test_server_without_file_answers_503_and_creates_none(tmp_path: Path) -> None:
    path = tmp_path / "var" / "kb.sqlite3"
    app = create_app(Settings(database_url=f"sqlite:///{path}"), openapi_examples=False)
    with TestClient(app) as server:
        assert_stopped(server, NO_FILE)
    app.state.engine.dispose()
    assert not path.exists() and not path.parent.exists()


def test_server_serves_file_seeded_after_it_started(
    tmp_path: Path, load_file: Callable[[Path], None]
) -> None:
    path = tmp_path / "kb.sqlite3"
    app = create_app(Settings(database_url=f"sqlite:///{path}"), openapi_examples=False)
    with TestClient(app) as server:
        assert server.get("/readyz").status_code == 503
        load_file(path)
        assert server.get("/readyz").status_code == 200
        assert server.get("/v1/side-effects/bruising").status_code == 200
    app.state.engine.dispose()


@contextmanager
def mounted_read_only(directory: Path) -> Iterator[None]:
    """The directory as a real read-only mount (a bind mount of itself, remounted `ro`), as a
    volume mounted read-only or a file system remounted after an error is; writable again after.
    Needs root with CAP_SYS_ADMIN (CI has it); skipped elsewhere."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a read-only mount needs root")
    bound = subprocess.run(["mount", "--bind", str(directory), str(directory)], check=False)
    if bound.returncode != 0:
        pytest.skip("bind mounts are not permitted here")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(directory)], check=True)
        yield
    finally:
        # writable again under the files the server holds open, then detached (lazily: they
        # are still open through it)
        subprocess.run(["mount", "-o", "remount,rw,bind", str(directory)], check=True)
        subprocess.run(["umount", "--lazy", str(directory)], check=True)


def test_server_started_on_a_read_only_mount_serves_reads_then_takes_writes_once_writable(
    make_server: Callable[[Settings], TestClient],
    make_key: Callable[[str, Role], Headers],
    fault_settings: Settings,
    database_url: str,
) -> None:
    """A real read-only mount (a volume mounted `ro`, a file system remounted after an error),
    not a simulation: SQLite opens the file read-only; writes answer 503 read-only, reads are
    served, and once the mount is writable the server takes writes without a restart."""
    editor = make_key("editor", Role.editor)
    path = file_of(database_url)
    with mounted_read_only(path.parent):
        with pytest.raises(OSError):
            (path.parent / "probe").write_text("x")  # the mount is really read-only
        server = make_server(fault_settings)
        statuses = [patch_bruising(server, editor, f"During {n}.") for n in range(2)]
        assert statuses == [503, 503], statuses
        etag = server.get("/v1/side-effects/bruising").headers["etag"]
        refused = server.patch(
            "/v1/side-effects/bruising",
            json={"description": "During the mount."},
            headers={**editor, "If-Match": etag, "Content-Type": "application/merge-patch+json"},
        )
        assert assert_problem(refused, 503)["type"] == "/problems/database-read-only"
        ready = server.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["read_only"] is True
        assert server.get("/v1/conditions?limit=2").status_code == 200
        assert server.get("/v1/sources/clinic-page").status_code == 200
    statuses = [patch_bruising(server, editor, f"After {n}.") for n in range(3)]
    assert statuses[-1] == 200 and set(statuses) <= {200, 503}, statuses
    ready = server.get("/readyz").json()
    assert (ready["status"], ready["read_only"]) == ("ready", False)
    assert description_in(path) == "After 2."
