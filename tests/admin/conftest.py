"""Fixtures for the administration pages: a signed-in administrator and draft helpers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from assessment_engine.questionnaires.services import find_version

get_version = partial(find_version, drafts=True)


@pytest.fixture
def admin(login_as: Callable[..., Any]) -> Any:
    """A signed-in administrator of the council."""
    return login_as("administrator", org="perth-kinross-council")


def revision_of(html: str) -> str:
    match = re.search(r'name="revision" value="(\d+)"', html)
    assert match, "no revision in the page"
    return match.group(1)


def texts_of(db_session: Any, key: str, number: int) -> dict[str, str]:
    """The draft's three texts as stored."""
    from assessment_engine.questionnaires.draft_sources import DraftSource

    version = get_version(db_session, key, number)
    assert version is not None
    source = db_session.get(DraftSource, version.id)
    db_session.refresh(source)
    return {
        "document": source.document_text,
        "rules": source.rules_text,
        "test_cases": source.cases_text,
    }


class Drafts:
    """Start, read and save drafts through the real pages."""

    def __init__(self, client: Any, db_session: Any) -> None:
        self.client = client
        self.db_session = db_session

    def start(self, key: str = "phq-9") -> int:
        response = self.client.post_form(f"/admin/questionnaires/{key}/drafts")
        assert response.status_code == 302, response.get_data(as_text=True)
        number = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
        return number

    def page(self, key: str, number: int) -> str:
        response = self.client.get(f"/admin/questionnaires/{key}/versions/{number}")
        assert response.status_code == 200
        return str(response.get_data(as_text=True))

    def texts(self, key: str, number: int) -> dict[str, str]:
        return texts_of(self.db_session, key, number)

    def save(self, key: str, number: int, revision: str | None = None, **texts: str) -> Any:
        current = self.texts(key, number)
        current.update(texts)
        if revision is None:
            revision = revision_of(self.page(key, number))
        return self.client.post_form(
            f"/admin/questionnaires/{key}/versions/{number}", {**current, "revision": revision}
        )

    def edit_json(self, key: str, number: int, part: str, change: Callable[[Any], None]) -> Any:
        value = json.loads(self.texts(key, number)[part])
        change(value)
        return self.save(key, number, **{part: json.dumps(value, indent=2)})

    def publish(self, key: str, number: int) -> Any:
        revision = revision_of(self.page(key, number))
        return self.client.post_form(
            f"/admin/questionnaires/{key}/versions/{number}/publish",
            {"revision": revision, "confirmed": "yes"},
        )


@pytest.fixture
def drafts(client: Any, db_session: Any, admin: Any) -> Drafts:
    return Drafts(client, db_session)
