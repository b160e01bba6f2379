"""API clients' bearer tokens: making, checking and revoking them, and their scopes.

A token is 32 random bytes (256 bits), shown once; only its SHA-256 is stored. A request's
token is hashed and looked up by that hash, then the hashes are compared again in constant
time, so that neither the lookup nor the comparison leaks how much of a guess was right.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..db import DbSession, utcnow
from ..kernel.actor import Actor
from ..kernel.errors import DomainError
from ..partners.models import Organisation
from .models import ApiClient

#: Every scope api.md defines, in the order it lists them.
SCOPES: tuple[str, ...] = (
    "questionnaires:read",
    "clients:read",
    "clients:write",
    "assessments:read",
    "assessments:write",
    "referrals:read",
    "referrals:write",
    "questionnaires:write",
    "support:read",
    "support:write",
    "reports:read",
)
#: Scopes of api.md's additions: always asked for by name, never given by default.
#: ``reports:read`` (a bulk export of CHI-keyed rows) above all.
EXPLICIT_SCOPES: tuple[str, ...] = ("support:read", "support:write", "reports:read")
#: What a client gets when no scope is named: the base contract's scopes but administering
#: questionnaires.
DEFAULT_SCOPES: tuple[str, ...] = tuple(
    s for s in SCOPES if s != "questionnaires:write" and s not in EXPLICIT_SCOPES
)
#: Bytes of randomness in a token (256 bits).
TOKEN_BYTES = 32
#: Tokens carry this prefix so that leaked ones are easy to find by secret scanners.
TOKEN_PREFIX = "sae_"  # noqa: S105 - a public prefix, not a secret
#: ``last_used_at`` is written at most this often per client, to spare a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiClientError(DomainError):
    """An API client cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class IssuedToken:
    """A new client and its token: the only time the token exists outside the caller."""

    client: ApiClient
    token: str


def hash_token(token: str) -> str:
    """The hex SHA-256 of a token, as stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_client(
    session: DbSession,
    organisation: Organisation,
    name: str,
    scopes: list[str] | tuple[str, ...] | None = None,
    created_by_id: int | None = None,
) -> IssuedToken:
    """Make a client of ``organisation`` with ``scopes`` (default: all but questionnaires:write)."""
    name = name.strip()
    if not name:
        raise ApiClientError("Give the API client a name, such as the partner system's name")
    if len(name) > 200:
        raise ApiClientError("The name must be 200 characters or fewer")
    chosen = list(dict.fromkeys(scopes)) if scopes else list(DEFAULT_SCOPES)
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if unknown:
        raise ApiClientError(
            f"Unknown scope(s): {', '.join(unknown)}. Scopes are: {', '.join(SCOPES)}"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    client = ApiClient(
        organisation=organisation,
        name=name,
        scopes=chosen,
        token_hash=hash_token(token),
        created_by_id=created_by_id,
    )
    session.add(client)
    session.flush()
    return IssuedToken(client, token)


def revoke_api_client(session: DbSession, client: ApiClient) -> None:
    """Stop the client's token working, from the next request on. The row is kept for audit."""
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        session.flush()


@cache
def _by_hash_statement() -> Select[ApiClient]:
    """:func:`authenticate`'s statement, built once (the hash is bound)."""
    return select(ApiClient).where(
        ApiClient.token_hash == bindparam("digest", type_=ApiClient.token_hash.type)
    )


def authenticate(session: DbSession, token: str) -> ApiClient | None:
    """The active client whose token this is, or None."""
    if not token or len(token) > 200:
        return None
    digest = hash_token(token)
    client = session.scalar(_by_hash_statement(), {"digest": digest})
    if client is None or not hmac.compare_digest(client.token_hash, digest):
        return None
    if client.revoked_at is not None:
        return None
    return client


def note_use(session: DbSession, client: ApiClient, now: datetime | None = None) -> bool:
    """Record that the client was used, unless that was recorded under a minute ago.

    Returns whether a write was made (the caller commits it).
    """
    now = now or utcnow()
    if client.last_used_at is not None and now - client.last_used_at < LAST_USED_RESOLUTION:
        return False
    session.execute(
        update(ApiClient)
        .where(
            ApiClient.id == client.id,
            or_(
                ApiClient.last_used_at.is_(None),
                ApiClient.last_used_at < now - LAST_USED_RESOLUTION,
            ),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(client, "last_used_at", now)
    return True


def actor_for(client: ApiClient, address: str = "") -> Actor:
    """The actor a client's requests run as: its organisation, labelled ``api:<id>``."""
    return Actor(
        organisation_id=client.organisation_id,
        label=f"api:{client.id}",
        user_id=None,
        address=address,
    )
