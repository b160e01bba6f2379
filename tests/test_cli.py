"""The command-line contract of api.md and issue 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from assessment_engine.assessments.models import Decision, Referral
from assessment_engine.auth.models import User
from assessment_engine.demo import ASSESSMENTS, SUPPORT_STAGES
from assessment_engine.kernel.models import AuditEvent
from assessment_engine.questionnaires.services import find_version
from assessment_engine.records.models import Client

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def runner(app, db_session):
    return app.test_cli_runner()


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_demo_creates_partners_users_and_people_once(runner, db_session) -> None:
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Demo sign-in" in first.output
    for slug_email in (
        "sam.reid@pkc.example",
        "priya.shah@tayside.example",
        "jo.bell@communitylink.example",
        "kirsty.lennox@pkc.example",
        "alex.morgan@pkc.example",
    ):
        assert slug_email in first.output
    assert "submitted a joint assessment: Health and social care, priority Critical" in first.output
    for stage in ("started", "review due", "review overdue", "reduced"):
        assert f"home care: support {stage}" in first.output
    counts = [_count(db_session, model) for model in (User, Client, Decision, Referral)]
    # Every demo assessment, and the reassessment of the "reduced" review, decided; every
    # partner's queue has work in it.
    reassessed = list(SUPPORT_STAGES.values()).count("reduced")
    assert counts[2] == len(ASSESSMENTS) + reassessed and counts[3] > 5
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert "Created" not in second.output and "submitted" not in second.output
    assert "joint-assessment version 1: unchanged" in second.output
    assert [_count(db_session, model) for model in (User, Client, Decision, Referral)] == counts


def test_demo_has_an_assessor_and_team_manager_in_each_partner_and_an_administrator(
    runner, db_session
) -> None:
    from assessment_engine.partners.models import Service

    home_care = db_session.scalar(select(Service).where(Service.slug == "home-care"))
    home_care.team_email = ""  # as on a database from before team addresses
    db_session.flush()
    runner.invoke(args=["demo"])
    # Filled from services.json through the administrators' setter: checked and audited.
    db_session.refresh(home_care)
    assert home_care.team_email == "team-4102@pkc.example"
    filled = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "service.team_email", AuditEvent.record_id == str(home_care.id)
        )
    ).all()
    assert [event.actor for event in filled] == ["system:demo"]
    roles = db_session.execute(
        select(User.role, User.organisation_id).where(User.email.like("%.example"))
    ).all()
    by_org: dict[int, set[str]] = {}
    for role, org in roles:
        by_org.setdefault(org, set()).add(role.value)
    assert all({"assessor", "team_manager"} <= r for r in by_org.values()) and len(by_org) >= 3
    assert any("administrator" in r for r in by_org.values())


def test_demo_refuses_to_run_in_production(app, runner) -> None:
    app.config["ENV"] = "production"
    try:
        result = runner.invoke(args=["demo"])
    finally:
        app.config["ENV"] = "testing"
    assert result.exit_code != 0 and "well-known passwords" in result.output


def test_create_user(runner, db_session) -> None:
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "New.Nurse@Tayside.example",
            "--name",
            "New Nurse",
            "--org",
            "nhs-tayside",
            "--role",
            "assessor",
            "--password",
            "a long enough password",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User).where(User.email == "new.nurse@tayside.example"))
    assert user.check_password("a long enough password")
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nowhere"], "no organisation with the slug 'nowhere'"),
        (["--password", "short"], "12 characters or more"),
    ],
)
def test_create_user_refuses_bad_input(runner, args, message) -> None:
    base = {
        "--email": "x@y.example",
        "--name": "X",
        "--org": "nhs-tayside",
        "--role": "assessor",
        "--password": "a long enough password",
    }
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = runner.invoke(args=["create-user", *[v for kv in base.items() for v in kv]])
    assert result.exit_code != 0 and message in result.output


def test_load_schemas_is_idempotent(runner) -> None:
    result = runner.invoke(args=["load-schemas"])
    assert result.exit_code == 0, result.output
    assert "phq-9 version 1: unchanged" in result.output


def _copy_schemas(tmp_path: Path) -> Path:
    target = tmp_path / "form_schemas"
    shutil.copytree(ROOT / "form_schemas", target)
    return target


def test_load_schemas_publishes_through_the_audited_path(runner, db_session, tmp_path) -> None:
    """A version loaded from files is published as the editor publishes: audited, by the system."""
    schemas = _copy_schemas(tmp_path)
    folder = schemas / "gad-7"
    document = json.loads((folder / "v2.json").read_text())
    document["$id"] = document["$id"].replace("v2.json", "v3.json")
    document["title"] = "GAD-7, third edition"
    (folder / "v3.json").write_text(json.dumps(document, indent=2))
    for part in ("rules", "cases"):
        shutil.copy(folder / f"v2.{part}.json", folder / f"v3.{part}.json")
    result = runner.invoke(args=["load-schemas", "--dir", str(schemas)])
    assert result.exit_code == 0, result.output
    assert "gad-7 version 3: loaded and published" in result.output
    version = find_version(db_session, "gad-7", 3, drafts=False)
    assert version is not None and version.title == "GAD-7, third edition"
    events = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "questionnaire.publish", AuditEvent.record_id == str(version.id)
        )
    ).all()
    assert [(e.actor, e.organisation_id, e.detail["checksum"]) for e in events] == [
        ("system:load-schemas", None, version.checksum)
    ]
    again = runner.invoke(args=["load-schemas", "--dir", str(schemas)])
    assert "gad-7 version 3: unchanged" in again.output
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "questionnaire.publish",
                AuditEvent.record_id == str(version.id),
            )
        )
        == 1
    )


def test_load_schemas_refuses_an_invalid_document_with_file_and_pointer(runner, tmp_path) -> None:
    schemas = _copy_schemas(tmp_path)
    path = schemas / "gad-7" / "v2.json"
    document = json.loads((schemas / "gad-7" / "v1.json").read_text())
    document["$id"] = document["$id"].replace("v1.json", "v2.json")
    first_section = next(iter(document["properties"]))
    document["properties"][first_section]["type"] = "strng"
    path.write_text(json.dumps(document, indent=2))
    result = runner.invoke(args=["load-schemas", "--dir", str(schemas)])
    assert result.exit_code == 1
    assert "gad-7/v2.json" in result.output
    assert f"/properties/{first_section}/type" in result.output
    assert "Nothing was loaded" in result.output


def test_load_schemas_refuses_malformed_json(runner, tmp_path) -> None:
    schemas = _copy_schemas(tmp_path)
    (schemas / "phq-9" / "v2.json").write_text('{"title": "broken",')
    result = runner.invoke(args=["load-schemas", "--dir", str(schemas)])
    assert result.exit_code == 1 and "phq-9/v2.json" in result.output


def test_load_schemas_refuses_to_change_a_published_version(runner, tmp_path) -> None:
    schemas = _copy_schemas(tmp_path)
    path = schemas / "gad-7" / "v1.json"
    document = json.loads(path.read_text())
    document["description"] = "Changed after publication"
    path.write_text(json.dumps(document))
    result = runner.invoke(args=["load-schemas", "--dir", str(schemas)])
    assert result.exit_code == 1
    assert "already published and can never change; save your changes as v3.json" in result.output


def test_load_schemas_refuses_failing_rule_cases(runner, tmp_path) -> None:
    schemas = _copy_schemas(tmp_path)
    path = schemas / "phq-9" / "v1.cases.json"
    cases = json.loads(path.read_text())
    cases["cases"][0]["expect"]["priority"] = (
        "critical" if (cases["cases"][0]["expect"].get("priority") != "critical") else "low"
    )
    path.write_text(json.dumps(cases))
    result = runner.invoke(args=["load-schemas", "--dir", str(schemas)])
    assert result.exit_code == 1 and "phq-9/v1.cases.json" in result.output


def test_check_rules_runs_every_case(runner) -> None:
    result = runner.invoke(args=["check-rules"])
    assert result.exit_code == 0, result.output
    assert "joint-assessment version 1" in result.output and " 0 failed" in result.output
    assert "PASS" in result.output


def test_check_rules_validates_every_case_against_its_questionnaire(runner, tmp_path) -> None:
    """Version 1's known invalid cases are exempt by name; any other refused given fails."""
    schemas = _copy_schemas(tmp_path)
    (schemas / "phq-9" / "v1.cases-exempt.json").unlink()
    result = runner.invoke(args=["check-rules", "--dir", str(schemas)])
    assert result.exit_code == 1
    assert (
        "FAIL Unanswered item 9 does not raise the self-harm flag (/cases/13): given "
        "/phq9/item9 is refused by the questionnaire: Select an answer"
    ) in result.output
    assert " 3 failed" in result.output  # the three PHQ-9 version 1 cases, nothing else


def test_every_bundled_case_is_valid_or_named_as_exempt(app) -> None:
    from assessment_engine.questionnaires.catalogue import load_directory

    catalogue = load_directory(ROOT / "form_schemas")
    refused = {}
    for key, version in catalogue:
        cases = json.loads((ROOT / "form_schemas" / key / f"v{version}.cases.json").read_text())
        for case in cases["cases"]:
            if catalogue.get(key, version).refused_case_answers(case["given"]):
                refused.setdefault(f"{key}@{version}", []).append(case["name"])
    exempt = {
        f"{path.parent.name}@{path.name[1]}": [
            e["name"] for e in json.loads(path.read_text())["exempt"]
        ]
        for path in (ROOT / "form_schemas").glob("*/v*.cases-exempt.json")
    }
    assert refused == exempt
    assert sorted((key, len(names)) for key, names in exempt.items()) == [
        ("gad-7@1", 1),
        ("joint-assessment@1", 3),
        ("phq-9@1", 3),
    ]
