"""The hand-made floor: the submission and the section page written directly, on the same
libraries and the same tables, to measure the product against (bench_http.py).

Served by gunicorn with the same settings as the product (``--pythonpath tests/benchmarks
floor_app:app``) on the product's PostgreSQL database, configured by the same ``ASSESSMENT_*``
environment. What it does, per request, as the product does:

POST /api/v1/assessments
    the bearer token looked up by its SHA-256 and compared in constant time, revoked tokens and
    missing scope refused; the API rate limit counted per client (in process memory, the
    product's ``memory://`` storage); ``Idempotency-Key`` honoured (a key's response stored in
    the same transaction, a repeat replayed, a different body refused); the person's record
    looked up with the sharing view in force for the caller's organisation (a declined view
    refuses); the answers pruned and validated by the version's compiled (jsonschema-rs)
    validator, complete; the rules evaluated (route, priority, score, services); and one
    PostgreSQL transaction storing the assessment, its decision and one referral per service,
    and one hash-chained audit event under the chain's advisory lock, whose detail names every
    action; a 201 with the document, ETag and Location.

GET /assessments/<id>/sections/<section>
    the session cookie checked (Flask's signed cookie, then the server-side session row by its
    token's hash, user active, idle and absolute timeouts); the draft, its person and the
    sharing view in force for the user's organisation in one statement; an ``assessment.view``
    audit event under the chain's lock; the section's questions rendered as GOV.UK radios and
    inputs, with the saved answers, a CSRF token and the page's header and footer.

What it does not do: marshmallow schemas, problem+json for every case, OpenAPI-described
errors, per-field WTForms, the full layout and navigation, the ``last_used_at`` touch, and the
policy's other cases (break glass, roles other than assessor and partner system). It uses the
product only to compile the questionnaire once at import (the product's compiler, the same
validator and rules); everything per request is written here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from jinja2 import Environment
from psycopg.types.json import Jsonb

GENESIS = "0" * 64
CHAIN_LOCK = 727_274_001  # the product's chain locks, with the chain's number (kernel/audit.py)
QUESTIONNAIRE = "joint-assessment"


def _prepare() -> dict[str, Any]:
    """Compile the published version once, with the product's compiler; nothing else."""
    from assessment_engine import create_app
    from assessment_engine.assessments.services import latest_published, prepare_version
    from assessment_engine.extensions import db

    env = {
        k.removeprefix("ASSESSMENT_"): v
        for k, v in os.environ.items()
        if k.startswith("ASSESSMENT_")
    }
    product = create_app(env)
    with product.app_context():
        version = latest_published(db.session, QUESTIONNAIRE)
        assert version is not None
        prepared = prepare_version(db.session, product.extensions["assessment_versions"], version)
        found = {
            "version_id": version.id,
            "version": version.version,
            "ruleset": prepared.ruleset_name,
            "prepared": prepared,
            "document": version.document,
            "secret_key": product.config["SECRET_KEY"],
            "cookie_name": product.config["SESSION_COOKIE_NAME"],
            "limit": _per_minute(str(product.config["API_RATE_LIMIT"])),
            "chains": int(product.config["AUDIT_CHAIN_PARTITIONS"]),
            "idle": timedelta(minutes=int(product.config["SESSION_IDLE_MINUTES"])),
            "absolute": timedelta(hours=int(product.config["SESSION_ABSOLUTE_HOURS"])),
            "url": str(db.engine.url.set(drivername="postgresql").render_as_string(False)),
        }
        db.engine.dispose()
    return found


def _per_minute(limit: str) -> int:
    """``"300 per minute"`` -> 300 (the product's API limit, in the one unit it uses here)."""
    amount, _per, unit = limit.split(";")[0].split()
    assert unit.startswith("minute"), limit
    return int(amount)


READY = _prepare()
app = Flask(__name__)
app.secret_key = READY["secret_key"]
app.config["SESSION_COOKIE_NAME"] = READY["cookie_name"]
_cookies = SecureCookieSessionInterface()
_local = threading.local()
_counts: dict[tuple[int, int], int] = {}
_counts_lock = threading.Lock()


def connection() -> psycopg.Connection[Any]:
    """This process's connection (sync workers: one request at a time), opened after fork."""
    conn: psycopg.Connection[Any] | None = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg.connect(READY["url"], autocommit=False)
        _local.conn = conn
    return conn


def problem(status: int, detail: str) -> Response:
    return Response(
        json.dumps({"status": status, "title": detail, "detail": detail}),
        status=status,
        mimetype="application/problem+json",
    )


def _digest(prev_hash: str, row: dict[str, Any]) -> str:
    """The product's event hash (kernel/audit.py ``_digest``), over the same fields."""
    payload = json.dumps(
        [
            prev_hash,
            row["occurred_at"].isoformat(),
            row["actor"],
            row["user_id"],
            row["organisation_id"],
            row["action"],
            row["record_type"],
            row["record_id"],
            row["client_id"],
            row["address"],
            row["detail"],
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def append_event(cur: psycopg.Cursor[Any], row: dict[str, Any]) -> None:
    """One hash-chained event: its chain's lock (the person's shard, as the product's
    kernel/audit.py), the chain's last hash, one insert."""
    chain = uuid.UUID(row["client_id"]).int % READY["chains"] if row["client_id"] else 0
    cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (CHAIN_LOCK, chain))
    last = cur.execute(
        "SELECT hash FROM audit_events WHERE chain = %s ORDER BY id DESC LIMIT 1", (chain,)
    ).fetchone()
    previous = last[0] if last else GENESIS
    digest = _digest(previous, row)
    cur.execute(
        "INSERT INTO audit_events (occurred_at, user_id, organisation_id, actor, action,"
        " record_type, record_id, client_id, address, detail, chain, prev_hash, hash)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            row["occurred_at"],
            row["user_id"],
            row["organisation_id"],
            row["actor"],
            row["action"],
            row["record_type"],
            row["record_id"],
            row["client_id"],
            row["address"],
            Jsonb(row["detail"]),
            chain,
            previous,
            digest,
        ),
    )


#: The newest sharing view covering the caller's organisation (records/sharing.py).
PERSON = (
    "SELECT c.id, (SELECT sv.status FROM sharing_views sv JOIN sharing_view_partners p"
    " ON p.sharing_view_id = sv.id WHERE sv.client_id = c.id AND p.organisation_id = %s"
    " ORDER BY sv.id DESC LIMIT 1) FROM clients c WHERE c.id = %s"
)
DRAFT = (
    "SELECT a.answers, a.version, a.status, a.organisation_id, c.id,"
    " (SELECT sv.status FROM sharing_views sv JOIN sharing_view_partners p"
    " ON p.sharing_view_id = sv.id WHERE sv.client_id = c.id AND p.organisation_id = %s"
    " ORDER BY sv.id DESC LIMIT 1)"
    " FROM assessments a JOIN clients c ON c.id = a.client_id WHERE a.id = %s"
)


def _over_limit(client_id: int) -> bool:
    window = int(time.time() // 60)
    with _counts_lock:
        count = _counts.get((client_id, window), 0) + 1
        _counts[(client_id, window)] = count
        if len(_counts) > 10_000:
            for key in [k for k in _counts if k[1] < window]:
                del _counts[key]
    return bool(count > READY["limit"])


@app.post("/api/v1/assessments")
def submit() -> Response:
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip()
    if not token or len(token) > 200:
        return problem(401, "A bearer token is needed.")
    digest = hashlib.sha256(token.encode()).hexdigest()
    conn = connection()
    with conn.cursor() as cur:
        found = cur.execute(
            "SELECT id, organisation_id, scopes, revoked_at, token_hash FROM api_clients"
            " WHERE token_hash = %s",
            (digest,),
        ).fetchone()
        if found is None or not hmac.compare_digest(found[4], digest) or found[3] is not None:
            conn.rollback()
            return problem(401, "The token is not valid.")
        api_client, organisation_id, scopes = found[0], found[1], found[2]
        if "assessments:write" not in scopes:
            conn.rollback()
            return problem(403, "The token lacks the scope assessments:write.")
        if _over_limit(api_client):
            conn.rollback()
            return problem(429, "Too many requests.")
        raw = request.get_data()
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
            conn.rollback()
            return problem(422, "The body is not an assessment.")
        key = request.headers.get("Idempotency-Key")
        fingerprint = hashlib.sha256(raw).hexdigest()
        if key is not None:
            seen = cur.execute(
                "SELECT fingerprint, response_status, response_body, response_headers"
                " FROM api_idempotency_keys WHERE api_client_id = %s AND key = %s",
                (api_client, key),
            ).fetchone()
            if seen is not None:
                conn.rollback()
                if seen[0] != fingerprint:
                    return problem(422, "This Idempotency-Key was used with another body.")
                return Response(
                    seen[2], status=seen[1], headers=seen[3], mimetype="application/json"
                )
        try:
            client_id = uuid.UUID(str(body.get("client_id")))
        except ValueError:
            conn.rollback()
            return problem(422, "There is no client record with this id.")
        person = cur.execute(PERSON, (organisation_id, client_id)).fetchone()
        if person is None or person[1] in ("declined", "withdrawn"):
            conn.rollback()
            return problem(404, "There is no client record with this id that you may assess.")
        prepared = READY["prepared"]
        answers = prepared.questionnaire.prune(body["answers"])
        errors = prepared.questionnaire.validate(answers, complete=True)
        if errors:
            conn.rollback()
            return problem(422, "The answers are not valid.")
        outcome = prepared.ruleset.evaluate(answers).to_dict()
        wanted = outcome.get("services", [])
        services = {
            slug: (service_id, org, active)
            for service_id, slug, org, active in cur.execute(
                "SELECT id, slug, organisation_id, active FROM services WHERE slug = ANY(%s)",
                ([entry["service"] for entry in wanted],),
            )
        }
        if any(not services.get(entry["service"], (0, 0, False))[2] for entry in wanted):
            conn.rollback()
            return problem(422, "The decision refers to a service that is not set up.")
        now = datetime.now(UTC)
        assessment_id, decision_id = uuid.uuid4(), uuid.uuid4()
        referrals = [
            (
                uuid.uuid4(),
                services[entry["service"]],
                entry.get("priority", outcome["priority"]),
                entry.get("urgency", "routine"),
                entry["service"],
            )
            for entry in wanted
        ]
        with conn.pipeline():
            cur.execute(
                "INSERT INTO assessments (id, client_id, questionnaire_version_id, status, answers,"
                " organisation_id, created_at, updated_at, submitted_at, version)"
                " VALUES (%s, %s, %s, 'submitted', %s, %s, %s, %s, %s, 1)",
                (
                    *(assessment_id, client_id, READY["version_id"], Jsonb(answers)),
                    *(organisation_id, now, now, now),
                ),
            )
            cur.execute(
                "INSERT INTO decisions (id, assessment_id, kind, ruleset, computed_route,"
                " computed_priority, route, priority, outcome, created_at)"
                " VALUES (%s, %s, 'submission', %s, %s, %s, %s, %s, %s, %s)",
                (
                    *(decision_id, assessment_id, READY["ruleset"], outcome["route"]),
                    *(outcome["priority"], outcome["route"], outcome["priority"]),
                    *(Jsonb(outcome), now),
                ),
            )
            if referrals:
                cur.executemany(
                    "INSERT INTO referrals (id, assessment_id, decision_id, client_id, service_id,"
                    " organisation_id, status, priority, urgency, created_at, version)"
                    " VALUES (%s, %s, %s, %s, %s, %s, 'pending', %s, %s, %s, 1)",
                    [
                        (
                            *(ref, assessment_id, decision_id, client_id, service[0]),
                            *(service[1], priority, urgency, now),
                        )
                        for ref, service, priority, urgency, _slug in referrals
                    ],
                )
        document = {
            "id": str(assessment_id),
            "client_id": str(client_id),
            "questionnaire": QUESTIONNAIRE,
            "version": READY["version"],
            "status": "submitted",
            "answers": answers,
            "decision": {
                "id": str(decision_id),
                "route": outcome["route"],
                "priority": outcome["priority"],
                "ruleset": READY["ruleset"],
                "outcome": outcome,
            },
            "referrals": [
                {"id": str(ref), "service": slug, "priority": priority, "urgency": urgency}
                for ref, _service, priority, urgency, slug in referrals
            ],
            "submitted_at": now.isoformat(),
        }
        text = json.dumps(document)
        headers = {
            "ETag": f'"{hashlib.sha256(text.encode()).hexdigest()[:32]}"',
            "Location": f"/api/v1/assessments/{assessment_id}",
        }
        append_event(
            cur,
            {
                "occurred_at": now,
                "user_id": None,
                "organisation_id": organisation_id,
                "actor": f"api:{api_client}",
                "action": "assessment.submit",
                "record_type": "assessment",
                "record_id": str(assessment_id),
                "client_id": str(client_id),
                "address": (request.remote_addr or "")[:64],
                "detail": {
                    "actions": ["client.view", "assessment.start", "assessment.submit"]
                    + ["decision.create"]
                    + ["referral.create"] * len(referrals),
                    "decision": str(decision_id),
                    "route": outcome["route"],
                    "priority": outcome["priority"],
                    "referrals": [str(ref) for ref, *_rest in referrals],
                },
            },
        )
        if key is not None:
            cur.execute(
                "INSERT INTO api_idempotency_keys (api_client_id, key, fingerprint, state,"
                " response_status, response_body, response_headers, created_at)"
                " VALUES (%s, %s, %s, 'done', 201, %s, %s, %s)",
                (api_client, key, fingerprint, text, Jsonb(headers), now),
            )
    conn.commit()
    return Response(text, status=201, headers=headers, mimetype="application/json")


PAGE = Environment(autoescape=True).from_string(
    """<!DOCTYPE html>
<html lang="en" class="govuk-template"><head><meta charset="utf-8">
<title>{{ section.title }} - Assessment</title>
<link rel="stylesheet" href="/static/dist/app.css"></head>
<body class="govuk-template__body">
<header class="govuk-header"><div class="govuk-header__container govuk-width-container">
<a href="/" class="govuk-header__link">Assessments</a><span>{{ user }}</span></div></header>
<div class="govuk-width-container"><main class="govuk-main-wrapper" id="main-content">
<h1 class="govuk-heading-l">{{ section.title }}</h1>
<form method="post" novalidate>
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<input type="hidden" name="version" value="{{ version }}">
{% for name, question in section.properties.items() %}
<div class="govuk-form-group">
{% if question.oneOf %}
<fieldset class="govuk-fieldset">
<legend class="govuk-fieldset__legend">{{ question.title }}</legend>
{% if question['x-hint'] %}<div class="govuk-hint">{{ question['x-hint'] }}</div>{% endif %}
<div class="govuk-radios">{% for choice in question.oneOf %}
<div class="govuk-radios__item"><input class="govuk-radios__input" id="{{ name }}-{{ loop.index }}"
 name="{{ name }}" type="radio" value="{{ choice.const }}"
 {% if saved.get(name) == choice.const %}checked{% endif %}>
<label class="govuk-label govuk-radios__label" for="{{ name }}-{{ loop.index }}">
{{ choice.title }}</label></div>
{% endfor %}</div></fieldset>
{% else %}
<label class="govuk-label" for="{{ name }}">{{ question.title }}</label>
<input class="govuk-input" id="{{ name }}" name="{{ name }}" value="{{ saved.get(name, '') }}">
{% endif %}
</div>
{% endfor %}
<button class="govuk-button" type="submit">Save and continue</button>
</form></main></div>
<footer class="govuk-footer"></footer></body></html>"""
)


@app.get("/assessments/<assessment_id>/sections/<section>")
def section_page(assessment_id: str, section: str) -> Response:
    cookie = _cookies.open_session(app, request)
    token = cookie.get("_user_id") if cookie else None
    if not token:
        return Response(status=302, headers={"Location": "/sign-in"})
    conn = connection()
    with conn.cursor() as cur:
        found = cur.execute(
            "SELECT u.id, u.name, u.organisation_id, u.active, s.created_at, s.last_seen_at"
            " FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = %s",
            (hashlib.sha256(str(token).encode()).hexdigest(),),
        ).fetchone()
        now = datetime.now(UTC)
        if (
            found is None
            or not found[3]
            or now - found[5] > READY["idle"]
            or now - found[4] > READY["absolute"]
        ):
            conn.rollback()
            return Response(status=302, headers={"Location": "/sign-in"})
        user_id, user_name, organisation_id = found[0], found[1], found[2]
        try:
            key = uuid.UUID(assessment_id)
        except ValueError:
            conn.rollback()
            return Response(status=404)
        draft = cur.execute(DRAFT, (organisation_id, key)).fetchone()
        document = READY["document"]["properties"].get(section)
        if (
            draft is None
            or draft[5] in ("declined", "withdrawn")
            or draft[3] != organisation_id
            or document is None
        ):
            conn.rollback()
            return Response(status=404)
        append_event(
            cur,
            {
                "occurred_at": now,
                "user_id": user_id,
                "organisation_id": organisation_id,
                "actor": f"user:{user_id}",
                "action": "assessment.view",
                "record_type": "assessment",
                "record_id": str(key),
                "client_id": str(draft[4]),
                "address": (request.remote_addr or "")[:64],
                "detail": {},
            },
        )
    conn.commit()
    csrf = hmac.new(app.secret_key.encode(), str(token).encode(), "sha256").hexdigest()
    html = PAGE.render(
        section=document,
        saved=(draft[0] or {}).get(section) or {},
        version=draft[1],
        csrf=csrf,
        user=user_name,
    )
    return Response(html, mimetype="text/html")
