"""HTTP throughput under gunicorn, side by side with a bare Flask echo app in the same run.

Three servers with the same gunicorn settings (``--workers 2``, sync): the echo app
(tests/benchmarks/echo_app.py, parses and echoes the JSON body), the application on SQLite (WAL)
and the application on PostgreSQL (a scratch database, dropped afterwards). wrk, a second
process on loopback, loads each for a few seconds:

* POST /api/v1/assessments for the joint assessment, the bundled example answers in turn,
  ``status: submitted`` (validate, decide, store, audit, referrals): target >= 50% of echo;
* GET of the joint assessment's longest section page for a signed-in assessor: target >= 40%.

Echo runs before and after the application runs; the reference is their mean.
Run: ``.venv/bin/python tests/benchmarks/bench_http.py [--seconds 4] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from report import ROOT, Row, assessor_and_person, emit

from assessment_engine.kernel.audit import DEFAULT_PARTITIONS

EXAMPLES = ROOT / "form_schemas" / "joint-assessment" / "examples"
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = os.environ.get("BENCH_PG_DATABASE", "bench_http")
WORKERS = 2
CONNECTIONS = 4
PASSWORD = "timing harness passphrase"


@dataclass
class Target:
    """What the load needs to reach one application database."""

    url: str
    token: str
    client_id: str
    section_url: str
    email: str
    #: Further people on record, for loads that spread over people as a partnership's do.
    people: list[str]


@dataclass(frozen=True)
class Load:
    """One wrk run."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def free_port() -> int:
    """A free loopback port: within ``BENCH_PORTS`` (``5170-5189``) if set, else any."""
    low, _, high = os.environ.get("BENCH_PORTS", "0-0").partition("-")
    for port in range(int(low), int(high or low) + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


@contextmanager
def gunicorn(
    app: str,
    env: dict[str, str],
    pythonpath: str,
    workers: int = WORKERS,
    *,
    config: Path | None = None,
    cwd: Path = ROOT,
) -> Iterator[str]:
    """A gunicorn with ``workers`` sync workers on a free loopback port; stopped on exit.
    Started in ``cwd`` (so with its gunicorn.conf.py, if any), or with ``config``."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            *(["--config", str(config)] if config else []),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--pythonpath",
            pythonpath,
            "--log-level",
            "warning",
            app,
        ],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # preload compiles before the port opens
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn {app} stopped with {process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn {app} did not start within 120 s")
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def app_env(database_url: str) -> dict[str, str]:
    """Production settings, with limits raised so that the load is not throttled."""
    return {
        "ASSESSMENT_ENV": "production",
        "ASSESSMENT_DATABASE_URL": database_url,
        "ASSESSMENT_SECRET_KEY": "bench-secret-key-bench-secret-key",
        "ASSESSMENT_AUDIT_CHECKPOINT_KEY": "bench-checkpoint-key-bench-checkpoint-key",
        "ASSESSMENT_AUDIT_CHECKPOINT_FILE": "/tmp/assessment-bench-checkpoints.jsonl",
        # A fixed Fernet key (32 zero bytes): benchmark data only, never a deployment's.
        "ASSESSMENT_TOTP_ENCRYPTION_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "ASSESSMENT_NOTIFICATIONS_BASE_URL": "https://assessment.example",
        "ASSESSMENT_SESSION_COOKIE_SECURE": "false",
        "ASSESSMENT_API_RATE_LIMIT": "10000000 per minute",
        "ASSESSMENT_SIGN_IN_RATE_LIMIT": "1000 per minute",
        "ASSESSMENT_LOG_LEVEL": "WARNING",
    }


def prepare_database(database_url: str) -> Target:
    """Migrations, reference data, an assessor, a person, a draft and an API client."""
    from flask_migrate import upgrade

    from assessment_engine import create_app
    from assessment_engine.api.tokens import create_api_client
    from assessment_engine.assessments.services import latest_published, start_assessment
    from assessment_engine.extensions import db
    from assessment_engine.partners.services import get_organisation
    from assessment_engine.records import services as records
    from tests.conftest import seed_reference_data

    app = create_app({**_config(app_env(database_url)), "ENV": "testing"})
    with app.app_context():
        upgrade()
        seed_reference_data(app)
        email = "bench@pkc.example"
        _user, actor, person = assessor_and_person(
            db.session,
            email=email,
            password=PASSWORD,
            name="Bench",
            person=("Bench", "Mark", date(1940, 1, 1)),
        )
        version = latest_published(db.session, "joint-assessment")
        assert version is not None
        answers = json.loads((EXAMPLES / "falls-and-nursing-tasks.json").read_text())
        draft = start_assessment(db.session, actor, person, version, answers)
        people = [str(person.id)] + [
            str(records.create_client(db.session, actor, _person_details(n)).id)
            for n in range(1, PEOPLE)
        ]
        token = create_api_client(
            db.session, get_organisation(db.session, "perth-kinross-council"), "Bench system"
        ).token
        db.session.commit()
        section = longest_section(version.document)
        target = Target(
            url="",
            token=token,
            client_id=str(person.id),
            section_url=f"/assessments/{draft.id}/sections/{section}",
            email=email,
            people=people,
        )
        db.engine.dispose()
    return target


#: People on record for the lock-wait load (each submission about one of them in turn).
PEOPLE = 16


def _person_details(n: int) -> Any:
    from datetime import timedelta

    from assessment_engine.demo import demo_chi
    from assessment_engine.records.services import ClientDetails

    born = date(1940, 1, 1) + timedelta(days=n)
    return ClientDetails(
        chi=demo_chi(born, 1, True),
        given_name="Bench",
        family_name=f"Person {n}",
        date_of_birth=born,
    )


def _config(env: dict[str, str]) -> dict[str, Any]:
    return {key.removeprefix("ASSESSMENT_"): value for key, value in env.items()}


def longest_section(document: dict[str, Any]) -> str:
    """The section with the most questions (counting nested ones)."""

    def count(schema: Any) -> int:
        if not isinstance(schema, dict):
            return 0
        inner = schema.get("properties") or schema.get("items", {}).get("properties") or {}
        return 1 + sum(count(child) for child in inner.values())

    return max(document["properties"], key=lambda name: count(document["properties"][name]))


def sign_in(base: str, email: str) -> str:
    """The session cookie of a signed-in assessor, as a ``Cookie`` header value."""
    import requests

    with requests.Session() as browser:
        page = browser.get(f"{base}/sign-in", timeout=120).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token, "no CSRF token on the sign-in page"
        response = browser.post(
            f"{base}/sign-in",
            data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
            timeout=10,
            allow_redirects=False,
        )
        assert response.status_code in (302, 303), f"sign-in failed: {response.status_code}"
        return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


def bodies(client_id: str) -> list[str]:
    """The POST bodies: every bundled example, submitted."""
    return [
        json.dumps(
            {
                "client_id": client_id,
                "questionnaire": "joint-assessment",
                "status": "submitted",
                "answers": json.loads(path.read_text()),
            }
        )
        for path in sorted(EXAMPLES.glob("*.json"))
    ]


LUA = """
local bodies = {%(bodies)s}
local headers = {%(headers)s}
local counter = 0
local keys = "%(keys)s"
request = function()
  counter = counter + 1
  if #bodies == 0 then
    return wrk.format("GET", nil, headers, nil)
  end
  if keys ~= "" then
    headers["Idempotency-Key"] = keys .. "-" .. counter
  end
  return wrk.format("POST", nil, headers, bodies[(counter %% #bodies) + 1])
end
"""


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def wrk(
    url: str,
    seconds: float,
    folder: Path,
    *,
    body: list[str],
    headers: dict[str, str],
    keyed: bool = False,
) -> Load:
    """Load ``url`` for ``seconds`` from a wrk process; requests/s and latency percentiles.
    ``keyed``: each POST carries its own ``Idempotency-Key``, as a careful partner sends."""
    import uuid

    script = folder / "load.lua"
    script.write_text(
        LUA
        % {
            "keys": uuid.uuid4().hex if keyed else "",
            "bodies": ", ".join(_lua_string(b) for b in body),
            "headers": ", ".join(
                f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items()
            ),
        }
    )
    script.chmod(0o600)
    out = subprocess.run(
        [
            shutil.which("wrk") or "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{seconds:.0f}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    script.unlink()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors_found = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: .*?timeout (\d+)", out)
    errors = int(errors_found.group(1)) if errors_found else 0
    errors += int(socket_errors.group(1)) if socket_errors else 0
    if errors:
        print(out, file=sys.stderr)
    return Load(rate, _latency(out, "50%"), _latency(out, "99%"), requests, errors)


def _latency(out: str, which: str) -> float:
    found = re.search(rf"{which}\s+([\d.]+)(us|ms|s)\b", out)
    assert found, f"no {which} latency in wrk output"
    value, unit = float(found.group(1)), found.group(2)
    return value / 1000 if unit == "us" else (value * 1000 if unit == "s" else value)


def warm_up(url: str, headers: dict[str, str], body: str | None, rounds: int = 3) -> None:
    """Send CONNECTIONS requests at once, ``rounds`` times, waiting for every answer."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    def one(_: int) -> int:
        if body is None:
            return requests.get(url, headers=headers, timeout=120).status_code
        return requests.post(url, data=body, headers=headers, timeout=120).status_code

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        for _ in range(rounds):
            statuses = list(pool.map(one, range(CONNECTIONS)))
            assert all(status < 400 for status in statuses), f"warm-up answered {statuses}"


def create_pg_database() -> str | None:
    """A fresh scratch PostgreSQL database, or None if PostgreSQL is not reachable."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    except Exception as error:
        print(f"PostgreSQL not available ({type(error).__name__}); skipping it", file=sys.stderr)
        return None
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + (
        f"/{PG_DATABASE}"
    )


def drop_pg_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


def _api_headers(target: Target) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": f"Bearer {target.token}"}


def _submit_load(
    base: str, target: Target, folder: Path, seconds: float, *, spread: bool = False
) -> Load:
    """A wrk run of submissions, each with its own Idempotency-Key; ``spread``: about each of
    the target's people in turn, else all about one."""
    people = target.people if spread else [target.client_id]
    return wrk(
        f"{base}/api/v1/assessments",
        seconds,
        folder,
        # Person by person in turn, so concurrent requests are about different people.
        body=[body for turn in zip(*map(bodies, people), strict=True) for body in turn],
        headers=_api_headers(target),
        keyed=True,
    )


def _load_app(
    base: str, target: Target, folder: Path, seconds: float, cookie: str
) -> tuple[Load, Load]:
    """One submit run and one section-page run against a server already warmed up."""
    post = _submit_load(base, target, folder, seconds)
    page = wrk(f"{base}{target.section_url}", seconds, folder, body=[], headers={"Cookie": cookie})
    return post, page


def _warm(base: str, target: Target, cookie: str) -> None:
    # Warm-up (discarded): the product prepares the version on a worker's first use, which
    # takes seconds; wait for every warm-up request to finish.
    api_headers = _api_headers(target)
    warm_up(f"{base}/api/v1/assessments", api_headers, bodies(target.client_id)[0])
    warm_up(f"{base}{target.section_url}", {"Cookie": cookie}, None)


def _mean(loads: list[Load]) -> Load:
    n = len(loads)
    return Load(
        sum(x.requests_per_second for x in loads) / n,
        sum(x.p50_ms for x in loads) / n,
        sum(x.p99_ms for x in loads) / n,
        sum(x.requests for x in loads),
        sum(x.errors for x in loads),
    )


#: Product and floor runs alternate this many times on PostgreSQL (A/B interleaved).
FLOOR_ROUNDS = 2


def measure(seconds: float) -> list[Row]:
    """Every HTTP row, measured side by side in this run."""
    bench_dir = str(Path(__file__).resolve().parent)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        databases = {"SQLite": f"sqlite:///{folder}/bench.db"}
        pg_url = create_pg_database()
        if pg_url:
            databases["PostgreSQL"] = pg_url
        try:
            targets = {name: prepare_database(url) for name, url in databases.items()}
            echo_bodies = bodies(next(iter(targets.values())).client_id)
            json_headers = {"Content-Type": "application/json"}
            echo_runs: list[Load] = []
            results: dict[str, tuple[list[Load], list[Load]]] = {}
            floor: tuple[list[Load], list[Load]] = ([], [])
            cold: list[tuple[float, float]] = []
            waits: list[tuple[int, int, float, Load]] = []
            with gunicorn("echo_app:app", {}, bench_dir) as echo:
                echo_runs.append(
                    wrk(f"{echo}/echo", seconds, folder, body=echo_bodies, headers=json_headers)
                )
            for name, target in targets.items():
                env = app_env(databases[name])
                posts: list[Load] = []
                pages: list[Load] = []
                # On PostgreSQL the product and the hand-made floor take turns.
                rounds = FLOOR_ROUNDS if name == "PostgreSQL" else 1
                cookie = ""
                for _ in range(rounds):
                    with gunicorn("wsgi:app", env, str(ROOT)) as base:
                        if name == "PostgreSQL" and not cold:
                            cold.append(_first_and_warm(base, target))
                        cookie = cookie or sign_in(base, target.email)
                        _warm(base, target, cookie)
                        post, page = _load_app(base, target, folder, seconds, cookie)
                    posts.append(post)
                    pages.append(page)
                    if name != "PostgreSQL":
                        continue
                    with gunicorn("floor_app:app", env, bench_dir) as base:
                        _warm(base, target, cookie)
                        post, page = _load_app(base, target, folder, seconds, cookie)
                    floor[0].append(post)
                    floor[1].append(page)
                results[name] = (posts, pages)
                if name == "PostgreSQL":
                    # One chain (as before the partitions) and the default, interleaved.
                    waits = [
                        _lock_wait_share(env, target, folder, seconds, n, chains)
                        for n in (2, 4)
                        for chains in (1, DEFAULT_PARTITIONS)
                    ]
            with gunicorn("echo_app:app", {}, bench_dir) as echo:
                echo_runs.append(
                    wrk(f"{echo}/echo", seconds, folder, body=echo_bodies, headers=json_headers)
                )
        finally:
            if pg_url:
                drop_pg_database()
    echo_rate = sum(run.requests_per_second for run in echo_runs) / len(echo_runs)
    echo_p50 = sum(run.p50_ms for run in echo_runs) / len(echo_runs)
    echo_p99 = sum(run.p99_ms for run in echo_runs) / len(echo_runs)
    assert all(run.errors == 0 for run in echo_runs), "echo answered with errors"
    for name, (post_runs, page_runs) in results.items():
        post, page = _mean(post_runs), _mean(page_runs)
        for label, load, goal in (
            ("POST /api/v1/assessments", post, 0.5),
            ("GET longest section page", page, 0.4),
        ):
            rows.append(
                _rate_row(
                    f"{label} ({name})",
                    load,
                    ("echo", echo_rate),
                    goal,
                    f"p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms",
                )
            )
            rows.append(
                Row(
                    name=f"  latency p50 / p99 ({name})",
                    value=load.p50_ms,
                    unit="ms",
                    reference_name="echo p50",
                    reference=echo_p50,
                    ratio=None,
                    target=f"p99 {load.p99_ms:.1f} ms (echo {echo_p99:.1f} ms)",
                )
            )
    if floor[0] and "PostgreSQL" in results:
        rows.extend(_floor_rows(results["PostgreSQL"], floor))
    rows.extend(_lock_wait_row(*wait) for wait in waits)
    rows.extend(
        _cold_row(
            first,
            warm,
            "sent as soon as gunicorn's port opens, when it tells systemd it is ready "
            "(gunicorn.conf.py: preload_app, questionnaires compiled, hot paths warmed up "
            "in a rolled-back transaction, column types adapted and objects frozen before "
            "the workers fork; each worker has PostgreSQL read its catalogue as it connects)",
        )
        for first, warm in cold
    )
    return rows


def measure_cold_start(rounds: int, against: str | None) -> list[Row]:
    """The first-POST row alone, ``rounds`` times; with ``against`` (a git revision), each
    round also starts the same server with that revision's gunicorn.conf.py first (A/B
    interleaved: the application is this tree's, only the start-up settings differ)."""
    pg_url = create_pg_database()
    if not pg_url:
        return []
    rows: list[Row] = []
    try:
        target = prepare_database(pg_url)
        env = app_env(pg_url)
        with tempfile.TemporaryDirectory() as tmp:
            configs: list[tuple[str, Path | None]] = [("this tree's gunicorn.conf.py", None)]
            if against:
                old = Path(tmp) / "gunicorn.conf.py"
                old.write_text(_git("show", f"{against}:gunicorn.conf.py"))
                configs.insert(0, (f"gunicorn.conf.py at {against}", old))
            for turn in range(rounds):
                for label, config in configs:
                    with gunicorn("wsgi:app", env, str(ROOT), config=config) as base:
                        first, warm = _first_and_warm(base, target)
                    rows.append(_cold_row(first, warm, f"round {turn + 1}, {label}"))
    finally:
        drop_pg_database()
    return rows


def _cold_row(first: float, warm: float, note: str) -> Row:
    return Row(
        name="First POST after start (PostgreSQL)",
        value=first,
        unit="ms",
        reference_name="warm POST (median of 5)",
        reference=warm,
        target="<= 2x warm",
        met=first <= 2 * warm,
        note=note,
    )


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


#: The product as issue 26 found it: main's commit before that work (first parent of 552b200).
AGAINST = os.environ.get("BENCH_AGAINST", "")
#: Each sustained run's length, and how many times the old and the new take turns.
SUSTAINED_SECONDS = float(os.environ.get("BENCH_SUSTAINED_SECONDS", "30"))
SUSTAINED_ROUNDS = 2

_PREPARE_OLD = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests/benchmarks"]
import assessment_engine, bench_http
assert assessment_engine.__file__.startswith(sys.argv[1]), assessment_engine.__file__
target = bench_http.prepare_database(sys.argv[2])
print("TARGET " + json.dumps(vars(target)))
"""


def measure_against(rev: str, seconds: float = SUSTAINED_SECONDS) -> list[Row]:
    """The sustained submission rate against the product at ``rev`` (a git revision): that tree
    checked out beside this one (``git worktree add --detach``, removed afterwards), its own
    scratch PostgreSQL database built by its own migrations and seeded by its own benchmark's
    set-up (run in a subprocess with its tree first on ``sys.path``), served by the same
    gunicorn command from its folder (so with its own gunicorn.conf.py, if it had one), with
    ``PYTHONPATH`` at its tree so its package is imported, not the installed one. wrk loads
    each for ``seconds``, old and new in turn, SUSTAINED_ROUNDS times; every POST has its own
    Idempotency-Key."""
    new_url = create_pg_database()
    if not new_url:
        return []
    old_database = f"{PG_DATABASE}_against"
    old_url = new_url.rsplit("/", 1)[0] + f"/{old_database}"
    old_loads: list[Load] = []
    new_loads: list[Load] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tree = folder / "tree"
        _git("worktree", "add", "--detach", "--quiet", str(tree), rev)
        try:
            _recreate(old_database)
            old_target = _prepare_old(tree, old_url)
            new_target = prepare_database(new_url)
            old_env = {
                **app_env(old_url),
                "ASSESSMENT_AUDIT_CHECKPOINT_FILE": str(folder / "old-checkpoints.jsonl"),
                "PYTHONPATH": str(tree),
            }
            for _ in range(SUSTAINED_ROUNDS):
                with gunicorn("wsgi:app", old_env, str(tree), cwd=tree) as base:
                    old_loads.append(_sustained(base, old_target, folder, seconds))
                with gunicorn("wsgi:app", app_env(new_url), str(ROOT)) as base:
                    new_loads.append(_sustained(base, new_target, folder, seconds))
        finally:
            drop_pg_database()
            _drop(old_database)
            _git("worktree", "remove", "--force", str(tree))
    return [_against_row(rev, seconds, new_loads, old_loads)]


def _prepare_old(tree: Path, url: str) -> Target:
    out = subprocess.run(
        [sys.executable, "-c", _PREPARE_OLD, str(tree), url],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    found = json.loads(out.split("TARGET ", 1)[1])
    return Target(
        url="",
        token=found["token"],
        client_id=found["client_id"],
        section_url=found["section_url"],
        email=found["email"],
        people=[found["client_id"]],
    )


def _sustained(base: str, target: Target, folder: Path, seconds: float) -> Load:
    # Warm-up (discarded): a product without preloading compiles on each worker's first use.
    warm_up(f"{base}/api/v1/assessments", _api_headers(target), bodies(target.client_id)[0])
    return _submit_load(base, target, folder, seconds)


def _against_row(rev: str, seconds: float, new: list[Load], old: list[Load]) -> Row:
    ours, theirs = _mean(new), _mean(old)
    each = ", ".join(
        f"{a.requests_per_second / b.requests_per_second:.2f}"
        for a, b in zip(new, old, strict=True)
    )
    errors = ours.errors + theirs.errors
    return Row(
        name=f"sustained POST over {seconds:.0f} s (PostgreSQL)",
        value=ours.requests_per_second,
        unit="req/s",
        reference_name=f"the product at {rev}",
        reference=theirs.requests_per_second,
        target=">= 2x",
        met=ours.requests_per_second >= 2 * theirs.requests_per_second and not errors,
        note=f"interleaved rounds' ratios {each}; p50 {ours.p50_ms:.1f} ms against "
        f"{theirs.p50_ms:.1f} ms, p99 {ours.p99_ms:.1f} ms against {theirs.p99_ms:.1f} ms"
        + (f"; {errors} error responses!" if errors else ""),
    )


def _recreate(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def measure_lock_wait(seconds: float) -> list[Row]:
    """The chain-lock wait rows alone: one chain and the default, at 2 and 4 workers."""
    pg_url = create_pg_database()
    if not pg_url:
        return []
    try:
        target = prepare_database(pg_url)
        with tempfile.TemporaryDirectory() as tmp:
            waits = [
                _lock_wait_share(app_env(pg_url), target, Path(tmp), seconds, n, chains)
                for n in (2, 4)
                for chains in (1, DEFAULT_PARTITIONS)
            ]
    finally:
        drop_pg_database()
    return [_lock_wait_row(*wait) for wait in waits]


def _lock_wait_row(workers: int, chains: int, share: float, load: Load) -> Row:
    partitioned = chains > 1
    return Row(
        name=f"chain-lock wait share, {workers} workers, {chains} chain(s) (PostgreSQL)",
        value=share * 100,
        unit="%",
        reference_name="",  # a share of request time: no same-run reference
        reference=0.0,
        target="< 5% at 4 workers" if workers == 4 and partitioned else "",
        met=share < 0.05 if workers == 4 and partitioned else None,
        note=f"POST about {PEOPLE} people in turn at {load.requests_per_second:.1f} "
        f"req/s, p50 {load.p50_ms:.1f} ms; sampled from pg_stat_activity every 5 ms",
    )


def _lock_wait_share(
    env: dict[str, str], target: Target, folder: Path, seconds: float, workers: int, chains: int
) -> tuple[int, int, float, Load]:
    """The share of request time spent waiting for the audit chain's lock under the submit load
    with ``workers`` workers: PostgreSQL's backends waiting on an advisory lock, sampled every
    5 ms while wrk runs (one connection per worker), over the workers' busy time (each of the
    wrk connections keeps one worker busy; with fewer connections than workers, that many)."""
    import threading

    import psycopg

    stop = threading.Event()
    samples: list[int] = []
    database = PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DATABASE}"

    def sample() -> None:
        with psycopg.connect(database, autocommit=True) as conn:
            while not stop.is_set():
                found = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
                    " AND wait_event_type = 'Lock' AND wait_event = 'advisory'",
                    (PG_DATABASE,),
                ).fetchone()
                samples.append(int(found[0]) if found else 0)
                time.sleep(0.005)

    api_headers = _api_headers(target)
    env = {**env, "ASSESSMENT_AUDIT_CHAIN_PARTITIONS": str(chains)}
    with gunicorn("wsgi:app", env, str(ROOT), workers=workers) as base:
        warm_up(f"{base}/api/v1/assessments", api_headers, bodies(target.client_id)[0])
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            load = _submit_load(base, target, folder, seconds, spread=True)
        finally:
            stop.set()
            sampler.join()
    busy = min(workers, CONNECTIONS)
    return workers, chains, (sum(samples) / len(samples) / busy) if samples else 0.0, load


def _first_and_warm(base: str, target: Target) -> tuple[float, float]:
    """Milliseconds of the first submission a fresh server answers, and the median of five
    sent one after another once every worker has answered (each a new assessment)."""
    import statistics

    import requests

    url = f"{base}/api/v1/assessments"
    headers = _api_headers(target)
    body = bodies(target.client_id)[0]

    def timed() -> float:
        started = time.perf_counter()
        response = requests.post(url, data=body, headers=headers, timeout=120)
        assert response.status_code == 201, response.status_code
        return (time.perf_counter() - started) * 1000

    first = timed()
    warm_up(url, headers, body, rounds=1)
    return first, statistics.median(timed() for _ in range(5))


def _floor_rows(
    product: tuple[list[Load], list[Load]], floor: tuple[list[Load], list[Load]]
) -> list[Row]:
    """The product's PostgreSQL figures against the hand-made floor (floor_app.py), each the
    mean of FLOOR_ROUNDS interleaved runs; the ratio of each round is in the note."""
    rows = []
    for label, ours, theirs in (
        ("POST /api/v1/assessments (PostgreSQL)", product[0], floor[0]),
        ("GET longest section page (PostgreSQL)", product[1], floor[1]),
    ):
        mean_floor = _mean(theirs)
        each = ", ".join(
            f"{a.requests_per_second / b.requests_per_second:.2f}"
            for a, b in zip(ours, theirs, strict=True)
        )
        rows.append(
            _rate_row(
                f"{label} vs floor",
                _mean(ours),
                ("hand-made floor", mean_floor.requests_per_second),
                0.5,
                f"interleaved rounds' ratios {each}; floor p50 {mean_floor.p50_ms:.1f} ms, "
                f"p99 {mean_floor.p99_ms:.1f} ms",
                extra_errors=mean_floor.errors,
            )
        )
    return rows


def _rate_row(
    name: str,
    load: Load,
    reference: tuple[str, float],
    goal: float,
    note: str,
    *,
    extra_errors: int = 0,
) -> Row:
    """A throughput row: ``load`` against ``reference`` (its name and rate), met at ``goal``."""
    errors = load.errors + extra_errors
    return Row(
        name=name,
        value=load.requests_per_second,
        unit="req/s",
        reference_name=reference[0],
        reference=reference[1],
        target=f">= {goal:.0%} of {'the floor' if 'floor' in reference[0] else reference[0]}",
        met=load.requests_per_second / reference[1] >= goal and not errors,
        note=note + (f"; {errors} error responses!" if errors else ""),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each wrk run")
    parser.add_argument("--json", action="store_true", help="print rows for run.py")
    parser.add_argument(
        "--lock-wait", action="store_true", help="only the chain-lock wait rows (PostgreSQL)"
    )
    parser.add_argument(
        "--cold-start",
        type=int,
        metavar="ROUNDS",
        help="only the first-POST row, this many times (PostgreSQL)",
    )
    parser.add_argument(
        "--cold-against",
        metavar="REV",
        help="with --cold-start: each round also with REV's gunicorn.conf.py (A/B)",
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        default=None,
        help="only the sustained-rate row against the product at REV (e.g. 28e1d9b)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk); skipping HTTP figures", file=sys.stderr)
        emit([], args.json)
        return 0
    if args.against:
        rows = measure_against(args.against)
    elif args.cold_start:
        rows = measure_cold_start(args.cold_start, args.cold_against)
    elif args.lock_wait:
        rows = measure_lock_wait(args.seconds)
    else:
        rows = measure(args.seconds)
        if AGAINST:  # BENCH_AGAINST=28e1d9b make bench: the sustained row too (some 4 minutes)
            rows.extend(measure_against(AGAINST))
    emit(rows, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
