"""The engine is pure: no Flask, no database, no other application package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SCORING = Path(__file__).resolve().parents[2] / "assessment_engine" / "scoring"
FORBIDDEN = ("flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "assessment_engine")


@pytest.mark.parametrize("path", sorted(SCORING.glob("*.py")), ids=lambda p: p.name)
def test_scoring_imports_nothing_from_the_application(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif isinstance(node, ast.ImportFrom):
            # Relative: one dot stays inside scoring/, two or more reach the rest of the package.
            assert node.level == 1, f"{path.name} imports {'.' * node.level}{node.module or ''}"
            continue
        else:
            continue
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
    assert "eval(" not in path.read_text() and "exec(" not in path.read_text()
