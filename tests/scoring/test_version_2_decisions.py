"""Version 2 of the bundled questionnaires' rules: falls counted within six months of the
assessment's own date, PHQ-9 and GAD-7 prorated with one or two items unanswered (and the
decision saying so), and an unanswered PHQ-9 item 9 never giving a lower priority than an
answered item 9 of 1."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment_engine.scoring.compiler import CompiledRuleset
from assessment_engine.scoring.outcomes import Priority

from .conftest import FORM_SCHEMAS

Bundled = Callable[..., CompiledRuleset]
EXAMPLE = FORM_SCHEMAS / "joint-assessment" / "examples" / "loneliness-and-daily-living-only.json"
RANK = {priority: rank for rank, priority in enumerate(Priority)}  # critical first


def joint(**sections: Any) -> dict[str, Any]:
    answers: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    for name, value in sections.items():
        answers[name] = {**answers[name], **value}
    return answers


def falls(assessment_date: str, *dates: str, count: int = 1) -> dict[str, Any]:
    answers = joint(
        falls={
            "fallen": True,
            "falls_count": count,
            "falls_events": [{"date": d, "injured": False, "getting_up": "alone"} for d in dates],
        }
    )
    answers["about"]["assessment_date"] = assessment_date
    return answers


@pytest.mark.parametrize(
    ("dates", "repeat"),
    [
        (("2025-05-20", "2023-04-01"), False),  # the reported case: one fall two years ago
        (("2025-05-20", "2025-01-10"), True),
        (("2025-05-20", "2024-12-02"), True),  # 183 days before: within six months
        (("2025-05-20", "2024-12-01"), False),  # 184 days before
        (("2025-06-03", "2025-06-03"), True),  # both on the day of the assessment
        (("2023-05-20", "2023-01-10"), False),  # two falls, both long ago
    ],
)
def test_repeat_falls_counts_only_falls_in_the_six_months_before_the_assessment(
    bundled: Bundled, dates: tuple[str, ...], repeat: bool
) -> None:
    decision = bundled("joint-assessment", 2).evaluate(falls("2025-06-03", *dates))
    assert ("repeat_falls" in decision.flags) is repeat
    assert ("falls-service" in decision.service_slugs) is repeat
    trace = next(entry for entry in decision.trace if entry.rule == "repeat-falls")
    assert trace.inputs["/about/assessment_date"] == "2025-06-03"
    assert "six months before the assessment (2025-06-03)" in trace.because


def test_version_1_still_counts_every_fall_described_as_it_was_published(
    bundled: Bundled,
) -> None:
    decision = bundled("joint-assessment", 1).evaluate(
        falls("2025-06-03", "2025-05-20", "2023-04-01")
    )
    assert "repeat_falls" in decision.flags  # the behaviour version 2 corrects


def test_the_number_of_falls_given_still_counts_on_its_own(bundled: Bundled) -> None:
    decision = bundled("joint-assessment", 2).evaluate(falls("2025-06-03", count=2))
    assert "repeat_falls" in decision.flags


def test_no_fall_counts_when_the_assessment_date_is_missing(bundled: Bundled) -> None:
    answers = falls("2025-06-03", "2025-05-20", "2025-05-01")
    del answers["about"]["assessment_date"]
    assert "repeat_falls" not in bundled("joint-assessment", 2).evaluate(answers).flags


def phq9(values: list[int | None]) -> dict[str, Any]:
    return {f"item{i + 1}": v for i, v in enumerate(values) if v is not None}


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ([2, 2, 2, 2, 1, 1, 1, None, 0], 12, "moderate"),  # one unanswered: 11 * 9 / 8 = 12.4
        ([2, 2, 2, 1, 1, 1, None, None, 0], 12, "moderate"),  # two unanswered: 9 * 9 / 7
        ([3, 3, 3, 3, 3, 3, 3, None, None], 27, "severe"),
        ([1, 0, 0, 0, 0, 0, 0, None, 0], 1, "minimal"),  # 1 * 9 / 8 = 1.125
        ([1, 1, 1, 1, 0, 0, 0, None, 0], 5, "mild"),  # 4.5 rounds up
    ],
)
@pytest.mark.parametrize("key", ["phq-9", "joint-assessment"])
def test_one_or_two_unanswered_phq9_items_are_prorated_and_the_decision_says_so(
    bundled: Bundled, key: str, values: list[int | None], total: int, band: str
) -> None:
    answers = {"phq9": phq9(values)} if key == "phq-9" else joint(mood={"phq9": phq9(values)})
    decision = bundled(key, 2).evaluate(answers)
    assert decision.scores["phq9_total"] == total
    assert decision.bands["phq9"] == band
    assert "phq9_prorated" in decision.flags
    steps = {entry.rule: entry.because for entry in decision.trace}
    missing = values.count(None)
    assert f"scaled up for {missing} unanswered and rounded to {total}" in steps["phq9-total"]
    assert steps["phq9-prorated"].startswith(f"The PHQ-9 total ({total}) is prorated")


def test_three_unanswered_phq9_items_give_no_total(bundled: Bundled) -> None:
    decision = bundled("phq-9", 2).evaluate({"phq9": phq9([3, 3, 3, 3, 3, None, None, None, 0])})
    assert "phq9_total" not in decision.scores and "phq9" not in decision.bands
    assert "phq9_prorated" not in decision.flags
    steps = {entry.rule: entry.because for entry in decision.trace}
    assert steps["phq9-total"] == (
        "PHQ-9 total not calculated: 3 of 9 questions unanswered, at most 2 allowed"
    )


def test_a_fully_answered_phq9_is_not_prorated(bundled: Bundled) -> None:
    decision = bundled("phq-9", 2).evaluate({"phq9": phq9([1] * 9)})
    assert decision.scores["phq9_total"] == 9 and "phq9_prorated" not in decision.flags


def test_two_unanswered_gad7_items_are_prorated(bundled: Bundled) -> None:
    decision = bundled("gad-7", 2).evaluate({"gad7": {f"item{i}": 2 for i in range(1, 6)}})
    assert decision.scores["gad7_total"] == 14 and decision.bands["gad7"] == "moderate"
    assert "gad7_prorated" in decision.flags
    three = bundled("gad-7", 2).evaluate({"gad7": {f"item{i}": 3 for i in range(1, 5)}})
    assert "gad7_total" not in three.scores


def test_item_9_unanswered_with_everything_else_3_is_critical_and_flagged(
    bundled: Bundled,
) -> None:
    """The reported case: version 1 gave severe, no flag, priority substantial."""
    values: list[int | None] = [3] * 8 + [None]
    old = bundled("phq-9", 1).evaluate({"phq9": phq9(values)})
    assert old.priority is Priority.SUBSTANTIAL and "self_harm_risk" not in old.flags
    new = bundled("phq-9", 2).evaluate({"phq9": phq9(values)})
    assert "self_harm_not_asked" in new.flags and "self_harm_risk" not in new.flags
    assert new.priority is Priority.CRITICAL
    crisis = next(s for s in new.services if s.service == "crisis-mental-health")
    assert crisis.urgency == "same_day"
    steps = {entry.rule: entry.because for entry in new.trace}
    assert "was not asked" in steps["phq9-item9-not-asked"]


def test_item_9_not_asked_is_not_raised_when_the_phq9_was_not_given(bundled: Bundled) -> None:
    decision = bundled("phq-9", 2).evaluate({})
    assert "self_harm_not_asked" not in decision.flags
    assert decision.priority is Priority.NO_RISK


answer = st.integers(min_value=0, max_value=3)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(answer, min_size=8, max_size=8),
    st.one_of(st.none(), st.integers(min_value=0, max_value=7)),
)
@pytest.mark.parametrize("key", ["phq-9", "joint-assessment"])
def test_an_unanswered_item_9_never_gives_a_lower_priority_than_an_item_9_of_1(
    bundled: Bundled, key: str, answered: list[int], left: int | None
) -> None:
    """Over every PHQ-9 the questionnaire accepts with item 9 unanswered (at most one other
    item unanswered too)."""
    values: list[int | None] = list(answered)
    if left is not None:
        values[left] = None

    def decide(item9: int | None) -> Any:
        items = phq9([*values, item9])
        answers = {"phq9": items} if key == "phq-9" else joint(mood={"phq9": items})
        return bundled(key, 2).evaluate(answers)

    unasked, one = decide(None), decide(1)
    assert RANK[unasked.priority] <= RANK[one.priority]
    assert "self_harm_not_asked" in unasked.flags
    assert "self_harm_not_asked" not in one.flags


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), answer), min_size=9, max_size=9))
def test_version_2_totals_follow_the_published_proration(
    bundled: Bundled, values: list[int | None]
) -> None:
    decision = bundled("phq-9", 2).evaluate({"phq9": phq9(values)})
    answered = [v for v in values if v is not None]
    if values.count(None) > 2:
        assert "phq9_total" not in decision.scores
    else:
        assert decision.scores["phq9_total"] == int(sum(answered) * 9 / len(answered) + 0.5)
        assert ("phq9_prorated" in decision.flags) is (len(answered) < 9)


def test_the_joint_examples_decide_the_same_on_both_versions_where_nothing_changed(
    bundled: Bundled,
) -> None:
    for path in sorted((FORM_SCHEMAS / "joint-assessment" / "examples").glob("*.json")):
        answers = json.loads(path.read_text(encoding="utf-8"))
        old = bundled("joint-assessment", 1).evaluate(copy.deepcopy(answers))
        new = bundled("joint-assessment", 2).evaluate(answers)
        assert (new.route, new.priority, new.service_slugs) == (
            old.route,
            old.priority,
            old.service_slugs,
        ), path.name
