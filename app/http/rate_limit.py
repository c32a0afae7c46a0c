"""Token-bucket rate limiting per client address, for setups that want it (off by default).

Each client may make `burst` requests at once and `per_minute` on average. Buckets live in
this process's memory, bounded to the `max_clients` most recently seen. A client is the
address the request came from: the peer's own, or the one a trusted proxy names in
X-Forwarded-For (`kb serve` believes the header only from TRUSTED_PROXIES, none by default).

`take` answers with what the IETF RateLimit header fields draft
(draft-ietf-httpapi-ratelimit-headers) sends on every response: the policy (the bucket holds
`burst` requests and refills them in `window` seconds) and the client's state (requests left
now, seconds until the bucket is full again). `wait_time` is `take` reduced to the wait, the
interface a store shared between processes implements too.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from typing import NamedTuple


class Decision(NamedTuple):
    wait: float
    """0 when the request may go ahead, else the seconds until a token is free."""
    remaining: int
    """Requests the client may make at once now."""
    reset: int
    """Seconds until the client's bucket is full again."""


class RateLimiter:
    def __init__(self, *, per_minute: int, burst: int, max_clients: int = 100_000):
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.window = max(1, math.ceil(self.burst / self.rate))
        self.policy = f'"default";q={burst};w={self.window}'
        """The RateLimit-Policy field: `burst` requests per `window` seconds."""

    def wait_time(self, client: str, now: float | None = None) -> float:
        """Take one token for `client`: 0 when allowed, else the seconds until one is free."""
        return self.take(client, now).wait

    def take(self, client: str, now: float | None = None) -> Decision:
        """Take one token for `client`; say whether it may go ahead and what it has left."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1:
            left, wait = tokens - 1, 0.0
        else:
            left, wait = tokens, (1 - tokens) / self.rate
        self._buckets[client] = (left, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        reset = math.ceil((self.burst - left) / self.rate) if left < self.burst else 0
        return Decision(wait, int(left), reset)

    def fields(self, decision: Decision) -> list[tuple[bytes, bytes]]:
        """The RateLimit and RateLimit-Policy header fields for `decision`."""
        state = f'"default";r={decision.remaining};t={decision.reset}'
        return [(b"ratelimit", state.encode()), (b"ratelimit-policy", self.policy.encode())]
