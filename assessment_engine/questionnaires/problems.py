"""Problems in a questionnaire document: what the loader refuses and the admin editor shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in one file, located by JSON Pointer and (when known) line number.

    ``check`` names the check that found it: ``json`` (not JSON), ``size``, ``meta-schema`` (the
    JSON Schema 2020-12 meta-schema), ``extensions`` (our x- keyword meta-schema), ``reference``
    (a ``$ref`` that does not resolve or loops) or ``renderer`` (valid JSON Schema the form
    cannot render).
    """

    file: str
    pointer: str
    message: str
    check: str
    line: int | None = None

    def with_line(self, line: int | None) -> Problem:
        """A copy with the line number filled in."""
        return replace(self, line=line)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where} {self.pointer or '/'}: {self.message} [{self.check}]"


class QuestionnaireError(ValueError):
    """A questionnaire document was refused; ``problems`` says everything that is wrong with it."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"the questionnaire has {len(self.problems)} problem(s):\n{lines}")


def unique_problems(problems: Iterable[Problem]) -> list[Problem]:
    """The problems without repeats (the same file, pointer and message), in their first order."""
    seen: set[tuple[str, str, str]] = set()
    result: list[Problem] = []
    for problem in problems:
        key = (problem.file, problem.pointer, problem.message)
        if key not in seen:
            seen.add(key)
            result.append(problem)
    return result
