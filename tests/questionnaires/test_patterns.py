"""Regular expressions that could backtrack catastrophically are refused; ordinary ones pass."""

from __future__ import annotations

import re
import time

import pytest

from assessment_engine.questionnaires.patterns import backtracking_problem

SAFE = [
    r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$",  # UK postcode
    r"^\d{10}$",  # CHI number
    r"^[0-9]{3} ?[0-9]{3} ?[0-9]{4}$",  # NHS number with optional spaces
    r"^(ab|cd)+$",
    r"^(?:a{1,3}){1,3}$",
    r"^(?>a+)+$",
    r"^[^@\s]+@[^@\s]+$",
]
DANGEROUS = [
    r"^(a+)+$",
    r"(a*)*b",
    r"^(\w+\s?)*$",
    r"^(\d+|[a-z])+$",
    r"(x+x+)+y",
    r"^(aa|a)+$",
    r"^(a|a?)+$",
    r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+$",
]


@pytest.mark.parametrize("pattern", SAFE)
def test_ordinary_patterns_are_accepted(pattern: str) -> None:
    assert backtracking_problem(pattern) is None


@pytest.mark.parametrize("pattern", DANGEROUS)
def test_catastrophic_patterns_are_refused(pattern: str) -> None:
    problem = backtracking_problem(pattern)
    assert problem is not None and "exponential" in problem


def test_the_refused_shape_really_is_slow_and_the_accepted_one_is_not() -> None:
    """Guards the premise: (a+)+$ takes time that doubles per character; (ab|cd)+$ does not."""
    start = time.perf_counter()
    re.search(r"^(a+)+$", "a" * 22 + "!")
    slow = time.perf_counter() - start
    start = time.perf_counter()
    re.search(r"^(ab|cd)+$", "ab" * 5000 + "!")
    fast = time.perf_counter() - start
    assert slow > fast


@pytest.mark.parametrize("pattern", ["[", "(?P<x>a)(?P<x>b)", "a{2,1}"])
def test_invalid_patterns_are_refused(pattern: str) -> None:
    assert (backtracking_problem(pattern) or "").startswith("not a valid regular expression")


def test_very_long_patterns_are_refused() -> None:
    assert backtracking_problem("a" * 5000) is not None
