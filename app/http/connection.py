"""The HTTP connection under the app: uvicorn's httptools protocol with two changes.

1. Its own answers are the API's: a request uvicorn cannot parse (a malformed request line, a
   broken header, an oversized header block) gets a problem+json 400 with the headers every
   other error carries, not uvicorn's plain-text one.
2. Shutdown answers what clients already sent. uvicorn closes an idle kept-alive connection the
   moment shutdown begins, so a request already on its way on that connection is lost
   (measured: 3 of 95 requests in flight). Here an idle connection stays open for
   `SHUTDOWN_DRAIN_SECONDS`: a request that arrives in that window is answered with
   `Connection: close`, then the connection closes. Requests queued behind one in flight
   (pipelined) are all answered before the close. New connections are refused from the start
   (uvicorn closes the listening socket first), so a load balancer moves on.

`kb serve` hands this class to uvicorn (`http=`); see docs/operating.md, "Shutdown".
"""

from __future__ import annotations

import asyncio
import os

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.config import get_settings
from app.errors import PROBLEM_BASE, PROBLEM_MEDIA_TYPE
from app.http.stack import common_headers


def bad_request_bytes() -> bytes:
    """The whole HTTP/1.1 response to a request that cannot be parsed."""
    settings = get_settings()
    body = orjson.dumps(
        {
            "type": PROBLEM_BASE + "bad-request",
            "title": "Bad Request",
            "status": 400,
            "detail": "The request is not valid HTTP/1.1 (request line or headers).",
        }
    )
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        *common_headers(any_origin="*" in settings.cors_origins),
        (b"cache-control", b"no-store"),
        (b"x-request-id", os.urandom(16).hex().encode()),
        (b"connection", b"close"),
    ]
    head = b"HTTP/1.1 400 Bad Request\r\n" + b"".join(k + b": " + v + b"\r\n" for k, v in headers)
    return head + b"\r\n" + body


class KnowledgeBaseProtocol(HttpToolsProtocol):
    draining = False
    drain_timer: asyncio.TimerHandle | None = None

    def send_400_response(self, msg: str) -> None:
        self.transport.write(bad_request_bytes())
        self.transport.close()

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        if self.draining and self.cycle is not None:
            self.cycle.keep_alive = False  # answered with `Connection: close`, then closed

    def shutdown(self) -> None:
        self.draining = True
        if self.pipeline:
            # requests queued behind the one in flight: answer them all, close after the last
            newest, _ = self.pipeline[0]
            newest.keep_alive = False
        elif self.cycle is None or self.cycle.response_complete:
            seconds = get_settings().shutdown_drain_seconds
            self.drain_timer = self.loop.call_later(seconds, self.close_if_idle)
        else:
            self.cycle.keep_alive = False

    def close_if_idle(self) -> None:
        """The drain window is over: close, unless a request came in (its answer closes)."""
        if self.cycle is None or self.cycle.response_complete:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.drain_timer is not None:
            self.drain_timer.cancel()
        super().connection_lost(exc)
