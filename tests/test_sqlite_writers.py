"""SQLite writers queue on a file lock: in turn, released at commit and rollback, never waiting
for themselves."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from assessment_engine import _configure_engine


@pytest.fixture
def engine(tmp_path: Path):
    made = create_engine(f"sqlite:///{tmp_path}/writers.db")
    _configure_engine(made)

    @event.listens_for(made, "connect")
    def _short_busy_timeout(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=200")  # the application's is 10 s

    with made.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (writer TEXT, at REAL)")
    yield made
    made.dispose()


def test_writers_take_turns_without_busy_errors(engine) -> None:
    # Each transaction holds the write lock for longer than the 0.2 s busy timeout lets the
    # others poll for; without the queue the others would fail "database is locked".
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (:n, :t)"), {"n": name, "t": time.time()})
                time.sleep(0.3)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 3
    assert Path(str(engine.url.database) + ".lock").exists()


def test_the_lock_is_released_by_rollback(engine) -> None:
    with engine.connect() as conn:
        conn.begin()
        conn.execute(text("INSERT INTO t VALUES ('rolled back', 0)"))
        conn.rollback()
    done = threading.Event()

    def write() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES ('after', 0)"))
        done.set()

    threading.Thread(target=write).start()
    assert done.wait(5)


def test_a_second_transaction_in_the_same_thread_does_not_wait_for_itself(engine) -> None:
    with engine.connect() as first:
        first.begin()
        first.execute(text("INSERT INTO t VALUES ('first', 0)"))
        started = time.monotonic()
        with pytest.raises(Exception, match="locked"), engine.connect() as second:
            second.begin()
        # SQLite's busy timeout (0.2 s here), not for ever.
        assert time.monotonic() - started < 3
        first.rollback()
