"""How the API's modules declare their operations, and the blueprint built from them.

Each module of views keeps its own :class:`Routes` (``route = Routes()``, then
``@route(rule, method, ...)`` on each view); :func:`build_blueprint` routes them on a new
blueprint, in the order given, and returns the operations for the OpenAPI document. Nothing is
routed by importing a module: ``api.init_app`` names the modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response

from .http import Operation, operation

View = Callable[..., Response]


@dataclass
class Routes:
    """The operations one module declares, in declaration order."""

    declared: list[tuple[str, str, dict[str, Any], View]] = field(default_factory=list)

    def __call__(self, rule: str, method: str, **options: Any) -> Callable[[View], View]:
        """Declare an operation (the options are :func:`http.operation`'s)."""

        def declare(view: View) -> View:
            self.declared.append((rule, method, options, view))
            return view

        return declare


def build_blueprint(
    modules: Iterable[Routes], pages: Iterable[Callable[[Blueprint], None]] = ()
) -> tuple[Blueprint, list[Operation]]:
    """The ``/api/v1`` blueprint with every declared operation, and those operations in order;
    ``pages`` add what is not an operation (the OpenAPI document and its page)."""
    bp = Blueprint("api", __name__, url_prefix="/api/v1")
    operations: list[Operation] = []
    for routes in modules:
        for rule, method, options, view in routes.declared:
            operation(bp, operations, rule, method, **options)(view)
    for add in pages:
        add(bp)
    return bp, operations
