"""audit events link the records a search showed

A search's audit event named nobody, so searches never appeared on "who has seen this record".
Each search now links the records it showed through this table, indexed by client.

Revision ID: 5d2c8e71a4b9
Revises: b5d1f0a2c3e4
Create Date: 2026-12-01 10:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5d2c8e71a4b9"
down_revision = "b5d1f0a2c3e4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event_clients",
        sa.Column(
            "audit_event_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_event_id"],
            ["audit_events.id"],
            name=op.f("fk_audit_event_clients_audit_event_id_audit_events"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_audit_event_clients_client_id_clients")
        ),
        sa.PrimaryKeyConstraint(
            "audit_event_id", "client_id", name=op.f("pk_audit_event_clients")
        ),
    )
    op.create_index(
        "ix_audit_event_clients_client_id_audit_event_id",
        "audit_event_clients",
        ["client_id", "audit_event_id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_audit_event_clients_client_id_audit_event_id", table_name="audit_event_clients"
    )
    op.drop_table("audit_event_clients")
