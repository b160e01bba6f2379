"""An assessment's answers to read: every section's questions and answers in words.

What the receiving partner reads instead of asking the person again: each section of the
questionnaire version the assessment was given on, each question shown for those answers with
its own words, and the answer as the person gave it (option labels, dates in words, their own
text). The answers page and ``GET /api/v1/assessments/{id}/answers`` are both built from
:func:`answer_sheet`, so partner systems get exactly what partner staff see.

Who may read it is ``assessments.access.assessment_for`` (the person's sharing views; audited as
``assessment.answers``); anyone else gets RecordNotFound, as for an assessment that does not
exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..db import DbSession
from ..forms.summary import summary_rows
from ..kernel.actor import Actor
from ..questionnaires.runtime import VersionCache
from ..scoring.pointers import parse_pointer, resolve
from . import access
from .models import Assessment, AssessmentStatus
from .services import prepare_version


@dataclass(frozen=True)
class AnswerLine:
    """One question and its answer in words."""

    pointer: str
    question: str
    #: As the page shows it: text, or escaped lines joined by line breaks.
    shown: str | Markup
    #: The stored answer at ``pointer`` (None when not answered).
    value: Any

    @property
    def answer(self) -> str:
        """The answer in words as plain text, one line per item."""
        if isinstance(self.shown, Markup):
            return "\n".join(part.unescape() for part in self.shown.split(Markup("<br>")))
        return self.shown

    def summary_row(self) -> dict[str, Any]:
        """The row for ``govukSummaryList``."""
        value = {"html": self.shown} if isinstance(self.shown, Markup) else {"text": self.shown}
        return {"key": {"text": self.question}, "value": value}


@dataclass(frozen=True)
class SectionAnswers:
    name: str
    title: str
    lines: list[AnswerLine]

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The section's rows for ``govukSummaryList``."""
        return [line.summary_row() for line in self.lines]


@dataclass(frozen=True)
class AnswerSheet:
    assessment: Assessment
    title: str
    sections: list[SectionAnswers]
    #: The newer version that amends this one, if any.
    amended_by: Assessment | None

    @property
    def submitted(self) -> bool:
        return self.assessment.status is not AssessmentStatus.DRAFT

    @property
    def signed_off_at(self) -> datetime | None:
        return self.assessment.signed_off_at


def answer_sheet(
    session: DbSession,
    actor: Actor,
    versions: VersionCache,
    assessment_id: uuid.UUID | str,
    *,
    action: str = "assessment.answers",
) -> AnswerSheet:
    """The assessment's answers in words as ``actor`` may see them, audited as ``action`` (a
    read of its answers, or a printed copy); RecordNotFound where the person's sharing views do
    not allow it (AccessDenied for administrators, who never see answers)."""
    assessment = access.assessment_for(session, actor, assessment_id, action=action)
    prepared = prepare_version(session, versions, assessment.questionnaire_version)
    answers = assessment.answers or {}
    sections = [
        SectionAnswers(
            section.name,
            str(section.title),
            [
                AnswerLine(
                    row["pointer"],
                    row["key"]["text"],
                    _shown(row),
                    resolve(answers, parse_pointer(row["pointer"])),
                )
                for row in summary_rows(prepared, answers, section.name)
            ],
        )
        for section in prepared.questionnaire.structure.sections
    ]
    amended_by = session.scalar(
        select(Assessment)
        .where(Assessment.amends_id == assessment.id)
        .options(joinedload(Assessment.organisation))
        .order_by(Assessment.created_at)
        .limit(1)
    )
    return AnswerSheet(assessment, prepared.questionnaire.structure.title, sections, amended_by)


def _shown(row: Mapping[str, Any]) -> str | Markup:
    value = row["value"]
    shown: str | Markup = value["html"] if "html" in value else value["text"]
    return shown
