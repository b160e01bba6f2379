"""initial schema, with database guards for what must never change

Revision ID: 23ca9004e0b7
Revises: 
Create Date: 2026-11-22 10:08:12.396486

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# Below the application: the database itself refuses to change a published questionnaire version
# or a signed-off assessment, or to change or delete an audit event. The ORM refuses the same with
# clearer messages (see the models); these catch writes that bypass it.
_FROZEN_VERSION_COLUMNS = ("document", "rules", "test_cases", "checksum", "version", "questionnaire_id")
_SIGNED_COLUMNS = (
    "status", "answers", "questionnaire_version_id", "client_id", "organisation_id", "submitted_at",
    "submitted_by_id", "signed_off_at", "signed_off_by_id", "amends_id",
)


def _changed(columns, distinct):
    return " OR ".join(f"NEW.{c} {distinct} OLD.{c}" for c in columns)


def _create_guards():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$""")
        op.execute("""
            CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
            FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""")
        op.execute("""
            CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
            FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()""")
        op.execute(f"""
            CREATE FUNCTION questionnaire_versions_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN
                IF OLD.status <> 'draft' THEN
                  RAISE EXCEPTION 'published questionnaire versions are kept';
                END IF;
                RETURN OLD;
              END IF;
              IF OLD.status <> 'draft' AND ({_changed(_FROZEN_VERSION_COLUMNS, "IS DISTINCT FROM")}) THEN
                RAISE EXCEPTION 'a published questionnaire version cannot change';
              END IF;
              IF (OLD.status = 'retired' AND NEW.status <> 'retired')
                 OR (OLD.status = 'published' AND NEW.status NOT IN ('published', 'retired')) THEN
                RAISE EXCEPTION 'a questionnaire version cannot go back to draft';
              END IF;
              RETURN NEW;
            END $$""")
        op.execute("""
            CREATE TRIGGER questionnaire_versions_frozen BEFORE UPDATE OR DELETE
            ON questionnaire_versions FOR EACH ROW EXECUTE FUNCTION questionnaire_versions_frozen()""")
        op.execute(f"""
            CREATE FUNCTION assessments_signed_off_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN
                IF OLD.status = 'signed_off' THEN
                  RAISE EXCEPTION 'a signed-off assessment is kept';
                END IF;
                RETURN OLD;
              END IF;
              IF OLD.status = 'signed_off' AND ({_changed(_SIGNED_COLUMNS, "IS DISTINCT FROM")}) THEN
                RAISE EXCEPTION 'a signed-off assessment cannot change';
              END IF;
              RETURN NEW;
            END $$""")
        op.execute("""
            CREATE TRIGGER assessments_signed_off_frozen BEFORE UPDATE OR DELETE ON assessments
            FOR EACH ROW EXECUTE FUNCTION assessments_signed_off_frozen()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events
                BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""")
        op.execute(f"""
            CREATE TRIGGER questionnaire_versions_frozen BEFORE UPDATE ON questionnaire_versions
            WHEN OLD.status <> 'draft' AND ({_changed(_FROZEN_VERSION_COLUMNS, "IS NOT")}
              OR (OLD.status = 'retired' AND NEW.status <> 'retired')
              OR (OLD.status = 'published' AND NEW.status NOT IN ('published', 'retired')))
            BEGIN SELECT RAISE(ABORT, 'a published questionnaire version cannot change'); END""")
        op.execute("""
            CREATE TRIGGER questionnaire_versions_kept BEFORE DELETE ON questionnaire_versions
            WHEN OLD.status <> 'draft'
            BEGIN SELECT RAISE(ABORT, 'published questionnaire versions are kept'); END""")
        op.execute(f"""
            CREATE TRIGGER assessments_signed_off_frozen BEFORE UPDATE ON assessments
            WHEN OLD.status = 'signed_off' AND ({_changed(_SIGNED_COLUMNS, "IS NOT")})
            BEGIN SELECT RAISE(ABORT, 'a signed-off assessment cannot change'); END""")
        op.execute("""
            CREATE TRIGGER assessments_signed_off_kept BEFORE DELETE ON assessments
            WHEN OLD.status = 'signed_off'
            BEGIN SELECT RAISE(ABORT, 'a signed-off assessment is kept'); END""")


def _drop_guards():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS assessments_signed_off_frozen ON assessments")
        op.execute("DROP FUNCTION IF EXISTS assessments_signed_off_frozen()")
        op.execute("DROP TRIGGER IF EXISTS questionnaire_versions_frozen ON questionnaire_versions")
        op.execute("DROP FUNCTION IF EXISTS questionnaire_versions_frozen()")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        for name in ("assessments_signed_off_kept", "assessments_signed_off_frozen",
                     "questionnaire_versions_kept", "questionnaire_versions_frozen",
                     "audit_events_no_delete", "audit_events_no_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")

# revision identifiers, used by Alembic.
revision = '23ca9004e0b7'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('health', 'social_care', 'community', name='organisation_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('contact', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('slug', name=op.f('uq_organisations_slug'))
    )
    op.create_table('questionnaires',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaires')),
    sa.UniqueConstraint('key', name=op.f('uq_questionnaires_key'))
    )
    op.create_table('services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('health', 'social_care', 'community', name='service_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_services_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services')),
    sa.UniqueConstraint('slug', name=op.f('uq_services_slug'))
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_services_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('assessor', 'team_manager', 'administrator', name='user_role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('job_title', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_signed_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_users_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('record_type', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_audit_events_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_events_hash'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_client_id_occurred_at', ['client_id', 'occurred_at'], unique=False)

    op.create_table('clients',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('chi', sa.String(length=10), nullable=False),
    sa.Column('nhs_number', sa.String(length=10), nullable=True),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('given_name_key', sa.String(length=100), nullable=False),
    sa.Column('family_name_key', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('postcode', sa.String(length=8), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('gp_practice', sa.String(length=200), nullable=False),
    sa.Column('communication_needs', sa.Text(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('length(chi) = 10', name=op.f('ck_clients_chi_length')),
    sa.CheckConstraint('nhs_number IS NULL OR length(nhs_number) = 10', name=op.f('ck_clients_nhs_number_length')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_clients_created_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_clients_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clients')),
    sa.UniqueConstraint('chi', name=op.f('uq_clients_chi')),
    sa.UniqueConstraint('nhs_number', name=op.f('uq_clients_nhs_number'))
    )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.create_index('ix_clients_name_keys_dob', ['family_name_key', 'date_of_birth', 'given_name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_clients_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('questionnaire_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'retired', name='version_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('rules', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('test_cases', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_questionnaire_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_questionnaire_versions_published_by_id_users')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'], name=op.f('fk_questionnaire_versions_questionnaire_id_questionnaires')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_versions')),
    sa.UniqueConstraint('questionnaire_id', 'version', name=op.f('uq_questionnaire_versions_questionnaire_id_version'))
    )
    with op.batch_alter_table('questionnaire_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_versions_questionnaire_id'), ['questionnaire_id'], unique=False)

    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('assessments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('questionnaire_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'signed_off', name='assessment_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_off_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_off_by_id', sa.Integer(), nullable=True),
    sa.Column('cosigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cosigned_by_id', sa.Integer(), nullable=True),
    sa.Column('amends_id', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['amends_id'], ['assessments.id'], name=op.f('fk_assessments_amends_id_assessments')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_assessments_client_id_clients')),
    sa.ForeignKeyConstraint(['cosigned_by_id'], ['users.id'], name=op.f('fk_assessments_cosigned_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_assessments_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['questionnaire_version_id'], ['questionnaire_versions.id'], name=op.f('fk_assessments_questionnaire_version_id_questionnaire_versions')),
    sa.ForeignKeyConstraint(['signed_off_by_id'], ['users.id'], name=op.f('fk_assessments_signed_off_by_id_users')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_assessments_started_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_assessments_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessments_amends_id'), ['amends_id'], unique=False)
        batch_op.create_index('ix_assessments_client_id_created_at', ['client_id', 'created_at'], unique=False)
        batch_op.create_index('ix_assessments_organisation_id_status', ['organisation_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessments_questionnaire_version_id'), ['questionnaire_version_id'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('assessment_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('submission', 'what_if', name='decision_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('ruleset', sa.String(length=80), nullable=False),
    sa.Column('computed_route', sa.Enum('health', 'social_care', 'both', 'community', name='decision_computed_route', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('computed_priority', sa.Enum('critical', 'substantial', 'moderate', 'low', 'no_risk', name='decision_computed_priority', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('route', sa.Enum('health', 'social_care', 'both', 'community', name='decision_route', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('priority', sa.Enum('critical', 'substantial', 'moderate', 'low', 'no_risk', name='decision_priority', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('outcome', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('overridden_by_id', sa.Integer(), nullable=True),
    sa.Column('overridden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_decisions_assessment_id_assessments')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_decisions_created_by_id_users')),
    sa.ForeignKeyConstraint(['overridden_by_id'], ['users.id'], name=op.f('fk_decisions_overridden_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions'))
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('assessment_id', sa.Uuid(), nullable=False),
    sa.Column('decision_id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', 'completed', name='referral_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('priority', sa.Enum('critical', 'substantial', 'moderate', 'low', 'no_risk', name='referral_priority', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('urgency', sa.Enum('same_day', 'urgent', 'routine', name='referral_urgency', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_referrals_accepted_by_id_users')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_referrals_assessment_id_assessments')),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['users.id'], name=op.f('fk_referrals_assigned_to_id_users')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_referrals_client_id_clients')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_referrals_decision_id_decisions')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_referrals_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_referrals_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_referrals_queue', ['organisation_id', 'status', 'priority', 'created_at'], unique=False)

    # ### end Alembic commands ###

    _create_guards()


def downgrade():
    _drop_guards()
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_queue')
        batch_op.drop_index(batch_op.f('ix_referrals_client_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_assessment_id'))

    op.drop_table('referrals')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_assessment_id'))

    op.drop_table('decisions')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_questionnaire_version_id'))
        batch_op.drop_index('ix_assessments_organisation_id_status')
        batch_op.drop_index('ix_assessments_client_id_created_at')
        batch_op.drop_index(batch_op.f('ix_assessments_amends_id'))

    op.drop_table('assessments')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
    with op.batch_alter_table('questionnaire_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_versions_questionnaire_id'))

    op.drop_table('questionnaire_versions')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clients_organisation_id'))
        batch_op.drop_index('ix_clients_name_keys_dob')

    op.drop_table('clients')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_client_id_occurred_at')

    op.drop_table('audit_events')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_organisation_id'))

    op.drop_table('users')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_organisation_id'))

    op.drop_table('services')
    op.drop_table('questionnaires')
    op.drop_table('organisations')
    # ### end Alembic commands ###
