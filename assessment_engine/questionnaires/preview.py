"""A version ready to preview and compare: its compiled questionnaire and rules, built once.

Published versions come from the application's :class:`VersionCache`. A draft is checked from
its texts and kept in a small :class:`DraftRuntimeCache` keyed by its id and revision, so
paging through the preview compiles it once, not per request. Nothing here is stored.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..db import DbSession
from ..scoring.compiler import CompiledRuleset
from ..scoring.decision import DecisionResult
from .checks import CheckContext, DraftCheck, check_draft
from .compiled import CompiledQuestionnaire
from .diff import Comparison, compare
from .documents import build_registry
from .drafts import source_of, source_texts
from .models import QuestionnaireVersion, VersionStatus
from .problems import Problem
from .runtime import VersionCache
from .services import prepared
from .structure import Structure, build_structure

#: Preview answers posted back by the page are refused beyond this size.
MAX_PREVIEW_BYTES = 256 * 1024


@dataclass(frozen=True, eq=False)
class VersionRuntime:
    """A version's compiled questionnaire and ruleset (either may be missing for a draft)."""

    key: str
    version: int
    questionnaire: CompiledQuestionnaire | None
    ruleset: CompiledRuleset | None
    problems: tuple[Problem, ...] = ()
    structure: Structure | None = None

    @property
    def ruleset_name(self) -> str:
        return f"{self.key}@{self.version}"


class DraftRuntimeCache:
    """The last few drafts' runtimes, by (version id, revision); thread-safe and bounded."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, int, str], VersionRuntime] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int, str], build: Callable[[], VersionRuntime]) -> VersionRuntime:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        built = build()
        with self._lock:
            self._entries[key] = built
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return built

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def runtime_of(
    session: DbSession,
    cache: VersionCache,
    drafts: DraftRuntimeCache,
    context_of: Callable[[], CheckContext],
    version: QuestionnaireVersion,
) -> VersionRuntime:
    """The compiled form of any version; a draft's from its current texts."""
    key, number = version.questionnaire.key, version.version
    if version.status != VersionStatus.DRAFT:
        ready = prepared(session, cache, version)
        return VersionRuntime(
            key, number, ready.questionnaire, ready.ruleset, (), ready.questionnaire.structure
        )
    source = source_of(session, version)
    revision = source.revision if source is not None else 0

    def build() -> VersionRuntime:
        context = context_of()
        texts = source_texts(session, version, Path(cache.form_schemas))
        result = check_draft(texts, key=key, version=number, context=context)
        return _draft_runtime(key, number, result, context)

    return drafts.get((version.id, revision, version.checksum), build)


def _draft_runtime(
    key: str, number: int, result: DraftCheck, context: CheckContext
) -> VersionRuntime:
    structure = result.compiled.structure if result.compiled is not None else None
    if structure is None and result.document is not None:
        own = build_registry([result.document], base=context.registry)
        structure, _problems = build_structure(result.document, own, types=context.question_types)
    return VersionRuntime(
        key, number, result.compiled, result.ruleset, tuple(result.problems), structure
    )


def remember_saved(
    session: DbSession,
    drafts: DraftRuntimeCache,
    version: QuestionnaireVersion,
    result: DraftCheck,
    context: CheckContext,
) -> None:
    """Keep the check a save just ran as the draft's runtime at its new revision, so that the
    pages after the save (the editor's list, the preview) do not compile the draft again."""
    source = source_of(session, version)
    if source is None:
        return
    key, number = version.questionnaire.key, version.version
    drafts.get(
        (version.id, source.revision, version.checksum),
        lambda: _draft_runtime(key, number, result, context),
    )


def parse_answers(text: str | None) -> dict[str, Any]:
    """The preview's answers carried in the page (a hidden field); anything odd is dropped."""
    if not text or len(text.encode("utf-8")) > MAX_PREVIEW_BYTES:
        return {}
    try:
        value = json.loads(text, parse_constant=_not_json, parse_float=_finite_float)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _not_json(name: str) -> Any:
    """``NaN`` and ``Infinity``: Python reads them, JSON has no such thing."""
    raise ValueError(name)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # like 1e400
        raise ValueError(text)
    return number


def decide(runtime: VersionRuntime, answers: Mapping[str, Any]) -> DecisionResult | None:
    """What the rules decide on the preview's answers (shown, never stored)."""
    if runtime.questionnaire is None or runtime.ruleset is None:
        return None
    return runtime.ruleset.evaluate(runtime.questionnaire.prune(dict(answers)))


def comparison(
    old: VersionRuntime,
    new: VersionRuntime,
    old_version: QuestionnaireVersion,
    new_version: QuestionnaireVersion,
) -> Comparison | None:
    """The readable comparison of two versions, or None if either cannot be read."""
    if old.structure is None or new.structure is None:
        return None
    return compare(
        old.structure,
        new.structure,
        old_version.rules,
        new_version.rules,
        old_label=f"{old_version.title} version {old_version.version}",
        new_label=f"{new_version.title} version {new_version.version}",
    )
