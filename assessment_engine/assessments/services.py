"""The assessment lifecycle: start on a pinned version, save drafts, submit, decide, refer.

Services take the session and the acting :class:`Actor`; they never read the request. The
caller commits once, at the edge. Every view and change is audited in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, bindparam, inspect, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ..db import DbSession, utcnow
from ..kernel import errors as kernel_errors
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from ..kernel.errors import DomainError
from ..partners.models import Service
from ..questionnaires.models import QuestionnaireVersion, VersionStatus
from ..questionnaires.runtime import PreparedVersion, VersionCache
from ..questionnaires.services import latest_published as latest_published
from ..questionnaires.services import prepared
from ..records.models import Client, SharingView
from ..records.services import RecordNotFound, record_key
from ..records.sharing import newest_view_id
from ..scoring.errors import RuleEvaluationError
from ..scoring.outcomes import Priority, Route, Urgency
from . import totals
from .models import (
    Assessment,
    AssessmentStatus,
    Decision,
    DecisionKind,
    Referral,
    ReferralStatus,
)
from .referrals import raise_priority
from .why import explain


class AssessmentError(DomainError):
    """Something the person can fix or needs to know, in words they understand."""


class NotEditable(AssessmentError):
    """The assessment is no longer a draft."""


class StaleEdit(AssessmentError, kernel_errors.StaleEdit):
    """Someone else saved this assessment since it was loaded; nothing was overwritten."""

    def __init__(self, current: Assessment) -> None:
        super().__init__("Someone else saved this assessment since you opened it")
        self.current = current


class AnswersInvalid(AssessmentError):
    """Answers that the questionnaire version refuses; ``errors`` maps field pointer to messages."""

    #: Lists of messages by answer pointer, where DomainError's are one message by form field.
    errors: dict[str, list[str]]  # type: ignore[assignment]

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__(f"{len(errors)} answer(s) need attention")
        self.errors = dict(errors)


class RulesFailed(AssessmentError):
    """The questionnaire's rules could not decide (a rule gave a number that is not finite);
    nothing is stored. The rules need fixing, so the message names the rule."""

    def __init__(self, ruleset: str, error: RuleEvaluationError) -> None:
        super().__init__(
            f"The rules of {ruleset} could not make a decision on these answers: rule "
            f"\u2018{error.rule}\u2019 gave a result that is not a number. Nothing was "
            "submitted. Tell an administrator, who can correct the rule."
        )
        self.rule = error.rule


@dataclass(frozen=True)
class SectionState:
    name: str
    title: str
    #: "not_started", "needs_attention" (saved with required answers missing), "completed"
    status: str

    @property
    def label(self) -> str:
        return {
            "not_started": "Not started",
            "needs_attention": "Needs attention",
            "completed": "Completed",
        }[self.status]


def prepare_version(
    session: DbSession, cache: VersionCache, version: QuestionnaireVersion
) -> PreparedVersion:
    """The version's compiled questionnaire and rules (built once per process, then shared)."""
    return prepared(session, cache, version)


def start_assessment(
    session: DbSession,
    actor: Actor,
    client: Client,
    version: QuestionnaireVersion,
    answers: Mapping[str, Any] | None = None,
) -> Assessment:
    """A new draft pinned to ``version`` for life. Retired and draft versions cannot be used."""
    if version.status != VersionStatus.PUBLISHED:
        raise AssessmentError(
            f"{version.title} version {version.version} is {version.status}; "
            "start on the current published version"
        )
    assessment = Assessment(
        client=client,
        client_id=client.id,
        questionnaire_version=version,
        questionnaire_version_id=version.id,
        status=AssessmentStatus.DRAFT,
        answers=dict(answers or {}),
        organisation_id=actor.organisation_id,
        started_by_id=actor.user_id,
    )
    session.add(assessment)
    record_event(
        session,
        actor,
        "assessment.start",
        record_type="assessment",
        record_id=assessment.id,
        client_id=client.id,
        detail={"questionnaire": version.ruleset_name},
    )
    return assessment


def open_draft_of(
    session: DbSession, actor: Actor, client: Client, version: QuestionnaireVersion
) -> Assessment | None:
    """The actor's organisation's latest open draft of ``version``'s questionnaire for
    ``client`` (not an amendment, not discarded), to resume instead of starting another."""
    return session.scalar(
        _open_drafts()
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Assessment.questionnaire_version_id)
        .where(
            Assessment.client_id == client.id,
            Assessment.organisation_id == actor.organisation_id,
            Assessment.amends_id.is_(None),
            QuestionnaireVersion.questionnaire_id == version.questionnaire_id,
        )
        .order_by(Assessment.updated_at.desc())
        .limit(1)
    )


def _open_drafts() -> Select[Assessment]:
    return select(Assessment).where(
        Assessment.status == AssessmentStatus.DRAFT, Assessment.discarded_at.is_(None)
    )


def discard_draft(
    session: DbSession, actor: Actor, assessment: Assessment, *, expected_version: int | None
) -> Assessment:
    """Discard an open draft: kept, with who discarded it and when, and never changed again.
    The caller has checked the actor may (``access.draft_for_discard``)."""
    check_editable(assessment, expected_version)
    assessment.discarded_at = utcnow()
    assessment.discarded_by_id = actor.user_id
    flush_or_stale(session, assessment)
    record_event(
        session,
        actor,
        "assessment.discard",
        record_type="assessment",
        record_id=assessment.id,
        client_id=assessment.client_id,
    )
    return assessment


def my_drafts(session: DbSession, actor: Actor, limit: int = 10) -> list[Assessment]:
    """The open drafts the actor started, most recently saved first."""
    return list(
        session.scalars(
            _open_drafts()
            .where(Assessment.started_by_id == actor.user_id)
            .options(joinedload(Assessment.client), joinedload(Assessment.questionnaire_version))
            .order_by(Assessment.updated_at.desc())
            .limit(limit)
        )
    )


def recently_submitted(session: DbSession, actor: Actor, limit: int = 10) -> list[Assessment]:
    """The assessments the actor submitted, most recent first."""
    return list(
        session.scalars(
            select(Assessment)
            .where(Assessment.submitted_by_id == actor.user_id)
            .options(joinedload(Assessment.client), joinedload(Assessment.questionnaire_version))
            .order_by(Assessment.submitted_at.desc())
            .limit(limit)
        )
    )


def get_assessment(session: DbSession, assessment_id: uuid.UUID | str) -> Assessment:
    key = record_key(assessment_id)
    found = session.scalar(
        select(Assessment)
        .where(Assessment.id == key)
        .options(
            joinedload(Assessment.client),
            joinedload(Assessment.questionnaire_version).joinedload(
                QuestionnaireVersion.questionnaire
            ),
        )
    )
    if found is None:
        raise RecordNotFound(str(assessment_id))
    return found


@cache
def _with_view_statement(questionnaire: bool = True) -> Select[Assessment, SharingView]:
    """:func:`get_assessment_with_view`'s statement, built once (its values are bound). Without
    ``questionnaire``, the version's questionnaire (its key and title) is not joined: it is
    loaded when something reads it. The view's recorder is never joined: only a record's own
    page names it (``RecordAccess.contact``); it is loaded if something reads it."""
    version = joinedload(Assessment.questionnaire_version)
    return (
        select(Assessment, SharingView)
        .outerjoin(
            SharingView,
            SharingView.id
            == newest_view_id(Assessment.client_id, bindparam("organisation_id", type_=Integer)),
        )
        .where(Assessment.id == bindparam("assessment_id", type_=Assessment.id.type))
        .options(
            joinedload(Assessment.client),
            version.joinedload(QuestionnaireVersion.questionnaire) if questionnaire else version,
        )
    )


def get_assessment_with_view(
    session: DbSession,
    assessment_id: uuid.UUID | str,
    organisation_id: int,
    *,
    questionnaire: bool = True,
) -> tuple[Assessment, SharingView | None]:
    """:func:`get_assessment` and its person's sharing view in force for ``organisation_id``
    (``records.sharing.view_in_force``), read in one statement. ``questionnaire=False`` for a
    page that never reads the version's questionnaire (a section page: one entity fewer)."""
    key = record_key(assessment_id)
    row = session.execute(
        _with_view_statement(questionnaire),
        {"assessment_id": key, "organisation_id": organisation_id},
    ).first()
    if row is None:
        raise RecordNotFound(str(assessment_id))
    return row[0], row[1]


def check_editable(assessment: Assessment, expected_version: int | None = None) -> None:
    """NotEditable for a discarded draft or a submitted assessment; StaleEdit if someone saved
    since ``expected_version`` was loaded."""
    if assessment.discarded:
        raise NotEditable("This draft was discarded and can no longer be edited or submitted")
    if assessment.status != AssessmentStatus.DRAFT:
        raise NotEditable(
            f"This assessment was {assessment.status.label.lower()} and can no longer be edited"
        )
    if expected_version is not None and expected_version != assessment.version:
        raise StaleEdit(assessment)


def flush_or_stale(session: DbSession, assessment: Assessment) -> None:
    """Flush now, so that a save that lost a race inside the database (another transaction
    changed the version between our read and our write) is :class:`StaleEdit`, not an error."""
    try:
        session.flush()
    except StaleDataError:
        raise StaleEdit(assessment) from None


def save_answers(
    session: DbSession,
    actor: Actor,
    assessment: Assessment,
    prepared_version: PreparedVersion,
    answers: Mapping[str, Any],
    *,
    expected_version: int | None,
    section: str | None = None,
) -> Assessment:
    """Save a draft's answers (one section's, or all of them).

    Missing answers are fine in a draft; answers of the wrong type, out of range or unknown are
    refused with their field pointers and nothing is saved. Answers to questions no longer shown
    are dropped. ``expected_version`` is the version the editor loaded: if someone saved since,
    :class:`StaleEdit` is raised and nothing is overwritten.
    """
    check_editable(assessment, expected_version)
    questionnaire = prepared_version.questionnaire
    merged = dict(assessment.answers or {})
    if section is None:
        merged = dict(answers)
    elif answers.get(section) in (None, {}):
        merged.pop(section, None)
    else:
        merged[section] = answers[section]
    merged = questionnaire.prune(merged)
    errors = questionnaire.validate(merged, complete=False)
    if section is not None:
        errors = {
            p: m for p, m in errors.items() if p == f"/{section}" or p.startswith(f"/{section}/")
        }
    if errors:
        raise AnswersInvalid(errors)
    assessment.answers = merged
    totals.store(prepared_version, assessment, totals.from_answers(prepared_version, answers))
    assessment.updated_at = utcnow()
    if not inspect(assessment).pending:  # a new assessment has no saved version to race
        flush_or_stale(session, assessment)
    record_event(
        session,
        actor,
        "assessment.save",
        record_type="assessment",
        record_id=assessment.id,
        client_id=assessment.client_id,
        detail={"section": section} if section else {},
    )
    return assessment


def section_states(
    prepared_version: PreparedVersion, answers: Mapping[str, Any]
) -> list[SectionState]:
    """Each section with its task-list status: not started, needs attention (answered, but a
    required question shown is blank: saved for later with gaps) or completed."""
    errors = prepared_version.questionnaire.validate(answers, complete=True)
    states = []
    for section in prepared_version.questionnaire.structure.sections:
        name = section.name
        answered = bool(answers.get(name))
        has_errors = any(p == f"/{name}" or p.startswith(f"/{name}/") for p in errors)
        status = (
            "completed"
            if answered and not has_errors
            else ("needs_attention" if answered else "not_started")
        )
        states.append(SectionState(name, section.title, status))
    return states


def submit(
    session: DbSession,
    actor: Actor,
    assessment: Assessment,
    prepared_version: PreparedVersion,
    *,
    expected_version: int | None,
) -> Decision:
    """Submit a complete draft: validate, decide, store the decision and one referral per service.

    All in the caller's transaction, with the audit events; nothing is stored if any step fails.
    """
    return submitted(
        session, actor, assessment, prepared_version, expected_version=expected_version
    ).decision


class Submitted(NamedTuple):
    """A submission's decision and the referrals it made, in the order they were made."""

    decision: Decision
    referrals: list[Referral]


def submitted(
    session: DbSession,
    actor: Actor,
    assessment: Assessment,
    prepared_version: PreparedVersion,
    *,
    expected_version: int | None,
) -> Submitted:
    """:func:`submit`, with the referrals it made (the API's response shows them as they are
    in memory, rather than reading them back)."""
    check_editable(assessment, expected_version)
    questionnaire = prepared_version.questionnaire
    answers = questionnaire.prune(assessment.answers or {})
    errors = questionnaire.validate(answers, complete=True)
    if errors:
        raise AnswersInvalid(errors)
    if prepared_version.ruleset is None:
        raise AssessmentError("This questionnaire has no rules, so it cannot make a decision")
    now = utcnow()
    assessment.answers = answers
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_at = now
    assessment.submitted_by_id = actor.user_id
    decision = _decide(
        session, actor, assessment, prepared_version, answers, DecisionKind.SUBMISSION
    )
    if assessment.stated_totals:
        scores = decision.outcome.get("scores", {})
        assessment.stated_totals = totals.reconcile(
            prepared_version, assessment.stated_totals, answers, scores
        )
    record_event(
        session,
        actor,
        "assessment.submit",
        record_type="assessment",
        record_id=assessment.id,
        client_id=assessment.client_id,
    )
    record_event(
        session,
        actor,
        "decision.create",
        record_type="decision",
        record_id=decision.id,
        client_id=assessment.client_id,
        detail={
            "route": decision.route.value,
            "priority": decision.priority.value,
            "ruleset": decision.ruleset,
        },
    )
    return Submitted(decision, create_referrals(session, actor, decision))


def _decide(
    session: DbSession,
    actor: Actor,
    assessment: Assessment,
    prepared_version: PreparedVersion,
    answers: Mapping[str, Any],
    kind: DecisionKind,
) -> Decision:
    """Evaluate the version's rules on ``answers`` and store the decision, stamped with its
    ruleset; the computed route and priority are also the final ones until an override."""
    assert prepared_version.ruleset is not None
    try:
        outcome = prepared_version.ruleset.evaluate(answers).to_dict()
    except RuleEvaluationError as error:
        raise RulesFailed(prepared_version.ruleset_name, error) from None
    decision = Decision(
        assessment=assessment,
        assessment_id=assessment.id,
        kind=kind,
        ruleset=prepared_version.ruleset_name,
        computed_route=Route(outcome["route"]),
        computed_priority=Priority(outcome["priority"]),
        route=Route(outcome["route"]),
        priority=Priority(outcome["priority"]),
        outcome=outcome,
        created_at=utcnow(),
        created_by_id=actor.user_id,
    )
    session.add(decision)
    return decision


@cache
def _services_statement() -> Select[Service]:
    """:func:`create_referrals`' look-up of the decision's services, built once (the slugs
    are bound, as an expanding ``IN``)."""
    return (
        select(Service)
        .where(Service.slug.in_(bindparam("slugs", expanding=True)))
        .options(joinedload(Service.organisation))
    )


def create_referrals(session: DbSession, actor: Actor, decision: Decision) -> list[Referral]:
    """One pending referral per service in the decision, to the organisation that runs it."""
    wanted = decision.outcome.get("services", [])
    slugs = [entry["service"] for entry in wanted]
    # Reference data: looking it up must not flush the assessment and decision just added (the
    # commit writes them with the referrals and events, in one flush).
    with session.no_autoflush:
        found = session.scalars(_services_statement(), {"slugs": slugs})
        services = {s.slug: s for s in found}
    referrals = []
    for entry in wanted:
        service = services.get(entry["service"])
        if service is None or not service.active:
            raise AssessmentError(
                f"The decision refers to the service {entry['service']!r}, which is not set up; "
                "ask an administrator to add it"
            )
        referral = Referral(
            assessment_id=decision.assessment_id,
            decision=decision,
            decision_id=decision.id,
            client_id=decision.assessment.client_id,
            service=service,
            organisation=service.organisation,
            organisation_id=service.organisation_id,
            status=ReferralStatus.PENDING,
            # The service entry's own priority (decisions made before entries carried one:
            # the decision's).
            priority=Priority(entry.get("priority", decision.priority.value)),
            urgency=Urgency(entry.get("urgency", "routine")),
            created_at=decision.created_at,
        )
        session.add(referral)
        referrals.append(referral)
    for referral in referrals:
        record_event(
            session,
            actor,
            "referral.create",
            record_type="referral",
            record_id=referral.id,
            client_id=referral.client_id,
            detail={"service": referral.service.slug, "organisation_id": referral.organisation_id},
        )
    return referrals


def current_decision(assessment: Assessment) -> Decision | None:
    """The submission decision (what-if decisions never count)."""
    for decision in reversed(assessment.decisions):
        if decision.kind == DecisionKind.SUBMISSION:
            return decision
    return None


def decision_document(decision: Decision) -> dict[str, Any]:
    """The API's decision object: final route and priority, with any override in the trace."""
    document = dict(decision.outcome)
    document["route"] = decision.route.value
    document["priority"] = decision.priority.value
    document["ruleset"] = decision.ruleset
    document["override"] = None
    if decision.override_reason:
        by = decision.overridden_by.name if decision.overridden_by else "an assessor"
        document["override"] = {
            "route": decision.route.value,
            "priority": decision.priority.value,
            "computed_route": decision.computed_route.value,
            "computed_priority": decision.computed_priority.value,
            "reason": decision.override_reason,
            "by": by,
            "at": _iso(decision.overridden_at),
        }
        document["trace"] = [
            *document.get("trace", []),
            {
                "rule": "override",
                "fired": True,
                "inputs": {},
                "because": (
                    f"{by} changed the decision from {decision.computed_route.label}, "
                    f"{decision.computed_priority.label} to {decision.route.label}, "
                    f"{decision.priority.label}: {decision.override_reason}"
                ),
            },
        ]
    return document


def _iso(moment: Any) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def client_assessments(session: DbSession, client_id: uuid.UUID) -> list[Assessment]:
    return list(
        session.scalars(
            select(Assessment)
            .where(Assessment.client_id == client_id)
            .options(
                joinedload(Assessment.questionnaire_version),
                joinedload(Assessment.organisation),
                joinedload(Assessment.started_by),
            )
            .order_by(Assessment.created_at.desc())
        )
    )


@dataclass(frozen=True)
class ServiceLine:
    name: str
    organisation: str
    urgency: str
    status: str
    #: The referral's own priority (its service entry's, or raised since).
    priority: str = ""


@dataclass(frozen=True)
class OutcomeView:
    """What the outcome page shows: the decision in words, with its reasons."""

    route: Route
    priority: Priority
    computed_route: Route
    computed_priority: Priority
    override_reason: str | None
    ruleset: str
    services: list[ServiceLine]
    #: "Why" in plain words (why.py); ``not_fired`` only the referrals that were not made.
    reasons: list[str]
    not_fired: list[str]
    flags: list[str]
    scores: dict[str, Any]
    bands: dict[str, Any]
    #: The questionnaire version whose rules decided ("Joint assessment, version 2").
    rules_title: str = ""


def outcome_view(session: DbSession, decision: Decision) -> OutcomeView:
    """The decision with service and organisation names, and the reasons of the rules that fired."""
    referrals = {
        r.service.slug: r
        for r in session.scalars(
            select(Referral)
            .where(Referral.decision_id == decision.id)
            .options(joinedload(Referral.service).joinedload(Service.organisation))
        )
    }
    lines = []
    for entry in decision.outcome.get("services", []):
        referral = referrals.get(entry["service"])
        lines.append(
            ServiceLine(
                name=referral.service.name if referral else entry["service"],
                organisation=referral.service.organisation.name if referral else "",
                urgency=(
                    referral.urgency if referral else Urgency(entry.get("urgency", "routine"))
                ).label,
                status=referral.status.label if referral else "",
                priority=referral.priority.label if referral else "",
            )
        )
    names = {
        service.slug: (service.name, service.organisation.name)
        for service in session.scalars(select(Service).options(joinedload(Service.organisation)))
    }
    version = decision.assessment.questionnaire_version
    same = version.ruleset_name == decision.ruleset
    why = explain(decision, version.rules if same else {}, names)
    return OutcomeView(
        route=decision.route,
        priority=decision.priority,
        computed_route=decision.computed_route,
        computed_priority=decision.computed_priority,
        override_reason=decision.override_reason,
        ruleset=decision.ruleset,
        services=lines,
        reasons=why.reasons,
        not_fired=why.not_applied,
        flags=list(decision.outcome.get("flags", [])),
        scores=dict(decision.outcome.get("scores", {})),
        bands=dict(decision.outcome.get("bands", {})),
        rules_title=f"{version.title}, version {version.version}" if same else decision.ruleset,
    )


def last_editor_name(session: DbSession, assessment: Assessment) -> str:
    """Who last saved the assessment, for the conflict page ("Priya Shah, NHS Tayside")."""
    from ..auth.models import User
    from ..kernel.models import AuditEvent

    row = session.execute(
        select(User.name, AuditEvent.organisation_id)
        .join(User, User.id == AuditEvent.user_id, isouter=True)
        .where(
            AuditEvent.record_type == "assessment",
            AuditEvent.record_id == str(assessment.id),
            AuditEvent.action == "assessment.save",
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    return row[0] if row and row[0] else "Someone else"


MAX_REASON = 2000


def override_decision(
    session: DbSession,
    actor: Actor,
    decision: Decision,
    *,
    route: Route,
    priority: Priority,
    reason: str,
) -> Decision:
    """An assessor's professional judgement over the rules: route and/or priority, with a reason.

    The computed route and priority are kept beside the final ones. Each referral keeps its own
    priority and urgency: an override never lowers them (a same-day crisis referral stays
    same-day and critical); raising the overall priority raises open referrals below it, with
    the override's reason. Refused once the assessment is signed off, or without a reason.
    """
    reason = reason.strip()
    if not reason:
        raise AssessmentError("Enter the reason for changing the decision")
    if len(reason) > MAX_REASON:
        raise AssessmentError(f"The reason must be {MAX_REASON} characters or fewer")
    if decision.kind != DecisionKind.SUBMISSION:
        raise AssessmentError("Only the decision made on submission can be overridden")
    if decision.assessment.status == AssessmentStatus.SIGNED_OFF:
        raise NotEditable("This assessment has been signed off; amend it to change the decision")
    if route == decision.route and priority == decision.priority:
        raise AssessmentError("Choose a different route or priority, or go back")
    previous = (decision.route, decision.priority)
    decision.route, decision.priority = route, priority
    decision.override_reason = reason
    decision.overridden_by_id = actor.user_id
    decision.overridden_at = utcnow()
    session.flush()
    for referral in session.scalars(
        select(Referral).where(
            Referral.decision_id == decision.id,
            Referral.status.in_((ReferralStatus.PENDING, ReferralStatus.ACCEPTED)),
        )
    ):
        if priority.rank < referral.priority.rank:
            raise_priority(session, actor, referral, priority=priority, reason=reason)
    record_event(
        session,
        actor,
        "decision.override",
        record_type="decision",
        record_id=decision.id,
        client_id=decision.assessment.client_id,
        detail={
            "from": [previous[0].value, previous[1].value],
            "to": [route.value, priority.value],
        },
    )
    return decision


def what_if(
    session: DbSession,
    actor: Actor,
    assessment: Assessment,
    prepared_version: PreparedVersion,
    answers: Mapping[str, Any] | None = None,
) -> Decision:
    """Score a submitted assessment's answers under another (newer) version's rules.

    ``answers`` are those carried forward to that version (assessments.review.carry_forward);
    by default the stored answers as that version would prune them. The result is stored as a
    decision of kind "what if", never acted on and never creating referrals.
    """
    if prepared_version.ruleset is None:
        raise AssessmentError("That questionnaire version has no rules")
    carried = prepared_version.questionnaire.prune(
        assessment.answers if answers is None else answers
    )
    decision = _decide(session, actor, assessment, prepared_version, carried, DecisionKind.WHAT_IF)
    record_event(
        session,
        actor,
        "decision.what_if",
        record_type="decision",
        record_id=decision.id,
        client_id=assessment.client_id,
        detail={"ruleset": decision.ruleset},
    )
    return decision
