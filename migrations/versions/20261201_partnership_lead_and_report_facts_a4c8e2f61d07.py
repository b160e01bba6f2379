"""the partnership lead role; insert-only daily report facts and the days folded into them

Users may have the role ``partnership_lead`` (every partner's counts, never a person): the
role's CHECK constraint gains the value and the column grows to hold it. The outputs page's
figures come from ``report_daily_facts`` (one row per UK day, measure and dimensions, never
updated) and ``report_folded_days``; the detail rows folded each day are found by new indexes
on when they were created, submitted, accepted, declined and completed.

Revision ID: a4c8e2f61d07
Revises: c71d5e08a93f
Create Date: 2026-12-01 16:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "a4c8e2f61d07"
down_revision = "c71d5e08a93f"
branch_labels = None
depends_on = None

OLD_ROLES = ("assessor", "team_manager", "administrator", "performance_analyst")
NEW_ROLES = (*OLD_ROLES, "partnership_lead")

INDEXES = (
    ("ix_assessments_created_at", "assessments", "created_at"),
    ("ix_assessments_submitted_at", "assessments", "submitted_at"),
    ("ix_referrals_created_at", "referrals", "created_at"),
    ("ix_referrals_accepted_at", "referrals", "accepted_at"),
    ("ix_referrals_declined_at", "referrals", "declined_at"),
    ("ix_referrals_completed_at", "referrals", "completed_at"),
    ("ix_support_plans_created_at", "support_plans", "created_at"),
)


def _roles(roles: tuple[str, ...]) -> None:
    check = "role IN (" + ", ".join(f"'{role}'" for role in roles) + ")"
    length = max(len(role) for role in roles)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_user_role"), type_="check")
        batch_op.alter_column("role", type_=sa.String(length), existing_nullable=False)
        batch_op.create_check_constraint(op.f("ck_users_user_role"), check)


def upgrade() -> None:
    _roles(NEW_ROLES)
    op.create_table(
        "report_daily_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("measure", sa.String(length=24), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("district", sa.String(length=4), nullable=False),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_report_daily_facts_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_report_daily_facts_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_daily_facts")),
    )
    op.create_index("ix_report_daily_facts_measure_day", "report_daily_facts", ["measure", "day"])
    op.create_table(
        "report_folded_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("facts", sa.Integer(), nullable=False),
        sa.Column("folded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_report_folded_days")),
    )
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_table("report_folded_days")
    op.drop_index("ix_report_daily_facts_measure_day", table_name="report_daily_facts")
    op.drop_table("report_daily_facts")
    leads = op.get_bind().scalar(sa.text("SELECT count(*) FROM users WHERE role = 'partnership_lead'"))
    if leads:
        # Never quietly give them another role: every other role sees more of a person.
        raise RuntimeError(f"{leads} users are partnership leads: change their role first")
    _roles(OLD_ROLES)
