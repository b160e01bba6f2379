"""``ItemSpec``s from a questionnaire document (JSON Schema 2020-12 with our ``x-`` keywords).

The questionnaire loader may use this or build ``ItemSpec``s its own way; the engine only needs
the mapping. Rules: an object with ``properties`` is a ``group`` (its properties are items
below it); an array of objects is a ``repeat`` (not descended: its answers are indexed); an
array of options is a ``multichoice``; a value with ``oneOf``/``enum`` options is a ``choice``
(``x-score`` on the options gives scores, ``title`` gives labels); ``x-calculated`` is
``calculated``; ``{"not": {}}`` (guidance) is not an item. ``$ref`` is followed through
``load``, which returns the document for an absolute URI (resolved against ``$id``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

from .items import ItemSpec
from .pointers import escape_token, parse_pointer, resolve

DocumentLoader = Callable[[str], Mapping[str, Any]]


def directory_loader(root: Path) -> DocumentLoader:
    """Loads ``.../<key>/<file>.json`` URIs from ``root/<key>/<file>.json`` (``form_schemas``)."""

    def load(uri: str) -> Mapping[str, Any]:
        parts = uri.rstrip("/").split("/")
        path = root.joinpath(*parts[-2:])
        with path.open(encoding="utf-8") as handle:
            document: Mapping[str, Any] = json.load(handle)
        return document

    return load


def items_from_schema(
    document: Mapping[str, Any], load: DocumentLoader | None = None
) -> dict[str, ItemSpec]:
    """Every answerable item (and group) of ``document``, keyed by JSON Pointer."""
    items: dict[str, ItemSpec] = {}
    base = str(document.get("$id", ""))
    _walk(document, document, base, "", True, items, load, depth=0)
    return items


def _follow(
    schema: Mapping[str, Any],
    root: Mapping[str, Any],
    base: str,
    load: DocumentLoader | None,
) -> tuple[Mapping[str, Any], Mapping[str, Any], str]:
    for _ in range(16):  # a chain of $refs longer than this is a broken document
        ref = schema.get("$ref")
        if not isinstance(ref, str):
            return schema, root, base
        uri, fragment = urldefrag(urljoin(base, ref))
        if uri and uri != urldefrag(base)[0]:
            if load is None:
                raise ValueError(f"cannot follow $ref {ref!r} without a document loader")
            root, base = load(uri), uri
        target = resolve(root, parse_pointer(fragment)) if fragment else root
        if not isinstance(target, Mapping):
            raise ValueError(f"$ref {ref!r} does not lead to a schema")
        merged = {key: value for key, value in schema.items() if key != "$ref"}
        schema = {**target, **merged}
    raise ValueError("$ref chain too long")


def _options(schema: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    if "oneOf" in schema and all(isinstance(o, Mapping) and "const" in o for o in schema["oneOf"]):
        return list(schema["oneOf"])
    if "anyOf" in schema and all(isinstance(o, Mapping) and "const" in o for o in schema["anyOf"]):
        return list(schema["anyOf"])
    if isinstance(schema.get("enum"), list):
        return [{"const": value} for value in schema["enum"]]
    return None


def _scores_and_labels(
    options: list[Mapping[str, Any]],
) -> tuple[dict[Any, float] | None, dict[Any, str] | None]:
    scores = {o["const"]: o["x-score"] for o in options if "x-score" in o}
    labels = {o["const"]: o["title"] for o in options if "title" in o}
    return (scores or None), (labels or None)


def _walk(
    schema: Mapping[str, Any],
    root: Mapping[str, Any],
    base: str,
    pointer: str,
    required: bool,
    items: dict[str, ItemSpec],
    load: DocumentLoader | None,
    depth: int,
) -> None:
    if depth > 32:
        raise ValueError(f"questionnaire nested too deeply at {pointer}")
    schema, root, base = _follow(schema, root, base, load)
    if schema.get("not") == {}:
        return  # guidance: nothing can be answered
    title = str(schema.get("title", ""))
    kind = schema.get("type")
    if "properties" in schema:
        if pointer:
            items[pointer] = ItemSpec(pointer, "group", required=required, title=title)
        needed = set(schema.get("required", []))
        for name, child in schema["properties"].items():
            child_pointer = f"{pointer}/{escape_token(name)}"
            _walk(child, root, base, child_pointer, name in needed, items, load, depth + 1)
        return
    if not pointer:
        return
    if "x-calculated" in schema:
        items[pointer] = ItemSpec(pointer, "calculated", required=False, title=title)
        return
    if kind == "array":
        element, _, _ = _follow(schema.get("items", {}), root, base, load)
        options = _options(element)
        if options is None:
            items[pointer] = ItemSpec(pointer, "repeat", required=required, title=title)
            return
        scores, labels = _scores_and_labels(options)
        items[pointer] = ItemSpec(pointer, "multichoice", scores, required, title, labels)
        return
    options = _options(schema)
    if options is not None:
        scores, labels = _scores_and_labels(options)
        items[pointer] = ItemSpec(pointer, "choice", scores, required, title, labels)
        return
    simple = {"integer": "integer", "number": "number", "boolean": "boolean"}
    if kind in simple:
        items[pointer] = ItemSpec(pointer, simple[kind], required=required, title=title)
    elif schema.get("format") == "date":
        items[pointer] = ItemSpec(pointer, "date", required=required, title=title)
    else:
        text = "text" if schema.get("x-widget") == "textarea" else "string"
        items[pointer] = ItemSpec(pointer, text, required=required, title=title)
