"""Every model, imported in one place so that the metadata (and Alembic) sees all tables."""

from .api.models import ApiClient, IdempotencyKey
from .assessments.models import Assessment, Decision, Referral
from .auth.models import RecoveryCode, User, UserSession
from .kernel.models import AuditEvent
from .notifications.models import OutboxMessage, ScheduledRun
from .partners.models import Organisation, Service
from .questionnaires.draft_sources import DraftSource
from .questionnaires.models import Questionnaire, QuestionnaireVersion
from .records.checkpoints import AuditCheckpoint
from .records.models import BreakGlassGrant, Client, SharingView, SharingViewPartner
from .reports.models import DailyFact, FoldedDay, NowSnapshot
from .support.models import Review, ReviewPolicy, SupportPlan, SupportPlanVersion

__all__ = [
    "ApiClient",
    "Assessment",
    "AuditCheckpoint",
    "AuditEvent",
    "BreakGlassGrant",
    "Client",
    "DailyFact",
    "Decision",
    "DraftSource",
    "FoldedDay",
    "IdempotencyKey",
    "NowSnapshot",
    "Organisation",
    "OutboxMessage",
    "Questionnaire",
    "QuestionnaireVersion",
    "RecoveryCode",
    "Referral",
    "Review",
    "ReviewPolicy",
    "ScheduledRun",
    "Service",
    "SharingView",
    "SharingViewPartner",
    "SupportPlan",
    "SupportPlanVersion",
    "User",
    "UserSession",
]
