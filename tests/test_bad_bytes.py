"""NUL characters and unpaired surrogates are refused at every door, before any query.

Every route of the application gets them in a path segment, the query string, form fields and
a JSON body: none answers with a 5xx, each refuses with a 400 or 422 (problem+json under
/api/), nothing is stored and the log holds none of the person's details that were sent.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from assessment_engine.api.tokens import create_api_client
from assessment_engine.bad_bytes import is_bad, json_pointers, loggable
from assessment_engine.demo import demo_chi
from assessment_engine.records.models import Client

NAME = "Ninianbadbytes"
CHI = demo_chi(date(1931, 3, 9), 7, True)
_SKIP = {"static"}


def _fill(rule: Any, person_id: uuid.UUID, bad: str | None = None) -> str:
    """The rule's path with every argument filled: a real-looking value, or ``bad``."""
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        if bad is not None:
            values[name] = bad
        elif converter == "UUIDConverter":
            values[name] = str(person_id)
        elif converter in ("IntegerConverter", "NumberConverter"):
            values[name] = "1"
        else:
            values[name] = "x"
    return re.sub(r"<(?:[^<>]*:)?(\w+)>", lambda m: values[m.group(1)], rule.rule)


def _rules(app: Any) -> list[Any]:
    return [r for r in app.url_map.iter_rules() if r.endpoint not in _SKIP]


def test_every_route_refuses_bad_characters(
    app, client, login_as, factories, db_session, caplog
) -> None:
    person = factories.client()
    login_as("administrator")
    org = factories.organisation()
    token = create_api_client(db_session, org, "Bad bytes").token
    db_session.commit()
    caplog.set_level(logging.DEBUG)
    bad_body = {"given_name": f"{NAME}\x00", "chi": CHI, "answers": {"mood": "\ud800"}}
    statuses: dict[tuple[str, str, str], int] = {}
    rules = _rules(app)
    for rule in rules:
        api = rule.rule.startswith("/api/")
        headers = {"Authorization": f"Bearer {token}"} if api else {}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            send = getattr(client, method.lower())
            probes: list[tuple[str, dict[str, Any]]] = []
            if rule.arguments:
                probes.append(("path", {"path": _fill(rule, person.id, f"{NAME}\x00seg")}))
            good = _fill(rule, person.id)
            probes.append(("query", {"path": good, "query_string": {"q": f"{NAME}\x00"}}))
            if method != "GET":
                form = {"given_name": f"{NAME}\x00", "chi": CHI}
                if not api:
                    form["csrf_token"] = client.csrf_token()
                probes.append(("form", {"path": good, "data": form}))
                probes.append(
                    (
                        "json",
                        {
                            "path": good,
                            "data": json.dumps(bad_body),
                            "content_type": "application/json",
                        },
                    )
                )
            for kind, request in probes:
                path = request.pop("path")
                response = send(path, headers=headers, **request)
                statuses[(rule.rule, method, kind)] = response.status_code
                assert response.status_code < 500, (rule.rule, method, kind)
                if response.status_code == 404 and kind == "path":
                    continue  # a converter (uuid, int) did not match the bad segment
                expected = 422 if kind == "json" else 400
                assert response.status_code == expected, (rule.rule, method, kind)
                if api:
                    assert response.mimetype == "application/problem+json"
                    body = response.get_json()
                    assert "cannot be stored" in body["detail"]
                    if kind == "json":
                        pointers = {e["pointer"] for e in body["errors"]}
                        assert pointers == {"/given_name", "/answers/mood"}
                else:
                    assert "cannot be stored" in response.get_data(as_text=True)
    print(f"probed {len(rules)} routes, {len(statuses)} requests")  # for the record
    assert len(rules) > 50 and len(statuses) > 200  # every route, every method
    assert NAME not in caplog.text and CHI not in caplog.text
    stored = db_session.scalar(
        select(func.count()).select_from(Client).where(Client.given_name.like(f"{NAME}%"))
    )
    assert stored == 0


def test_the_sign_in_form_refuses_a_nul_in_the_email(client) -> None:
    response = client.post_form("/sign-in", {"email": "a\x00@b.example", "password": "x" * 12})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "cannot be stored" in page and "email" in page


def test_a_paired_surrogate_is_an_ordinary_character() -> None:
    parsed = json.loads('{"name": "\\ud83d\\ude00", "\\u0000": ["ok", "\\udc00"]}')
    assert not is_bad(parsed["name"])
    assert list(json_pointers(parsed)) == ["/\\x00", "/\\x00/1"]


def test_log_lines_cannot_be_forged() -> None:
    assert loggable("/people\n2026-12-01 INFO signed in as admin") == (
        "/people\\n2026-12-01 INFO signed in as admin"
    )
    assert loggable("\x00\ud800") == "\\x00\\ud800"


def test_database_errors_never_carry_their_parameters(app, db_session) -> None:
    with pytest.raises(DBAPIError) as raised:
        db_session.execute(text("SELECT :secret FROM no_such_table"), {"secret": NAME})
    db_session.rollback()
    assert NAME not in str(raised.value)
    assert "hidden" in str(raised.value)
