"""The question model of a questionnaire version, and the check that the form can render it.

A questionnaire is a JSON Schema document; this module reads it once into an immutable
:class:`Structure` (sections in order, each question with its type, words, options, limits,
required-ness and the condition under which it is shown), which the form renderer, the
validator, the scoring engine and the FHIR mapping all use instead of re-reading the schema.

Reading the document is also the "supported by the renderer" check: every construct the form
cannot render faithfully is reported as a :class:`Problem` with its file and JSON Pointer,
rather than half-rendered. The language we accept:

* the root and every section are ``type: object`` with a ``title`` and
  ``additionalProperties: false``; sections are the root's properties, questions theirs;
* a question's kind follows from its schema (see :class:`QuestionType`); options are ``oneOf``
  of ``{"const", "title"}`` (with ``x-score`` for scored items); multiple choice is an array of
  such options with ``uniqueItems``; a repeating group is an array of objects; a nested group is
  an object; a calculated value has ``x-calculated`` and ``readOnly``; guidance has
  ``x-widget: guidance`` and ``not: {}`` (so it takes no answer);
* a question is shown conditionally when a sibling-level ``if``/``then``/``else`` (directly or in
  ``allOf``), ``dependentRequired`` or ``dependentSchemas`` names it. ``if`` tests siblings with
  ``const``, ``enum``, ``minimum``, ``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``,
  ``minItems`` or ``contains`` (of a ``const`` or ``enum``); ``then``/``else`` only list
  ``required`` siblings and mark optional ones with ``properties: {name: true}``;
* ``$ref`` may stand for any question, group or section, with only annotations beside it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urldefrag, urljoin

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.exceptions import Unresolvable

from .patterns import backtracking_problem
from .problems import Problem

if TYPE_CHECKING:
    from referencing._core import Resolver

#: The pointer token that stands for "every item" of a repeating group in a question's pointer.
EACH_ITEM = "*"
#: Questions may sit at most this many pointer tokens deep (section/group/repeat/*/question...).
MAX_QUESTION_DEPTH = 6
#: A single question may offer at most this many options.
MAX_OPTIONS = 500


class QuestionType(enum.StrEnum):
    """What kind of question a schema node is, and so how the form renders it."""

    SECTION = "section"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    YES_NO = "yes_no"
    SINGLE_CHOICE = "single_choice"
    SELECT = "select"
    MULTIPLE_CHOICE = "multiple_choice"
    SCORED = "scored"
    REPEATING_GROUP = "repeating_group"
    GROUP = "group"
    CALCULATED = "calculated"
    GUIDANCE = "guidance"

    @property
    def is_container(self) -> bool:
        """Sections and groups hold child questions; a repeating group holds them per item."""
        return self in (QuestionType.SECTION, QuestionType.GROUP, QuestionType.REPEATING_GROUP)

    @property
    def is_choice(self) -> bool:
        return self in (QuestionType.SINGLE_CHOICE, QuestionType.SELECT, QuestionType.SCORED)

    @property
    def takes_answer(self) -> bool:
        """Guidance and calculated values are shown, never answered."""
        return self not in (QuestionType.GUIDANCE, QuestionType.CALCULATED)


#: The widget the form uses for each type, and the ``x-widget`` values allowed to say so.
DEFAULT_WIDGETS: Mapping[QuestionType, str] = MappingProxyType(
    {
        QuestionType.SHORT_TEXT: "text",
        QuestionType.LONG_TEXT: "textarea",
        QuestionType.INTEGER: "number",
        QuestionType.DECIMAL: "number",
        QuestionType.DATE: "date",
        QuestionType.YES_NO: "yesno",
        QuestionType.SINGLE_CHOICE: "radios",
        QuestionType.SCORED: "radios",
        QuestionType.SELECT: "select",
        QuestionType.MULTIPLE_CHOICE: "checkboxes",
        QuestionType.GUIDANCE: "guidance",
    }
)

#: Our extension keywords (described by ``form_schemas/_meta/extensions.json``).
EXTENSION_KEYWORDS = frozenset(
    {"x-widget", "x-hint", "x-guidance", "x-score", "x-calculated", "x-item-label", "x-suffix"}
    | {"x-not-after", "x-person-copy", "x-fhir"}
)
CLAUSE_KEYWORDS = frozenset(
    {"const", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems"}
    | {"contains"}
)


@dataclass(frozen=True, slots=True)
class Option:
    """One answer option: the stored ``value``, the ``label`` shown and its ``score`` if scored."""

    value: Any
    label: str
    score: float | None = None
    hint: str | None = None
    #: The FHIR coding of an option imported from FHIR (``x-fhir``: system and code), if any.
    system: str | None = None
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Clause:
    """One test of a sibling's answer, e.g. ``fallen`` ``const`` ``true``.

    ``keyword`` is a JSON Schema keyword from :data:`CLAUSE_KEYWORDS`, or ``answered`` for
    ``dependentRequired``/``dependentSchemas`` (the sibling has any answer). ``subject`` is the
    sibling's pointer (with ``*`` for repeat items), so scripts in the page can mirror it.
    """

    subject: str
    keyword: str
    value: Any


@dataclass(frozen=True, slots=True)
class Condition:
    """When a question is shown: every clause holds (or, for an ``else`` branch, not all do).

    ``holds`` evaluates the original JSON Schema ``if`` with jsonschema, so the server agrees
    exactly with the validator; ``clauses`` describe the same test for the page's script.
    """

    clauses: tuple[Clause, ...]
    negated: bool
    source: str
    _test: Draft202012Validator | None = field(default=None, repr=False, compare=False)

    def holds(self, siblings: Mapping[str, Any]) -> bool:
        """Whether the condition holds for the answers of the object holding the question."""
        if self._test is None:  # dependentRequired / dependentSchemas: the sibling is answered
            result = all(clause.subject.rsplit("/", 1)[-1] in siblings for clause in self.clauses)
        else:
            result = bool(self._test.is_valid(siblings))
        return not result if self.negated else result


@dataclass(frozen=True, slots=True)
class Calculation:
    """A read-only value computed from siblings (``operation`` is ``sum``)."""

    operation: str
    of: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Question:
    """One node of the form: a section, group, repeating group, question or guidance block.

    ``pointer`` is the stable id: the JSON Pointer of the answer, with ``*`` in place of a
    repeating group's item index. ``required`` means "required for submission when shown".
    ``schema_file``/``schema_pointer`` say where in which document it is defined.
    """

    pointer: str
    name: str
    type: QuestionType
    title: str
    hint: str | None = None
    description: str | None = None
    guidance: str | None = None
    widget: str | None = None
    options: tuple[Option, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    required: bool = False
    conditions: tuple[Condition, ...] = ()
    children: tuple[Question, ...] = ()
    calculation: Calculation | None = None
    suffix: str | None = None
    item_label: str | None = None
    #: A date question: the pointer of the date question it may not be after (``x-not-after``).
    not_after: str | None = None
    #: A group or section: at least this many of its questions answered (``minProperties``).
    min_answers: int | None = None
    #: False (``x-person-copy: false``): left out of the person's own printed copy.
    person_copy: bool = True
    schema_file: str = ""
    schema_pointer: str = ""
    #: What an import from FHIR kept of the source item (``x-fhir``: linkId, prefix, code...).
    fhir: Mapping[str, Any] | None = None

    @property
    def link_id(self) -> str:
        """The question's FHIR linkId: the source's, when imported from FHIR; else its pointer."""
        kept = self.fhir.get("linkId") if self.fhir else None
        return kept if isinstance(kept, str) and kept else self.pointer

    @property
    def conditional(self) -> bool:
        return bool(self.conditions)

    @property
    def scores(self) -> Mapping[Any, float] | None:
        """Option value to score, when the options carry ``x-score``."""
        if not self.options or all(option.score is None for option in self.options):
            return None
        return MappingProxyType(
            {option.value: option.score for option in self.options if option.score is not None}
        )

    def option(self, value: Any) -> Option | None:
        """The option whose value is ``value`` (``True`` never matches ``1``)."""
        for option in self.options:
            if option.value == value and type(option.value) is type(value):
                return option
        return None

    def shown(self, siblings: Mapping[str, Any]) -> bool:
        """Whether this question is shown, given the answers of the object that holds it."""
        return all(condition.holds(siblings) for condition in self.conditions)

    def walk(self) -> Iterator[Question]:
        """This question and every question inside it, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True, slots=True, eq=False)
class Structure:
    """The immutable question model of one questionnaire version."""

    uri: str
    title: str
    description: str | None
    sections: tuple[Question, ...]
    questions: Mapping[str, Question]
    #: What an import from FHIR kept of the source Questionnaire (``x-fhir``: url, version...).
    fhir: Mapping[str, Any] | None = None

    def question(self, pointer: str) -> Question | None:
        """The question an answer pointer belongs to (indices of repeats become ``*``)."""
        return self.questions.get(self.template_pointer(pointer))

    def template_pointer(self, pointer: str) -> str:
        """``/health/medicines/2/name`` -> ``/health/medicines/*/name``."""
        if not pointer:
            return ""
        result = ""
        repeat = False
        for token in pointer[1:].split("/"):
            result += "/" + (EACH_ITEM if repeat and token.isdigit() else token)
            node = self.questions.get(result)
            repeat = node is not None and node.type is QuestionType.REPEATING_GROUP
        return result

    def __iter__(self) -> Iterator[Question]:
        """Every question of every section, in document order."""
        return iter(self.questions.values())


def escape_token(token: str) -> str:
    """Escape one JSON Pointer reference token."""
    return token.replace("~", "~0").replace("/", "~1")


# --------------------------------------------------------------------------------- the reader

_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "$comment",
        "x-hint",
        "x-guidance",
        "examples",
        "x-person-copy",
        "x-fhir",
    }
)
_ROOT_ONLY = frozenset({"$schema", "$id", "$defs"})
_OBJECT_KEYWORDS = frozenset(
    {"type", "properties", "required", "additionalProperties", "if", "then", "else", "allOf"}
    | {"dependentRequired", "dependentSchemas", "$defs", "minProperties"}
)
_BASE_KEYWORDS: dict[QuestionType, frozenset[str]] = {
    QuestionType.SHORT_TEXT: frozenset(
        {"type", "minLength", "maxLength", "pattern", "x-widget", "x-suffix"}
    ),
    QuestionType.LONG_TEXT: frozenset({"type", "minLength", "maxLength", "pattern", "x-widget"}),
    QuestionType.DATE: frozenset({"type", "format", "x-widget", "x-not-after"}),
    QuestionType.INTEGER: frozenset(
        {"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
        | {"x-widget", "x-suffix"}
    ),
    QuestionType.YES_NO: frozenset({"type", "x-widget"}),
    QuestionType.SINGLE_CHOICE: frozenset({"type", "oneOf", "x-widget"}),
    QuestionType.MULTIPLE_CHOICE: frozenset(
        {"type", "items", "uniqueItems", "minItems", "maxItems", "x-widget"}
    ),
    QuestionType.REPEATING_GROUP: frozenset(
        {"type", "items", "minItems", "maxItems", "x-item-label"}
    ),
    QuestionType.GROUP: _OBJECT_KEYWORDS,
    QuestionType.SECTION: _OBJECT_KEYWORDS,
    QuestionType.CALCULATED: frozenset({"type", "readOnly", "x-calculated", "minimum", "maximum"}),
    QuestionType.GUIDANCE: frozenset({"x-widget", "not"}),
}
#: The keywords each question type may use besides annotations; anything else is refused.
_KEYWORDS: Mapping[QuestionType, frozenset[str]] = MappingProxyType(
    {
        **_BASE_KEYWORDS,
        QuestionType.DECIMAL: _BASE_KEYWORDS[QuestionType.INTEGER],
        QuestionType.SELECT: _BASE_KEYWORDS[QuestionType.SINGLE_CHOICE],
        QuestionType.SCORED: _BASE_KEYWORDS[QuestionType.SINGLE_CHOICE],
    }
)
_WIDGETS: Mapping[QuestionType, frozenset[str]] = MappingProxyType(
    {
        QuestionType.SHORT_TEXT: frozenset({"text"}),
        QuestionType.LONG_TEXT: frozenset({"textarea"}),
        QuestionType.DATE: frozenset({"date"}),
        QuestionType.INTEGER: frozenset({"number"}),
        QuestionType.DECIMAL: frozenset({"number"}),
        QuestionType.YES_NO: frozenset({"yesno", "radios"}),
        QuestionType.SINGLE_CHOICE: frozenset({"radios"}),
        QuestionType.SCORED: frozenset({"radios"}),
        QuestionType.SELECT: frozenset({"select"}),
        QuestionType.MULTIPLE_CHOICE: frozenset({"checkboxes"}),
        QuestionType.GUIDANCE: frozenset({"guidance"}),
    }
)
_OPTION_KEYWORDS = frozenset({"const", "title", "description", "x-score", "$comment", "x-fhir"})
_SCALAR_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
}


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a schema node is: its file, its pointer in that file, and a resolver for its $refs."""

    file: str
    pointer: str
    base: str
    resolver: Resolver[Any]
    refs: tuple[str, ...] = ()

    def child(self, *tokens: str | int) -> _Place:
        pointer = self.pointer + "".join("/" + escape_token(str(t)) for t in tokens)
        return _Place(self.file, pointer, self.base, self.resolver, self.refs)


class _Reader:
    """Reads a document into questions, collecting every problem instead of stopping at one."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = files
        self.problems: list[Problem] = []

    def problem(
        self, place: _Place, message: str, *tokens: str | int, check: str = "renderer"
    ) -> None:
        self.problems.append(Problem(place.file, place.child(*tokens).pointer, message, check))

    def file_of(self, uri: str) -> str:
        return self.files.get(urldefrag(uri).url, urldefrag(uri).url)

    # -- $ref ------------------------------------------------------------------------------

    def follow(
        self, schema: Mapping[str, Any], place: _Place
    ) -> tuple[Mapping[str, Any], _Place] | None:
        """Resolve a ``$ref`` (repeatedly), keeping the referring node's annotations."""
        annotations: dict[str, Any] = {}
        while "$ref" in schema:
            ref = schema["$ref"]
            extra = set(schema) - _ANNOTATIONS - {"$ref"}
            if extra:
                self.problem(
                    place,
                    f"only annotations may sit beside $ref, not {', '.join(sorted(extra))}",
                )
            if not isinstance(ref, str):
                return None
            target = urljoin(place.base, ref)
            if target in place.refs:
                self.problem(
                    place,
                    f"$ref {ref!r} refers back to itself; a form cannot be infinite",
                    "$ref",
                    check="reference",
                )
                return None
            try:
                resolved = place.resolver.lookup(ref)
            except Unresolvable as error:
                self.problem(
                    place, f"$ref {ref!r} does not resolve: {error}", "$ref", check="reference"
                )
                return None
            for key, value in schema.items():
                if key in _ANNOTATIONS:
                    annotations.setdefault(key, value)
            url, fragment = urldefrag(target)
            pointer = unquote(fragment) if fragment.startswith("/") else ""
            place = _Place(
                self.file_of(url), pointer, url, resolved.resolver, (*place.refs, target)
            )
            schema = resolved.contents
            if not isinstance(schema, Mapping):
                self.problem(place, "a $ref must lead to a schema object")
                return None
        return {**schema, **annotations}, place

    # -- nodes -----------------------------------------------------------------------------

    def structure(self, document: Mapping[str, Any], place: _Place) -> Structure | None:
        """Read the whole document; ``None`` (with problems) when it cannot be rendered."""
        extra = set(document) - _ANNOTATIONS - _ROOT_ONLY - {"type", "properties", "required"}
        extra -= {"additionalProperties"}
        for key in sorted(extra):
            self.problem(place, f"{key} is not supported at the top of a questionnaire", key)
        if not isinstance(document.get("title"), str) or not document.get("title"):
            self.problem(place, "the questionnaire needs a title")
        if document.get("type") != "object":
            self.problem(place, 'the questionnaire must be "type": "object"', "type")
        if document.get("additionalProperties") is not False:
            self.problem(place, 'the questionnaire must say "additionalProperties": false')
        properties = document.get("properties")
        if not isinstance(properties, Mapping) or not properties:
            self.problem(place, "the questionnaire needs at least one section in properties")
            return None
        required = _names(document.get("required"))
        sections: list[Question] = []
        for name, schema in properties.items():
            section = self.node(
                schema,
                name=name,
                pointer="/" + escape_token(name),
                place=place.child("properties", name),
                required=name in required,
                conditions=(),
                section=True,
            )
            if section is not None:
                sections.append(section)
        for name in required - set(properties):
            self.problem(place, f"required names {name!r}, which is not a section", "required")
        if self.problems:
            return None
        questions: dict[str, Question] = {}
        for section in sections:
            for question in section.walk():
                questions[question.pointer] = question
        self.check_date_limits(questions)
        if self.problems:
            return None
        return Structure(
            uri=str(document.get("$id", "")),
            title=str(document["title"]),
            description=_text(document.get("description")),
            sections=tuple(sections),
            questions=MappingProxyType(questions),
            fhir=_fhir(document.get("x-fhir")),
        )

    def check_date_limits(self, questions: Mapping[str, Question]) -> None:
        """``x-not-after`` names a date question that is not inside a repeating group."""
        for question in questions.values():
            if question.not_after is None:
                continue
            limit = questions.get(question.not_after)
            if limit is None or limit.type is not QuestionType.DATE or EACH_ITEM in limit.pointer:
                self.problems.append(
                    Problem(
                        question.schema_file,
                        f"{question.schema_pointer}/x-not-after",
                        "x-not-after must name a date question outside any repeating group "
                        f"by its pointer; {question.not_after!r} is not one",
                        "renderer",
                    )
                )

    def node(
        self,
        schema: Any,
        *,
        name: str,
        pointer: str,
        place: _Place,
        required: bool,
        conditions: tuple[Condition, ...],
        section: bool = False,
    ) -> Question | None:
        """Read one property schema into a question (or report why it cannot be one)."""
        if not isinstance(schema, Mapping):
            self.problem(place, "a question must be a schema object (not true or false)")
            return None
        followed = self.follow(schema, place)
        if followed is None:
            return None
        schema, place = followed
        if pointer.count("/") > MAX_QUESTION_DEPTH:
            self.problem(place, f"questions may be nested at most {MAX_QUESTION_DEPTH} deep")
            return None
        kind = self.kind(schema, place, section=section)
        if kind is None:
            return None
        allowed = _KEYWORDS[kind] | _ANNOTATIONS
        for key in sorted(set(schema) - allowed):
            self.problem(place, self.unsupported(key, kind), key)
        title = schema.get("title")
        if not isinstance(title, str) or not title.strip():
            self.problem(place, "every question and section needs a title", "title")
            title = name
        widget = schema.get("x-widget", DEFAULT_WIDGETS.get(kind))
        if "x-widget" in schema and widget not in _WIDGETS.get(kind, frozenset()):
            self.problem(
                place, f"x-widget {widget!r} cannot show a {kind.value} question", "x-widget"
            )
        common: dict[str, Any] = {
            "pointer": pointer,
            "name": name,
            "type": kind,
            "title": title,
            "hint": _text(schema.get("x-hint")),
            "description": _text(schema.get("description")),
            "guidance": _text(schema.get("x-guidance")),
            "widget": widget,
            "required": required,
            "conditions": conditions,
            "person_copy": schema.get("x-person-copy") is not False,
            "schema_file": place.file,
            "schema_pointer": place.pointer,
            "fhir": _fhir(schema.get("x-fhir")),
        }
        if kind in (QuestionType.SECTION, QuestionType.GROUP):
            return Question(
                **common,
                children=self.children(schema, pointer, place),
                min_answers=_int(schema.get("minProperties")),
            )
        if kind is QuestionType.REPEATING_GROUP:
            items = self.follow(schema["items"], place.child("items"))
            if items is None:
                return None
            item_schema, item_place = items
            if item_schema.get("type") != "object":
                self.problem(item_place, "each item of a repeating group must be an object")
                return None
            for key in sorted(set(item_schema) - _OBJECT_KEYWORDS - _ANNOTATIONS - {"$defs"}):
                self.problem(item_place, self.unsupported(key, QuestionType.GROUP), key)
            children = self.children(item_schema, f"{pointer}/{EACH_ITEM}", item_place)
            label = schema.get("x-item-label")
            return Question(
                **common,
                children=children,
                min_items=_int(schema.get("minItems")),
                max_items=_int(schema.get("maxItems")),
                item_label=label if isinstance(label, str) else None,
            )
        if kind is QuestionType.MULTIPLE_CHOICE:
            if schema.get("uniqueItems") is not True:
                self.problem(place, 'a multiple choice needs "uniqueItems": true')
            items = self.follow(schema["items"], place.child("items"))
            if items is None:
                return None
            item_schema, item_place = items
            for key in sorted(set(item_schema) - {"type", "oneOf", "$comment"}):
                self.problem(
                    item_place, f"{key} is not supported in a multiple choice's items", key
                )
            options = self.options(item_schema, item_place)
            return Question(
                **common,
                options=options,
                min_items=_int(schema.get("minItems")),
                max_items=_int(schema.get("maxItems")),
            )
        if kind.is_choice:
            return Question(**common, options=self.options(schema, place))
        if kind is QuestionType.CALCULATED:
            calc = schema.get("x-calculated")
            if schema.get("readOnly") is not True:
                self.problem(place, 'a calculated value must say "readOnly": true')
            return Question(
                **common,
                minimum=_number(schema.get("minimum")),
                maximum=_number(schema.get("maximum")),
                calculation=Calculation(str(calc["operation"]), tuple(calc["of"])),
            )
        if kind is QuestionType.GUIDANCE:
            if schema.get("not") != {}:
                self.problem(place, 'guidance must say "not": {} so that it takes no answer')
            return Question(**common)
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            trouble = backtracking_problem(pattern)
            if trouble:
                self.problem(place, f"pattern refused: {trouble}", "pattern")
        if "x-suffix" in schema and kind not in (
            QuestionType.INTEGER,
            QuestionType.DECIMAL,
            QuestionType.SHORT_TEXT,
        ):
            self.problem(place, "x-suffix is only for number and short text questions", "x-suffix")
        return Question(
            **common,
            minimum=_number(schema.get("minimum")),
            maximum=_number(schema.get("maximum")),
            exclusive_minimum=_number(schema.get("exclusiveMinimum")),
            exclusive_maximum=_number(schema.get("exclusiveMaximum")),
            min_length=_int(schema.get("minLength")),
            max_length=_int(schema.get("maxLength")),
            pattern=pattern if isinstance(pattern, str) else None,
            suffix=_text(schema.get("x-suffix")),
            not_after=_text(schema.get("x-not-after")),
        )

    def kind(
        self, schema: Mapping[str, Any], place: _Place, *, section: bool
    ) -> QuestionType | None:
        """Decide the question type from the schema, or report why there is none."""
        if schema.get("x-widget") == "guidance":
            if section:
                self.problem(place, "a section cannot be guidance; use x-guidance on it instead")
                return None
            return QuestionType.GUIDANCE
        type_ = schema.get("type")
        if type_ is None:
            self.problem(place, "every question needs a type", "type")
            return None
        if not isinstance(type_, str):
            self.problem(
                place, f"the form cannot render a question of several types {type_!r}", "type"
            )
            return None
        if section:
            if type_ != "object":
                self.problem(place, 'a section must be "type": "object"', "type")
                return None
            return QuestionType.SECTION
        if "x-calculated" in schema:
            if type_ not in ("integer", "number"):
                self.problem(place, "a calculated value must be an integer or number", "type")
                return None
            return QuestionType.CALCULATED
        if type_ == "object":
            return QuestionType.GROUP
        if type_ == "array":
            items = schema.get("items")
            if not isinstance(items, Mapping):
                self.problem(
                    place,
                    "a list question needs items: an object (repeating group) "
                    "or options (multiple choice)",
                    "items",
                )
                return None
            followed = (
                self.follow(items, place.child("items")) if "$ref" in items else (items, place)
            )
            if followed is None:
                return None
            if followed[0].get("type") == "object":
                return QuestionType.REPEATING_GROUP
            if "oneOf" in followed[0]:
                return QuestionType.MULTIPLE_CHOICE
            self.problem(
                place,
                "a list question needs items: an object (repeating group) or "
                "options (multiple choice)",
                "items",
            )
            return None
        if type_ == "boolean":
            return QuestionType.YES_NO
        if type_ not in _SCALAR_TYPES:
            self.problem(place, f"the form cannot render a question of type {type_!r}", "type")
            return None
        if "oneOf" in schema:
            if schema.get("x-widget") == "select":
                return QuestionType.SELECT
            options = schema["oneOf"]
            scored = isinstance(options, list) and any(
                isinstance(o, Mapping) and "x-score" in o for o in options
            )
            return QuestionType.SCORED if scored else QuestionType.SINGLE_CHOICE
        if type_ == "string":
            if "format" in schema:
                if schema["format"] != "date":
                    self.problem(
                        place, f"format {schema['format']!r} is not supported; only date", "format"
                    )
                return QuestionType.DATE
            if schema.get("x-widget") == "date":
                self.problem(place, 'a date question needs "format": "date"', "x-widget")
            return (
                QuestionType.LONG_TEXT
                if schema.get("x-widget") == "textarea"
                else (QuestionType.SHORT_TEXT)
            )
        return QuestionType.INTEGER if type_ == "integer" else QuestionType.DECIMAL

    def unsupported(self, key: str, kind: QuestionType) -> str:
        if key.startswith("x-") and key not in EXTENSION_KEYWORDS:
            return f"{key} is not one of our extension keywords"
        if key.startswith("x-"):
            return f"{key} does not apply to a {kind.value.replace('_', ' ')}"
        return f"{key} is not supported in a {kind.value.replace('_', ' ')} by the form renderer"

    def options(self, schema: Mapping[str, Any], place: _Place) -> tuple[Option, ...]:
        """Read ``oneOf`` options, checking each is ``{"const", "title"}`` of the right type."""
        raw = schema.get("oneOf")
        if not isinstance(raw, list) or not raw:
            self.problem(place, "options must be a non-empty oneOf list", "oneOf")
            return ()
        if len(raw) > MAX_OPTIONS:
            self.problem(place, f"a question may have at most {MAX_OPTIONS} options", "oneOf")
        expected = _SCALAR_TYPES.get(schema.get("type", ""))
        if expected is None:
            self.problem(place, "options need a type of string, integer or number", "type")
        options: list[Option] = []
        seen: list[Any] = []
        scored = [isinstance(o, Mapping) and "x-score" in o for o in raw]
        if any(scored) and not all(scored):
            self.problem(place, "either every option has an x-score or none does", "oneOf")
        for index, option in enumerate(raw):
            here = place.child("oneOf", index)
            if not isinstance(option, Mapping) or "const" not in option:
                self.problem(here, 'each option must be {"const": value, "title": label}')
                continue
            for key in sorted(set(option) - _OPTION_KEYWORDS):
                self.problem(here, f"{key} is not supported in an option", key)
            value = option["const"]
            if expected is not None and (
                not isinstance(value, expected) or isinstance(value, bool)
            ):
                self.problem(
                    here, f"the option value {value!r} is not a {schema.get('type')}", "const"
                )
            if any(value == other and type(value) is type(other) for other in seen):
                self.problem(here, f"the option value {value!r} appears twice", "const")
            seen.append(value)
            label = option.get("title")
            if not isinstance(label, str) or not label.strip():
                self.problem(here, "each option needs a title (the words shown)", "title")
                label = str(value)
            score = option.get("x-score")
            coding = option.get("x-fhir")
            coding = coding if isinstance(coding, Mapping) else {}
            options.append(
                Option(
                    value,
                    label,
                    _number(score),
                    _text(option.get("description")),
                    system=_text(coding.get("system")),
                    code=_text(coding.get("code")),
                )
            )
        return tuple(options)

    # -- objects and their conditions ------------------------------------------------------

    def children(
        self, schema: Mapping[str, Any], pointer: str, place: _Place
    ) -> tuple[Question, ...]:
        """Read an object's properties as child questions, with their conditions."""
        properties = schema.get("properties")
        if not isinstance(properties, Mapping) or not properties:
            self.problem(place, "a section or group needs at least one question in properties")
            return ()
        if schema.get("additionalProperties") is not False:
            self.problem(
                place,
                'a section or group must say "additionalProperties": false, so '
                "unknown answers are refused",
            )
        names = set(properties)
        required = _names(schema.get("required"))
        for name in sorted(required - names):
            self.problem(
                place, f"required names {name!r}, which is not a question here", "required"
            )
        conditions, conditional_required = self.conditions(schema, pointer, place, names)
        children: list[Question] = []
        for name, child in properties.items():
            child_conditions = tuple(conditions.get(name, ()))
            if name in required and child_conditions:
                self.problem(
                    place,
                    f"{name!r} is always required but only sometimes shown; "
                    "require it in the condition instead",
                    "required",
                )
            question = self.node(
                child,
                name=name,
                pointer=f"{pointer}/{escape_token(name)}",
                place=place.child("properties", name),
                required=name in required or name in conditional_required,
                conditions=child_conditions,
            )
            if question is not None:
                children.append(question)
        self.check_calculations(children, place)
        return tuple(children)

    def conditions(
        self, schema: Mapping[str, Any], pointer: str, place: _Place, names: set[str]
    ) -> tuple[dict[str, list[Condition]], set[str]]:
        """The conditions on each child, and which children are required when shown."""
        found: dict[str, list[Condition]] = {}
        required: set[str] = set()
        blocks: list[tuple[Mapping[str, Any], _Place]] = []
        if "if" in schema or "then" in schema or "else" in schema:
            blocks.append((schema, place))
        all_of = schema.get("allOf", [])
        if not isinstance(all_of, list):
            all_of = []
        for index, block in enumerate(all_of):
            here = place.child("allOf", index)
            if not isinstance(block, Mapping) or not set(block) <= {
                "if",
                "then",
                "else",
                "$comment",
            }:
                self.problem(here, "allOf may only hold if/then/else conditions")
                continue
            blocks.append((block, here))
        for block, here in blocks:
            if "if" not in block:
                self.problem(here, "then/else without if")
                continue
            clauses = self.clauses(block["if"], pointer, here.child("if"), names)
            if clauses is None:
                continue
            if "then" not in block and "else" not in block:
                self.problem(here, "if needs a then or an else", "if")
            test = Draft202012Validator(block["if"])
            for branch, negated in (("then", False), ("else", True)):
                if branch not in block:
                    continue
                shown, must = self.branch(block[branch], here.child(branch), names)
                condition = Condition(clauses, negated, f"{here.pointer}/{branch}", test)
                for name in shown:
                    found.setdefault(name, []).append(condition)
                required |= must
        dependent_required = schema.get("dependentRequired", {})
        for subject, dependants in (dependent_required or {}).items():
            here = place.child("dependentRequired", subject)
            if subject not in names:
                self.problem(here, f"{subject!r} is not a question here")
                continue
            condition = Condition(
                (Clause(f"{pointer}/{escape_token(subject)}", "answered", True),),
                False,
                here.pointer,
            )
            for name in dependants:
                if name not in names:
                    self.problem(here, f"{name!r} is not a question here")
                    continue
                found.setdefault(name, []).append(condition)
                required.add(name)
        for subject, branch in (schema.get("dependentSchemas", {}) or {}).items():
            here = place.child("dependentSchemas", subject)
            if subject not in names:
                self.problem(here, f"{subject!r} is not a question here")
                continue
            condition = Condition(
                (Clause(f"{pointer}/{escape_token(subject)}", "answered", True),),
                False,
                here.pointer,
            )
            shown, must = self.branch(branch, here, names)
            for name in shown:
                found.setdefault(name, []).append(condition)
            required |= must
        for name, conditions in found.items():
            for condition in conditions:
                if any(
                    clause.subject.rsplit("/", 1)[-1] == escape_token(name)
                    for clause in condition.clauses
                ):
                    self.problem(place, f"{name!r} cannot be shown on a condition about itself")
        return found, required

    def clauses(
        self, test: Any, pointer: str, place: _Place, names: set[str]
    ) -> tuple[Clause, ...] | None:
        """Read an ``if`` into clauses on siblings, or report why the page cannot follow it."""
        if not isinstance(test, Mapping) or not set(test) <= {"properties", "required", "$comment"}:
            self.problem(
                place,
                "if may only test sibling questions: "
                '{"properties": {name: test}, "required": [name]}',
            )
            return None
        properties = test.get("properties")
        if not isinstance(properties, Mapping) or not properties:
            self.problem(place, "if needs properties naming the questions it tests")
            return None
        if _names(test.get("required")) != set(properties):
            self.problem(
                place,
                "if must list in required every question it tests, so an "
                "unanswered question does not count as a match",
                "required",
            )
        clauses: list[Clause] = []
        ok = True
        for subject, rule in properties.items():
            here = place.child("properties", subject)
            if subject not in names:
                self.problem(here, f"{subject!r} is not a question beside this condition")
                ok = False
                continue
            if not isinstance(rule, Mapping) or len(set(rule) - {"$comment"}) != 1:
                self.problem(
                    here, "each test must be exactly one of " + ", ".join(sorted(CLAUSE_KEYWORDS))
                )
                ok = False
                continue
            keyword = next(k for k in rule if k != "$comment")
            value = rule[keyword]
            if keyword not in CLAUSE_KEYWORDS:
                self.problem(here, f"{keyword} is not a test the form can follow", keyword)
                ok = False
                continue
            if keyword == "contains" and (
                not isinstance(value, Mapping) or set(value) not in ({"const"}, {"enum"})
            ):
                self.problem(
                    here, 'contains must be {"const": value} or {"enum": [values]}', keyword
                )
                ok = False
                continue
            clauses.append(Clause(f"{pointer}/{escape_token(subject)}", keyword, value))
        return tuple(clauses) if ok else None

    def branch(self, branch: Any, place: _Place, names: set[str]) -> tuple[set[str], set[str]]:
        """The children a then/else/dependentSchemas branch shows, and those it requires."""
        if not isinstance(branch, Mapping) or not set(branch) <= {
            "required",
            "properties",
            "$comment",
        }:
            self.problem(
                place,
                "a condition's branch may only list required questions and "
                "mark optional ones with properties: {name: true}",
            )
            return set(), set()
        must = _names(branch.get("required"))
        properties = branch.get("properties", {})
        if not isinstance(properties, Mapping):
            properties = {}
        for name, value in properties.items():
            if value not in (True, {}):
                self.problem(
                    place.child("properties", name),
                    "a condition may only mark a "
                    "question as shown (true); put its constraints on the question",
                )
        shown = must | set(properties)
        for name in sorted(shown - names):
            self.problem(place, f"{name!r} is not a question here")
        return shown & names, must & names

    def check_calculations(self, children: list[Question], place: _Place) -> None:
        """A calculated value may only sum siblings that are numbers or scored choices."""
        by_name = {child.name: child for child in children}
        for child in children:
            if child.calculation is None:
                continue
            for name in child.calculation.of:
                source = by_name.get(name)
                if source is None:
                    self.problem(
                        place,
                        f"x-calculated names {name!r}, which is not a question beside it",
                        "properties",
                        child.name,
                        "x-calculated",
                    )
                elif (
                    source.type
                    not in (QuestionType.INTEGER, QuestionType.DECIMAL, QuestionType.SCORED)
                    and source.scores is None
                ):
                    self.problem(
                        place,
                        f"x-calculated can only add numbers and scored "
                        f"choices; {name!r} is neither",
                        "properties",
                        child.name,
                        "x-calculated",
                    )


def build_structure(
    document: Mapping[str, Any],
    registry: Registry[Any],
    *,
    file: str = "<document>",
    files: Mapping[str, str] | None = None,
) -> tuple[Structure | None, list[Problem]]:
    """Read ``document`` into its question model, with every problem the renderer would have.

    ``registry`` resolves ``$ref`` to other questionnaires; ``files`` names the file of each
    document URI so problems found inside a referenced document point at that file.
    """
    uri = str(document.get("$id", ""))
    names = dict(files or {})
    names.setdefault(urldefrag(uri).url, file)
    reader = _Reader(names)
    resolver = registry.resolver(base_uri=uri)
    structure = reader.structure(document, _Place(file, "", uri, resolver))
    return structure, reader.problems


def _names(value: Any) -> set[str]:
    return {name for name in value if isinstance(name, str)} if isinstance(value, list) else set()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _fhir(value: Any) -> Mapping[str, Any] | None:
    return MappingProxyType(dict(value)) if isinstance(value, Mapping) and value else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
