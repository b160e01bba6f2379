"""Insert-only daily facts behind the outputs and outcomes page, and the days folded into them.

No row is ever updated: a submission, a referral or a support start never touches a counter
row (that would be a lock every writer queues on). Instead the scheduled runner folds each
finished UK day, once, into :class:`DailyFact` rows (``reports.facts.fold_due``) and writes a
:class:`FoldedDay` beside them; the page sums the facts of the days asked for and counts
today's few rows from the detail tables. Times (days from start to submission, to acceptance,
to support starting) are kept as daily histograms, one row per number of days, since medians
and percentiles cannot be summed but histograms can.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow


class DailyFact(Base):
    """How many events of one kind happened on one UK day, for one combination of dimensions.

    ``measure`` is one of ``reports.facts.MEASURES``; a dimension that does not apply to the
    measure is empty (``""``, or None for ``service_id`` and ``days``)."""

    __tablename__ = "report_daily_facts"
    __table_args__ = (Index("ix_report_daily_facts_measure_day", "measure", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    measure: Mapped[str] = mapped_column(String(24))
    #: The assessing organisation (assessments) or the receiving one (referrals, support).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    route: Mapped[str] = mapped_column(String(16), default="")
    priority: Mapped[str] = mapped_column(String(16), default="")
    #: The person's postcode district ("PH1"), or "" where none is recorded.
    district: Mapped[str] = mapped_column(String(4), default="")
    #: The histogram's bucket: whole days the measure took; None for plain counts.
    days: Mapped[int | None] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)


class FoldedDay(Base):
    """A UK day folded into facts; a day is folded once."""

    __tablename__ = "report_folded_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    facts: Mapped[int] = mapped_column(Integer)
    folded_at: Mapped[datetime] = mapped_column(default=utcnow)


class NowSnapshot(Base):
    """What is so "now" (referrals waiting, support overdue under the 6-week standard), counted
    by the scheduled runner each time it folds: one set of rows per count, all with the same
    ``taken_at``, never updated; the page reads the newest set while it is fresh. Submissions
    never write here (no row every writer queues on); older sets are deleted by the runner."""

    __tablename__ = "report_now_snapshots"
    __table_args__ = (Index("ix_report_now_snapshots_taken_at", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    taken_at: Mapped[datetime] = mapped_column()
    #: "waiting" or "overdue".
    measure: Mapped[str] = mapped_column(String(24))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    priority: Mapped[str] = mapped_column(String(16))
    district: Mapped[str] = mapped_column(String(4))
    count: Mapped[int] = mapped_column(Integer)
