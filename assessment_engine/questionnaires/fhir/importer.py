"""A FHIR R4 Questionnaire as a new draft questionnaire document (JSON Schema 2020-12).

What maps faithfully is imported; everything else is left out and reported by linkId, never
approximated silently: item types the form cannot render (dateTime, time, attachment,
quantity, reference, url, open-choice), answer lists that are not in the resource (an external
answerValueSet is never fetched), enableWhen conditions that do not test a sibling or compare
dates, calculated expressions that are not sums of scores and unknown extensions.

Identity is kept: each item's linkId (and prefix, codes, initial values), each option's code
system, and the source's url, version, publisher and copyright are kept in ``x-fhir`` and
exported again, so responses to the source questionnaire import by their linkIds. Scores
(ordinalValue/itemWeight, on answerOption or on a contained ValueSet's concepts) become scored
options, and a calculated total that sums them becomes a weighted-sum rule (``scores.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..documents import KEY_PATTERN, META_SCHEMA_URI, document_uri
from ..structure import escape_token
from .common import (
    CALCULATED_EXTENSION,
    ITEM_CONTROL,
    ITEM_WEIGHT,
    MAX_VALUE,
    MIN_VALUE,
    OPTION_TYPE_EXTENSION,
    ORDINAL_VALUE,
    RULES_EXTENSION,
    ImportNote,
    canonical_url,
)
from .scores import CALCULATED_EXPRESSION, VARIABLE, Total, total_rule

_SIMPLE_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "text": {"type": "string", "x-widget": "textarea"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "boolean": {"type": "boolean"},
}
_UNSUPPORTED_TYPES = {
    "dateTime": "a date with a time is not supported (only dates)",
    "time": "a time of day is not supported",
    "attachment": "attachments are not supported",
    "quantity": "quantities (a value with a unit) are not supported",
    "reference": "references to other resources are not supported",
    "url": "web addresses as answers are not supported",
    "open-choice": "open-choice (options plus free text) is not supported",
    "question": "the R4 'question' item type is not supported",
}
#: Item elements this importer reads; any other element present is reported.
_KNOWN_ELEMENTS = frozenset(
    {"linkId", "text", "type", "item", "required", "repeats", "maxLength", "answerOption"}
    | {"answerValueSet", "enableWhen", "enableBehavior", "extension", "_text", "definition"}
    | {"prefix", "id", "code", "initial", "readOnly", "option"}
)
_KNOWN_EXTENSIONS = frozenset(
    {ITEM_CONTROL, MIN_VALUE, MAX_VALUE, CALCULATED_EXPRESSION, VARIABLE}
    | {CALCULATED_EXTENSION, OPTION_TYPE_EXTENSION}
)
#: Top-level elements this importer reads or keeps (in ``x-fhir``); any other is reported.
_KNOWN_TOP = frozenset(
    {"resourceType", "id", "url", "version", "name", "title", "description", "item"}
    | {"contained", "extension", "publisher", "copyright", "meta", "text", "subjectType"}
)
#: What of the source Questionnaire is kept (in the document's ``x-fhir``) and exported again.
_KEPT_TOP = ("url", "version", "publisher", "copyright")
_SELECT_CONTROLS = frozenset({"drop-down", "autocomplete", "lookup"})
_OPERATORS = {">": "exclusiveMinimum", "<": "exclusiveMaximum", ">=": "minimum", "<=": "maximum"}
MAX_TITLE = 200


@dataclass
class QuestionnaireImport:
    """The draft document made from a FHIR Questionnaire, and what could not be represented."""

    key: str
    title: str
    document: dict[str, Any] | None
    notes: list[ImportNote] = field(default_factory=list)
    #: Rules made from the source's scores (a weighted sum per calculated total), or None.
    rules: dict[str, Any] | None = None


@dataclass
class _Node:
    """One imported item: its schema, name, required-ness and enableWhen, before conditions
    are attached to its parent."""

    link_id: str
    name: str
    schema: dict[str, Any]
    required: bool
    item: Mapping[str, Any]
    options_type: str | None = None
    repeats: bool = False


def key_for(resource: Mapping[str, Any]) -> str:
    """A questionnaire key for the resource: ours when it is one of our exports, else made
    from the last segment of its url, or its id, name or title (lower-case letters, digits
    and hyphens)."""
    url = resource.get("url")
    if isinstance(url, str) and url.startswith(canonical_url("")):
        candidate = url[len(canonical_url("")) :]
        if KEY_PATTERN.match(candidate):
            return candidate
    candidates = [source_key(url)] if isinstance(url, str) else []
    for element in ("id", "name", "title"):
        value = resource.get(element)
        if isinstance(value, str) and value.strip():
            candidates.append(_slug(value))
    return next((slug for slug in candidates if slug), "fhir-questionnaire")


def source_key(url: str) -> str | None:
    """The key a Questionnaire with canonical ``url`` (not ours) is imported under: the
    url's last segment, so a response naming ``url|version`` finds it again."""
    return _slug(url.partition("|")[0].rstrip("/").rsplit("/", 1)[-1])


def _slug(value: str) -> str | None:
    slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:63].strip("-")
    return slug if slug and KEY_PATTERN.match(slug) else None


def import_questionnaire(
    resource: Mapping[str, Any], *, key: str, version: int
) -> QuestionnaireImport:
    """Build the draft document for ``key`` version ``version`` from a FHIR Questionnaire."""
    notes: list[ImportNote] = []
    title = _title(resource)
    if resource.get("resourceType") != "Questionnaire":
        notes.append(ImportNote(None, "resourceType must be Questionnaire"))
        return QuestionnaireImport(key, title, None, notes)
    importer = _Importer(resource, notes)
    for extension in _list(resource.get("extension")):
        url = extension.get("url") if isinstance(extension, Mapping) else None
        if url not in (VARIABLE, RULES_EXTENSION):  # both are read below
            notes.append(ImportNote(None, f"the extension {url} is not kept"))
    for element in sorted(set(resource) - _KNOWN_TOP):
        if element == "status":
            notes.append(ImportNote(None, f"status {resource[element]!r}: imported as a draft"))
        else:
            notes.append(ImportNote(None, f"{element} is not kept"))
    for contained in _list(resource.get("contained")):
        if isinstance(contained, Mapping) and contained.get("resourceType") != "ValueSet":
            kind, ident = contained.get("resourceType"), contained.get("id")
            notes.append(ImportNote(None, f"the contained {kind} {ident} is not kept"))
    items = [item for item in _list(resource.get("item")) if isinstance(item, Mapping)]
    sections = importer.sections(items)
    if not sections:
        notes.append(ImportNote(None, "nothing in this Questionnaire could be imported"))
        return QuestionnaireImport(key, title, None, notes)
    comment = "Imported from a FHIR Questionnaire"
    if isinstance(resource.get("url"), str):
        comment += f": {resource['url']}"
        if isinstance(resource.get("version"), str):
            comment += f"|{resource['version']}"
    document: dict[str, Any] = {
        "$schema": META_SCHEMA_URI,
        "$id": document_uri(key, version),
        "$comment": comment,
        "title": title,
        "type": "object",
        "properties": {node.name: node.schema for node in sections},
        "additionalProperties": False,
    }
    description = resource.get("description")
    if isinstance(description, str) and description.strip():
        document["description"] = description.strip()
    kept = {name: resource[name] for name in _KEPT_TOP if isinstance(resource.get(name), str)}
    if kept:
        document["x-fhir"] = {name: value for name, value in kept.items() if value}
    importer.attach_conditions(document, sections, "")
    rules = _own_rules(resource, notes)
    if rules is None:
        rules = importer.rules(document)
    return QuestionnaireImport(key, title, document, notes, rules)


def _own_rules(resource: Mapping[str, Any], notes: list[ImportNote]) -> dict[str, Any] | None:
    """The rules our own export carried (checked like any rules when the draft is stored)."""
    for extension in _list(resource.get("extension")):
        if isinstance(extension, Mapping) and extension.get("url") == RULES_EXTENSION:
            try:
                rules = json.loads(str(extension.get("valueString")))
            except ValueError:
                rules = None
            if isinstance(rules, dict):
                return rules
            notes.append(ImportNote(None, f"the extension {RULES_EXTENSION} is not JSON rules"))
    return None


def _title(resource: Mapping[str, Any]) -> str:
    for element in ("title", "name", "id"):
        value = resource.get(element)
        if isinstance(value, str) and value.strip():
            return value.strip()[:MAX_TITLE]
    return "Imported questionnaire"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _name(link_id: str, taken: set[str]) -> str:
    """A property name from a linkId: its last path segment, in lower case letters, digits
    and underscores, unique among its siblings."""
    last = link_id.rstrip("/").rsplit("/", 1)[-1] or link_id
    base = re.sub(r"[^a-z0-9]+", "_", last.lower()).strip("_")[:60] or "item"
    if not base[0].isalpha():
        base = f"q_{base}"[:60]
    name, counter = base, 2
    while name in taken:
        name = f"{base}_{counter}"
        counter += 1
    taken.add(name)
    return name


class _Importer:
    def __init__(self, resource: Mapping[str, Any], notes: list[ImportNote]) -> None:
        self.resource = resource
        self.notes = notes
        self.value_sets = {
            f"#{contained.get('id')}": contained
            for contained in _list(resource.get("contained"))
            if isinstance(contained, Mapping) and contained.get("resourceType") == "ValueSet"
        }
        #: linkId to (parent linkId, node) of every imported item, for enableWhen.
        self.nodes: dict[str, tuple[str, _Node]] = {}
        self.skipped: set[str] = set()
        #: Calculated totals (items with a calculatedExpression), made into rules at the end.
        self.totals: list[Total] = []
        self.variables = _variables(resource)

    def note(self, link_id: str | None, message: str) -> None:
        self.notes.append(ImportNote(link_id, message))

    # -- structure ---------------------------------------------------------------------

    def sections(self, items: Sequence[Mapping[str, Any]]) -> list[_Node]:
        """Top-level groups become sections when every top-level item is a plain group (one
        that neither repeats nor has an enableWhen: sections are always shown, once); else all
        top-level items share one section, so conditions between them stay beside each other."""
        taken: set[str] = set()
        if all(
            item.get("type") == "group" and not item.get("repeats") and not item.get("enableWhen")
            for item in items
        ):
            sections = [self.node(item, taken, parent="", section=True) for item in items]
            return [node for node in sections if node is not None]
        title = _title(self.resource)
        wrapper = {"linkId": "", "text": title, "type": "group", "item": list(items)}
        node = self.group(wrapper, _name("questions", taken), "", section=True)
        return [node] if node is not None else []

    def node(
        self, item: Mapping[str, Any], taken: set[str], parent: str, section: bool = False
    ) -> _Node | None:
        link_id = item.get("linkId")
        if not isinstance(link_id, str) or not link_id:
            self.note(None, "an item without a linkId was left out")
            return None
        for element in sorted(set(item) - _KNOWN_ELEMENTS):
            self.note(link_id, self.element_note(element, item[element]))
        for extension in _list(item.get("extension")):
            url = extension.get("url") if isinstance(extension, Mapping) else None
            if url not in _KNOWN_EXTENSIONS:
                self.note(link_id, f"the extension {url} is not kept")
            elif url in (MIN_VALUE, MAX_VALUE) and item.get("type") not in _SIMPLE_TYPES:
                self.note(link_id, f"the extension {url} on a {item.get('type')} is not kept")
        kind = item.get("type")
        node: _Node | None
        expression = _expression(item, CALCULATED_EXPRESSION)
        if expression is not None and kind != "group":
            # A calculated total is not asked: it becomes a rule (see rules()), or is reported.
            self.totals.append(
                Total(
                    link_id,
                    _text(item, link_id),
                    expression,
                    {**self.variables, **_variables(item)},
                )
            )
            self.skipped.add(link_id)
            if item.get("code"):
                self.note(link_id, self.element_note("code", item["code"]))
            return None
        calculated = _own_json(item, CALCULATED_EXTENSION)
        if kind == "group":
            node = self.group(item, _name(link_id, taken), parent, section=section)
        elif isinstance(calculated, dict) and kind in ("decimal", "integer"):
            node = self.calculated(item, kind, _name(link_id, taken), calculated)
        elif kind == "display":
            node = self.display(item, _name(link_id, taken))
        elif kind == "choice":
            node = self.choice(item, _name(link_id, taken))
        elif isinstance(kind, str) and kind in _SIMPLE_TYPES:
            node = self.simple(item, kind, _name(link_id, taken))
        else:
            reason = _UNSUPPORTED_TYPES.get(str(kind), f"the item type {kind!r} is not supported")
            self.note(link_id, f"left out: {reason}")
            node = None
        if node is None:
            self.skipped.add(link_id)
            if kind != "group":  # a group's own items were each reported
                self.left_out_below(item, f"it sits under {link_id}, which was left out")
            return None
        if kind == "display":  # items under a question become a follow-up group (follow_up)
            self.left_out_below(item, f"it sits under the display item {link_id}")
        node.schema["x-fhir"] = {"linkId": link_id, **self.kept(item)}
        self.nodes[link_id] = (parent, node)
        return node

    def follow_up(
        self, item: Mapping[str, Any], question: _Node, taken: set[str], parent: str
    ) -> _Node | None:
        """Items under a question (not a group) as a group beside it, shown once the question
        is answered (FHIR shows them under its answer)."""
        if item.get("type") in ("group", "display") or not _list(item.get("item")):
            return None
        link_id = str(item["linkId"])
        wrapper = {
            "linkId": f"{link_id}#follow-up",
            "text": f"{_text(item, question.name)}: follow-up",
            "type": "group",
            "item": item["item"],
            "enableWhen": [{"question": link_id, "operator": "exists", "answerBoolean": True}],
        }
        node = self.group(wrapper, _name(f"{question.name}_follow_up", taken), parent)
        if node is None:
            return None
        node.schema["$comment"] = f"FHIR items under the question {link_id}"
        self.note(
            link_id,
            "the items under this question are a follow-up group beside it, shown once it is "
            "answered (a response's items under its answer are read into that group)",
        )
        return node

    def kept(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """The item's elements kept for export (prefix, codes, initial values, readOnly)."""
        link_id = str(item["linkId"])
        kept: dict[str, Any] = {}
        if isinstance(item.get("prefix"), str) and item["prefix"]:
            kept["prefix"] = item["prefix"]
        for element in ("code", "initial"):
            values = [v for v in _list(item.get(element)) if isinstance(v, Mapping)]
            if values:
                kept[element] = values
        if "initial" in kept:
            self.note(link_id, "initial is kept (and exported) but the form does not prefill it")
        if item.get("readOnly") is True:
            kept["readOnly"] = True
            if item.get("type") not in ("display", "group"):
                self.note(link_id, "readOnly is kept (and exported) but the form still asks it")
        return kept

    def left_out_below(self, item: Mapping[str, Any], why: str) -> None:
        """Report every item below ``item`` as left out (items under a question, or under an
        item that could not be imported)."""
        for child in _list(item.get("item")):
            if isinstance(child, Mapping):
                link_id = child.get("linkId")
                self.note(
                    link_id if isinstance(link_id, str) else None,
                    f"left out: {why}; only groups hold other items",
                )
                self.left_out_below(child, f"it sits under {link_id}")

    def element_note(self, element: str, value: Any) -> str:
        if element == "code":
            codes = ", ".join(
                f"{c.get('system', '')}|{c.get('code', '')}"
                for c in _list(value)
                if isinstance(c, Mapping)
            )
            return f"code ({codes}) is not kept"
        return f"{element} is not supported and was not kept"

    def group(
        self, item: Mapping[str, Any], name: str, parent: str, *, section: bool = False
    ) -> _Node | None:
        link_id = str(item.get("linkId"))
        taken: set[str] = set()
        children: list[_Node] = []
        for entry in _list(item.get("item")):
            if not isinstance(entry, Mapping):
                continue
            child = self.node(entry, taken, parent=link_id)
            if child is not None:
                children.append(child)
                follow_up = self.follow_up(entry, child, taken, link_id)
                if follow_up is not None:
                    children.append(follow_up)
        if not children:
            self.note(
                link_id or None, "left out: a group with nothing in it that could be imported"
            )
            return None
        body: dict[str, Any] = {
            "type": "object",
            "title": _text(item, name),
            "properties": {child.name: child.schema for child in children},
            "additionalProperties": False,
        }
        self.attach_conditions(body, children, link_id)
        repeats = bool(item.get("repeats")) and not section
        if item.get("repeats") and section:
            self.note(link_id, "a repeating group at the top level is imported inside a section")
        schema: dict[str, Any] = body
        if repeats:
            schema = {"type": "array", "title": body["title"], "items": body}
        node = _Node(link_id, name, schema, bool(item.get("required")), item, repeats=repeats)
        node.schema["$comment"] = f"FHIR linkId: {link_id}" if link_id else "Imported items"
        return node

    def calculated(
        self, item: Mapping[str, Any], kind: str, name: str, calculation: dict[str, Any]
    ) -> _Node:
        """A value our own export marked as calculated from its siblings (x-calculated)."""
        schema: dict[str, Any] = {
            **_SIMPLE_TYPES[kind],
            "title": _text(item, name),
            "readOnly": True,
            "x-calculated": calculation,
        }
        self.limits(item, kind, schema)
        return _Node(str(item["linkId"]), name, schema, False, item)

    def display(self, item: Mapping[str, Any], name: str) -> _Node:
        link_id = str(item["linkId"])
        text = _text(item, name)
        schema = {"title": text[:MAX_TITLE], "x-widget": "guidance", "not": {}}
        if len(text) > MAX_TITLE:
            schema["description"] = text
        return _Node(link_id, name, schema, False, item)

    def simple(self, item: Mapping[str, Any], kind: str, name: str) -> _Node | None:
        link_id = str(item["linkId"])
        if item.get("repeats"):
            self.note(link_id, f"left out: repeated answers to a {kind} question are not supported")
            return None
        schema: dict[str, Any] = {**_SIMPLE_TYPES[kind], "title": _text(item, name)}
        max_length = item.get("maxLength")
        if isinstance(max_length, int) and not isinstance(max_length, bool) and max_length > 0:
            if kind in ("string", "text"):
                schema["maxLength"] = max_length
            else:
                self.note(link_id, "maxLength applies only to text; not kept")
        self.limits(item, kind, schema)
        schema["$comment"] = f"FHIR linkId: {link_id}"
        return _Node(link_id, name, schema, bool(item.get("required")), item)

    def limits(self, item: Mapping[str, Any], kind: str, schema: dict[str, Any]) -> None:
        """minValue/maxValue as minimum/maximum of a number; reported on other types."""
        link_id = str(item["linkId"])
        for extension in _list(item.get("extension")):
            if not isinstance(extension, Mapping) or extension.get("url") not in (
                MIN_VALUE,
                MAX_VALUE,
            ):
                continue
            keyword = "minimum" if extension["url"] == MIN_VALUE else "maximum"
            value = extension.get("valueInteger", extension.get("valueDecimal"))
            if (
                kind in ("integer", "decimal")
                and isinstance(value, int | float)
                and not isinstance(value, bool)
            ):
                schema[keyword] = value
            else:
                self.note(link_id, f"{extension['url']} on a {kind} question is not kept")

    # -- choices -------------------------------------------------------------------------

    def choice(self, item: Mapping[str, Any], name: str) -> _Node | None:
        link_id = str(item["linkId"])
        options = self.options(item, link_id)
        if options is None:
            return None
        option_type, entries = options
        base: dict[str, Any] = {"type": option_type, "oneOf": entries}
        controls = _item_controls(item)
        title = _text(item, name)
        if item.get("repeats"):
            schema: dict[str, Any] = {
                "type": "array",
                "title": title,
                "items": base,
                "uniqueItems": True,
            }
        else:
            schema = {**base, "title": title}
            if controls & _SELECT_CONTROLS and not any("x-score" in o for o in entries):
                schema["x-widget"] = "select"
        schema["$comment"] = f"FHIR linkId: {link_id}"
        return _Node(
            link_id,
            name,
            schema,
            bool(item.get("required")),
            item,
            options_type=option_type,
            repeats=bool(item.get("repeats")),
        )

    def options(
        self, item: Mapping[str, Any], link_id: str
    ) -> tuple[str, list[dict[str, Any]]] | None:
        """The item's options as ``oneOf`` entries (with ``x-score`` from ordinalValue)."""
        raw: list[_Raw] = []
        listed = item.get("answerOption")
        if not listed and item.get("option"):
            self.note(link_id, "the STU3 element option was read as R4 answerOption")
            listed = item.get("option")
        if listed:
            for option in _list(listed):
                read = _read_option(option)
                if read is None:
                    self.note(link_id, "an answerOption without a code or value was left out")
                    continue
                raw.append(read)
        elif isinstance(item.get("answerValueSet"), str):
            reference = item["answerValueSet"]
            value_set = self.value_sets.get(reference)
            if value_set is None:
                self.note(
                    link_id,
                    f"left out: its answers come from the value set {reference}, which is not "
                    "contained in this Questionnaire (value sets are never fetched)",
                )
                return None
            raw = _value_set_options(value_set)
            if not raw:
                self.note(link_id, f"the contained value set {reference} lists no concepts")
                return None
        if not raw:
            self.note(link_id, "left out: a choice question without answer options")
            return None
        raw = self.typed(item, link_id, raw)
        ours = canonical_url("")  # our own per-question systems are made again on export
        raw = [(v, lbl, sc, None if (sy or "").startswith(ours) else sy) for v, lbl, sc, sy in raw]
        types = {type(value) for value, _label, _score, _system in raw}
        if len(types) != 1:
            self.note(link_id, "left out: answer options of mixed types are not supported")
            return None
        option_type = {str: "string", int: "integer", float: "number"}.get(types.pop())
        if option_type is None:
            self.note(link_id, "left out: these answer options are not supported")
            return None
        scored = [score is not None for _value, _label, score, _system in raw]
        if any(scored) and not all(scored):
            self.note(link_id, "only some options have an ordinalValue; the scores were not kept")
        codes = [value for value, _label, _score, _system in raw]
        entries = []
        seen: set[tuple[Any, str | None]] = set()
        for value, label, score, system in raw:
            if (value, system) in seen:
                self.note(link_id, f"the option {value!r} appears twice; kept once")
                continue
            seen.add((value, system))
            entry: dict[str, Any] = {"const": value, "title": label}
            if codes.count(value) > 1 and system is not None:
                # The same code in two systems: two options, told apart by their system.
                entry["const"] = f"{system}|{value}"
                self.note(
                    link_id,
                    f"the code {value!r} is in more than one system; its option from {system} "
                    f"is stored as {entry['const']!r} (answers are matched by system and code)",
                )
            if all(scored) and score is not None:
                entry["x-score"] = score
            if system is not None:
                entry["x-fhir"] = {"system": system, "code": str(value)}
            entries.append(entry)
        return option_type, entries

    # -- scores --------------------------------------------------------------------------

    def rules(self, document: dict[str, Any]) -> dict[str, Any] | None:
        """Each calculated total that is a sum of item scores as a weighted-sum rule (and the
        total's linkId kept in the document's ``x-fhir`` totals); any other is reported."""
        scored = _scored_pointers(document)
        rules: list[dict[str, Any]] = []
        totals: dict[str, str] = {}
        taken: set[str] = set()
        for total in self.totals:
            output = "total" if len(self.totals) == 1 else _name(total.link_id, taken)
            rule, problem = total_rule(total, scored, output)
            if rule is None:
                self.note(total.link_id, f"left out: {problem}")
                continue
            rules.append(rule)
            totals[total.link_id] = output
            self.note(
                total.link_id,
                f"calculated total: computed by the weighted-sum rule {rule['id']} as "
                f"scores.{output} (not asked on the form); a response's value for it is "
                "reconciled with it",
            )
        if not rules:
            return None
        document.setdefault("x-fhir", {})["totals"] = totals
        self.note(
            None,
            "the rules refer no one (FHIR has no routing) and have no bands or test cases: "
            "add test cases (and any bands and referrals) before publishing",
        )
        routing = {
            "id": "routing",
            "kind": "route",
            "title": "Routing",
            "description": "Imported from FHIR, which has no routing: nobody is referred.",
            "referrals": [],
        }
        return {"rules": [*rules, routing]}

    def typed(self, item: Mapping[str, Any], link_id: str, raw: list[_Raw]) -> list[_Raw]:
        """Codes back to the numbers they were, when our own export says so."""
        wanted = _own_code(item, OPTION_TYPE_EXTENSION)
        if wanted not in ("integer", "number"):
            return raw
        convert = int if wanted == "integer" else float
        try:
            return [(convert(value), label, score, None) for value, label, score, _s in raw]
        except ValueError:
            self.note(link_id, f"the option codes are not all {wanted}s; kept as codes")
            return raw

    # -- enableWhen ----------------------------------------------------------------------

    def attach_conditions(
        self, schema: dict[str, Any], children: Sequence[_Node], parent: str
    ) -> None:
        """Write each child's enableWhen as if/then blocks, and the object's required list."""
        required: list[str] = []
        blocks: list[dict[str, Any]] = []
        dependent: dict[str, dict[str, Any]] = {}
        for child in children:
            subject = self.exists_subject(child, parent)
            if subject is not None:  # shown once the subject is answered: dependentSchemas
                branch = dependent.setdefault(subject, {})
                if child.required:
                    branch.setdefault("required", []).append(child.name)
                else:
                    branch.setdefault("properties", {})[child.name] = True
                continue
            conditions = self.conditions(child, parent)
            if not conditions:
                if child.required:
                    required.append(child.name)
                continue
            for test, negated in conditions:
                shown: dict[str, Any] = (
                    {"required": [child.name]}
                    if child.required
                    else {"properties": {child.name: True}}
                )
                blocks.append({"if": test, "else" if negated else "then": shown})
        if required:
            schema["required"] = required
        if blocks:
            schema["allOf"] = blocks
        if dependent:
            schema["dependentSchemas"] = dependent

    def exists_subject(self, child: _Node, parent: str) -> str | None:
        """The sibling whose being answered shows ``child`` (its one enableWhen is ``exists``
        true), or None."""
        whens = [when for when in _list(child.item.get("enableWhen")) if isinstance(when, Mapping)]
        if len(whens) != 1 or whens[0].get("operator") != "exists":
            return None
        found = self.nodes.get(str(whens[0].get("question")))
        if found is None or found[0] != parent or whens[0].get("answerBoolean") is not True:
            return None
        return found[1].name

    def conditions(self, child: _Node, parent: str) -> list[tuple[dict[str, Any], bool]]:
        """The child's enableWhen as ``if`` tests (with whether they apply negated)."""
        whens = [when for when in _list(child.item.get("enableWhen")) if isinstance(when, Mapping)]
        if not whens:
            return []
        behaviour = child.item.get("enableBehavior", "all")
        tests: list[tuple[str, str, Any]] = []
        for when in whens:
            test = self.condition(child, when, parent)
            if test is None:
                return []
            tests.append(test)
        if len(tests) > 1 and behaviour == "any":
            subjects = {subject for subject, _keyword, _value in tests}
            if len(subjects) == 1 and all(
                keyword in ("const", "contains") for _s, keyword, _v in tests
            ):
                subject = subjects.pop()
                values = [value for _s, _k, value in tests]
                keyword = tests[0][1]
                merged = {"enum": values} if keyword == "const" else {"contains": {"enum": values}}
                return [({"properties": {subject: merged}, "required": [subject]}, False)]
            self.note(
                child.link_id,
                "enableWhen with enableBehavior 'any' over different questions or comparisons "
                "cannot be represented; the item is always shown",
            )
            return []
        result = []
        for subject, keyword, value in tests:
            negated = keyword == "not-const"
            clause: dict[str, Any]
            if negated:
                clause = {"const": value}
            elif keyword == "contains":
                clause = {"contains": {"const": value}}
            else:
                clause = {keyword: value}
            result.append(({"properties": {subject: clause}, "required": [subject]}, negated))
        return result

    def condition(
        self, child: _Node, when: Mapping[str, Any], parent: str
    ) -> tuple[str, str, Any] | None:
        """One enableWhen as (sibling name, keyword, value); None (reported) when it cannot be."""
        question = when.get("question")
        operator = when.get("operator")
        answers = [name for name in when if name.startswith("answer")]
        found = self.nodes.get(str(question))
        if found is None:
            why = (
                "could not be imported"
                if question in self.skipped
                else "is not an item of this Questionnaire"
            )
            self.note(
                child.link_id,
                f"enableWhen tests {question}, which {why}; the item is always shown",
            )
            return None
        owner, subject = found
        if owner != parent:
            self.note(
                child.link_id,
                f"enableWhen tests {question}, which is not in the same group; only questions "
                "beside an item can show or hide it, so the item is always shown",
            )
            return None
        if operator == "exists":
            self.note(
                child.link_id,
                "enableWhen exists can be kept only as the item's one condition and only as "
                "'is answered' (exists true); the item is always shown",
            )
            return None
        if len(answers) != 1:
            self.note(child.link_id, "enableWhen needs exactly one answer[x]; always shown")
            return None
        value = self.comparable(child.link_id, subject, answers[0], when[answers[0]])
        if value is None:
            return None
        if operator == "=":
            return subject.name, "contains" if subject.repeats else "const", value
        if operator == "!=" and not subject.repeats:
            return subject.name, "not-const", value
        keyword = _OPERATORS.get(str(operator))
        if (
            keyword is not None
            and subject.options_type is None
            and subject.schema.get("type") in ("integer", "number")
            and isinstance(value, int | float)
        ):
            return subject.name, keyword, value
        self.note(
            child.link_id,
            f"enableWhen {question} {operator} {when[answers[0]]!r} cannot be represented "
            "(comparisons work only on numbers); the item is always shown",
        )
        return None

    def comparable(self, link_id: str, subject: _Node, name: str, value: Any) -> Any | None:
        """The enableWhen answer as the value stored for the subject question."""
        if subject.options_type is not None:
            raw = (
                value.get("code")
                if name == "answerCoding" and isinstance(value, Mapping)
                else value
            )
            items = subject.schema.get("items", subject.schema)
            for option in items.get("oneOf", []):
                if str(option["const"]) == str(raw):
                    if name != "answerCoding" and not isinstance(raw, type(option["const"])):
                        self.note(
                            link_id,
                            f"enableWhen compares {subject.link_id} with {name} {raw!r}; "
                            f"matched to the option {option['const']!r}",
                        )
                    return option["const"]
            self.note(
                link_id,
                f"enableWhen compares {subject.link_id} with {raw!r}, which is not one of its "
                "options; the item is always shown",
            )
            return None
        expected = {
            "boolean": ("answerBoolean",),
            "integer": ("answerInteger",),
            "number": ("answerDecimal", "answerInteger"),
        }.get(str(subject.schema.get("type")), ("answerString", "answerDate"))
        if name not in expected:
            self.note(
                link_id,
                f"enableWhen compares {subject.link_id} with {name}, which does not fit its "
                "type; the item is always shown",
            )
            return None
        return value


def _text(item: Mapping[str, Any], fallback: str) -> str:
    text = item.get("text")
    return text.strip() if isinstance(text, str) and text.strip() else fallback


def _item_controls(item: Mapping[str, Any]) -> set[str]:
    codes: set[str] = set()
    for extension in _list(item.get("extension")):
        if isinstance(extension, Mapping) and extension.get("url") == ITEM_CONTROL:
            concept = extension.get("valueCodeableConcept")
            for coding in _list(concept.get("coding") if isinstance(concept, Mapping) else None):
                if isinstance(coding, Mapping) and isinstance(coding.get("code"), str):
                    codes.add(coding["code"])
    return codes


def _score(*holders: Any) -> float | None:
    for holder in holders:
        if not isinstance(holder, Mapping):
            continue
        for extension in _list(holder.get("extension")):
            if isinstance(extension, Mapping) and extension.get("url") in (
                ORDINAL_VALUE,
                ITEM_WEIGHT,
            ):
                value = extension.get("valueDecimal", extension.get("valueInteger"))
                if isinstance(value, int | float) and not isinstance(value, bool):
                    return value
    return None


#: One answer option as read: value (a code or a typed value), label, score and code system.
_Raw = tuple[Any, str, float | None, str | None]


def _read_option(option: Any) -> _Raw | None:
    if not isinstance(option, Mapping):
        return None
    if isinstance(option.get("valueCoding"), Mapping):
        coding = option["valueCoding"]
        code = coding.get("code")
        if not isinstance(code, str) or not code:
            return None
        label = coding.get("display") if isinstance(coding.get("display"), str) else code
        system = coding.get("system") if isinstance(coding.get("system"), str) else None
        return code, label, _score(option, coding), system or None
    for name in ("valueInteger", "valueString", "valueDate"):
        value = option.get(name)
        if value is not None and not isinstance(value, bool):
            return value, str(value), _score(option), None
    return None


def _value_set_options(value_set: Mapping[str, Any]) -> list[_Raw]:
    """A contained value set's concepts: its ``compose`` (include.concept), else its
    ``expansion`` (contains), each with its system and its score (ordinalValue/itemWeight)."""
    found: list[_Raw] = []
    compose = value_set.get("compose")
    for include in _list(compose.get("include") if isinstance(compose, Mapping) else None):
        if not isinstance(include, Mapping):
            continue
        system = include.get("system") if isinstance(include.get("system"), str) else None
        for concept in _list(include.get("concept")):
            read = _concept(concept, system)
            if read is not None:
                found.append(read)
    expansion = value_set.get("expansion")
    if not found and isinstance(expansion, Mapping):
        for concept in _list(expansion.get("contains")):
            system = concept.get("system") if isinstance(concept, Mapping) else None
            read = _concept(concept, system if isinstance(system, str) else None)
            if read is not None:
                found.append(read)
    return found


def _concept(concept: Any, system: str | None) -> _Raw | None:
    if not isinstance(concept, Mapping) or not isinstance(concept.get("code"), str):
        return None
    label = concept.get("display")
    code = concept["code"]
    return code, label if isinstance(label, str) else code, _score(concept), system or None


def _expression(holder: Mapping[str, Any], url: str) -> str | None:
    for extension in _list(holder.get("extension")):
        if isinstance(extension, Mapping) and extension.get("url") == url:
            value = extension.get("valueExpression")
            expression = value.get("expression") if isinstance(value, Mapping) else None
            if isinstance(expression, str):
                return expression
    return None


def _variables(holder: Mapping[str, Any]) -> dict[str, str]:
    """The SDC variables (name to FHIRPath) declared on a Questionnaire or item."""
    found: dict[str, str] = {}
    for extension in _list(holder.get("extension")):
        if isinstance(extension, Mapping) and extension.get("url") == VARIABLE:
            value = extension.get("valueExpression")
            if (
                isinstance(value, Mapping)
                and isinstance(value.get("name"), str)
                and isinstance(value.get("expression"), str)
            ):
                found[value["name"]] = value["expression"]
    return found


def _scored_pointers(document: Mapping[str, Any]) -> dict[str, str]:
    """linkId to answer pointer of every scored question outside repeating groups."""
    found: dict[str, str] = {}

    def walk(properties: Any, prefix: str) -> None:
        for name, schema in (properties or {}).items():
            if not isinstance(schema, Mapping):
                continue
            pointer = f"{prefix}/{escape_token(name)}"
            if schema.get("type") == "object":
                walk(schema.get("properties"), pointer)
                continue
            options = schema.get("oneOf") or (schema.get("items") or {}).get("oneOf") or []
            kept = schema.get("x-fhir") or {}
            if any(isinstance(o, Mapping) and "x-score" in o for o in options) and kept:
                found[str(kept.get("linkId"))] = pointer

    walk(document.get("properties"), "")
    return found


def _own_json(item: Mapping[str, Any], url: str) -> Any:
    """The JSON in one of our own valueString extensions, or None."""
    for extension in _list(item.get("extension")):
        if isinstance(extension, Mapping) and extension.get("url") == url:
            try:
                return json.loads(str(extension.get("valueString")))
            except ValueError:
                return None
    return None


def _own_code(item: Mapping[str, Any], url: str) -> str | None:
    for extension in _list(item.get("extension")):
        if isinstance(extension, Mapping) and extension.get("url") == url:
            code = extension.get("valueCode")
            return code if isinstance(code, str) else None
    return None
