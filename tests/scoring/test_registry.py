"""Rule kinds come from entry points; built-ins the same way; duplicates refused at start-up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from importlib.metadata import EntryPoint, distributions
from pathlib import Path
from typing import Any, ClassVar

import pytest

from assessment_engine.scoring.compiler import compile_ruleset
from assessment_engine.scoring.errors import RegistryError
from assessment_engine.scoring.kind import EvalState, RuleKind
from assessment_engine.scoring.kinds import BUILTIN_KINDS, WeightedSum
from assessment_engine.scoring.registry import RuleRegistry, load_registry

PLUGIN = Path(__file__).resolve().parents[1] / "rule_plugin"
BUILTIN_NAMES = {"weighted_sum", "bands", "condition", "decision_table", "route"}


def entry_point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group="assessment_engine.rules")


def test_builtins_are_declared_as_entry_points() -> None:
    registry = load_registry()
    assert set(registry) >= BUILTIN_NAMES
    assert registry["route"].name == "route"
    assert registry.origin("weighted_sum").startswith("assessment_engine.scoring.kinds:WeightedSum")


def test_duplicate_names_are_refused() -> None:
    points = [
        entry_point("weighted_sum", "assessment_engine.scoring.kinds:WeightedSum"),
        entry_point("weighted_sum", "assessment_engine.scoring.kinds:Bands"),
    ]
    with pytest.raises(RegistryError, match="registered twice"):
        RuleRegistry.from_entry_points(points)
    with pytest.raises(RegistryError, match="registered twice"):
        RuleRegistry.from_kinds([*BUILTIN_KINDS, WeightedSum])


def test_entry_point_name_must_match_the_kind() -> None:
    with pytest.raises(RegistryError, match="the class is named 'bands'"):
        RuleRegistry.from_entry_points(
            [entry_point("banding", "assessment_engine.scoring.kinds:Bands")]
        )


def test_broken_plugins_fail_start_up_with_their_name() -> None:
    with pytest.raises(RegistryError, match="cannot be loaded"):
        RuleRegistry.from_entry_points([entry_point("x", "no_such_module_here:Thing")])
    with pytest.raises(RegistryError, match="not a RuleKind"):
        RuleRegistry.from_entry_points([entry_point("x", "json:dumps")])


class BadSchema(RuleKind):
    name: ClassVar[str] = "bad_schema"
    schema: ClassVar[Mapping[str, Any]] = {"type": "object", "properties": {"x": {"type": "nope"}}}

    def evaluate(self, state: EvalState) -> None:
        raise AssertionError("never compiled")


def test_kinds_with_invalid_schemas_are_refused() -> None:
    with pytest.raises(RegistryError, match="invalid schema"):
        RuleRegistry.from_kinds([BadSchema])


def test_a_distribution_seen_twice_on_the_path_counts_once() -> None:
    site = next(
        str(Path(d.locate_file("")))
        for d in distributions()
        if d.metadata["Name"] == "assessment-engine"
    )
    registry = load_registry(path=[site, site])
    assert set(registry) >= BUILTIN_NAMES


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example plugin really pip-installed, into a throwaway target (not the shared venv)."""
    target = tmp_path_factory.mktemp("plugin-site")
    # build from a copy: setuptools writes build/ and *.egg-info next to the sources
    source = tmp_path_factory.mktemp("plugin-src") / "rule_plugin"
    shutil.copytree(PLUGIN, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-cache-dir",
            "--target",
            str(target),
            str(source),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    sys.path.insert(0, str(target))
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        sys.modules.pop("assessment_engine_example_rule", None)


def test_an_installed_plugin_is_discovered_and_used(installed_plugin: Path) -> None:
    registry = load_registry(path=[str(installed_plugin), *sys.path])
    assert set(registry) == BUILTIN_NAMES | {"count_true"}
    assert "assessment-engine-example-rule 0.1.0" in registry.origin("count_true")
    rules = {
        "rules": [
            {
                "id": "risks",
                "kind": "count_true",
                "title": "Risk factors",
                "output": "risks",
                "conditions": [
                    {"var": "/alone"},
                    {">=": [{"var": "/falls"}, 2]},
                    {"var": "/night"},
                ],
            },
            {
                "id": "many",
                "kind": "condition",
                "when": {">=": [{"var": "scores.risks"}, 2]},
                "flag": "many_risks",
            },
            {
                "id": "routing",
                "kind": "route",
                "referrals": [
                    {
                        "id": "link",
                        "when": {"var": "flags.many_risks"},
                        "service": "link-worker",
                        "urgency": "routine",
                        "priority": "low",
                        "route": "community",
                    }
                ],
            },
        ]
    }
    from assessment_engine.scoring.items import ItemSpec

    items = {
        p: ItemSpec(p, k)
        for p, k in [("/alone", "boolean"), ("/falls", "integer"), ("/night", "boolean")]
    }
    ruleset = compile_ruleset(rules, items, registry, name="plugin@1")
    decision = ruleset.evaluate({"alone": True, "falls": 3, "night": False})
    assert decision.scores == {"risks": 2}
    assert decision.flags == ("many_risks",)
    assert decision.trace[0].because == "Risk factors: 2 of 3 hold"
    assert decision.service_slugs == ["link-worker"]


def test_without_the_plugin_its_kind_is_unknown() -> None:
    registry = RuleRegistry.from_kinds(BUILTIN_KINDS)
    rules = {"rules": [{"id": "r", "kind": "count_true", "conditions": [True], "output": "x"}]}
    from assessment_engine.scoring.errors import RulesetError

    with pytest.raises(RulesetError, match="unknown rule kind 'count_true'"):
        compile_ruleset(rules, {}, registry, name="x@1")
