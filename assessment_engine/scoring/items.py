"""What the engine knows about each question: the questionnaire loader produces these by pointer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ITEM_KINDS = frozenset(
    {
        "string",
        "text",
        "integer",
        "number",
        "boolean",
        "date",
        "choice",
        "multichoice",
        "repeat",
        "group",
        "calculated",
    }
)

#: Kinds whose answer is itself a number usable as a score when the item declares no scores.
NUMERIC_KINDS = frozenset({"integer", "number", "calculated"})


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """One answerable question of a questionnaire version.

    ``pointer`` is the JSON Pointer of the answer in the answers document. ``scores`` maps an
    option's value to its score for scored items; for numeric items without ``scores`` the value
    itself is the score (PHQ-9 items are integers 0-3). ``labels`` optionally maps option values to
    the words the person chose, used in explanations.
    """

    pointer: str
    kind: str
    scores: Mapping[Any, float] | None = None
    required: bool = False
    title: str = ""
    labels: Mapping[Any, str] | None = None

    def __post_init__(self) -> None:
        if self.kind not in ITEM_KINDS:
            raise ValueError(f"unknown item kind {self.kind!r} for {self.pointer}")
        if not self.pointer.startswith("/"):
            raise ValueError(f"item pointer must start with '/': {self.pointer!r}")

    @property
    def scored(self) -> bool:
        """True when an answer to this item can be turned into a number."""
        return self.scores is not None or self.kind in NUMERIC_KINDS or self.kind == "boolean"
