"""The access policy alone: plain facts in, a decision out."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from assessment_engine.kernel import policy
from assessment_engine.kernel.policy import ActorFacts, ActorKind, Level, RecordFacts, Sharing

OWN, OTHER = 1, 2
USER, SYSTEM = ActorKind.USER, ActorKind.PARTNER_SYSTEM


def _decide(kind: ActorKind, role: str | None, sharing: Sharing, glass: bool = False):
    return policy.decide(ActorFacts(kind, OTHER, role, glass), RecordFacts(OWN, sharing))


@pytest.mark.parametrize("sharing", [Sharing.NO_VIEW, Sharing.AGREED])
@pytest.mark.parametrize(
    ("kind", "role"), [(USER, "assessor"), (USER, "team_manager"), (SYSTEM, None)]
)
def test_shared_records_give_the_content(kind, role, sharing) -> None:
    decision = _decide(kind, role, sharing)
    assert decision.level is Level.CONTENT and not decision.restricted
    assert decision.may_write_record
    assert decision.may_start_assessment is (role != "team_manager")
    assert decision.audit_detail() == {"shown": "content"}


@pytest.mark.parametrize("sharing", [Sharing.DECLINED, Sharing.WITHDRAWN])
@pytest.mark.parametrize(
    ("kind", "role"), [(USER, "assessor"), (USER, "team_manager"), (SYSTEM, None)]
)
def test_declined_and_withdrawn_give_the_identity_and_no_write(kind, role, sharing) -> None:
    decision = _decide(kind, role, sharing)
    assert decision.level is Level.IDENTITY and decision.restricted
    assert not decision.may_write_record and not decision.may_start_assessment
    assert decision.reason == sharing.value
    assert decision.audit_detail() == {"shown": "identity", "restricted": True}
    broken = _decide(kind, role, sharing, glass=True)
    assert broken.level is Level.CONTENT and broken.break_glass


@pytest.mark.parametrize("sharing", list(Sharing))
def test_administrators_know_the_identity_only_and_write_nothing(sharing) -> None:
    decision = _decide(USER, "administrator", sharing, glass=True)
    assert decision.level is Level.IDENTITY
    assert not decision.may_write_record and not decision.may_start_assessment
    assert policy.may_read_access_log(ActorFacts(USER, OTHER, "administrator"), RecordFacts(OWN))


def test_an_unknown_role_gets_nothing() -> None:
    assert _decide(USER, "visitor", Sharing.NO_VIEW).level is Level.NOTHING
    assert _decide(USER, None, Sharing.NO_VIEW).level is Level.NOTHING


def test_a_draft_is_changed_only_by_its_organisation_s_assessors_and_systems() -> None:
    record = RecordFacts(OWN)
    draft = policy.AssessmentFacts(OWN, draft=True)
    own_assessor = ActorFacts(USER, OWN, "assessor")
    assert policy.may_change_assessment(own_assessor, record, draft)
    assert policy.may_change_assessment(ActorFacts(SYSTEM, OWN), record, draft)
    assert not policy.may_change_assessment(ActorFacts(USER, OTHER, "assessor"), record, draft)
    assert not policy.may_change_assessment(ActorFacts(USER, OWN, "team_manager"), record, draft)
    submitted = policy.AssessmentFacts(OWN, draft=False)
    assert not policy.may_change_assessment(own_assessor, record, submitted)
    declined = RecordFacts(OWN, Sharing.DECLINED)
    assert not policy.may_change_assessment(own_assessor, declined, draft)


def test_the_policy_imports_only_the_standard_library() -> None:
    source = Path(policy.__file__).read_text("utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "the policy imports nothing of the package"
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "enum", "dataclasses"}
