"""The charts are drawn once for the same numbers (a process's bounded cache) and drawn again
when a number changes: the image always shows the table's numbers."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

from assessment_engine.assessments.clock import uk_today
from assessment_engine.kernel.actor import Actor
from assessment_engine.reports.charts import _drawn, charts
from assessment_engine.reports.outputs import Filters, outputs


def _svg(source: str) -> str:
    return base64.b64decode(source.split(",", 1)[1]).decode()


def test_the_same_numbers_are_drawn_once_and_new_numbers_again(
    db_session: Any, world: dict[str, Any]
) -> None:
    today = uk_today()
    found = outputs(db_session, Actor.for_user(world["manager"]), Filters(today, today), today)
    _drawn.cache_clear()
    first = charts(found)
    assert _drawn.cache_info().misses == len(first) == 5
    again = charts(found)
    assert _drawn.cache_info().hits == 5
    assert {k: c.source for k, c in again.items()} == {k: c.source for k, c in first.items()}
    # One more assessment submitted this month: the activity chart shows the new number.
    activity = found.table("activity")
    month, started, submitted, *rest = activity.rows[-1]
    assert isinstance(submitted, int)
    changed = replace(activity, rows=[*activity.rows[:-1], [month, started, submitted + 7, *rest]])
    found.tables["activity"] = changed
    redrawn = charts(found)
    assert f">{submitted + 7}<" in _svg(redrawn["activity"].source)
    assert f">{submitted + 7}<" not in _svg(first["activity"].source)
    assert redrawn["routes"].source == first["routes"].source


def test_a_chart_with_nothing_to_draw_says_so_within_its_width() -> None:
    # Every month's share suppressed ("-"): pygal's own 64px message ran off both sides.
    svg = _svg(
        _drawn("line", (), "The community route's share", ("2026-11", "2026-12"), (None,) * 2)
    )
    assert "Nothing to draw here: see the table" in svg
    assert ".no_data{" in svg.replace(" ", "")
    no_data_style = svg.replace(" ", "").split(".no_data{", 1)[1].split("}", 1)[0]
    assert "font-size:18px" in no_data_style
