"""A bounded mixed load on a real server: readers and editors at once, nothing lost.

Four readers and two editors share one server process for LOAD_SECONDS (30 by default) on
loopback. Afterwards: no response was a 5xx, every write the server acknowledged is in the
database, and the audit trail holds exactly one entry per acknowledged write.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.models import Role
from tests.factories import seed_document
from tests.servers import running_server

LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "30"))
READ_PATHS = [
    "/v1/therapies",
    "/v1/therapies/perineural-injection-therapy",
    "/v1/conditions/achilles-tendinopathy/therapies",
    "/v1/conditions?q=achilis",
    "/v1/search?q=dextrose",
    "/v1/outcomes?evidence_level=rct",
    "/v1/side-effects",
    "/v1/sources/clinic-page",
    "/v1/meta",
]


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    created: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    patched: Counter[str] = field(default_factory=Counter)
    writes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, response: httpx.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1


def reader(base: str, stop: float, tally: Tally) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        position = 0
        while time.monotonic() < stop:
            tally.saw(client.get(READ_PATHS[position % len(READ_PATHS)]))
            position += 1


def editor(base: str, stop: float, tally: Tally, name: str, headers: dict[str, str]) -> None:
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        round_ = 0
        while time.monotonic() < stop:
            round_ += 1
            slug = f"{name}-effect-{round_}"
            created = client.post(
                "/v1/side-effects", json={"slug": slug, "name": f"Effect {name} {round_}"}
            )
            tally.saw(created)
            if created.status_code == 201:
                with tally.lock:
                    tally.created.add(slug)
                    tally.writes += 1
            # Both editors edit one shared record: some of these lose the race (412).
            current = client.get("/v1/side-effects/bruising")
            tally.saw(current)
            patched = client.patch(
                "/v1/side-effects/bruising",
                json={"description": f"Edited by {name}, round {round_}."},
                headers={"If-Match": current.headers["etag"]},
            )
            tally.saw(patched)
            if patched.status_code == 200:
                with tally.lock:
                    tally.patched["bruising"] += 1
                    tally.writes += 1
            if created.status_code == 201 and round_ % 3 == 0:
                gone = client.delete(
                    f"/v1/side-effects/{slug}", headers={"If-Match": created.headers["etag"]}
                )
                tally.saw(gone)
                if gone.status_code == 204:
                    with tally.lock:
                        tally.deleted.add(slug)
                        tally.writes += 1


def all_audit_entries(client: httpx.Client) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    url: str | None = "/v1/audit?limit=100"
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.text
        entries.extend(page.json()["items"])
        url = page.json()["links"]["next"]
    return entries


def test_mixed_load_loses_nothing(
    database_url: str,
    load: Callable[[dict[str, Any]], None],
    make_key: Callable[[str, Role], dict[str, str]],
) -> None:
    load(seed_document())
    keys = {name: make_key(name, Role.editor) for name in ("editor-a", "editor-b")}
    tally = Tally()
    with running_server(database_url) as base:
        stop = time.monotonic() + LOAD_SECONDS
        threads = [threading.Thread(target=reader, args=(base, stop, tally)) for _ in range(4)]
        threads += [
            threading.Thread(target=editor, args=(base, stop, tally, name, headers))
            for name, headers in keys.items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=LOAD_SECONDS + 120)
            assert not thread.is_alive()

        assert not [status for status in tally.statuses if status >= 500], tally.statuses
        assert tally.statuses[200] > 100 and tally.created and tally.patched["bruising"]

        with httpx.Client(base_url=base, headers=keys["editor-a"], timeout=30) as client:
            time.sleep(1)  # past VERSION_TTL: every cache has seen the last write
            for slug in tally.created - tally.deleted:
                assert client.get(f"/v1/side-effects/{slug}").status_code == 200, slug
            for slug in tally.deleted:
                assert client.get(f"/v1/side-effects/{slug}").status_code == 404, slug
            bruising = client.get("/v1/side-effects/bruising").json()
            assert bruising["version"] == 1 + tally.patched["bruising"]
            entries = all_audit_entries(client)
    assert len(entries) == tally.writes
    actions = Counter(entry["action"] for entry in entries)
    assert actions["create"] == len(tally.created)
    assert actions["delete"] == len(tally.deleted)
    assert {entry["key_name"] for entry in entries} == set(keys)
