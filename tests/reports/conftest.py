"""The demo's people, assessments and support, for the return's tests (and the API's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assessment_engine.auth.models import User
from assessment_engine.demo import load_demo


@pytest.fixture
def demo(app: Any, db_session: Any) -> dict[str, User]:
    """The demo partners, people, assessments and support (made today), by user email."""
    report = load_demo(
        db_session, Path(app.config["FORM_SCHEMAS_DIR"]), app.extensions["assessment_versions"]
    )
    db_session.flush()
    return {user.email: user for user in report.users}
