"""The question editor's operations: pure functions on a draft's three JSON values.

Every edit an administrator makes in the question editor (add, change, move, duplicate or delete
a question or a section) is one function here. Each takes the draft's parsed document, rules and
test cases and returns new ones (the inputs are never changed), writing the same JSON Schema the
files in ``form_schemas/`` hold, so the raw JSON editor (expert mode) shows exactly what the
question editor wrote. No Flask, no database: the admin views parse, call one function, and save
the result through :func:`drafts.save_draft` (which checks it).

A question's id is its JSON Pointer (``/section/name``). Renaming a question or moving it to
another section changes that pointer: :func:`relocate` rewrites every reference to it in the
same edit (rules, test cases, conditions and date limits of the document), or refuses with the
list of what would break. Deleting refuses while anything still refers to the question.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..kernel.errors import DomainError
from .checks import DraftTexts
from .structure import QuestionType, escape_token
from .types.registry import builtin_types

#: A question or section name: what its answers are stored under (and its pointer's last token).
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
NAME_RULE = "a lower-case letter, then lower-case letters, digits or underscores (up to 63)"


@dataclass(frozen=True)
class EditableType:
    """A question type the editor offers: its words, whether it has options and which limits."""

    type: QuestionType
    label: str
    options: bool
    #: "number" (minimum, maximum), "text" (length), "date" (not after), "items" or "".
    limits: str


def editable_types() -> tuple[EditableType, ...]:
    """The question types an administrator can choose, in the order they are registered.

    The one place the editor learns the types: the built-in question types (their classes,
    ``questionnaires.types``) that have a widget of their own, in each class's words.
    Containers and calculated values are edited in expert mode, and so is a plugin's type: the
    editor writes only the schemas it knows.
    """
    limits = {
        QuestionType.SHORT_TEXT: "text",
        QuestionType.LONG_TEXT: "text",
        QuestionType.INTEGER: "number",
        QuestionType.DECIMAL: "number",
        QuestionType.DATE: "date",
        QuestionType.MULTIPLE_CHOICE: "items",
    }
    found = []
    for name, kind in _BUILTIN_TYPES.items():
        if kind.default_widget is None:
            continue
        chosen = QuestionType(name)
        choice = chosen.is_choice or chosen is QuestionType.MULTIPLE_CHOICE
        found.append(EditableType(chosen, kind.label, choice, limits.get(chosen, "")))
    return tuple(found)


_BUILTIN_TYPES = builtin_types()


REPEATS = EditableType(QuestionType.REPEATING_GROUP, "Repeats: a list of items", False, "items")


def editable_type(value: str) -> EditableType | None:
    return next((t for t in (*editable_types(), REPEATS) if t.type.value == value), None)


class EditRefused(DomainError):
    """The edit cannot be made as asked; ``reasons`` lists what would break, in words."""

    def __init__(self, message: str, reasons: list[str] | None = None, *, field: str = "") -> None:
        super().__init__(message, {field: message} if field else None)
        self.reasons = reasons or []
        self.field = field


@dataclass(frozen=True)
class Draft:
    """A draft's three parsed parts (``cases`` is ``{"cases": [...]}`` or a list)."""

    document: dict[str, Any]
    rules: dict[str, Any]
    cases: Any

    @classmethod
    def parse(cls, texts: DraftTexts) -> Draft:
        """The parsed texts; refused when one is not JSON (fix it in expert mode first)."""
        try:
            document = json.loads(texts.document)
            rules = json.loads(texts.rules) if texts.rules.strip() else {}
            cases = json.loads(texts.test_cases) if texts.test_cases.strip() else {"cases": []}
        except ValueError:
            raise EditRefused(
                "The draft's JSON has a syntax error; fix it in the JSON editor first"
            ) from None
        if not isinstance(document, dict) or not isinstance(document.get("properties"), dict):
            raise EditRefused("The draft's document has no sections; fix it in the JSON editor")
        return cls(document, rules if isinstance(rules, dict) else {}, cases)

    def texts(self, before: DraftTexts, old: Draft | None = None) -> DraftTexts:
        """The texts to save: a part re-written only when it changed (keeping its layout).
        ``old`` is ``before`` parsed, when the caller has it already."""
        old = old if old is not None else Draft.parse(before)

        def part(new: Any, was: Any, text: str) -> str:
            # equal dicts may still differ in order (a question moved up): then compare as written
            if new == was and json.dumps(new) == json.dumps(was):
                return text
            return _dump(new)

        return DraftTexts(
            part(self.document, old.document, before.document),
            part(self.rules, old.rules, before.rules),
            part(self.cases, old.cases, before.test_cases),
        )


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class ShowWhen:
    """ "Show this question when ``subject`` (a sibling) is answered ``value``"."""

    subject: str
    value: Any


@dataclass(frozen=True)
class OptionEdit:
    label: str
    code: str
    score: float | None = None


@dataclass(frozen=True)
class QuestionEdit:
    """What the question form says about one question."""

    name: str
    type: QuestionType
    title: str
    hint: str = ""
    description: str = ""
    required: bool = False
    options: tuple[OptionEdit, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    not_after: str = ""
    show_when: ShowWhen | None = None
    #: A question that repeats: what one item is called ("medicine").
    item_label: str = ""


@dataclass(frozen=True)
class Entry:
    """One question of a section as the editor lists it."""

    name: str
    pointer: str
    title: str
    #: The ``$ref`` it is reached through (read-only here), or "".
    ref: str = ""
    #: Its type in words ("Yes or no"), or "" for a kind edited in expert mode only.
    kind: str = ""


@dataclass(frozen=True)
class SectionEntry:
    name: str
    pointer: str
    title: str
    description: str
    questions: tuple[Entry, ...] = field(default_factory=tuple)


def outline(document: Mapping[str, Any]) -> tuple[SectionEntry, ...]:
    """The document's sections and their questions, in order, as the editor lists them."""
    sections = []
    for name, schema in _properties(document).items():
        schema = schema if isinstance(schema, Mapping) else {}
        questions = tuple(
            Entry(
                q,
                f"/{escape_token(name)}/{escape_token(q)}",
                str(node.get("title") or q) if isinstance(node, Mapping) else q,
                str(node["$ref"]) if isinstance(node, Mapping) and "$ref" in node else "",
                _kind_words(node),
            )
            for q, node in _properties(schema).items()
        )
        sections.append(
            SectionEntry(
                name,
                f"/{escape_token(name)}",
                str(schema.get("title") or name),
                str(schema.get("description") or ""),
                questions,
            )
        )
    return tuple(sections)


def _kind_words(node: Any) -> str:
    kind = type_of(node) if isinstance(node, Mapping) and "$ref" not in node else None
    chosen = editable_type(kind.value) if kind is not None else None
    return chosen.label if chosen is not None else ""


def _properties(schema: Any) -> dict[str, Any]:
    found = schema.get("properties") if isinstance(schema, Mapping) else None
    return found if isinstance(found, dict) else {}


def _section(document: Mapping[str, Any], name: str) -> dict[str, Any]:
    found = _properties(document).get(name)
    if not isinstance(found, dict):
        raise EditRefused(f"There is no section {name!r} in this draft")
    found.setdefault("properties", {})
    return found


def _question(section: Mapping[str, Any], name: str) -> dict[str, Any]:
    found = _properties(section).get(name)
    if not isinstance(found, dict):
        raise EditRefused(f"There is no question {name!r} in this section")
    if "$ref" in found:
        raise EditRefused(
            "This question belongs to another questionnaire; edit it at its source",
            [str(found["$ref"])],
        )
    return found


def _condition_entries(section: Mapping[str, Any]) -> list[Any]:
    entries = section.get("allOf")
    return entries if isinstance(entries, list) else []


def _simple_if(entry: Any) -> ShowWhen | None:
    """``{"properties": {s: {"const": v}}, "required": [s]}``: the condition this editor writes."""
    test = entry.get("if") if isinstance(entry, Mapping) else None
    if not isinstance(test, Mapping) or set(test) != {"properties", "required"}:
        return None
    props = test["properties"]
    if not isinstance(props, Mapping) or len(props) != 1:
        return None
    ((subject, clause),) = props.items()
    if test["required"] != [subject] or not isinstance(clause, Mapping) or set(clause) != {"const"}:
        return None
    if set(entry) - {"if", "then"}:
        return None
    return ShowWhen(subject, clause["const"])


def _shown_by(entry: Any, name: str) -> bool:
    then = entry.get("then") if isinstance(entry, Mapping) else None
    if not isinstance(then, Mapping):
        return False
    return name in (then.get("required") or []) or name in _properties(then)


def _other_conditions(section: Mapping[str, Any], name: str) -> bool:
    """Whether ``name`` is shown by a condition this editor does not write (expert mode only)."""
    if name in section.get("dependentRequired", {}) or name in section.get("dependentSchemas", {}):
        return False
    for key in ("dependentRequired",):
        for names in (section.get(key) or {}).values():
            if name in names:
                return True
    for entry in _condition_entries(section):
        if _shown_by(entry, name) and _simple_if(entry) is None:
            return True
        if isinstance(entry, Mapping) and name in _names_in(entry.get("else")):
            return True
    return any(name in _names_in(section.get(key)) for key in ("if", "then", "else"))


def _names_in(value: Any) -> set[str]:
    if not isinstance(value, Mapping):
        return set()
    return set(value.get("required") or []) | set(_properties(value))


def read_question(document: Mapping[str, Any], section: str, name: str) -> QuestionEdit:
    """The question as the form shows it (a type the editor cannot write is refused)."""
    holder = _section(document, section)
    node = _question(holder, name)
    kind = type_of(node)
    if kind is None:
        raise EditRefused(
            "This question is of a kind edited in the JSON editor (a group of questions or a "
            "calculated value)"
        )
    options_of = (
        node.get("items", {}).get("oneOf")
        if kind is QuestionType.MULTIPLE_CHOICE
        else (node.get("oneOf"))
    )
    options = tuple(
        OptionEdit(
            str(o.get("title", "")),
            _code_text(o.get("const")),
            float(o["x-score"]) if isinstance(o.get("x-score"), int | float) else None,
        )
        for o in (options_of or [])
        if isinstance(o, Mapping)
    )
    show_when = next(
        (
            _simple_if(entry)
            for entry in _condition_entries(holder)
            if _shown_by(entry, name) and _simple_if(entry) is not None
        ),
        None,
    )
    conditional_required = any(
        name in ((entry.get("then") or {}).get("required") or [])
        for entry in _condition_entries(holder)
        if isinstance(entry, Mapping)
    )
    limits_of = node.get("items", {}) if kind is QuestionType.MULTIPLE_CHOICE else node
    counted = kind in (QuestionType.MULTIPLE_CHOICE, QuestionType.REPEATING_GROUP)
    return QuestionEdit(
        name=name,
        type=kind,
        title=str(node.get("title", "")),
        hint=str(node.get("x-hint", "")),
        description=str(node.get("description", "")),
        required=name in (holder.get("required") or []) or conditional_required,
        options=options,
        minimum=_float(limits_of.get("minimum")),
        maximum=_float(limits_of.get("maximum")),
        min_length=_int(node.get("minItems" if counted else "minLength")),
        max_length=_int(node.get("maxItems" if counted else "maxLength")),
        not_after=str(node.get("x-not-after", "")),
        show_when=show_when,
        item_label=str(node.get("x-item-label", "")),
    )


def has_fixed_condition(document: Mapping[str, Any], section: str, name: str) -> bool:
    """True when the question's condition is written in a way only expert mode can change."""
    return _other_conditions(_section(document, section), name)


def type_of(node: Mapping[str, Any]) -> QuestionType | None:
    """The editable type of a question schema (as the form renderer decides it), or None."""
    if node.get("x-widget") == "guidance":
        return QuestionType.GUIDANCE
    kind = node.get("type")
    if "x-calculated" in node or kind == "object":
        return None
    if kind == "array":
        items = node.get("items")
        if isinstance(items, Mapping) and items.get("type") == "object":
            return QuestionType.REPEATING_GROUP
        return (
            QuestionType.MULTIPLE_CHOICE
            if isinstance(items, Mapping) and "oneOf" in items
            else None
        )
    if kind == "boolean":
        return QuestionType.YES_NO
    if "oneOf" in node:
        if node.get("x-widget") == "select":
            return QuestionType.SELECT
        scored = any(isinstance(o, Mapping) and "x-score" in o for o in node["oneOf"] or [])
        return QuestionType.SCORED if scored else QuestionType.SINGLE_CHOICE
    if kind == "string":
        if "format" in node:
            return QuestionType.DATE
        return (
            QuestionType.LONG_TEXT
            if node.get("x-widget") == "textarea"
            else QuestionType.SHORT_TEXT
        )
    if kind == "integer":
        return QuestionType.INTEGER
    if kind == "number":
        return QuestionType.DECIMAL
    return None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _code_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def answers_to_show_by(document: Mapping[str, Any], section: str, name: str) -> list[ShowWhen]:
    """The answers of the question's siblings a "show this question when" can name: each option
    of a choice sibling, and yes or no of a yes/no sibling (before or after it)."""
    holder = _section(document, section)
    found: list[ShowWhen] = []
    for sibling, node in _properties(holder).items():
        if sibling == name or not isinstance(node, Mapping) or "$ref" in node:
            continue
        kind = type_of(node)
        if kind is QuestionType.YES_NO:
            found += [ShowWhen(sibling, True), ShowWhen(sibling, False)]
        elif kind is not None and kind.is_choice:
            found += [
                ShowWhen(sibling, o["const"])
                for o in node.get("oneOf") or []
                if isinstance(o, Mapping) and "const" in o
            ]
    return found


def describe(document: Mapping[str, Any], section: str, when: ShowWhen) -> str:
    """ "Has the person fallen? is Yes": a condition in the words of the form."""
    node = _properties(_section(document, section)).get(when.subject)
    node = node if isinstance(node, Mapping) else {}
    title = str(node.get("title") or when.subject)
    if isinstance(when.value, bool):
        answer = "Yes" if when.value else "No"
    else:
        answer = next(
            (
                str(o.get("title"))
                for o in node.get("oneOf") or []
                if isinstance(o, Mapping) and o.get("const") == when.value
            ),
            _code_text(when.value),
        )
    return f"{title} is {answer}"


# ------------------------------------------------------------------------------ writing

#: Keywords the question form owns; everything else on a question (x-fhir, x-person-copy,
#: pattern...) is kept as it was.
_OWNED = frozenset(
    {"type", "format", "x-widget", "oneOf", "items", "uniqueItems", "minItems", "maxItems"}
    | {"minimum", "maximum", "minLength", "maxLength", "x-not-after", "title", "x-hint"}
    | {"description", "not", "x-item-label"}
)
_TYPE_KEEPS: Mapping[QuestionType, frozenset[str]] = {
    QuestionType.SHORT_TEXT: frozenset({"pattern", "x-suffix"}),
    QuestionType.LONG_TEXT: frozenset({"pattern"}),
    QuestionType.INTEGER: frozenset({"x-suffix", "exclusiveMinimum", "exclusiveMaximum"}),
    QuestionType.DECIMAL: frozenset({"x-suffix", "exclusiveMinimum", "exclusiveMaximum"}),
}
_TYPE_ONLY = frozenset({"pattern", "x-suffix", "exclusiveMinimum", "exclusiveMaximum"})


def _value_type(old: Mapping[str, Any]) -> str:
    """Options keep a number type where the question had one (codes are typed as text)."""
    found = old.get("type")
    if found == "array":
        found = (old.get("items") or {}).get("type")
    return found if found in ("integer", "number") else "string"


def _code(code: str, value_type: str, index: int) -> Any:
    if value_type == "string":
        return code
    try:
        number = float(code)
    except ValueError:
        raise EditRefused(f"Option {index}'s code must be a number", field="options") from None
    if value_type == "integer":
        if not number.is_integer():
            raise EditRefused(f"Option {index}'s code must be a whole number", field="options")
        return int(number)
    return number


def _options(
    edit: QuestionEdit, old: list[Any], value_type: str = "string"
) -> list[dict[str, Any]]:
    """The ``oneOf`` list, keeping what the form does not show (x-fhir, descriptions) by code."""
    if not edit.options:
        raise EditRefused("Add at least one option", field="options")
    kept = {o.get("const"): o for o in old if isinstance(o, Mapping)}
    scored = edit.type is QuestionType.SCORED
    codes: set[str] = set()
    result = []
    for index, option in enumerate(edit.options, start=1):
        if not option.label.strip():
            raise EditRefused(f"Enter the words of option {index}", field="options")
        if not option.code.strip():
            raise EditRefused(f"Enter a code for option {index}", field="options")
        if option.code in codes:
            raise EditRefused(
                f"Option {index}'s code {option.code!r} is used twice", field="options"
            )
        codes.add(option.code)
        if scored and option.score is None:
            raise EditRefused(f"Enter a score for option {index}", field="options")
        built: dict[str, Any] = {
            key: value
            for key, value in kept.get(_code(option.code, value_type, index), {}).items()
            if key not in ("const", "title", "x-score")
        }
        built = {
            "const": _code(option.code, value_type, index),
            "title": option.label.strip(),
            **built,
        }
        if scored and option.score is not None:
            built["x-score"] = _number(option.score)
        result.append(built)
    return result


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def build_node(edit: QuestionEdit, old: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The question's JSON Schema from the form, over whatever the editor does not own."""
    if not edit.title.strip():
        raise EditRefused("Enter the question", field="title")
    old = old or {}
    kind = edit.type
    node: dict[str, Any] = {"title": edit.title.strip()}
    if edit.description.strip():
        node["description"] = edit.description.strip()
    if edit.hint.strip():
        node["x-hint"] = edit.hint.strip()
    keep = _TYPE_KEEPS.get(kind, frozenset())
    node.update(
        {k: v for k, v in old.items() if k not in _OWNED and (k not in _TYPE_ONLY or k in keep)}
    )
    old_options = old.get("oneOf") or (old.get("items") or {}).get("oneOf") or []
    if kind is QuestionType.GUIDANCE:
        node.update({"x-widget": "guidance", "not": {}})
    elif kind in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
        node["type"] = "string"
        if kind is QuestionType.LONG_TEXT:
            node["x-widget"] = "textarea"
        _limits(node, edit.min_length, edit.max_length, "minLength", "maxLength", "length")
    elif kind in (QuestionType.INTEGER, QuestionType.DECIMAL):
        node["type"] = "integer" if kind is QuestionType.INTEGER else "number"
        _limits(node, edit.minimum, edit.maximum, "minimum", "maximum", "number")
    elif kind is QuestionType.DATE:
        node.update({"type": "string", "format": "date"})
        if edit.not_after.strip():
            node["x-not-after"] = edit.not_after.strip()
    elif kind is QuestionType.YES_NO:
        node["type"] = "boolean"
    elif kind is QuestionType.REPEATING_GROUP:
        items = old.get("items")
        if not isinstance(items, Mapping) or items.get("type") != "object":
            raise EditRefused(
                "A question that repeats needs its inner questions: add it in the JSON editor",
                field="type",
            )
        node.update({"type": "array", "items": items})
        if edit.item_label.strip():
            node["x-item-label"] = edit.item_label.strip()
        _limits(node, edit.min_length, edit.max_length, "minItems", "maxItems", "length")
    elif kind is QuestionType.MULTIPLE_CHOICE:
        node.update(
            {
                "type": "array",
                "items": {
                    "type": _value_type(old),
                    "oneOf": _options(edit, old_options, _value_type(old)),
                },
                "uniqueItems": True,
            }
        )
        _limits(node, edit.min_length, edit.max_length, "minItems", "maxItems", "length")
    else:
        node["type"] = _value_type(old)
        if kind is QuestionType.SELECT:
            node["x-widget"] = "select"
        node["oneOf"] = _options(edit, old_options, node["type"])
    return node


def _limits(
    node: dict[str, Any], low: float | None, high: float | None, lo: str, hi: str, what: str
) -> None:
    if low is not None and high is not None and low > high:
        raise EditRefused(f"The smallest {what} must not be more than the largest", field="minimum")
    if low is not None:
        node[lo] = _number(low) if what == "number" else int(low)
    if high is not None:
        node[hi] = _number(high) if what == "number" else int(high)


#: Names the editor's own addresses use (``.../questions/<section>/new``).
RESERVED_NAMES = frozenset({"new"})


def _check_name(name: str, taken: Mapping[str, Any], what: str) -> None:
    if not NAME_PATTERN.match(name):
        raise EditRefused(f"The {what}'s name must be {NAME_RULE}", field="name")
    if name in RESERVED_NAMES:
        raise EditRefused(f"“{name}” cannot be a {what}'s name; choose another", field="name")
    if name in taken:
        raise EditRefused(f"This section already has a {what} called {name!r}", field="name")


def _set_condition(holder: dict[str, Any], name: str, edit: QuestionEdit) -> None:
    """Write "show when" (and conditional required-ness) into the section's ``allOf``."""
    entries = _condition_entries(holder)
    for entry in entries:
        if _simple_if(entry) is None:
            continue
        then = entry.get("then") or {}
        if name in (then.get("required") or []):
            then["required"] = [n for n in then["required"] if n != name]
            if not then["required"]:
                del then["required"]
        if name in _properties(then):
            del then["properties"][name]
            if not then["properties"]:
                del then["properties"]
    entries[:] = [e for e in entries if _simple_if(e) is None or (e.get("then") or {})]
    required = [n for n in holder.get("required") or [] if n != name]
    if edit.show_when is None:
        if edit.required and edit.type.takes_answer:
            required.append(name)
    else:
        subject = edit.show_when.subject
        if subject == name or subject not in _properties(holder):
            raise EditRefused(
                "Choose an answer of another question in this section", field="show_when"
            )
        test = {"properties": {subject: {"const": edit.show_when.value}}, "required": [subject]}
        entry = next((e for e in entries if e.get("if") == test), None)
        if entry is None:
            entry = {"if": test, "then": {}}
            entries.append(entry)
        then = entry.setdefault("then", {})
        if edit.required and edit.type.takes_answer:
            then.setdefault("required", []).append(name)
        else:
            then.setdefault("properties", {})[name] = True
    _set_list(holder, "required", required)
    if entries:
        holder["allOf"] = entries
    else:
        holder.pop("allOf", None)


def _set_list(holder: dict[str, Any], key: str, values: list[str]) -> None:
    if values:
        holder[key] = values
    else:
        holder.pop(key, None)


def _insert(properties: dict[str, Any], name: str, node: Any, after: str | None) -> dict[str, Any]:
    """``properties`` with ``name`` placed after ``after`` (at the end when None)."""
    items = [(k, v) for k, v in properties.items() if k != name]
    at = len(items) if after is None else [k for k, _ in items].index(after) + 1
    items.insert(at, (name, node))
    return dict(items)


def save_question(draft: Draft, section: str, original: str | None, edit: QuestionEdit) -> Draft:
    """Add (``original`` None) or change one question; a new name renames it everywhere."""
    if original is not None and edit.name != original:
        draft = relocate(draft, section, original, section, edit.name)
    new = _copy(draft)
    holder = _section(new.document, section)
    properties = _properties(holder)
    if original is None:
        _check_name(edit.name, properties, "question")
        old: dict[str, Any] = {}
    else:
        old = _question(holder, edit.name)
        if edit.show_when is not None and _other_conditions(holder, edit.name):
            raise EditRefused(
                "This question's condition is written in a way only the JSON editor can change",
                field="show_when",
            )
    node = build_node(edit, old)
    holder["properties"] = (
        _insert(properties, edit.name, node, None)
        if original is None
        else {k: (node if k == edit.name else v) for k, v in properties.items()}
    )
    if original is None or not _other_conditions(holder, edit.name):
        _set_condition(holder, edit.name, edit)
    return new


def _copy(draft: Draft) -> Draft:
    """A copy to edit (JSON values: a JSON round trip is 2x faster than ``copy.deepcopy``)."""
    document, rules, cases = json.loads(json.dumps([draft.document, draft.rules, draft.cases]))
    return Draft(document, rules, cases)


def move_question(draft: Draft, section: str, name: str, step: int) -> Draft:
    """One place up (``step`` -1) or down (+1) within its section; its pointer is unchanged."""
    new = _copy(draft)
    holder = _section(new.document, section)
    names = list(_properties(holder))
    if name not in names:
        raise EditRefused(f"There is no question {name!r} in this section")
    at = names.index(name)
    to = max(0, min(len(names) - 1, at + step))
    names.insert(to, names.pop(at))
    holder["properties"] = {n: holder["properties"][n] for n in names}
    return new


def move_section(draft: Draft, section: str, step: int) -> Draft:
    new = _copy(draft)
    _section(new.document, section)
    names = list(_properties(new.document))
    at = names.index(section)
    to = max(0, min(len(names) - 1, at + step))
    names.insert(to, names.pop(at))
    new.document["properties"] = {n: new.document["properties"][n] for n in names}
    return new


def duplicate_question(draft: Draft, section: str, name: str) -> tuple[Draft, str]:
    """A copy of the question just after it, named ``<name>_copy`` (or ``_copy2``...), optional
    and always shown (its condition, if any, is not copied)."""
    new = _copy(draft)
    holder = _section(new.document, section)
    node = copy.deepcopy(_question(holder, name))
    node.pop("x-fhir", None)
    taken = _properties(holder)
    copy_name = next(
        candidate
        for candidate in (f"{name}_copy", *(f"{name}_copy{n}" for n in range(2, 1000)))
        if candidate not in taken
    )[:63]
    node["title"] = f"{node.get('title', name)} (copy)"
    holder["properties"] = _insert(taken, copy_name, node, name)
    return new, copy_name


def delete_question(draft: Draft, section: str, name: str) -> Draft:
    """Remove a question and its answers in the test cases; refused while anything uses it."""
    pointer = f"/{escape_token(section)}/{escape_token(name)}"
    users = uses(draft, pointer)
    if users:
        raise EditRefused("This question cannot be deleted while other parts use it", users)
    new = _copy(draft)
    holder = _section(new.document, section)
    if name not in _properties(holder):
        raise EditRefused(f"There is no question {name!r} in this section")
    if len(_properties(holder)) == 1:
        raise EditRefused("A section needs at least one question; delete the section instead")
    del holder["properties"][name]
    _set_condition(holder, name, QuestionEdit(name, QuestionType.GUIDANCE, "-"))
    for given in _givens(new.cases):
        answers = given.get(section)
        if isinstance(answers, dict):
            answers.pop(name, None)
    return new


def save_section(
    draft: Draft, original: str | None, name: str, title: str, description: str
) -> Draft:
    """Add a section (with one first question to edit) or change a section's words."""
    if not title.strip():
        raise EditRefused("Enter the section's title", field="title")
    new = _copy(draft)
    sections = _properties(new.document)
    if original is None:
        _check_name(name, sections, "section")
        node: dict[str, Any] = {
            "type": "object",
            "title": title.strip(),
            "properties": {"first_question": {"type": "string", "title": "First question"}},
            "additionalProperties": False,
        }
        if description.strip():
            node["description"] = description.strip()
        new.document["properties"] = _insert(sections, name, node, None)
        return new
    holder = _section(new.document, original)
    holder["title"] = title.strip()
    if description.strip():
        holder["description"] = description.strip()
    else:
        holder.pop("description", None)
    return new


def delete_section(draft: Draft, section: str) -> Draft:
    new = _copy(draft)
    holder = _section(new.document, section)
    pointer = f"/{escape_token(section)}"
    users = list(uses(draft, pointer, outside=True))
    if users:
        raise EditRefused("This section cannot be deleted while other parts use it", users)
    if len(_properties(new.document)) == 1:
        raise EditRefused("A questionnaire needs at least one section")
    del new.document["properties"][section]
    new.document["required"] = [n for n in new.document.get("required") or [] if n != section]
    del holder
    for given in _givens(new.cases):
        given.pop(section, None)
    return new


# --------------------------------------------------------------------------- references


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON value with the JSON Pointer where it sits."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _strings(inner, f"{path}/{escape_token(str(key))}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _strings(inner, f"{path}/{index}")


def _refers(text: str, pointer: str) -> bool:
    return text == pointer or text.startswith(pointer + "/")


def _rule_name(rules: Mapping[str, Any], path: str) -> str:
    parts = path.split("/")
    listed = rules.get("rules")
    if len(parts) > 2 and parts[1] == "rules" and parts[2].isdigit() and isinstance(listed, list):
        rule = listed[int(parts[2])]
        if isinstance(rule, Mapping):
            return f"rule {rule.get('id', parts[2])!r}"
    return f"the rules at {path}"


def uses(draft: Draft, pointer: str, *, outside: bool = False) -> list[str]:
    """What refers to the question (or section) at ``pointer``, in words: rules, date limits,
    and conditions or calculations of its section that name it (``outside``: only those
    outside it, for a whole section)."""
    found: list[str] = []
    for path, text in _strings(draft.rules):
        if _refers(text, pointer):
            found.append(f"{_rule_name(draft.rules, path)} uses {text}")
    for node in _limits_in(draft.document):
        limit = node["x-not-after"]
        if _refers(limit, pointer):
            found.append(f"the date {node.get('title', '')!r} may not be after it (x-not-after)")
    if not outside:
        section, _, name = pointer[1:].partition("/")
        holder = _properties(draft.document).get(section)
        if isinstance(holder, Mapping) and name:
            found += _sibling_uses(holder, name, section)
    return list(dict.fromkeys(found))


def _sibling_uses(holder: Mapping[str, Any], name: str, section: str) -> list[str]:
    found = []
    for entry in _condition_entries(holder):
        test = entry.get("if") if isinstance(entry, Mapping) else None
        if name in _names_in(test):
            shown = sorted(_names_in(entry.get("then")) | _names_in(entry.get("else")))
            found.append(
                f"the condition showing {', '.join(shown) or 'other questions'} in section "
                f"{section!r} tests it"
            )
    for key in ("dependentRequired", "dependentSchemas"):
        if name in (holder.get(key) or {}):
            found.append(f"{key} of section {section!r} tests it")
    for other, node in _properties(holder).items():
        calc = node.get("x-calculated") if isinstance(node, Mapping) else None
        if isinstance(calc, Mapping) and name in (calc.get("of") or []):
            found.append(f"the calculated value {other!r} adds it up")
    return found


def _rewrite(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return new + value[len(old) :] if _refers(value, old) else value
    if isinstance(value, dict):
        return {k: _rewrite(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, old, new) for v in value]
    return value


def _givens(cases: Any) -> Iterator[dict[str, Any]]:
    listed = cases.get("cases") if isinstance(cases, Mapping) else cases
    for case in listed if isinstance(listed, list) else []:
        given = case.get("given") if isinstance(case, Mapping) else None
        if isinstance(given, dict):
            yield given


def _rename_in(value: Any, old: str, new: str) -> Any:
    """A condition (``if``/``then``/``else``) with the sibling ``old`` renamed ``new``."""
    if isinstance(value, dict):
        return {
            (new if k == old else k): (
                [new if n == old else n for n in v]
                if k == "required" and isinstance(v, list)
                else _rename_in(v, old, new)
                if k in ("properties", "if", "then", "else") or not isinstance(v, list)
                else v
            )
            for k, v in value.items()
        }
    return value


def relocate(draft: Draft, section: str, name: str, to_section: str, to_name: str) -> Draft:
    """Rename a question and/or move it to another section, rewriting every reference.

    Rules, test cases' answers, date limits and (within its section) conditions and calculations
    follow the new pointer. Moving to another section is refused while a condition or
    calculation of its old section involves it (those only reach siblings), with the list.
    """
    old = f"/{escape_token(section)}/{escape_token(name)}"
    new_pointer = f"/{escape_token(to_section)}/{escape_token(to_name)}"
    if old == new_pointer:
        return draft
    new = _copy(draft)
    holder = _section(new.document, section)
    node = _question(holder, name)
    target = _section(new.document, to_section)
    _check_name(to_name, _properties(target), "question")
    if to_section == section:
        holder["properties"] = {
            (to_name if k == name else k): v for k, v in holder["properties"].items()
        }
        holder["required"] = [to_name if n == name else n for n in holder.get("required") or []]
        if not holder["required"]:
            del holder["required"]
        if "allOf" in holder:
            holder["allOf"] = [_rename_in(e, name, to_name) for e in holder["allOf"]]
        for key in ("dependentRequired", "dependentSchemas"):
            if key in holder:
                holder[key] = {
                    (to_name if k == name else k): (
                        [to_name if n == name else n for n in v] if isinstance(v, list) else v
                    )
                    for k, v in holder[key].items()
                }
        for other in _properties(holder).values():
            calc = other.get("x-calculated") if isinstance(other, dict) else None
            if isinstance(calc, dict) and isinstance(calc.get("of"), list):
                calc["of"] = [to_name if n == name else n for n in calc["of"]]
    else:
        blocking = _sibling_uses(holder, name, section)
        if _other_conditions(holder, name) or any(
            _shown_by(e, name) for e in _condition_entries(holder)
        ):
            blocking.append(f"it is shown only when a condition in section {section!r} holds")
        if blocking:
            raise EditRefused(
                f"The question cannot move to another section while its section {section!r} "
                "still refers to it",
                blocking,
            )
        required = name in (holder.get("required") or [])
        del holder["properties"][name]
        holder["required"] = [n for n in holder.get("required") or [] if n != name]
        if not holder["required"]:
            del holder["required"]
        target["properties"] = _insert(_properties(target), to_name, node, None)
        if required:
            target["required"] = [*(target.get("required") or []), to_name]
    new_document = _rewrite_limits(new.document, old, new_pointer)
    for given in _givens(new.cases):
        answers = given.get(section)
        if isinstance(answers, dict) and name in answers:
            value = answers.pop(name)
            given.setdefault(to_section, {})[to_name] = value
    return Draft(
        new_document, _rewrite(new.rules, old, new_pointer), _rewrite(new.cases, old, new_pointer)
    )


def _limits_in(value: Any) -> Iterator[dict[str, Any]]:
    """Every schema in the document with an ``x-not-after`` (repeating groups' items too)."""
    if isinstance(value, dict):
        if isinstance(value.get("x-not-after"), str):
            yield value
        for inner in value.values():
            yield from _limits_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _limits_in(inner)


def _rewrite_limits(document: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    for node in _limits_in(document):
        if _refers(node["x-not-after"], old):
            node["x-not-after"] = new + node["x-not-after"][len(old) :]
    return document


def problems_by_question(problems: list[Any], file: str) -> dict[str, list[Any]]:
    """The checks' problems in the document ``file``, by the question pointer they concern
    (``/section/name``; a section's own problems under ``/section``; the rest under "")."""
    found: dict[str, list[Any]] = {}
    for problem in problems:
        if problem.file != file:
            continue
        parts = problem.pointer.split("/")
        key = ""
        if len(parts) >= 3 and parts[1] == "properties":
            key = f"/{parts[2]}"
            if len(parts) >= 5 and parts[3] == "properties":
                key += f"/{parts[4]}"
        found.setdefault(key, []).append(problem)
    return found
