"""Map JSON Pointers to line numbers in a JSON text, so editors can show where a problem is.

The standard library's parser does not keep positions, so this is a small scanner that walks the
text once and records the line on which each member's key (or each array element) starts.
"""

from __future__ import annotations

import bisect
import json.decoder
import re
from collections.abc import Callable

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_MAX_DEPTH = 512
#: The standard library's string scanner: (text, index after the opening quote) -> (value, end).
scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


class _Malformed(Exception):
    """The text is not JSON; there is nothing to map."""


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [match.start() for match in re.finditer("\n", text)]
        self.lines: dict[str, int] = {}

    def line_at(self, offset: int) -> int:
        return bisect.bisect_left(self.newlines, offset) + 1

    def skip(self, offset: int) -> int:
        match = _WHITESPACE.match(self.text, offset)
        return match.end() if match else offset

    def value(self, offset: int, pointer: str, depth: int) -> int:
        """Scan the value at ``offset``; return the offset just after it."""
        if depth > _MAX_DEPTH:
            raise _Malformed
        offset = self.skip(offset)
        self.lines.setdefault(pointer, self.line_at(offset))
        char = self.text[offset : offset + 1]
        if char == "{":
            return self.members(offset + 1, pointer, depth)
        if char == "[":
            return self.elements(offset + 1, pointer, depth)
        if char == '"':
            return scanstring(self.text, offset + 1)[1]
        match = _SCALAR.match(self.text, offset)
        if not match:
            raise _Malformed
        return match.end()

    def members(self, offset: int, pointer: str, depth: int) -> int:
        offset = self.skip(offset)
        if self.text.startswith("}", offset):
            return offset + 1
        while True:
            offset = self.skip(offset)
            if not self.text.startswith('"', offset):
                raise _Malformed
            key_line = self.line_at(offset)
            key, offset = scanstring(self.text, offset + 1)
            child = f"{pointer}/{_escape(key)}"
            self.lines[child] = key_line
            offset = self.skip(offset)
            if not self.text.startswith(":", offset):
                raise _Malformed
            offset = self.skip(self.value(offset + 1, child, depth + 1))
            if self.text.startswith(",", offset):
                offset += 1
            elif self.text.startswith("}", offset):
                return offset + 1
            else:
                raise _Malformed

    def elements(self, offset: int, pointer: str, depth: int) -> int:
        offset = self.skip(offset)
        if self.text.startswith("]", offset):
            return offset + 1
        index = 0
        while True:
            offset = self.skip(self.value(offset, f"{pointer}/{index}", depth + 1))
            index += 1
            if self.text.startswith(",", offset):
                offset += 1
            elif self.text.startswith("]", offset):
                return offset + 1
            else:
                raise _Malformed


def pointer_lines(text: str) -> dict[str, int]:
    """Every JSON Pointer in ``text`` mapped to its 1-based line; empty if ``text`` is not JSON."""
    scanner = _Scanner(text)
    try:
        scanner.value(0, "", 0)
    except (_Malformed, ValueError, IndexError):
        return {}
    return scanner.lines


def line_of_pointer(text: str, pointer: str, lines: dict[str, int] | None = None) -> int | None:
    """The line of ``pointer`` in ``text``, or of its nearest ancestor that exists there.

    A problem about a missing member (``required``) points at a place that is not in the text;
    its parent's line is the useful answer. ``lines`` reuses a map from :func:`pointer_lines`.
    """
    known = pointer_lines(text) if lines is None else lines
    while True:
        if pointer in known:
            return known[pointer]
        if not pointer:
            return None
        pointer = pointer.rsplit("/", 1)[0]
