"""audit chain partitions: each event names its chain; checkpoints sign every chain's head

The audit trail is split into chains, each with its own lock (kernel/audit.py). Every event
recorded before this revision was chained as one sequence: they all stay in chain 0, where
they verify as they did. A checkpoint now signs the heads of every chain (``heads``) and their
Merkle root (in ``head_hash``); the checkpoints signed before keep their signatures and name
chain 0's head. On SQLite the columns are added with ALTER TABLE, not a batch copy of the
table, so the triggers guarding the audit tables survive.

Revision ID: c71d5e08a93f
Revises: a4c8e2f61b37
Create Date: 2026-12-01 16:20:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "c71d5e08a93f"
down_revision = "a4c8e2f61b37"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE audit_events ADD COLUMN chain SMALLINT NOT NULL DEFAULT '0'")
        op.execute("ALTER TABLE audit_checkpoints ADD COLUMN heads JSON")
    else:
        op.add_column(
            "audit_events",
            sa.Column("chain", sa.SmallInteger(), nullable=False, server_default="0"),
        )
        op.add_column("audit_checkpoints", sa.Column("heads", postgresql.JSONB()))
    op.create_index("ix_audit_events_chain_id", "audit_events", ["chain", "id"])


def downgrade() -> None:
    # Only a trail that is still one chain can go back (its events would not verify otherwise).
    spread = op.get_bind().scalar(sa.text("SELECT count(*) FROM audit_events WHERE chain <> 0"))
    if spread:
        raise RuntimeError(
            f"{spread} audit event(s) are in chains other than 0: the trail cannot go back to "
            "one chain without breaking it."
        )
    op.drop_index("ix_audit_events_chain_id", table_name="audit_events")
    # ALTER TABLE DROP COLUMN (SQLite 3.35+), not a batch copy, which would lose the triggers.
    op.execute("ALTER TABLE audit_checkpoints DROP COLUMN heads")
    op.execute("ALTER TABLE audit_events DROP COLUMN chain")
