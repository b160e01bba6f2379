"""marshmallow schemas of every API request and response; the OpenAPI document is made from them.

Request schemas refuse unknown fields (marshmallow's default ``RAISE``), so a misspelt field is
a 422 with its pointer, never silently dropped.
"""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from ..assessments.models import AssessmentStatus, ReferralStatus
from ..records.models import SharingStatus
from ..scoring.outcomes import Priority, Route, Urgency

MAX_PAGE = 200
DEFAULT_PAGE = 50


def _values(enum_cls: Any) -> list[str]:
    return [member.value for member in enum_cls]


# ------------------------------------------------------------------------------ shared pieces


class ProblemErrorSchema(Schema):
    pointer = fields.Str(metadata={"description": "JSON Pointer into the request body."})
    parameter = fields.Str(metadata={"description": "A query parameter or header."})
    message = fields.Str(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.Str(required=True)
    title = fields.Str(required=True)
    status = fields.Int(required=True)
    detail = fields.Str(required=True)
    errors = fields.List(fields.Nested(ProblemErrorSchema))
    existing_id = fields.Str(
        metadata={"description": "On 409 for a duplicate CHI: the existing record's id."}
    )
    report = fields.List(
        fields.Nested(lambda: ImportReportEntrySchema()),
        metadata={"description": "On a refused FHIR import: what could not be represented."},
    )


class PageQuerySchema(Schema):
    limit = fields.Int(
        load_default=DEFAULT_PAGE,
        strict=False,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": f"Items per page, 1 to {MAX_PAGE} (default {DEFAULT_PAGE})."},
    )
    cursor = fields.Str(
        load_default=None,
        validate=validate.Length(max=500),
        metadata={"description": "The next_cursor of the previous page."},
    )


class EmptySchema(Schema):
    """No fields: an empty object (or no body at all)."""


class FhirResourceSchema(Schema):
    """A FHIR R4 resource as JSON; its content is checked by the FHIR mapping, not here."""

    class Meta:
        unknown = INCLUDE

    resourceType = fields.Str(required=True)


# ------------------------------------------------------------------------------ questionnaires


class QuestionnaireSummarySchema(Schema):
    key = fields.Str(required=True)
    version = fields.Int(required=True)
    title = fields.Str(required=True)


class QuestionnaireListSchema(Schema):
    items = fields.List(fields.Nested(QuestionnaireSummarySchema), required=True)
    next_cursor = fields.Str(required=True, allow_none=True)


class QuestionnaireVersionSchema(Schema):
    key = fields.Str(required=True)
    version = fields.Int(required=True)
    title = fields.Str(required=True)
    status = fields.Str(required=True, validate=validate.OneOf(["draft", "published", "retired"]))
    checksum = fields.Str(required=True)
    published_at = fields.Str(required=True, allow_none=True, metadata={"format": "date-time"})
    document = fields.Dict(
        required=True, metadata={"description": "The JSON Schema (2020-12) document."}
    )


class ScoreRequestSchema(Schema):
    answers = fields.Dict(keys=fields.Str(), required=True)
    version = fields.Int(strict=True, validate=validate.Range(min=1, max=999_999))


class ImportReportEntrySchema(Schema):
    linkId = fields.Str(required=True, allow_none=True)
    message = fields.Str(required=True)


class QuestionnaireImportSchema(Schema):
    key = fields.Str(required=True)
    version = fields.Int(required=True)
    status = fields.Str(required=True)
    report = fields.List(fields.Nested(ImportReportEntrySchema), required=True)


# ------------------------------------------------------------------------------------ decision


class ServiceReferralSchema(Schema):
    service = fields.Str(required=True)
    organisation = fields.Str(required=True, allow_none=True)
    urgency = fields.Str(required=True, validate=validate.OneOf(_values(Urgency)))
    #: The referral's own priority (absent from decisions made before referrals carried one).
    priority = fields.Str(validate=validate.OneOf(_values(Priority)))


class TraceEntrySchema(Schema):
    rule = fields.Str(required=True)
    fired = fields.Bool(required=True)
    inputs = fields.Dict(keys=fields.Str(), required=True)
    because = fields.Str(required=True)


class OverrideSchema(Schema):
    route = fields.Str(required=True)
    priority = fields.Str(required=True)
    computed_route = fields.Str(required=True)
    computed_priority = fields.Str(required=True)
    reason = fields.Str(required=True, allow_none=True)
    at = fields.Str(required=True, allow_none=True, metadata={"format": "date-time"})


class DecisionSchema(Schema):
    route = fields.Str(required=True, validate=validate.OneOf(_values(Route)))
    priority = fields.Str(required=True, validate=validate.OneOf(_values(Priority)))
    scores = fields.Dict(keys=fields.Str(), values=fields.Float(), required=True)
    bands = fields.Dict(keys=fields.Str(), values=fields.Str(), required=True)
    flags = fields.List(fields.Str(), required=True)
    services = fields.List(fields.Nested(ServiceReferralSchema), required=True)
    trace = fields.List(fields.Nested(TraceEntrySchema), required=True)
    ruleset = fields.Str(required=True)
    override = fields.Nested(OverrideSchema, required=True, allow_none=True)


class StatedTotalSchema(Schema):
    title = fields.Str(required=True, metadata={"description": "The total's name, in words"})
    stated = fields.Raw(required=True, allow_none=True, metadata={"description": "As sent"})
    computed = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "What the product computes (null: answers it needs missing)"},
    )
    agrees = fields.Bool(required=True)
    message = fields.Str(required=True, metadata={"description": "Both values, in words"})
    pointer = fields.Str(metadata={"description": "The calculated question it was sent for"})
    score = fields.Str(metadata={"description": "The rules' score it was sent for"})


class WarningSchema(Schema):
    pointer = fields.Str(required=True)
    message = fields.Str(required=True)


def _stated_totals_field() -> fields.Dict:
    return fields.Dict(
        keys=fields.Str(),
        values=fields.Nested(StatedTotalSchema),
        required=True,
        metadata={
            "description": "Each total the sender stated (by answer pointer, or by score name "
            "for a FHIR response to an imported questionnaire) beside the one the product "
            "computes; the computed one decides. Shown as the decision is."
        },
    )


def _warnings_field() -> fields.List[Any]:
    return fields.List(
        fields.Nested(WarningSchema),
        required=True,
        metadata={"description": "A stated total that differs from the computed one, in words"},
    )


class ScoreResponseSchema(Schema):
    key = fields.Str(required=True)
    version = fields.Int(required=True)
    decision = fields.Nested(DecisionSchema, required=True)
    stated_totals = _stated_totals_field()
    warnings = _warnings_field()


# ------------------------------------------------------------------------------------- clients


class ClientCreateSchema(Schema):
    chi = fields.Str(required=True, validate=validate.Length(min=1, max=20))
    given_name = fields.Str(required=True, validate=validate.Length(max=200))
    family_name = fields.Str(required=True, validate=validate.Length(max=200))
    date_of_birth = fields.Date(required=True)
    nhs_number = fields.Str(load_default="", validate=validate.Length(max=20))
    postcode = fields.Str(load_default="", validate=validate.Length(max=20))
    address = fields.Str(load_default="", validate=validate.Length(max=1000))
    gp_practice = fields.Str(load_default="", validate=validate.Length(max=1000))
    communication_needs = fields.Str(load_default="", validate=validate.Length(max=8000))


class ClientQuerySchema(PageQuerySchema):
    chi = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "The CHI number, exact."},
    )


_DETAIL = {"description": "Absent where the record is restricted for your organisation."}


class ClientSchema(Schema):
    id = fields.Str(required=True)
    chi = fields.Str(required=True)
    given_name = fields.Str(required=True)
    family_name = fields.Str(required=True)
    date_of_birth = fields.Str(required=True, metadata={"format": "date"})
    organisation = fields.Str(required=True, metadata={"description": "Who recorded the person."})
    restricted = fields.Bool(
        required=True,
        metadata={
            "description": "True where the person's sharing views keep the record's details and "
            "content from your organisation: only the identity is given, and whom to contact."
        },
    )
    contact = fields.Str(
        required=True,
        allow_none=True,
        metadata={
            "description": "Where restricted: the organisation (slug) that recorded the view in "
            "force, to contact about the person."
        },
    )
    nhs_number = fields.Str(allow_none=True, metadata=_DETAIL)
    postcode = fields.Str(allow_none=True, metadata=_DETAIL)
    address = fields.Str(metadata=_DETAIL)
    gp_practice = fields.Str(metadata=_DETAIL)
    communication_needs = fields.Str(metadata=_DETAIL)
    created_at = fields.Str(metadata={**_DETAIL, "format": "date-time"})
    updated_at = fields.Str(metadata={**_DETAIL, "format": "date-time"})


class TimelineEntrySchema(Schema):
    at = fields.Str(required=True, metadata={"format": "date-time"})
    event = fields.Str(
        required=True,
        validate=validate.OneOf(
            [
                "assessment.started",
                "assessment.submitted",
                "assessment.signed_off",
                "assessment.discarded",
                "referral.created",
                "referral.accepted",
                "referral.declined",
                "referral.completed",
            ]
        ),
    )
    organisation = fields.Str(required=True)
    assessment_id = fields.Str(required=True)
    questionnaire = fields.Str(required=True, metadata={"description": "key@version"})
    referral_id = fields.Str(allow_none=True)
    service = fields.Str(allow_none=True)
    route = fields.Str(allow_none=True)
    priority = fields.Str(allow_none=True)


class ClientDetailSchema(ClientSchema):
    timeline = fields.List(
        fields.Nested(TimelineEntrySchema),
        metadata={"description": "Absent where the record is restricted for your organisation."},
    )


class ClientListSchema(Schema):
    items = fields.List(fields.Nested(ClientSchema), required=True)
    next_cursor = fields.Str(required=True, allow_none=True)


class SharingViewCreateSchema(Schema):
    status = fields.Str(required=True, validate=validate.OneOf([s.value for s in SharingStatus]))
    partners = fields.List(
        fields.Str(validate=validate.Length(min=1, max=64)),
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "The partner organisations' slugs the view covers."},
    )
    stated_on = fields.Date(
        required=True, metadata={"description": "The day the person gave this view."}
    )
    notes = fields.Str(load_default="", validate=validate.Length(max=2000))


class SharingViewSchema(Schema):
    id = fields.Str(required=True)
    status = fields.Str(required=True)
    partners = fields.List(fields.Str(), required=True)
    stated_on = fields.Str(required=True, metadata={"format": "date"})
    notes = fields.Str(required=True)
    recorded_at = fields.Str(required=True, metadata={"format": "date-time"})
    recorded_by = fields.Str(
        required=True,
        allow_none=True,
        metadata={"description": "The person, or null for a system."},
    )
    recorded_by_organisation = fields.Str(required=True)


class SharingViewListSchema(Schema):
    items = fields.List(fields.Nested(SharingViewSchema), required=True)
    next_cursor = fields.Str(required=True, allow_none=True)


# --------------------------------------------------------------------------------- assessments

_WRITABLE_STATUSES = [AssessmentStatus.DRAFT.value, AssessmentStatus.SUBMITTED.value]


class AssessmentCreateSchema(Schema):
    client_id = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    questionnaire = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    version = fields.Int(strict=True, validate=validate.Range(min=1, max=999_999))
    answers = fields.Dict(keys=fields.Str(), load_default=dict)
    status = fields.Str(required=True, validate=validate.OneOf(_WRITABLE_STATUSES))


class AssessmentPatchSchema(Schema):
    answers = fields.Dict(keys=fields.Str())
    status = fields.Str(validate=validate.OneOf(_WRITABLE_STATUSES))

    @validates_schema
    def _something(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Send answers, status or both.")


class AmendmentCreateSchema(Schema):
    answers = fields.Dict(
        keys=fields.Str(),
        metadata={"description": "The amended answers (default: the original's answers)."},
    )
    status = fields.Str(load_default="draft", validate=validate.OneOf(_WRITABLE_STATUSES))


_BY = (
    "The name of the member of staff who did it; null if it was not done, or was done by a "
    "partner system through this API (the audit trail names the system)."
)


class ReferralSchema(Schema):
    id = fields.Str(required=True)
    assessment_id = fields.Str(required=True)
    client_id = fields.Str(required=True)
    service = fields.Str(required=True)
    service_name = fields.Str(required=True)
    organisation = fields.Str(required=True)
    status = fields.Str(required=True, validate=validate.OneOf(_values(ReferralStatus)))
    priority = fields.Str(required=True, validate=validate.OneOf(_values(Priority)))
    urgency = fields.Str(required=True, validate=validate.OneOf(_values(Urgency)))
    created_at = fields.Str(required=True, metadata={"format": "date-time"})
    accepted_at = fields.Str(required=True, allow_none=True, metadata={"format": "date-time"})
    assigned_to = fields.Str(required=True, allow_none=True)
    declined_at = fields.Str(required=True, allow_none=True, metadata={"format": "date-time"})
    decline_reason = fields.Str(required=True, allow_none=True)
    completed_at = fields.Str(required=True, allow_none=True, metadata={"format": "date-time"})
    accepted_by = fields.Str(required=True, allow_none=True, metadata={"description": _BY})
    declined_by = fields.Str(required=True, allow_none=True, metadata={"description": _BY})
    completed_by = fields.Str(required=True, allow_none=True, metadata={"description": _BY})
    priority_raised_at = fields.Str(
        required=True, allow_none=True, metadata={"format": "date-time"}
    )
    priority_raised_by = fields.Str(required=True, allow_none=True, metadata={"description": _BY})
    priority_reason = fields.Str(
        required=True,
        allow_none=True,
        metadata={"description": "Why the priority or urgency was raised, if it was."},
    )


class AssessmentSchema(Schema):
    id = fields.Str(required=True)
    client_id = fields.Str(required=True)
    questionnaire = fields.Str(required=True)
    version = fields.Int(required=True)
    status = fields.Str(required=True, validate=validate.OneOf(_values(AssessmentStatus)))
    answers = fields.Dict(
        required=True,
        allow_none=True,
        metadata={"description": "Null when the person's sharing views keep them from you."},
    )
    organisation = fields.Str(required=True)
    created_at = fields.Str(required=True, metadata={"format": "date-time"})
    updated_at = fields.Str(required=True, metadata={"format": "date-time"})
    submitted_at = fields.Str(required=True, allow_none=True, metadata={"format": "date-time"})
    signed_off_at = fields.Str(required=True, allow_none=True, metadata={"format": "date-time"})
    discarded_at = fields.Str(
        required=True,
        allow_none=True,
        metadata={
            "format": "date-time",
            "description": "When the draft was discarded (its author or a team manager of its "
            "organisation did, in the pages); a discarded draft is kept and can no longer be "
            "changed or submitted (409).",
        },
    )
    amends_id = fields.Str(required=True, allow_none=True)
    decision = fields.Nested(DecisionSchema, required=True, allow_none=True)
    referrals = fields.List(fields.Nested(ReferralSchema), required=True)
    stated_totals = _stated_totals_field()
    warnings = _warnings_field()


class AssessmentImportSchema(AssessmentSchema):
    report = fields.List(
        fields.Nested(ImportReportEntrySchema),
        required=True,
        metadata={
            "description": "What was taken other than as sent, by linkId: a coding matched by "
            "its display or spelling (with the mapping), and a stated total that differs "
            "from the one the rules compute (with both)."
        },
    )


class AnswerLineSchema(Schema):
    pointer = fields.Str(
        required=True, metadata={"description": "JSON Pointer of the answer in `answers`."}
    )
    question = fields.Str(required=True, metadata={"description": "The question's own words."})
    answer = fields.Str(
        required=True,
        metadata={
            "description": "The answer in words, as the person gave it (option labels, dates "
            "in words); one line per item of a list. `Not answered` where there is none."
        },
    )
    value = fields.Raw(
        required=True, allow_none=True, metadata={"description": "The stored answer, or null."}
    )


class AnswerSectionSchema(Schema):
    name = fields.Str(required=True)
    title = fields.Str(required=True)
    answers = fields.List(fields.Nested(AnswerLineSchema), required=True)


class AnswerSheetSchema(Schema):
    assessment_id = fields.Str(required=True)
    client_id = fields.Str(required=True)
    questionnaire = fields.Str(required=True)
    version = fields.Int(required=True)
    title = fields.Str(required=True)
    status = fields.Str(required=True, validate=validate.OneOf(_values(AssessmentStatus)))
    organisation = fields.Str(required=True, metadata={"description": "Who assessed."})
    submitted_at = fields.Str(required=True, allow_none=True, metadata={"format": "date-time"})
    signed_off_at = fields.Str(required=True, allow_none=True, metadata={"format": "date-time"})
    amends_id = fields.Str(required=True, allow_none=True)
    amended_by_id = fields.Str(
        required=True, allow_none=True, metadata={"description": "The newer version, if any."}
    )
    sections = fields.List(fields.Nested(AnswerSectionSchema), required=True)


# ----------------------------------------------------------------------------------- referrals


class ReferralQuerySchema(PageQuerySchema):
    status = fields.Str(validate=validate.OneOf(_values(ReferralStatus)))


class ReferralListSchema(Schema):
    items = fields.List(fields.Nested(ReferralSchema), required=True)
    next_cursor = fields.Str(required=True, allow_none=True)


class ReferralPatchSchema(Schema):
    status = fields.Str(
        validate=validate.OneOf(
            [
                ReferralStatus.ACCEPTED.value,
                ReferralStatus.DECLINED.value,
                ReferralStatus.COMPLETED.value,
            ]
        ),
        metadata={"description": "accepted, declined (with reason) or completed"},
    )
    reason = fields.Str(validate=validate.Length(min=1, max=2000))
    assigned_to = fields.Str(
        validate=validate.Length(min=1, max=20),
        metadata={"description": "On accepting: the id of a worker of your organisation."},
    )
    priority = fields.Str(
        validate=validate.OneOf(_values(Priority)),
        metadata={
            "description": "Raise the referral's own priority to this (never lower it); with "
            "`priority_reason`."
        },
    )
    urgency = fields.Str(
        validate=validate.OneOf(_values(Urgency)),
        metadata={
            "description": "Raise the referral's urgency to this (never lower it); with "
            "`priority_reason`."
        },
    )
    priority_reason = fields.Str(
        metadata={
            "description": "Why the priority or urgency is raised (required with either; at "
            "most 2000 characters). Kept on the referral, not in the audit trail."
        }
    )

    @validates_schema
    def _something_to_do(self, data: dict[str, Any], **_kwargs: Any) -> None:
        raising = "priority" in data or "urgency" in data
        if "priority_reason" in data and not raising:
            raise ValidationError(
                "Give the priority or urgency the reason raises the referral to.",
                "priority_reason",
            )
        if "status" not in data and not raising:
            raise ValidationError(
                "Give a status, or a priority or urgency to raise the referral to.", "status"
            )

    @validates_schema
    def _reason_for_decline(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if (
            data.get("status") == ReferralStatus.DECLINED.value
            and not (data.get("reason") or "").strip()
        ):
            raise ValidationError("Say why the referral is declined.", "reason")
        if "assigned_to" in data and data.get("status") != ReferralStatus.ACCEPTED.value:
            raise ValidationError("A worker is assigned only when accepting.", "assigned_to")


# ------------------------------------------------------------------- support and reviews


class _SupportTermsSchema(Schema):
    """The terms of a plan other than what it is: hours, SDS option, weekly cost."""

    hours_per_week = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=20),
        metadata={"description": "Hours a week, a decimal string (0 to 168)."},
    )
    sds_option = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=10),
        metadata={"description": 'Self-directed Support option, "1" to "4".'},
    )
    weekly_cost = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=20),
        metadata={"description": "The weekly cost in GBP, a decimal string like 245.50."},
    )


class SupportCreateSchema(_SupportTermsSchema):
    start_date = fields.Date(required=True, metadata={"description": "The day support started."})
    summary = fields.Str(
        required=True,
        validate=validate.Length(max=2000),
        metadata={"description": "What the support is, in words."},
    )


class SupportVersionSchema(Schema):
    number = fields.Int(required=True)
    status = fields.Str(required=True)
    summary = fields.Str(required=True)
    hours_per_week = fields.Str(required=True, allow_none=True)
    sds_option = fields.Str(required=True, allow_none=True)
    weekly_cost = fields.Str(required=True, allow_none=True)
    reason = fields.Str(required=True, metadata={"description": "Why the terms changed."})
    changed_at = fields.Str(required=True, metadata={"format": "date-time"})
    changed_by = fields.Str(required=True, allow_none=True, metadata={"description": _BY})


class ReviewSchema(Schema):
    id = fields.Str(required=True)
    support_plan_id = fields.Str(required=True)
    client_id = fields.Str(required=True)
    due_on = fields.Str(required=True, metadata={"format": "date"})
    overdue = fields.Bool(required=True)
    status = fields.Str(required=True, validate=validate.OneOf(["due", "completed"]))
    assigned_to = fields.Str(required=True, allow_none=True)
    assessment_id = fields.Str(required=True, allow_none=True)
    outcome = fields.Str(required=True, allow_none=True)
    reason = fields.Str(required=True, allow_none=True)
    end_reason = fields.Str(required=True, allow_none=True)
    person_agreed = fields.Bool(required=True, allow_none=True)
    agreed_by = fields.Str(required=True, allow_none=True)
    carer_agreed = fields.Bool(required=True, allow_none=True)
    agreement_recorded_at = fields.Str(
        required=True, allow_none=True, metadata={"format": "date-time"}
    )
    agreement_recorded_by = fields.Str(
        required=True, allow_none=True, metadata={"description": _BY}
    )
    completed_at = fields.Str(required=True, allow_none=True, metadata={"format": "date-time"})
    completed_by = fields.Str(required=True, allow_none=True, metadata={"description": _BY})


class SupportPlanSchema(Schema):
    id = fields.Str(required=True)
    referral_id = fields.Str(required=True)
    client_id = fields.Str(required=True)
    service = fields.Str(required=True)
    organisation = fields.Str(required=True)
    status = fields.Str(required=True, validate=validate.OneOf(["active", "ended"]))
    start_date = fields.Str(required=True, metadata={"format": "date"})
    summary = fields.Str(required=True)
    hours_per_week = fields.Str(required=True, allow_none=True)
    sds_option = fields.Str(required=True, allow_none=True)
    weekly_cost = fields.Str(required=True, allow_none=True)
    ended_on = fields.Str(required=True, allow_none=True, metadata={"format": "date"})
    next_review_due = fields.Str(required=True, allow_none=True, metadata={"format": "date"})
    versions = fields.List(fields.Nested(SupportVersionSchema), required=True)
    reviews = fields.List(fields.Nested(ReviewSchema), required=True)


class ReviewQuerySchema(PageQuerySchema):
    status = fields.Str(
        validate=validate.OneOf(["due", "overdue", "completed"]),
        metadata={"description": "due (every open review, the default), overdue or completed"},
    )
    due_before = fields.Date(metadata={"description": "Only reviews due before this day."})


class ReviewListSchema(Schema):
    items = fields.List(fields.Nested(ReviewSchema), required=True)
    next_cursor = fields.Str(required=True, allow_none=True)


class ReviewOutcomeSchema(_SupportTermsSchema):
    """With ``summary`` and the terms, on increase or reduce: the plan's new terms."""

    outcome = fields.Str(
        required=True, validate=validate.OneOf(["continue", "increase", "reduce", "end"])
    )
    reason = fields.Str(required=True, validate=validate.Length(max=2000))
    end_reason = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(
            ["died", "moved_away", "long_term_care", "no_longer_needed", "person_declined"]
        ),
    )
    person_agreed = fields.Bool(load_default=False)
    agreed_by = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["person", "welfare_attorney", "guardian"]),
    )
    carer_agreed = fields.Bool(load_default=None, allow_none=True)
    assessment_id = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={"description": "The review assessment (submitted)."},
    )
    summary = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "On increase or reduce: the support's new description."},
    )


# -------------------------------------------------------------------- the quarterly return


class ReturnQuerySchema(Schema):
    quarter = fields.Str(
        validate=validate.Length(max=20),
        metadata={
            "description": "Required: a calendar quarter, like 2026-Q3 (or 2026Q3), up to the "
            "current one. A missing or malformed quarter is a 400."
        },
    )
    format = fields.Str(
        validate=validate.OneOf(["json", "csv"]),
        metadata={"description": "csv for CSV (as Accept: text/csv); json is the default."},
    )


class ReturnRowSchema(Schema):
    """One person and support; empty columns are null (in CSV, empty cells)."""

    chi = fields.Str(required=True)
    assessment_id = fields.Str(allow_none=True)
    assessed_on = fields.Date(allow_none=True)
    assessed_by = fields.Str(allow_none=True, metadata={"description": "organisation slug"})
    route = fields.Str(allow_none=True, validate=validate.OneOf([r.value for r in Route]))
    priority = fields.Str(allow_none=True, validate=validate.OneOf([p.value for p in Priority]))
    services_referred = fields.Str(allow_none=True, metadata={"description": "names, '; '"})
    support_plan_id = fields.Str(allow_none=True)
    support_service = fields.Str(allow_none=True)
    support_started_on = fields.Date(allow_none=True)
    hours_per_week = fields.Str(allow_none=True, metadata={"description": "decimal hours"})
    sds_option = fields.Str(allow_none=True, validate=validate.OneOf(["1", "2", "3", "4"]))
    weekly_cost = fields.Str(allow_none=True, metadata={"description": "GBP, decimal"})
    support_status = fields.Str(allow_none=True, validate=validate.OneOf(["active", "ended"]))
    support_ended_on = fields.Date(allow_none=True)
    reviews_completed = fields.Str(allow_none=True, metadata={"description": "in the quarter"})
    last_reviewed_on = fields.Date(allow_none=True)
    last_review_outcome = fields.Str(allow_none=True)
    next_review_due = fields.Date(allow_none=True)


class ReturnSchema(Schema):
    quarter = fields.Str(required=True)
    first_day = fields.Date(required=True)
    last_day = fields.Date(required=True)
    columns = fields.List(fields.Str(), required=True)
    rows = fields.List(fields.Nested(ReturnRowSchema), required=True)
    people = fields.Int(required=True)
    withheld = fields.Int(
        required=True,
        metadata={
            "description": "People left out: their sharing view keeps them from your organisation"
        },
    )


# ------------------------------------------------------------- reports: outputs and outcomes


class OutputsQuerySchema(Schema):
    """The outputs' filters (``reports.outputs.parse_filters`` checks the days and the span)."""

    from_ = fields.Str(
        data_key="from",
        validate=validate.Length(max=10),
        metadata={"description": "First day, YYYY-MM-DD (default: a year before `to`)."},
    )
    to = fields.Str(
        validate=validate.Length(max=10),
        metadata={"description": "Last day, YYYY-MM-DD (default: today, UK)."},
    )
    organisation = fields.Str(
        validate=validate.Length(max=64),
        metadata={"description": "Only your own organisation's slug may be given."},
    )
    service = fields.Str(
        validate=validate.Length(max=64), metadata={"description": "A service's slug."}
    )
    route = fields.Str(validate=validate.OneOf([r.value for r in Route]))
    priority = fields.Str(validate=validate.OneOf([p.value for p in Priority]))
    locality = fields.Str(
        validate=validate.Length(max=8),
        metadata={"description": "A postcode district, like PH1."},
    )
    group_by = fields.Str(
        load_default="month",
        validate=validate.OneOf(["month"]),
        metadata={"description": "Time series are by month."},
    )
    format = fields.Str(
        validate=validate.OneOf(["json", "csv"]),
        metadata={"description": "csv: the same as `Accept: text/csv`."},
    )


class OutputsTableSchema(Schema):
    key = fields.Str(required=True)
    title = fields.Str(required=True)
    columns = fields.List(fields.Str(), required=True)
    rows = fields.List(
        fields.List(fields.Raw(allow_none=True)),
        required=True,
        metadata={
            "description": "The first cell names the row; the others are numbers, or "
            "null where nothing can be said (a share of none)."
        },
    )
    note = fields.Str(required=True)


class OutputsSchema(Schema):
    """Counts and times, never a person."""

    organisation = fields.Str(required=True)
    period = fields.Dict(keys=fields.Str(), values=fields.Str(), required=True)
    filters = fields.Dict(keys=fields.Str(), values=fields.Str(), required=True)
    group_by = fields.Str(required=True)
    folded_to = fields.Str(
        required=True,
        allow_none=True,
        metadata={
            "description": "The last day summed from daily facts; later days are counted "
            "from the records."
        },
    )
    tables = fields.List(fields.Nested(OutputsTableSchema), required=True)
