"""The printable copy: the person's copy leaves out what could put them at risk, the file copy
keeps it; the PDF names the person on every page and never the CHI number in its file name;
both are audited as views, never cached, and refused where the sharing rules refuse."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from assessment_engine.db import utcnow
from assessment_engine.kernel.models import AuditEvent
from assessment_engine.questionnaires.models import (
    Questionnaire,
    QuestionnaireVersion,
    VersionStatus,
)

from ..factories import example_answers
from ..records import builders

GUARDED = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://shared-assessment.example/form_schemas/guarded/v1.json",
    "title": "Guarded questionnaire",
    "type": "object",
    "properties": {
        "about": {
            "type": "object",
            "title": "About you",
            "properties": {
                "name": {"type": "string", "title": "Your name", "maxLength": 50},
                "worry": {
                    "type": "string",
                    "title": "Concerns about harm from others",
                    "maxLength": 200,
                    "x-person-copy": False,
                },
            },
            "additionalProperties": False,
        }
    },
    "additionalProperties": False,
}


def _guarded_version(session: Any) -> QuestionnaireVersion:
    version = QuestionnaireVersion(
        questionnaire=Questionnaire(key="guarded", title="Guarded questionnaire"),
        version=1,
        status=VersionStatus.PUBLISHED,
        title="Guarded questionnaire",
        document=GUARDED,
        rules={},
        test_cases=[],
        checksum="1" * 64,
        published_at=utcnow(),
    )
    session.add(version)
    session.flush()
    return version


def _prints(db_session: Any, assessment_id: Any) -> int:
    db_session.expire_all()
    return len(
        db_session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "assessment.print",
                AuditEvent.record_id == str(assessment_id),
            )
        ).all()
    )


def test_the_persons_copy_leaves_out_what_the_questionnaire_marks(
    client: Any, login_as: Any, factories: Any, db_session: Any
) -> None:
    user = login_as("assessor")
    person = factories.client(org=user.organisation.slug)
    row = builders.assessment(
        db_session,
        person,
        user,
        version=_guarded_version(db_session),
        answers={"about": {"name": "Jean", "worry": "Her son takes her pension"}},
    )
    builders.decision(db_session, row)
    db_session.commit()
    response = client.get(f"/assessments/{row.id}/print")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "The person&#39;s copy" in html and "Jean" in html
    assert "Her son takes her pension" not in html
    assert "Concerns about harm from others" not in html
    assert person.display_name in html and person.chi_display in html
    file_copy = client.get(f"/assessments/{row.id}/print?copy=file").get_data(as_text=True)
    assert "Her son takes her pension" in file_copy  # kept for the file
    assert client.get(f"/assessments/{row.id}/print?copy=anyone").status_code == 404
    assert _prints(db_session, row.id) == 2


def test_the_pdf_names_the_person_on_every_page(
    app: Any, client: Any, login_as: Any, factories: Any, db_session: Any
) -> None:
    from pypdf import PdfReader

    user = login_as("assessor")
    person = factories.client(org=user.organisation.slug)
    submitted = factories.submitted(app, example_answers("carer-under-strain"), user, person)
    response = client.get(f"/assessments/{submitted.id}/print.pdf?copy=file")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert (
        disposition.startswith('attachment; filename="assessment-')
        and "-file-copy.pdf" in disposition
    )
    assert person.chi not in disposition and person.family_name not in disposition
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]
    assert len(pages) > 1
    heading = f"{person.display_name}, CHI {person.chi_display}"
    assert all(heading in text for text in pages), [text[:80] for text in pages]
    everything = " ".join(pages)
    assert "Keeping Tam at home" in everything  # the person's own words
    assert "Signatures" in everything and f"of {len(pages)}" in pages[-1]
    assert _prints(db_session, submitted.id) == 1
    # Sharing declined with this organisation: the PDF is refused like the page (404).
    recorder = factories.user("assessor", org="nhs-tayside")
    builders.decline_sharing(db_session, person, recorder, user.organisation)
    db_session.commit()
    assert client.get(f"/assessments/{submitted.id}/print.pdf").status_code == 404


def test_the_pdf_reads_the_apps_static_files_and_nothing_else(app: Any) -> None:
    import pytest

    from assessment_engine.assessments.printing import static_fetcher

    fetch = static_fetcher(str(app.static_folder), str(app.static_url_path))
    found = fetch("http://localhost/static/dist/app.css")
    assert found["mime_type"] == "text/css" and b"govuk" in found["string"]
    for url in (
        "file:///etc/passwd",
        "http://localhost/static/../../../../etc/passwd",
        "http://localhost/static/%2e%2e/config.py",
        "http://localhost/api/v1/clients",
        "data:text/css,body{}",
        "http://localhost/static/dist/no-such-file.css",
    ):
        with pytest.raises(ValueError, match="not one of the app's static files"):
            fetch(url)
