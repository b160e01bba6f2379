"""Reading a questionnaire version into its question model, and the check that the form can
render it.

A questionnaire is a JSON Schema document; this module reads it once into an immutable
:class:`~.model.Structure` (sections in order, each question with its type, words, options,
limits, required-ness and the condition under which it is shown), which the form renderer, the
validator, the scoring engine and the FHIR mapping all use instead of re-reading the schema.
The model's classes are defined in :mod:`.model` and importable from here too. What differs
between question types (their keywords, widgets and type-specific reading) is asked of the
question type classes in :mod:`.types`, from the registry the reader is given.

Reading the document is also the "supported by the renderer" check: every construct the form
cannot render faithfully is reported as a :class:`Problem` with its file and JSON Pointer,
rather than half-rendered. The language we accept:

* the root and every section are ``type: object`` with a ``title`` and
  ``additionalProperties: false``; sections are the root's properties, questions theirs;
* a question's kind follows from its schema (see :meth:`Reader.kind`); options are ``oneOf``
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

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urldefrag, urljoin

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.exceptions import Unresolvable

from .model import (
    EACH_ITEM,
    Calculation,
    Clause,
    Condition,
    Option,
    PluginTypeName,
    Question,
    QuestionType,
    Structure,
    TypeName,
    escape_token,
)
from .problems import Problem
from .types.base import ANNOTATIONS, QuestionKind
from .types.registry import QuestionTypes, builtin_types, kind_of, question_types

if TYPE_CHECKING:
    from referencing._core import Resolver

__all__ = [
    "CLAUSE_KEYWORDS",
    "EACH_ITEM",
    "EXTENSION_KEYWORDS",
    "MAX_OPTIONS",
    "MAX_QUESTION_DEPTH",
    "Calculation",
    "Clause",
    "Condition",
    "Option",
    "PluginTypeName",
    "Question",
    "QuestionType",
    "Reader",
    "Structure",
    "TypeName",
    "build_structure",
    "escape_token",
    "kind_of",
    "question_types",
]

#: Questions may sit at most this many pointer tokens deep (section/group/repeat/*/question...).
MAX_QUESTION_DEPTH = 6
#: A single question may offer at most this many options.
MAX_OPTIONS = 500

#: Our extension keywords (described by ``form_schemas/_meta/extensions.json``).
EXTENSION_KEYWORDS = frozenset(
    {"x-widget", "x-hint", "x-guidance", "x-score", "x-calculated", "x-item-label", "x-suffix"}
    | {"x-not-after", "x-person-copy", "x-fhir"}
)
CLAUSE_KEYWORDS = frozenset(
    {"const", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems"}
    | {"contains"}
)


# --------------------------------------------------------------------------------- the reader

_ROOT_ONLY = frozenset({"$schema", "$id", "$defs"})
_OPTION_KEYWORDS = frozenset({"const", "title", "description", "x-score", "$comment", "x-fhir"})
_SCALAR_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
}


@dataclass(frozen=True, slots=True)
class Place:
    """Where a schema node is: its file, its pointer in that file, and a resolver for its $refs."""

    file: str
    pointer: str
    base: str
    resolver: Resolver[Any]
    refs: tuple[str, ...] = ()

    def child(self, *tokens: str | int) -> Place:
        pointer = self.pointer + "".join("/" + escape_token(str(t)) for t in tokens)
        return Place(self.file, pointer, self.base, self.resolver, self.refs)


class Reader:
    """Reads a document into questions, collecting every problem instead of stopping at one."""

    def __init__(self, files: Mapping[str, str], types: QuestionTypes) -> None:
        self.files = files
        self.types = types
        self.problems: list[Problem] = []

    def problem(
        self, place: Place, message: str, *tokens: str | int, check: str = "renderer"
    ) -> None:
        self.problems.append(Problem(place.file, place.child(*tokens).pointer, message, check))

    def file_of(self, uri: str) -> str:
        return self.files.get(urldefrag(uri).url, urldefrag(uri).url)

    # -- $ref ------------------------------------------------------------------------------

    def follow(
        self, schema: Mapping[str, Any], place: Place
    ) -> tuple[Mapping[str, Any], Place] | None:
        """Resolve a ``$ref`` (repeatedly), keeping the referring node's annotations."""
        annotations: dict[str, Any] = {}
        while "$ref" in schema:
            ref = schema["$ref"]
            extra = set(schema) - ANNOTATIONS - {"$ref"}
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
                if key in ANNOTATIONS:
                    annotations.setdefault(key, value)
            url, fragment = urldefrag(target)
            pointer = unquote(fragment) if fragment.startswith("/") else ""
            place = Place(self.file_of(url), pointer, url, resolved.resolver, (*place.refs, target))
            schema = resolved.contents
            if not isinstance(schema, Mapping):
                self.problem(place, "a $ref must lead to a schema object")
                return None
        return {**schema, **annotations}, place

    # -- nodes -----------------------------------------------------------------------------

    def structure(self, document: Mapping[str, Any], place: Place) -> Structure | None:
        """Read the whole document; ``None`` (with problems) when it cannot be rendered."""
        extra = set(document) - ANNOTATIONS - _ROOT_ONLY - {"type", "properties", "required"}
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
            types=self.types,
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
        place: Place,
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
        allowed = kind.keywords | ANNOTATIONS
        for key in sorted(set(schema) - allowed):
            self.problem(place, self.unsupported(key, kind.name), key)
        title = schema.get("title")
        if not isinstance(title, str) or not title.strip():
            self.problem(place, "every question and section needs a title", "title")
            title = name
        widget = schema.get("x-widget", kind.default_widget)
        if "x-widget" in schema and widget not in kind.widgets:
            self.problem(
                place, f"x-widget {widget!r} cannot show a {kind.name} question", "x-widget"
            )
        common: dict[str, Any] = {
            "pointer": pointer,
            "name": name,
            "type": kind.type_name,
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
            "kind": kind,
        }
        return kind.read(self, schema, common, place)

    def kind(
        self, schema: Mapping[str, Any], place: Place, *, section: bool
    ) -> QuestionKind | None:
        """The question type of a schema (a plugin's, if one claims it), or report why none."""
        if not section:
            for plugin in self.types.plugins:
                if plugin.claims(schema):
                    return plugin
        found = self.builtin_kind(schema, place, section=section)
        return None if found is None else self.types[found.value]

    def builtin_kind(
        self, schema: Mapping[str, Any], place: Place, *, section: bool
    ) -> QuestionType | None:
        """Decide the built-in question type from the schema, or report why there is none."""
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

    def unsupported(self, key: str, kind: str) -> str:
        """Why ``key`` is refused in a question of type ``kind`` (its registered name)."""
        if key.startswith("x-") and key not in EXTENSION_KEYWORDS:
            return f"{key} is not one of our extension keywords"
        if key.startswith("x-"):
            return f"{key} does not apply to a {kind.replace('_', ' ')}"
        return f"{key} is not supported in a {kind.replace('_', ' ')} by the form renderer"

    def options(self, schema: Mapping[str, Any], place: Place) -> tuple[Option, ...]:
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
        self, schema: Mapping[str, Any], pointer: str, place: Place
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
        self, schema: Mapping[str, Any], pointer: str, place: Place, names: set[str]
    ) -> tuple[dict[str, list[Condition]], set[str]]:
        """The conditions on each child, and which children are required when shown."""
        found: dict[str, list[Condition]] = {}
        required: set[str] = set()
        blocks: list[tuple[Mapping[str, Any], Place]] = []
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
        self, test: Any, pointer: str, place: Place, names: set[str]
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

    def branch(self, branch: Any, place: Place, names: set[str]) -> tuple[set[str], set[str]]:
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

    def check_calculations(self, children: list[Question], place: Place) -> None:
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
    types: QuestionTypes | None = None,
) -> tuple[Structure | None, list[Problem]]:
    """Read ``document`` into its question model, with every problem the renderer would have.

    ``registry`` resolves ``$ref`` to other questionnaires; ``files`` names the file of each
    document URI so problems found inside a referenced document point at that file. ``types``
    are the question types to read with (the application's; the built-ins when not given).
    """
    uri = str(document.get("$id", ""))
    names = dict(files or {})
    names.setdefault(urldefrag(uri).url, file)
    reader = Reader(names, types if types is not None else builtin_types())
    resolver = registry.resolver(base_uri=uri)
    structure = reader.structure(document, Place(file, "", uri, resolver))
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
