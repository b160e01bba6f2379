"""Stable HTML names and ids derived from a question's JSON Pointer.

``/health/medicines/0/name`` becomes ``health-medicines-0-name``: the pointer's tokens joined
with ``-``. Characters other than ASCII letters, digits and ``_`` are written ``.<hex>.`` so
that a ``-`` inside a question's name can never make two pointers share a name, and an empty
name is written ``._.``. The same string is the field's ``name`` and its ``id``, so an error
keyed by pointer always finds its field and the error summary can link to it.
"""

from __future__ import annotations

import re

_PLAIN = re.compile(r"[A-Za-z0-9_]")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]+")
_ESCAPED = re.compile(r"\.([0-9a-f]+)\.")
#: The name of the hidden input each repeat item posts, so an item survives with nothing typed.
ITEM_MARKER = ".item"
#: The name of the hidden input a repeating group posts once its list has been answered.
LIST_MARKER = ".list"


def unescape_token(token: str) -> str:
    """One JSON Pointer reference token as the property name it stands for."""
    return token.replace("~1", "/").replace("~0", "~")


def pointer_tokens(pointer: str) -> list[str]:
    """``/a/b~1c`` -> ``["a", "b/c"]``."""
    return [unescape_token(token) for token in pointer[1:].split("/")] if pointer else []


def encode_name(name: str) -> str:
    """One property name as the part of an HTML name/id that stands for it."""
    if not name:
        return "._."
    if _PLAIN_NAME.fullmatch(name):  # nearly every name: nothing to escape, one match
        return name
    return "".join(ch if _PLAIN.fullmatch(ch) else f".{ord(ch):x}." for ch in name)


def field_id(pointer: str) -> str:
    """The HTML id and name of the field answering ``pointer``: ``health-medicines-0-name``."""
    return "-".join(encode_name(token) for token in pointer_tokens(pointer))


def decode_id(identifier: str) -> str:
    """The JSON Pointer a field id stands for (the inverse of :func:`field_id`)."""
    parts = []
    for part in identifier.split("-"):
        name = "" if part == "._." else _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), part)
        parts.append("/" + name.replace("~", "~0").replace("/", "~1"))
    return "".join(parts)
