"""Read replicas end to end: a PostgreSQL primary and a streaming replica of their own (initdb,
`pg_basebackup -R`), two API processes reading from the replica and a load balancer, started
by deploy/cluster.py and removed afterwards. The tests share one cluster and run in order: the
last one stops the replica."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from deploy.cluster import Cluster, running_cluster

THERAPY = "/v1/therapies/perineural-injection-therapy"
VISIBLE_WITHIN = 0.5 + 0.5
"""The documented bound (VERSION_TTL, 0.5 s by default), with room for a busy machine."""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with running_cluster(apis=2) as running:
        yield running


def _replica(base: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/readyz", timeout=10)
    assert response.status_code == 200, response.text
    (replica,) = response.json()["replicas"]
    return dict(replica)


def _wait_for(predicate: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


def _editor(cluster: Cluster) -> dict[str, str]:
    from sqlmodel import Session

    from app.models import ApiKeyCreate, Role
    from app.store.engine import make_engine
    from app.writes.keys import create_key

    engine = make_engine(cluster.primary.url())
    try:
        with Session(engine) as session:
            _, key = create_key(
                session, ApiKeyCreate(name=f"editor-{time.monotonic_ns()}", role=Role.editor)
            )
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {key}"}


def _patch_summary(base: str, editor: dict[str, str], summary: str) -> int:
    etag = httpx.get(base + THERAPY).headers["etag"]
    response = httpx.patch(
        base + THERAPY, json={"summary": summary}, headers=editor | {"If-Match": etag}
    )
    assert response.status_code == 200, response.text
    return int(response.headers["dataset-version"])


def _replica_log_since(cluster: Cluster, offset: int) -> str:
    return cluster.replica.log.read_bytes()[offset:].decode(errors="replace")


def test_write_through_one_process_is_read_through_the_other_from_the_replica(
    cluster: Cluster,
) -> None:
    first, second = cluster.apis
    assert httpx.get(second + THERAPY).status_code == 200  # cached at the old version
    version = _patch_summary(first, _editor(cluster), "Written through the first process.")
    written_at = time.monotonic()

    _wait_for(
        lambda: (
            httpx.get(second + THERAPY).json()["summary"] == "Written through the first process."
        )
    )
    assert time.monotonic() - written_at < VISIBLE_WITHIN
    _wait_for(lambda: (_replica(second)["dataset_version"] or 0) >= version)
    replica = _replica(second)
    assert replica["in_rotation"] is True
    assert replica["problem"] is None

    offset = cluster.replica.log.stat().st_size
    response = httpx.get(second + "/v1/conditions/lateral-epicondylitis")  # not read before
    assert response.status_code == 200
    assert response.headers["etag"].startswith(f'"{version}-')
    assert "'lateral-epicondylitis'" in _replica_log_since(cluster, offset)


def test_read_your_writes_holds_while_the_replica_lags(cluster: Cluster) -> None:
    first, second = cluster.apis
    cluster.replica.sql("SELECT pg_wal_replay_pause()")
    try:
        version = _patch_summary(first, _editor(cluster), "Written while the replica waits.")
        offset = cluster.replica.log.stat().st_size

        response = httpx.get(second + THERAPY, headers={"Min-Dataset-Version": str(version)})

        assert response.status_code == 200
        assert response.json()["summary"] == "Written while the replica waits."
        assert response.headers["etag"].startswith(f'"{version}-')
        assert "'perineural-injection-therapy'" not in _replica_log_since(cluster, offset)
        replica = _replica(second)
        assert replica["dataset_version"] < version  # behind, yet nothing older was served
    finally:
        cluster.replica.sql("SELECT pg_wal_replay_resume()")
    _wait_for(lambda: _replica(second)["dataset_version"] >= version)


def test_stopping_the_replica_moves_reads_to_the_primary_with_no_5xx(cluster: Cluster) -> None:
    statuses: list[int] = []
    stop = threading.Event()

    def read_through_the_balancer() -> None:
        with httpx.Client(base_url=cluster.balancer, timeout=30) as client:
            limit = 0
            while not stop.is_set():
                limit = limit % 50 + 1  # a new page each time: a cache miss, a database read
                statuses.append(client.get(f"/v1/therapies?limit={limit}").status_code)
                statuses.append(client.get(THERAPY).status_code)

    readers = [threading.Thread(target=read_through_the_balancer) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        time.sleep(0.5)
        cluster.replica.stop("immediate")
        time.sleep(1.5)
    finally:
        stop.set()
        for reader in readers:
            reader.join()

    assert statuses, "no request was made"
    assert set(statuses) == {200}
    for base in cluster.apis:
        replica = _replica(base)  # the process stays ready: its reads go to the primary
        assert replica["in_rotation"] is False
        assert replica["problem"]

    # Nothing promoted, nothing lost: writes go on, and the replica catches up when it is back.
    version = _patch_summary(cluster.apis[0], _editor(cluster), "Written with no replica.")
    assert httpx.get(
        cluster.apis[1] + THERAPY, headers={"Min-Dataset-Version": str(version)}
    ).json()["summary"] == ("Written with no replica.")
    cluster.replica.start()
    _wait_for(lambda: all(_replica(base)["in_rotation"] for base in cluster.apis))
    assert _replica(cluster.apis[1])["dataset_version"] >= version


def test_primary_down_reads_come_from_the_replica_and_never_older_than_a_client_saw(
    cluster: Cluster,
) -> None:
    api = cluster.apis[1]
    _wait_for(lambda: _replica(api)["in_rotation"])
    replayed = _replica(api)["dataset_version"]
    cluster.primary.stop("immediate")
    try:
        time.sleep(1.0)  # past VERSION_TTL: the process finds the primary gone
        plain = httpx.get(api + THERAPY, timeout=30)
        seen = httpx.get(api + THERAPY, headers={"Min-Dataset-Version": str(replayed)})
        ahead = httpx.get(api + THERAPY, headers={"Min-Dataset-Version": str(replayed + 1)})
        ready = httpx.get(api + "/readyz", timeout=30)
    finally:
        cluster.primary.start()

    assert plain.status_code == 200  # from the replica; the version is unknown meanwhile
    assert plain.headers["etag"].startswith('"0-')
    assert seen.status_code == 200
    assert ahead.status_code == 503  # only the primary could prove it has that version
    assert ahead.headers["content-type"] == "application/problem+json"
    assert ready.status_code == 503
    _wait_for(lambda: httpx.get(api + "/readyz").status_code == 200, seconds=30)
    back_at = time.monotonic()
    _wait_for(lambda: httpx.get(api + THERAPY).headers["etag"].startswith(f'"{replayed}-'))
    assert time.monotonic() - back_at < VISIBLE_WITHIN  # the version is known again
