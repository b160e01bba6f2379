"""The contract between the engine and a rule kind, built-in or third-party.

A rule kind is a subclass of ``RuleKind`` registered under the entry-point group
``assessment_engine.rules``; the entry point's name is the kind's ``name``. The class declares a
JSON Schema for a rule's configuration (the rule object without its envelope keys ``id``,
``kind``, ``title`` and ``description``). The compiler validates each rule against that schema
and then constructs the kind with a ``RuleContext``, through which the kind

* reports problems (``context.problem``) with pointers relative to the rule,
* looks up questions (``context.item``) and compiles conditions and explanations, and
* declares what it reads and writes (``context.read`` / ``context.write``), which the compiler
  uses to refuse unknown scores and flags and cycles, and to order evaluation.

After compilation the instance must be immutable: one instance serves every request in every
thread. ``evaluate(state)`` reads answers and earlier results from the ``EvalState``, writes its
results back, and appends one or more ``TraceEntry`` objects explaining what it did. It must not
raise on missing or unexpected answers.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Final, Literal, Protocol

from .errors import Problem
from .items import ItemSpec
from .jsonlogic import Budget, CompiledLogic, Evaluator, LogicError, compile_logic, no_value
from .outcomes import Priority, Route
from .pointers import join_pointer, parse_pointer
from .services import ServiceSpec

Namespace = Literal["answer", "score", "band", "flag", "decision"]
DERIVED_PREFIXES: Final[dict[str, Namespace]] = {
    "scores.": "score",
    "bands.": "band",
    "flags.": "flag",
}
_PREFIX_OF: Final[dict[Namespace, str]] = {"score": "scores.", "band": "bands.", "flag": "flags."}
NAME_PATTERN: Final = r"^[a-z][a-z0-9_]*$"
_NAME = re.compile(NAME_PATTERN)
_MISSING: Any = object()


def ref_key(namespace: Namespace, name: str) -> str:
    """How a value is named in conditions and traces: ``/a/b`` for answers, ``scores.x`` etc."""
    return name if namespace == "answer" else _PREFIX_OF.get(namespace, "decision.") + name


def format_value(value: Any) -> str:
    """A value as an assessor reads it: ``11``, ``2.5``, ``yes``, ``not answered``."""
    if value is None:
        return "not answered"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, list):
        return ", ".join(format_value(v) for v in value) if value else "none"
    return str(value)


class Explainer(Protocol):
    """What a rule gives a lazy ``TraceEntry``: its inputs and its sentence, on demand."""

    def trace_inputs(self, state: EvalState, detail: Any) -> dict[str, Any]: ...

    def explain(self, state: EvalState, detail: Any) -> str: ...


class TraceEntry:
    """One step of a decision's explanation.

    ``inputs`` and ``because`` may be given directly, as callables, or left to an ``Explainer``
    (``source``) that computes them from the finished evaluation ``state`` only when someone
    reads them: most decisions are counted or routed far more often than they are shown, and
    every value a rule reads is final before the rule runs, so the late reading is the same.
    """

    __slots__ = ("_because", "_detail", "_inputs", "_source", "_state", "fired", "rule")

    def __init__(
        self,
        rule: str,
        fired: bool,
        inputs: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
        because: str | Callable[[], str] | None = None,
        *,
        source: Explainer | None = None,
        state: EvalState | None = None,
        detail: Any = None,
    ) -> None:
        self.rule = rule
        self.fired = fired
        self._inputs = inputs
        self._because = because
        self._source = source
        self._state = state
        self._detail = detail

    @property
    def inputs(self) -> dict[str, Any]:
        if self._inputs is None:
            if self._source is not None and self._state is not None:
                self._inputs = self._source.trace_inputs(self._state, self._detail)
            else:
                self._inputs = {}
        elif callable(self._inputs):
            self._inputs = self._inputs()
        return self._inputs

    @property
    def because(self) -> str:
        if self._because is None:
            if self._source is not None and self._state is not None:
                self._because = self._source.explain(self._state, self._detail)
            else:
                self._because = "fired" if self.fired else "did not fire"
        elif not isinstance(self._because, str):
            self._because = self._because()
        return self._because

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "fired": self.fired,
            "inputs": dict(self.inputs),
            "because": self.because,
        }

    def __repr__(self) -> str:
        return f"TraceEntry({self.rule!r}, fired={self.fired}, because={self.because!r})"


class Referral:
    """A service the decision refers the person to; the route step creates these."""

    __slots__ = ("kind", "organisation", "priority", "service", "urgency")

    def __init__(
        self,
        service: str,
        organisation: str | None,
        kind: str,
        urgency: str,
        priority: Priority,
    ) -> None:
        self.service = service
        self.organisation = organisation
        self.kind = kind
        self.urgency = urgency
        self.priority = priority

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "organisation": self.organisation,
            "urgency": self.urgency,
            # The referral's own priority: what its lines gave this service, not the overall one.
            "priority": self.priority.value,
        }


class EvalState:
    """Everything one evaluation has computed so far; created per decision, never shared."""

    __slots__ = (
        "answers",
        "bands",
        "budget",
        "flags",
        "priority",
        "route",
        "scores",
        "services",
        "trace",
        "values",
    )

    def __init__(
        self, answers: Mapping[str, Any], budget: Budget, values: dict[str, Any] | None = None
    ) -> None:
        self.answers = answers
        #: Answers by pointer, projected once per evaluation (see ``AnswerPlan``).
        self.values: dict[str, Any] = {} if values is None else values
        self.scores: dict[str, float | int] = {}
        self.bands: dict[str, str] = {}
        self.flags: dict[str, bool] = {}
        #: ``TraceEntry`` objects, or for speed ``(rule, fired, explainer, detail)`` tuples that
        #: the decision turns into lazy entries when its trace is read.
        self.trace: list[TraceEntry | tuple[str, bool, Explainer, Any]] = []
        self.budget = budget
        self.route: Route | None = None
        self.priority: Priority | None = None
        self.services: list[Referral] = []


def answer_getter(pointer: str) -> Callable[[EvalState], Any]:
    """A fast accessor for one answer; missing steps give ``None``.

    Answers the compiler knows a rule reads are projected into ``state.values`` once per
    evaluation; anything else (a plugin reading an undeclared answer) is resolved on demand.
    """
    tokens = parse_pointer(pointer)

    def get(state: EvalState) -> Any:
        value = state.values.get(pointer, _MISSING)
        if value is _MISSING:
            node: Any = state.answers
            for token in tokens:
                node = _step(node, token)
            return node
        return value

    return get


def _step(node: Any, token: str) -> Any:
    if type(node) is dict or isinstance(node, Mapping):
        return node.get(token)
    if isinstance(node, list) and token.isdigit():
        index = int(token)
        return node[index] if index < len(node) else None
    return None


class AnswerPlan:
    """The answers a ruleset reads, as a tree of pointer tokens walked once per evaluation."""

    __slots__ = ("_blank", "_tree")

    def __init__(self, pointers: Iterable[str]) -> None:
        self._blank: dict[str, Any] = {}
        tree: dict[str, Any] = {}
        for pointer in sorted(set(pointers)):
            self._blank[pointer] = None
            node = tree
            tokens = parse_pointer(pointer)
            for depth, token in enumerate(tokens):
                entry = node.setdefault(token, [None, {}])
                if depth == len(tokens) - 1:
                    entry[0] = pointer
                node = entry[1]
        self._tree = self._freeze(tree)

    @classmethod
    def _freeze(cls, tree: dict[str, Any]) -> tuple[tuple[str, str | None, Any], ...]:
        return tuple((token, pointer, cls._freeze(kids)) for token, (pointer, kids) in tree.items())

    def project(self, answers: Any) -> dict[str, Any]:
        """Every planned answer by pointer (``None`` where unanswered)."""
        values = self._blank.copy()
        _project(answers, self._tree, values)
        return values


def _project(
    node: Any, entries: tuple[tuple[str, str | None, Any], ...], values: dict[str, Any]
) -> None:
    if type(node) is dict:
        get = node.get
        for token, pointer, children in entries:
            child = get(token)
            if child is None:
                continue
            if pointer is not None:
                values[pointer] = child
            if children:
                _project(child, children, values)
        return
    for token, pointer, children in entries:  # lists and other mappings: the general step
        child = _step(node, token)
        if child is None:
            continue
        if pointer is not None:
            values[pointer] = child
        if children:
            _project(child, children, values)


def value_getter(namespace: Namespace, name: str) -> Callable[[EvalState], Any]:
    """An accessor for an answer or a derived value; unset flags read as ``False``."""
    if namespace == "answer":
        return answer_getter(name)
    if namespace == "score":
        return lambda state: state.scores.get(name)
    if namespace == "band":
        return lambda state: state.bands.get(name)
    if namespace == "flag":
        return lambda state: name in state.flags
    raise ValueError(f"cannot read {namespace} values")


class Template:
    """An explanation with placeholders: ``"PHQ-9 item 9 is {/mood/phq9/item9}"``.

    A placeholder names an answer by pointer, a derived value (``{scores.phq9_total}``), or one of
    the names the rule kind offers (``{score}``, ``{band}`` ...). Answers print as the words of
    the chosen option where the questionnaire gives labels.
    """

    __slots__ = ("_parts",)

    _PLACEHOLDER = re.compile(r"\{([^{}\s]+)\}")

    def __init__(self, parts: tuple[str | Callable[[EvalState, Mapping[str, Any]], str], ...]):
        self._parts = parts

    def render(self, state: EvalState, local: Mapping[str, Any] | None = None) -> str:
        values = local or {}
        return "".join(
            part if isinstance(part, str) else part(state, values) for part in self._parts
        )


class RuleContext:
    """What a rule kind sees while compiling one rule: lookups, problem reporting, dependencies."""

    def __init__(
        self,
        rule_id: str,
        pointer: str,
        items: Mapping[str, ItemSpec],
        services: Mapping[str, ServiceSpec] | None,
    ) -> None:
        self.rule_id = rule_id
        self.pointer = pointer
        self.items = items
        self.services = services
        self.problems: list[Problem] = []
        #: (namespace, name, pointer of the reference in the rules document)
        self.reads: list[tuple[Namespace, str, str]] = []
        self.writes: list[tuple[Namespace, str, str]] = []
        self._group_prefixes: frozenset[str] | None = None

    def at(self, *tokens: str | int) -> str:
        """The absolute pointer of a place inside this rule."""
        return join_pointer(self.pointer, *tokens)

    def problem(self, where: str | tuple[str | int, ...], message: str) -> None:
        """Report a problem; ``where`` is an absolute pointer or tokens relative to the rule."""
        pointer = where if isinstance(where, str) else self.at(*where)
        self.problems.append(Problem(pointer, message))

    def read(self, namespace: Namespace, name: str, where: str) -> None:
        """Declare that this rule reads a value (checked and ordered by the compiler)."""
        self.reads.append((namespace, name, where))

    def write(self, namespace: Namespace, name: str, where: str) -> None:
        """Declare that this rule produces a value."""
        if namespace != "decision" and not _NAME.match(name):
            self.problem(where, f"{name!r} is not a valid name (lower case, digits and _)")
        self.writes.append((namespace, name, where))

    def item(self, pointer: str, where: str) -> ItemSpec | None:
        """The question at ``pointer``, recorded as read; reports an unknown question."""
        spec = self.items.get(pointer)
        if spec is None:
            self.problem(where, f"unknown question {pointer!r}")
            return None
        self.read("answer", pointer, where)
        return spec

    def _is_group(self, pointer: str) -> bool:
        if self._group_prefixes is None:
            prefixes: set[str] = set()
            for key in self.items:
                parts = key.split("/")
                prefixes.update("/".join(parts[:i]) for i in range(2, len(parts)))
            self._group_prefixes = frozenset(prefixes)
        return pointer in self._group_prefixes

    def reference(self, path: str, where: str) -> tuple[Namespace, str]:
        """Check and record a reference written as in conditions: ``/pointer`` or ``scores.x``.

        Raises ``LogicError`` for something that is neither; unknown derived names are reported
        later by the compiler, once every rule's outputs are known.
        """
        if path.startswith("/"):
            if path not in self.items and not self._is_group(path):
                raise LogicError(where, f"unknown question {path!r}")
            self.read("answer", path, where)
            return "answer", path
        for prefix, namespace in DERIVED_PREFIXES.items():
            if path.startswith(prefix) and _NAME.match(path[len(prefix) :]):
                name = path[len(prefix) :]
                self.read(namespace, name, where)
                return namespace, name
        raise LogicError(
            where,
            f"unknown name {path!r}: use a JSON Pointer for an answer (/mood/phq9/item9) "
            "or scores.NAME, bands.NAME, flags.NAME",
        )

    def condition(self, expression: Any, where: str) -> CompiledLogic | None:
        """Compile a JsonLogic condition over answers, scores, bands and flags."""

        def resolve(path: str, default: Evaluator, pointer: str) -> Evaluator:
            namespace, name = self.reference(path, pointer)
            if default is no_value:
                return _direct_evaluator(namespace, name)
            get = value_getter(namespace, name)

            def with_default(data: Any, budget: Budget) -> Any:
                value = get(data)
                return default(data, budget) if value is None else value

            return with_default

        try:
            return compile_logic(expression, resolve_var=resolve, pointer=where)
        except LogicError as error:
            self.problem(error.pointer, error.message)
            return None

    def template(
        self, text: str, where: str, local_names: frozenset[str] = frozenset()
    ) -> Template:
        """Compile an explanation; placeholders are checked now, rendered on demand."""
        parts: list[str | Callable[[EvalState, Mapping[str, Any]], str]] = []
        position = 0
        for match in Template._PLACEHOLDER.finditer(text):
            parts.append(text[position : match.start()])
            position = match.end()
            name = match.group(1)
            if name in local_names:
                parts.append(_render_local(name))
                continue
            try:
                namespace, ref = self.reference(name, where)
            except LogicError:
                offered = ", ".join(sorted(local_names)) or "none"
                self.problem(
                    where,
                    f"unknown placeholder {{{name}}} (answers by pointer, scores.NAME, "
                    f"bands.NAME, flags.NAME, or this rule's own: {offered})",
                )
                continue
            parts.append(_render_reference(namespace, ref, self.items.get(ref)))
        parts.append(text[position:])
        return Template(tuple(part for part in parts if part != ""))

    def priority(self, value: str, where: str) -> Priority | None:
        try:
            return Priority(value)
        except ValueError:
            self.problem(where, f"unknown priority {value!r}")
            return None


def _direct_evaluator(namespace: Namespace, name: str) -> Evaluator:
    """The cheapest evaluator of a ``var`` in a condition (every read is in the answer plan)."""
    if namespace == "answer":
        return lambda state, budget: state.values.get(name)
    if namespace == "score":
        return lambda state, budget: state.scores.get(name)
    if namespace == "band":
        return lambda state, budget: state.bands.get(name)
    return lambda state, budget: name in state.flags


def describe_answer(value: Any, spec: ItemSpec | None) -> str:
    """An answer in the person's words where the questionnaire has them."""
    if spec is not None and spec.labels and not isinstance(value, list | dict):
        label = spec.labels.get(value, _MISSING)
        if label is not _MISSING:
            return f"{label!s} ({format_value(value)})"
    if isinstance(value, list) and spec is not None and spec.labels:
        return ", ".join(describe_answer(v, spec) for v in value) if value else "none"
    return format_value(value)


def _render_local(name: str) -> Callable[[EvalState, Mapping[str, Any]], str]:
    return lambda state, local: format_value(local.get(name))


def _render_reference(
    namespace: Namespace, name: str, spec: ItemSpec | None
) -> Callable[[EvalState, Mapping[str, Any]], str]:
    get = value_getter(namespace, name)
    if namespace == "answer":
        return lambda state, local: describe_answer(get(state), spec)
    if namespace == "flag":
        return lambda state, local: "set" if get(state) else "not set"
    return lambda state, local: format_value(get(state)) if get(state) is not None else "absent"


class RuleKind(abc.ABC):
    """Base class of rule kinds. Subclasses set ``name`` and ``schema`` and implement both methods.

    ``__init__`` compiles one rule (report problems through ``context``; never raise for bad
    data); ``evaluate`` applies it to one evaluation's state.
    """

    name: ClassVar[str]
    schema: ClassVar[Mapping[str, Any]]
    #: Keys every rule has; the kind's schema sees the rule without them.
    ENVELOPE: ClassVar[frozenset[str]] = frozenset({"id", "kind", "title", "description"})

    def __init__(self, rule_id: str, title: str, config: Mapping[str, Any], context: RuleContext):
        self.rule_id = rule_id
        self.title = title or rule_id

    @abc.abstractmethod
    def evaluate(self, state: EvalState) -> None:
        """Apply the rule: write results into ``state`` and append at least one trace entry."""


def route_for(kinds: set[str]) -> Route:
    """The route from the kinds of service referred to: health + social care is both."""
    health = "health" in kinds
    social_care = "social_care" in kinds
    if health and social_care:
        return Route.BOTH
    if health:
        return Route.HEALTH
    if social_care:
        return Route.SOCIAL_CARE
    return Route.COMMUNITY
