"""SIGTERM while writes are in flight: requests in flight finish, and nothing is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.models import AuditEntry, Role, SideEffect
from tests.factories import seed_document
from tests.servers import free_port


def test_sigterm_during_writes_loses_nothing(
    database_url: str,
    engine: Engine,
    load: Callable[[dict[str, Any]], None],
    make_key: Callable[[str, Role], dict[str, str]],
) -> None:
    load(seed_document())
    headers = make_key("editor", Role.editor)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve"],
        env={**os.environ, "DATABASE_URL": database_url, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    acknowledged: list[str] = []
    failures: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)

        def write(worker: int) -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                for number in range(10_000):
                    slug = f"effect-{worker}-{number}"
                    try:
                        response = client.post(
                            "/v1/side-effects", json={"slug": slug, "name": f"Effect {slug}"}
                        )
                    except httpx.TransportError:
                        return  # the server has stopped accepting connections
                    if response.status_code == 201:
                        acknowledged.append(slug)
                    elif response.status_code >= 500:
                        failures.append(f"{slug}: {response.status_code}")

        writers = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
        for writer in writers:
            writer.start()
        while len(acknowledged) < 20:
            time.sleep(0.01)
        server.send_signal(signal.SIGTERM)
        # uvicorn drains, shuts the app down, then re-raises the signal for its parent
        assert server.wait(timeout=60) in (0, -signal.SIGTERM)
        for writer in writers:
            writer.join(timeout=60)
        log.seek(0)
        assert b"Application shutdown complete" in log.read()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()

    assert failures == []
    assert len(acknowledged) >= 20
    with Session(engine) as session:
        stored = set(session.exec(select(SideEffect.slug)).all())
        audited = session.exec(select(func.count()).select_from(AuditEntry)).one()
    assert set(acknowledged) <= stored
    # nothing half-written: every stored new record has its audit entry, and no more
    new = {slug for slug in stored if slug.startswith("effect-")}
    assert audited == len(new)
