"""Services a decision can refer to. They are data the application holds; the engine gets a copy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

SERVICE_KINDS: Final = frozenset({"health", "social_care", "community"})


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """A service run by a partner organisation; ``kind`` decides the route it contributes to."""

    slug: str
    kind: str
    organisation: str | None
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in SERVICE_KINDS:
            raise ValueError(f"service {self.slug!r}: kind must be one of {sorted(SERVICE_KINDS)}")


def service_catalogue(entries: Iterable[Mapping[str, Any]]) -> dict[str, ServiceSpec]:
    """Services keyed by slug from ``form_schemas/services.json``-style entries.

    Each entry is ``{"slug", "name", "organisation", "kind"}``; a repeated slug is an error.
    """
    catalogue: dict[str, ServiceSpec] = {}
    for entry in entries:
        spec = ServiceSpec(
            slug=str(entry["slug"]),
            kind=str(entry["kind"]),
            organisation=entry.get("organisation"),
            name=str(entry.get("name", "")),
        )
        if spec.slug in catalogue:
            raise ValueError(f"service {spec.slug!r} is listed twice")
        catalogue[spec.slug] = spec
    return catalogue
