"""assessments keep the totals a response stated beside the computed ones

``assessments.stated_totals`` (JSON, null when nothing was stated): each total a partner's
response or API submission states, with the value the product computed and whether they agree.
Added with ALTER TABLE on both databases, and dropped the same way (SQLite 3.35+), so the
immutability triggers on ``assessments`` are kept: a batch copy would drop them.

Revision ID: f3b8d2a6c1e0
Revises: e7a3c5d9b214
Create Date: 2026-12-01 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "f3b8d2a6c1e0"
down_revision = "e7a3c5d9b214"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "assessments",
        sa.Column(
            "stated_totals",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
    )


def downgrade() -> None:
    op.drop_column("assessments", "stated_totals")
