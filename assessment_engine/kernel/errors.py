"""The errors every domain raises and both edges (pages and API) understand.

A service raises one of these for something the person asked that the rules refuse; the edge
rolls the request's transaction back and shows the message (on the field where ``errors``
names one, otherwise on the page, or as problem+json). Anything else that escapes is a bug.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(ValueError):
    """A refusal a person can understand and act on.

    ``errors`` maps form field names to messages, for refusals about particular fields.
    """

    def __init__(self, message: str = "", errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message or "; ".join((errors or {}).values()))
        self.errors: dict[str, str] = dict(errors or {})


class NotFound(LookupError):
    """The record does not exist, or the actor may not know that it does (answered as 404)."""


class StaleEdit(DomainError):
    """Someone else saved the same thing first: the edit was made against an older version."""
