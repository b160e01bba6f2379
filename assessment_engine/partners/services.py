"""Creating and finding partner organisations and their services."""

from __future__ import annotations

from sqlalchemy import select

from ..db import DbSession
from .models import Organisation, OrganisationKind, Service


def get_organisation(session: DbSession, slug: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.slug == slug))


def ensure_organisation(
    session: DbSession, *, slug: str, name: str, kind: OrganisationKind, contact: str = ""
) -> tuple[Organisation, bool]:
    """The organisation with this slug, created if missing. Returns (organisation, created)."""
    org = get_organisation(session, slug)
    if org is not None:
        return org, False
    org = Organisation(slug=slug, name=name, kind=kind, contact=contact)
    session.add(org)
    session.flush()
    return org, True


def ensure_service(
    session: DbSession,
    *,
    slug: str,
    name: str,
    organisation: Organisation,
    kind: OrganisationKind,
    team_email: str = "",
    personal_care: bool = False,
) -> tuple[Service, bool]:
    service = session.scalar(select(Service).where(Service.slug == slug))
    if service is not None:
        return service, False
    service = Service(
        slug=slug,
        name=name,
        organisation=organisation,
        kind=kind,
        active=True,
        team_email=team_email,
        personal_care=personal_care,
    )
    session.add(service)
    session.flush()
    return service, True


def all_services(session: DbSession) -> list[Service]:
    return list(session.scalars(select(Service).order_by(Service.slug)))
