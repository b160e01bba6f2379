"""The 6-week standard: personal care at critical or substantial priority starts within 6 weeks
of the assessment (Scotland's eligibility framework); a same-day or urgent referral has its own,
shorter clock.

The clock runs from the assessment's submission to support starting (the start date the
receiving team records, ``support.services.record_support``). It applies to referrals to a
service administrators have marked as personal care, at critical or substantial priority.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..scoring.outcomes import Urgency
from .models import Referral, ReferralStatus

#: Days (a support start, a review's due day, "today") are UK days.
UK = ZoneInfo("Europe/London")


def uk_date(moment: datetime) -> date:
    """The UK day of a moment (stored moments are UTC)."""
    return moment.astimezone(UK).date()


def uk_today() -> date:
    """Today in the UK: the day every page, API answer and rule of support counts from."""
    return datetime.now(UK).date()


#: Days from the assessment to support starting, by the referral's urgency.
ALLOWED_DAYS = {Urgency.SAME_DAY: 0, Urgency.URGENT: 1, Urgency.ROUTINE: 42}
#: Priorities the standard covers.


@dataclass(frozen=True)
class SupportClock:
    """One referral's clock: when support is due to start, and when it did."""

    assessed_on: date
    due_on: date
    started_on: date | None
    today: date

    @property
    def days_left(self) -> int:
        """Days until the due day (negative when overdue), while support has not started."""
        return (self.due_on - self.today).days

    @property
    def overdue(self) -> bool:
        return self.started_on is None and self.today > self.due_on

    @property
    def met(self) -> bool | None:
        """Whether support started in time; None while it has not started."""
        return None if self.started_on is None else self.started_on <= self.due_on

    @property
    def breached(self) -> bool:
        return self.overdue or self.met is False

    @property
    def words(self) -> str:
        """The clock in words, for the queue and the referral."""
        if self.started_on is not None:
            late = (self.started_on - self.due_on).days
            return "Started in time" if late <= 0 else f"Started {_days(late)} late"
        if self.days_left < 0:
            return f"Overdue by {_days(-self.days_left)}"
        if self.days_left == 0:
            return "Due today"
        return f"{_days(self.days_left)} left"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def support_clock(referral: Referral, started_on: date | None, today: date) -> SupportClock | None:
    """The referral's clock, or None where the standard does not apply (not personal care,
    lower priority, declined, or never submitted)."""
    if (
        not referral.service.personal_care
        or not referral.priority.is_high
        or referral.status is ReferralStatus.DECLINED
    ):
        return None
    submitted = referral.assessment.submitted_at
    if submitted is None:
        return None
    assessed = uk_date(submitted)
    due = assessed + timedelta(days=ALLOWED_DAYS[referral.urgency])
    return SupportClock(assessed, due, started_on, today)
