"""Administering organisations, users, services and API clients; every change audited.

API tokens are made and revoked by ``api.tokens`` (one implementation of tokens): the token is
returned once, to be shown once, and only its hash is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.errors import HeaderParseError
from email.headerregistry import Address
from typing import Protocol, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..api import tokens
from ..api.models import ApiClient
from ..auth import second_factor
from ..auth import services as auth_services
from ..auth.models import Role, User
from ..db import DbSession
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from ..kernel.errors import DomainError
from ..partners.models import Organisation, OrganisationKind, Service

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class AccountError(DomainError):
    """A change that cannot be made as asked; ``field`` names the form field to show it at."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, {field: message})
        self.field = field
        self.message = message


class Clearable(Protocol):
    def clear(self) -> None: ...


# ------------------------------------------------------------------------------------ lists


def organisations(session: DbSession) -> list[Organisation]:
    return list(
        session.scalars(
            select(Organisation)
            .options(joinedload(Organisation.services))
            .order_by(Organisation.name)
        ).unique()
    )


def users(session: DbSession, actor: Actor) -> list[User]:
    """The administrator's own organisation's users: administration stays in its lane."""
    return list(
        session.scalars(
            select(User)
            .where(User.organisation_id == actor.organisation_id)
            .order_by(User.active.desc(), User.name)
        )
    )


def services(session: DbSession) -> list[Service]:
    return list(
        session.scalars(
            select(Service).options(joinedload(Service.organisation)).order_by(Service.name)
        )
    )


def api_clients(session: DbSession, actor: Actor) -> list[ApiClient]:
    """The API clients acting for the administrator's own organisation."""
    return list(
        session.scalars(
            select(ApiClient)
            .where(ApiClient.organisation_id == actor.organisation_id)
            .order_by(ApiClient.created_at.desc())
        )
    )


def get(session: DbSession, model: type, ident: int) -> object | None:
    return session.get(model, ident)


Account = TypeVar("Account", User, ApiClient)


def get_own(session: DbSession, actor: Actor, model: type[Account], ident: int) -> Account | None:
    """A user or API client of the administrator's own organisation; None for another's, as
    for one that does not exist."""
    found = session.get(model, ident)
    if found is None or found.organisation_id != actor.organisation_id:
        return None
    return found


def _own_organisation(actor: Actor, organisation: Organisation, what: str) -> None:
    if organisation.id != actor.organisation_id:
        raise AccountError("organisation", f"You can add {what} for your own organisation only")


# ---------------------------------------------------------------------------- organisations


def _slug(value: str) -> str:
    slug = value.strip().lower()
    if not SLUG.match(slug):
        raise AccountError(
            "slug", "Enter a short name of lower-case letters, digits and hyphens, like nhs-tayside"
        )
    return slug


def create_organisation(
    session: DbSession, actor: Actor, *, slug: str, name: str, kind: OrganisationKind, contact: str
) -> Organisation:
    slug = _slug(slug)
    if session.scalar(select(func.count()).where(Organisation.slug == slug)):
        raise AccountError("slug", "An organisation with this short name already exists")
    org = Organisation(slug=slug, name=name.strip(), kind=kind, contact=contact.strip())
    session.add(org)
    session.flush()
    record_event(
        session,
        actor,
        "organisation.create",
        record_type="organisation",
        record_id=org.id,
        detail={"slug": slug, "kind": kind.value},
    )
    return org


def update_organisation(
    session: DbSession, actor: Actor, org: Organisation, *, name: str, contact: str
) -> Organisation:
    before = {"name": org.name, "contact": org.contact}
    org.name, org.contact = name.strip(), contact.strip()
    session.flush()
    changed = [k for k, v in before.items() if getattr(org, k) != v]
    record_event(
        session,
        actor,
        "organisation.update",
        record_type="organisation",
        record_id=org.id,
        detail={"changed": changed},
    )
    return org


# ------------------------------------------------------------------------------------ users


def create_user(
    session: DbSession,
    actor: Actor,
    *,
    email: str,
    name: str,
    password: str,
    organisation: Organisation,
    role: Role,
    job_title: str = "",
) -> User:
    _own_organisation(actor, organisation, "users")
    try:
        user = auth_services.create_user(
            session,
            email=email,
            name=name,
            password=password,
            organisation=organisation,
            role=role,
            job_title=job_title,
        )
    except auth_services.UserError as error:
        raise AccountError(error.field, error.message) from None
    record_event(
        session,
        actor,
        "user.create",
        record_type="user",
        record_id=user.id,
        detail={"organisation_id": organisation.id, "role": role.value},
    )
    return user


def set_active(session: DbSession, actor: Actor, user: User, active: bool) -> User:
    """Deactivate (ending every session at once) or reactivate a user."""
    if user.organisation_id != actor.organisation_id:
        raise AccountError("user", "You can change your own organisation's users only")
    if user.id == actor.user_id and not active:
        raise AccountError("user", "You cannot deactivate your own account")
    if user.active == active:
        return user
    user.active = active
    if not active:
        auth_services.end_all_sessions(session, user)
    session.flush()
    record_event(
        session,
        actor,
        "user.deactivate" if not active else "user.reactivate",
        record_type="user",
        record_id=user.id,
    )
    return user


def change_role(session: DbSession, actor: Actor, user: User, role: Role) -> User:
    if user.organisation_id != actor.organisation_id:
        raise AccountError("role", "You can change your own organisation's users only")
    if user.id == actor.user_id:
        raise AccountError("role", "You cannot change your own role")
    if user.role == role:
        return user
    before = user.role
    user.role = role
    session.flush()
    record_event(
        session,
        actor,
        "user.role",
        record_type="user",
        record_id=user.id,
        detail={"from": before.value, "to": role.value},
    )
    return user


def _same_organisation(actor: Actor, user: User) -> None:
    if user.organisation_id != actor.organisation_id:
        raise AccountError("user", "Only an administrator of their own organisation can reset this")


def reset_second_factor(session: DbSession, actor: Actor, user: User) -> User:
    """Forget a user's authenticator app and recovery codes (a lost or replaced phone): they
    are signed out everywhere and set up the app again at their next sign-in."""
    _same_organisation(actor, user)
    if user.id == actor.user_id:
        raise AccountError("user", "You cannot reset your own second factor")
    if not user.has_second_factor:
        raise AccountError("user", f"{user.name} has no authenticator app set up")
    second_factor.remove(session, user)
    auth_services.end_all_sessions(session, user)
    record_event(session, actor, "user.second_factor_reset", record_type="user", record_id=user.id)
    return user


def issue_temporary_password(session: DbSession, actor: Actor, user: User) -> str:
    """A temporary password for the administrator to pass on (shown once); the user is signed
    out everywhere and must choose their own password when they next sign in."""
    _same_organisation(actor, user)
    if user.id == actor.user_id:
        raise AccountError("user", "Change your own password from Your account")
    temporary = auth_services.issue_temporary_password(session, user)
    record_event(session, actor, "user.temporary_password", record_type="user", record_id=user.id)
    return temporary


# --------------------------------------------------------------------------------- services


def _clear(caches: Iterable[Clearable]) -> None:
    """Compiled versions depend on the services catalogue: rebuild them on next use."""
    for cache in caches:
        cache.clear()


def create_service(
    session: DbSession,
    actor: Actor,
    caches: Iterable[Clearable],
    *,
    slug: str,
    name: str,
    organisation: Organisation,
    kind: OrganisationKind,
    team_email: str = "",
) -> Service:
    slug = _slug(slug)
    if session.scalar(select(func.count()).where(Service.slug == slug)):
        raise AccountError("slug", "A service with this short name already exists")
    team_email = _team_address(team_email)
    service = Service(
        slug=slug, name=name.strip(), organisation=organisation, kind=kind, team_email=team_email
    )
    service.active = True
    session.add(service)
    session.flush()
    record_event(
        session,
        actor,
        "service.create",
        record_type="service",
        record_id=service.id,
        detail={
            "slug": slug,
            "organisation_id": organisation.id,
            "kind": kind.value,
            "team_email": team_email,
        },
    )
    _clear(caches)
    return service


#: One plain address (RFC 5322 dot-atom, ASCII): no display name, comment, quoting, route,
#: group or address literal, none of which would be delivered where it appears to say.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,63}}")


def _plain_address(value: str) -> bool:
    """The strict form, and the mail library reads it back as exactly that address."""
    if not value.isascii() or not _ADDRESS.fullmatch(value):
        return False
    try:
        parsed = Address(addr_spec=value)
    except (ValueError, IndexError, HeaderParseError):
        return False
    return str(parsed) == value == parsed.addr_spec


def _team_address(value: str) -> str:
    value = (value or "").strip()
    if len(value) > 254:
        raise AccountError("team_email", "The team email address must be 254 characters or fewer")
    if value and not _plain_address(value):
        raise AccountError(
            "team_email", "Enter the team email address like team-7301@tayside.example"
        )
    return value


def set_team_email(session: DbSession, actor: Actor, service: Service, team_email: str) -> Service:
    """Where the service's team is told of same-day and urgent referrals and sent its daily
    digest ("" for nowhere); audited."""
    team_email = _team_address(team_email)
    if team_email == service.team_email:
        return service
    service.team_email = team_email
    session.flush()
    record_event(
        session,
        actor,
        "service.team_email",
        record_type="service",
        record_id=service.id,
        detail={"slug": service.slug, "team_email": team_email},
    )
    return service


def set_service_active(
    session: DbSession, actor: Actor, caches: Iterable[Clearable], service: Service, active: bool
) -> Service:
    if service.active == active:
        return service
    service.active = active
    session.flush()
    record_event(
        session,
        actor,
        "service.deactivate" if not active else "service.reactivate",
        record_type="service",
        record_id=service.id,
        detail={"slug": service.slug},
    )
    _clear(caches)
    return service


def set_personal_care(
    session: DbSession, actor: Actor, service: Service, personal_care: bool
) -> Service:
    """Mark a service as personal care (or not): its critical and substantial referrals then
    run the 6-week clock (``assessments.clock``)."""
    if service.personal_care == personal_care:
        return service
    service.personal_care = personal_care
    session.flush()
    record_event(
        session,
        actor,
        "service.personal_care",
        record_type="service",
        record_id=service.id,
        detail={"slug": service.slug, "personal_care": personal_care},
    )
    return service


# ------------------------------------------------------------------------------ API clients


def create_api_client(
    session: DbSession, actor: Actor, organisation: Organisation, name: str, scopes: list[str]
) -> tokens.IssuedToken:
    """A new API client of the administrator's own organisation (so ``questionnaires:write``
    goes only to administrators' organisations); the token is shown once and never stored."""
    _own_organisation(actor, organisation, "API clients")
    try:
        issued = tokens.create_api_client(
            session, organisation, name, scopes or None, created_by_id=actor.user_id
        )
    except tokens.ApiClientError as error:
        raise AccountError("name", str(error)) from None
    record_event(
        session,
        actor,
        "api_client.create",
        record_type="api_client",
        record_id=issued.client.id,
        detail={"organisation_id": organisation.id, "scopes": list(issued.client.scopes)},
    )
    return issued


def revoke_api_client(session: DbSession, actor: Actor, client: ApiClient) -> ApiClient:
    if client.organisation_id != actor.organisation_id:
        raise AccountError("client", "You can revoke your own organisation's API clients only")
    if client.revoked_at is not None:
        return client
    tokens.revoke_api_client(session, client)
    record_event(
        session,
        actor,
        "api_client.revoke",
        record_type="api_client",
        record_id=client.id,
    )
    return client
