"""RFC 6901 JSON Pointers: parsing once, resolving fast, and never raising on missing data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_MISSING: Any = object()


def parse_pointer(pointer: str) -> tuple[str, ...]:
    """Split a JSON Pointer into unescaped reference tokens; ``""`` is the whole document."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise ValueError(f"a JSON Pointer starts with '/': {pointer!r}")
    return tuple(token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/"))


def escape_token(token: str | int) -> str:
    """Escape one reference token for use in a JSON Pointer."""
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(base: str, *tokens: str | int) -> str:
    """Append tokens to a pointer: ``join_pointer("/rules", 3, "when")`` is ``/rules/3/when``."""
    return base + "".join("/" + escape_token(token) for token in tokens)


def resolve(document: Any, tokens: tuple[str, ...], default: Any = None) -> Any:
    """The value at ``tokens`` in ``document``, or ``default`` when any step is missing."""
    node = document
    for token in tokens:
        if isinstance(node, Mapping):
            node = node.get(token, _MISSING)
            if node is _MISSING:
                return default
        elif isinstance(node, list):
            if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
                return default
            index = int(token)
            if index >= len(node):
                return default
            node = node[index]
        else:
            return default
    return node
