"""the outputs page's "now" counts, taken by the scheduled runner

Referrals waiting and support overdue now, counted by the runner each time it folds the daily
facts (one set of rows per count, never updated), so that the page does not count a
partnership's open referrals on every request.

Revision ID: b7d2f4a9c315
Revises: a4c8e2f61d07
Create Date: 2026-12-01 17:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "b7d2f4a9c315"
down_revision = "a4c8e2f61d07"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_now_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("measure", sa.String(length=24), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("district", sa.String(length=4), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_report_now_snapshots_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_report_now_snapshots_service_id_services"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_now_snapshots")),
    )
    op.create_index("ix_report_now_snapshots_taken_at", "report_now_snapshots", ["taken_at"])


def downgrade() -> None:
    op.drop_index("ix_report_now_snapshots_taken_at", table_name="report_now_snapshots")
    op.drop_table("report_now_snapshots")
