"""Carrying answers forward from one questionnaire version to another, by question id (JSON
Pointer), where the new version still asks the question and still accepts the answer; everything
else is flagged with the reason. Used by reviews (``assessments.review``) and the administrators'
"what if" re-scoring.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from .runtime import PreparedVersion
from .structure import Question, QuestionType, Structure

#: (JSON Pointer, why the answer there needs the assessor's attention)
Flag = tuple[str, str]


def _token(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _untoken(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _leaves(structure: Structure, value: Any, pointer: str) -> Iterator[str]:
    """Pointers of every answered question (not section or group) in ``value``."""
    question = structure.question(pointer) if pointer else None
    if isinstance(value, Mapping) and (question is None or question.type.is_container):
        for name, inner in value.items():
            yield from _leaves(structure, inner, f"{pointer}/{_token(name)}")
    elif (
        isinstance(value, list)
        and question is not None
        and question.type is QuestionType.REPEATING_GROUP
    ):
        for index, item in enumerate(value):
            yield from _leaves(structure, item, f"{pointer}/{index}")
    else:
        yield pointer


def _delete(document: Any, pointer: str) -> bool:
    """Remove the value at ``pointer``; False when there is nothing there."""
    tokens = [_untoken(t) for t in pointer[1:].split("/")] if pointer else []
    if not tokens:
        return False
    node = document
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    last = tokens[-1]
    if isinstance(node, dict) and last in node:
        del node[last]
        return True
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        del node[int(last)]
        return True
    return False


def _drop_unknown(
    old: Structure, new: Structure, value: Any, pointer: str, flagged: list[Flag]
) -> None:
    """Remove (and flag) answers to questions the new version no longer asks."""
    if not isinstance(value, dict):
        return
    for name in list(value):
        child = f"{pointer}/{_token(name)}"
        question = new.question(child)
        if question is None:
            before = old.question(child)
            title = f"“{before.title}”: " if before is not None else ""
            flagged.append((child, f"{title}no longer asked in the new version"))
            del value[name]
        elif question.type.is_container and question.type is not QuestionType.REPEATING_GROUP:
            _drop_unknown(old, new, value[name], child, flagged)
        elif question.type is QuestionType.REPEATING_GROUP and isinstance(value[name], list):
            for index, item in enumerate(value[name]):
                _drop_unknown(old, new, item, f"{child}/{index}", flagged)


def _title(structure: Structure, pointer: str) -> str:
    question: Question | None = structure.question(pointer)
    return f"“{question.title}”: " if question is not None else ""


def carry_forward(
    prepared_old: PreparedVersion, prepared_new: PreparedVersion, answers: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Flag]]:
    """The answers the new version still accepts, and (pointer, reason) for everything else.

    Each carried answer is validated against the new version: an answer it refuses (an option
    that no longer exists, a value now out of range) is dropped and flagged with the message;
    answers to questions the new version hides for these answers are dropped and flagged; new
    questions now shown are flagged as not yet answered.
    """
    old = prepared_old.questionnaire
    new = prepared_new.questionnaire
    flagged: list[Flag] = []
    result: dict[str, Any] = copy.deepcopy(old.prune(dict(answers)))
    _drop_unknown(old.structure, new.structure, result, "", flagged)
    for _round in range(50):
        errors = new.validate(result, complete=False)
        if not errors:
            break
        removed = False
        for pointer in sorted(errors, key=lambda p: (p.count("/"), p), reverse=True):
            if _delete(result, pointer):
                removed = True
                flagged.append((pointer, f"{_title(new.structure, pointer)}{errors[pointer][0]}"))
        if not removed:  # nothing left that can be removed: keep none of it
            flagged += [(p, "the answers could not be carried forward") for p in errors]
            result = {}
            break
    before = set(_leaves(new.structure, result, ""))
    result = new.prune(result)
    after = set(_leaves(new.structure, result, ""))
    flagged += [
        (p, f"{_title(new.structure, p)}not asked for these answers in the new version")
        for p in sorted(before - after)
    ]
    visible = new.visible_pointers(result)
    for pointer, question in new.structure.questions.items():
        if (
            question.type.takes_answer
            and not question.type.is_container
            and "*" not in pointer
            and old.structure.question(pointer) is None
            and pointer in visible
        ):
            flagged.append((pointer, f"“{question.title}”: a new question, not yet answered"))
    return result, flagged
