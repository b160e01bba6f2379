"""The one way a questionnaire version becomes published, audited, whoever publishes it: the
editor's Publish button, the API's publish operation (both through ``drafts.publish``, which
checks the draft first) and ``flask load-schemas`` (``services.load_directory``, which checks the
whole directory first).
"""

from __future__ import annotations

from typing import Any

from ..db import DbSession, utcnow
from ..kernel.actor import Actor
from ..kernel.audit import record_event
from .models import QuestionnaireVersion, VersionStatus
from .runtime import checksum

#: ``record_type`` of a questionnaire version's audit events.
RECORD_TYPE = "questionnaire_version"


def mark_published(
    session: DbSession,
    actor: Actor,
    version: QuestionnaireVersion,
    document: dict[str, Any],
    rules: Any,
    cases: Any,
) -> QuestionnaireVersion:
    """Store the checked document, rules and cases on ``version`` and publish it, audited as
    ``questionnaire.publish``. The caller has checked them; from here the version never changes.
    """
    version.document, version.rules, version.test_cases = document, rules, cases
    version.checksum = checksum(document, rules, cases)
    version.title = str(document.get("title") or version.title)[:200]
    version.status = VersionStatus.PUBLISHED
    version.published_at = utcnow()
    version.published_by_id = actor.user_id
    version.questionnaire.title = version.title
    session.add(version)
    session.flush()
    record_event(
        session,
        actor,
        "questionnaire.publish",
        record_type=RECORD_TYPE,
        record_id=version.id,
        detail={"questionnaire": version.ruleset_name, "checksum": version.checksum},
    )
    return version
