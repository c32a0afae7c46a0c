"""X-Forwarded-For is believed only from TRUSTED_PROXIES (none by default), so a client cannot
dodge the rate limit by rotating it (issue #28)."""

from __future__ import annotations

import json

import httpx

from tests.servers import running_server

LIMITED = {"RATE_LIMIT_PER_MINUTE": "1", "RATE_LIMIT_BURST": "3"}


def statuses(base: str) -> list[int]:
    """Five requests, each claiming another client address."""
    return [
        httpx.get(f"{base}/healthz", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
        for n in range(5)
    ]


def test_rate_limit_keys_on_peer_when_no_proxy_is_trusted(database_url: str) -> None:
    with running_server(database_url, **LIMITED) as base:
        # The server's start-up check took one of the three tokens of 127.0.0.1.
        assert statuses(base) == [200, 200, 429, 429, 429]


def test_rate_limit_keys_on_forwarded_address_from_trusted_proxy(database_url: str) -> None:
    trusted = {**LIMITED, "TRUSTED_PROXIES": json.dumps(["127.0.0.1"])}
    with running_server(database_url, **trusted) as base:
        assert statuses(base) == [200] * 5
