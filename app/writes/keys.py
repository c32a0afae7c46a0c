"""API keys: who may write. Reads stay public; writes, the audit trail and the export need a key.

A key is `kb_<prefix>_<secret>`: the prefix (8 hex digits, public, shown by `kb keys list`)
finds the row, and the SHA-256 of the whole key, compared in constant time, proves it. The key
itself is shown once, when created, and never stored. Keys have a role (`reader` < `editor` <
`admin`): a reader authenticates but may not write; editors and admins write, read the audit
trail and export the dataset.

Clients send `Authorization: Bearer <key>`. No key, or one the server does not know, is 401
with `WWW-Authenticate: Bearer`; a revoked key, or a role too low, is 403.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.errors import Conflict, Forbidden, NotFound, Unauthorized
from app.models import ROLE_RANK, ApiKey, ApiKeyCreate, Role, utcnow
from app.store.engine import SessionDep

KEY_PREFIX = "kb_"
REALM = "knowledge base"

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key made with `kb keys create`, sent as `Authorization: Bearer <key>`.",
)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _prefix_of(key: str) -> str | None:
    prefix, separator, secret = key.removeprefix(KEY_PREFIX).partition("_")
    if not key.startswith(KEY_PREFIX) or not separator or len(prefix) != 8 or not secret:
        return None
    return prefix


def create_key(session: Session, data: ApiKeyCreate) -> tuple[ApiKey, str]:
    """Store a new key and return it with its secret, which exists nowhere else afterwards."""
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(name=data.name, role=data.role, prefix=prefix, secret_hash=hash_key(key))
    session.add(row)
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise Conflict(f"A key named '{data.name}' already exists.") from error
    session.refresh(row)
    return row, key


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.name))).all())


def revoke_key(session: Session, name: str) -> ApiKey:
    """Revoke a key by name; it fails from the next request on. Revoking twice is harmless."""
    row = session.exec(select(ApiKey).where(ApiKey.name == name)).first()
    if row is None:
        raise NotFound(f"No key named '{name}'.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def find_key(session: Session, key: str) -> ApiKey | None:
    """The stored key whose hash matches `key`, compared in constant time; None if none does."""
    prefix = _prefix_of(key)
    if prefix is None:
        return None
    digest = hash_key(key)
    found = None
    for row in session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).all():
        if hmac.compare_digest(row.secret_hash, digest):
            found = row
    return found


def _challenge(error: str | None = None) -> dict[str, str]:
    value = f'Bearer realm="{REALM}"'
    return {"WWW-Authenticate": value + (f', error="{error}"' if error else "")}


def authenticate(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiKey:
    """The key the request carries: 401 without one or with an unknown one, 403 if revoked."""
    if credentials is None:
        raise Unauthorized(
            "This needs an API key: send Authorization: Bearer <key>.", headers=_challenge()
        )
    key = find_key(session, credentials.credentials)
    if key is None:
        raise Unauthorized("The API key is not valid.", headers=_challenge("invalid_token"))
    if key.revoked_at is not None:
        raise Forbidden(f"The API key '{key.name}' was revoked.")
    return key


def requires(role: Role) -> Callable[[ApiKey], ApiKey]:
    """A dependency that lets through keys of `role` or above."""

    def allowed(key: Annotated[ApiKey, Depends(authenticate)]) -> ApiKey:
        if ROLE_RANK[key.role] < ROLE_RANK[role]:
            raise Forbidden(
                f"The API key '{key.name}' has the role {key.role}; this needs {role} or above.",
                headers=_challenge("insufficient_scope"),
            )
        return key

    return allowed


EditorDep = Annotated[ApiKey, Depends(requires(Role.editor))]
"""The key of an editor or admin: writes, the audit trail and the export."""
