"""The order of the layers a request passes through, in one place.

From the outside in:

1. `RequestGuardMiddleware` (app/http/request_guard.py): request id, size and text limits,
   rate limit, the access log line, the last-resort 500. It first offers the request to the
   response cache's `stored_answer`, so a cache hit is sent from here. Its access lines go to
   the `AccessLog` (app/http/logs.py) kept in `app.state.access_log`, whose writer thread the
   app's lifespan starts and stops (app/main.py).
2. `HttpCacheMiddleware` (app/http/cache.py): stores and revalidates GET answers per dataset
   version (ETag, 304), compresses them, adds the common headers.
3. FastAPI itself (`KnowledgeBaseAPI.serve`): its middleware stack (CORS, added here with
   `add_middleware`, and Starlette's error pages), then the route index
   (app/http/route_index.py) and the routers.

The guard and the cache are not added with `add_middleware`: they sit in front of FastAPI
(`KnowledgeBaseAPI.front`), so a cache hit is answered before FastAPI's own layers run and
does not pay for them (docs/decisions/0003-cache-hits-sent-by-the-request-guard.md). The
consequence to remember: a middleware added with `app.add_middleware` runs only on cache
misses, never on hits. Anything every response must carry (CORS for any origin, nosniff,
referrer policy) is therefore in `common_headers`, which the cache stores with each answer;
per-request work belongs in the guard.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import Settings
from app.errors import problem_response
from app.http.cache import HttpCacheMiddleware
from app.http.logs import AccessLog, access_log_enabled
from app.http.rate_limit import RateLimiter
from app.http.request_guard import RequestGuardMiddleware
from app.http.shared_rate_limit import SharedRateLimiter

EXPOSED_HEADERS = [
    "Dataset-Version",
    "ETag",
    "Link",
    "Location",
    "RateLimit",
    "RateLimit-Policy",
    "Retry-After",
    "X-Request-ID",
]
ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "X-Request-ID",
    "Min-Dataset-Version",
]


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered as problem+json like every other
    error (Starlette answers it with a `text/plain` 400)."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        headers = {
            key: value
            for key, value in response.headers.items()
            if key.lower().startswith("access-control-")
        }
        return problem_response(
            400,
            f"This cross-origin request is not allowed: its {refused} (allowed headers: "
            f"{', '.join(ALLOWED_HEADERS)}).",
            problem_type="cors-preflight-refused",
            headers=headers,
        )


def common_headers(*, any_origin: bool) -> list[tuple[bytes, bytes]]:
    """Headers on every response. With any origin allowed, CORS needs no per-request answer:
    a public read API says `*` (never with credentials) even to requests without Origin, so a
    cached response serves every origin alike."""
    headers = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
    if any_origin:
        headers += [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-expose-headers", ", ".join(EXPOSED_HEADERS).encode()),
        ]
    return headers


class KnowledgeBaseAPI(FastAPI):
    """FastAPI with the request guard and the response cache in front of everything FastAPI
    does per request: a cache hit is answered before FastAPI's own layers (error pages,
    telemetry, body limit, router) run, and a hit does not pay for them
    (docs/decisions/0003-cache-hits-sent-by-the-request-guard.md)."""

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.front is not None:
            await self.front(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI itself, behind `front`."""
        await super().__call__(scope, receive, send)


def make_rate_limiter(settings: Settings, engine: Engine) -> RateLimiter | None:
    """None when RATE_LIMIT_PER_MINUTE is 0; buckets in this process, or shared through the
    database when RATE_LIMIT_SHARED is on (its thread runs with the app's lifespan)."""
    if not settings.rate_limit_per_minute:
        return None
    limits = {"per_minute": settings.rate_limit_per_minute, "burst": settings.rate_limit_burst}
    if settings.rate_limit_shared:
        return SharedRateLimiter(**limits, engine=engine, sync_interval=settings.rate_limit_sync)
    return RateLimiter(**limits)


def install_stack(app: KnowledgeBaseAPI, settings: Settings) -> None:
    """CORS inside FastAPI; the response cache and the request guard in front of it; the
    access log (None when LOG_LEVEL is above info) in `app.state.access_log`."""
    any_origin = "*" in settings.cors_origins
    app.add_middleware(
        ProblemCORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        allow_credentials=False,
        max_age=600,
    )
    cache = HttpCacheMiddleware(
        app.serve,
        version=app.state.dataset_version,
        max_age=settings.cache_max_age,
        max_bytes=settings.response_cache_bytes,
        vary_on_origin=not any_origin,
        extra_headers=common_headers(any_origin=any_origin),
    )
    access_log = (
        AccessLog(
            capacity=settings.access_log_buffer_lines,
            sample_rate=settings.access_log_sample_rate,
        )
        if access_log_enabled(settings.log_level)
        else None
    )
    app.state.access_log = access_log
    rate_limiter = make_rate_limiter(settings, app.state.engine)
    app.state.rate_limiter = rate_limiter
    app.front = RequestGuardMiddleware(
        cache,
        max_body_bytes=settings.max_body_bytes,
        rate_limiter=rate_limiter,
        stored_answer=cache.stored_answer,
        access_log=access_log,
        error_headers=common_headers(any_origin=any_origin),
        allowed_origins=frozenset() if any_origin else frozenset(settings.cors_origins),
    )
