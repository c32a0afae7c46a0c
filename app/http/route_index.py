"""Route lookup by the path's first two segments, in front of FastAPI's own routing.

FastAPI matches a request by asking each included router in turn, and each router asks each of
its routes: a request for `/v1/outcomes` is matched against every route of the routers listed
before it, which costs more than the read it then runs. `RouteIndex` sits where the app's
router dispatches and, from the path's first two segments (`/v1/outcomes/...` ->
`("v1", "outcomes")`), tries only the top-level routes (routers, routes, mounts) that could
match it, in their own order; FastAPI's routing then runs as usual inside the one it picks.

A route that cannot match a path is never a candidate for it, so the first full match among
the candidates is the first full match among all routes: the same route FastAPI picks.
Anything else (no full match: 404, 405, a redirect to the path with or without its trailing
slash; telemetry; a root path) goes to the router's own dispatch unchanged. What it saves:
docs/decisions/0002-route-index.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.routing import APIRouter
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["RouteIndex", "install_route_index", "path_key", "route_keys"]

Key = tuple[str, ...]


def path_key(path: str) -> Key:
    """A request path's first two segments: `/v1/outcomes/x` -> ("v1", "outcomes")."""
    return tuple(path.split("/", 3)[1:3])


def _template_key(path: str) -> Key | None:
    """The key of every path a route template can match: its first two segments, or its first
    alone when a parameter fills the whole second one (`/conditions/{slug}` -> ("conditions",),
    a prefix of every key it can match); None when the template leaves its first segment open
    (a parameter, or a partial segment)."""
    fixed = path.split("{", 1)[0]
    segments = fixed.split("/")[1:]
    if "{" not in path:
        return tuple(segments[:2])  # a fixed path matches only itself
    complete = segments[:-1]  # the last piece runs into the parameter
    if len(complete) == 1 and segments[-1] == "" and complete[0]:
        return (complete[0],)  # `/first/{param}...`: the first segment is fixed
    return tuple(complete[:2]) if len(complete) >= 2 else None


def route_keys(route: BaseRoute) -> set[Key] | None:
    """The keys of the paths `route` can match (None: it might match any path)."""
    included = getattr(route, "original_router", None)
    if isinstance(included, APIRouter):  # an included router: its routes' keys
        keys: set[Key] = set()
        for child in included.routes:
            child_keys = route_keys(child)
            if child_keys is None:
                return None
            keys |= child_keys
        return keys
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not path.startswith("/") or hasattr(route, "routes"):
        return None  # a mount, a host, anything else: tried for every path
    key = _template_key(path)
    return None if key is None else {key}


def _buckets(routes: Sequence[BaseRoute]) -> dict[Key, list[BaseRoute]]:
    """For each key, the routes that can match a path with that key, in the routers' order. A
    route keyed by a first segment alone is a candidate for every two-segment key it begins,
    and has a bucket of its own for the paths whose second segment no other route names."""
    keyed = [(route, route_keys(route)) for route in routes]
    keys: set[Key] = set().union(*(found for _, found in keyed if found is not None))
    return {
        key: [
            route
            for route, found in keyed
            if found is None or key in found or (len(key) == 2 and key[:1] in found)
        ]
        for key in keys
    }


class RouteIndex:
    """The app router's dispatch, trying first only the routes a path's key allows."""

    def __init__(self, router: APIRouter, fallback: ASGIApp):
        self.router = router
        self.fallback = fallback
        self._built_for: tuple[int, int] | None = None
        self._buckets: dict[Key, list[BaseRoute]] = {}

    def _current(self) -> dict[Key, list[BaseRoute]]:
        # Routes added after start-up (tests add some) make the index build again.
        routes = self.router.routes
        stamp = (len(routes), id(routes[-1]) if routes else 0)
        if stamp != self._built_for:
            self._buckets = _buckets(routes)
            self._built_for = stamp
        return self._buckets

    def candidates(self, path: str) -> Sequence[BaseRoute]:
        """The routes that could match `path`, in the routers' order: its key's bucket, or its
        first segment's when no route names its second."""
        buckets, key = self._current(), path_key(path)
        found = buckets.get(key)
        if found is None and len(key) == 2:
            found = buckets.get(key[:1])
        return found or ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and not scope.get("root_path")
            and "fastapi.telemetry" not in scope
            and not self.router.form_limits
        ):
            for route in self.candidates(scope["path"]):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self.router)
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await self.fallback(scope, receive, send)


def install_route_index(router: APIRouter) -> RouteIndex:
    """Put a `RouteIndex` where `router` dispatches (its middleware stack's innermost app)."""
    index = RouteIndex(router, router.middleware_stack)
    router.middleware_stack = index
    return index
