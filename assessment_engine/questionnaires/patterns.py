"""Refuse regular expressions that could backtrack catastrophically on a crafted answer.

A ``pattern`` in a questionnaire is run against whatever a user or partner system submits, so a
pattern such as ``(a+)+$`` would let one request hold a worker for minutes. We parse the pattern
with Python's own regular expression parser (the one jsonschema uses) and refuse the two shapes
that cause exponential backtracking:

* a quantifier inside another quantifier where either is unbounded (``(a+)+``, ``(a*)*``,
  ``(\\w+\\s?)*``), unless the inner part is atomic or possessive;
* an alternation inside an unbounded quantifier whose branches can start with the same character
  (``(a|ab)*``, ``(\\d|\\w)+``), where the engine may try every way to split the input.
"""

from __future__ import annotations

import re
import re._constants as sre_constants
import re._parser as sre_parse
import string
from typing import Any

MAXREPEAT: int = sre_constants.MAXREPEAT
_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}
_SAFE_REPEATS = {getattr(sre_constants, "POSSESSIVE_REPEAT", None)} - {None}
#: Characters used to decide whether two branches can start alike: enough for the classes that
#: occur in questionnaires (letters, digits, spaces, punctuation, a few non-ASCII letters).
_ALPHABET = frozenset(ord(c) for c in string.printable) | {0xE9, 0x131, 0x3B1, 0x4E00}
_LARGE = 16
_MAX_PATTERN_LENGTH = 1000


def backtracking_problem(pattern: str) -> str | None:
    """Why ``pattern`` is refused, or ``None`` when it is safe to run on untrusted input."""
    if len(pattern) > _MAX_PATTERN_LENGTH:
        return f"the pattern is longer than {_MAX_PATTERN_LENGTH} characters"
    try:
        re.compile(pattern)
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError) as error:
        return f"not a valid regular expression: {error}"
    return _scan(list(parsed), enclosing=None)


def _unbounded(maximum: int) -> bool:
    return maximum == MAXREPEAT


def _scan(items: list[tuple[Any, Any]], enclosing: tuple[int, int] | None) -> str | None:
    """Walk parsed items; ``enclosing`` is the (min, max) of the nearest repeating quantifier."""
    for op, av in items:
        if op in _REPEATS:
            low, high, sub = av
            if high > 1 and enclosing is not None:
                outer_high = enclosing[1]
                if _unbounded(high) or _unbounded(outer_high) or min(high, outer_high) > _LARGE:
                    return (
                        "nested quantifiers (a repeated part inside another repeated part, like "
                        "(a+)+) can make matching take exponential time"
                    )
            inner = (low, high) if high > 1 else enclosing
            if _unbounded(high):
                overlap = _overlapping_branches(list(sub))
                if overlap:
                    return overlap
            found = _scan(list(sub), inner)
            if found:
                return found
        elif op in _SAFE_REPEATS or op == sre_constants.ATOMIC_GROUP:
            continue  # possessive and atomic parts never backtrack into themselves
        elif op == sre_constants.SUBPATTERN:
            found = _scan(list(av[3]), enclosing)
            if found:
                return found
        elif op == sre_constants.BRANCH:
            for branch in av[1]:
                found = _scan(list(branch), enclosing)
                if found:
                    return found
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            found = _scan(list(av[1]), None)
            if found:
                return found
        elif op == sre_constants.GROUPREF_EXISTS:
            for branch in av[1:]:
                if branch is not None:
                    found = _scan(list(branch), enclosing)
                    if found:
                        return found
    return None


def _overlapping_branches(
    items: list[tuple[Any, Any]], body: frozenset[int] | None = None
) -> str | None:
    """A problem when an alternation inside a repeat can split the same text in two ways.

    That happens when two branches can start with the same character, or when one branch can
    match nothing while another starts like the repeated part itself (so a character can begin
    either the branch or the next repetition). ``body`` is the first set of the repeated part.
    """
    if body is None:
        body = _first(items)[0]
    for op, av in items:
        if op == sre_constants.SUBPATTERN:
            found = _overlapping_branches(list(av[3]), body)
            if found:
                return found
        elif op == sre_constants.BRANCH:
            firsts = [_first(list(branch)) for branch in av[1]]
            nullable = any(empty for _chars, empty in firsts)
            for i, (chars_i, _empty_i) in enumerate(firsts):
                if nullable and chars_i & body:
                    return _AMBIGUOUS
                for chars_j, _empty_j in firsts[i + 1 :]:
                    if chars_i & chars_j:
                        return _AMBIGUOUS
            for branch in av[1]:
                found = _overlapping_branches(list(branch), body)
                if found:
                    return found
    return None


_AMBIGUOUS = (
    "alternatives inside a repeated part can match the same text in more than one way (like "
    "(a|a?)+), which can make matching take exponential time"
)


def _first(items: list[tuple[Any, Any]]) -> tuple[frozenset[int], bool]:
    """The sample characters that can start ``items``, and whether ``items`` can match nothing."""
    chars: set[int] = set()
    for op, av in items:
        item_chars, can_be_empty = _first_of(op, av)
        chars |= item_chars
        if not can_be_empty:
            return frozenset(chars), False
    return frozenset(chars), True


def _first_of(op: Any, av: Any) -> tuple[frozenset[int], bool]:
    if op == sre_constants.LITERAL:
        return frozenset({av}), False
    if op == sre_constants.NOT_LITERAL:
        return _ALPHABET - {av}, False
    if op == sre_constants.ANY:
        return _ALPHABET, False
    if op == sre_constants.IN:
        return _class_chars(av), False
    if op == sre_constants.SUBPATTERN:
        return _first(list(av[3]))
    if op == sre_constants.ATOMIC_GROUP:
        return _first(list(av))
    if op == sre_constants.BRANCH:
        chars: set[int] = set()
        empty = False
        for branch in av[1]:
            branch_chars, branch_empty = _first(list(branch))
            chars |= branch_chars
            empty = empty or branch_empty
        return frozenset(chars), empty
    if op in _REPEATS or op in _SAFE_REPEATS:
        low, _high, sub = av
        sub_chars, sub_empty = _first(list(sub))
        return sub_chars, low == 0 or sub_empty
    if op in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return frozenset(), True
    # Back references and anything unusual: assume the worst.
    return _ALPHABET, True


def _class_chars(items: list[tuple[Any, Any]]) -> frozenset[int]:
    """The sample characters a character class such as ``[a-z\\d]`` or ``[^,]`` matches."""
    chars: set[int] = set()
    negate = False
    for op, av in items:
        if op == sre_constants.NEGATE:
            negate = True
        elif op == sre_constants.LITERAL:
            chars.add(av)
        elif op == sre_constants.RANGE:
            low, high = av
            chars |= {c for c in _ALPHABET if low <= c <= high}
        elif op == sre_constants.CATEGORY:
            chars |= _category_chars(av)
        else:
            chars |= _ALPHABET
    return frozenset(_ALPHABET - chars if negate else chars & _ALPHABET | (chars - _ALPHABET))


def _category_chars(category: Any) -> set[int]:
    probe = {
        sre_constants.CATEGORY_DIGIT: r"\d",
        sre_constants.CATEGORY_NOT_DIGIT: r"\D",
        sre_constants.CATEGORY_SPACE: r"\s",
        sre_constants.CATEGORY_NOT_SPACE: r"\S",
        sre_constants.CATEGORY_WORD: r"\w",
        sre_constants.CATEGORY_NOT_WORD: r"\W",
    }.get(category)
    if probe is None:
        return set(_ALPHABET)
    compiled = re.compile(probe)
    return {c for c in _ALPHABET if compiled.fullmatch(chr(c))}
