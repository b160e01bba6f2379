"""Reading and checking questionnaire documents: JSON, meta-schemas, references, renderer support.

Pure (no Flask, no database): the loader at start-up, the publish service and the admin editor
all call :func:`check_document` / :func:`check_text` and get every problem at once, each with its
file, JSON Pointer and line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .problems import Problem, unique_problems
from .source_map import line_of_pointer, pointer_lines
from .structure import build_structure
from .types.registry import QuestionTypes

#: Where our questionnaires live on the web (nothing is fetched from there; it names documents).
BASE_URI = "https://shared-assessment.example/form_schemas/"
META_SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
#: A questionnaire document larger than this is refused before it is parsed.
MAX_DOCUMENT_BYTES = 512 * 1024
#: JSON nested deeper than this is refused (it cannot be a sensible form, and it protects the
#: recursive checks).
MAX_JSON_DEPTH = 64
#: The longest message kept from jsonschema (its messages quote the offending value).
MAX_MESSAGE_LENGTH = 300

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
VERSION_FILE = re.compile(r"^v([1-9][0-9]{0,5})\.json$")

_META_VALIDATOR = Draft202012Validator(
    Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
)
#: The same meta-schema compiled by jsonschema-rs: it answers "is this valid?" in well under a
#: millisecond where the pure-Python validator takes most of a second on the joint assessment.
#: The Python validator still writes the messages, and still decides whenever the compiled one
#: finds a fault (the two could differ on a format such as ``regex``; the stricter answer is
#: looked at by both).
_FAST_META_VALIDATOR = jsonschema_rs.Draft202012Validator(
    Draft202012Validator.META_SCHEMA, validate_formats=True
)


def document_uri(key: str, version: int) -> str:
    """The ``$id`` a questionnaire version must have, mirroring its path in ``form_schemas/``."""
    return f"{BASE_URI}{key}/v{version}.json"


def load_extensions(path: Path) -> dict[str, Any]:
    """Read our extension meta-schema (``form_schemas/_meta/extensions.json``)."""
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


def build_registry(
    documents: Iterable[Mapping[str, Any]], *, base: Registry[Any] | None = None
) -> Registry[Any]:
    """A registry in which each document is found by its ``$id``.

    Because an ``$id`` mirrors the document's path, a relative reference such as
    ``../phq-9/v1.json#/$defs/phq9`` resolves by path too. Later documents replace earlier ones
    with the same ``$id`` (the admin editor's draft replaces the stored one).
    """
    registry: Registry[Any] = base if base is not None else Registry()
    resources: list[tuple[str, Resource[Any]]] = []
    for document in documents:
        uri = document.get("$id")
        if isinstance(uri, str) and uri:
            resources.append((uri, DRAFT202012.create_resource(document)))
    return registry.with_resources(resources)


def parse_text(text: str | bytes, *, file: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse a document's text, refusing what is too big, not JSON, too deep or not an object."""
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_DOCUMENT_BYTES:
        return None, [
            Problem(
                file,
                "",
                f"the document is {size} bytes; the limit is {MAX_DOCUMENT_BYTES}",
                "size",
                1,
            )
        ]
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        return None, [
            Problem(
                file,
                "",
                f"not valid JSON: {error.msg} (column {error.colno})",
                "json",
                error.lineno,
            )
        ]
    except (ValueError, RecursionError) as error:
        return None, [Problem(file, "", f"not valid JSON: {error}", "json", 1)]
    depth = _depth(value)
    if depth > MAX_JSON_DEPTH:
        return None, [
            Problem(
                file,
                "",
                f"the document nests {depth} levels deep; the limit is {MAX_JSON_DEPTH}",
                "size",
                1,
            )
        ]
    if not isinstance(value, dict):
        return None, [
            Problem(file, "", "a questionnaire document must be a JSON object", "json", 1)
        ]
    return value, []


def check_document(
    document: Mapping[str, Any],
    *,
    file: str,
    extensions: Mapping[str, Any],
    registry: Registry[Any] | None = None,
    key: str | None = None,
    version: int | None = None,
    texts: Mapping[str, str] | None = None,
    files: Mapping[str, str] | None = None,
    types: QuestionTypes | None = None,
) -> list[Problem]:
    """Every problem with a parsed document, in the order the admin editor lists them.

    Checks, all run: the JSON Schema 2020-12 meta-schema; our extension meta-schema
    (``extensions``); ``$schema`` and ``$id`` (which must match ``key`` and ``version`` when given);
    every ``$ref`` resolves (``registry`` holds the other questionnaires) and does not loop; and
    that the form renderer supports everything used. ``texts`` (file name to JSON text) lets each
    problem carry its line; ``files`` names the file of each other document's URI.
    """
    problems: list[Problem] = []
    if not _FAST_META_VALIDATOR.is_valid(document):
        problems += _schema_errors(_META_VALIDATOR.iter_errors(document), file, "meta-schema")
    if not jsonschema_rs.Draft202012Validator(dict(extensions)).is_valid(document):
        extension_validator = Draft202012Validator(extensions)
        problems += _schema_errors(extension_validator.iter_errors(document), file, "extensions")
    if document.get("$schema") != META_SCHEMA_URI:
        problems.append(
            Problem(file, "/$schema", f'"$schema" must be "{META_SCHEMA_URI}"', "renderer")
        )
    uri = document.get("$id")
    if not isinstance(uri, str) or not uri.startswith(BASE_URI):
        problems.append(Problem(file, "/$id", f'"$id" must be a URI under {BASE_URI}', "renderer"))
    elif key is not None and version is not None and uri != document_uri(key, version):
        problems.append(
            Problem(
                file,
                "/$id",
                f'"$id" must be "{document_uri(key, version)}" for this key and version',
                "renderer",
            )
        )
    own = build_registry([document], base=registry if registry is not None else Registry())
    _structure, structure_problems = build_structure(
        document, own, file=file, files=files, types=types
    )
    problems += structure_problems
    return add_lines(unique_problems(problems), texts or {})


def check_text(
    text: str | bytes,
    *,
    file: str,
    extensions: Mapping[str, Any],
    registry: Registry[Any] | None = None,
    key: str | None = None,
    version: int | None = None,
    texts: Mapping[str, str] | None = None,
    files: Mapping[str, str] | None = None,
    types: QuestionTypes | None = None,
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse and check a document's text (the admin editor's save); returns it and its problems."""
    document, problems = parse_text(text, file=file)
    if document is None:
        return None, problems
    own_text = text.decode("utf-8") if isinstance(text, bytes) else text
    all_texts = {**(texts or {}), file: own_text}
    return document, check_document(
        document,
        file=file,
        extensions=extensions,
        registry=registry,
        key=key,
        version=version,
        texts=all_texts,
        files=files,
        types=types,
    )


def add_lines(problems: Iterable[Problem], texts: Mapping[str, str]) -> list[Problem]:
    """Fill in each problem's line from the text of its file, when that text is known."""
    maps: dict[str, dict[str, int]] = {}
    result: list[Problem] = []
    for problem in problems:
        text = texts.get(problem.file)
        if problem.line is None and text is not None:
            lines = maps.setdefault(problem.file, pointer_lines(text))
            problem = problem.with_line(line_of_pointer(text, problem.pointer, lines))
        result.append(problem)
    return result


def _schema_errors(errors: Iterable[ValidationError], file: str, check: str) -> list[Problem]:
    """jsonschema errors as problems, deepest detail first for ``anyOf``/``oneOf`` failures."""
    problems: list[Problem] = []
    for error in sorted(errors, key=lambda e: [str(token) for token in e.absolute_path]):
        leaf = _leaf(error)
        pointer = "".join(
            "/" + str(token).replace("~", "~0").replace("/", "~1") for token in leaf.absolute_path
        )
        message = leaf.message
        if "propertyNames" in error.schema_path and isinstance(error.instance, str):
            pointer += "/" + error.instance.replace("~", "~0").replace("/", "~1")
            message = f"{error.instance!r} is not one of our extension keywords"
            leaf = error
        if len(message) > MAX_MESSAGE_LENGTH:
            message = message[: MAX_MESSAGE_LENGTH - 1] + "\u2026"
        problems.append(Problem(file, pointer, f"{message} ({leaf.validator})", check))
    return problems


def _leaf(error: ValidationError) -> ValidationError:
    """For an error from a combinator, the most specific sub-error (jsonschema's best match)."""
    if error.context:
        return _leaf(best_match(error.context) or error)
    return error


def _depth(value: Any) -> int:
    """How deeply ``value`` nests (iteratively, so deep input cannot overflow the stack)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return deepest


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
