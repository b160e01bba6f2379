"""signed-off and submitted records immutable in every table

A signed-off assessment was protected only in its own row: its decision's route, priority and
outcome, its referrals (even deleted), its co-signer and the answers of a submitted but not yet
signed-off assessment could all be changed in SQL. These triggers refuse, on both databases:

- assessments: once submitted, the answers, version, person, organisation, submitter and
  amendment link never change, and the row is kept; once signed off, the sign-off fields and
  status too, and a co-signature is set once.
- decisions: of a signed-off assessment, no change at all; of a submitted one, only an
  override (route, priority, reason, who, when); kept once the assessment is submitted.
- referrals: never moved to another assessment, decision, person, service or organisation;
  kept once the assessment is submitted; of a signed-off
  assessment only the status and its timestamps, the assignee and the row version change (its
  priority and urgency are frozen here; a priority raised with a reason is to be let through by
  the migration that adds the reason's column).

Revision ID: c9d2e7a41f68
Revises: b4f1c0de5a17
Create Date: 2026-12-01 10:30:00.000000

"""

from alembic import op

revision = "c9d2e7a41f68"
down_revision = "b4f1c0de5a17"
branch_labels = None
depends_on = None

_SUBMITTED = (
    "answers",
    "questionnaire_version_id",
    "client_id",
    "organisation_id",
    "submitted_at",
    "submitted_by_id",
    "amends_id",
    "started_by_id",
    "created_at",
)
_SIGNED = (*_SUBMITTED, "status", "signed_off_at", "signed_off_by_id")
_COSIGNED = ("cosigned_at", "cosigned_by_id")
_DECISION_RESULT = (
    "assessment_id",
    "kind",
    "ruleset",
    "computed_route",
    "computed_priority",
    "outcome",
    "created_at",
    "created_by_id",
)
_REFERRAL_LINK = (
    "assessment_id",
    "decision_id",
    "client_id",
    "service_id",
    "organisation_id",
    "created_at",
)
#: What a signed-off assessment's referral keeps besides its link, unless it is raised: a raise
#: records when, by whom and why (``assessments.referrals.raise_priority``) and never lowers.
_REFERRAL_SIGNED = ("priority", "urgency")
_PRIORITIES = ("critical", "substantial", "moderate", "low", "no_risk")
_URGENCIES = ("same_day", "urgent", "routine")


def _rank(column, values):
    whens = " ".join(f"WHEN '{value}' THEN {n}" for n, value in enumerate(values))
    return f"(CASE CAST({column} AS TEXT) {whens} ELSE {len(values)} END)"


def _raised(distinct):
    """The update records a raise, with its reason, and lowers neither priority nor urgency."""
    return (
        f"(NEW.priority_raised_at {distinct} OLD.priority_raised_at"
        " AND NEW.priority_reason IS NOT NULL"
        f" AND {_rank('NEW.priority', _PRIORITIES)} <= {_rank('OLD.priority', _PRIORITIES)}"
        f" AND {_rank('NEW.urgency', _URGENCIES)} <= {_rank('OLD.urgency', _URGENCIES)})"
    )

# The guards of the initial schema that these replace (restored by the downgrade).
_OLD_SIGNED = (
    "status",
    "answers",
    "questionnaire_version_id",
    "client_id",
    "organisation_id",
    "submitted_at",
    "submitted_by_id",
    "signed_off_at",
    "signed_off_by_id",
    "amends_id",
)


def _changed(columns, distinct):
    return " OR ".join(f"NEW.{c} {distinct} OLD.{c}" for c in columns)


def _cosign_changed(distinct):
    return " OR ".join(f"(OLD.{c} IS NOT NULL AND NEW.{c} {distinct} OLD.{c})" for c in _COSIGNED)


def _state(row):
    return f"(SELECT status FROM assessments WHERE id = {row}.assessment_id)"


def _upgrade_postgresql():
    d = "IS DISTINCT FROM"
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION assessments_signed_off_frozen() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            IF OLD.status <> 'draft' THEN
              RAISE EXCEPTION 'a submitted or signed-off assessment is kept';
            END IF;
            RETURN OLD;
          END IF;
          IF OLD.status = 'signed_off' AND ({_changed(_SIGNED, d)} OR {_cosign_changed(d)}) THEN
            RAISE EXCEPTION 'a signed-off assessment cannot change';
          END IF;
          IF OLD.status = 'submitted' AND ({_changed(_SUBMITTED, d)}
              OR NEW.status NOT IN ('submitted', 'signed_off')) THEN
            RAISE EXCEPTION 'a submitted assessment''s answers cannot change; amend it instead';
          END IF;
          RETURN NEW;
        END $$"""
    )
    _row_guard(
        "decisions",
        updated=f"""
          IF state = 'signed_off' THEN
            RAISE EXCEPTION 'the decisions of a signed-off assessment cannot change';
          END IF;
          IF {_changed(_DECISION_RESULT, d)} THEN
            RAISE EXCEPTION 'a decision''s computed result cannot change';
          END IF;""",
    )
    _row_guard(
        "referrals",
        updated=f"""
          IF {_changed(_REFERRAL_LINK, d)} THEN
            RAISE EXCEPTION 'a referral''s assessment, decision, person and service cannot change';
          END IF;
          IF state = 'signed_off' AND ({_changed(_REFERRAL_SIGNED, d)}) AND NOT {_raised(d)} THEN
            RAISE EXCEPTION 'a signed-off assessment''s referral keeps its priority and urgency';
          END IF;""",
    )


def _row_guard(table, *, updated):
    """A trigger on a row of an assessment: ``state`` is the assessment's status; rows of a
    submitted assessment are kept; ``updated`` refuses an update."""
    op.execute(
        f"""
        CREATE FUNCTION {table}_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE state text;
        BEGIN
          SELECT status::text INTO state FROM assessments WHERE id = OLD.assessment_id;
          IF TG_OP = 'DELETE' THEN
            IF state <> 'draft' THEN
              RAISE EXCEPTION 'the {table} of a submitted assessment are kept';
            END IF;
            RETURN OLD;
          END IF;{updated}
          RETURN NEW;
        END $$"""
    )
    op.execute(
        f"""
        CREATE TRIGGER {table}_frozen BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {table}_frozen()"""
    )


_SQLITE = (
    (
        "assessments_signed_off_frozen",
        "BEFORE UPDATE ON assessments",
        f"OLD.status = 'signed_off' AND ({_changed(_SIGNED, 'IS NOT')} OR {_cosign_changed('IS NOT')})",
        "a signed-off assessment cannot change",
    ),
    (
        "assessments_submitted_frozen",
        "BEFORE UPDATE ON assessments",
        f"OLD.status = 'submitted' AND ({_changed(_SUBMITTED, 'IS NOT')}"
        " OR NEW.status NOT IN ('submitted', 'signed_off'))",
        "a submitted assessment''s answers cannot change; amend it instead",
    ),
    (
        "assessments_signed_off_kept",
        "BEFORE DELETE ON assessments",
        "OLD.status <> 'draft'",
        "a submitted or signed-off assessment is kept",
    ),
    (
        "decisions_kept",
        "BEFORE DELETE ON decisions",
        f"{_state('OLD')} <> 'draft'",
        "the decisions of a submitted assessment are kept",
    ),
    (
        "decisions_signed_off_frozen",
        "BEFORE UPDATE ON decisions",
        f"{_state('OLD')} = 'signed_off'",
        "the decisions of a signed-off assessment cannot change",
    ),
    (
        "decisions_result_frozen",
        "BEFORE UPDATE ON decisions",
        _changed(_DECISION_RESULT, "IS NOT"),
        "a decision''s computed result cannot change",
    ),
    (
        "referrals_kept",
        "BEFORE DELETE ON referrals",
        f"{_state('OLD')} <> 'draft'",
        "the referrals of a submitted assessment are kept",
    ),
    (
        "referrals_link_frozen",
        "BEFORE UPDATE ON referrals",
        _changed(_REFERRAL_LINK, "IS NOT"),
        "a referral''s assessment, decision, person and service cannot change",
    ),
    (
        "referrals_signed_off_frozen",
        "BEFORE UPDATE ON referrals",
        f"{_state('OLD')} = 'signed_off' AND ({_changed(_REFERRAL_SIGNED, 'IS NOT')})"
        f" AND NOT {_raised('IS NOT')}",
        "a signed-off assessment''s referral keeps its priority and urgency",
    ),
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
        return
    op.execute("DROP TRIGGER IF EXISTS assessments_signed_off_frozen")
    op.execute("DROP TRIGGER IF EXISTS assessments_signed_off_kept")
    for name, when_on, condition, message in _SQLITE:
        op.execute(
            f"""
            CREATE TRIGGER {name} {when_on} WHEN {condition}
            BEGIN SELECT RAISE(ABORT, '{message}'); END"""
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS referrals_frozen ON referrals")
        op.execute("DROP FUNCTION IF EXISTS referrals_frozen()")
        op.execute("DROP TRIGGER IF EXISTS decisions_frozen ON decisions")
        op.execute("DROP FUNCTION IF EXISTS decisions_frozen()")
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION assessments_signed_off_frozen() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN
                IF OLD.status = 'signed_off' THEN
                  RAISE EXCEPTION 'a signed-off assessment is kept';
                END IF;
                RETURN OLD;
              END IF;
              IF OLD.status = 'signed_off' AND ({_changed(_OLD_SIGNED, "IS DISTINCT FROM")}) THEN
                RAISE EXCEPTION 'a signed-off assessment cannot change';
              END IF;
              RETURN NEW;
            END $$"""
        )
        return
    for name, *_rest in _SQLITE:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(
        f"""
        CREATE TRIGGER assessments_signed_off_frozen BEFORE UPDATE ON assessments
        WHEN OLD.status = 'signed_off' AND ({_changed(_OLD_SIGNED, "IS NOT")})
        BEGIN SELECT RAISE(ABORT, 'a signed-off assessment cannot change'); END"""
    )
    op.execute(
        """
        CREATE TRIGGER assessments_signed_off_kept BEFORE DELETE ON assessments
        WHEN OLD.status = 'signed_off'
        BEGIN SELECT RAISE(ABORT, 'a signed-off assessment is kept'); END"""
    )
