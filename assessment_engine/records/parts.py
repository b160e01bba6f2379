"""What the record's pages show that is kept above ``records``: the person's assessments and the
timeline built from them, and the assessor's own drafts and submissions on the dashboard.

Records sit below assessments (the layers test), so the record's pages cannot import them; the
assessments domain hands these over when it is set up (``assessments.init_app``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from ..db import DbSession

_KEY = "record_page_parts"


@dataclass(frozen=True)
class RecordPageParts:
    #: The person's assessments, newest first (shown on the record where its content is shared).
    assessments: Callable[[DbSession, uuid.UUID], Sequence[Any]]
    #: Every assessment, decision, override, referral and amendment, newest first.
    timeline: Callable[[DbSession, uuid.UUID], Sequence[Any]]
    #: The signed-in actor's own work for the dashboard: "my drafts" and "recently submitted",
    #: only where the people's sharing views let the actor see their assessments.
    work: Callable[[DbSession, Any], Mapping[str, Sequence[Any]]] = lambda _session, _actor: {}


def provide(app: Flask, parts: RecordPageParts) -> None:
    app.extensions[_KEY] = parts


def page_parts() -> RecordPageParts:
    """The parts given at start-up; a KeyError means the assessments domain was not set up."""
    parts: RecordPageParts = current_app.extensions[_KEY]
    return parts
