"""Record ETags and `If-Match`: optimistic concurrency for writes (RFC 9110 13.1.1, RFC 6585).

Every record and link has a `version`, bumped by each change, and a strong entity tag made of
its type, key and version: `"therapy/perineural-injection-therapy/v3"`, `"indication/12/v1"`.

- Writes answer with that tag in `ETag`.
- A detail GET answers with the HTTP cache layer's tag for the bytes it sent, with the record's
  tag appended after a `;`: `"7-3f2a…;therapy/perineural-injection-therapy/v3"`. The first
  part moves when anything shown on the page moves (so `If-None-Match` revalidates embedded
  records correctly); the part after `;` only when the record itself changes.
- PATCH, PUT and DELETE must send `If-Match` with either tag. The server compares the record's
  tag (the whole tag, or the part after `;`), so a write is refused only when the record itself
  changed since the client read it, not when some other record did. A weak tag never matches
  (strong comparison), and `*` is refused: it would overwrite whatever is there.
"""

from __future__ import annotations

import re

from app.errors import InvalidParam, InvalidRequest, PreconditionFailed, PreconditionRequired

_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')


def record_etag(record_type: str, key: str | int, version: int) -> str:
    """The strong entity tag of one version of a record, quoted as the header carries it."""
    return f'"{record_type}/{key}/v{version}"'


def parse_entity_tags(header: str) -> list[tuple[bool, str]] | None:
    """`(weak, opaque)` for each tag of an `If-Match` list; None when the list is malformed."""
    tags: list[tuple[bool, str]] = []
    position = 0
    while position < len(header):
        match = _TAG.match(header, position)
        if match is None or match.end() == position:
            return None
        tags.append((match.group(1) is not None, match.group(2)))
        position = match.end()
    return tags or None


def check_if_match(header: str | None, current: str, *, what: str) -> None:
    """Let the write through only if `If-Match` names `current`, the record's tag; else raise
    428 (absent, or `*`), 422 (malformed) or 412 (another version)."""
    if header is None or not header.strip():
        raise PreconditionRequired(
            f"Send If-Match with the ETag of {what}, as read (currently {current}), so that "
            "your write cannot overwrite a change you have not seen."
        )
    if header.strip() == "*":
        raise PreconditionRequired(
            f"If-Match: * would overwrite any version; send the ETag of {what} ({current})."
        )
    tags = parse_entity_tags(header)
    if tags is None:
        raise InvalidRequest(
            "If-Match must list quoted entity tags.",
            invalid_params=[
                InvalidParam(
                    name="If-Match",
                    reason=f"not a list of quoted entity tags; e.g. If-Match: {current}",
                    location="header",
                )
            ],
        )
    wanted = current.strip('"')
    for weak, opaque in tags:
        if not weak and (opaque == wanted or opaque.endswith(";" + wanted)):
            return
    raise PreconditionFailed(
        f"If-Match does not name the current version of {what}, which is {current}: it "
        "changed since you read it. Read it again, reapply your change and send the new ETag; "
        "nothing was written."
    )
