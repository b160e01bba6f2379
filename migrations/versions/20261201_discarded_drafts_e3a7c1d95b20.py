"""discarded drafts: when and by whom a draft was discarded; a discarded draft is kept as it was

A draft can be discarded by its author or a team manager of its organisation
(``kernel.policy.may_discard_draft``). It is kept, not deleted: these triggers refuse any change
to a discarded draft, and its deletion, on both databases. On SQLite the columns are added with
ALTER TABLE, not a batch copy of the table, so the triggers guarding assessments survive.

Revision ID: e3a7c1d95b20
Revises: 3f6b9a1c7d20
Create Date: 2026-12-01 14:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e3a7c1d95b20"
down_revision = "3f6b9a1c7d20"
branch_labels = None
depends_on = None

_MESSAGE = "a discarded draft is kept as it was"


def upgrade() -> None:
    op.add_column("assessments", sa.Column("discarded_at", sa.DateTime(timezone=True)))
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE assessments ADD COLUMN discarded_by_id INTEGER "
            "CONSTRAINT fk_assessments_discarded_by_id_users REFERENCES users (id)"
        )
        for name, when_on in (
            ("assessments_discarded_frozen", "BEFORE UPDATE ON assessments"),
            ("assessments_discarded_kept", "BEFORE DELETE ON assessments"),
        ):
            op.execute(
                f"""
                CREATE TRIGGER {name} {when_on} WHEN OLD.discarded_at IS NOT NULL
                BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"""
            )
        return
    op.add_column("assessments", sa.Column("discarded_by_id", sa.Integer()))
    op.create_foreign_key(
        "fk_assessments_discarded_by_id_users",
        "assessments",
        "users",
        ["discarded_by_id"],
        ["id"],
    )
    op.execute(
        f"""
        CREATE FUNCTION assessments_discarded_frozen() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF OLD.discarded_at IS NOT NULL THEN
            RAISE EXCEPTION '{_MESSAGE}';
          END IF;
          IF TG_OP = 'DELETE' THEN
            RETURN OLD;
          END IF;
          RETURN NEW;
        END $$"""
    )
    op.execute(
        """
        CREATE TRIGGER assessments_discarded_frozen BEFORE UPDATE OR DELETE ON assessments
        FOR EACH ROW EXECUTE FUNCTION assessments_discarded_frozen()"""
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS assessments_discarded_frozen")
        op.execute("DROP TRIGGER IF EXISTS assessments_discarded_kept")
        # ALTER TABLE DROP COLUMN (SQLite 3.35+), not a batch copy: a copy would lose the
        # triggers guarding assessments, and the others' triggers name the table.
        op.execute("ALTER TABLE assessments DROP COLUMN discarded_by_id")
        op.execute("ALTER TABLE assessments DROP COLUMN discarded_at")
        return
    op.execute("DROP TRIGGER IF EXISTS assessments_discarded_frozen ON assessments")
    op.execute("DROP FUNCTION IF EXISTS assessments_discarded_frozen()")
    op.drop_constraint("fk_assessments_discarded_by_id_users", "assessments", type_="foreignkey")
    op.drop_column("assessments", "discarded_by_id")
    op.drop_column("assessments", "discarded_at")
