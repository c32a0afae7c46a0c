"""HTTP caching for reads: ETags, 304s, Cache-Control, compression and a response cache.

`HttpCacheMiddleware` is a raw ASGI layer (not BaseHTTPMiddleware) in front of the router:

- Every successful GET/HEAD gets a strong ETag derived from the dataset version and the bytes
  of the representation (each content-coding its own), `Cache-Control` with a configurable
  max-age and `Vary: Accept-Encoding` (plus `Origin` when CORS answers per origin).
  `If-None-Match` that matches gives 304 with no body. A route that sets its own `ETag` (a
  record's version tag, app/writes/etags.py) has it appended after `;`, so writes can check it.
- Bodies above a size threshold are compressed when the client accepts it (brotli, then gzip).
- Responses are kept in a bounded in-memory cache keyed by the request (path, query without
  a `_` cache-buster, the request headers the body varies on) and the dataset version; a
  hit is answered from stored bytes without entering the router. `stored_answer` finds a
  hit without running the layer at all: the request guard asks it first
  (app/http/request_guard.py), so a hit costs one layer
  (docs/decisions/0003-cache-hits-sent-by-the-request-guard.md).

The dataset version lives in the database (`dataset_state`), so several worker processes or
hosts sharing it agree: each process re-reads it at most every `version_ttl` seconds (default
0.5 s), so no process serves data older than that after another one changed it. A write in
this process updates the local view at once (`DatasetVersion.set`). A request that says its
client has seen a newer version than this process's view (`Min-Dataset-Version`, or an
`If-None-Match` tag of a newer version) has the version read again first, so a client never
gets data older than what it wrote or read before, through any process (read-your-writes;
with replicas, app/store/replicas.py keeps the same promise).
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import anyio.to_thread
import brotli
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from zlib_ng import zlib_ng

from app.store.engine import DATASET_VERSION_KEY

Headers = list[tuple[bytes, bytes]]

COMPRESS_MIN_BYTES = 1024
# Headers the layer sets itself; the app's own values for them are dropped.
OWN_HEADERS = {b"content-length", b"content-encoding", b"etag", b"cache-control", b"vary"}


class DatasetVersion:
    """This process's view of the dataset version, refreshed at most every `ttl` seconds."""

    def __init__(self, read: Callable[[], int], *, ttl: float = 0.5):
        self._read = read
        self.ttl = ttl
        self._value = -1
        self._checked = float("-inf")
        self._lock: anyio.Lock | None = None

    async def current(self) -> int:
        now = time.monotonic()
        if now - self._checked >= self.ttl:
            self._checked = now
            self._value = await anyio.to_thread.run_sync(self._read)
        return self._value

    def fresh(self) -> int | None:
        """The version when it was read less than `ttl` seconds ago, else None (`current`
        then reads it again)."""
        if time.monotonic() - self._checked < self.ttl:
            return self._value
        return None

    def set(self, value: int) -> None:
        self._value = value
        self._checked = time.monotonic()

    async def at_least(self, wanted: int) -> int:
        """The version, read again when this view is older than `wanted` (a version a client
        has seen: read-your-writes across processes). Reads again at most every
        `RECHECK_SECONDS`, waiting out the rest, so made-up versions cannot flood the primary;
        a version the primary does not have yet is answered with the primary's."""
        value = await self.current()
        if value >= wanted:
            return value
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            if self._value >= wanted:
                return self._value  # read again while this request waited for the lock
            wait = self._checked + RECHECK_SECONDS - time.monotonic()
            if wait > 0:
                await anyio.sleep(wait)
            self._checked = time.monotonic()
            self._value = await anyio.to_thread.run_sync(self._read)
        return self._value


RECHECK_SECONDS = 0.02
"""The shortest time between two reads of the dataset version that clients asked for."""


def wanted_version(asked: dict[bytes, str]) -> int:
    """The newest dataset version a request says its client has seen: `Min-Dataset-Version`,
    or the first part of an `If-None-Match` tag this layer made (`"7-..."`); 0 for none."""
    wanted = 0
    header = asked.get(b"min-dataset-version", "").strip()
    if header.isdigit() and len(header) < 12:
        wanted = int(header)
    for tag in asked.get(b"if-none-match", "").split(","):
        number = tag.strip().removeprefix("W/").lstrip('"').partition("-")[0]
        if number.isdigit() and len(number) < 12:
            wanted = max(wanted, int(number))
    return wanted


class Answer(NamedTuple):
    """A whole response, ready to send: its body is empty for a HEAD and a 304."""

    status: int
    headers: Headers
    body: bytes

    def start(self, *extra: tuple[bytes, bytes]) -> Message:
        """Its `http.response.start` message, with `extra` headers after its own."""
        headers = [*self.headers, *extra] if extra else self.headers
        return {"type": "http.response.start", "status": self.status, "headers": headers}


@dataclass
class Variant:
    body: bytes
    etag: bytes
    headers: Headers | None = None
    """Every header of a 200 with this body, built on its first answer (they never change)."""


@dataclass
class Entry:
    status: int
    headers: Headers
    body: bytes
    version: int
    record_tag: str = ""
    """The record ETag a detail route set (app/writes/etags.py), appended to each variant's tag."""
    variants: dict[str, Variant] = field(default_factory=dict)
    size: int = field(init=False, default=0)
    """Bytes held, counted against the cache's bound."""

    def variant(self, encoding: str, *, fast: bool = False) -> Variant:
        """The body in one content-coding, compressed once and kept (`fast` for a body
        sent once and not kept: it trades a little size for much less of the request's time;
        docs/decisions/0004-gzip-by-zlib-ng.md)."""
        found = self.variants.get(encoding)
        if found is None:
            body = compress(self.body, encoding, fast=fast)
            digest = hashlib.blake2b(body, digest_size=12).hexdigest()
            suffix = "" if encoding == "identity" else f"-{encoding}"
            record = f";{self.record_tag}" if self.record_tag else ""
            found = Variant(body, f'"{self.version}-{digest}{suffix}{record}"'.encode())
            self.variants[encoding] = found
            self.size += len(body)
        return found

    def __post_init__(self) -> None:
        self.size = len(self.body) + sum(len(v.body) for v in self.variants.values()) + 256


def compress(body: bytes, encoding: str, *, fast: bool = False) -> bytes:
    if encoding == "br":
        return bytes(brotli.compress(body, quality=1 if fast else 5))
    if encoding == "gzip":
        # zlib-ng (wbits=31: a gzip member, mtime 0): at level 1, much faster than zlib.
        # Not ISA-L, faster still: after one ISA-L call on this AVX-512 machine, everything
        # the thread ran was slower, cached hits included, likely its vector code leaving
        # the registers' upper halves dirty (docs/decisions/0004-gzip-by-zlib-ng.md).
        return zlib_ng.compress(body, 1 if fast else 6, wbits=31)
    return body


def choose_encoding(accept_encoding: str, size: int) -> str:
    """brotli, then gzip, when the client accepts it (q > 0) and the body is worth it."""
    if size < COMPRESS_MIN_BYTES or not accept_encoding:
        return "identity"
    return _preferred_encoding(accept_encoding)


@functools.lru_cache(maxsize=256)
def _preferred_encoding(accept_encoding: str) -> str:
    """Clients send a handful of distinct Accept-Encoding values: parse each once."""
    accepted: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        accepted[name.strip()] = quality
    for encoding in ("br", "gzip"):
        if accepted.get(encoding, accepted.get("*", 0.0)) > 0:
            return encoding
    return "identity"


class ResponseCache:
    """A least-recently-used map bounded by the bytes it holds."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: tuple[Any, ...], entry: Entry) -> bool:
        """Keep `entry` unless it is too big for this cache; say whether it was kept."""
        if entry.size > self.max_bytes // 8:
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        self._entries[key] = entry
        self.bytes += entry.size
        self._evict()
        return True

    def grew(self, entry: Entry, before: int) -> None:
        """Account for a variant added to an entry after it was stored."""
        self.bytes += entry.size - before
        self._evict()

    def _evict(self) -> None:
        while self.bytes > self.max_bytes and self._entries:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.size

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


ASKED = (
    b"host",
    b"origin",
    b"accept-encoding",
    b"if-none-match",
    b"min-dataset-version",
    b"accept",
)


def _asked(scope: Scope) -> dict[bytes, str]:
    """The request headers this layer reads (the first of each), in one pass."""
    found: dict[bytes, str] = {}
    for key, value in scope["headers"]:
        if key in ASKED and key not in found:
            found[key] = value.decode("latin-1")
    return found


def without_cache_buster(query: bytes) -> bytes:
    """The query string without `_` (`?_=1700000000`, a browser's cache-buster): the same
    answer, one cache entry, whatever the value."""
    if not query or not (query.startswith(b"_=") or b"&_=" in query):
        return query
    return b"&".join(part for part in query.split(b"&") if not part.startswith(b"_="))


def _etag_matches(if_none_match: str, etag: bytes) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.decode()
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


class HttpCacheMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        version: DatasetVersion,
        max_age: int,
        max_bytes: int,
        vary_on_origin: bool,
        uncached_paths: tuple[str, ...] = ("/healthz", "/readyz"),
        extra_headers: Headers | None = None,
    ):
        self.app = app
        self.version = version
        self.cache = ResponseCache(max_bytes)
        self.cache_control = f"public, max-age={max_age}".encode()
        # Accept: a list answers CSV or NDJSON to an Accept that asks for them.
        self.vary = b"Accept, Accept-Encoding" + (b", Origin" if vary_on_origin else b"")
        self.vary_on_origin = vary_on_origin
        self.uncached_paths = uncached_paths
        self.extra_headers = extra_headers or []
        self.own_headers = OWN_HEADERS | {name for name, _ in self.extra_headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, self._with_extra_headers(send))
            return
        if scope["path"] in self.uncached_paths:
            await self.app(dict(scope, method="GET"), receive, self._no_store(send, scope))
            return
        version = await self.version.current()
        asked = _asked(scope)
        wanted = 0
        if b"if-none-match" in asked or b"min-dataset-version" in asked:
            wanted = wanted_version(asked)
            if wanted > version:
                version = await self.version.at_least(wanted)
        # A client that has seen a version the primary did not confirm (it is unreachable, or
        # the version is made up) is answered from a read of at least that version: the
        # primary's, or a 503; never a stored entry, nor one stored for others.
        confirmed = wanted <= version
        key = self._key(scope, asked, version)
        entry = self.cache.get(key) if confirmed else None
        kept = confirmed
        if entry is None:
            entry = await self._fetch(scope, receive, send, version, read_at=max(version, wanted))
            if entry is None:
                return
            kept = confirmed and self.cache.put(key, entry)
        await self._send(send, self._answer(scope, entry, asked, kept=kept))

    def stored_answer(self, scope: Scope) -> Answer | None:
        """The answer to a GET or HEAD from a stored response, or None when the layer has to
        run (not a GET, no such entry, or the dataset version is due to be read again)."""
        if scope["method"] not in ("GET", "HEAD") or scope["path"] in self.uncached_paths:
            return None
        version = self.version.fresh()
        if version is None:
            return None
        asked = _asked(scope)
        if (b"if-none-match" in asked or b"min-dataset-version" in asked) and wanted_version(
            asked
        ) > version:
            return None  # the client has seen a newer version than this view: read it again
        entry = self.cache.get(self._key(scope, asked, version))
        return None if entry is None else self._answer(scope, entry, asked, kept=True)

    def _key(self, scope: Scope, asked: dict[bytes, str], version: int) -> tuple[Any, ...]:
        origin = asked.get(b"origin", "") if self.vary_on_origin else ""
        # Bodies hold absolute links, so the host and scheme they were built for are part of
        # the key: one client's Host header can never reach another client's response.
        host = asked.get(b"host", "")
        query = without_cache_buster(scope["query_string"])
        # A list answers CSV or NDJSON to an Accept that names them (app/http/formats.py);
        # every other Accept gets JSON and shares one entry.
        accept = asked.get(b"accept", "")
        table = accept if "csv" in accept or "ndjson" in accept else ""
        return (scope["scheme"], host, scope["path"], query, origin, table, version)

    async def _fetch(
        self, scope: Scope, receive: Receive, send: Send, version: int, *, read_at: int
    ) -> Entry | None:
        """Run the app, its read seeing version `read_at` at least; return a cacheable entry
        (of `version`), or pass the response through and return None."""
        start: Message = {}
        chunks: list[bytes] = []
        streaming = False
        passed = self._with_extra_headers(send, (b"cache-control", b"no-store"))

        async def capture(message: Message) -> None:
            nonlocal start, streaming
            if message["type"] == "http.response.start":
                start = message
                # No Content-Length: a stream (a whole list as CSV, app/http/formats.py),
                # passed through as it is written, never stored.
                names = {name for name, _ in message.get("headers", [])}
                streaming = message.get("status") == 200 and b"content-length" not in names
                if streaming:
                    await passed(message)
            elif streaming:
                if scope["method"] == "HEAD":
                    message = dict(message, body=b"")
                await passed(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        # HEAD is answered as GET, without the body, so both share one cache entry. The read
        # behind it must see `read_at` at least (a replica that has replayed it, or the primary).
        await self.app(
            dict(scope, method="GET", **{DATASET_VERSION_KEY: read_at}), receive, capture
        )
        if streaming:
            return None
        status = int(start.get("status", 500))
        headers = [(k, v) for k, v in start.get("headers", []) if k not in self.own_headers]
        body = b"".join(chunks)
        app_headers = dict(start.get("headers", []))
        app_cache_control = app_headers.get(b"cache-control", b"")
        if status != 200 or b"no-store" in app_cache_control:
            extra = self._error_headers(status)
            if status < 400 and b"no-store" in app_cache_control:
                extra.append((b"cache-control", b"no-store"))  # e.g. answers that need a key
            length = (b"content-length", str(len(body)).encode())
            payload = b"" if scope["method"] == "HEAD" or status == 304 else body
            await self._send(send, Answer(status, [*headers, *extra, length], payload))
            return None
        # A detail route's record ETag is kept inside this layer's tag (see app/writes/etags.py).
        record_tag = app_headers.get(b"etag", b"").decode("latin-1").strip().strip('"')
        return Entry(
            status=status, headers=headers, body=body, version=version, record_tag=record_tag
        )

    def _error_headers(self, status: int) -> Headers:
        headers = list(self.extra_headers)
        if status >= 400:
            headers.append((b"cache-control", b"no-store"))
        return headers

    def _answer(self, scope: Scope, entry: Entry, asked: dict[bytes, str], *, kept: bool) -> Answer:
        """The response to `entry` in the coding the client prefers: a 304 when its tag is
        current. An entry the cache did not keep is compressed fast (it is sent once)."""
        encoding = choose_encoding(asked.get(b"accept-encoding", ""), len(entry.body))
        before = entry.size
        variant = entry.variant(encoding, fast=not kept)
        if kept and entry.size != before:
            self.cache.grew(entry, before)
        if _etag_matches(asked.get(b"if-none-match", ""), variant.etag):
            return Answer(304, self._headers(entry, variant, encoding), b"")
        if variant.headers is None:
            variant.headers = [
                *self._headers(entry, variant, encoding),
                (b"content-length", str(len(variant.body)).encode()),
            ]
        body = b"" if scope["method"] == "HEAD" else variant.body
        return Answer(entry.status, variant.headers, body)

    def _headers(self, entry: Entry, variant: Variant, encoding: str) -> Headers:
        headers = [
            *entry.headers,
            *self.extra_headers,
            (b"etag", variant.etag),
            (b"cache-control", self.cache_control),
            (b"vary", self.vary),
        ]
        if encoding != "identity":
            headers.append((b"content-encoding", encoding.encode()))
        return headers

    @staticmethod
    async def _send(send: Send, answer: Answer) -> None:
        await send(answer.start())
        await send({"type": "http.response.body", "body": answer.body})

    def _with_extra_headers(self, send: Send, *extra: tuple[bytes, bytes]) -> Send:
        """Pass the app's response through, with this layer's headers replacing the app's; an
        error (a write's too) is never stored by anyone: `no-store`."""
        added = [*self.extra_headers, *extra]
        replaced = {name for name, _ in added}
        no_store = (b"cache-control", b"no-store")
        on_error = [*(h for h in added if h[0] != b"cache-control"), no_store]
        replaced_on_error = replaced | {b"cache-control"}

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] >= 400:
                    headers, dropped = on_error, replaced_on_error
                else:
                    headers, dropped = added, replaced
                kept = [(k, v) for k, v in message.get("headers", []) if k not in dropped]
                message = dict(message, headers=[*kept, *headers])
            await send(message)

        return wrapped

    def _no_store(self, send: Send, scope: Scope) -> Send:
        """Pass through uncached; a HEAD (run as GET) loses its body here."""
        wrapped = self._with_extra_headers(send, (b"cache-control", b"no-store"))
        if scope["method"] != "HEAD":
            return wrapped

        async def headless(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = dict(message, body=b"")
            await wrapped(message)

        return headless
