"""Token-bucket rate limiting per client address, for setups that want it (off by default).

Each client may make `burst` requests at once and `per_minute` on average. Buckets live in
this process's memory, bounded to the `max_clients` most recently seen. A client is the
address the request came from: the peer's own, or the one a trusted proxy names in
X-Forwarded-For (`kb serve` believes the header only from TRUSTED_PROXIES, none by default).
"""

from __future__ import annotations

import time
from collections import OrderedDict


class RateLimiter:
    def __init__(self, *, per_minute: int, burst: int, max_clients: int = 100_000):
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def wait_time(self, client: str, now: float | None = None) -> float:
        """Take one token for `client`: 0 when allowed, else the seconds until one is free."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1:
            self._buckets[client] = (tokens - 1, now)
            wait = 0.0
        else:
            self._buckets[client] = (tokens, now)
            wait = (1 - tokens) / self.rate
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait
