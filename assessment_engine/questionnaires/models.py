"""Questionnaires and their versions. A published version never changes."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import get_history

from ..auth.models import User
from ..db import Base, JSONDocument, enum_type, utcnow


class ImmutableRecordError(Exception):
    """Raised when something tries to change a record that can no longer change."""


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class Questionnaire(Base):
    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.version"
    )


class QuestionnaireVersion(Base):
    """One version of a questionnaire: its JSON Schema document, its rules and their test cases."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), index=True)
    version: Mapped[int]
    status: Mapped[VersionStatus] = mapped_column(
        enum_type(VersionStatus, "version_status"), default=VersionStatus.DRAFT
    )
    title: Mapped[str] = mapped_column(String(200))
    # Plain JSON, not JSONB: the order of sections, questions and rules is the author's.
    # Deferred (loaded together on first use): pages and the API find the prepared version in
    # the process's cache by id and checksum, so most requests never need to parse the texts.
    document: Mapped[dict[str, Any]] = mapped_column(
        JSONDocument, deferred=True, deferred_group="content"
    )
    rules: Mapped[dict[str, Any]] = mapped_column(
        JSONDocument, default=dict, deferred=True, deferred_group="content"
    )
    test_cases: Mapped[list[Any]] = mapped_column(
        JSONDocument, default=list, deferred=True, deferred_group="content"
    )
    #: SHA-256 of the canonical JSON of document, rules and test cases: what was published.
    checksum: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    retired_at: Mapped[datetime | None]

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    @property
    def key(self) -> str:
        return self.questionnaire.key

    @property
    def ruleset_name(self) -> str:
        return f"{self.questionnaire.key}@{self.version}"

    def __repr__(self) -> str:
        return f"<QuestionnaireVersion {self.questionnaire_id}@{self.version} {self.status}>"


_FROZEN_CONTENT = ("document", "rules", "test_cases", "checksum", "version", "questionnaire_id")
_ALLOWED_STATUS_CHANGES = {
    (VersionStatus.DRAFT, VersionStatus.PUBLISHED),
    (VersionStatus.PUBLISHED, VersionStatus.RETIRED),
}


@event.listens_for(QuestionnaireVersion, "before_update")
def _refuse_changes_to_published(_mapper: Any, _conn: Any, target: QuestionnaireVersion) -> None:
    """Below the view layer: a published or retired version's content can never change.

    The migrations add database triggers that refuse the same, for writes that bypass the ORM.
    """
    status = get_history(target, "status")
    new_status = VersionStatus(target.status)
    old_status = VersionStatus(status.deleted[0]) if status.deleted else new_status
    if old_status != new_status and (old_status, new_status) not in _ALLOWED_STATUS_CHANGES:
        raise ImmutableRecordError(
            f"A {old_status} questionnaire version cannot become {new_status}."
        )
    if old_status != VersionStatus.DRAFT:
        for name in _FROZEN_CONTENT:
            if get_history(target, name).has_changes():
                raise ImmutableRecordError(
                    f"Version {target.version} is {old_status}; its {name} cannot change. "
                    "Start a new draft instead."
                )


@event.listens_for(QuestionnaireVersion, "before_delete")
def _refuse_deleting_published(_mapper: Any, _conn: Any, target: QuestionnaireVersion) -> None:
    if target.status != VersionStatus.DRAFT:
        raise ImmutableRecordError(
            "Published and retired questionnaire versions are kept for ever."
        )
