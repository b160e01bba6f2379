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

from ..db import DbSession
from ..kernel import policy
from ..kernel.actor import Actor, Role
from ..kernel.audit import record_event
from ..records.access import RecordAccess, access_given, access_to, refuse
from .models import Assessment
from .services import get_assessment, get_assessment_with_view, my_drafts, recently_submitted


@dataclass(frozen=True)
class AssessmentAccess:
    assessment: Assessment
    record: RecordAccess
    actor_user_id: int | None = None

    @property
    def may_change(self) -> bool:
        """Whether the actor may change the draft's answers or submit it."""
        return policy.may_change_assessment(self.record.actor, self.record.facts, self._facts)

    @property
    def may_discard(self) -> bool:
        """Whether the actor may discard the draft (its author, or a team manager of its
        organisation)."""
        return policy.may_discard_draft(
            self.record.actor,
            self.record.facts,
            self._facts,
            is_author=self.assessment.started_by_id is not None
            and self.assessment.started_by_id == self.actor_user_id,
        )

    @property
    def _facts(self) -> policy.AssessmentFacts:
        return policy.AssessmentFacts(self.assessment.organisation_id, self.assessment.open_draft)


def open_assessment(
    session: DbSession,
    actor: Actor,
    assessment_id: uuid.UUID | str,
    *,
    action: str = "assessment.view",
    questionnaire: bool = True,
) -> AssessmentAccess:
    """The assessment and what the actor may do with it, audited as ``action``.

    AccessDenied for administrators (they never see answers); RecordNotFound where the policy
    keeps the person's record content from the actor, exactly as if it did not exist.
    ``questionnaire=False``: the version's questionnaire is read only if used (see
    ``services.get_assessment_with_view``)."""
    if actor.organisation_id is None:  # the system's own tasks: refused below, as before
        assessment, view, read = get_assessment(session, assessment_id), None, False
    else:  # the draft, its person and the sharing view in force: one statement
        assessment, view = get_assessment_with_view(
            session, assessment_id, actor.organisation_id, questionnaire=questionnaire
        )
        read = True
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
    record = (
        access_given(session, actor, assessment.client, view)
        if read
        else access_to(session, actor, assessment.client)
    )
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
    return AssessmentAccess(assessment, record, actor.user_id)


def assessment_for(
    session: DbSession,
    actor: Actor,
    assessment_id: uuid.UUID | str,
    *,
    action: str = "assessment.view",
) -> Assessment:
    """The assessment if ``actor`` may see its client's answers, audited; RecordNotFound if not."""
    return open_assessment(session, actor, assessment_id, action=action).assessment


def draft_for_change(
    session: DbSession,
    actor: Actor,
    assessment_id: uuid.UUID | str,
    *,
    action: str = "assessment.view",
    questionnaire: bool = True,
) -> AssessmentAccess:
    """As :func:`open_assessment`, and refuses (AccessDenied) a change to a draft that belongs
    to another organisation, or by a role that does not start assessments."""
    opened = open_assessment(
        session, actor, assessment_id, action=action, questionnaire=questionnaire
    )
    draft = opened.assessment
    # A discarded draft is refused by the service, as no longer editable (409 in the API).
    if draft.open_draft and not opened.may_change:
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


def my_work(session: DbSession, actor: Actor) -> dict[str, list[Assessment]]:
    """The dashboard's "my drafts" and "recently submitted": the actor's own, and only those
    whose person's assessments the actor may still see (a sharing view may have changed)."""
    if actor.role is not Role.ASSESSOR:
        return {}

    def visible(found: list[Assessment]) -> list[Assessment]:
        return [a for a in found if access_to(session, actor, a.client).answers]

    return {
        "drafts": visible(my_drafts(session, actor)),
        "submitted": visible(recently_submitted(session, actor)),
    }


def draft_for_discard(
    session: DbSession, actor: Actor, assessment_id: uuid.UUID | str
) -> AssessmentAccess:
    """As :func:`open_assessment`, and refuses (AccessDenied) anyone but the draft's author or
    a team manager of its organisation, and anything but an open draft."""
    action = "assessment.discard"
    opened = open_assessment(session, actor, assessment_id, action="assessment.view")
    if not opened.may_discard:
        draft = opened.assessment
        if not draft.open_draft:
            reason = "not an open draft"
        elif actor.organisation_id != draft.organisation_id:
            reason = "another organisation's draft"
        else:
            reason = "not the draft's author or a team manager"
        raise refuse(
            session,
            actor,
            action,
            draft.client,
            reason,
            forbidden=True,
            record=("assessment", draft.id),
        )
    return opened


__all__ = [
    "AssessmentAccess",
    "assessment_for",
    "draft_for_change",
    "draft_for_discard",
    "my_work",
    "open_assessment",
]
