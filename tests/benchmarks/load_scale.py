"""Fill a scratch PostgreSQL database with a national-sized record, by COPY.

The database is built by the migrations and seeded with the reference data; then one real
assessment per bundled example is submitted through the services (so that every column holds
what the application writes), and those rows are the templates for ``--clients`` people and
``--assessments`` submitted assessments, each with its decision, referrals and audit events
(start, submit, decision, one per referral), the audit chain's hashes computed as the
application does. Loaded in batches, each committed, so a partial load is still consistent.

Run: ``.venv/bin/python tests/benchmarks/load_scale.py --url postgresql+psycopg://postgres@127.0.0.1/bench_scale``
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from report import ROOT, assessor_and_person

EXAMPLES = ROOT / "form_schemas" / "joint-assessment" / "examples"
GIVEN = ["Jean", "Tam", "Morag", "Iain", "Fiona", "Alasdair", "Isla", "Ewan", "Kirsty", "Angus"]
FAMILY = ["MacDonald", "Campbell", "Stewart", "Robertson", "Thomson", "Anderson", "Reid", "Murray"]
ASSESSMENT_COLUMNS = (
    "id, client_id, questionnaire_version_id, status, answers, organisation_id, started_by_id, "
    "created_at, updated_at, submitted_at, submitted_by_id, version"
)
DECISION_COLUMNS = (
    "id, assessment_id, kind, ruleset, computed_route, computed_priority, route, priority, "
    "outcome, created_at, created_by_id"
)
REFERRAL_COLUMNS = (
    "id, assessment_id, decision_id, client_id, service_id, organisation_id, status, priority, "
    "urgency, created_at, version"
)
AUDIT_COLUMNS = (
    "occurred_at, user_id, organisation_id, actor, action, record_type, record_id, client_id, "
    "address, detail, prev_hash, hash"
)


@dataclass
class Template:
    """One real submitted assessment, read back as column values."""

    assessment: dict[str, Any]
    decision: dict[str, Any]
    referrals: list[dict[str, Any]]


def seed(url: str) -> tuple[list[Template], dict[str, Any]]:
    """Migrate, seed, and submit one assessment per example; their rows as templates."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from assessment_engine import create_app
    from assessment_engine.assessments import services as assessments
    from assessment_engine.extensions import db
    from tests.conftest import seed_reference_data

    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": url,
            "SECRET_KEY": "scale",
            # The scale database's own checkpoints, not the development database's file.
            "AUDIT_CHECKPOINT_FILE": "/tmp/assessment-bench-scale-checkpoints.jsonl",
        }
    )
    with app.app_context():
        upgrade()
        seed_reference_data(app)
        user, actor, person = assessor_and_person(
            db.session,
            email="scale@pkc.example",
            password="volume filler passphrase",
            name="Scale Loader",
            person=("Template", "Person", date(1930, 1, 1)),
        )
        version = assessments.latest_published(db.session, "joint-assessment")
        prepared = assessments.prepare_version(
            db.session, app.extensions["assessment_versions"], version
        )
        ids = []
        for path in sorted(EXAMPLES.glob("*.json")):
            answers = json.loads(path.read_text())
            draft = assessments.start_assessment(db.session, actor, person, version, answers)
            assessments.submit(db.session, actor, draft, prepared, expected_version=None)
            ids.append(draft.id)
        db.session.commit()
        templates = []
        for assessment_id in ids:
            row = _row(db.session, "assessments", "id", assessment_id)
            decision = _row(db.session, "decisions", "assessment_id", assessment_id)
            referrals = [
                dict(r._mapping)
                for r in db.session.execute(
                    text("SELECT * FROM referrals WHERE assessment_id = :v"), {"v": assessment_id}
                )
            ]
            templates.append(Template(row, decision, referrals))
        context = {
            "user_id": user.id,
            "organisation_id": user.organisation_id,
            "actor": actor.label,
            "last_hash": db.session.scalar(
                text("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1")
            ),
        }
        db.engine.dispose()
    return templates, context


def _row(session: Any, table: str, column: str, value: Any) -> dict[str, Any]:
    from sqlalchemy import text

    found = session.execute(
        text(f"SELECT * FROM {table} WHERE {column} = :v"),  # noqa: S608 - fixed names
        {"v": value},
    ).first()
    return dict(found._mapping)


class Chain:
    """The audit chain's hashes, computed exactly as records.audit does."""

    def __init__(self, last_hash: str, context: dict[str, Any]) -> None:
        from assessment_engine.kernel.audit import _digest

        self.digest = _digest
        self.last = last_hash
        self.context = context

    def event(
        self, at: datetime, action: str, record_type: str, record_id: Any, client_id: Any, detail
    ) -> tuple[Any, ...]:
        event = SimpleNamespace(
            occurred_at=at,
            actor=self.context["actor"],
            user_id=self.context["user_id"],
            organisation_id=self.context["organisation_id"],
            action=action,
            record_type=record_type,
            record_id=str(record_id),
            client_id=client_id,
            address="",
            detail=detail,
        )
        digest = self.digest(self.last, event)
        row = (
            at,
            self.context["user_id"],
            self.context["organisation_id"],
            self.context["actor"],
            action,
            record_type,
            str(record_id),
            client_id,
            "",
            json.dumps(detail),
            self.last,
            digest,
        )
        self.last = digest
        return row


def load(url: str, clients: int, assessments: int, batch: int) -> None:
    import psycopg

    from assessment_engine.demo import demo_chi

    started = time.perf_counter()
    templates, context = seed(url)
    chain = Chain(context["last_hash"], context)
    rng = random.Random(8)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    answers_json = [json.dumps(t.assessment["answers"]) for t in templates]
    outcome_json = [json.dumps(t.decision["outcome"]) for t in templates]
    now = datetime(2026, 11, 1, tzinfo=UTC)
    client_ids: list[uuid.UUID] = []
    with psycopg.connect(dsn) as conn:
        # Clients: unique CHI numbers over 85 years of dates of birth.
        seen: set[str] = set()
        with (
            conn.cursor() as cursor,
            cursor.copy(
                "COPY clients (id, chi, given_name, family_name, given_name_key, family_name_key, "
                "date_of_birth, address, gp_practice, communication_needs, organisation_id, "
                "created_by_id, created_at, updated_at, version) FROM STDIN"
            ) as copy,
        ):
            serial = 0
            while len(client_ids) < clients:
                born = date(1920, 1, 1) + timedelta(days=rng.randrange(31_000))
                serial += 1
                chi = demo_chi(born, serial % 97, serial % 2 == 0)
                if chi in seen:
                    continue
                seen.add(chi)
                given, family = rng.choice(GIVEN), rng.choice(FAMILY) + str(serial % 5000)
                key = uuid.uuid4()
                client_ids.append(key)
                copy.write_row(
                    (
                        key,
                        chi,
                        given,
                        family,
                        given.casefold(),
                        family.casefold().replace("mac", "mc", 1),
                        born,
                        "",
                        "",
                        "",
                        context["organisation_id"],
                        context["user_id"],
                        now,
                        now,
                        1,
                    )
                )
        conn.commit()
        print(f"clients: {clients:,} in {time.perf_counter() - started:.0f} s", flush=True)
        done = 0
        while done < assessments:
            size = min(batch, assessments - done)
            _assessment_batch(
                conn, chain, templates, answers_json, outcome_json, client_ids, rng, size, now
            )
            conn.commit()
            done += size
            print(f"assessments: {done:,} ({time.perf_counter() - started:.0f} s)", flush=True)
        conn.execute("ANALYZE")
    print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)
    fold(url)


def fold(url: str) -> None:
    """Fold every finished day into the outputs page's daily facts, as the scheduled runner
    would have done day by day (``reports.facts.fold_due``, each day committed), and take its
    counts of what is waiting and overdue now (``reports.outputs.take_snapshot``)."""
    from assessment_engine import create_app
    from assessment_engine.assessments.clock import uk_today
    from assessment_engine.db import utcnow
    from assessment_engine.extensions import db
    from assessment_engine.reports.facts import fold_due
    from assessment_engine.reports.outputs import take_snapshot

    started = time.perf_counter()
    app = create_app({"ENV": "testing", "DATABASE_URL": url, "SECRET_KEY": "scale"})
    with app.app_context():
        days = 0
        while folded := fold_due(db.session(), uk_today()):
            days += len(folded)
            print(f"folded {days} days ({time.perf_counter() - started:.0f} s)", flush=True)
        print(f"{take_snapshot(db.session(), utcnow(), uk_today())} counts of now", flush=True)
        db.session.commit()
        db.session.execute(db.text("ANALYZE report_daily_facts"))
        db.session.commit()
    print(f"folded in {time.perf_counter() - started:.0f} s", flush=True)


def _assessment_batch(
    conn: Any,
    chain: Chain,
    templates: list[Template],
    answers_json: list[str],
    outcome_json: list[str],
    client_ids: list[uuid.UUID],
    rng: random.Random,
    size: int,
    now: datetime,
) -> None:
    assessment_rows, decision_rows, referral_rows, audit_rows = [], [], [], []
    for _ in range(size):
        which = rng.randrange(len(templates))
        template = templates[which]
        client_id = rng.choice(client_ids)
        at = now - timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        a, d = template.assessment, template.decision
        assessment_id, decision_id = uuid.uuid4(), uuid.uuid4()
        assessment_rows.append(
            (
                assessment_id,
                client_id,
                a["questionnaire_version_id"],
                a["status"],
                answers_json[which],
                a["organisation_id"],
                a["started_by_id"],
                at,
                at,
                at,
                a["submitted_by_id"],
                a["version"],
            )
        )
        decision_rows.append(
            (
                decision_id,
                assessment_id,
                d["kind"],
                d["ruleset"],
                d["computed_route"],
                d["computed_priority"],
                d["route"],
                d["priority"],
                outcome_json[which],
                at,
                d["created_by_id"],
            )
        )
        audit_rows.append(
            chain.event(at, "assessment.start", "assessment", assessment_id, client_id, {})
        )
        audit_rows.append(
            chain.event(at, "assessment.submit", "assessment", assessment_id, client_id, {})
        )
        audit_rows.append(
            chain.event(
                at,
                "decision.create",
                "decision",
                decision_id,
                client_id,
                {"route": d["route"], "priority": d["priority"], "ruleset": d["ruleset"]},
            )
        )
        for r in template.referrals:
            referral_id = uuid.uuid4()
            status = rng.choice(("pending", "pending", "accepted", "completed", "declined"))
            referral_rows.append(
                (
                    referral_id,
                    assessment_id,
                    decision_id,
                    client_id,
                    r["service_id"],
                    r["organisation_id"],
                    r["status"].__class__(status.upper()) if r["status"].isupper() else status,
                    r["priority"],
                    r["urgency"],
                    at,
                    1,
                )
            )
            audit_rows.append(
                chain.event(
                    at,
                    "referral.create",
                    "referral",
                    referral_id,
                    client_id,
                    {"service": str(r["service_id"]), "organisation_id": r["organisation_id"]},
                )
            )
    with conn.cursor() as cursor:
        for table, columns, rows in (
            ("assessments", ASSESSMENT_COLUMNS, assessment_rows),
            ("decisions", DECISION_COLUMNS, decision_rows),
            ("referrals", REFERRAL_COLUMNS, referral_rows),
            ("audit_events", AUDIT_COLUMNS, audit_rows),
        ):
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="an empty scratch PostgreSQL database")
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--assessments", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--fold-only", action="store_true", help="only fold the daily facts")
    args = parser.parse_args()
    if args.fold_only:
        fold(args.url)
    else:
        load(args.url, args.clients, args.assessments, args.batch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
