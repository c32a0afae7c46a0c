"""RATE_LIMIT_SHARED: the buckets live in the database, so several processes together let a
client through at the configured rate, not once per process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.config import Settings
from app.http.shared_rate_limit import SharedRateLimiter
from app.main import create_app
from tests.factories import seed_document


@pytest.fixture
def processes(
    settings: Settings, engine: Engine, load: Callable[[dict[str, Any]], None]
) -> Iterator[Callable[[bool], list[TestClient]]]:
    """Two apps on one database (as two processes would be), burst 3, one request a second."""
    load(seed_document())
    with ExitStack() as stack:

        def start(shared: bool) -> list[TestClient]:
            limited = settings.model_copy(
                update={
                    "rate_limit_per_minute": 60,
                    "rate_limit_burst": 3,
                    "rate_limit_shared": shared,
                    "rate_limit_sync": 10,  # the test reports by hand
                }
            )
            return [
                stack.enter_context(TestClient(create_app(limited, engine=engine)))
                for _ in range(2)
            ]

        yield start


def _report(client: TestClient) -> None:
    limiter = client.app.state.rate_limiter  # type: ignore[attr-defined]
    assert isinstance(limiter, SharedRateLimiter)
    limiter.sync()


def test_shared_rate_limit_counts_requests_made_through_every_process(
    processes: Callable[[bool], list[TestClient]],
) -> None:
    first, second = processes(True)
    assert [first.get("/v1/therapies").status_code for _ in range(3)] == [200, 200, 200]
    _report(first)

    allowed = second.get("/v1/therapies")  # a client new here: decided before the report
    _report(second)
    refused = second.get("/v1/therapies")

    assert allowed.status_code == 200
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    _report(first)
    assert first.get("/v1/therapies").status_code == 429  # the other process owes it too


def test_rate_limit_without_sharing_is_per_process(
    processes: Callable[[bool], list[TestClient]],
) -> None:
    first, second = processes(False)
    assert [first.get("/v1/therapies").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert [second.get("/v1/therapies").status_code for _ in range(3)] == [200, 200, 200]


def test_shared_buckets_are_charged_once_per_report(
    processes: Callable[[bool], list[TestClient]], engine: Engine
) -> None:
    first, second = processes(True)
    first.get("/v1/therapies")
    second.get("/v1/therapies")
    _report(first)
    _report(second)
    _report(first)  # nothing new taken: refreshes, charges nothing

    with engine.connect() as connection:
        tokens = connection.execute(
            text("SELECT tokens FROM rate_limit_buckets WHERE client = 'testclient'")
        ).scalar_one()
    assert 1.0 <= tokens < 2.0  # 3 - 2 taken, plus what refilled while the test ran
