"""A questionnaire version made ready for use: checked, read into its question model and given
its validator, all once. Everything else asks this object, never the raw document.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from referencing import Registry

from ..scoring.items import ItemSpec
from .answers import AnswerValidator, calculated_values, prune, visible_pointers, with_calculated
from .documents import build_registry, check_document
from .problems import QuestionnaireError
from .specs import item_specs
from .structure import Structure, build_structure, escape_token
from .types.registry import QuestionTypes


@dataclass(frozen=True, eq=False)
class CompiledQuestionnaire:
    """One checked questionnaire version with its question model and validator (built once)."""

    document: Mapping[str, Any]
    structure: Structure
    validator: AnswerValidator = field(repr=False)
    registry: Registry[Any] = field(repr=False)
    items: Mapping[str, ItemSpec] = field(repr=False)
    #: What other layers build once from this version (the form classes, say), by name.
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, init=False)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, init=False)

    def memo(self, name: str, build: Callable[[], Any]) -> Any:
        """``build()``'s result, built on first use and kept with this version.

        The layers above (forms) keep what they derive from a version here, so it lives and
        dies with the version in the app's version cache, with no module-level cache.
        """
        found = self._memo.get(name)
        if found is None:
            with self._memo_lock:
                found = self._memo.get(name)
                if found is None:
                    found = build()
                    self._memo[name] = found
        return found

    @property
    def uri(self) -> str:
        return self.structure.uri

    @property
    def title(self) -> str:
        return self.structure.title

    def visible_pointers(self, answers: Mapping[str, Any]) -> frozenset[str]:
        """Pointers of the questions shown for these answers."""
        return visible_pointers(self.structure, answers)

    def prune(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers without those to questions no longer shown (and without derived values)."""
        return prune(self.structure, answers)

    def validate(self, answers: Any, *, complete: bool) -> dict[str, list[str]]:
        """Errors keyed by field pointer; drafts may be incomplete, submissions may not."""
        return self.validator.validate(answers, complete=complete)

    def refused_case_answers(self, given: Mapping[str, Any]) -> dict[str, list[str]]:
        """What the questionnaire refuses in a rule test case's ``given``, by pointer.

        A case may give only some sections (the ones its rules read), so only the sections it
        gives must be complete; every answer it gives must be valid and to a question shown
        (an answer the form would drop can never reach the rules).
        """
        if not isinstance(given, Mapping):
            return {"": ["given must be an answers object"]}
        pruned = self.prune(given)
        refused: dict[str, list[str]] = {
            pointer: ["this question is not shown for these answers, so it is never answered"]
            for pointer in sorted(_dropped(given, pruned, ""))
        }
        for pointer, messages in self.validate(pruned, complete=True).items():
            section = pointer.split("/")[1] if pointer.count("/") else ""
            if section in given:
                refused.setdefault(pointer, []).extend(messages)
        return refused

    def calculated_values(self, answers: Mapping[str, Any]) -> dict[str, float]:
        """Calculated values (such as the PHQ-9 total) that the answers allow, by pointer."""
        return calculated_values(self.structure, answers)

    def with_calculated(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers with calculated values written in, for showing back."""
        return with_calculated(self.structure, answers)


def _dropped(given: Any, pruned: Any, prefix: str) -> list[str]:
    """Pointers of answers in ``given`` that pruning removed (calculated values aside)."""
    if isinstance(given, Mapping) and isinstance(pruned, Mapping):
        found = []
        for name, value in given.items():
            pointer = f"{prefix}/{escape_token(str(name))}"
            if name not in pruned:
                found.append(pointer)
            else:
                found.extend(_dropped(value, pruned[name], pointer))
        return found
    if isinstance(given, list) and isinstance(pruned, list):
        return [
            pointer
            for index, (item, kept) in enumerate(zip(given, pruned, strict=False))
            for pointer in _dropped(item, kept, f"{prefix}/{index}")
        ]
    return []


def compile_questionnaire(
    document: Mapping[str, Any],
    *,
    extensions: Mapping[str, Any],
    registry: Registry[Any] | None = None,
    file: str = "<document>",
    key: str | None = None,
    version: int | None = None,
    texts: Mapping[str, str] | None = None,
    files: Mapping[str, str] | None = None,
    types: QuestionTypes | None = None,
) -> CompiledQuestionnaire:
    """Check ``document`` and build its question model and validator.

    Raises :class:`QuestionnaireError` with every problem when the document is refused.
    ``registry`` holds the other questionnaires it may ``$ref``.
    """
    problems = check_document(
        document,
        file=file,
        extensions=extensions,
        registry=registry,
        key=key,
        version=version,
        texts=texts,
        files=files,
        types=types,
    )
    if problems:
        raise QuestionnaireError(problems)
    own = build_registry([document], base=registry if registry is not None else Registry())
    structure, problems = build_structure(document, own, file=file, files=files, types=types)
    if structure is None or problems:  # pragma: no cover - check_document found these already
        raise QuestionnaireError(problems)
    return CompiledQuestionnaire(
        document=document,
        structure=structure,
        validator=AnswerValidator(document, structure, own),
        registry=own,
        items=MappingProxyType(item_specs(structure)),
    )
