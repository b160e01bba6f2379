"""Two identical POSTs with one Idempotency-Key, at the same moment, make one assessment.

This needs real concurrency against a committed database, which the per-test SAVEPOINT cannot
give: the test builds its own database (a SQLite file, or a scratch PostgreSQL database when
the suite runs on PostgreSQL), runs two threads with their own app contexts, and drops it.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

from sqlalchemy import func, select

from assessment_engine.api.tokens import create_api_client
from assessment_engine.assessments.models import Assessment, Referral
from assessment_engine.extensions import db
from assessment_engine.kernel.actor import Actor
from assessment_engine.partners.services import get_organisation
from assessment_engine.records import services as records

from .conftest import EXAMPLES


def test_two_identical_concurrent_posts_create_one_assessment(scratch_app: Any) -> None:
    app = scratch_app(API_RATE_LIMIT="1000 per minute")
    with app.app_context():
        tayside = get_organisation(db.session, "nhs-tayside")
        person = records.create_client(
            db.session,
            Actor.command_line(tayside.id),
            records.ClientDetails(
                chi="1904851231",
                given_name="Morag",
                family_name="McDonald",
                date_of_birth=__import__("datetime").date(1985, 4, 19),
            ),
        )
        token = create_api_client(db.session, tayside, "GP system").token
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
