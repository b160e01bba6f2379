"""referrals keep their own priority, and who declined, completed or raised them

Each referral now carries the priority of its own service entry in the decision (a same-day
crisis referral stays critical when the assessment's overall priority is overridden down), who
raised its priority and why, and who declined and completed it.

Existing rows: before this, every referral took the decision's final priority, and an override
rewrote the pending ones. Each referral's own priority is recovered from its decision's trace
(the route line that referred to its service says "Refer to SERVICE (URGENCY, priority P)"),
so a home care referral that had taken a crisis's "critical" goes back to its own level; where
no line says, the more urgent of the stored priority and the decision's computed one is kept.
Referrals of signed-off assessments keep what they had (signed records never change). Who
declined or completed a referral is taken from the audit trail's referral.decline /
referral.complete events. On SQLite the columns are added with ALTER TABLE, not a batch copy of
the table, so triggers guarding referrals survive.

The open queue index now orders by urgency, then priority, then age, as assessments.queue does.

Revision ID: 8d41c7e2f5a9
Revises: 3b8e5f0c2a71
Create Date: 2026-12-01 10:30:00.000000

"""

import json
import re
import uuid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8d41c7e2f5a9"
down_revision = "3b8e5f0c2a71"
branch_labels = None
depends_on = None

PRIORITIES = ("critical", "substantial", "moderate", "low", "no_risk")
URGENCIES = ("same_day", "urgent", "routine")
OPEN = "status IN ('pending', 'accepted')"


def _rank(column: str, values: tuple[str, ...]) -> str:
    whens = " ".join(f"WHEN {column} = '{value}' THEN {n}" for n, value in enumerate(values))
    return f"CASE {whens} ELSE {len(values)} END"


_LINE = re.compile(r"^Refer to (?P<service>\S+) \([^,)]*, priority (?P<priority>[a-z ]+)\)")

referrals = sa.table(
    "referrals",
    sa.column("id", sa.Uuid()),
    sa.column("priority", sa.String()),
    sa.column("declined_by_id", sa.Integer()),
    sa.column("completed_by_id", sa.Integer()),
)


def _own_priority(outcome: object, slug: str) -> str | None:
    """The most urgent priority the decision's fired route lines gave ``slug``, if any says."""
    if isinstance(outcome, str):
        outcome = json.loads(outcome)
    if not isinstance(outcome, dict):
        return None
    found = []
    for step in outcome.get("trace") or []:
        if not isinstance(step, dict) or not step.get("fired"):
            continue
        match = _LINE.match(str(step.get("because", "")))
        if match and match["service"] == slug:
            value = match["priority"].replace(" ", "_")
            if value in PRIORITIES:
                found.append(value)
    return min(found, key=PRIORITIES.index) if found else None


def _fill_existing_rows() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT r.id, r.priority, s.slug, d.outcome, d.computed_priority "
            "FROM referrals r JOIN services s ON s.id = r.service_id "
            "JOIN decisions d ON d.id = r.decision_id "
            "JOIN assessments a ON a.id = r.assessment_id "
            # A signed-off assessment's referrals keep what they had: signed records never
            # change, here as in the database's immutability guards.
            "WHERE a.status <> 'signed_off'"
        ).columns(
            sa.column("id", sa.Uuid()),
            sa.column("priority", sa.String()),
            sa.column("slug", sa.String()),
            sa.column("outcome", sa.JSON()),
            sa.column("computed_priority", sa.String()),
        )
    )
    for referral_id, stored, slug, outcome, computed in rows.all():
        own = _own_priority(outcome, slug)
        if own is None:
            own = min((stored, computed), key=lambda p: PRIORITIES.index(p))
        if own != stored:
            bind.execute(
                referrals.update().where(referrals.c.id == referral_id).values(priority=own)
            )
    for action, column in (
        ("referral.decline", "declined_by_id"),
        ("referral.complete", "completed_by_id"),
    ):
        events = bind.execute(
            sa.text(
                "SELECT record_id, user_id FROM audit_events "
                "WHERE action = :action AND user_id IS NOT NULL ORDER BY id"
            ),
            {"action": action},
        )
        latest = {record_id: user_id for record_id, user_id in events.all()}
        for record_id, user_id in latest.items():
            try:
                key = uuid.UUID(record_id)
            except ValueError:
                continue
            bind.execute(
                referrals.update().where(referrals.c.id == key).values({column: user_id})
            )


_USERS = ("priority_raised_by_id", "declined_by_id", "completed_by_id")


def upgrade() -> None:
    op.drop_index("ix_referrals_open_queue", table_name="referrals")
    op.add_column("referrals", sa.Column("priority_raised_at", sa.DateTime(timezone=True)))
    op.add_column("referrals", sa.Column("priority_reason", sa.Text()))
    if op.get_bind().dialect.name == "sqlite":
        # ALTER TABLE ADD COLUMN with its named foreign key, not a batch copy of the table: a
        # copy would drop the triggers that guard the referrals of submitted assessments.
        for name in _USERS:
            op.execute(
                f"ALTER TABLE referrals ADD COLUMN {name} INTEGER "
                f"CONSTRAINT fk_referrals_{name}_users REFERENCES users (id)"
            )
    else:
        for name in _USERS:
            op.add_column("referrals", sa.Column(name, sa.Integer()))
            op.create_foreign_key(f"fk_referrals_{name}_users", "referrals", "users", [name], ["id"])
    _fill_existing_rows()
    op.create_index(
        "ix_referrals_open_queue",
        "referrals",
        [
            "organisation_id",
            sa.text(f"({_rank('urgency', URGENCIES)})"),
            sa.text(f"({_rank('priority', PRIORITIES)})"),
            "created_at",
            "id",
        ],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_referrals_open_queue", table_name="referrals")
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        for name in () if sqlite else _USERS:  # SQLite's copy of the table drops them itself
            batch_op.drop_constraint(f"fk_referrals_{name}_users", type_="foreignkey")
        batch_op.drop_column("completed_by_id")
        batch_op.drop_column("declined_by_id")
        batch_op.drop_column("priority_reason")
        batch_op.drop_column("priority_raised_by_id")
        batch_op.drop_column("priority_raised_at")
    op.create_index(
        "ix_referrals_open_queue",
        "referrals",
        ["organisation_id", sa.text(f"({_rank('priority', PRIORITIES)})"), "created_at", "id"],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
