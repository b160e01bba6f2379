"""Idempotency keys: a retried POST gets the first response again and creates nothing new.

The key is claimed in a transaction of its own (committed at once), so that a second request
with the same key sees the claim while the first is still running and gets 409. The first
request's work and the stored response are committed together, so a response is stored if and
only if its work was. A request that fails releases its key, so that the caller can fix the
request and send it again with the same key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import Response
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ..db import DbSession, utcnow
from .models import ApiClient, IdempotencyKey, IdempotencyState
from .problems import ApiError

#: Printable ASCII, 1 to 255 characters (a UUID is the usual choice).
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
#: A claim older than this whose request never finished (the process died) may be taken over.
ABANDONED_AFTER = timedelta(seconds=30)
#: The response headers replayed with the stored body.
REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")

Replay = Callable[[int, str, Mapping[str, str]], Response]


class LeaseLost(ApiError):
    """This request's claim ran out and a retry took the key over: its work must not count."""

    def __init__(self) -> None:
        super().__init__(
            409,
            "This request took too long and a retry with the same Idempotency-Key took over; "
            "nothing was stored by this one. Retry to get the other's response.",
            headers={"Retry-After": "1"},
        )


def run(
    session: DbSession,
    client: ApiClient,
    key: str,
    fingerprint: str,
    handler: Callable[[Callable[[Response], None]], Response],
    *,
    replay: Replay,
) -> Response:
    """Run ``handler`` once per (client, key); replay its response to retries."""
    if not KEY_PATTERN.match(key):
        raise ApiError(
            422,
            "Idempotency-Key must be 1 to 255 printable ASCII characters.",
            errors=[{"parameter": "Idempotency-Key", "message": "Not a valid key."}],
        )
    record, record_id, claimed_at = _claim(session, client.id, key, fingerprint)
    if record is not None:
        return replay(
            record.response_status or 200, record.response_body or "", record.response_headers
        )

    def finish(response: Response) -> None:
        """Stage the response beside the handler's work, to be committed with it, if the
        claim is still this request's."""
        stored = session.execute(
            _finish_statement(),
            {
                "the_record_id": record_id,
                "the_claimed_at": claimed_at,
                "the_response_status": response.status_code,
                "the_response_body": response.get_data(as_text=True),
                "the_response_headers": {
                    name: response.headers[name]
                    for name in REPLAYED_HEADERS
                    if name in response.headers
                },
            },
        )
        if stored.rowcount != 1:  # type: ignore[attr-defined]
            raise LeaseLost()

    try:
        response = handler(finish)
    except LeaseLost:
        raise  # the key is the retry's now: leave it
    except BaseException:
        _release(session, record_id)
        raise
    if response.status_code >= 400:
        _release(session, record_id)
    return response


def _claim(
    session: DbSession, client_id: int, key: str, fingerprint: str
) -> tuple[IdempotencyKey | None, int, datetime]:
    """The stored record for this key if it is done (with its id and claim time), or else
    None and the id and claim time of this request's in-progress claim, committed for all to
    see (read before the commit, so the claim is not read back after it)."""
    for _attempt in range(2):
        claimed_at = utcnow()
        try:
            claimed = session.execute(
                _claim_statement(session.get_bind().dialect.name),
                {
                    "the_api_client_id": client_id,
                    "the_key": key,
                    "the_fingerprint": fingerprint,
                    "the_created_at": claimed_at,
                },
            ).scalar()
            if claimed is not None:
                session.commit()
                return None, claimed, claimed_at
        except IntegrityError:
            session.rollback()  # not a claim of this key (a conflict would do nothing): look again
            continue
        # Claimed before: by a request that finished, one still running, or one that died.
        existing = session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.api_client_id == client_id, IdempotencyKey.key == key
            )
        )
        if existing is None:
            session.rollback()
            continue  # released since: claim it again
        if existing.fingerprint != fingerprint:
            raise ApiError(
                422,
                "This Idempotency-Key was used before with a different request; "
                "use a new key for a new request.",
                errors=[{"parameter": "Idempotency-Key", "message": "Already used."}],
            )
        if existing.state is IdempotencyState.DONE:
            return existing, existing.id, existing.created_at
        if utcnow() - existing.created_at < ABANDONED_AFTER:
            raise ApiError(
                409,
                "A request with this Idempotency-Key is still being processed; "
                "wait for it, then retry.",
                headers={"Retry-After": "1"},
            )
        # Taken over from a request that never finished, unless another retry did first.
        taken = session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.id == existing.id,
                IdempotencyKey.state == IdempotencyState.IN_PROGRESS,
                IdempotencyKey.created_at == existing.created_at,
            )
            .values(created_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            continue  # someone else took it or finished it: look again
        session.refresh(existing)
        return None, existing.id, existing.created_at
    raise ApiError(409, "A request with this Idempotency-Key is being processed; retry.")


def _bound(name: str, column: Any) -> Any:
    """A bound value of ``column``'s type (named apart from the columns: an INSERT or UPDATE
    keeps the columns' own names for itself)."""
    return bindparam(name, type_=column.type)


@cache
def _claim_statement(dialect: str) -> Any:
    """The claim: ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` in the database's own
    dialect (both know it), built once per dialect (its values are bound)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(IdempotencyKey)
        .values(
            api_client_id=_bound("the_api_client_id", IdempotencyKey.api_client_id),
            key=_bound("the_key", IdempotencyKey.key),
            fingerprint=_bound("the_fingerprint", IdempotencyKey.fingerprint),
            state=IdempotencyState.IN_PROGRESS,
            response_headers={},
            created_at=_bound("the_created_at", IdempotencyKey.created_at),
        )
        .on_conflict_do_nothing(index_elements=["api_client_id", "key"])
        .returning(IdempotencyKey.id)
    )


@cache
def _finish_statement() -> Any:
    """The response stored on this request's claim, if it still is this request's; built once
    (its values are bound)."""
    return (
        update(IdempotencyKey)
        .where(
            IdempotencyKey.id == _bound("the_record_id", IdempotencyKey.id),
            IdempotencyKey.state == IdempotencyState.IN_PROGRESS,
            IdempotencyKey.created_at == _bound("the_claimed_at", IdempotencyKey.created_at),
        )
        .values(
            state=IdempotencyState.DONE,
            response_status=_bound("the_response_status", IdempotencyKey.response_status),
            response_body=_bound("the_response_body", IdempotencyKey.response_body),
            response_headers=_bound("the_response_headers", IdempotencyKey.response_headers),
        )
        .execution_options(synchronize_session=False)
    )


def _release(session: DbSession, record_id: int) -> None:
    session.rollback()
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == record_id))
    session.commit()


def purge(session: DbSession, older_than: timedelta) -> int:
    """Delete the keys (and the responses stored with them) claimed before ``older_than`` ago;
    how many. A retry after that is a new request."""
    result = session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - older_than)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def stored_body(record: IdempotencyKey) -> object:
    """The stored response body as JSON (for tests and the admin pages)."""
    return json.loads(record.response_body or "null")
