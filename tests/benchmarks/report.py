"""One row per measured figure, and the table ``make bench`` prints.

Every benchmark script builds :class:`Row` objects: the figure, the reference measured side by
side in the same run, their ratio and the target. Run alone, a script prints its own table; with
``--json`` it prints its rows as JSON for ``run.py`` to collect into one table.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # scripts are run by path, not as installed modules

#: Marks the JSON line a script prints for run.py, so that other output can come before it.
JSON_MARKER = "BENCH-ROWS "


def scratch_app(folder: str, **config: Any) -> Any:
    """The application on a new SQLite database in ``folder``, migrated and seeded with the
    suite's reference data, as the in-process benchmarks measure it (``config`` added)."""
    from flask_migrate import upgrade

    from assessment_engine import create_app
    from tests.conftest import seed_reference_data

    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": f"sqlite:///{folder}/bench.db",
            "SECRET_KEY": "bench-secret",
            "SIGN_IN_RATE_LIMIT": "1000 per minute",
            **config,
        }
    )
    with app.app_context():
        upgrade()
        seed_reference_data(app)
    return app


def assessor_and_person(
    session: Any, *, email: str, password: str, name: str, person: tuple[str, str, date]
) -> tuple[Any, Any, Any]:
    """A benchmark's set-up: an assessor of Perth and Kinross Council (user, actor) and one
    person on record (given name, family name, date of birth), on a seeded database."""
    from assessment_engine.auth.models import Role
    from assessment_engine.auth.services import create_user
    from assessment_engine.demo import demo_chi
    from assessment_engine.kernel.actor import Actor
    from assessment_engine.partners.services import get_organisation
    from assessment_engine.records import services as records

    user = create_user(
        session,
        email=email,
        name=name,
        password=password,
        organisation=get_organisation(session, "perth-kinross-council"),
        role=Role.ASSESSOR,
    )
    actor = Actor.for_user(user)
    given, family, born = person
    client = records.create_client(
        session,
        actor,
        records.ClientDetails(
            chi=demo_chi(born, 1, True), given_name=given, family_name=family, date_of_birth=born
        ),
    )
    return user, actor, client


@dataclass(frozen=True)
class Row:
    """One figure: ``value`` in ``unit``, against ``reference`` measured in the same run.

    ``ratio`` is value / reference unless given. ``target`` is a sentence ("≥ 50% of echo"),
    ``met`` whether it holds (None when the figure has no target).
    """

    name: str
    value: float
    unit: str
    reference_name: str
    reference: float
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""

    def computed_ratio(self) -> float | None:
        if self.ratio is not None:
            return self.ratio
        return self.value / self.reference if self.reference else None


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_table(rows: Iterable[Row]) -> str:
    """A fixed-width text table (also valid Markdown, for the README)."""
    header = ["figure", "measured", "reference (same run)", "ratio", "target", "met"]
    lines = []
    for row in rows:
        ratio = row.computed_ratio()
        met = "" if row.met is None else ("met" if row.met else "NOT MET")
        lines.append(
            [
                row.name,
                f"{_number(row.value)} {row.unit}",
                f"{row.reference_name}: {_number(row.reference)} {row.unit}"
                if row.reference_name
                else "",
                "" if ratio is None else f"{ratio:.2f}",
                row.target,
                met,
            ]
        )
    widths = [max([len(h), *(len(line[i]) for line in lines)]) for i, h in enumerate(header)]
    out = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    out.extend(
        "| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |"
        for line in lines
    )
    return "\n".join(out)


def emit(rows: list[Row], as_json: bool) -> None:
    """Print the rows: as one JSON line for run.py, or as a table for a person."""
    if as_json:
        print(JSON_MARKER + json.dumps([asdict(row) for row in rows]), flush=True)
    else:
        print(format_table(rows), flush=True)


def parse_rows(output: str) -> list[Row]:
    """The rows a script printed with ``--json`` (the last marked line)."""
    for line in reversed(output.splitlines()):
        if line.startswith(JSON_MARKER):
            return [Row(**item) for item in json.loads(line[len(JSON_MARKER) :])]
    return []
