"""The partner queue's page order is served by its partial index on PostgreSQL.

The index repeats the queue's urgency and priority ordering (assessments.queue._URGENCY_RANK
and _PRIORITY_RANK) as SQL; if the two ever drift apart PostgreSQL quietly goes back to sorting
every open referral.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql

from assessment_engine.assessments.models import Referral, ReferralStatus
from assessment_engine.assessments.queue import _PRIORITY_RANK, _URGENCY_RANK


def test_the_queue_order_uses_its_index(db_session) -> None:
    connection = db_session.connection()
    if connection.dialect.name != "postgresql":
        pytest.skip("the partial index's plan is a PostgreSQL matter")
    query = (
        select(Referral.id)
        .where(
            Referral.organisation_id == 1,
            Referral.status.in_([ReferralStatus.PENDING, ReferralStatus.ACCEPTED]),
        )
        .order_by(_URGENCY_RANK, _PRIORITY_RANK, Referral.created_at, Referral.id)
        .limit(20)
    )
    sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    # A near-empty table's statistics (once autovacuum has analysed it) make any plan cheap, so
    # the planner may pick another index and sort its one row. Taking sorting off the table
    # leaves the question this test asks: can the partial index give the queue's order itself?
    # If the index and the ORDER BY drift apart, the plan must sort, and this fails.
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    connection.execute(text("SET LOCAL enable_sort = off"))
    plan = "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {sql}")))
    assert "ix_referrals_open_queue" in plan, plan
    assert "Sort" not in plan, plan
