"""Every registered route, classified once by what it opens.

Both generated access matrices use this one list: the API doors' (tests/api/test_access_doors.py)
and the pages' (tests/test_access_matrix.py). A route nobody classified fails both, so that
nobody adds a door without saying which rule guards it. Administration routes (``admin.*``) are
one class, ADMINISTRATION.
"""

from __future__ import annotations

#: What each route opens; the rule that guards it is in kernel/policy.py and its adapters.
PUBLIC = "public: no sign-in or token"
STAFF = "signed-in staff, no one person's record (dashboards, queues, forms)"
ADMINISTRATION = "administrators only, their own organisation's lane"
QUESTIONNAIRES = "questionnaires: not about a person"
CREATE = "creates a record (409 names the existing one)"
IDENTITY = "identity of a record (restricted where sharing is refused)"
CONTENT = "content of a record (404 where sharing is refused)"
WRITE = "writes to a record or its assessments (404 where sharing is refused)"
ACCESS_LOG = "who has seen the record (team managers, administrators)"
EMERGENCY = "break the glass (only where sharing is refused)"
REFERRAL = "referrals addressed to the caller's organisation"
ACCOUNT = "the signed-in user's own account and sign-in steps (no person's record)"
RETURN = "the person-level return: performance analysts, reports:read (sharing views applied)"
REPORTS = (
    "counts of outputs and outcomes (team managers, partnership leads, reports:read); "
    "people only in a team manager's 6-week breaches, as far as sharing allows"
)
BREACHES = (
    "the people whose support is overdue (team managers only; as far as sharing allows, "
    "each audited)"
)

CLASSIFIED: dict[str, str] = {
    "static": PUBLIC,
    "auth.sign_in": PUBLIC,
    "auth.sign_out": STAFF,
    "auth.second_factor": ACCOUNT,
    "auth.set_up_second_factor": ACCOUNT,
    "auth.account": ACCOUNT,
    "auth.change_password": ACCOUNT,
    "auth.new_recovery_codes": ACCOUNT,
    "api.openapi_document": PUBLIC,
    "api.docs": PUBLIC,
    "records.dashboard": STAFF,
    "records.find": IDENTITY,
    "records.new_client": CREATE,
    "records.client": IDENTITY,
    "records.edit_client": WRITE,
    "records.timeline": CONTENT,
    "records.sharing_views": WRITE,
    "records.seen_by": ACCESS_LOG,
    "records.break_glass": EMERGENCY,
    "assessments.start": WRITE,
    "assessments.task_list": CONTENT,
    "assessments.section": WRITE,
    "assessments.check": CONTENT,
    "assessments.submit": WRITE,
    "assessments.outcome": CONTENT,
    "assessments.answers": CONTENT,
    "assessments.print_view": CONTENT,
    "assessments.print_pdf": CONTENT,
    "assessments.override": WRITE,
    "assessments.discard": WRITE,
    "signoff.overview": CONTENT,
    "signoff.sign_off": WRITE,
    "signoff.co_sign": WRITE,
    "signoff.amend": WRITE,
    "signoff.changes": CONTENT,
    "reviews.confirm": CONTENT,
    "reviews.start": WRITE,
    "reviews.notes": CONTENT,
    "queue.index": STAFF,
    "queue.show": REFERRAL,
    "queue.accept": REFERRAL,
    "queue.decline": REFERRAL,
    "queue.complete": REFERRAL,
    "queue.raise_priority": REFERRAL,
    "api.list_questionnaires": QUESTIONNAIRES,
    "api.get_questionnaire": QUESTIONNAIRES,
    "api.get_questionnaire_version": QUESTIONNAIRES,
    "api.get_questionnaire_fhir": QUESTIONNAIRES,
    "api.import_fhir_questionnaire": QUESTIONNAIRES,
    "api.publish_questionnaire": QUESTIONNAIRES,
    "api.score": QUESTIONNAIRES,
    "api.create_client": CREATE,
    "api.find_clients": IDENTITY,
    "api.get_client": IDENTITY,
    "api.list_sharing_views": CONTENT,
    "api.record_sharing_view": WRITE,
    "api.create_assessment": WRITE,
    "api.get_assessment": CONTENT,
    "api.patch_assessment": WRITE,
    "api.amend_assessment": WRITE,
    "api.get_assessment_fhir": CONTENT,
    "api.get_assessment_answers": CONTENT,
    "api.import_fhir_response": WRITE,
    "api.list_referrals": REFERRAL,
    "api.get_referral": REFERRAL,
    "api.patch_referral": REFERRAL,
    "support.record": REFERRAL,
    "support.plan": REFERRAL,
    "support.queue": STAFF,
    "support.review": REFERRAL,
    "support.start_assessment": REFERRAL,
    "support.outcome": REFERRAL,
    "api.record_support": REFERRAL,
    "api.get_support_plan": REFERRAL,
    "api.get_support_plan_fhir": REFERRAL,
    "api.list_reviews": REFERRAL,
    "api.record_review_outcome": REFERRAL,
    "reports.quarterly_return_page": RETURN,
    "api.get_return": RETURN,
    "reports.index": REPORTS,
    "reports.breaches": BREACHES,
    "reports.table_csv": REPORTS,
    "api.get_outputs": REPORTS,
}
ADMIN_PREFIX = "admin."


def classify(endpoint: str) -> str | None:
    """The class of ``endpoint``, or None when nobody classified it."""
    if endpoint.startswith(ADMIN_PREFIX):
        return ADMINISTRATION
    return CLASSIFIED.get(endpoint)
