"""users: the performance analyst role, who exports the person-level quarterly return

The role column is a VARCHAR with a named CHECK constraint of the roles (``db.enum_type``): the
constraint gains the new value and the column the longer name's length.

Revision ID: a4c8e2f61b37
Revises: e3a7c1d95b20
Create Date: 2026-12-01 16:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a4c8e2f61b37"
down_revision = "e3a7c1d95b20"
branch_labels = None
depends_on = None


def _role(*values: str) -> sa.Enum:
    return sa.Enum(*values, name="user_role", native_enum=False, create_constraint=True)


OLD = ("assessor", "team_manager", "administrator")
NEW = (*OLD, "performance_analyst")


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "role", existing_type=_role(*OLD), type_=_role(*NEW), existing_nullable=False
        )


def downgrade() -> None:
    # An analyst's account cannot keep a role that no longer exists: it is switched off.
    op.execute(
        "UPDATE users SET role = 'assessor', active = false WHERE role = 'performance_analyst'"
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "role", existing_type=_role(*NEW), type_=_role(*OLD), existing_nullable=False
        )
