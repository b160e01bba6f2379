"""Checking a draft's three texts (document, rules, test cases) and reporting every problem.

Pure (no Flask, no database): the caller passes a :class:`CheckContext` built from the stored
published versions. Every problem has its file, JSON Pointer and line in the text as typed, so
the editor can list them all at once and jump to each.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from referencing import Registry

from ..bad_bytes import MESSAGE as BAD_BYTES_MESSAGE
from ..bad_bytes import json_pointers
from ..scoring.cases import CaseResult, GivenValidator, run_cases
from ..scoring.compiler import CompiledRuleset, compile_ruleset
from ..scoring.errors import RulesetError
from ..scoring.registry import RuleRegistry
from ..scoring.services import ServiceSpec
from .compiled import CompiledQuestionnaire, compile_questionnaire
from .documents import (
    MAX_DOCUMENT_BYTES,
    add_lines,
    build_registry,
    check_text,
)
from .problems import Problem, QuestionnaireError
from .specs import item_specs
from .structure import build_structure
from .types.registry import QuestionTypes

#: The parts of a draft, in the order the editor shows them.
PARTS = ("document", "rules", "test_cases")


@dataclass(frozen=True)
class DraftTexts:
    """The three texts of a draft as an administrator typed them."""

    document: str
    rules: str
    test_cases: str

    def get(self, part: str) -> str:
        return str(getattr(self, part))


@dataclass(frozen=True)
class CheckContext:
    """What a draft is checked against: the extension meta-schema, the published documents it
    may ``$ref``, the rule kinds and the services rules may refer to."""

    extensions: Mapping[str, Any]
    registry: Registry[Any]
    rule_registry: RuleRegistry
    services: Mapping[str, ServiceSpec]
    #: The application's question types (None: the built-ins).
    question_types: QuestionTypes | None = None


@dataclass(frozen=True, eq=False)
class DraftCheck:
    """The outcome of checking a draft: every problem, and whatever could be built."""

    problems: list[Problem]
    document: dict[str, Any] | None
    rules: dict[str, Any] | None
    cases: Any
    compiled: CompiledQuestionnaire | None = None
    ruleset: CompiledRuleset | None = None
    case_results: list[CaseResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problems_of(self, part: str, key: str, version: int) -> list[Problem]:
        """The problems in one part's file."""
        name = file_names(key, version)[part]
        return [problem for problem in self.problems if problem.file == name]


def file_names(key: str, version: int) -> dict[str, str]:
    """The file each part would have in ``form_schemas/`` (how problems name their file)."""
    return {
        "document": f"{key}/v{version}.json",
        "rules": f"{key}/v{version}.rules.json",
        "test_cases": f"{key}/v{version}.cases.json",
    }


def parse_json(
    text: str, *, file: str, expect: type | tuple[type, ...], what: str
) -> tuple[Any, list[Problem]]:
    """Parse one text, refusing what is too big, not JSON or not of the ``expect`` type."""
    size = len(text.encode("utf-8"))
    if size > MAX_DOCUMENT_BYTES:
        message = f"the {what} are {size} bytes; the limit is {MAX_DOCUMENT_BYTES}"
        return None, [Problem(file, "", message, "size", 1)]
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        message = f"not valid JSON: {error.msg} (column {error.colno})"
        return None, [Problem(file, "", message, "json", error.lineno)]
    except (ValueError, RecursionError) as error:
        return None, [Problem(file, "", f"not valid JSON: {error}", "json", 1)]
    if not isinstance(value, expect):
        kind = "an object" if expect is dict else "a list or an object"
        return None, [Problem(file, "", f"the {what} must be {kind}", "json", 1)]
    bad = next(json_pointers(value), None)
    if bad is not None:  # written as \u0000 or \ud800 escapes: valid JSON, but not storable
        return None, [Problem(file, bad, f"the {what} {BAD_BYTES_MESSAGE}", "json", 1)]
    return value, []


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check_draft(texts: DraftTexts, *, key: str, version: int, context: CheckContext) -> DraftCheck:
    """Check all three texts and run the test cases; every problem is reported, none hidden.

    Checks: JSON syntax and size; the JSON Schema meta-schema; our extension meta-schema;
    ``$id``/``$schema``; references; what the renderer supports (question types, regular
    expressions that could backtrack, option and depth limits); the rules against the questions
    (unknown questions, scores, flags, services, cycles, thresholds); every test case, whose
    ``given`` must be answers the draft's own document accepts (as ``load-schemas`` checks).
    """
    files = file_names(key, version)
    document, problems = check_text(
        texts.document,
        file=files["document"],
        extensions=context.extensions,
        registry=context.registry,
        key=key,
        version=version,
        types=context.question_types,
    )
    bad = next(json_pointers(document), None) if document is not None else None
    if bad is not None:  # a \u0000 or \ud800 escape: valid JSON, but not storable
        problems.append(
            Problem(files["document"], bad, f"the document {BAD_BYTES_MESSAGE}", "json", 1)
        )
        document = None
    rules: dict[str, Any] | None = None
    cases: Any = None
    if texts.rules.strip():
        rules, found = parse_json(texts.rules, file=files["rules"], expect=dict, what="rules")
        problems += found
    else:
        rules = {}
    if texts.test_cases.strip():
        cases, found = parse_json(
            texts.test_cases, file=files["test_cases"], expect=(dict, list), what="test cases"
        )
        problems += found
    else:
        cases = {"cases": []}
    compiled = _compiled(document, problems, context, files["document"], key, version)
    items = _items(document, context, files["document"])
    ruleset, case_results, more = _rules_and_cases(
        rules,
        cases,
        items,
        context,
        files,
        name=f"{key}@{version}",
        # As load-schemas does: a case whose ``given`` the draft itself refuses fails. A draft
        # is a new version, so no case of it is exempt.
        validate=compiled.refused_case_answers if compiled is not None else None,
    )
    problems += add_lines(
        more, {files["rules"]: texts.rules, files["test_cases"]: texts.test_cases}
    )
    return DraftCheck(problems, document, rules, cases, compiled, ruleset, case_results)


def _compiled(
    document: dict[str, Any] | None,
    problems: list[Problem],
    context: CheckContext,
    file: str,
    key: str,
    version: int,
) -> CompiledQuestionnaire | None:
    if document is None or problems:
        return None
    try:
        return compile_questionnaire(
            document,
            extensions=context.extensions,
            registry=context.registry,
            file=file,
            key=key,
            version=version,
            types=context.question_types,
        )
    except QuestionnaireError:  # pragma: no cover - check_text found these already
        return None


def _items(document: dict[str, Any] | None, context: CheckContext, file: str) -> Any:
    """The questions the rules may refer to, when the document's structure can be read at all
    (meta-schema complaints elsewhere do not stop the rules being checked)."""
    if document is None:
        return None
    own = build_registry([document], base=context.registry)
    structure, _problems = build_structure(document, own, file=file, types=context.question_types)
    return item_specs(structure) if structure is not None else None


def _rules_and_cases(
    rules: dict[str, Any] | None,
    cases: Any,
    items: Any,
    context: CheckContext,
    files: dict[str, str],
    *,
    name: str,
    validate: GivenValidator | None = None,
) -> tuple[CompiledRuleset | None, list[CaseResult], list[Problem]]:
    problems: list[Problem] = []
    listed = cases.get("cases", []) if isinstance(cases, dict) else (cases or [])
    if rules is None:
        return None, [], problems
    if not rules:
        if listed:
            problems.append(
                Problem(files["test_cases"], "", "there are test cases but no rules", "rules")
            )
        return None, [], problems
    if items is None:
        problems.append(
            Problem(
                files["rules"],
                "",
                "the rules are checked against the questions once the document's "
                "structure problems are fixed",
                "rules",
            )
        )
        return None, [], problems
    try:
        ruleset = compile_ruleset(
            rules, items, context.rule_registry, name=name, services=context.services
        )
    except RulesetError as error:
        problems += [Problem(files["rules"], p.pointer, p.message, "rules") for p in error.problems]
        return None, [], problems
    if cases is None:
        return ruleset, [], problems
    if isinstance(cases, dict) and not isinstance(cases.get("cases", []), list):
        problems.append(Problem(files["test_cases"], "/cases", "cases must be a list", "cases"))
        return ruleset, [], problems
    results = run_cases(ruleset, cases, validate=validate)
    problems += [
        Problem(files["test_cases"], r.pointer, f"{r.name}: " + "; ".join(r.failures), "cases")
        for r in results
        if not r.passed
    ]
    return ruleset, results, problems
