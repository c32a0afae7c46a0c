"""/v1/therapies/{slug}/indications, /injectate-uses, /side-effect-reports and /facts: what a
therapy is used for, how it uses an injectate, how often a side effect occurs, and the
statements made about it, each as one source says.

Each link is a sub-resource of its therapy, identified by its integer `id` (also shown on the
therapy's detail). Reads are public; writes need an editor key and, to change or delete,
`If-Match`. The four routers are built by one function: they differ only in their names.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from sqlmodel import SQLModel

from app.http.params import StrictQueryRoute
from app.models import (
    FactCreate,
    FactPublic,
    IndicationCreate,
    IndicationPublic,
    InjectateUseCreate,
    InjectateUsePublic,
    SideEffectReportCreate,
    SideEffectReportPublic,
)
from app.reads.links import link_detail
from app.routes.record_routes import Docs, RecordRoutes, add_link_routes
from app.writes.service import FACT, INDICATION, INJECTATE_USE, SIDE_EFFECT_REPORT, Kind


@dataclass(frozen=True)
class Link:
    kind: Kind
    name: str
    """The handlers' suffix (read_indication ...)."""
    path: str
    """The segment after `/v1/therapies/{slug}/`."""
    body: type[SQLModel]
    public: type[SQLModel]
    label: str
    """How the docs name one: "indication", "injectate use" ..."""


LINKS = (
    Link(INDICATION, "indication", "indications", IndicationCreate, IndicationPublic, "indication"),
    Link(
        INJECTATE_USE,
        "injectate_use",
        "injectate-uses",
        InjectateUseCreate,
        InjectateUsePublic,
        "injectate use",
    ),
    Link(
        SIDE_EFFECT_REPORT,
        "side_effect_report",
        "side-effect-reports",
        SideEffectReportCreate,
        SideEffectReportPublic,
        "side-effect report",
    ),
    Link(FACT, "fact", "facts", FactCreate, FactPublic, "fact"),
)


def link_router(link: Link) -> APIRouter:
    router = APIRouter(
        prefix=f"/v1/therapies/{{slug}}/{link.path}",
        tags=["therapies"],
        route_class=StrictQueryRoute,
    )
    a = "an" if link.label[0] in "aeiou" else "a"
    spec = RecordRoutes(
        kind=link.kind,
        name=link.name,
        body=link.body,
        detail=link.public,
        read=link_detail,
        docs=Docs(
            read=f"One {link.label} of a therapy, with its ETag.",
            create=f"Add {a} {link.label} to a therapy.",
            update=f"Change some fields of {a} {link.label} (JSON merge patch; needs If-Match).",
            replace=f"Replace {a} {link.label} with the body, as a seed entry (needs If-Match).",
            delete=f"Remove {a} {link.label} from a therapy (needs If-Match).",
        ),
    )
    add_link_routes(router, spec, f"The {link.label}'s id, as the therapy lists it.")
    return router


indications, injectate_uses, side_effect_reports, facts = (link_router(link) for link in LINKS)
