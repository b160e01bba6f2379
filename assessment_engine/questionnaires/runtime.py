"""A questionnaire version made ready for use, once: question model, validator and rules.

Compiling is the expensive part (schemas, validators, rules); it happens once per version per
process, and :class:`VersionCache` on ``app.extensions`` shares the result between requests.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from referencing import Registry

from ..scoring.cases import run_cases
from ..scoring.compiler import CompiledRuleset, compile_ruleset
from ..scoring.errors import RulesetError
from ..scoring.registry import RuleRegistry
from ..scoring.services import ServiceSpec
from .compiled import CompiledQuestionnaire, compile_questionnaire
from .documents import build_registry, load_extensions
from .problems import Problem, QuestionnaireError
from .types.registry import QuestionTypes

EXTENSIONS_FILE = Path("_meta") / "extensions.json"


def checksum(document: Any, rules: Any, test_cases: Any) -> str:
    """SHA-256 of the canonical JSON of what a version is made of."""
    canonical = json.dumps(
        {"document": document, "rules": rules, "test_cases": test_cases},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, eq=False)
class PreparedVersion:
    """Everything needed to show, validate and decide on one questionnaire version."""

    key: str
    version: int
    questionnaire: CompiledQuestionnaire
    ruleset: CompiledRuleset | None

    @property
    def ruleset_name(self) -> str:
        return f"{self.key}@{self.version}"


def rules_problems(
    questionnaire: CompiledQuestionnaire,
    rules: Mapping[str, Any] | None,
    cases: Any,
    *,
    key: str,
    version: int,
    rule_registry: RuleRegistry,
    services: Mapping[str, ServiceSpec] | None,
    rules_file: str,
    cases_file: str,
) -> tuple[CompiledRuleset | None, list[Problem]]:
    """Compile the rules and run their test cases; every problem, with file and pointer."""
    if not rules:
        if _case_list(cases):
            return None, [Problem(cases_file, "", "there are test cases but no rules", "rules")]
        return None, []
    try:
        ruleset = compile_ruleset(
            rules,
            questionnaire.items,
            rule_registry,
            name=f"{key}@{version}",
            services=services,
        )
    except RulesetError as error:
        return None, [Problem(rules_file, p.pointer, p.message, "rules") for p in error.problems]
    problems = [
        Problem(cases_file, result.pointer, "; ".join(result.failures), "cases")
        for result in run_cases(ruleset, cases or [])
        if not result.passed
    ]
    return ruleset, problems


def _case_list(cases: Any) -> list[Any]:
    """The cases of a cases document ({"cases": [...]}) or of a bare list."""
    listed = cases.get("cases") if isinstance(cases, Mapping) else cases
    return listed if isinstance(listed, list) else []


def prepare(
    *,
    key: str,
    version: int,
    document: Mapping[str, Any],
    rules: Mapping[str, Any] | None,
    test_cases: Any,
    extensions: Mapping[str, Any],
    registry: Registry[Any],
    rule_registry: RuleRegistry,
    services: Mapping[str, ServiceSpec] | None,
    question_types: QuestionTypes | None = None,
) -> PreparedVersion:
    """Check and compile a version; raises QuestionnaireError with every problem found."""
    file = f"{key}/v{version}.json"
    questionnaire = compile_questionnaire(
        document,
        extensions=extensions,
        registry=registry,
        file=file,
        key=key,
        version=version,
        types=question_types,
    )
    ruleset, problems = rules_problems(
        questionnaire,
        rules,
        test_cases,
        key=key,
        version=version,
        rule_registry=rule_registry,
        services=services,
        rules_file=f"{key}/v{version}.rules.json",
        cases_file=f"{key}/v{version}.cases.json",
    )
    if problems:
        raise QuestionnaireError(problems)
    return PreparedVersion(key, version, questionnaire, ruleset)


class VersionCache:
    """Prepared versions by (version id, checksum), built on first use and kept for the process.

    A version's content never changes once published, so entries never go stale; a draft's
    checksum changes with every edit, which gives it a new entry.
    """

    def __init__(
        self,
        form_schemas: Path,
        rule_registry: RuleRegistry,
        question_types: QuestionTypes | None = None,
    ) -> None:
        self.form_schemas = form_schemas
        self.extensions = load_extensions(form_schemas / EXTENSIONS_FILE)
        self.rule_registry = rule_registry
        #: The application's question types (None: the built-ins), for every version it reads.
        self.question_types = question_types
        self._entries: dict[tuple[int, str], PreparedVersion] = {}
        self._lock = threading.Lock()

    def get(
        self,
        version_id: int,
        version_checksum: str,
        build: Any,
    ) -> PreparedVersion:
        """The prepared version, calling ``build()`` (which calls :func:`prepare`) only once."""
        cache_key = (version_id, version_checksum)
        found = self._entries.get(cache_key)
        if found is not None:
            return found
        with self._lock:
            found = self._entries.get(cache_key)
            if found is None:
                found = build()
                self._entries[cache_key] = found
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def registry_of(documents: Iterable[Mapping[str, Any]]) -> Registry[Any]:
    """A $ref registry of these documents (by their $id)."""
    return build_registry(list(documents))
