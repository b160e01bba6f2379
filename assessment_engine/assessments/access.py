"""Which assessment an actor may open: the record's access rules (``records.access``) applied to
the assessment's client. Here rather than in ``records`` because records sit below assessments.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..kernel.actor import Actor, Role
from ..kernel.audit import record_event
from ..records.access import AccessDenied, access_to
from ..records.services import RecordNotFound, record_key
from .models import Assessment


def assessment_for(
    session: Session,
    actor: Actor,
    assessment_id: uuid.UUID | str,
    *,
    action: str = "assessment.view",
) -> Assessment:
    """The assessment if ``actor`` may see its client's answers, audited; RecordNotFound if not."""
    if actor.role is Role.ADMINISTRATOR:
        raise AccessDenied(action)
    key = record_key(assessment_id)
    assessment = session.scalar(
        select(Assessment)
        .where(Assessment.id == key)
        .options(joinedload(Assessment.client), joinedload(Assessment.organisation))
    )
    if assessment is None:
        raise RecordNotFound(str(assessment_id))
    access = access_to(session, actor, assessment.client)
    if not access.answers:
        raise RecordNotFound(str(assessment_id))
    record_event(
        session,
        actor,
        action,
        record_type="assessment",
        record_id=assessment.id,
        client_id=assessment.client_id,
        detail=access.audit_detail(),
    )
    return assessment
