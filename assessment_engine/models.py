"""Every model, imported in one place so that the metadata (and Alembic) sees all tables."""

from .assessments.models import Assessment, Decision, Referral
from .auth.models import User, UserSession
from .partners.models import Organisation, Service
from .questionnaires.models import Questionnaire, QuestionnaireVersion
from .records.models import AuditEvent, Client

__all__ = [
    "Assessment",
    "AuditEvent",
    "Client",
    "Decision",
    "Organisation",
    "Questionnaire",
    "QuestionnaireVersion",
    "Referral",
    "Service",
    "User",
    "UserSession",
]
