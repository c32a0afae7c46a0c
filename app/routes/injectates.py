"""/v1/injectates: what is injected, its components and how each therapy uses it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from sqlmodel import select

from app.db import SessionDep
from app.errors import problem_responses
from app.models import (
    Injectate,
    InjectateDetail,
    InjectatePublic,
    InjectateSource,
    InjectateUse,
    Therapy,
)
from app.pagination import Page, fetch_page, make_page, order_by
from app.params import PageDep, StrictQueryRoute, slug_filter
from app.queries import get_by_slug, injectate_uses_where, row_fields, sources_of

router = APIRouter(prefix="/v1/injectates", tags=["injectates"], route_class=StrictQueryRoute)

InjectateSort = Literal["name", "-name", "slug", "-slug"]


@router.get("", response_model=Page[InjectatePublic], responses=problem_responses(422))
def list_injectates(
    request: Request,
    session: SessionDep,
    page: PageDep,
    therapy: Annotated[str | None, slug_filter("Only injectates this therapy uses.")] = None,
    sort: InjectateSort = "name",
) -> dict[str, Any]:
    """List injectates, optionally those a therapy uses."""
    statement = select(Injectate)
    if therapy is not None:
        statement = statement.where(
            Injectate.id.in_(  # type: ignore[union-attr]
                select(InjectateUse.injectate_id)
                .join(Therapy, InjectateUse.therapy_id == Therapy.id)  # type: ignore[arg-type]
                .where(Therapy.slug == therapy)
            )
        )
    rows, total = fetch_page(session, statement, order_by=order_by(Injectate, sort), params=page)
    return make_page(request, rows, total=total, params=page)


@router.get("/{slug}", response_model=InjectateDetail, responses=problem_responses(404, 422))
def read_injectate(slug: str, session: SessionDep) -> InjectateDetail:
    """One injectate with the therapies that use it and their protocols."""
    injectate = get_by_slug(session, Injectate, slug, label="injectate")
    uses = injectate_uses_where(session, InjectateUse.injectate_id == injectate.id)
    therapies = {use.therapy.slug: use.therapy for use in uses}
    return InjectateDetail.model_validate(
        row_fields(injectate, InjectateDetail)
        | {
            "therapies": sorted(therapies.values(), key=lambda therapy: therapy.name),
            "uses": uses,
            "sources": sources_of(
                session, InjectateSource, InjectateSource.injectate_id, injectate.id
            ),
        }
    )
