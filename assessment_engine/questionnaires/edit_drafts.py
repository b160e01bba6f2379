"""Saving one question-editor edit on a draft: read its texts, apply a pure edit from
:mod:`.editing`, and save the result through :func:`drafts.save_draft` (checked, audited, and
refused if someone saved since). The view commits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..db import DbSession
from ..kernel.actor import Actor
from .checks import CheckContext, DraftCheck
from .drafts import AdminError, StaleDraft, current_revision, save_draft, source_of, source_texts
from .editing import Draft
from .models import QuestionnaireVersion


def current(session: DbSession, draft: QuestionnaireVersion, form_schemas: Path) -> Draft:
    """The draft's parsed parts (refused, in words, when a text is not JSON)."""
    return Draft.parse(source_texts(session, draft, form_schemas))


def apply_edit(
    session: DbSession,
    actor: Actor,
    context: CheckContext,
    draft: QuestionnaireVersion,
    change: Callable[[Draft], Draft],
    *,
    expected_revision: int,
    form_schemas: Path,
) -> DraftCheck:
    """Apply ``change`` to the draft as saved at ``expected_revision`` and save it."""
    if current_revision(session, draft) != expected_revision:
        source = source_of(session, draft)
        if source is None:
            raise AdminError("This draft has changed since you opened it; open it again")
        raise StaleDraft(source)
    before = source_texts(session, draft, form_schemas)
    parsed = Draft.parse(before)
    after = change(parsed).texts(before, parsed)  # the edits copy: ``parsed`` is unchanged
    return save_draft(session, actor, context, draft, after, expected_revision=expected_revision)
