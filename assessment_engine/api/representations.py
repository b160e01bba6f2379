"""Records as the API shows them: plain dicts in the shapes ``schemas`` documents.

Identifiers are opaque strings; times are ISO 8601 UTC with ``Z``.
"""

from __future__ import annotations

from typing import Any

from ..assessments import totals
from ..assessments.answer_sheet import AnswerSheet
from ..assessments.models import Assessment, Referral
from ..assessments.services import current_decision, decision_document
from ..auth.models import User
from ..questionnaires.models import QuestionnaireVersion
from ..records.access import RecordAccess
from ..records.models import Client
from .http import etag, iso


def questionnaire_summary(version: QuestionnaireVersion) -> dict[str, Any]:
    return {"key": version.questionnaire.key, "version": version.version, "title": version.title}


def questionnaire_version(version: QuestionnaireVersion) -> dict[str, Any]:
    return {
        **questionnaire_summary(version),
        "status": version.status.value,
        "checksum": version.checksum,
        "published_at": iso(version.published_at),
        "document": version.document,
    }


def client_identity(access: RecordAccess) -> dict[str, Any]:
    """What every partner may know: that the record exists, who it is about, whom to contact."""
    client = access.client
    contact = access.contact.slug if access.restricted and access.contact is not None else None
    return {
        "id": str(client.id),
        "chi": client.chi,
        "given_name": client.given_name,
        "family_name": client.family_name,
        "date_of_birth": client.date_of_birth.isoformat(),
        "organisation": client.organisation.slug,
        "restricted": access.restricted,
        "contact": contact,
    }


def client_summary(access: RecordAccess) -> dict[str, Any]:
    """The record as the policy lets the caller see it: the identity, and the details if allowed."""
    document = client_identity(access)
    if access.details:
        client = access.client
        document.update(
            nhs_number=client.nhs_number,
            postcode=client.postcode,
            address=client.address,
            gp_practice=client.gp_practice,
            communication_needs=client.communication_needs,
            created_at=iso(client.created_at),
            updated_at=iso(client.updated_at),
        )
    return document


def client_detail(
    access: RecordAccess, assessments: list[Assessment], referrals: list[Referral]
) -> dict[str, Any]:
    """The record with its timeline: assessments started and submitted, referrals and what
    became of them, newest first. Where the policy keeps the content back, the summary only."""
    if not access.answers:
        return client_summary(access)
    events: list[dict[str, Any]] = []
    for assessment in assessments:
        base = {
            "assessment_id": str(assessment.id),
            "questionnaire": assessment.questionnaire_version.ruleset_name,
            "organisation": assessment.organisation.slug,
        }
        events.append({"at": assessment.created_at, "event": "assessment.started", **base})
        if assessment.submitted_at is not None:
            decision = current_decision(assessment)
            events.append(
                {
                    "at": assessment.submitted_at,
                    "event": "assessment.submitted",
                    **base,
                    "route": decision.route.value if decision else None,
                    "priority": decision.priority.value if decision else None,
                }
            )
        if assessment.signed_off_at is not None:
            events.append(
                {"at": assessment.signed_off_at, "event": "assessment.signed_off", **base}
            )
        if assessment.discarded_at is not None:
            events.append({"at": assessment.discarded_at, "event": "assessment.discarded", **base})
    by_assessment = {str(a.id): a for a in assessments}
    for referral in referrals:
        owner = by_assessment.get(str(referral.assessment_id))
        base = {
            "assessment_id": str(referral.assessment_id),
            "questionnaire": owner.questionnaire_version.ruleset_name if owner else "",
            "organisation": referral.organisation.slug,
            "referral_id": str(referral.id),
            "service": referral.service.slug,
            "priority": referral.priority.value,
        }
        for event, at in (
            ("referral.created", referral.created_at),
            ("referral.accepted", referral.accepted_at),
            ("referral.declined", referral.declined_at),
            ("referral.completed", referral.completed_at),
        ):
            if at is not None:
                events.append({"at": at, "event": event, **base})
    events.sort(key=lambda entry: entry["at"], reverse=True)
    for entry in events:
        entry["at"] = iso(entry["at"])
    return {**client_summary(access), "timeline": events}


def referral(record: Referral) -> dict[str, Any]:
    return {
        "id": str(record.id),
        "assessment_id": str(record.assessment_id),
        "client_id": str(record.client_id),
        "service": record.service.slug,
        "service_name": record.service.name,
        "organisation": record.organisation.slug,
        "status": record.status.value,
        "priority": record.priority.value,
        "urgency": record.urgency.value,
        "created_at": iso(record.created_at),
        "accepted_at": iso(record.accepted_at),
        "assigned_to": str(record.assigned_to_id) if record.assigned_to_id is not None else None,
        "declined_at": iso(record.declined_at),
        "decline_reason": record.decline_reason,
        "completed_at": iso(record.completed_at),
        "accepted_by": _name(record.accepted_by),
        "declined_by": _name(record.declined_by),
        "completed_by": _name(record.completed_by),
        "priority_raised_at": iso(record.priority_raised_at),
        "priority_raised_by": _name(record.priority_raised_by),
        "priority_reason": record.priority_reason,
    }


def _name(user: User | None) -> str | None:
    """Who did it, as the pages name them; None for nobody or a partner system."""
    return user.name if user is not None else None


def assessment(
    record: Assessment, referrals: list[Referral], *, show_answers: bool
) -> dict[str, Any]:
    decision = current_decision(record)
    return {
        "id": str(record.id),
        "client_id": str(record.client_id),
        "questionnaire": record.questionnaire_version.questionnaire.key,
        "version": record.questionnaire_version.version,
        "status": record.status.value,
        "answers": record.answers if show_answers else None,
        "organisation": record.organisation.slug,
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
        "submitted_at": iso(record.submitted_at),
        "signed_off_at": iso(record.signed_off_at),
        "discarded_at": iso(record.discarded_at),
        "amends_id": str(record.amends_id) if record.amends_id else None,
        "decision": decision_document(decision) if decision is not None else None,
        "referrals": [referral(entry) for entry in referrals],
        "stated_totals": totals.shown(record.stated_totals),
        "warnings": totals.disagreements(record.stated_totals),
    }


def answer_sheet(sheet: AnswerSheet) -> dict[str, Any]:
    """The answers in words, exactly as the answers page shows them."""
    record = sheet.assessment
    return {
        "assessment_id": str(record.id),
        "client_id": str(record.client_id),
        "questionnaire": record.questionnaire_version.questionnaire.key,
        "version": record.questionnaire_version.version,
        "title": sheet.title,
        "status": record.status.value,
        "organisation": record.organisation.slug,
        "submitted_at": iso(record.submitted_at),
        "signed_off_at": iso(record.signed_off_at),
        "amends_id": str(record.amends_id) if record.amends_id else None,
        "amended_by_id": str(sheet.amended_by.id) if sheet.amended_by else None,
        "sections": [
            {
                "name": section.name,
                "title": section.title,
                "answers": [
                    {
                        "pointer": line.pointer,
                        "question": line.question,
                        "answer": line.answer,
                        "value": line.value,
                    }
                    for line in section.lines
                ],
            }
            for section in sheet.sections
        ],
    }


def assessment_etag(record: Assessment) -> str:
    return etag("assessment", record.id, record.version)


def referral_etag(record: Referral) -> str:
    return etag("referral", record.id, record.version)


def client_etag(record: Client) -> str:
    return etag("client", record.id, record.version)
