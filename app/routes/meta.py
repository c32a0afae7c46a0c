"""/v1/meta: what this dataset is, how big, how fresh, and on what terms."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.http.params import StrictQueryRoute
from app.reads.meta import dataset_state, record_counts, review_dates
from app.store.engine import SessionDep

router = APIRouter(prefix="/v1", tags=["meta"], route_class=StrictQueryRoute)

LICENCE = "MIT (software); data: see each record's source for its own terms"
TERMS = (
    "Records summarise and cite published sources and practitioners' statements. Quote the "
    "original sources, not this service, in any clinical or scholarly work."
)
DISCLAIMER = (
    "Information for health professionals, not medical advice. Every statement carries its "
    "source and level of evidence; practitioner claims are marketing statements, not trial "
    "results. Do not use this service to diagnose or treat anyone."
)


class RecordCounts(BaseModel):
    therapies: int
    conditions: int
    injectates: int
    side_effects: int
    outcomes: int
    sources: int


class Meta(BaseModel):
    dataset_version: int = Field(description="Goes up whenever the data changes.")
    last_updated: dt.datetime | None
    counts: RecordCounts
    oldest_reviewed_on: dt.date | None = Field(
        description="The oldest date at which any record or link was last checked against its "
        "source: everything was checked on or after it (records never checked aside). "
        "`/v1/outcomes?sort=reviewed_on` and `/v1/conditions?sort=reviewed_on` list the oldest "
        "first; `reviewed_before=` lists what is due."
    )
    never_reviewed: int = Field(
        description="How many records and links carry no review date at all."
    )
    licence: str
    terms: str
    disclaimer: str


@router.get("/meta", response_model=Meta)
def read_meta(session: SessionDep) -> Meta:
    """Dataset version, record counts, last update, oldest review, licence and disclaimer."""
    state = dataset_state(session)
    oldest, never = review_dates(session)
    return Meta(
        dataset_version=state.version if state else 0,
        last_updated=state.updated_at if state else None,
        counts=RecordCounts(**record_counts(session)),
        oldest_reviewed_on=oldest,
        never_reviewed=never,
        licence=LICENCE,
        terms=TERMS,
        disclaimer=DISCLAIMER,
    )
