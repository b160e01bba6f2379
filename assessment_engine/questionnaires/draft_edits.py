"""Saving one part of a draft changed by a builder (rules or test cases), checked first.

The builders (``rule_editing``, ``case_editing``) change the parsed document; this writes it
back as the part's text and saves the draft through ``drafts.save_draft`` (revision check,
audit). A rules change that brings a new problem into the rules is refused, with the problems,
and nothing is saved: what the builder makes is checked as it is built. A test case that fails
is saved (it says something about the rules worth knowing) and shown failing.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from ..db import DbSession
from ..kernel.actor import Actor
from .checks import CheckContext, DraftCheck, DraftTexts, check_draft, file_names
from .drafts import DraftRefused, source_texts
from .drafts import save_draft as save_texts
from .models import QuestionnaireVersion
from .problems import Problem

EDITABLE_PARTS = ("rules", "test_cases")


def text_of(value: Any) -> str:
    """A part's text as the builders write it (two-space indents, as the bundled files)."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def _rule_problems(result: DraftCheck, file: str) -> list[Problem]:
    return [p for p in result.problems if p.file == file and p.check in {"rules", "json"}]


def added_problems(old: DraftCheck, new: DraftCheck, file: str) -> list[Problem]:
    """The problems of ``file`` that ``new`` has and ``old`` has not. Told apart by message,
    counted, not by pointer: removing a rule moves the pointers of the problems after it,
    which are not new for that."""
    before = Counter(p.message for p in _rule_problems(old, file))
    now = Counter(p.message for p in _rule_problems(new, file))
    return [p for p in _rule_problems(new, file) if now[p.message] > before[p.message]]


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
        added = added_problems(old, new, file)
        if added:
            raise DraftRefused(
                "That change would give the rules a problem, so it was not saved", added
            )
    return save_texts(session, actor, context, draft, texts, expected_revision=expected_revision)
