"""Sparse fieldsets (`fields=`) and views: an answer cut down to the fields a client asks for.

`fields=slug,name,therapy.slug` keeps, in a detail, those fields of the record; in a page, those
fields of each item (the page's own `total`, `links` ... stay). A dotted path keeps one field of
a nested object, or of each object in a nested list. An unknown name is a 422 that names it and
lists the fields there are. Without `fields=` nothing here runs: the answers the database wrote
(app/reads/) are sent as they are.

A view is the same cut with its fields named by a model (`view=summary` on a condition's
therapies is ConditionTherapiesBriefPage): the model says what the view holds, once, and its
schema documents it.

The cut is made on the answer after it is built, parsed with orjson: it costs a parse and a
dump on the requests that ask for it, none on the others; the HTTP cache then keys, tags and
stores the smaller body like any other (its query names the fields).
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

import orjson
from fastapi import Request, Response
from pydantic import BaseModel

from app.errors import InvalidParam, InvalidRequest
from app.http.prebuilt import PrebuiltJSON

Tree = dict[str, Any]
"""Field name -> True (the whole value) or the Tree of what to keep inside it."""

MAX_DEPTH = 2
"""Dotted paths go at most this many levels down (`outcomes.source.slug`)."""

FIELDS_PARAMETER = "fields"


def nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (itself, in a list, or optional), or None for a plain value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = get_origin(annotation)
    if origin in (list, Union, types.UnionType):
        for argument in get_args(annotation):
            found = nested_model(argument)
            if found is not None:
                return found
    return None


def holds_list(annotation: Any) -> bool:
    """Whether a field holds a list (perhaps optional)."""
    origin = get_origin(annotation)
    if origin is list:
        return True
    return origin in (Union, types.UnionType) and any(map(holds_list, get_args(annotation)))


def item_model(model: type[BaseModel]) -> type[BaseModel]:
    """What `fields=` names the fields of: a page's item, else the model itself."""
    if is_page(model):
        found = nested_model(model.model_fields["items"].annotation)
        if found is not None:
            return found
    return model


def is_page(model: type[BaseModel]) -> bool:
    return {"items", "links"} <= set(model.model_fields)


def field_paths(model: type[BaseModel], depth: int = MAX_DEPTH) -> list[str]:
    """Every name `fields=` may use for `model`: its fields, then dotted paths into nested ones."""
    names: list[str] = []
    for name, info in model.model_fields.items():
        names.append(name)
        inner = nested_model(info.annotation)
        if inner is not None and depth > 0:
            names += [f"{name}.{path}" for path in field_paths(inner, depth - 1)]
    return names


def model_tree(model: type[BaseModel]) -> Tree:
    """What `model` holds, as a Tree (a view's fields)."""
    tree: Tree = {}
    for name, info in model.model_fields.items():
        inner = nested_model(info.annotation)
        tree[name] = True if inner is None else model_tree(inner)
    return tree


def parse_fields(raw: str, allowed: list[str]) -> Tree:
    """`fields=` as a Tree; a 422 naming every unknown field."""
    asked = [name.strip() for name in raw.split(",") if name.strip()]
    known = set(allowed)
    unknown = [name for name in asked if name not in known]
    if not asked or unknown:
        top = ", ".join(name for name in allowed if "." not in name)
        reason = (
            f"unknown field(s): {', '.join(unknown)}; the fields are {top} (and dotted paths "
            "into nested objects, e.g. `source.slug`)"
            if unknown
            else f"name at least one field: {top}"
        )
        raise InvalidRequest(
            f"Invalid fields: {', '.join(unknown) or '(none named)'}.",
            invalid_params=[InvalidParam(name=FIELDS_PARAMETER, reason=reason, location="query")],
        )
    tree: Tree = {}
    for name in asked:
        node = tree
        *parents, last = name.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if child is True:
                break
            node = child
        else:
            node[last] = True
    return tree


def project(value: Any, tree: Tree | bool) -> Any:
    """`value` with only the fields `tree` names (in each element of a list)."""
    if tree is True:
        return value
    if isinstance(value, list):
        return [project(element, tree) for element in value]
    if isinstance(value, dict):
        assert isinstance(tree, dict)
        return {name: project(value[name], sub) for name, sub in tree.items() if name in value}
    return value


def cut(response: Response, tree: Tree, *, page: bool) -> Response:
    """The same response with its body (or each item of its page) cut down to `tree`."""
    if response.status_code != 200:
        return response
    body = orjson.loads(bytes(response.body))
    if page:
        body["items"] = project(body["items"], tree)
    else:
        body = project(body, tree)
    headers = {
        key: value
        for key, value in response.headers.items()
        if key.lower() not in ("content-length", "content-type")
    }
    return PrebuiltJSON(orjson.dumps(body), status_code=response.status_code, headers=headers)


def projection_for(route: Any) -> Projection | None:
    """The Projection of a GET under /v1/ answering a page or one record, else None."""
    model = route.response_model
    if get_origin(model) in (Union, types.UnionType):
        model = get_args(model)[0]  # the default view's model comes first
    if "GET" not in route.methods or not route.path.startswith("/v1/"):
        return None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    if not (is_page(model) or route.path.endswith("}")):
        return None
    return Projection(model)


class Projection:
    """What `fields=` may name on one route, worked out once when the route is built."""

    def __init__(self, model: type[BaseModel]):
        self.page = is_page(model)
        self.item = item_model(model)
        self.allowed = field_paths(self.item)

    def apply(self, request: Request, response: Response) -> Response:
        raw = asked_fields(request)
        if raw is None:
            return response
        return cut(response, parse_fields(raw, self.allowed), page=self.page)

    def parameter(self) -> dict[str, Any]:
        """The OpenAPI description of `fields` on this route: a comma-separated list of the
        names it may use (what generated clients type as a union of them)."""
        where = "of each item" if self.page else "of the record"
        return {
            "name": FIELDS_PARAMETER,
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "description": f"Only these fields {where} (comma-separated, or the parameter "
            "repeated); a dotted path keeps one field of a nested object (`source.slug`). "
            "The answer then holds only them. An unknown field is a 422.",
            "schema": {
                "type": "array",
                "items": {"type": "string", "enum": self.allowed},
                "minItems": 1,
                "uniqueItems": True,
            },
        }


def asked_fields(request: Request) -> str | None:
    """`fields=`, its values joined (`fields=a,b` and `fields=a&fields=b` are the same)."""
    values = request.query_params.getlist(FIELDS_PARAMETER)
    return ",".join(values) if values else None
