"""Two identical POSTs with one Idempotency-Key, at the same moment, make one assessment.

This needs real concurrency against a committed database, which the per-test SAVEPOINT cannot
give: the test builds its own database (a SQLite file, or a scratch PostgreSQL database when
the suite runs on PostgreSQL), runs two threads with their own app contexts, and drops it.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from assessment_engine import create_app
from assessment_engine.api.tokens import create_api_client
from assessment_engine.assessments.models import Assessment, Referral
from assessment_engine.auth.actor import Actor
from assessment_engine.extensions import db
from assessment_engine.partners.models import OrganisationKind
from assessment_engine.partners.services import ensure_organisation, ensure_service
from assessment_engine.questionnaires.services import load_directory
from assessment_engine.records import services as records

from .conftest import EXAMPLES, FORM_SCHEMAS


@pytest.fixture()
def scratch_url(tmp_path: Path) -> Iterator[str]:
    url = os.environ.get("ASSESSMENT_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path}/concurrency.db"
        return
    base = make_url(url).set(drivername="postgresql+psycopg")
    name = f"{base.database}_api_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_two_identical_concurrent_posts_create_one_assessment(scratch_url: str) -> None:
    from flask_migrate import upgrade

    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": scratch_url,
            "SECRET_KEY": "k" * 32,
            "API_RATE_LIMIT": "1000 per minute",
        }
    )
    with app.app_context():
        upgrade()
        orgs = {}
        for entry in json.loads((FORM_SCHEMAS / "services.json").read_text("utf-8")):
            slug = entry["organisation"]
            if slug not in orgs:
                orgs[slug], _ = ensure_organisation(
                    db.session, slug=slug, name=slug, kind=OrganisationKind(entry["kind"])
                )
            ensure_service(
                db.session,
                slug=entry["slug"],
                name=entry["name"],
                organisation=orgs[slug],
                kind=OrganisationKind(entry["kind"]),
            )
        load_directory(db.session, FORM_SCHEMAS, app.extensions["assessment_rules"])
        person = records.create_client(
            db.session,
            Actor.command_line(orgs["nhs-tayside"].id),
            records.ClientDetails(
                chi="1904851231",
                given_name="Morag",
                family_name="McDonald",
                date_of_birth=__import__("datetime").date(1985, 4, 19),
            ),
        )
        token = create_api_client(db.session, orgs["nhs-tayside"], "GP system").token
        client_id = str(person.id)
        db.session.commit()

    body = {
        "client_id": client_id,
        "questionnaire": "joint-assessment",
        "answers": json.loads((EXAMPLES / "carer-under-strain.json").read_text("utf-8")),
        "status": "submitted",
    }
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    start = threading.Barrier(2)
    results: list[Any] = [None, None]

    def send(index: int) -> None:
        with app.app_context():
            http = app.test_client()
            start.wait()
            response = http.post("/api/v1/assessments", json=body, headers=headers)
            results[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        statuses = sorted(status for status, _body in results)
        assert statuses in ([201, 201], [201, 409]), results
        created = [body for status, body in results if status == 201]
        assert all(each == created[0] for each in created)
        # And a retry after both have finished gets the first response.
        with app.app_context():
            retry = app.test_client().post("/api/v1/assessments", json=body, headers=headers)
            assert retry.status_code == 201 and retry.get_json() == created[0]
            assert db.session.scalar(select(func.count()).select_from(Assessment)) == 1
            services = len(created[0]["decision"]["services"])
            assert db.session.scalar(select(func.count()).select_from(Referral)) == services
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
