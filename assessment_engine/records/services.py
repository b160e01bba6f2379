"""Finding, creating and opening client records. Every view and change is audited."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm.exc import StaleDataError

from ..db import DbSession, utcnow
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from ..kernel.errors import DomainError, NotFound, StaleEdit
from .identity import (
    IdentifierError,
    chi_matches_date_of_birth,
    name_key,
    normalise_postcode,
    validate_chi,
    validate_nhs_number,
)
from .models import Client

MAX_NAME = 100


class RecordNotFound(NotFound):
    """The record does not exist or the actor may not see it; both look the same from outside."""


def record_key(record_id: uuid.UUID | str) -> uuid.UUID:
    """The id of a record as given in a URL or a request; RecordNotFound if it is not a UUID."""
    if isinstance(record_id, uuid.UUID):
        return record_id
    try:
        return uuid.UUID(str(record_id))
    except ValueError:
        raise RecordNotFound(str(record_id)) from None


class ClientValidationError(DomainError):
    """Field-level problems with client details: ``errors`` maps field name to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class DuplicateClientError(DomainError):
    """A record with this CHI number exists already."""

    def __init__(self, existing: Client) -> None:
        super().__init__("A record with this CHI number already exists")
        self.existing = existing


@dataclass
class ClientDetails:
    chi: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    nhs_number: str = ""
    postcode: str = ""
    address: str = ""
    gp_practice: str = ""
    communication_needs: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def clean_details(details: ClientDetails) -> ClientDetails:
    """Validate and normalise; raise ClientValidationError with every field's problem at once."""
    errors: dict[str, str] = {}
    chi = ""
    try:
        chi = validate_chi(details.chi)
    except IdentifierError as exc:
        errors["chi"] = str(exc)
    for name, label in (("given_name", "first name"), ("family_name", "last name")):
        value = getattr(details, name).strip()
        if not value:
            errors[name] = f"Enter the person's {label}"
        elif len(value) > MAX_NAME:
            errors[name] = f"{label.capitalize()} must be {MAX_NAME} characters or fewer"
    dob = details.date_of_birth
    if dob is None:
        errors.setdefault("date_of_birth", "Enter the date of birth")
    elif dob > date.today():
        errors["date_of_birth"] = "Date of birth must be today or in the past"
    elif dob.year < 1890:
        errors["date_of_birth"] = "Date of birth must be after 1890"
    elif chi and not chi_matches_date_of_birth(chi, dob):
        errors["chi"] = (
            "The first 6 digits of the CHI number should be the date of birth "
            f"({dob.strftime('%d%m%y')})"
        )
    nhs = ""
    if details.nhs_number.strip():
        try:
            nhs = validate_nhs_number(details.nhs_number)
        except IdentifierError as exc:
            errors["nhs_number"] = str(exc)
    postcode = ""
    if details.postcode.strip():
        try:
            postcode = normalise_postcode(details.postcode)
        except IdentifierError as exc:
            errors["postcode"] = str(exc)
    for name, limit in (("address", 500), ("gp_practice", 200), ("communication_needs", 4000)):
        if len(getattr(details, name)) > limit:
            errors[name] = f"This must be {limit} characters or fewer"
    if errors:
        raise ClientValidationError(errors)
    return ClientDetails(
        chi=chi,
        given_name=details.given_name.strip(),
        family_name=details.family_name.strip(),
        date_of_birth=dob,
        nhs_number=nhs,
        postcode=postcode,
        address=details.address.strip(),
        gp_practice=details.gp_practice.strip(),
        communication_needs=details.communication_needs.strip(),
    )


def find_by_chi(session: DbSession, chi: str) -> Client | None:
    return session.scalar(select(Client).where(Client.chi == chi))


def exists(session: DbSession, client_id: uuid.UUID | str) -> bool:
    """Whether a record with this id exists (for telling "no such record" from "not yours")."""
    try:
        key = client_id if isinstance(client_id, uuid.UUID) else uuid.UUID(str(client_id))
    except ValueError:
        return False
    return session.scalar(select(Client.id).where(Client.id == key)) is not None


def likely_duplicates(
    session: DbSession, given_name: str, family_name: str, date_of_birth: date
) -> list[Client]:
    """Records with the same date of birth and a forgiving match on the names."""
    return list(
        session.scalars(
            select(Client)
            .where(
                Client.family_name_key == name_key(family_name, surname=True),
                Client.date_of_birth == date_of_birth,
            )
            .order_by(Client.created_at)
            .limit(20)
        )
    )


def create_client(session: DbSession, actor: Actor, details: ClientDetails) -> Client:
    """Create the shared record; refuses a duplicate CHI (the database refuses it too)."""
    clean = clean_details(details)
    existing = find_by_chi(session, clean.chi)
    if existing is not None:
        raise DuplicateClientError(existing)
    if clean.nhs_number and session.scalar(
        select(Client.id).where(Client.nhs_number == clean.nhs_number)
    ):
        raise ClientValidationError({"nhs_number": "Another record already has this NHS number"})
    assert clean.date_of_birth is not None
    client = Client(
        chi=clean.chi,
        nhs_number=clean.nhs_number or None,
        given_name=clean.given_name,
        family_name=clean.family_name,
        given_name_key=name_key(clean.given_name),
        family_name_key=name_key(clean.family_name, surname=True),
        date_of_birth=clean.date_of_birth,
        postcode=clean.postcode or None,
        address=clean.address,
        gp_practice=clean.gp_practice,
        communication_needs=clean.communication_needs,
        organisation_id=actor.organisation_id,
        created_by_id=actor.user_id,
    )
    session.add(client)
    session.flush()
    record_event(
        session,
        actor,
        "client.create",
        record_type="client",
        record_id=client.id,
        client_id=client.id,
    )
    return client


class StaleRecord(StaleEdit):
    """Someone else saved the record since it was loaded; nothing was overwritten."""

    def __init__(self) -> None:
        super().__init__(
            "Someone else changed this record since you opened it. Nothing was overwritten: "
            "your changes are still in the form below, next to the record as it is now. "
            "Check them and save again."
        )


EDITABLE = (
    "chi",
    "given_name",
    "family_name",
    "date_of_birth",
    "nhs_number",
    "postcode",
    "address",
    "gp_practice",
    "communication_needs",
)


def details_of(client: Client) -> ClientDetails:
    """The record's details as the edit form shows them."""
    return ClientDetails(
        chi=client.chi,
        given_name=client.given_name,
        family_name=client.family_name,
        date_of_birth=client.date_of_birth,
        nhs_number=client.nhs_number or "",
        postcode=client.postcode or "",
        address=client.address,
        gp_practice=client.gp_practice,
        communication_needs=client.communication_needs,
    )


def update_client(
    session: DbSession,
    actor: Actor,
    client: Client,
    details: ClientDetails,
    *,
    expected_version: int,
) -> list[str]:
    """Change the record's details if nobody saved it since ``expected_version`` was read.

    Returns the names of the fields that changed (audited, without their values). Raises
    :class:`StaleRecord` for a stale save, also when a concurrent save wins the race in the
    database (the version counter is checked by the UPDATE itself).
    """
    if expected_version != client.version:
        raise StaleRecord()
    clean = clean_details(details)
    other = find_by_chi(session, clean.chi)
    if other is not None and other.id != client.id:
        raise DuplicateClientError(other)
    if clean.nhs_number and session.scalar(
        select(Client.id).where(Client.nhs_number == clean.nhs_number, Client.id != client.id)
    ):
        raise ClientValidationError({"nhs_number": "Another record already has this NHS number"})
    current = details_of(client)
    changed = [name for name in EDITABLE if getattr(current, name) != getattr(clean, name)]
    if not changed:
        return []
    for name in changed:
        value = getattr(clean, name)
        if name in ("nhs_number", "postcode") and not value:
            value = None  # optional identifiers are NULL when absent (unique NHS number)
        setattr(client, name, value)
    client.given_name_key = name_key(client.given_name)
    client.family_name_key = name_key(client.family_name, surname=True)
    try:
        session.flush()
    except StaleDataError:
        raise StaleRecord() from None
    record_event(
        session,
        actor,
        "client.update",
        record_type="client",
        record_id=client.id,
        client_id=client.id,
        detail={"fields": changed},
    )
    return changed


_CHI_LIKE = re.compile(r"^\d[\d\s]{8,}\d$")


def search_clients(
    session: DbSession,
    actor: Actor,
    query: str,
    limit: int = 50,
    *,
    date_of_birth: date | None = None,
) -> list[Client]:
    """By CHI (exact, spaces allowed) or by name, optionally narrowed by date of birth.

    Each word of a name must start a first or last name, forgiving of case, accents, hyphens
    and Mac/Mc. A date of birth alone finds nobody: it would list everyone born that day.
    Not audited here: ``records.access.search_records`` shows the results as the access
    policy allows and audits the search with the records it showed.
    """
    query = query.strip()
    if not query:
        return []
    if _CHI_LIKE.match(query):
        chi = re.sub(r"\s", "", query)
        found = find_by_chi(session, chi)
        results = [found] if found else []
    else:
        words = [name_key(w) for w in re.split(r"[\s,]+", query) if name_key(w)][:4]
        if not words:
            return []
        stmt = select(Client)
        if date_of_birth is not None:
            stmt = stmt.where(Client.date_of_birth == date_of_birth)
        for word in words:
            surname = name_key(word, surname=True)
            stmt = stmt.where(
                or_(
                    Client.family_name_key.startswith(surname, autoescape=True),
                    Client.family_name_key.startswith(word, autoescape=True),
                    Client.given_name_key.startswith(word, autoescape=True),
                )
            )
        results = list(
            session.scalars(
                stmt.order_by(Client.family_name_key, Client.given_name_key).limit(limit)
            )
        )
    return results


def is_chi_search(query: str) -> bool:
    return bool(_CHI_LIKE.match(query.strip()))


def recent_clients(session: DbSession, organisation_id: int, limit: int = 10) -> list[Client]:
    """Records the organisation created or changed most recently."""
    return list(
        session.scalars(
            select(Client)
            .where(Client.organisation_id == organisation_id)
            .order_by(Client.updated_at.desc())
            .limit(limit)
        )
    )


def touch(client: Client) -> None:
    client.updated_at = utcnow()
