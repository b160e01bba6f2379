"""SDC calculated totals as weighted-sum rules: the FHIR score knowledge of the import.

A total given as an SDC ``calculatedExpression`` becomes a ``weighted_sum`` rule when the
expression is a sum of item scores in one of the common FHIRPath shapes:

* the whole questionnaire's scores: ``%resource.answers().value.ordinal().sum()``,
  ``%resource.repeat(item).answer.weight().sum()`` (and ``item.answer...`` spellings);
* a sum of ``%variables``, each the score of one item (``%resource.item.where(linkId='x')
  .answer.value.ordinal()``, or the LHC-Forms look-up of the chosen answerOption's
  ordinalValue/itemWeight extension), written as ``%a + %b``, as
  ``iif(%a.exists() and %b.exists(), %a + %b, {})`` (every item needed), or as
  ``iif(%any, iif(%a.exists(), %a, 0) + ..., {})`` (the answered items).

Anything else is not guessed at: the caller reports it by linkId.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .common import ITEM_WEIGHT, ORDINAL_VALUE

CALCULATED_EXPRESSION = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
)
VARIABLE = "http://hl7.org/fhir/StructureDefinition/variable"

_WHOLE = re.compile(
    r"%resource\.(?:answers\(\)|repeat\(item\)\.answer|(?:item\.)+answer)"
    r"\.(?:value\.)?(?:ordinal|weight)\(\)\.sum\(\)"
)
_ITEM_SCORE = re.compile(
    r"%resource\.item\.where\(linkId='(?P<link>[^']+)'\)\.answer\.value\.(?:ordinal|weight)\(\)"
)
_OPTION_SCORE = re.compile(
    r"%questionnaire\.item\.where\(linkId='(?P<link>[^']+)'\)\.answerOption"
    r"\.where\(valueCoding\.code=%resource\.item\.where\(linkId='(?P=link)'\)"
    r"\.answer\.valueCoding\.code\)\.extension\.where\(url=(?P<url>[^)]+)\)\.value(?:Decimal|Integer)"
)
_SCORE_URLS = {f"'{ORDINAL_VALUE}'", f"'{ITEM_WEIGHT}'"}


@dataclass(frozen=True, slots=True)
class Total:
    """An item with a calculatedExpression, and the variables in its scope."""

    link_id: str
    title: str
    expression: str
    variables: Mapping[str, str]


def total_rule(
    total: Total, scored: Mapping[str, str], output: str
) -> tuple[dict[str, Any] | None, str]:
    """The weighted-sum rule for ``total`` (``scored``: linkId to pointer of each scored
    question), or None and why it cannot be one."""
    parsed = _summed(total)
    if parsed is None:
        return None, (
            f"its calculatedExpression {total.expression!r} is not a sum of item scores "
            "(the shapes this import reads), so no rule computes it"
        )
    link_ids, policy = parsed
    if link_ids is None:
        link_ids = list(scored)
    missing = [link_id for link_id in link_ids if link_id not in scored]
    if missing or not link_ids:
        return None, (
            f"its calculatedExpression sums the scores of {', '.join(missing) or 'no items'}, "
            "which are not scored questions of the import, so no rule computes it"
        )
    slug = re.sub(r"[^a-z0-9]+", "-", total.link_id.lower()).strip("-")[:50] or "item"
    rule = {
        "id": f"total-{slug}",
        "kind": "weighted_sum",
        "title": total.title[:200],
        "description": (
            f"Imported from the calculatedExpression of FHIR item {total.link_id}: "
            f"{total.expression}"
        )[:1000],
        "items": [scored[link_id] for link_id in link_ids],
        "output": output,
        "unanswered": policy,
    }
    return rule, ""


def _summed(total: Total) -> tuple[list[str] | None, str] | None:
    """(the linkIds summed, or None for every scored item; the unanswered policy)."""
    text = _squeeze(total.expression)
    if _WHOLE.fullmatch(text):
        return None, "skip"
    single = _item_link(text, total.variables)
    if single is not None:
        return [single], "require"
    inner = re.fullmatch(r"iif\((.*),\{\}\)", text)
    if inner:
        parts = _split(inner.group(1), ",")
        if len(parts) != 2:
            return None
        condition, body = parts
        terms = _split(body, "+")
        names = _exists_all(condition)
        if names is not None and all(t.startswith("%") for t in terms):
            linked = _links([t[1:] for t in terms], total.variables)
            if linked is not None and set(names) == {t[1:] for t in terms}:
                return linked, "require"
            return None
        guarded = _guarded(terms)
        any_of = total.variables.get(condition[1:]) if condition.startswith("%") else None
        if guarded is not None and any_of is not None:
            some = _exists_any(_squeeze(any_of))
            linked = _links(guarded, total.variables)
            if linked is not None and some is not None and set(some) == set(guarded):
                return linked, "skip"
        return None
    terms = _split(text, "+")
    if len(terms) > 1 and all(re.fullmatch(r"%\w+", t) for t in terms):
        linked = _links([t[1:] for t in terms], total.variables)
        return (linked, "require") if linked is not None else None
    guarded = _guarded(terms)
    if guarded is not None:
        linked = _links(guarded, total.variables)
        return (linked, "zero") if linked is not None else None
    return None


def _squeeze(expression: str) -> str:
    """The expression without whitespace outside quotes."""
    return re.sub(r"\s+(?=(?:[^']*'[^']*')*[^']*$)", "", expression)


def _split(text: str, separator: str) -> list[str]:
    """``text`` split on ``separator`` outside parentheses and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "({":
            depth += 1
        elif not quoted and char in ")}":
            depth -= 1
        elif not quoted and depth == 0 and char == separator:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _exists_all(condition: str) -> list[str] | None:
    names = re.findall(r"%(\w+)\.exists\(\)", condition)
    rebuilt = "and".join(f"%{name}.exists()" for name in names)
    return names if names and rebuilt == condition else None


def _exists_any(condition: str) -> list[str] | None:
    names = re.findall(r"%(\w+)\.exists\(\)", condition)
    rebuilt = "or".join(f"%{name}.exists()" for name in names)
    return names if names and rebuilt == condition else None


def _guarded(terms: list[str]) -> list[str] | None:
    """``iif(%a.exists(),%a,0)`` terms: the variable names, or None."""
    names = []
    for term in terms:
        match = re.fullmatch(r"iif\(%(\w+)\.exists\(\),%(\w+),0\)", term)
        if match is None or match.group(1) != match.group(2):
            return None
        names.append(match.group(1))
    return names


def _links(names: list[str], variables: Mapping[str, str]) -> list[str] | None:
    """The linkId each variable is the score of, or None if one is not an item's score."""
    found = []
    for name in names:
        expression = variables.get(name)
        link = _item_link(_squeeze(expression), variables) if expression else None
        if link is None:
            return None
        found.append(link)
    return found


def _item_link(text: str, variables: Mapping[str, str]) -> str | None:
    """The linkId whose score ``text`` is, or None."""
    match = _ITEM_SCORE.fullmatch(text)
    if match:
        return match.group("link")
    match = _OPTION_SCORE.fullmatch(text)
    if match:
        url = match.group("url")
        if url.startswith("%"):
            url = _squeeze(variables.get(url[1:], ""))
        return match.group("link") if url in _SCORE_URLS else None
    return None
