"""The question model of a questionnaire version: immutable, read once by :mod:`.structure`.

:class:`Structure` holds the sections in order, each :class:`Question` with its type, words,
options, limits, required-ness and the condition under which it is shown; the form renderer,
the validator, the scoring engine and the FHIR mapping all use it instead of re-reading the
schema. What a question *type* knows (its keywords, its form field, its words in a summary,
its FHIR mapping) lives in its class in :mod:`.types`; each question read from a document
carries its type's class (``Question.kind``), and the structure the registry it was read with.
This module imports none of them (they build on it).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Self

from jsonschema import Draft202012Validator

if TYPE_CHECKING:
    from .types.base import QuestionKind
    from .types.registry import QuestionTypes

#: The pointer token that stands for "every item" of a repeating group in a question's pointer.
EACH_ITEM = "*"


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


class PluginTypeName(str):
    """The type of a question of a type a plugin registered (its entry point's name).

    It answers what :class:`QuestionType` answers (``value``, ``is_container``, ``is_choice``,
    ``takes_answer``), so code that asks a question's type works for every registered type.
    A plugin type is a leaf: it holds no child questions.
    """

    is_choice: bool
    takes_answer: bool

    def __new__(cls, name: str, *, is_choice: bool = False, takes_answer: bool = True) -> Self:
        made = super().__new__(cls, name)
        made.is_choice = is_choice
        made.takes_answer = takes_answer
        return made

    @property
    def value(self) -> str:
        return str(self)

    @property
    def is_container(self) -> bool:
        return False


#: A question's type: a built-in's name, or a plugin type's.
TypeName = QuestionType | PluginTypeName


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
    type: TypeName
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
    #: Its question type's class (from the registry it was read with); see
    #: :func:`~.types.registry.kind_of`.
    kind: QuestionKind | None = field(default=None, repr=False, compare=False)

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
        if not self.conditions:  # most questions: no generator to build and run
            return True
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
    #: The question types it was read with (each question carries its own type's class).
    types: QuestionTypes | None = field(default=None, repr=False)

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
