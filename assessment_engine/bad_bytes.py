"""Refuse NUL characters and unpaired surrogates at the edge, before any query.

PostgreSQL cannot store either in text or JSONB (the driver raised, the request failed with a
500 and the error log held the statement's parameters); SQLite stored NUL silently, and both
are invisible to the people who read the record later. Nothing a person or a partner system
legitimately sends contains them, so every request is checked once, first thing: the path, the
query string, form fields (names, values and file names) and JSON bodies. The API answers
with problem+json (400 for the path and query, 422 with JSON pointers for a body); pages get
the error page saying which field to correct.

Also :func:`loggable`, which escapes a value a client controls for a log line, so that nobody
can write a forged line into the log through a path or a header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, render_template, request

from .errors import loggable as loggable  # escapes a value a client controls for a log line

_BAD = re.compile("[\x00\ud800-\udfff]")
#: In JSON text a NUL or a surrogate can only be written as an escape: look for those first.
_ESCAPED = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_JSON_TYPES = re.compile(r"^application/(?:[\w.+-]+\+)?json$")

MESSAGE = (
    "contains a character that cannot be stored (a NUL character or an unpaired surrogate); "
    "remove it and try again"
)


def is_bad(value: str) -> bool:
    return _BAD.search(value) is not None


def _escape_pointer(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def json_pointers(value: Any, prefix: str = "") -> Iterator[str]:
    """JSON pointers to every key or string in ``value`` holding a bad character."""
    if isinstance(value, str):
        if is_bad(value):
            yield prefix
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{prefix}/{_escape_pointer(loggable(key) if is_bad(key) else key)}"
            if is_bad(key):
                yield where
            yield from json_pointers(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_pointers(item, f"{prefix}/{index}")


def _bad_fields(pairs: Any) -> list[str]:
    return sorted(
        {loggable(name) for name, value in pairs.items(multi=True) if is_bad(name) or is_bad(value)}
    )


def _refuse(status: int, where: str, errors: list[dict[str, str]]) -> Response:
    from .errors import problem, wants_problem_json

    detail = f"The {where} {MESSAGE}."
    if wants_problem_json():
        return problem(
            status,
            "Bad Request" if status == 400 else "Unprocessable Content",
            detail,
            errors=errors,
        )
    names = [e.get("parameter") or e.get("field") or e.get("pointer", "") for e in errors]
    paragraphs = [f"What you entered {MESSAGE}."]
    if names and any(names):
        paragraphs.append("Check: " + ", ".join(n for n in names if n) + ".")
    paragraphs.append("Go back, correct it and try again. Nothing was saved.")
    body = render_template(
        "errors/error.html",
        title="Some of what you entered cannot be saved",
        paragraphs=paragraphs,
    )
    return Response(body, status=status, mimetype="text/html")


def check_request() -> Response | None:
    """The refusal of a request holding a bad character anywhere it can carry text, or None."""
    if is_bad(request.path):
        return _refuse(400, "web address", [{"parameter": "path", "message": MESSAGE}])
    bad = _bad_fields(request.args)
    if bad:
        return _refuse(
            400, "query string", [{"parameter": name, "message": MESSAGE} for name in bad]
        )
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        bad = _bad_fields(request.form)
        bad += sorted(
            {
                loggable(name)
                for name, file in request.files.items(multi=True)
                if is_bad(name) or is_bad(file.filename or "")
            }
        )
        if bad:
            return _refuse(400, "form", [{"field": name, "message": MESSAGE} for name in bad])
    elif _JSON_TYPES.match(request.mimetype or ""):
        raw = request.get_data(cache=True)
        if _ESCAPED.search(raw):
            try:
                parsed = json.loads(raw)
            except (ValueError, RecursionError):
                return None  # not JSON: the API says so itself
            pointers = list(json_pointers(parsed))
            if pointers:
                return _refuse(
                    422, "request body", [{"pointer": p, "message": MESSAGE} for p in pointers]
                )
    return None


def init_app(app: Flask) -> None:
    """Register the check first, before anything that reads the database."""
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
