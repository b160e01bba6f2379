"""After submission: sign-off, co-signature by another partner, amendments and what they changed.

- A submitted assessment is signed off by its own assessor (who started or submitted it).
- It may then be co-signed, once, by an assessor of another partner organisation.
- A signed-off assessment never changes: the ORM listener in ``assessments.models`` and the
  database triggers refuse it, whatever calls them.
- To correct one, an assessor of the same organisation amends it: a new draft, linked by
  ``amends_id``, pinned to the same questionnaire version and starting from the same answers.
  Submitted through the usual pages, it gets a decision of its own. Only the latest version in
  a chain can be amended, so a chain never forks.

Services take the session and the actor, audit in the caller's transaction and never commit.
Every change takes the optimistic-lock version the editor loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..auth.models import Role
from ..db import DbSession, utcnow
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from ..questionnaires.structure import QuestionType, Structure
from .models import Assessment, AssessmentStatus
from .services import AssessmentError, StaleEdit, flush_or_stale


class NotAllowed(AssessmentError):
    """This actor may not do this to this assessment (the page answers 403)."""


def _is_assessor(actor: Actor) -> bool:
    return actor.role is Role.ASSESSOR and actor.user_id is not None


def amendment_of(session: DbSession, assessment: Assessment) -> Assessment | None:
    """The assessment that amends this one, if any."""
    return session.scalar(select(Assessment).where(Assessment.amends_id == assessment.id))


def may_sign_off(actor: Actor, assessment: Assessment) -> bool:
    """Its own assessor, once it is submitted."""
    return (
        _is_assessor(actor)
        and assessment.status is AssessmentStatus.SUBMITTED
        and actor.user_id in (assessment.started_by_id, assessment.submitted_by_id)
    )


def may_co_sign(actor: Actor, assessment: Assessment) -> bool:
    """An assessor of another partner, once, after sign-off."""
    return (
        _is_assessor(actor)
        and assessment.status is AssessmentStatus.SIGNED_OFF
        and assessment.cosigned_by_id is None
        and actor.organisation_id != assessment.organisation_id
    )


def may_amend(session: DbSession, actor: Actor, assessment: Assessment) -> bool:
    """An assessor of the same organisation (or that organisation's own system, through the
    API with the assessments:write scope), for the latest submitted version of a chain."""
    return (
        (_is_assessor(actor) or actor.is_partner_system)
        and assessment.status in (AssessmentStatus.SUBMITTED, AssessmentStatus.SIGNED_OFF)
        and actor.organisation_id == assessment.organisation_id
        and amendment_of(session, assessment) is None
    )


def _check_version(assessment: Assessment, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != assessment.version:
        raise StaleEdit(assessment)


def sign_off(
    session: DbSession, actor: Actor, assessment: Assessment, *, expected_version: int | None
) -> Assessment:
    """Sign off a submitted assessment; from now on it never changes."""
    _check_version(assessment, expected_version)
    if not may_sign_off(actor, assessment):
        raise NotAllowed("Only the assessor who completed a submitted assessment can sign it off")
    assessment.status = AssessmentStatus.SIGNED_OFF
    assessment.signed_off_at = utcnow()
    assessment.signed_off_by_id = actor.user_id
    flush_or_stale(session, assessment)
    record_event(
        session,
        actor,
        "assessment.sign_off",
        record_type="assessment",
        record_id=assessment.id,
        client_id=assessment.client_id,
    )
    return assessment


def co_sign(
    session: DbSession, actor: Actor, assessment: Assessment, *, expected_version: int | None
) -> Assessment:
    """Add another partner's assessor's co-signature to a signed-off assessment (once)."""
    _check_version(assessment, expected_version)
    if not may_co_sign(actor, assessment):
        raise NotAllowed(
            "A signed-off assessment can be co-signed once, by an assessor of another partner"
        )
    assessment.cosigned_at = utcnow()
    assessment.cosigned_by_id = actor.user_id
    flush_or_stale(session, assessment)
    record_event(
        session,
        actor,
        "assessment.co_sign",
        record_type="assessment",
        record_id=assessment.id,
        client_id=assessment.client_id,
    )
    return assessment


def amend(
    session: DbSession, actor: Actor, assessment: Assessment, *, expected_version: int | None
) -> Assessment:
    """A new draft amending ``assessment``: same person and version, the same answers to start."""
    _check_version(assessment, expected_version)
    if not may_amend(session, actor, assessment):
        if amendment_of(session, assessment) is not None:
            raise NotAllowed("This assessment has already been amended; amend the latest version")
        raise NotAllowed(
            "Only an assessor of the organisation that made a submitted assessment can amend it"
        )
    amendment = Assessment(
        client_id=assessment.client_id,
        questionnaire_version_id=assessment.questionnaire_version_id,
        status=AssessmentStatus.DRAFT,
        answers=dict(assessment.answers or {}),
        organisation_id=actor.organisation_id,
        started_by_id=actor.user_id,
        amends_id=assessment.id,
    )
    session.add(amendment)
    session.flush()
    record_event(
        session,
        actor,
        "assessment.amend",
        record_type="assessment",
        record_id=amendment.id,
        client_id=assessment.client_id,
        detail={"amends": str(assessment.id)},
    )
    return amendment


@dataclass(frozen=True)
class AnswerChange:
    """One answer that differs between an amendment and the version it amends."""

    pointer: str
    section: str
    question: str
    before: str
    after: str

    @property
    def kind(self) -> str:
        if self.before == NOT_ANSWERED:
            return "added"
        if self.after == NOT_ANSWERED:
            return "removed"
        return "changed"


NOT_ANSWERED = "Not answered"


def _leaves(value: Any, pointer: str, structure: Structure) -> dict[str, Any]:
    """Answers by JSON pointer down to single questions (a multiple choice is one answer)."""
    question = structure.question(pointer) if pointer else None
    leaf = question is not None and not question.type.is_container
    if isinstance(value, Mapping) and not leaf:
        found: dict[str, Any] = {}
        for key, inner in value.items():
            token = str(key).replace("~", "~0").replace("/", "~1")
            found.update(_leaves(inner, f"{pointer}/{token}", structure))
        return found
    if (
        isinstance(value, list)
        and question is not None
        and question.type is QuestionType.REPEATING_GROUP
    ):
        found = {}
        for index, inner in enumerate(value):
            found.update(_leaves(inner, f"{pointer}/{index}", structure))
        return found
    return {pointer: value}


def _shown(value: Any, pointer: str, structure: Structure) -> str:
    if value is None:
        return NOT_ANSWERED
    question = structure.question(pointer)
    values = value if isinstance(value, list) else [value]
    shown = []
    for item in values:
        option = question.option(item) if question is not None else None
        if option is not None:
            shown.append(option.label)
        elif isinstance(item, bool):
            shown.append("Yes" if item else "No")
        else:
            shown.append(str(item))
    return ", ".join(shown) if shown else NOT_ANSWERED


def what_changed(
    structure: Structure, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[AnswerChange]:
    """Each answer added, removed or changed, in questionnaire order, with question titles."""
    old = _leaves(dict(before or {}), "", structure)
    new = _leaves(dict(after or {}), "", structure)
    order = {pointer: index for index, pointer in enumerate(structure.questions)}
    sections = {section.name: section.title for section in structure.sections}
    changes = []
    for pointer in sorted(
        set(old) | set(new),
        key=lambda p: (order.get(structure.template_pointer(p), len(order)), p),
    ):
        if old.get(pointer) == new.get(pointer):
            continue
        question = structure.question(pointer)
        section_name = pointer.split("/")[1] if pointer.count("/") else ""
        changes.append(
            AnswerChange(
                pointer=pointer,
                section=sections.get(section_name, section_name),
                question=question.title if question is not None else pointer,
                before=_shown(old.get(pointer), pointer, structure),
                after=_shown(new.get(pointer), pointer, structure),
            )
        )
    return changes
