"""Factories for organisations, users, clients, questionnaires and assessments."""

from __future__ import annotations

import itertools
import time
from datetime import date
from typing import Any

import pyotp

from assessment_engine.auth.models import Role, User
from assessment_engine.auth.services import create_user
from assessment_engine.demo import ORGANISATIONS, demo_chi
from assessment_engine.kernel.actor import Actor
from assessment_engine.partners.models import Organisation, OrganisationKind
from assessment_engine.partners.services import ensure_organisation, get_organisation
from assessment_engine.records import services as records
from assessment_engine.records.models import Client

_counter = itertools.count(1)


class Phone:
    """What a user's authenticator app holds: their key; and the last time step a test typed a
    code of, so that every sign-in gets a code not used before (the app accepts one step
    either side of now, so up to three sign-ins a step need no wait)."""

    def __init__(self, secret: str, last_step: int = 0) -> None:
        self.secret = secret
        self.last_step = last_step

    def code(self) -> str:
        totp = pyotp.TOTP(self.secret)
        current = int(time.time()) // totp.interval
        step = max(current - 1, self.last_step + 1)
        if step > current + 1:
            time.sleep((step - 1) * totp.interval - time.time() + 0.1)
        self.last_step = step
        return totp.generate_otp(step)


def enrol(session: Any, cipher: Any, user: User) -> tuple[Phone, list[str]]:
    """Set up an authenticator app for ``user`` through the real enrolment service, as their
    first sign-in would; returns their phone and recovery codes."""
    from assessment_engine.auth import second_factor

    enrolment = second_factor.new_enrolment(user, "Tests")
    now = time.time()
    # The previous step's code (still in the window), so two sign-ins follow without a wait.
    code = pyotp.TOTP(enrolment.secret).at(now - 30)
    codes = second_factor.confirm_enrolment(session, cipher, user, enrolment.secret, code, now)
    return Phone(enrolment.secret, int(user.totp_last_step or 0)), codes


class Factories:
    PASSWORD = "correct horse battery staple"

    def __init__(self, session: Any, app: Any) -> None:
        self.session = session
        self.app = app
        #: Each enrolled user's phone and recovery codes, as they would keep them.
        self.phones: dict[int, Phone] = {}
        self.recovery_codes: dict[int, list[str]] = {}

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
        second_factor: bool | None = None,
    ) -> User:
        """A user; with an authenticator app set up where their role needs one (or if
        ``second_factor``), as they would have after their first sign-in."""
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
        if second_factor is None:
            second_factor = user.role.value in self.app.config["SECOND_FACTOR_ROLES"]
        if second_factor:
            self.enrol(user)
        self.session.flush()
        return user

    def enrol(self, user: User) -> None:
        phone, codes = enrol(self.session, self.app.extensions["totp_cipher"], user)
        self.phones[user.id] = phone
        self.recovery_codes[user.id] = codes

    def code(self, user: User) -> str:
        """A code from the user's app that was not used yet."""
        return self.phones[user.id].code()

    def settle(self) -> None:
        """What was made, with its audit events, in the database for the requests that follow
        (on the same connection), as a commit would write them."""
        from assessment_engine.kernel.audit import write_pending

        write_pending(self.session)
        self.session.flush()

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
        made = records.create_client(
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
        self.settle()
        return made

    def get_organisation(self, slug: str) -> Organisation | None:
        return get_organisation(self.session, slug)

    # Questionnaires and assessments --------------------------------------------------------

    def version(self, key: str = "joint-assessment") -> Any:
        """The latest published version of a bundled questionnaire (loaded once per run)."""
        from assessment_engine.assessments.services import latest_published

        found = latest_published(self.session, key)
        assert found is not None, f"{key} is not loaded"
        return found

    def assessment(
        self,
        client: Client | None = None,
        answers: dict[str, Any] | None = None,
        key: str = "joint-assessment",
        org: str = "perth-kinross-council",
        user: User | None = None,
    ) -> Any:
        """A draft assessment, started by ``user`` (or on behalf of ``org``)."""
        from assessment_engine.assessments.services import start_assessment

        organisation = self.organisation(org)
        actor = Actor.for_user(user) if user else Actor.command_line(organisation.id)
        made = start_assessment(
            self.session, actor, client or self.client(org=org), self.version(key), answers
        )
        self.settle()
        return made

    def submitted(
        self, app: Any, answers: dict[str, Any], user: User, client: Client | None = None
    ) -> Any:
        """An assessment by ``user`` with ``answers``, submitted: decided, with its referrals."""
        from assessment_engine.assessments import services

        assessment = self.assessment(client=client, answers=answers, user=user)
        prepared = services.prepare_version(
            self.session,
            app.extensions["assessment_versions"],
            assessment.questionnaire_version,
        )
        services.submit(
            self.session, Actor.for_user(user), assessment, prepared, expected_version=None
        )
        self.settle()
        return assessment


def example_answers(name: str, key: str = "joint-assessment") -> dict[str, Any]:
    """A bundled example answer set, e.g. example_answers("carer-under-strain")."""
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "form_schemas" / key / "examples"
    return json.loads((path / f"{name}.json").read_text())
