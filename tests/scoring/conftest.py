"""Fixtures for the pure rule engine: no Flask app, no database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assessment_engine.scoring.compiler import CompiledRuleset, compile_ruleset
from assessment_engine.scoring.items import ItemSpec
from assessment_engine.scoring.kinds import BUILTIN_KINDS
from assessment_engine.scoring.registry import RuleRegistry
from assessment_engine.scoring.schema_items import directory_loader, items_from_schema
from assessment_engine.scoring.services import ServiceSpec, service_catalogue

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FORM_SCHEMAS = PROJECT_ROOT / "form_schemas"

PHQ9 = [f"/phq9/item{i}" for i in range(1, 10)]


@pytest.fixture(scope="session")
def registry() -> RuleRegistry:
    return RuleRegistry.from_kinds(BUILTIN_KINDS)


@pytest.fixture(scope="session")
def services() -> dict[str, ServiceSpec]:
    return service_catalogue(json.loads((FORM_SCHEMAS / "services.json").read_text()))


@pytest.fixture(scope="session")
def bundled_items() -> Callable[..., dict[str, ItemSpec]]:
    def load(key: str, version: int = 1) -> dict[str, ItemSpec]:
        path = FORM_SCHEMAS / key / f"v{version}.json"
        document = json.loads(path.read_text(encoding="utf-8"))
        return items_from_schema(document, directory_loader(FORM_SCHEMAS))

    return load


@pytest.fixture(scope="session")
def bundled(
    registry: RuleRegistry,
    services: dict[str, ServiceSpec],
    bundled_items: Callable[..., dict[str, ItemSpec]],
) -> Callable[..., CompiledRuleset]:
    """The compiled rules shipped for a questionnaire key (version 1 unless given)."""
    cache: dict[tuple[str, int], CompiledRuleset] = {}

    def get(key: str, version: int = 1) -> CompiledRuleset:
        if (key, version) not in cache:
            path = FORM_SCHEMAS / key / f"v{version}.rules.json"
            rules = json.loads(path.read_text(encoding="utf-8"))
            cache[(key, version)] = compile_ruleset(
                rules,
                bundled_items(key, version),
                registry,
                name=f"{key}@{version}",
                services=services,
            )
        return cache[(key, version)]

    return get


@pytest.fixture
def phq_items() -> dict[str, ItemSpec]:
    """A small PHQ-9-like questionnaire plus a few other question types."""
    items = {p: ItemSpec(p, "integer", title=f"Item {p[-1]}") for p in PHQ9}
    items["/home/alone"] = ItemSpec("/home/alone", "boolean", title="Lives alone")
    items["/home/help"] = ItemSpec(
        "/home/help",
        "choice",
        scores={"none": 0, "some": 1, "lots": 2},
        title="Help needed",
        labels={"none": "No help", "some": "Some help", "lots": "A lot of help"},
    )
    items["/home/notes"] = ItemSpec("/home/notes", "text", title="Notes")
    items["/home/aids"] = ItemSpec("/home/aids", "multichoice", scores={"stick": 1, "frame": 2})
    return items


ROUTING: dict[str, Any] = {"id": "routing", "kind": "route", "referrals": []}


@pytest.fixture
def compile_rules(
    registry: RuleRegistry, phq_items: dict[str, ItemSpec], services: dict[str, ServiceSpec]
) -> Callable[..., CompiledRuleset]:
    """Compile a list of rules (a minimal routing rule is added unless one is given)."""

    def build(rules: list[dict[str, Any]], **kwargs: Any) -> CompiledRuleset:
        if not any(rule.get("kind") == "route" for rule in rules):
            rules = [*rules, ROUTING]
        kwargs.setdefault("services", services)
        return compile_ruleset(
            {"rules": rules}, kwargs.pop("items", phq_items), registry, name="test@1", **kwargs
        )

    return build


def phq_answers(values: list[int | None]) -> dict[str, Any]:
    """``{"phq9": {"item1": ...}}`` leaving out ``None`` values."""
    return {"phq9": {f"item{i + 1}": v for i, v in enumerate(values) if v is not None}}
