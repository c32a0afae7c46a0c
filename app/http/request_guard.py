"""The outermost layer of every request: its id, its limits, its log line, its last resort.

One raw ASGI middleware (one layer on the hot path, not four); a request it lets through is
first offered to `stored_answer` (the response cache's hits, app/http/cache.py), so a cache hit
is sent from here without entering the next layer:

- a request id: the client's `X-Request-ID` when it is a short token, else a new one; sent back
  on every response and written on every log line about the request;
- limits: a request body larger than `max_body_bytes` is refused with 413 (by its
  Content-Length, or as it streams in); a NUL byte or text that is not UTF-8 in the path or
  query string is refused with 400, before any handler sees it;
- optional rate limiting per client address (429 with Retry-After), off by default; when on,
  every response carries the `RateLimit` and `RateLimit-Policy` fields (app/http/rate_limit.py);
- one JSON access line per request (time, request id, method, path, query, status, duration,
  client), queued for the access log's writer thread when the request ends: no formatting and
  no I/O on the event loop (app/http/logs.py, `AccessLog`);
- an unexpected error is logged with the request id and answered with a plain 500 problem,
  never a trace.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from time import perf_counter
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem_response
from app.http.cache import Answer
from app.http.logs import AccessLog
from app.http.rate_limit import RateLimiter

error_log = logging.getLogger("app.errors")

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class BodyTooLarge(HTTPException):
    """Raised while the body streams in. An HTTPException, so that FastAPI's body parsing lets
    it through as the 413 it is instead of turning it into a generic 400."""

    def __init__(self, limit: int):
        super().__init__(413, f"The request body is larger than {limit} bytes.")


PERCENT, NUL = ord("%"), 0


def _bad_text(raw: bytes) -> str | None:
    """Why a path or query string is refused, or None when it is fine."""
    # Bytes searched for an int are one memchr, far cheaper than a one-byte bytes needle
    # (docs/decisions/0015-int-needles-in-the-request-guard.md).
    if raw.isascii() and PERCENT not in raw and NUL not in raw:
        return None  # the common case, without decoding
    decoded = unquote_to_bytes(raw)
    if b"\x00" in decoded:
        return "contains a NUL byte"
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return "is not valid UTF-8"
    return None


class RequestGuardMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        rate_limiter: RateLimiter | None = None,
        stored_answer: Callable[[Scope], Answer | None] | None = None,
        access_log: AccessLog | None = None,
        error_headers: list[tuple[bytes, bytes]] | None = None,
        allowed_origins: frozenset[str] = frozenset(),
    ):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.rate_limiter = rate_limiter
        self.stored_answer = stored_answer
        self.access_log = access_log
        # The guard's own refusals carry what every other error carries (the cache layer adds
        # these to the app's answers): nosniff, CORS, no-store.
        self.error_headers = [*(error_headers or []), (b"cache-control", b"no-store")]
        self.allowed_origins = allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        request_id = self._request_id(scope)
        added = [(b"x-request-id", request_id.encode())]
        state: dict[str, Any] = {"status": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                message = dict(message, headers=[*message.get("headers", []), *added])
            await send(message)

        try:
            refusal = self._refuse(scope)
            if refusal is None and self.rate_limiter is not None:
                refusal = self._rate_limit(scope, added)
            if refusal is not None:
                await refusal(scope, receive, self._with_error_headers(scope, send_with_id))
            elif self.stored_answer and (stored := self.stored_answer(scope)) is not None:
                state["status"] = stored.status
                await send(stored.start(*added))
                await send({"type": "http.response.body", "body": stored.body})
            else:
                await self.app(scope, self._limited(receive), send_with_id)
        except BodyTooLarge:
            if not state["status"]:
                await self._too_large(scope)(
                    scope, receive, self._with_error_headers(scope, send_with_id)
                )
        except Exception as error:
            error_log.error(
                "unhandled error",
                exc_info=error,
                extra={"request_id": request_id, "method": scope["method"], "path": scope["path"]},
            )
            if not state["status"]:
                response = problem_response(
                    500, "The server could not answer this request.", instance=scope["path"]
                )
                await response(scope, receive, self._with_error_headers(scope, send_with_id))
        finally:
            if self.access_log is not None:
                self.access_log.add(
                    (
                        started,
                        perf_counter(),
                        request_id,
                        scope["method"],
                        scope["path"],
                        scope["query_string"],
                        state["status"],
                        scope.get("client"),
                    )
                )

    @staticmethod
    def _request_id(scope: Scope) -> str:
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                candidate = str(value.decode("latin-1"))
                if REQUEST_ID.fullmatch(candidate):
                    return candidate
                break
        return os.urandom(16).hex()

    def _with_error_headers(self, scope: Scope, send: Send) -> Send:
        """`send`, adding the headers every error carries to the guard's own answers; with an
        allowlist of origins (not `*`), an allowed Origin is answered as CORSMiddleware would."""
        extra = self.error_headers
        if self.allowed_origins:
            origin = next((v for k, v in scope["headers"] if k == b"origin"), None)
            if origin is not None and origin.decode("latin-1") in self.allowed_origins:
                extra = [*extra, (b"access-control-allow-origin", origin), (b"vary", b"Origin")]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message, headers=[*message.get("headers", []), *extra])
            await send(message)

        return with_headers

    def _refuse(self, scope: Scope) -> Any:
        """A response that refuses the request outright, or None to let it through."""
        path = scope["path"]
        for part, raw in (("path", scope.get("raw_path") or b""), ("query", scope["query_string"])):
            reason = _bad_text(raw)
            if reason is not None:
                # a bad path is named as it came, still percent-encoded
                instance = path if part == "query" else raw.decode("latin-1")
                return problem_response(400, f"The request's {part} {reason}.", instance=instance)
        for key, value in scope["headers"]:
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    return problem_response(400, "Content-Length is not a number.", instance=path)
                if declared > self.max_body_bytes:
                    return self._too_large(scope)
        return None

    def _rate_limit(self, scope: Scope, added: list[tuple[bytes, bytes]]) -> Any:
        """Take the client's token: add its RateLimit fields to `added`; a 429 when it has none."""
        assert self.rate_limiter is not None
        client = (scope.get("client") or ("unknown", 0))[0]
        decision = self.rate_limiter.take(client)
        added += self.rate_limiter.fields(decision)
        if decision.wait > 0:
            seconds = max(1, int(decision.wait + 0.999))
            return problem_response(
                429,
                f"Too many requests; retry in {seconds} s.",
                instance=scope["path"],
                headers={"Retry-After": str(seconds)},
            )
        return None

    def _too_large(self, scope: Scope) -> Any:
        return problem_response(
            413,
            f"The request body is larger than {self.max_body_bytes} bytes.",
            instance=scope["path"],
        )

    def _limited(self, receive: Receive) -> Receive:
        """Count the body as it streams in; stop at the limit even without Content-Length."""
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        return limited
