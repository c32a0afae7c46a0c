"""/v1/meta: what this dataset is, how big, how fresh, and on what terms; and
/v1/meta/access-log: this process's access log (lines written, queued, dropped)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response
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


class AccessLogState(BaseModel):
    """One process's access log. Each worker process has its own; the counts start at 0."""

    enabled: bool = Field(description="False when LOG_LEVEL is above info: no access lines.")
    written: int = Field(description="Lines handed to the sink (standard error).")
    dropped: int = Field(
        description="Lines lost: the buffer was full (the sink slower than the requests) or "
        "the sink failed. Each new loss is also logged as a warning."
    )
    buffered: int = Field(description="Lines queued for the writer now.")
    buffer_lines: int = Field(description="ACCESS_LOG_BUFFER_LINES: the most that can queue.")
    sample_rate: float = Field(description="ACCESS_LOG_SAMPLE_RATE (1: every request).")


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


@router.get("/meta/access-log", response_model=AccessLogState)
def read_access_log(request: Request, response: Response) -> AccessLogState:
    """This process's access log: lines written, queued and dropped (never cached)."""
    response.headers["Cache-Control"] = "no-store"
    access_log = request.app.state.access_log
    if access_log is None:
        return AccessLogState(
            enabled=False, written=0, dropped=0, buffered=0, buffer_lines=0, sample_rate=0
        )
    return AccessLogState(**access_log.state())
