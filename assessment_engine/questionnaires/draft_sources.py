"""The text of a questionnaire draft exactly as an administrator wrote it.

A version's ``document``, ``rules`` and ``test_cases`` columns hold parsed JSON (JSONB on
PostgreSQL, which reorders object keys and keeps no formatting). The editor needs the text as
typed: to show it back unchanged, to report problems at the lines the administrator sees, and to
keep work that is not yet valid JSON. ``revision`` makes saves optimistic: a save names the
revision it started from and is refused if someone saved since.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..db import Base, utcnow
from .models import QuestionnaireVersion


class DraftSource(Base):
    """The three texts of one questionnaire version as edited; kept after publishing."""

    __tablename__ = "questionnaire_draft_sources"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_versions.id", ondelete="CASCADE"), primary_key=True
    )
    document_text: Mapped[str] = mapped_column(Text)
    rules_text: Mapped[str] = mapped_column(Text)
    cases_text: Mapped[str] = mapped_column(Text)
    #: Goes up by one with every save; a save from an older revision is refused.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    version: Mapped[QuestionnaireVersion] = relationship()
    updated_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<DraftSource {self.version_id} r{self.revision}>"
