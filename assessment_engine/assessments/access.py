"""Who may see and change which assessment: the access policy's facts for an assessment.

An assessment is part of its person's record's content: whoever may know that content may read
it (``records.access`` decides). A draft belongs to the organisation whose assessor (or system)
started it: only that organisation's assessors and systems may change it
(:func:`kernel.policy.may_change_assessment`). Refusals are noted as refused attempts
(``records.access.refuse``), audited by the edges after the request rolls back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..kernel import policy
from ..kernel.actor import Actor, Role
from ..kernel.audit import record_event
from ..records.access import RecordAccess, access_to, refuse
from .models import Assessment, AssessmentStatus
from .services import get_assessment


@dataclass(frozen=True)
class AssessmentAccess:
    assessment: Assessment
    record: RecordAccess

    @property
    def may_change(self) -> bool:
        """Whether the actor may change the draft's answers or submit it."""
        facts = policy.AssessmentFacts(
            self.assessment.organisation_id, self.assessment.status is AssessmentStatus.DRAFT
        )
        return policy.may_change_assessment(self.record.actor, self.record.facts, facts)


def open_assessment(
    session: Session,
    actor: Actor,
    assessment_id: uuid.UUID | str,
    *,
    action: str = "assessment.view",
) -> AssessmentAccess:
    """The assessment and what the actor may do with it, audited as ``action``.

    AccessDenied for administrators (they never see answers); RecordNotFound where the policy
    keeps the person's record content from the actor, exactly as if it did not exist."""
    assessment = get_assessment(session, assessment_id)
    if actor.role is Role.ADMINISTRATOR:
        raise refuse(
            session,
            actor,
            action,
            assessment.client,
            "administrator",
            forbidden=True,
            record=("assessment", assessment.id),
        )
    record = access_to(session, actor, assessment.client)
    if not record.answers:
        raise refuse(
            session,
            actor,
            action,
            assessment.client,
            record.decision.reason,
            record=("assessment", assessment.id),
        )
    record_event(
        session,
        actor,
        action,
        record_type="assessment",
        record_id=assessment.id,
        client_id=assessment.client_id,
        detail=record.audit_detail(),
    )
    return AssessmentAccess(assessment, record)


def assessment_for(
    session: Session,
    actor: Actor,
    assessment_id: uuid.UUID | str,
    *,
    action: str = "assessment.view",
) -> Assessment:
    """The assessment if ``actor`` may see its client's answers, audited; RecordNotFound if not."""
    return open_assessment(session, actor, assessment_id, action=action).assessment


def draft_for_change(
    session: Session,
    actor: Actor,
    assessment_id: uuid.UUID | str,
    *,
    action: str = "assessment.view",
) -> AssessmentAccess:
    """As :func:`open_assessment`, and refuses (AccessDenied) a change to a draft that belongs
    to another organisation, or by a role that does not start assessments."""
    opened = open_assessment(session, actor, assessment_id, action=action)
    draft = opened.assessment
    if draft.status is AssessmentStatus.DRAFT and not opened.may_change:
        mine = actor.organisation_id == draft.organisation_id
        raise refuse(
            session,
            actor,
            action,
            draft.client,
            "role does not change drafts" if mine else "another organisation's draft",
            forbidden=True,
            record=("assessment", draft.id),
        )
    return opened


__all__ = ["AssessmentAccess", "assessment_for", "draft_for_change", "open_assessment"]
