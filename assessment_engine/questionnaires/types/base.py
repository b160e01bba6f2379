"""What one question type knows, in one class: the base every question type extends.

A question type is registered under the entry-point group ``assessment_engine.question_types``
(declared in ``setup.cfg``; the built-ins are declared there exactly as a plugin's would be) and
the application keeps the registry on ``app.extensions`` (see :mod:`.registry`). The class says:

* how the JSON Schema of such a question is read: which keywords and ``x-widget`` values it
  takes (:attr:`QuestionKind.keywords`, :attr:`QuestionKind.widgets`), whether a schema is one
  (:meth:`QuestionKind.claims`, for types a plugin adds) and what of it goes into the
  :class:`~assessment_engine.questionnaires.model.Question` (:meth:`QuestionKind.read`);
* its WTForms field (:meth:`QuestionKind.field`, which also coerces posted text into the JSON
  answer) and its GOV.UK Frontend markup (:meth:`QuestionKind.markup`);
* its answer in words on a check-answers page (:meth:`QuestionKind.words`), the message when it
  is missing (:attr:`QuestionKind.missing`) and how the page's script reads it in a condition
  (:meth:`QuestionKind.condition_type`);
* its FHIR item type and answer ``value[x]`` (:attr:`QuestionKind.fhir_type`,
  :meth:`QuestionKind.fhir_value`, :attr:`QuestionKind.fhir_value_keys`), and the scoring
  engine's kind for it (:attr:`QuestionKind.item_kind`).

Sections, groups, repeating groups, calculated values and guidance are types too; the reader and
the form builder walk their children themselves (that is the structure of the document, not
the behaviour of one type), so a plugin type is a leaf question that takes one answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from markupsafe import Markup

from ..model import PluginTypeName, Question, QuestionType, TypeName
from ..patterns import backtracking_problem
from .words import lines

if TYPE_CHECKING:
    from ..structure import Place, Reader

#: Annotations any question (or section) may carry besides its type's own keywords.
ANNOTATIONS = frozenset(
    {"title", "description", "$comment", "x-hint", "x-guidance", "examples", "x-person-copy"}
    | {"x-fhir"}
)
#: The keywords of a section, a group and a repeating group's item.
OBJECT_KEYWORDS = frozenset(
    {"type", "properties", "required", "additionalProperties", "if", "then", "else", "allOf"}
    | {"dependentRequired", "dependentSchemas", "$defs", "minProperties"}
)


class QuestionKind:
    """One question type. Subclass it, set the class attributes, override what differs.

    The registry makes one instance of each registered class; the instance holds no state.
    """

    #: The registered name (the entry point's name), e.g. ``"short_text"``.
    name: ClassVar[str]
    #: What the questionnaire editor calls it, e.g. "Short text".
    label: ClassVar[str]
    #: The JSON Schema keywords this type takes besides annotations; others are refused.
    keywords: ClassVar[frozenset[str]] = frozenset({"type", "x-widget"})
    #: The ``x-widget`` values that may say how it is shown, and the one used when none is given.
    widgets: ClassVar[frozenset[str]] = frozenset()
    default_widget: ClassVar[str | None] = None
    #: Whether it is answered by picking one of ``oneOf``'s options.
    is_choice: ClassVar[bool] = False
    #: False for what is shown but never answered (guidance, calculated values).
    takes_answer: ClassVar[bool] = True
    #: The scoring engine's kind of item (``None``: the rules never see it).
    item_kind: ClassVar[str | None] = "string"
    #: The FHIR ``Questionnaire.item.type``, and the ``value[x]`` names an imported
    #: QuestionnaireResponse may answer it with.
    fhir_type: ClassVar[str] = "string"
    fhir_value_keys: ClassVar[tuple[str, ...]] = ("valueString",)

    def __init__(self) -> None:
        builtin = {member.value: member for member in QuestionType}
        self.type_name: TypeName = builtin.get(self.name) or PluginTypeName(
            self.name, is_choice=self.is_choice, takes_answer=self.takes_answer
        )

    def __repr__(self) -> str:
        return f"<question type {self.name}>"

    # -- reading the JSON Schema ------------------------------------------------------------

    def claims(self, schema: Mapping[str, Any]) -> bool:
        """Whether a question's schema is of this type.

        The reader asks the types a plugin registered first, in the order they were found, then
        decides among the built-ins by the schema's ``type`` and keywords (see
        :meth:`~assessment_engine.questionnaires.structure.Reader.kind`); built-ins leave this
        ``False``.
        """
        return False

    def read(
        self, reader: Reader, schema: Mapping[str, Any], common: dict[str, Any], place: Place
    ) -> Question | None:
        """The question this schema describes (``common`` holds what every question has).

        Report what cannot be rendered with ``reader.problem(place, message, keyword)``.
        The default reads a leaf question's limits: numbers, text lengths and pattern.
        """
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            trouble = backtracking_problem(pattern)
            if trouble:
                reader.problem(place, f"pattern refused: {trouble}", "pattern")
        if "x-suffix" in schema and self.type_name not in (
            QuestionType.INTEGER,
            QuestionType.DECIMAL,
            QuestionType.SHORT_TEXT,
        ):
            reader.problem(
                place, "x-suffix is only for number and short text questions", "x-suffix"
            )
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

    # -- the form ---------------------------------------------------------------------------

    def field(self, question: Question) -> Any:
        """The unbound WTForms field that answers it (``None``: nothing to answer)."""
        return None

    def markup(
        self, field: Any, question: Question, identifier: str, hint: Any, error: Any
    ) -> dict[str, Any]:
        """The page's node for it: ``macro`` (a name :mod:`~assessment_engine.forms.markup`
        renders) and that GOV.UK Frontend macro's ``params``. Everything people wrote goes in
        ``text`` parameters, which are escaped."""
        return {}

    def first_input(self, identifier: str, field: Any) -> str:
        """The id of the input an error message links to."""
        return identifier

    def condition_type(self, question: Question) -> str:
        """How the page's ``conditions.js`` reads its inputs when a condition tests it."""
        return "string"

    # -- showing and exchanging answers -----------------------------------------------------

    def words(self, question: Question, value: Any) -> str | Markup:
        """An answer in words, as the person answering would recognise it."""
        text = str(value)
        return lines(text.split("\n")) if "\n" in text else text

    def missing(self, question: Question) -> str:
        """The message when a required answer is missing."""
        return "Select an answer"

    def fhir_value(self, question: Question, value: Any) -> dict[str, Any]:
        """The answer as a QuestionnaireResponse ``answer`` (its one ``value[x]``)."""
        return {"valueString": str(value)}

    def fhir_item(self, question: Question, item: dict[str, Any]) -> list[dict[str, Any]]:
        """What its FHIR ``Questionnaire.item`` says besides the linkId, text, type, options,
        conditions and children every item has: set elements of ``item`` here, and return the
        extensions to add (its limits, say)."""
        return []

    def fhir_condition(self, question: Question, value: Any) -> tuple[str, Any] | None:
        """The typed ``answer[x]`` of an ``enableWhen`` comparing its answer with ``value``."""
        return ("answerString", value) if isinstance(value, str) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
