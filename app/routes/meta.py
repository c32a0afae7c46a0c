"""/v1/meta: what this dataset is, how big, how fresh, and on what terms."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.http.params import StrictQueryRoute
from app.reads.meta import dataset_state, record_counts
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
    licence: str
    terms: str
    disclaimer: str


@router.get("/meta", response_model=Meta)
def read_meta(session: SessionDep) -> Meta:
    """Dataset version, record counts, last update, licence and disclaimer."""
    state = dataset_state(session)
    return Meta(
        dataset_version=state.version if state else 0,
        last_updated=state.updated_at if state else None,
        counts=RecordCounts(**record_counts(session)),
        licence=LICENCE,
        terms=TERMS,
        disclaimer=DISCLAIMER,
    )
