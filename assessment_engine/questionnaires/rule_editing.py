"""Editing a rules document without writing JSON, and reading any rules document back in words.

The common shapes an administrator builds from the questions' words and options:

* a **scored sum with bands** (a ``weighted_sum`` rule and the ``bands`` rule on its total);
* a **flag** when an answer (or a total) meets a condition (a ``condition`` rule);
* a **referral** to a service, with its urgency and priority, when a flag is set or a band is
  reached (a line of the one ``route`` rule; the route follows from the services referred).

Every function here is pure: it takes the rules document (a dict, as stored) and returns a new
one, never changing the one given, or raises :class:`RuleEditError` naming the field to put right.
The caller checks what is built (``checks.check_draft``) before saving it. Anything these shapes
do not cover is left alone, and :func:`describe` says it in words, read-only (the expert mode is
the JSON editor).
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ..kernel.errors import DomainError
from ..scoring.outcomes import Priority, Urgency
from ..scoring.services import ServiceSpec
from .structure import Question, QuestionType, Structure

#: Comparisons a flag may make, in the words the form shows, and their JsonLogic operator.
OPERATORS: Final[Mapping[str, tuple[str, str]]] = {
    "is": ("is", "=="),
    "is_not": ("is not", "!="),
    "at_least": ("is at least", ">="),
    "at_most": ("is at most", "<="),
    "more_than": ("is more than", ">"),
    "less_than": ("is less than", "<"),
}
_WORDS_OF_OPERATOR: Final = {op: words for words, op in OPERATORS.values()}
_NUMERIC_OPERATORS: Final = frozenset({"at_least", "at_most", "more_than", "less_than"})
_KIND_WORDS: Final = {"health": "health", "social_care": "social care", "community": "community"}
ROUTE_RULE_ID: Final = "routing"


class RuleEditError(DomainError):
    """A change that cannot be made as asked; ``field`` names the form field to put right."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message, {field_name: message})
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Band:
    """One band of a banded sum, as the administrator names it: ``low`` to ``high`` inclusive."""

    label: str
    low: float
    high: float

    @property
    def name(self) -> str:
        return name_of(self.label)


@dataclass(frozen=True)
class RuleView:
    """One rule in words; ``shape`` is the builder that can change it, or None (expert only)."""

    id: str
    kind: str
    title: str
    sentences: tuple[str, ...]
    shape: str | None = None
    #: for a route rule: its referral lines, each (line id, sentence)
    lines: tuple[tuple[str, str], ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------------- names


def name_of(words: str) -> str:
    """A score, band or flag name from the administrator's words: ``"Needs help"`` ->
    ``needs_help`` (letters, digits and underscores, starting with a letter)."""
    name = re.sub(r"[^a-z0-9]+", "_", words.strip().lower()).strip("_")
    if not name or not name[0].isalpha():
        name = f"x_{name}" if name else ""
    return name[:60]


def _id_of(name: str, suffix: str = "") -> str:
    return (name.replace("_", "-") + suffix)[:64]


def _rules_of(document: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    listed = (document or {}).get("rules")
    return [rule for rule in listed if isinstance(rule, dict)] if isinstance(listed, list) else []


def _copy(document: Mapping[str, Any] | None) -> dict[str, Any]:
    new = copy.deepcopy(dict(document or {}))
    if not isinstance(new.get("rules"), list):
        new["rules"] = []
    return new


def _ids(document: Mapping[str, Any]) -> set[str]:
    return {str(rule.get("id")) for rule in _rules_of(document)}


def _unused_id(document: Mapping[str, Any], wanted: str, field_name: str) -> str:
    if wanted in _ids(document):
        raise RuleEditError(
            field_name, f"A rule called {wanted} already exists: choose another name"
        )
    return wanted


def written(document: Mapping[str, Any] | None, namespace: str) -> list[str]:
    """The names the rules write in ``namespace`` (``scores``, ``bands`` or ``flags``)."""
    names: list[str] = []
    for rule in _rules_of(document):
        kind = rule.get("kind")
        if namespace == "flags" and kind == "condition" and isinstance(rule.get("flag"), str):
            names.append(rule["flag"])
        elif (namespace, kind) in (("scores", "weighted_sum"), ("bands", "bands")):
            names.append(str(rule.get("output")))
    return list(dict.fromkeys(names))


def band_values(document: Mapping[str, Any] | None) -> list[tuple[str, str, str]]:
    """Every band a bands rule can give: (band output, band name, label)."""
    found = []
    for rule in _rules_of(document):
        if rule.get("kind") == "bands" and isinstance(rule.get("bands"), list):
            for band in rule["bands"]:
                if isinstance(band, dict) and isinstance(band.get("band"), str):
                    label = str(band.get("label") or band["band"].replace("_", " "))
                    found.append((str(rule.get("output")), band["band"], label))
    return found


# ------------------------------------------------------------------------- questions


def summable(structure: Structure) -> list[Question]:
    """Questions whose answers have a score: options with scores, numbers, yes/no."""
    kinds = {QuestionType.INTEGER, QuestionType.DECIMAL, QuestionType.YES_NO}
    return [
        question for question in structure if question.scores is not None or question.type in kinds
    ]


def comparable(structure: Structure) -> list[Question]:
    """Questions a flag can test: those with options, numbers and yes/no questions."""
    kinds = {
        QuestionType.INTEGER,
        QuestionType.DECIMAL,
        QuestionType.YES_NO,
        QuestionType.SINGLE_CHOICE,
        QuestionType.SELECT,
        QuestionType.SCORED,
    }
    return [q for q in structure if q.type in kinds and "*" not in q.pointer.split("/")]


def _question(structure: Structure, pointer: str, field_name: str) -> Question:
    question = structure.questions.get(pointer)
    if question is None:
        raise RuleEditError(field_name, "Choose a question of this questionnaire")
    return question


# --------------------------------------------------------------------------- builders


def _bands_config(bands: Sequence[Band]) -> list[dict[str, Any]]:
    if not bands:
        raise RuleEditError("bands", "Give at least one band, with its name and its range")
    config = []
    names: set[str] = set()
    for index, band in enumerate(bands, start=1):
        if not band.name:
            raise RuleEditError("bands", f"Band {index}: give it a name")
        if band.name in names:
            raise RuleEditError("bands", f"Band {index}: {band.label} is used twice")
        if band.high < band.low:
            raise RuleEditError(
                "bands", f"Band {index} ({band.label}): the lowest total is above the highest"
            )
        names.add(band.name)
        entry: dict[str, Any] = {
            "band": band.name,
            "min": _number(band.low),
            "max": _number(band.high),
        }
        if band.label.strip() != band.name:
            entry["label"] = band.label.strip()
        config.append(entry)
    return config


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def add_banded_sum(
    document: Mapping[str, Any] | None,
    structure: Structure,
    *,
    title: str,
    pointers: Sequence[str],
    bands: Sequence[Band],
    unanswered: str = "require",
) -> dict[str, Any]:
    """A total of the chosen questions' scores (``scores.<name>_total``) and its bands
    (``bands.<name>``), ``name`` made from the title."""
    name = name_of(title)
    if not name:
        raise RuleEditError("title", "Give the total a name, like Mobility")
    if not pointers:
        raise RuleEditError("questions", "Choose the questions whose scores are added up")
    allowed = {q.pointer for q in summable(structure)}
    for pointer in pointers:
        if pointer not in allowed:
            raise RuleEditError("questions", "Choose only questions whose answers have a score")
    new = _copy(document)
    total_id = _unused_id(new, _id_of(name, "-total"), "title")
    band_id = _unused_id(new, _id_of(name, "-band"), "title")
    if f"{name}_total" in written(new, "scores") or name in written(new, "bands"):
        raise RuleEditError("title", f"A total called {title.strip()} already exists")
    new["rules"] += [
        {
            "id": total_id,
            "kind": "weighted_sum",
            "title": title.strip(),
            "items": list(dict.fromkeys(pointers)),
            "output": f"{name}_total",
            "unanswered": unanswered,
        },
        {
            "id": band_id,
            "kind": "bands",
            "title": title.strip(),
            "score": f"{name}_total",
            "output": name,
            "bands": _bands_config(bands),
        },
    ]
    return new


def set_bands(
    document: Mapping[str, Any] | None, rule_id: str, bands: Sequence[Band]
) -> dict[str, Any]:
    """The bands of the ``bands`` rule ``rule_id`` replaced by ``bands``."""
    new = _copy(document)
    rule = _rule(new, rule_id, "bands")
    rule["bands"] = _bands_config(bands)
    rule.pop("gaps", None) if rule.get("gaps") == "forbid" else None
    return new


def bands_of(document: Mapping[str, Any] | None, rule_id: str) -> list[Band]:
    """The bands of a ``bands`` rule, as the form shows them."""
    rule = _rule(_copy(document), rule_id, "bands")
    listed = rule.get("bands")
    return [
        Band(str(b.get("label") or b.get("band")), float(b["min"]), float(b["max"]))
        for b in (listed if isinstance(listed, list) else [])
        if isinstance(b, dict) and all(_is_number(b.get(end)) for end in ("min", "max"))
    ]


def _is_number(value: Any) -> bool:
    """A finite JSON number (not a yes/no, not an integer too big for a float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _rule(document: dict[str, Any], rule_id: str, kind: str | None = None) -> dict[str, Any]:
    for rule in _rules_of(document):
        if rule.get("id") == rule_id and (kind is None or rule.get("kind") == kind):
            return rule
    raise RuleEditError("rule", "That rule is no longer in the draft; it may have been removed")


def answer_value(question: Question, text: str) -> Any:
    """The answer value an administrator's choice or number stands for, typed as stored."""
    if question.type is QuestionType.YES_NO:
        if text in ("true", "false"):
            return text == "true"
        raise RuleEditError("value", "Choose yes or no")
    if question.options:
        for option in question.options:
            if _option_key(option.value) == text:
                return option.value
        raise RuleEditError("value", f"Choose one of the options of “{question.title}”")
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):  # "nan", "inf" and "1e400" are no answer's value
        raise RuleEditError("value", "Enter a number, like 3")
    return _number(number)


def _option_key(value: Any) -> str:
    """How an option's value travels in a form field (``True`` -> ``true``, ``2`` -> ``2``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def option_choices(question: Question) -> list[tuple[str, str]]:
    """The values a flag may compare ``question`` with, as (form value, words)."""
    if question.type is QuestionType.YES_NO:
        return [("true", "Yes"), ("false", "No")]
    return [(_option_key(o.value), o.label) for o in question.options]


def add_flag(
    document: Mapping[str, Any] | None,
    structure: Structure,
    *,
    title: str,
    subject: str,
    operator: str,
    value: str,
) -> dict[str, Any]:
    """A flag (``flags.<name>``, name made from the title) set when ``subject`` (a question's
    pointer, or ``scores.NAME``) compares with ``value`` by ``operator`` (a key of OPERATORS)."""
    name = name_of(title)
    if not name:
        raise RuleEditError("title", "Give the flag a name, like Needs help with mobility")
    if operator not in OPERATORS:
        raise RuleEditError("operator", "Choose how the answer is compared")
    typed: Any
    if subject.startswith("scores."):
        if subject[len("scores.") :] not in written(document, "scores"):
            raise RuleEditError("subject", "Choose a question or a total of these rules")
        typed = answer_value(_NUMBER, value)
    else:
        question = _question(structure, subject, "subject")
        if question not in comparable(structure):
            raise RuleEditError("subject", "Choose a question with options, a number or yes/no")
        typed = answer_value(question, value)
        if operator in _NUMERIC_OPERATORS and not isinstance(typed, int | float):
            raise RuleEditError("operator", f"“{question.title}” can only be “is” or “is not”")
        if isinstance(typed, bool) and operator in _NUMERIC_OPERATORS:
            raise RuleEditError("operator", "A yes/no answer can only be “is” or “is not”")
    new = _copy(document)
    if name in written(new, "flags"):
        raise RuleEditError("title", f"A flag called {title.strip()} already exists")
    new["rules"].append(
        {
            "id": _unused_id(new, _id_of(name), "title"),
            "kind": "condition",
            "title": title.strip(),
            "when": {OPERATORS[operator][1]: [{"var": subject}, typed]},
            "flag": name,
        }
    )
    return new


_NUMBER: Final = Question(pointer="/", name="", type=QuestionType.DECIMAL, title="a total")


def referral_triggers(document: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """What a referral may follow, as (form value, words): each flag, each band reached."""
    triggers = [(f"flag:{flag}", f"the flag {flag} is set") for flag in written(document, "flags")]
    triggers += [
        (f"band:{output}:{band}", f"{output} is in the band {label}")
        for output, band, label in band_values(document)
    ]
    return triggers


def _trigger_logic(document: Mapping[str, Any] | None, trigger: str) -> tuple[Any, str]:
    kind, _, rest = trigger.partition(":")
    if kind == "flag" and rest in written(document, "flags"):
        return {"var": f"flags.{rest}"}, rest
    output, _, band = rest.partition(":")
    if kind == "band" and (output, band) in {(o, b) for o, b, _ in band_values(document)}:
        return {"==": [{"var": f"bands.{output}"}, band]}, f"{output}-{band}"
    raise RuleEditError("when", "Choose the flag or band the referral follows")


def add_referral(
    document: Mapping[str, Any] | None,
    services: Mapping[str, ServiceSpec],
    *,
    service: str,
    trigger: str,
    urgency: str,
    priority: str,
    because: str = "",
) -> dict[str, Any]:
    """A referral line in the route rule (made if there is none yet): refer to ``service`` with
    ``urgency`` and ``priority`` when ``trigger`` (see :func:`referral_triggers`) holds."""
    if service not in services:
        raise RuleEditError("service", "Choose a service from the list")
    if urgency not in {u.value for u in Urgency}:
        raise RuleEditError("urgency", "Choose how urgent the referral is")
    if priority not in {p.value for p in Priority}:
        raise RuleEditError("priority", "Choose the referral's priority")
    logic, what = _trigger_logic(document, trigger)
    new = _copy(document)
    routes = [rule for rule in _rules_of(new) if rule.get("kind") == "route"]
    if routes:
        route = routes[0]
    else:
        route = {"id": _unused_id(new, ROUTE_RULE_ID, "service"), "kind": "route"}
        route.update(title="Routing", referrals=[])
        new["rules"].append(route)
    lines = route.setdefault("referrals", [])
    line_id = _id_of(name_of(f"{service} {what}"))
    if line_id in {line.get("id") for line in lines if isinstance(line, dict)}:
        raise RuleEditError("service", "That referral already exists for that flag or band")
    line: dict[str, Any] = {
        "id": line_id,
        "when": logic,
        "service": service,
        "urgency": urgency,
        "priority": priority,
    }
    if because.strip():
        line["because"] = because.strip()
    lines.append(line)
    return new


def remove_rule(document: Mapping[str, Any] | None, rule_id: str) -> dict[str, Any]:
    """The document without the rule ``rule_id``."""
    new = _copy(document)
    _rule(new, rule_id)
    _only_one([rule.get("id") for rule in _rules_of(new)], rule_id, "rules")
    new["rules"] = [rule for rule in new["rules"] if rule.get("id") != rule_id]
    return new


def _only_one(ids: list[Any], wanted: str, what: str) -> None:
    """Refuse to remove by an id that several share: which one is meant cannot be told."""
    if ids.count(wanted) > 1:
        raise RuleEditError(
            "rule",
            f"{ids.count(wanted)} {what} are called {wanted}, so which one to remove cannot be "
            "told: give one of them another id in the rules text first",
        )


def remove_referral(document: Mapping[str, Any] | None, line_id: str) -> dict[str, Any]:
    """The document without the referral line ``line_id`` of its route rule."""
    new = _copy(document)
    for rule in _rules_of(new):
        if rule.get("kind") == "route" and isinstance(rule.get("referrals"), list):
            ids = [line.get("id") for line in rule["referrals"] if isinstance(line, dict)]
            _only_one(ids, line_id, "referrals")
            kept = [
                line
                for line in rule["referrals"]
                if not (isinstance(line, dict) and line.get("id") == line_id)
            ]
            if len(kept) != len(rule["referrals"]):
                rule["referrals"] = kept
                return new
    raise RuleEditError("rule", "That referral is no longer in the draft")


# ----------------------------------------------------------------------------- in words


class _Words:
    """Says rules and their JsonLogic in the questions' words."""

    def __init__(
        self,
        structure: Structure | None,
        services: Mapping[str, ServiceSpec],
        bands: Mapping[tuple[str, str], str],
    ) -> None:
        self.structure = structure
        self.services = services
        self.bands = bands

    def question(self, pointer: str) -> Question | None:
        return self.structure.question(pointer) if self.structure is not None else None

    def subject(self, path: Any) -> str:
        if not isinstance(path, str):
            return "a value"
        for prefix, words in (("scores.", "the total"), ("bands.", "the band of"), ("flags.", "")):
            if path.startswith(prefix):
                name = path[len(prefix) :]
                return f"the flag {name} is set" if not words else f"{words} {name}"
        question = self.question(path)
        return f"the answer to “{question.title}”" if question else f"the answer at {path}"

    def value(self, subject: Any, value: Any) -> str:
        if isinstance(subject, str) and subject.startswith("bands.") and isinstance(value, str):
            label = self.bands.get((subject[len("bands.") :], value))
            if label is not None:
                return f"“{label}”"
        question = self.question(subject) if isinstance(subject, str) else None
        if question is not None:
            option = question.option(value)
            if option is not None:
                return f"“{option.label}”"
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value) if isinstance(value, int | float | str) else "a value"

    def logic(self, logic: Any) -> str:
        """A condition in words; anything unusual is said to be written in JSON."""
        if isinstance(logic, dict) and len(logic) == 1:
            ((op, args),) = logic.items()
            if op == "var":
                return self.subject(args if not isinstance(args, list) else args[0])
            if op in _WORDS_OF_OPERATOR and isinstance(args, list) and len(args) == 2:
                left, right = args
                if isinstance(left, dict) and set(left) == {"var"}:
                    subject = left["var"]
                    words = _WORDS_OF_OPERATOR[op]
                    return f"{self.subject(subject)} {words} {self.value(subject, right)}"
            if op in ("and", "or") and isinstance(args, list):
                return f" {op} ".join(f"({self.logic(arg)})" for arg in args)
            if op == "!":
                inner = args[0] if isinstance(args, list) and args else args
                return f"not ({self.logic(inner)})"
            if op == "!!":
                inner = args[0] if isinstance(args, list) and args else args
                return f"{self.logic(inner)} has a value"
        if logic is True:
            return "always"
        return "a condition written in JSON"

    def items(self, items: Any) -> str:
        pointers = list(items) if isinstance(items, list | dict) else []
        titles = []
        for pointer in pointers:
            question = self.question(str(pointer))
            titles.append(f"“{question.title}”" if question else str(pointer))
        return ", ".join(titles) or "no questions"

    def service(self, slug: Any) -> str:
        spec = self.services.get(str(slug))
        return spec.name or spec.slug if spec is not None else str(slug)


_UNANSWERED_WORDS: Final = {
    "require": "no total unless every question is answered",
    "skip": "unanswered questions are left out",
    "zero": "unanswered questions count 0",
    "prorate": "unanswered questions are made up in proportion",
}


def _band_words(bands: Any) -> str:
    parts = []
    for band in bands if isinstance(bands, list) else []:
        if isinstance(band, dict):
            label = band.get("label") or str(band.get("band", "")).replace("_", " ")
            parts.append(f"{label} {band.get('min')} to {band.get('max')}")
    return ", ".join(parts)


def _priority_words(priority: Any) -> str:
    if isinstance(priority, str) and priority.startswith("bands."):
        return f"priority from the band {priority[len('bands.') :]}"
    try:
        return f"priority {Priority(priority).label.lower()}"
    except ValueError:
        return "priority unknown"


def _urgency_words(urgency: Any) -> str:
    try:
        return Urgency(urgency).label.lower()
    except ValueError:
        return "urgency unknown"


def _simple_flag(rule: Mapping[str, Any]) -> bool:
    when = rule.get("when")
    if not isinstance(when, dict) or len(when) != 1:
        return False
    ((op, args),) = when.items()
    return (
        op in _WORDS_OF_OPERATOR
        and isinstance(args, list)
        and len(args) == 2
        and isinstance(args[0], dict)
        and set(args[0]) == {"var"}
        and not isinstance(args[1], dict | list)
        and set(rule) <= {"id", "kind", "title", "description", "when", "flag", "because"}
    )


def describe(
    document: Mapping[str, Any] | None,
    structure: Structure | None,
    services: Mapping[str, ServiceSpec],
) -> list[RuleView]:
    """Every rule of the document in words, each marked with the builder that can change it."""
    labels = {(output, band): label for output, band, label in band_values(document)}
    words = _Words(structure, services, labels)
    views = []
    for rule in _rules_of(document):
        kind = str(rule.get("kind"))
        rule_id, title = str(rule.get("id")), str(rule.get("title") or rule.get("id"))
        sentences: list[str] = []
        shape: str | None = None
        lines: list[tuple[str, str]] = []
        if kind == "weighted_sum":
            policy = _UNANSWERED_WORDS.get(str(rule.get("unanswered", "require")), "")
            weighted = " (weighted)" if isinstance(rule.get("items"), dict) else ""
            sentences.append(
                f"Adds up the scores{weighted} of {words.items(rule.get('items'))} into the "
                f"total {rule.get('output')}; {policy}."
            )
            shape = "sum"
        elif kind == "bands":
            sentences.append(
                f"Puts the total {rule.get('score')} in a band ({rule.get('output')}): "
                f"{_band_words(rule.get('bands'))}."
            )
            shape = "bands"
        elif kind == "condition":
            flag = rule.get("flag")
            target = f"the flag {flag}" if flag else "its outcome"
            sentences.append(f"Sets {target} when {words.logic(rule.get('when'))}.")
            shape = "flag" if _simple_flag(rule) and flag else None
        elif kind == "route":
            for line in (
                rule.get("referrals", []) if isinstance(rule.get("referrals"), list) else []
            ):
                if not isinstance(line, dict):
                    continue
                lines.append(
                    (
                        str(line.get("id")),
                        (
                            f"Refers to {words.service(line.get('service'))} "
                            f"({_urgency_words(line.get('urgency'))}, "
                            f"{_priority_words(line.get('priority'))}) when "
                            f"{words.logic(line.get('when'))}."
                        ),
                    )
                )
            none = _priority_words(rule.get("no_referral_priority", "no_risk"))
            sentences.append(
                "The route follows from the services referred: health or social care by the "
                "services' kinds, both when there are both, community support "
                f"({none}) when none is referred. The priority is the most urgent referral's."
            )
            shape = "route"
        else:
            sentences.append(
                f"A {kind.replace('_', ' ')} rule, written in JSON: change it in the rules text."
            )
        views.append(RuleView(rule_id, kind, title, tuple(sentences), shape, tuple(lines)))
    return views


def service_kind_words(services: Iterable[ServiceSpec]) -> dict[str, str]:
    """Each service's route in words (the route a referral to it leads to)."""
    return {spec.slug: _KIND_WORDS.get(spec.kind, spec.kind) for spec in services}
