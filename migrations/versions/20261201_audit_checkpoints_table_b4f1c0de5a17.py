"""audit checkpoints table

Signed checkpoints of the audit chain's head (records/checkpoints.py). Like the events they
sign, rows are only ever added: the database refuses to change or delete them.

Revision ID: b4f1c0de5a17
Revises: 8d41c7e2f5a9
Create Date: 2026-12-01 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "b4f1c0de5a17"
down_revision = "8d41c7e2f5a9"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", _ID, autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("head_event_id", _ID, nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("event_count", _ID, nullable=False),
        sa.Column("lost_after_event_id", _ID, nullable=True),
        sa.Column("lost_through_event_id", _ID, nullable=True),
        sa.Column("lost_count", _ID, nullable=True),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit checkpoints are append-only'; END $$"""
        )
        op.execute(
            """
            CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE
            ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only()"""
        )
        op.execute(
            """
            CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
            FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only()"""
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"""
                CREATE TRIGGER audit_checkpoints_no_{verb.lower()} BEFORE {verb}
                ON audit_checkpoints
                BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END"""
            )


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_checkpoints_append_only()")
