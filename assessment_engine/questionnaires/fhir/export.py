"""Questionnaire versions as FHIR R4 Questionnaires, and answers as QuestionnaireResponses.

linkId is the question's pointer (with ``*`` for the items of a repeating group), or the source
linkId of a questionnaire imported from FHIR (kept in ``x-fhir``), so a
response maps back onto the questionnaire version without any lookup table.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ..structure import Clause, Condition, Option, Question, QuestionType, Structure, kind_of
from .common import (
    CALCULATED_EXTENSION,
    CHI_SYSTEM,
    OPTION_TYPE_EXTENSION,
    ORDINAL_VALUE,
    RULES_EXTENSION,
    canonical_url,
    option_code,
    option_system,
)

_STATUSES = {"draft": "draft", "published": "active", "retired": "retired"}


def _instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def questionnaire_resource(
    *,
    key: str,
    version: int,
    status: str,
    structure: Structure,
    published_at: datetime | None = None,
    rules: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The version as a FHIR R4 Questionnaire (SDC-style scores as ``ordinalValue``; the
    rules, calculated values and option value types in our own extensions, so that the
    export imports back as the same questionnaire)."""
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": f"{key}-v{version}",
        "url": canonical_url(key),
        "version": str(version),
        "name": "".join(part.capitalize() for part in key.replace("_", "-").split("-")) or "Q",
        "title": structure.title,
        "status": _STATUSES.get(status, "unknown"),
        "subjectType": ["Patient"],
    }
    if structure.description:
        resource["description"] = structure.description
    source = structure.fhir or {}
    if isinstance(source.get("url"), str):  # imported: say from which Questionnaire
        version_suffix = f"|{source['version']}" if isinstance(source.get("version"), str) else ""
        resource["derivedFrom"] = [f"{source['url']}{version_suffix}"]
    for element in ("publisher", "copyright"):
        if isinstance(source.get(element), str):
            resource[element] = source[element]
    date = _instant(published_at)
    if date:
        resource["date"] = date
    if rules and rules.get("rules"):
        resource["extension"] = [
            {"url": RULES_EXTENSION, "valueString": json.dumps(rules, ensure_ascii=False)}
        ]
    resource["item"] = [_item(section, structure, key, version) for section in structure.sections]
    return resource


def _item(question: Question, structure: Structure, key: str, version: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "linkId": question.link_id,
        "text": question.title,
        "type": kind_of(question).fhir_type,
    }
    kept = question.fhir or {}
    for element in ("prefix", "code", "initial", "readOnly"):
        if element in kept:
            item[element] = kept[element]
    extensions: list[dict[str, Any]] = []
    if question.required and question.type.takes_answer:
        item["required"] = True
    if question.type is QuestionType.REPEATING_GROUP:
        item["repeats"] = True
    if question.type is QuestionType.GUIDANCE:
        item["text"] = question.guidance or question.description or question.title
    if question.type is QuestionType.CALCULATED and question.calculation is not None:
        item["readOnly"] = True
        calculated = {"operation": question.calculation.operation, "of": question.calculation.of}
        extensions.append({"url": CALCULATED_EXTENSION, "valueString": json.dumps(calculated)})
    if question.max_length is not None and item["type"] in ("string", "text"):
        item["maxLength"] = question.max_length
    if question.options:
        item["answerOption"] = [_option(question, each, key, version) for each in question.options]
        kinds = {type(option.value) for option in question.options}
        if kinds in ({int}, {float}, {int, float}):  # codes are strings: say what they were
            value_type = "integer" if kinds == {int} else "number"
            extensions.append({"url": OPTION_TYPE_EXTENSION, "valueCode": value_type})
    extensions += kind_of(question).fhir_item(question, item)
    if extensions:
        item["extension"] = extensions
    enable_when = _enable_when(question, structure, key, version)
    if enable_when is not None:
        item["enableWhen"], behaviour = enable_when
        if len(item["enableWhen"]) > 1:
            item["enableBehavior"] = behaviour
    if question.children:
        item["item"] = [_item(child, structure, key, version) for child in question.children]
    return item


def _option(question: Question, option: Option, key: str, version: int) -> dict[str, Any]:
    """An answer option: its own coding when imported from FHIR, else our per-question system."""
    entry: dict[str, Any] = {"valueCoding": _coding(question, option, key, version)}
    if option.score is not None:
        entry["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": option.score}]
    return entry


def _coding(question: Question, option: Option, key: str, version: int) -> dict[str, Any]:
    return {
        "system": option.system or option_system(key, version, question),
        "code": option.code or option_code(option.value),
        "display": option.label,
    }


# ------------------------------------------------------------------------------- enableWhen


def _enable_when(
    question: Question, structure: Structure, key: str, version: int
) -> tuple[list[dict[str, Any]], str] | None:
    """The question's conditions as enableWhen, when FHIR can say the same; else None.

    All conditions must hold. Each condition's clauses all hold (``then``) or not all of them
    do (``else``). FHIR can say "all of these" or "any of these" over simple comparisons, so a
    mix that needs both, or a negation of several clauses, is left out (the form still
    applies it; a FHIR renderer shows the question always).
    """
    if not question.conditions:
        return None
    all_of: list[dict[str, Any]] = []
    any_of: list[dict[str, Any]] | None = None
    for condition in question.conditions:
        expressed = _condition(condition, structure, key, version)
        if expressed is None:
            return None
        entries, behaviour = expressed
        if behaviour == "any" and len(entries) > 1:
            if any_of is not None:
                return None
            any_of = entries
        else:
            all_of += entries
    if any_of is not None:
        return (any_of, "any") if not all_of else None
    return all_of, "all"


def _condition(
    condition: Condition, structure: Structure, key: str, version: int
) -> tuple[list[dict[str, Any]], str] | None:
    if condition.negated:
        if len(condition.clauses) != 1:
            return None
        return _negated_clause(condition.clauses[0], structure, key, version)
    entries: list[dict[str, Any]] = []
    for clause in condition.clauses:
        expressed = _clause(clause, structure, key, version)
        if expressed is None:
            return None
        more, behaviour = expressed
        if behaviour == "any" and len(more) > 1:
            if len(condition.clauses) > 1:
                return None
            return more, "any"
        entries += more
    return entries, "all"


_COMPARISONS = {
    "minimum": ">=",
    "maximum": "<=",
    "exclusiveMinimum": ">",
    "exclusiveMaximum": "<",
}
_NEGATED_COMPARISONS = {
    "minimum": "<",
    "maximum": ">",
    "exclusiveMinimum": "<=",
    "exclusiveMaximum": ">=",
}


def _clause(
    clause: Clause, structure: Structure, key: str, version: int
) -> tuple[list[dict[str, Any]], str] | None:
    subject = structure.questions.get(clause.subject)
    if subject is None:
        return None
    if clause.keyword == "answered":
        return [{"question": subject.link_id, "operator": "exists", "answerBoolean": True}], "all"
    if clause.keyword == "const":
        answer = _answer(subject, clause.value, key, version)
        return None if answer is None else ([_when(subject.link_id, "=", answer)], "all")
    if clause.keyword == "enum" and isinstance(clause.value, list):
        return _each(subject, subject.link_id, "=", clause.value, key, version, "any")
    if clause.keyword == "contains" and isinstance(clause.value, Mapping):
        if "const" in clause.value:
            value = [clause.value["const"]]
            return _each(subject, subject.link_id, "=", value, key, version, "all")
        values = clause.value.get("enum")
        if isinstance(values, list):
            return _each(subject, subject.link_id, "=", values, key, version, "any")
        return None
    if clause.keyword == "minItems" and clause.value == 1:
        return [{"question": subject.link_id, "operator": "exists", "answerBoolean": True}], "all"
    if clause.keyword in _COMPARISONS and subject.type in (
        QuestionType.INTEGER,
        QuestionType.DECIMAL,
    ):
        answer = _answer(subject, clause.value, key, version)
        if answer is None:
            return None
        return [_when(subject.link_id, _COMPARISONS[clause.keyword], answer)], "all"
    return None


def _negated_clause(
    clause: Clause, structure: Structure, key: str, version: int
) -> tuple[list[dict[str, Any]], str] | None:
    subject = structure.questions.get(clause.subject)
    if subject is None:
        return None
    if clause.keyword == "answered":
        return [{"question": subject.link_id, "operator": "exists", "answerBoolean": False}], "all"
    if clause.keyword == "const" and subject.type is not QuestionType.MULTIPLE_CHOICE:
        answer = _answer(subject, clause.value, key, version)
        return None if answer is None else ([_when(subject.link_id, "!=", answer)], "all")
    if clause.keyword == "enum" and isinstance(clause.value, list):
        if subject.type is QuestionType.MULTIPLE_CHOICE:
            return None
        return _each(subject, subject.link_id, "!=", clause.value, key, version, "all")
    if clause.keyword in _NEGATED_COMPARISONS and subject.type in (
        QuestionType.INTEGER,
        QuestionType.DECIMAL,
    ):
        answer = _answer(subject, clause.value, key, version)
        if answer is None:
            return None
        return [_when(subject.link_id, _NEGATED_COMPARISONS[clause.keyword], answer)], "all"
    return None


def _each(
    subject: Question,
    pointer: str,
    operator: str,
    values: Sequence[Any],
    key: str,
    version: int,
    behaviour: str,
) -> tuple[list[dict[str, Any]], str] | None:
    entries = []
    for value in values:
        answer = _answer(subject, value, key, version)
        if answer is None:
            return None
        entries.append(_when(pointer, operator, answer))
    return entries, behaviour


def _when(pointer: str, operator: str, answer: tuple[str, Any]) -> dict[str, Any]:
    name, value = answer
    return {"question": pointer, "operator": operator, name: value}


def _answer(subject: Question, value: Any, key: str, version: int) -> tuple[str, Any] | None:
    """The typed ``answer[x]`` for comparing ``subject``'s answer with ``value``."""
    if subject.options:
        option = subject.option(value)
        if option is None:
            return None
        coding = _coding(subject, option, key, version)
        return "answerCoding", {"system": coding["system"], "code": coding["code"]}
    if isinstance(value, bool) and subject.type is not QuestionType.YES_NO:
        return None
    return kind_of(subject).fhir_condition(subject, value)


# ------------------------------------------------------------------------ QuestionnaireResponse


def response_resource(
    *,
    assessment_id: str,
    key: str,
    version: int,
    structure: Structure,
    answers: Mapping[str, Any],
    status: str,
    chi: str,
    subject_name: str,
    authored: datetime | None,
    nhs_number: str | None = None,
) -> dict[str, Any]:
    """Answers as a QuestionnaireResponse naming its questionnaire as ``url|version``."""
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": assessment_id,
        "questionnaire": f"{canonical_url(key)}|{version}",
        "status": "in-progress" if status == "draft" else "completed",
        "subject": {
            "identifier": {"system": CHI_SYSTEM, "value": chi},
            "display": subject_name,
        },
    }
    stamp = _instant(authored)
    if stamp:
        resource["authored"] = stamp
    items = _answer_items(structure.sections, answers, key, version)
    if items:
        resource["item"] = items
    return resource


def _answer_items(
    questions: Sequence[Question], answers: Mapping[str, Any], key: str, version: int
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for question in questions:
        if question.name not in answers or not question.type.takes_answer:
            continue
        value = answers[question.name]
        if question.type in (QuestionType.SECTION, QuestionType.GROUP):
            if isinstance(value, Mapping):
                children = _answer_items(question.children, value, key, version)
                if children:
                    items.append(
                        {"linkId": question.link_id, "text": question.title, "item": children}
                    )
        elif question.type is QuestionType.REPEATING_GROUP:
            for entry in value if isinstance(value, list) else []:
                children = (
                    _answer_items(question.children, entry, key, version)
                    if isinstance(entry, Mapping)
                    else []
                )
                if children:
                    items.append(
                        {"linkId": question.link_id, "text": question.title, "item": children}
                    )
        else:
            values = value if question.type is QuestionType.MULTIPLE_CHOICE else [value]
            item: dict[str, Any] = {"linkId": question.link_id, "text": question.title}
            if values:  # "none of these" is the item without an answer
                item["answer"] = [_value(question, each, key, version) for each in values]
            items.append(item)
    return items


def _value(question: Question, value: Any, key: str, version: int) -> dict[str, Any]:
    if question.options:
        option = question.option(value)
        if option is not None:
            return {"valueCoding": _coding(question, option, key, version)}
        coding = {
            "system": option_system(key, version, question),
            "code": option_code(value),
            "display": option_code(value),
        }
        return {"valueCoding": coding}
    return kind_of(question).fhir_value(question, value)
