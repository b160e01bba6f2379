"""The questionnaire library: every questionnaire, its versions, who changed what and when, and
how many assessments use each version."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..assessments.models import Assessment, AssessmentStatus
from ..db import DbSession
from ..kernel.models import AuditEvent
from ..questionnaires.draft_sources import DraftSource
from ..questionnaires.models import Questionnaire, QuestionnaireVersion, VersionStatus
from ..questionnaires.publishing import RECORD_TYPE

#: What each audited change reads as in the library.
ACTION_LABELS = {
    "questionnaire.draft": "Started this draft",
    "questionnaire.save": "Saved the draft",
    "questionnaire.publish": "Published",
    "questionnaire.retire": "Retired",
    "questionnaire.discard": "Deleted the draft",
    "questionnaire.import": "Imported",
}


@dataclass(frozen=True)
class Usage:
    """How many assessments are pinned to a version, and how many of those are in progress."""

    total: int = 0
    in_progress: int = 0


@dataclass(frozen=True)
class HistoryLine:
    when: object
    who: str
    what: str


@dataclass
class VersionEntry:
    version: QuestionnaireVersion
    usage: Usage
    source: DraftSource | None
    history: list[HistoryLine] = field(default_factory=list)


@dataclass
class LibraryEntry:
    questionnaire: Questionnaire
    versions: list[VersionEntry]

    @property
    def draft(self) -> VersionEntry | None:
        return next((v for v in self.versions if v.version.status == VersionStatus.DRAFT), None)

    @property
    def latest_published(self) -> VersionEntry | None:
        published = [v for v in self.versions if v.version.status == VersionStatus.PUBLISHED]
        return max(published, key=lambda v: v.version.version) if published else None


def usage_by_version(session: DbSession) -> dict[int, Usage]:
    rows = session.execute(
        select(Assessment.questionnaire_version_id, Assessment.status, func.count()).group_by(
            Assessment.questionnaire_version_id, Assessment.status
        )
    ).all()
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for version_id, status, count in rows:
        totals[version_id][0] += count
        if status == AssessmentStatus.DRAFT:
            totals[version_id][1] += count
    return {key: Usage(total, progress) for key, (total, progress) in totals.items()}


def history(
    session: DbSession, version_ids: list[int], limit: int = 500
) -> dict[int, list[HistoryLine]]:
    """Audited changes to each version, newest first, with who made them."""
    if not version_ids:
        return {}
    events = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.record_type == RECORD_TYPE,
            AuditEvent.record_id.in_([str(i) for i in version_ids]),
        )
        .options(joinedload(AuditEvent.user))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    found: dict[int, list[HistoryLine]] = defaultdict(list)
    for event in events:
        who = event.user.name if event.user is not None else event.actor
        what = ACTION_LABELS.get(event.action, event.action)
        if event.action == "questionnaire.save" and event.detail.get("problems"):
            what += f" ({event.detail['problems']} problem(s))"
        found[int(event.record_id)].append(HistoryLine(event.occurred_at, who, what))
    return found


def library(session: DbSession) -> list[LibraryEntry]:
    """Every questionnaire by title, with its versions newest first."""
    questionnaires = list(
        session.scalars(
            select(Questionnaire)
            .options(
                joinedload(Questionnaire.versions).joinedload(QuestionnaireVersion.created_by),
                joinedload(Questionnaire.versions).joinedload(QuestionnaireVersion.published_by),
            )
            .order_by(Questionnaire.title)
        ).unique()
    )
    ids = [v.id for q in questionnaires for v in q.versions]
    usage = usage_by_version(session)
    sources = {
        s.version_id: s
        for s in session.scalars(
            select(DraftSource)
            .where(DraftSource.version_id.in_(ids))
            .options(joinedload(DraftSource.updated_by))
        )
    }
    lines = history(session, ids)
    return [
        LibraryEntry(
            q,
            [
                VersionEntry(v, usage.get(v.id, Usage()), sources.get(v.id), lines.get(v.id, []))
                for v in sorted(q.versions, key=lambda v: v.version, reverse=True)
            ],
        )
        for q in questionnaires
    ]


def version_entry(session: DbSession, version: QuestionnaireVersion) -> VersionEntry:
    """One version with its usage, texts' last editor and history (the editor's header)."""
    usage = usage_by_version(session).get(version.id, Usage())
    source = session.get(DraftSource, version.id)
    return VersionEntry(version, usage, source, history(session, [version.id]).get(version.id, []))
