"""client date of birth index

Staff find a person by name and date of birth. Each word of the name may start the family or
the given name (an OR the name index cannot use), so PostgreSQL read every client: p95 48 ms at
200,000 clients. By date of birth first, it reads the few people born that day.

Revision ID: 3b8e5f0c2a71
Revises: 7c1e2a9b4d30
Create Date: 2026-11-22 13:20:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "3b8e5f0c2a71"
down_revision = "7c1e2a9b4d30"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_clients_date_of_birth", "clients", ["date_of_birth"])


def downgrade() -> None:
    op.drop_index("ix_clients_date_of_birth", table_name="clients")
