"""Saving one part of a draft changed by a builder (rules or test cases), checked first.

The builders (``rule_editing``, ``case_editing``) change the parsed document; this writes it
back as the part's text and saves the draft through ``drafts.save_draft`` (revision check,
audit). A rules change that brings a new problem into the rules is refused, with the problems,
and nothing is saved: what the builder makes is checked as it is built. A test case that fails
is saved (it says something about the rules worth knowing) and shown failing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..db import DbSession
from ..kernel.actor import Actor
from .checks import CheckContext, DraftCheck, DraftTexts, check_draft, file_names
from .drafts import DraftRefused, source_texts
from .drafts import save_draft as save_texts
from .models import QuestionnaireVersion

EDITABLE_PARTS = ("rules", "test_cases")


def text_of(value: Any) -> str:
    """A part's text as the builders write it (two-space indents, as the bundled files)."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def _problem_keys(result: DraftCheck, file: str, kinds: set[str]) -> set[tuple[str, str]]:
    return {(p.pointer, p.message) for p in result.problems if p.file == file and p.check in kinds}


def save_part(
    session: DbSession,
    actor: Actor,
    context: CheckContext,
    draft: QuestionnaireVersion,
    form_schemas: Path,
    *,
    part: str,
    value: Any,
    expected_revision: int,
    checked: DraftCheck | None = None,
) -> DraftCheck:
    """Save ``value`` as the draft's ``part`` (``rules`` or ``test_cases``); the other parts
    stay as saved. Raises ``DraftRefused`` when a rules change adds a problem to the rules.

    ``checked`` is the check of the saved texts, when the caller has it already."""
    if part not in EDITABLE_PARTS:
        raise ValueError(part)
    key, number = draft.questionnaire.key, draft.version
    before = source_texts(session, draft, form_schemas)
    texts = DraftTexts(
        before.document,
        text_of(value) if part == "rules" else before.rules,
        text_of(value) if part == "test_cases" else before.test_cases,
    )
    if part == "rules":
        file = file_names(key, number)["rules"]
        old = checked or check_draft(before, key=key, version=number, context=context)
        new = check_draft(texts, key=key, version=number, context=context)
        added = _problem_keys(new, file, {"rules", "json"}) - _problem_keys(
            old, file, {"rules", "json"}
        )
        if added:
            raise DraftRefused(
                "That change would give the rules a problem, so it was not saved",
                [p for p in new.problems if (p.pointer, p.message) in added],
            )
    return save_texts(session, actor, context, draft, texts, expected_revision=expected_revision)
