"""The registry of question types, discovered through entry points.

Built-in types are declared in ``setup.cfg`` under ``assessment_engine.question_types`` exactly
like a plugin's, so :func:`load_question_types` finds both the same way (as rule kinds are found
under ``assessment_engine.rules``). The application calls it once at start-up and keeps the
result on ``app.extensions`` (:func:`question_types` reads it back); a duplicate name, a class
that is not a :class:`~.base.QuestionKind` or a missing built-in stops start-up. Code that reads
a document without an application (a script, a test) gets :func:`builtin_types`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib.metadata import EntryPoint
from typing import Any

from ...scoring.errors import RegistryError
from ...scoring.registry import discover
from ..model import Question, QuestionType
from .base import QuestionKind
from .choice import MultipleChoice, Scored, Select, SingleChoice, YesNo
from .containers import Group, RepeatingGroup, Section
from .date import Date
from .display import Calculated, Guidance
from .number import Decimal, Integer
from .text import LongText, ShortText

ENTRY_POINT_GROUP = "assessment_engine.question_types"
#: Where the application keeps its registry.
EXTENSION_KEY = "question_types"

#: The built-in types, in the order the editor lists them (``setup.cfg`` declares the same).
BUILTIN_KINDS: tuple[type[QuestionKind], ...] = (
    ShortText,
    LongText,
    Integer,
    Decimal,
    Date,
    YesNo,
    SingleChoice,
    Select,
    Scored,
    MultipleChoice,
    Group,
    RepeatingGroup,
    Calculated,
    Guidance,
    Section,
)


class QuestionTypes(Mapping[str, QuestionKind]):
    """Question types by name, one instance of each class; immutable once built."""

    def __init__(self, kinds: Mapping[str, QuestionKind], origins: Mapping[str, str]) -> None:
        missing = sorted({member.value for member in QuestionType} - set(kinds))
        if missing:
            raise RegistryError(f"the built-in question types {missing} are not registered")
        self._kinds = dict(kinds)
        self._origins = dict(origins)
        builtin = {member.value for member in QuestionType}
        #: The types a plugin added, in the order found: the reader asks them first.
        self.plugins: tuple[QuestionKind, ...] = tuple(
            kind for name, kind in self._kinds.items() if name not in builtin
        )

    @classmethod
    def from_kinds(cls, kinds: Iterable[type[QuestionKind]]) -> QuestionTypes:
        """A registry of explicit classes, named by their ``name`` attribute."""
        found: dict[str, QuestionKind] = {}
        origins: dict[str, str] = {}
        for kind in kinds:
            origin = f"{kind.__module__}:{kind.__qualname__}"
            _add(found, origins, getattr(kind, "name", None), kind, origin)
        return cls(found, origins)

    @classmethod
    def from_entry_points(cls, entry_points: Iterable[EntryPoint]) -> QuestionTypes:
        """A registry from entry points; each name must be unique and match its class's."""
        found: dict[str, QuestionKind] = {}
        origins: dict[str, str] = {}
        for entry_point in entry_points:
            dist = entry_point.dist
            owner = f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"
            origin = f"{entry_point.value} ({owner})"
            if entry_point.name in found:
                raise RegistryError(
                    f"question type {entry_point.name!r} is registered twice: "
                    f"{origins[entry_point.name]} and {origin}"
                )
            try:
                kind = entry_point.load()
            except Exception as error:
                raise RegistryError(f"question type {origin} cannot be loaded: {error}") from error
            if getattr(kind, "name", None) != entry_point.name:
                raise RegistryError(
                    f"question type {origin}: the class is named "
                    f"{getattr(kind, 'name', None)!r}, the entry point {entry_point.name!r}"
                )
            _add(found, origins, entry_point.name, kind, origin)
        return cls(found, origins)

    def __getitem__(self, name: str) -> QuestionKind:
        return self._kinds[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def origin(self, name: str) -> str:
        """Where a type came from (distribution and object), for messages and diagnostics."""
        return self._origins[name]

    def choices(self) -> list[tuple[str, str]]:
        """``(name, label)`` of every type a question can have (not "section"), for the
        questionnaire editor's list of types."""
        return [(name, kind.label) for name, kind in self._kinds.items() if name != "section"]

    def __repr__(self) -> str:
        return f"QuestionTypes({sorted(self._kinds)})"


def _add(
    found: dict[str, QuestionKind], origins: dict[str, str], name: Any, kind: Any, origin: str
) -> None:
    if not isinstance(kind, type) or not issubclass(kind, QuestionKind):
        raise RegistryError(f"question type {origin} is not a QuestionKind subclass")
    if not isinstance(name, str) or not name:
        raise RegistryError(f"question type {origin} has no name")
    if name in found:
        raise RegistryError(
            f"question type {name!r} is registered twice: {origins[name]} and {origin}"
        )
    if not isinstance(getattr(kind, "label", None), str):
        raise RegistryError(f"question type {origin} has no label")
    found[name], origins[name] = kind(), origin


def kind_of(question: Question) -> QuestionKind:
    """What ``question``'s type knows: its form field, its words, its FHIR mapping...

    A question read from a document carries its type's class; one made by hand (in a test)
    gets the built-in class of its type.
    """
    if question.kind is not None:
        return question.kind
    return builtin_types()[question.type.value]


def builtin_types() -> QuestionTypes:
    """The built-in types alone, for reading documents outside an application."""
    return QuestionTypes.from_kinds(BUILTIN_KINDS)


def load_question_types(
    group: str = ENTRY_POINT_GROUP, *, path: Sequence[str] | None = None
) -> QuestionTypes:
    """Discover and check every question type; raises ``RegistryError`` (a duplicate name...)."""
    return QuestionTypes.from_entry_points(discover(group, path))


def question_types(app: Any) -> QuestionTypes:
    """The application's question types (built-ins and plugins), as registered at start-up."""
    found = app.extensions[EXTENSION_KEY]
    assert isinstance(found, QuestionTypes)
    return found
