"""The API blueprint and the list of its declared operations (for the OpenAPI document)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response

from .http import Operation, operation

bp = Blueprint("api", __name__, url_prefix="/api/v1")
#: Every operation, in declaration order; ``openapi`` describes exactly these.
operations: list[Operation] = []


def route(
    rule: str, method: str, **options: Any
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Declare an operation of this blueprint (see :func:`http.operation`)."""
    return operation(bp, operations, rule, method, **options)
