"""The access policy: plain facts about an actor and a record in, a decision out.

One set of rules for every door (pages, the JSON API, FHIR, search, the command line). It knows
nothing of the database or of Flask: the callers gather the facts (``records.access`` for a
client record, ``assessments.access`` for an assessment) and act on the decision.

What may be known of a person's record comes in levels, each including the ones before it:

- ``IDENTITY``: that the record exists, its id, CHI number, names, date of birth, whether it is
  restricted and which organisation to contact;
- ``DETAILS``: address, postcode, GP practice, NHS number, communication needs;
- ``CONTENT``: assessments, answers, decisions, referrals and the timeline.

The rules, deny by default:

- Every partner organisation's staff and systems may know a record's identity.
- Where no view of the person restricts the actor's organisation (no view recorded, or the
  view in force *agreed*), assessors, team managers and partner systems may know everything.
- Where the view in force *declined* or *withdrew* sharing with the actor's organisation, only
  the identity, unless the actor broke the glass (a stated reason, audited, time-limited).
- Administrators know the identity only: they never see details or answers (need-to-know).
- Performance analysts open no one's record (no level at all); they export the person-level
  quarterly return (:func:`in_return`), as partner systems with the ``reports:read`` scope may.
- Writes need the content level; administrators write nothing on a record. Starting an
  assessment is for assessors and partner systems; a draft belongs to the organisation whose
  assessor started it: others may read it (where they may know the content), never change it.
  Its author, or a team manager of that organisation, may discard it (it is kept, read-only).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ActorKind(enum.StrEnum):
    USER = "user"
    PARTNER_SYSTEM = "partner_system"
    COMMAND_LINE = "command_line"


class Sharing(enum.StrEnum):
    """The person's view in force for the actor's organisation."""

    NO_VIEW = "no_view"
    AGREED = "agreed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @property
    def shares(self) -> bool:
        return self in (Sharing.NO_VIEW, Sharing.AGREED)


class Level(enum.IntEnum):
    """How much of a record may be known; each level includes those below it."""

    NOTHING = 0
    IDENTITY = 1
    DETAILS = 2
    CONTENT = 3


#: Roles as plain strings (the values of ``auth.models.Role``).
ASSESSOR, TEAM_MANAGER, ADMINISTRATOR = "assessor", "team_manager", "administrator"
PERFORMANCE_ANALYST = "performance_analyst"


@dataclass(frozen=True)
class ActorFacts:
    kind: ActorKind
    organisation_id: int
    role: str | None = None
    #: An unexpired emergency access of this very actor to the record in question.
    break_glass: bool = False


@dataclass(frozen=True)
class RecordFacts:
    owner_organisation_id: int
    #: The view in force for the actor's organisation.
    sharing: Sharing = Sharing.NO_VIEW


@dataclass(frozen=True)
class AssessmentFacts:
    organisation_id: int
    draft: bool


@dataclass(frozen=True)
class Decision:
    """What the actor may know of the record, and what it may write."""

    level: Level
    #: Change the person's details, record sharing views.
    may_write_record: bool
    #: Start an assessment on the record.
    may_start_assessment: bool
    #: Why the level is below content, for the audit and the page ("administrator", "declined").
    reason: str = ""
    break_glass: bool = False

    @property
    def restricted(self) -> bool:
        return self.level < Level.CONTENT

    def allows(self, level: Level) -> bool:
        return self.level >= level

    def audit_detail(self) -> dict[str, object]:
        """What the audit trail says was shown."""
        detail: dict[str, object] = {"shown": self.level.name.lower()}
        if self.restricted:
            detail["restricted"] = True
        return detail


def _is_administrator(actor: ActorFacts) -> bool:
    return actor.kind is ActorKind.USER and actor.role == ADMINISTRATOR


def decide(actor: ActorFacts, record: RecordFacts) -> Decision:
    """What ``actor`` may know of, and write to, a person's record."""
    if actor.kind is ActorKind.USER and actor.role not in (ASSESSOR, TEAM_MANAGER, ADMINISTRATOR):
        return Decision(Level.NOTHING, False, False, reason="no role")
    if _is_administrator(actor):
        return Decision(Level.IDENTITY, False, False, reason="administrator")
    emergency = not record.sharing.shares and actor.break_glass
    if not record.sharing.shares and not emergency:
        return Decision(Level.IDENTITY, False, False, reason=record.sharing.value)
    starts = actor.kind is not ActorKind.USER or actor.role == ASSESSOR
    return Decision(Level.CONTENT, True, starts, break_glass=emergency)


def knows_identities(actor: ActorFacts) -> bool:
    """Whether the actor may know any record's identity: the role decides, never the record
    (a performance analyst may not: lists of people, the dashboard's recent records included,
    are not for them)."""
    return decide(actor, RecordFacts(actor.organisation_id)).allows(Level.IDENTITY)


def may_change_assessment(
    actor: ActorFacts, record: RecordFacts, assessment: AssessmentFacts
) -> bool:
    """Whether ``actor`` may change a draft's answers or submit it: only its organisation's
    assessors and systems, and only while it may know the record's content."""
    if not assessment.draft or actor.organisation_id != assessment.organisation_id:
        return False
    return decide(actor, record).may_start_assessment


def may_discard_draft(
    actor: ActorFacts, record: RecordFacts, assessment: AssessmentFacts, *, is_author: bool
) -> bool:
    """Whether ``actor`` may discard a draft: its author, or a team manager of the draft's
    organisation, while they may know the record's content. A discarded draft is kept."""
    if not assessment.draft or actor.kind is not ActorKind.USER:
        return False
    if actor.organisation_id != assessment.organisation_id:
        return False
    if not decide(actor, record).allows(Level.CONTENT):
        return False
    return (is_author and actor.role == ASSESSOR) or actor.role == TEAM_MANAGER


def may_read_access_log(actor: ActorFacts, record: RecordFacts) -> bool:
    """ "Who has seen this record": administrators (the route for the person's own request) and
    team managers who may know the record's content."""
    if _is_administrator(actor):
        return True
    return (
        actor.kind is ActorKind.USER
        and actor.role == TEAM_MANAGER
        and decide(actor, record).allows(Level.CONTENT)
    )


def may_export_return(actor: ActorFacts) -> bool:
    """The person-level quarterly return, a bulk list keyed by CHI: performance analysts, partner
    systems (the API's door also asks for the ``reports:read`` scope) and the command line."""
    if actor.kind is ActorKind.USER:
        return actor.role == PERFORMANCE_ANALYST
    return True


def in_return(actor: ActorFacts, record: RecordFacts) -> Decision:
    """What the quarterly return may carry of one person: their content where the view in force
    for the actor's organisation shares (no view, or agreed), and nothing otherwise.

    A person who declined or withdrew sharing is left out of the return altogether, not listed
    with their identity only: the identity level is there to find one record and whom to
    contact, not for a list of people that a partner may not know more of. Emergency access
    is for one person's care, never a bulk export, so it does not count here.
    """
    if not may_export_return(actor):
        return Decision(Level.NOTHING, False, False, reason="role")
    if not record.sharing.shares:
        return Decision(Level.NOTHING, False, False, reason=record.sharing.value)
    return Decision(Level.CONTENT, False, False)
