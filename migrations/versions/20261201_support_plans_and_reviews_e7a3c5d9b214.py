"""support plans, their versions, reviews and the review policy; services' personal-care flag

Support arranged for an accepted referral (one plan a referral), every change of its terms a
new version, its reviews (due, then completed with an outcome and the agreement the rule needs)
and when reviews fall due (a default row; an organisation may have its own). Services gain
``personal_care``, which runs the 6-week clock. On SQLite the column is added with ALTER TABLE,
not a batch copy, so triggers on services (if any) survive.

Revision ID: e7a3c5d9b214
Revises: 2cd01da1edb5
Create Date: 2026-12-01 14:00:00.000000

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "e7a3c5d9b214"
down_revision = "2cd01da1edb5"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(v) for v in values),
    )


SDS = ("1", "2", "3", "4")
PLAN = ("active", "ended")


def upgrade() -> None:
    op.add_column(
        "services",
        sa.Column("personal_care", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "support_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("status", _enum("support_plan_status", *PLAN), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("minutes_per_week", sa.Integer(), nullable=True),
        sa.Column("sds_option", _enum("sds_option", *SDS), nullable=True),
        sa.Column("weekly_cost_pence", sa.Integer(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"]),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("referral_id", name="uq_support_plans_referral_id"),
    )
    op.create_index("ix_support_plans_client_id", "support_plans", ["client_id"])
    op.create_index(
        "ix_support_plans_organisation_id_status", "support_plans", ["organisation_id", "status"]
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", _enum("review_status", "due", "completed"), nullable=False),
        sa.Column("assigned_to_id", sa.Integer(), nullable=True),
        sa.Column("assessment_id", sa.Uuid(), nullable=True),
        sa.Column(
            "outcome",
            _enum("review_outcome", "continue", "increase", "reduce", "end"),
            nullable=True,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "end_reason",
            _enum(
                "review_end_reason",
                "died",
                "moved_away",
                "long_term_care",
                "no_longer_needed",
                "person_declined",
            ),
            nullable=True,
        ),
        sa.Column("person_agreed", sa.Boolean(), nullable=True),
        sa.Column(
            "agreed_by",
            _enum("review_agreed_by", "person", "welfare_attorney", "guardian"),
            nullable=True,
        ),
        sa.Column("carer_agreed", sa.Boolean(), nullable=True),
        sa.Column("agreement_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agreement_recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["support_plans.id"]),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["assigned_to_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"]),
        sa.ForeignKeyConstraint(["agreement_recorded_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["completed_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reviews_plan_id", "reviews", ["plan_id"])
    op.create_index("ix_reviews_client_id", "reviews", ["client_id"])
    op.create_index(
        "ix_reviews_organisation_id_status_due_on",
        "reviews",
        ["organisation_id", "status", "due_on"],
    )
    op.create_table(
        "support_plan_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", _enum("support_version_status", *PLAN), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("minutes_per_week", sa.Integer(), nullable=True),
        sa.Column("sds_option", _enum("support_version_sds_option", *SDS), nullable=True),
        sa.Column("weekly_cost_pence", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("review_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["support_plans.id"]),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"]),
        sa.ForeignKeyConstraint(["changed_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "number", name="uq_support_plan_versions_plan_id_number"),
    )
    policies = op.create_table(
        "review_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("first_review_days", sa.Integer(), nullable=False),
        sa.Column("critical_first_review_days", sa.Integer(), nullable=False),
        sa.Column("review_interval_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", name="uq_review_policies_organisation_id"),
    )
    op.bulk_insert(
        policies,
        [
            {
                "organisation_id": None,
                "first_review_days": 42,
                "critical_first_review_days": 28,
                "review_interval_days": 365,
                "updated_at": datetime.now(UTC),
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("review_policies")
    op.drop_table("support_plan_versions")
    op.drop_index("ix_reviews_organisation_id_status_due_on", table_name="reviews")
    op.drop_index("ix_reviews_client_id", table_name="reviews")
    op.drop_index("ix_reviews_plan_id", table_name="reviews")
    op.drop_table("reviews")
    op.drop_index("ix_support_plans_organisation_id_status", table_name="support_plans")
    op.drop_index("ix_support_plans_client_id", table_name="support_plans")
    op.drop_table("support_plans")
    with op.batch_alter_table("services") as batch:
        batch.drop_column("personal_care")
