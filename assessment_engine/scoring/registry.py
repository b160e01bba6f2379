"""The registry of rule kinds, discovered through entry points.

Built-in kinds are declared in ``setup.cfg`` under ``assessment_engine.rules`` exactly like a
third-party package's, so ``load_registry()`` finds both the same way. The application calls it
once at start-up and keeps the result in ``app.extensions``; there is no module-level registry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib.metadata import Distribution, EntryPoint, distributions
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .errors import RegistryError
from .kind import RuleKind

ENTRY_POINT_GROUP = "assessment_engine.rules"


class RuleRegistry(Mapping[str, type[RuleKind]]):
    """Rule kinds by name, each with its configuration validator; immutable once built."""

    def __init__(self, kinds: Mapping[str, type[RuleKind]], origins: Mapping[str, str]) -> None:
        self._kinds = dict(kinds)
        self._origins = dict(origins)
        self._validators: dict[str, Draft202012Validator] = {}
        for name, kind in self._kinds.items():
            self._validators[name] = _validator(name, kind, self._origins.get(name, "?"))

    @classmethod
    def from_kinds(cls, kinds: Iterable[type[RuleKind]]) -> RuleRegistry:
        """A registry of explicit kind classes, named by their ``name`` attribute."""
        found: dict[str, type[RuleKind]] = {}
        origins: dict[str, str] = {}
        for kind in kinds:
            name = getattr(kind, "name", None)
            origin = f"{kind.__module__}:{kind.__qualname__}"
            if not isinstance(name, str) or not name:
                raise RegistryError(f"rule kind {origin} has no name")
            if name in found:
                raise RegistryError(
                    f"rule kind {name!r} is registered twice: {origins[name]} and {origin}"
                )
            found[name], origins[name] = kind, origin
        return cls(found, origins)

    @classmethod
    def from_entry_points(cls, entry_points: Iterable[EntryPoint]) -> RuleRegistry:
        """A registry from entry points; each name must be unique and match its class's name."""
        found: dict[str, type[RuleKind]] = {}
        origins: dict[str, str] = {}
        for entry_point in entry_points:
            origin = _describe(entry_point)
            if entry_point.name in found:
                raise RegistryError(
                    f"rule kind {entry_point.name!r} is registered twice: "
                    f"{origins[entry_point.name]} and {origin}"
                )
            try:
                kind = entry_point.load()
            except Exception as error:
                raise RegistryError(f"rule kind {origin} cannot be loaded: {error}") from error
            if not isinstance(kind, type) or not issubclass(kind, RuleKind):
                raise RegistryError(f"rule kind {origin} is not a RuleKind subclass")
            if getattr(kind, "name", None) != entry_point.name:
                raise RegistryError(
                    f"rule kind {origin}: the class is named {getattr(kind, 'name', None)!r}, "
                    f"the entry point {entry_point.name!r}"
                )
            found[entry_point.name], origins[entry_point.name] = kind, origin
        return cls(found, origins)

    def __getitem__(self, name: str) -> type[RuleKind]:
        return self._kinds[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def validator(self, name: str) -> Draft202012Validator:
        """The JSON Schema validator of a kind's configuration."""
        return self._validators[name]

    def origin(self, name: str) -> str:
        """Where a kind came from (distribution and object), for messages and diagnostics."""
        return self._origins[name]

    def __repr__(self) -> str:
        return f"RuleRegistry({sorted(self._kinds)})"


def _validator(name: str, kind: type[RuleKind], origin: str) -> Draft202012Validator:
    schema: Any = getattr(kind, "schema", None)
    if not isinstance(schema, Mapping) or schema.get("type") != "object":
        raise RegistryError(f"rule kind {name!r} ({origin}) needs a JSON Schema of type object")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        message = f"rule kind {name!r} ({origin}) has an invalid schema: {error.message}"
        raise RegistryError(message) from error
    return Draft202012Validator(schema)


def _describe(entry_point: EntryPoint) -> str:
    dist = entry_point.dist
    owner = f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"
    return f"{entry_point.value} ({owner})"


def discover(group: str = ENTRY_POINT_GROUP, path: Sequence[str] | None = None) -> list[EntryPoint]:
    """Entry points of ``group`` in the installed distributions (on ``path``, default sys.path).

    A distribution found twice on the path (an editable install seen from its source folder and
    from site-packages) counts once, as in ``importlib.metadata.entry_points``.
    """
    seen: set[str] = set()
    found: list[EntryPoint] = []
    dists: Iterable[Distribution] = distributions(path=list(path)) if path else distributions()
    for dist in dists:
        key = _normalise(dist.metadata["Name"] or "")
        if key in seen:
            continue
        seen.add(key)
        found.extend(ep for ep in dist.entry_points if ep.group == group)
    return found


def _normalise(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def load_registry(
    group: str = ENTRY_POINT_GROUP, *, path: Sequence[str] | None = None
) -> RuleRegistry:
    """Discover and check every rule kind; raises ``RegistryError`` (e.g. a duplicate name)."""
    return RuleRegistry.from_entry_points(discover(group, path))
