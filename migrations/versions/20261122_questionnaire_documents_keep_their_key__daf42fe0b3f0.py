"""questionnaire documents keep their key order

JSONB stores object keys in its own order (shortest first), so a questionnaire read back from
PostgreSQL had its sections and questions shuffled. Plain ``json`` keeps the text as written.
SQLite already keeps JSON as text: nothing to do there (and a batch table rebuild would drop the
triggers that keep published versions immutable).

Revision ID: daf42fe0b3f0
Revises: 521ce69d8bfb
Create Date: 2026-11-22 10:55:40.855398

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'daf42fe0b3f0'
down_revision = '521ce69d8bfb'
branch_labels = None
depends_on = None

COLUMNS = ("document", "rules", "test_cases")
OTHER_FROZEN = ("checksum", "version", "questionnaire_id")


def _guard(cast: str) -> str:
    """The trigger function that refuses changes to published versions, comparing the JSON
    columns as ``cast`` (``json`` has no equality operator; its text is what was written)."""
    changed = " OR ".join(
        [f"NEW.{c}{cast} IS DISTINCT FROM OLD.{c}{cast}" for c in COLUMNS]
        + [f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in OTHER_FROZEN]
    )
    return f"""
        CREATE OR REPLACE FUNCTION questionnaire_versions_frozen() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            IF OLD.status <> 'draft' THEN
              RAISE EXCEPTION 'published questionnaire versions are kept';
            END IF;
            RETURN OLD;
          END IF;
          IF OLD.status <> 'draft' AND ({changed}) THEN
            RAISE EXCEPTION 'a published questionnaire version cannot change';
          END IF;
          IF (OLD.status = 'retired' AND NEW.status <> 'retired')
             OR (OLD.status = 'published' AND NEW.status NOT IN ('published', 'retired')) THEN
            RAISE EXCEPTION 'a questionnaire version cannot go back to draft';
          END IF;
          RETURN NEW;
        END $$"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.alter_column(
            "questionnaire_versions",
            column,
            existing_type=postgresql.JSONB(astext_type=sa.Text()),
            type_=sa.JSON(),
            existing_nullable=False,
            postgresql_using=f"{column}::json",
        )
    op.execute(_guard("::text"))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in reversed(COLUMNS):
        op.alter_column(
            "questionnaire_versions",
            column,
            existing_type=sa.JSON(),
            type_=postgresql.JSONB(astext_type=sa.Text()),
            existing_nullable=False,
            postgresql_using=f"{column}::jsonb",
        )
    op.execute(_guard(""))
