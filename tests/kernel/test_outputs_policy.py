"""Who sees which outputs figures, and that a partnership lead knows nothing of a record."""

from __future__ import annotations

from assessment_engine.kernel import policy
from assessment_engine.kernel.policy import ActorFacts, ActorKind, OutputsScope


def _user(role: str) -> ActorFacts:
    return ActorFacts(ActorKind.USER, 1, role)


def test_outputs_scope_by_role() -> None:
    assert policy.outputs_scope(_user("team_manager")) is OutputsScope.ORGANISATION
    assert policy.outputs_scope(_user("partnership_lead")) is OutputsScope.PARTNERSHIP
    assert policy.outputs_scope(_user("assessor")) is OutputsScope.NONE
    assert policy.outputs_scope(_user("administrator")) is OutputsScope.NONE
    system = ActorFacts(ActorKind.PARTNER_SYSTEM, 1)
    assert policy.outputs_scope(system) is OutputsScope.ORGANISATION
    assert policy.outputs_scope(ActorFacts(ActorKind.COMMAND_LINE, 1)) is OutputsScope.NONE


def test_only_a_team_manager_sees_breaches_by_person() -> None:
    assert policy.may_see_breaches_by_person(_user("team_manager"))
    for role in ("partnership_lead", "assessor", "administrator"):
        assert not policy.may_see_breaches_by_person(_user(role))
    assert not policy.may_see_breaches_by_person(ActorFacts(ActorKind.PARTNER_SYSTEM, 1))


def test_a_partnership_lead_knows_nothing_of_a_record() -> None:
    decided = policy.decide(_user("partnership_lead"), policy.RecordFacts(1))
    assert decided.level is policy.Level.NOTHING
    assert not decided.may_write_record and not decided.may_start_assessment
