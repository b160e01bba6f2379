"""Every model, imported in one place so that the metadata (and Alembic) sees all tables."""

from .admin.models import DraftSource
from .api.models import ApiClient, IdempotencyKey
from .assessments.models import Assessment, Decision, Referral
from .auth.models import RecoveryCode, User, UserSession
from .partners.models import Organisation, Service
from .questionnaires.models import Questionnaire, QuestionnaireVersion
from .records.models import (
    AuditEvent,
    BreakGlassGrant,
    Client,
    SharingView,
    SharingViewPartner,
)

__all__ = [
    "ApiClient",
    "Assessment",
    "AuditEvent",
    "BreakGlassGrant",
    "Client",
    "Decision",
    "DraftSource",
    "IdempotencyKey",
    "Organisation",
    "Questionnaire",
    "QuestionnaireVersion",
    "RecoveryCode",
    "Referral",
    "Service",
    "SharingView",
    "SharingViewPartner",
    "User",
    "UserSession",
]
