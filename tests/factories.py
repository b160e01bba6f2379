"""Factories for organisations, users, clients, questionnaires and assessments."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from assessment_engine.auth.actor import Actor
from assessment_engine.auth.models import Role, User
from assessment_engine.auth.services import create_user
from assessment_engine.demo import ORGANISATIONS, demo_chi
from assessment_engine.partners.models import Organisation, OrganisationKind
from assessment_engine.partners.services import ensure_organisation, get_organisation
from assessment_engine.records import services as records
from assessment_engine.records.models import Client

_counter = itertools.count(1)


class Factories:
    PASSWORD = "correct horse battery staple"

    def __init__(self, session: Any) -> None:
        self.session = session

    def organisation(self, slug: str = "perth-kinross-council", **kwargs: Any) -> Organisation:
        known = {s: (n, k) for s, n, k, _c in ORGANISATIONS}
        if slug in known and not kwargs:
            name, kind = known[slug]
        else:
            name = kwargs.get("name", slug.replace("-", " ").title())
            kind = kwargs.get("kind", OrganisationKind.SOCIAL_CARE)
        org, _created = ensure_organisation(self.session, slug=slug, name=name, kind=kind)
        return org

    def user(
        self,
        role: str | Role = "assessor",
        org: str = "perth-kinross-council",
        email: str | None = None,
        name: str | None = None,
        password: str | None = None,
        active: bool = True,
    ) -> User:
        n = next(_counter)
        user = create_user(
            self.session,
            email=email or f"user{n}@{org}.example",
            name=name or f"Test User {n}",
            password=password or self.PASSWORD,
            organisation=self.organisation(org),
            role=Role(role),
        )
        user.active = active
        self.session.flush()
        return user

    def client(
        self,
        given_name: str = "Jean",
        family_name: str = "MacDonald",
        date_of_birth: date = date(1938, 3, 14),
        org: str = "perth-kinross-council",
        **kwargs: Any,
    ) -> Client:
        n = next(_counter)
        chi = kwargs.pop("chi", None) or demo_chi(date_of_birth, n, female=n % 2 == 0)
        organisation = self.organisation(org)
        actor = Actor.command_line(organisation.id)
        return records.create_client(
            self.session,
            actor,
            records.ClientDetails(
                chi=chi,
                given_name=given_name,
                family_name=family_name,
                date_of_birth=date_of_birth,
                **kwargs,
            ),
        )

    def get_organisation(self, slug: str) -> Organisation | None:
        return get_organisation(self.session, slug)
