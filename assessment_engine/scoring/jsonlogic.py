"""JsonLogic (jsonlogic.com), implemented here: pure, no ``eval``, bounded, compiled once.

An expression is compiled into a tree of closures, so a ruleset pays the cost of reading its
expressions once and evaluation is a chain of plain function calls. Semantics follow the reference
implementation, json-logic-js, including JavaScript's truthiness (an empty list is false), loose
equality and number coercion, so that rules behave as an administrator testing them on
jsonlogic.com would expect. The language-independent test suite passes in full
(``tests/scoring/test_jsonlogic_conformance.py``).

Safety and termination:

* no ``method`` operation (it calls arbitrary methods in json-logic-js) and no way to add one
  from data; an unknown operation is refused at compile time, with its pointer;
* expressions are limited in depth (``MAX_DEPTH``) and size (``MAX_NODES``) at compile time, so
  evaluation recursion is bounded;
* the only loops are ``map``, ``filter``, ``reduce``, ``all``, ``some`` and ``none`` over data;
  every element they visit spends one unit of a per-evaluation ``Budget`` and evaluation stops
  with ``BudgetExceeded`` when it runs out, so even nested loops over large answers terminate.

Departures: none from the test suite. Strings compare by Unicode code point where JavaScript
compares UTF-16 code units (only characters outside the Basic Multilingual Plane differ).

``compile_logic`` takes an optional ``resolve_var`` hook: the rule compiler uses it so that a
``var`` outside any loop names an answer by JSON Pointer (``{"var": "/mood/phq9/item9"}``) or a
derived value (``scores.phq9_total``, ``bands.phq9``, ``flags.self_harm_risk``), checked at
compile time; inside ``map``/``filter``/... bodies ``var`` keeps its usual meaning (the element),
except that a JSON Pointer still names an answer there (element fields are dotted names, never
pointers), so a loop can compare each element with another answer.

One operation is ours, not json-logic-js's: ``{"days_between": [from, to]}`` is the number of
whole days from the date ``from`` to the date ``to`` (``YYYY-MM-DD``; negative when ``to`` is
earlier), or ``null`` when either is not a date. It reads no clock: rules compare answer dates
with the assessment's own date (``/about/assessment_date``), so a decision depends only on its
answers. For example, the falls in the six months (183 days) before the assessment::

    {"filter": [{"var": "/falls/falls_events"},
                {"<=": [0, {"days_between": [{"var": "date"},
                                             {"var": "/about/assessment_date"}]}, 183]}]}

``cat`` joins ``null`` as an empty string, as the reference does (``Array.prototype.join``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, Final

from .pointers import escape_token

MAX_DEPTH: Final = 48
MAX_NODES: Final = 2000
DEFAULT_BUDGET: Final = 20_000

#: A compiled node: (data, budget) -> value.
Evaluator = Callable[[Any, "Budget"], Any]
#: Rule-mode hook: (literal var path, compiled default, pointer of the var) -> evaluator;
#: raises LogicError to refuse the name.
VarResolver = Callable[[str, Evaluator, str], Evaluator]


class LogicError(ValueError):
    """An expression cannot be compiled; ``pointer`` locates the offending node in it."""

    def __init__(self, pointer: str, message: str) -> None:
        self.pointer = pointer
        self.message = message
        super().__init__(f"{pointer or '/'}: {message}")


class BudgetExceeded(RuntimeError):
    """Evaluation visited more list elements than its budget allows."""


class Budget:
    """A per-evaluation allowance of loop iterations; not shared between threads.

    It also carries ``root``, the data the whole expression is evaluated on, so that in rule
    mode an answer named by pointer inside a loop body still reads the answers (see
    ``compile_logic``).
    """

    __slots__ = ("remaining", "root")

    def __init__(self, remaining: int = DEFAULT_BUDGET, root: Any = None) -> None:
        self.remaining = remaining
        self.root = root

    def spend(self, units: int) -> None:
        self.remaining -= units
        if self.remaining < 0:
            raise BudgetExceeded("expression evaluation exceeded its iteration budget")


# --- JavaScript value semantics -------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER_PREFIX = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_WHITESPACE = " \t\n\r\v\f\u00a0\ufeff\u2028\u2029"


def truthy(value: Any) -> bool:
    """JsonLogic truthiness: JavaScript's, except that an empty list is false."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, int | float):
        return value != 0 and value == value
    if isinstance(value, str | list):
        return len(value) > 0
    return True


def to_string(value: Any) -> str:
    """JavaScript ``String(value)`` for JSON values."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, list):
        return ",".join("" if item is None else to_string(item) for item in value)
    return "[object Object]"


def _parse_number_string(text: str) -> float:
    text = text.strip(_WHITESPACE)
    if text == "":
        return 0.0
    lowered = text.lower()
    try:
        if lowered.startswith(("0x", "0o", "0b")):
            return float(int(text, 0))
        if "inf" in lowered and text.lstrip("+-") != "Infinity":
            return math.nan
        if "_" in text or lowered in {"nan", "+nan", "-nan"}:
            return math.nan
        return float(text)
    except ValueError:
        return math.nan


def to_number(value: Any) -> float | int:
    """JavaScript ``Number(value)`` for JSON values (ints stay ints)."""
    if value is None or value is False:
        return 0
    if value is True:
        return 1
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        return _parse_number_string(value)
    if isinstance(value, list):
        return _parse_number_string(to_string(value))
    return math.nan


def parse_float(value: Any) -> float | int:
    """JavaScript ``parseFloat(value)``: the longest numeric prefix of ``String(value)``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    match = _NUMBER_PREFIX.match(to_string(value).lstrip(_WHITESPACE))
    if match is None:
        return math.nan
    return float(match.group())


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def strict_equals(a: Any, b: Any) -> bool:
    """JavaScript ``===``: same type and value; lists and objects only equal themselves."""
    if type(a) is str:
        return type(b) is str and a == b
    kind = _kind(a)
    if kind != _kind(b):
        return False
    if kind == "object":
        return a is b
    return bool(a == b)


def loose_equals(a: Any, b: Any) -> bool:
    """JavaScript ``==`` (the abstract equality comparison) for JSON values."""
    ka, kb = _kind(a), _kind(b)
    if ka == kb:
        return strict_equals(a, b)
    if ka == "null" or kb == "null":
        return False
    if ka == "boolean":
        return loose_equals(to_number(a), b)
    if kb == "boolean":
        return loose_equals(a, to_number(b))
    if ka == "object":
        return loose_equals(to_string(a), b)
    if kb == "object":
        return loose_equals(a, to_string(b))
    return bool(to_number(a) == to_number(b))


def _primitive(value: Any) -> Any:
    return to_string(value) if isinstance(value, list | dict) else value


def less_than(a: Any, b: Any, *, or_equal: bool = False) -> bool:
    """JavaScript ``<`` / ``<=``: strings compare as strings, anything else as numbers."""
    pa, pb = _primitive(a), _primitive(b)
    if isinstance(pa, str) and isinstance(pb, str):
        return pa <= pb if or_equal else pa < pb
    na, nb = to_number(pa), to_number(pb)
    if na != na or nb != nb:
        return False
    return na <= nb if or_equal else na < nb


def _normalise(number: float | int) -> float | int:
    """Integral floats become ints so that totals read ``11``, not ``11.0``."""
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def _divide(a: float | int, b: float | int) -> float | int:
    if b == 0:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return _normalise(a / b)


def _remainder(a: float | int, b: float | int) -> float | int:
    if b == 0 or a != a or b != b or math.isinf(a):
        return math.nan
    if math.isinf(b):
        return a
    return _normalise(math.fmod(a, b))


def _substr(source: Any, start: Any = None, length: Any = None) -> str:
    text = to_string(source)
    begin = to_number(start) if start is not None else 0
    begin = 0 if begin != begin else int(begin)
    if begin < 0:
        begin = max(len(text) + begin, 0)
    if length is None:
        return text[begin:]
    count = to_number(length)
    count = 0 if count != count else int(count)
    if count < 0:
        # json-logic-js: a negative length drops that many characters from the end.
        rest = text[begin:]
        return rest[: max(len(rest) + count, 0)]
    return text[begin : begin + count]


def lookup(data: Any, path: Any, default: Any = None) -> Any:
    """JsonLogic ``var``: a dotted path (or index) into ``data``; ``default`` where missing."""
    if path is None or path == "" or (isinstance(path, list) and not path):
        return data
    node = data
    for part in to_string(path).split("."):
        if node is None:
            return default
        if isinstance(node, Mapping):
            if part not in node:
                return default
            node = node[part]
        elif isinstance(node, list | str):
            if not part.isdigit() or int(part) >= len(node):
                return default
            node = node[int(part)]
        else:
            return default
    return node


def _missing(data: Any, keys: Sequence[Any]) -> list[Any]:
    result = []
    for key in keys:
        value = lookup(data, key)
        if value is None or value == "":
            result.append(key)
    return result


# --- compilation ----------------------------------------------------------------------------

_ALIASES: Final = {
    "equal": "==",
    "strictEqual": "===",
    "notEqual": "!=",
    "strictNotEqual": "!==",
    "greater": ">",
    "greaterOrEqual": ">=",
    "less": "<",
    "lessOrEqual": "<=",
    "booleanCasting": "!!",
    "not": "!",
    "modulo": "%",
    "add": "+",
    "multiply": "*",
    "substract": "-",
    "subtract": "-",
    "divide": "/",
}

_LOOPS: Final = frozenset({"map", "filter", "reduce", "all", "some", "none"})


def _binary_compare(op: str) -> Callable[[Any, Any], bool]:
    return {
        "==": loose_equals,
        "===": strict_equals,
        "!=": lambda a, b: not loose_equals(a, b),
        "!==": lambda a, b: not strict_equals(a, b),
        ">": lambda a, b: less_than(b, a),
        ">=": lambda a, b: less_than(b, a, or_equal=True),
        "<": less_than,
        "<=": lambda a, b: less_than(a, b, or_equal=True),
    }[op]


def _op_plus(args: list[Any]) -> Any:
    total: float | int = 0
    for arg in args:
        total = total + parse_float(arg)
    return _normalise(total)


def _op_times(args: list[Any]) -> Any:
    if not args:
        return None  # [].reduce() without an initial value throws in JavaScript
    product: Any = args[0]
    for arg in args[1:]:
        product = parse_float(product) * parse_float(arg)
    return _normalise(product) if isinstance(product, float) else product


def _op_minus(args: list[Any]) -> Any:
    if len(args) == 1:
        return _normalise(-to_number(args[0]))
    a = args[0] if args else None
    b = args[1] if len(args) > 1 else None
    return _normalise(to_number(a) - to_number(b))


def _op_max(args: list[Any]) -> Any:
    numbers = [to_number(a) for a in args]
    if any(n != n for n in numbers):
        return math.nan
    return max(numbers) if numbers else -math.inf


def _op_min(args: list[Any]) -> Any:
    numbers = [to_number(a) for a in args]
    if any(n != n for n in numbers):
        return math.nan
    return min(numbers) if numbers else math.inf


def _op_in(args: list[Any]) -> bool:
    needle = args[0] if args else None
    haystack = args[1] if len(args) > 1 else None
    if isinstance(haystack, str):
        return to_string(needle) in haystack
    if isinstance(haystack, list):
        if type(needle) is str:
            return needle in haystack  # a string only equals strings, so == is ===
        return any(strict_equals(needle, item) for item in haystack)
    return False


def _op_merge(args: list[Any]) -> list[Any]:
    merged: list[Any] = []
    for arg in args:
        if isinstance(arg, list):
            merged.extend(arg)
        else:
            merged.append(arg)
    return merged


def parse_date(value: Any) -> date | None:
    """A calendar date written ``YYYY-MM-DD`` (JSON Schema's ``format: date``), else None."""
    if type(value) is not str or len(value) != 10 or not _ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def days_between(start: Any, end: Any) -> int | None:
    """Whole days from the date ``start`` to the date ``end`` (negative when ``end`` is
    earlier); ``None`` when either is not a ``YYYY-MM-DD`` date. No clock is read: rules
    compare answers with the assessment's own date, never with today."""
    first, second = parse_date(start), parse_date(end)
    if first is None or second is None:
        return None
    return (second - first).days


def _arg(args: list[Any], index: int) -> Any:
    return args[index] if index < len(args) else None


#: Operations whose arguments are all evaluated first: name -> function of the argument values.
_PLAIN_OPS: Final[dict[str, Callable[[list[Any]], Any]]] = {
    "!": lambda args: not truthy(_arg(args, 0)),
    "!!": lambda args: truthy(_arg(args, 0)),
    "%": lambda args: _remainder(to_number(_arg(args, 0)), to_number(_arg(args, 1))),
    "/": lambda args: _divide(to_number(_arg(args, 0)), to_number(_arg(args, 1))),
    "+": _op_plus,
    "*": _op_times,
    "-": _op_minus,
    "max": _op_max,
    "min": _op_min,
    "in": _op_in,
    # Array.prototype.join, as json-logic-js does: null (and undefined) join as ""
    "cat": lambda args: "".join("" if a is None else to_string(a) for a in args),
    "substr": lambda args: _substr(*args[:3]) if args else "",
    "merge": _op_merge,
    "log": lambda args: _arg(args, 0),
    "days_between": lambda args: days_between(_arg(args, 0), _arg(args, 1)),
}

SUPPORTED_OPERATIONS: Final = frozenset(
    {*_PLAIN_OPS, *_LOOPS, "==", "===", "!=", "!==", ">", ">=", "<", "<=", "var", "missing"}
    | {"missing_some", "if", "?:", "and", "or", *_ALIASES}
)


class _Compiler:
    """Turns one expression into closures, counting nodes and recording literal ``var`` paths."""

    def __init__(self, resolve_var: VarResolver | None, max_depth: int, max_nodes: int) -> None:
        self.resolve_var = resolve_var
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.nodes = 0
        self.top_level_vars: list[str] = []

    def compile(self, expr: Any, pointer: str, depth: int, scope: int) -> Evaluator:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise LogicError(pointer, f"expression has more than {self.max_nodes} nodes")
        if depth > self.max_depth:
            raise LogicError(pointer, f"expression is nested more than {self.max_depth} deep")
        if isinstance(expr, list):
            parts = [
                self.compile(item, f"{pointer}/{i}", depth + 1, scope)
                for i, item in enumerate(expr)
            ]
            return lambda data, budget: [part(data, budget) for part in parts]
        if not isinstance(expr, dict) or len(expr) != 1:
            return lambda data, budget: expr  # a literal (dicts with 0 or 2+ keys are data)
        ((op, raw_args),) = expr.items()
        where = f"{pointer}/{escape_token(op)}"
        op = _ALIASES.get(op, op)
        if op not in SUPPORTED_OPERATIONS:
            raise LogicError(where, f"unknown operation {op!r}")
        raw = raw_args if isinstance(raw_args, list) else [raw_args]
        arg_pointer = where if not isinstance(raw_args, list) else None

        def at(i: int) -> str:
            return arg_pointer if arg_pointer is not None else f"{where}/{i}"

        if op in _LOOPS:
            return self._loop(op, raw, at, depth, scope)
        if op == "var" and self.resolve_var is not None and scope == 0:
            return self._resolved_var(raw, at, depth)
        if op == "var" and self.resolve_var is not None and _names_answer(raw):
            # inside a loop body an answer pointer still names the answer, read from the root
            outer = self._resolved_var(raw, at, depth)
            return lambda data, budget: outer(budget.root, budget)
        if op in {"missing", "missing_some"} and self.resolve_var is not None and scope == 0:
            return self._resolved_missing(op, raw, at, depth, where)
        args = [self.compile(arg, at(i), depth + 1, scope) for i, arg in enumerate(raw)]
        if op in {"if", "?:"}:
            return _compile_if(args)
        if op == "and":
            return _compile_and(args)
        if op == "or":
            return _compile_or(args)
        if op in {"==", "===", "!=", "!==", ">", ">=", "<", "<="}:
            return _compile_comparison(op, args)
        if op == "var":
            return _compile_var(args)
        if op == "missing":
            return _compile_missing(args)
        if op == "missing_some":
            return _compile_missing_some(args)
        if op in {"!", "!!"} and len(args) == 1:
            (only,) = args
            if op == "!":
                return lambda data, budget: not truthy(only(data, budget))
            return lambda data, budget: truthy(only(data, budget))
        if op == "in" and len(args) == 2:
            needle, haystack = args
            return lambda data, budget: _op_in([needle(data, budget), haystack(data, budget)])
        function = _PLAIN_OPS[op]
        if len(args) == 1:
            (only,) = args
            return lambda data, budget: function([only(data, budget)])
        return lambda data, budget: function([arg(data, budget) for arg in args])

    def _resolved_var(self, raw: list[Any], at: Callable[[int], str], depth: int) -> Evaluator:
        assert self.resolve_var is not None
        path = raw[0] if raw else None
        if not isinstance(path, str) or path == "":
            raise LogicError(at(0), "in rules, 'var' must name an answer or value literally")
        default = self.compile(raw[1], at(1), depth + 1, 0) if len(raw) > 1 else _none
        try:
            evaluator = self.resolve_var(path, default, at(0))
        except LogicError as error:
            raise LogicError(at(0), error.message) from None
        self.top_level_vars.append(path)
        return evaluator

    def _resolved_missing(
        self, op: str, raw: list[Any], at: Callable[[int], str], depth: int, where: str
    ) -> Evaluator:
        keys = raw[1] if op == "missing_some" and len(raw) > 1 else raw
        if op == "missing" and len(raw) == 1 and isinstance(raw[0], list):
            keys = raw[0]
        if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
            raise LogicError(where, f"in rules, '{op}' must list the names it checks literally")
        getters = [(key, self._resolved_var([key], lambda i: where, depth)) for key in keys]

        def missing(data: Any, budget: Budget) -> list[Any]:
            found = []
            for key, getter in getters:
                value = getter(data, budget)
                if value is None or value == "" or (value is False and key.startswith("flags.")):
                    found.append(key)
            return found

        if op == "missing":
            return missing
        need = raw[0] if raw else 0

        def missing_some(data: Any, budget: Budget) -> list[Any]:
            absent = missing(data, budget)
            return [] if len(keys) - len(absent) >= to_number(need) else absent

        return missing_some

    def _loop(
        self, op: str, raw: list[Any], at: Callable[[int], str], depth: int, scope: int
    ) -> Evaluator:
        source = self.compile(raw[0] if raw else None, at(0), depth + 1, scope)
        body = self.compile(raw[1] if len(raw) > 1 else None, at(1), depth + 1, scope + 1)
        if op == "reduce":
            initial = self.compile(raw[2], at(2), depth + 1, scope) if len(raw) > 2 else _none
            return _compile_reduce(source, body, initial)
        return _compile_loop(op, source, body)


def _names_answer(raw: list[Any]) -> bool:
    """Whether a ``var``'s literal path is a JSON Pointer (``/about/assessment_date``): element
    fields are dotted names, so a pointer is never one of them."""
    return bool(raw) and isinstance(raw[0], str) and raw[0].startswith("/")


def no_value(data: Any, budget: Budget) -> None:
    """The evaluator of an absent argument (also the "no default" of a ``var``)."""
    return None


_none = no_value


def _compile_if(args: list[Evaluator]) -> Evaluator:
    if not args:
        return _none
    if len(args) == 1:
        (only,) = args
        return only
    pairs = [(args[i], args[i + 1]) for i in range(0, len(args) - 1, 2)]
    otherwise = args[-1] if len(args) % 2 else _none

    def evaluate_if(data: Any, budget: Budget) -> Any:
        for condition, then in pairs:
            if truthy(condition(data, budget)):
                return then(data, budget)
        return otherwise(data, budget)

    return evaluate_if


def _compile_and(args: list[Evaluator]) -> Evaluator:
    def evaluate_and(data: Any, budget: Budget) -> Any:
        value: Any = None
        for arg in args:
            value = arg(data, budget)
            if not truthy(value):
                return value
        return value

    return evaluate_and


def _compile_or(args: list[Evaluator]) -> Evaluator:
    def evaluate_or(data: Any, budget: Budget) -> Any:
        value: Any = None
        for arg in args:
            value = arg(data, budget)
            if truthy(value):
                return value
        return value

    return evaluate_or


def _fast_number(value: Any) -> bool:
    return type(value) is int or type(value) is float


def _compile_comparison(op: str, args: list[Evaluator]) -> Evaluator:
    compare = _binary_compare(op)
    left = args[0] if args else _none
    right = args[1] if len(args) > 1 else _none
    if op in {"<", "<="} and len(args) >= 3:
        third = args[2]

        def between(data: Any, budget: Budget) -> bool:
            a, b, c = left(data, budget), right(data, budget), third(data, budget)
            return compare(a, b) and compare(b, c)

        return between
    if op in {">", ">=", "<", "<="}:
        native: Callable[[Any, Any], bool] = {
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
        }[op]

        def ordered(data: Any, budget: Budget) -> bool:
            a, b = left(data, budget), right(data, budget)
            if _fast_number(a) and _fast_number(b):
                return native(a, b)  # same result as JavaScript for two plain numbers
            return compare(a, b)

        return ordered
    if op in {"==", "==="}:

        def equals(data: Any, budget: Budget) -> bool:
            a, b = left(data, budget), right(data, budget)
            if type(a) is type(b) and type(a) in _PLAIN_TYPES:
                return bool(a == b)  # same JSON type: == and === agree with Python's ==
            return compare(a, b)

        return equals
    return lambda data, budget: compare(left(data, budget), right(data, budget))


_PLAIN_TYPES: Final = frozenset({str, int, float, bool})


def _compile_var(args: list[Evaluator]) -> Evaluator:
    path = args[0] if args else _none
    default = args[1] if len(args) > 1 else _none
    return lambda data, budget: lookup(data, path(data, budget), default(data, budget))


def _compile_missing(args: list[Evaluator]) -> Evaluator:
    def evaluate_missing(data: Any, budget: Budget) -> list[Any]:
        values = [arg(data, budget) for arg in args]
        keys = values[0] if values and isinstance(values[0], list) else values
        return _missing(data, keys)

    return evaluate_missing


def _compile_missing_some(args: list[Evaluator]) -> Evaluator:
    def evaluate_missing_some(data: Any, budget: Budget) -> list[Any]:
        need = args[0](data, budget) if args else 0
        options = args[1](data, budget) if len(args) > 1 else []
        options = options if isinstance(options, list) else [options]
        absent = _missing(data, options)
        return [] if len(options) - len(absent) >= to_number(need) else absent

    return evaluate_missing_some


def _compile_loop(op: str, source: Evaluator, body: Evaluator) -> Evaluator:
    def evaluate_loop(data: Any, budget: Budget) -> Any:
        items = source(data, budget)
        if not isinstance(items, list):
            items = []
        budget.spend(len(items) + 1)
        if op == "map":
            return [body(item, budget) for item in items]
        if op == "filter":
            return [item for item in items if truthy(body(item, budget))]
        if op == "all":
            return bool(items) and all(truthy(body(item, budget)) for item in items)
        if op == "some":
            return any(truthy(body(item, budget)) for item in items)
        return not any(truthy(body(item, budget)) for item in items)  # none

    return evaluate_loop


def _compile_reduce(source: Evaluator, body: Evaluator, initial: Evaluator) -> Evaluator:
    def evaluate_reduce(data: Any, budget: Budget) -> Any:
        items = source(data, budget)
        accumulator = initial(data, budget)
        if not isinstance(items, list):
            return accumulator
        budget.spend(len(items) + 1)
        for item in items:
            accumulator = body({"current": item, "accumulator": accumulator}, budget)
        return accumulator

    return evaluate_reduce


class CompiledLogic:
    """A compiled JsonLogic expression; immutable, safe to share between threads."""

    __slots__ = ("_evaluate", "evaluator", "expression", "variables")

    def __init__(self, expression: Any, evaluate: Evaluator, variables: tuple[str, ...]) -> None:
        self.expression = expression
        self._evaluate = evaluate
        #: The compiled function itself, ``(data, budget) -> value``, for hot loops.
        self.evaluator = evaluate
        #: The literal paths named by ``var`` outside loops (rule mode only), in order of use.
        self.variables = variables

    def __call__(self, data: Any = None, budget: Budget | None = None) -> Any:
        if budget is None:
            budget = Budget(root=data)
        elif budget.root is None:
            budget.root = data
        return self._evaluate(data, budget)

    def evaluate(self, data: Any, budget: Budget) -> Any:
        """Evaluate with the caller's budget (shared across one decision, whose ``root`` is
        the decision's state)."""
        if budget.root is None:
            budget.root = data
        return self._evaluate(data, budget)


def compile_logic(
    expression: Any,
    *,
    resolve_var: VarResolver | None = None,
    pointer: str = "",
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
) -> CompiledLogic:
    """Compile ``expression``; raises ``LogicError`` (with a pointer below ``pointer``)."""
    compiler = _Compiler(resolve_var, max_depth, max_nodes)
    evaluate = compiler.compile(expression, pointer, 0, 0)
    return CompiledLogic(expression, evaluate, tuple(dict.fromkeys(compiler.top_level_vars)))


def apply(expression: Any, data: Any = None) -> Any:
    """Evaluate a JsonLogic expression once against ``data`` (compiles it each time)."""
    return compile_logic(expression)(data)
