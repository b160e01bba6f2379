"""The limiter's memory:// storage sweeps once a second, and counts still expire on time."""

from __future__ import annotations

import time

from flask import Flask
from limits.storage import storage_from_string

from assessment_engine.extensions import SweptMemoryStorage, limiter


def test_memory_scheme_builds_the_swept_storage(app: Flask) -> None:
    assert isinstance(storage_from_string("memory://"), SweptMemoryStorage)
    with app.app_context():
        assert isinstance(limiter.storage, SweptMemoryStorage)


def test_an_expired_count_reads_as_none_before_any_sweep() -> None:
    storage = SweptMemoryStorage()
    assert storage.incr("key", 0.05) == 1
    assert storage.incr("key", 0.05) == 2
    assert storage.timer.is_alive()  # the sweep is a second away
    time.sleep(0.1)
    assert storage.get("key") == 0
    assert storage.incr("key", 0.05) == 1
    storage.timer.cancel()


def test_a_moving_window_counts_only_its_own_entries() -> None:
    storage = SweptMemoryStorage()
    assert storage.acquire_entry("key", 2, 1)
    assert storage.acquire_entry("key", 2, 1)
    assert not storage.acquire_entry("key", 2, 1)
    storage.timer.cancel()


def test_the_method_it_takes_over_is_still_limits_own() -> None:
    # SweptMemoryStorage overrides limits' private (name-mangled) schedule method: a limits
    # release that renames it would silently bring back a thread per count, so this fails first.
    from limits.storage import MemoryStorage

    assert callable(vars(MemoryStorage).get("_MemoryStorage__schedule_expiry"))
    assert callable(vars(MemoryStorage).get("_MemoryStorage__expire_events"))
    assert "_MemoryStorage__schedule_expiry" in vars(SweptMemoryStorage)
