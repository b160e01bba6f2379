"""Builders for records, assessments, decisions and referrals in known states, for the access
matrix, lifecycle and timeline tests. Rows are made directly (fast); tests that need the real
submission path load PHQ-9 with :func:`load_phq9`.
"""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from assessment_engine.assessments.models import (
    Assessment,
    AssessmentStatus,
    Decision,
    DecisionKind,
    Referral,
    ReferralStatus,
)
from assessment_engine.auth.models import Role, User
from assessment_engine.db import utcnow
from assessment_engine.kernel.actor import Actor
from assessment_engine.partners.models import Organisation, OrganisationKind, Service
from assessment_engine.partners.services import ensure_service
from assessment_engine.questionnaires.models import (
    Questionnaire,
    QuestionnaireVersion,
    VersionStatus,
)
from assessment_engine.records.models import Client
from assessment_engine.records.sharing import record_sharing_view
from assessment_engine.scoring.outcomes import Priority, Route, Urgency

PASSWORD = "correct horse battery staple"  # the factories' password
#: A deliberately cheap hash of PASSWORD: hundreds of sign-ins in the access matrix stay fast.
_CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
_users = itertools.count(1)

FORM_SCHEMAS = Path(__file__).resolve().parents[2] / "form_schemas"

TINY_DOCUMENT = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://shared-assessment.example/form_schemas/tiny/v1.json",
    "title": "Tiny questionnaire",
    "type": "object",
    "properties": {
        "about": {
            "type": "object",
            "title": "About you",
            "properties": {"name": {"type": "string", "title": "Your name", "maxLength": 50}},
            "additionalProperties": False,
        }
    },
    "additionalProperties": False,
}


def user(session: Any, role: str, org: Organisation) -> User:
    """An active user of ``org`` whose password is PASSWORD (cheaply hashed)."""
    n = next(_users)
    row = User(
        email=f"matrix{n}@{org.slug}.example",
        name=f"Matrix User {n}",
        password_hash=_CHEAP_HASH,
        organisation=org,
        role=Role(role),
        active=True,
    )
    session.add(row)
    session.flush()
    return row


def tiny_version(session: Any) -> QuestionnaireVersion:
    """A published questionnaire version with no rules (enough to hang assessments on)."""
    found = session.scalar(
        select(QuestionnaireVersion).join(Questionnaire).where(Questionnaire.key == "tiny")
    )
    if found is not None:
        return found
    questionnaire = Questionnaire(key="tiny", title="Tiny questionnaire")
    version = QuestionnaireVersion(
        questionnaire=questionnaire,
        version=1,
        status=VersionStatus.PUBLISHED,
        title="Tiny questionnaire",
        document=TINY_DOCUMENT,
        rules={},
        test_cases=[],
        checksum="0" * 64,
        published_at=utcnow(),
    )
    session.add(version)
    session.flush()
    return version


def service_of(session: Any, org: Organisation, slug: str | None = None) -> Service:
    service, _created = ensure_service(
        session,
        slug=slug or f"svc-{org.slug}",
        name=f"Service of {org.name}",
        organisation=org,
        kind=OrganisationKind.SOCIAL_CARE,
    )
    return service


def assessment(
    session: Any,
    client: Client,
    user: User,
    *,
    status: AssessmentStatus = AssessmentStatus.SUBMITTED,
    answers: dict[str, Any] | None = None,
    version: QuestionnaireVersion | None = None,
    amends: Assessment | None = None,
    created_days_ago: int = 0,
) -> Assessment:
    """An assessment by ``user`` (of ``user``'s organisation) in ``status``."""
    now = utcnow() - timedelta(days=created_days_ago)
    done = status is not AssessmentStatus.DRAFT
    row = Assessment(
        client=client,
        questionnaire_version=version or tiny_version(session),
        status=status,
        answers=answers if answers is not None else {"about": {"name": "Jean"}},
        organisation_id=user.organisation_id,
        started_by_id=user.id,
        created_at=now,
        submitted_at=now if done else None,
        submitted_by_id=user.id if done else None,
        signed_off_at=now if status is AssessmentStatus.SIGNED_OFF else None,
        signed_off_by_id=user.id if status is AssessmentStatus.SIGNED_OFF else None,
        amends_id=amends.id if amends is not None else None,
    )
    session.add(row)
    session.flush()
    return row


def decision(session: Any, row: Assessment, priority: Priority = Priority.SUBSTANTIAL) -> Decision:
    made = Decision(
        assessment=row,
        kind=DecisionKind.SUBMISSION,
        ruleset="tiny@1",
        computed_route=Route.SOCIAL_CARE,
        computed_priority=priority,
        route=Route.SOCIAL_CARE,
        priority=priority,
        outcome={"services": []},
        created_at=row.submitted_at or utcnow(),
        created_by_id=row.submitted_by_id,
    )
    session.add(made)
    session.flush()
    return made


def referral(
    session: Any,
    made: Decision,
    service: Service,
    *,
    status: ReferralStatus = ReferralStatus.PENDING,
    priority: Priority | None = None,
    days_ago: int = 0,
    accepted_by: User | None = None,
) -> Referral:
    created = utcnow() - timedelta(days=days_ago)
    row = Referral(
        assessment_id=made.assessment_id,
        decision=made,
        client_id=made.assessment.client_id,
        service=service,
        organisation_id=service.organisation_id,
        status=status,
        priority=priority or made.priority,
        urgency=Urgency.ROUTINE,
        created_at=created,
    )
    if status in (ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED):
        row.accepted_at = created + timedelta(days=1)
        row.accepted_by_id = accepted_by.id if accepted_by else None
    session.add(row)
    session.flush()
    return row


def decline_sharing(
    session: Any, client: Client, recorder: User, *organisations: Organisation
) -> None:
    """Record that the person declined sharing with ``organisations`` (recorded by ``recorder``)."""
    record_sharing_view(
        session,
        Actor.for_user(recorder),
        client,
        status="declined",
        stated_on=date.today(),
        partner_ids=[org.id for org in organisations],
    )


def load_phq9(session: Any, app: Any, tmp_path: Path) -> QuestionnaireVersion:
    """PHQ-9, its rules and the bundled services (with their organisations), published."""
    from assessment_engine.partners.services import ensure_organisation
    from assessment_engine.questionnaires.services import load_directory

    root = tmp_path / "form_schemas"
    shutil.copytree(FORM_SCHEMAS / "_meta", root / "_meta")
    shutil.copytree(FORM_SCHEMAS / "phq-9", root / "phq-9")
    shutil.copy(FORM_SCHEMAS / "services.json", root / "services.json")
    for entry in json.loads((root / "services.json").read_text()):
        org, _ = ensure_organisation(
            session,
            slug=entry["organisation"],
            name=entry["organisation"].replace("-", " ").title(),
            kind=OrganisationKind(entry["kind"]),
        )
        ensure_service(
            session,
            slug=entry["slug"],
            name=entry["name"],
            organisation=org,
            kind=OrganisationKind(entry["kind"]),
        )
    load_directory(session, root, app.extensions["assessment_rules"])
    return session.scalar(
        select(QuestionnaireVersion).join(Questionnaire).where(Questionnaire.key == "phq-9")
    )
