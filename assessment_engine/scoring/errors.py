"""Errors of the rule engine, each carrying what an administrator needs to fix the rules file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a rules document; ``pointer`` is a JSON Pointer into that document."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


class RulesetError(ValueError):
    """A rules document was refused; ``problems`` lists every problem found, not just the first."""

    def __init__(self, name: str, problems: list[Problem]) -> None:
        self.name = name
        self.problems = problems
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"ruleset {name!r} has {len(problems)} problem(s):\n{lines}")


class RegistryError(RuntimeError):
    """Rule kinds could not be registered (duplicate names, broken plugins): fails start-up."""


class RuleEvaluationError(ValueError):
    """A rule produced what a decision cannot hold (a number that is not finite); the
    decision is refused, never stored. ``rule`` is the id of the rule to fix."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        self.message = message
        super().__init__(f"rule {rule!r}: {message}")
