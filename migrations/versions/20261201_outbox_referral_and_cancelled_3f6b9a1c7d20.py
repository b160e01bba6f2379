"""outbox: each referral notification keeps its referral's id, and may be cancelled

At delivery a referral that no longer waits (accepted, declined, completed) is not told of: the
row is marked cancelled. The referral's id is a key, not personal data.

Revision ID: 3f6b9a1c7d20
Revises: f3b8d2a6c1e0
Create Date: 2026-12-01 14:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3f6b9a1c7d20"
down_revision = "f3b8d2a6c1e0"
branch_labels = None
depends_on = None


def _status(*values: str) -> sa.Enum:
    return sa.Enum(*values, name="outbox_status", native_enum=False, create_constraint=True)


OLD = ("pending", "sent", "failed")
NEW = (*OLD, "cancelled")


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referral_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_referral_id"), ["referral_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_referral_id_referrals"),
            "referrals",
            ["referral_id"],
            ["id"],
        )
        batch_op.alter_column(
            "status", existing_type=_status(*OLD), type_=_status(*NEW), existing_nullable=False
        )


def downgrade() -> None:
    op.execute("UPDATE outbox_messages SET status = 'failed' WHERE status = 'cancelled'")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.alter_column(
            "status", existing_type=_status(*NEW), type_=_status(*OLD), existing_nullable=False
        )
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_messages_referral_id_referrals"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_outbox_messages_referral_id"))
        batch_op.drop_column("referral_id")
