"""What if: recent submitted assessments re-scored under another version's rules.

For administrators weighing a change to the rules. Answers are carried forward to that version
by question id (assessments.review.carry_forward); each result is stored as a decision marked
"what if" (never acted on, no referrals). Administrators never see answers: the report shows
only routes, priorities, organisations and how many answers could not be carried.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..assessments.models import Assessment, AssessmentStatus
from ..assessments.services import current_decision, prepare_version, what_if
from ..db import DbSession
from ..kernel.actor import Actor
from ..questionnaires.carry_forward import carry_forward
from ..questionnaires.drafts import AdminError
from ..questionnaires.models import Questionnaire, QuestionnaireVersion
from ..questionnaires.preview import VersionRuntime
from ..questionnaires.runtime import VersionCache
from ..scoring.outcomes import Priority, Route

#: At most this many of the latest submitted assessments are re-scored in one go.
LIMIT = 100


@dataclass(frozen=True)
class Rescored:
    assessment_id: uuid.UUID
    organisation: str
    submitted_at: datetime | None
    from_version: int
    before: tuple[Route, Priority]
    after: tuple[Route, Priority]
    not_carried: int

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class WhatIfReport:
    ruleset: str
    rows: list[Rescored]

    @property
    def changed(self) -> list[Rescored]:
        return [row for row in self.rows if row.changed]


def rescore(
    session: DbSession,
    actor: Actor,
    cache: VersionCache,
    version: QuestionnaireVersion,
    runtime: VersionRuntime,
    *,
    limit: int = LIMIT,
) -> WhatIfReport:
    """Re-score the latest submitted assessments of this questionnaire (on other versions)."""
    if runtime.questionnaire is None or runtime.ruleset is None:
        raise AdminError("This version has problems to fix before its rules can be tried out")
    assessments = session.scalars(
        select(Assessment)
        .join(Assessment.questionnaire_version)
        .join(QuestionnaireVersion.questionnaire)
        .where(
            Questionnaire.id == version.questionnaire_id,
            Assessment.questionnaire_version_id != version.id,
            Assessment.status.in_([AssessmentStatus.SUBMITTED, AssessmentStatus.SIGNED_OFF]),
        )
        .options(
            selectinload(Assessment.decisions),
            joinedload(Assessment.organisation),
            joinedload(Assessment.questionnaire_version),
        )
        .order_by(Assessment.submitted_at.desc())
        .limit(limit)
    ).all()
    rows = []
    for assessment in assessments:
        before = current_decision(assessment)
        if before is None:
            continue
        pinned = prepare_version(session, cache, assessment.questionnaire_version)
        answers, flagged = carry_forward(pinned, runtime, assessment.answers or {})  # type: ignore[arg-type]
        after = what_if(session, actor, assessment, runtime, answers)  # type: ignore[arg-type]
        rows.append(
            Rescored(
                assessment_id=assessment.id,
                organisation=assessment.organisation.name,
                submitted_at=assessment.submitted_at,
                from_version=assessment.questionnaire_version.version,
                before=(before.route, before.priority),
                after=(after.route, after.priority),
                not_carried=len(flagged),
            )
        )
    return WhatIfReport(runtime.ruleset_name, rows)
