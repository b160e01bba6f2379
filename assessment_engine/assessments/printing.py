"""A printable copy of a submitted assessment: for the person, or for their file.

The Single Shared Assessment gives the person a copy of their assessment and of what was
agreed. :func:`printable` gathers what the copy shows: every section's answers in words (the
answers page's :func:`~.answer_sheet.answer_sheet`, so the same sharing rules apply, audited
as ``assessment.print``), the decision, the referrals and the signatures. The person's copy
leaves out each question the questionnaire marks ``x-person-copy: false`` (with everything
inside it), because reading it could put them at risk; the file copy keeps everything.

:func:`pdf_of` makes a PDF of the same page with WeasyPrint, whose URL fetcher may read the
app's own static files and nothing else (no network, no file outside ``static/``).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from markupsafe import Markup

from ..db import DbSession, utcnow
from ..kernel.actor import Actor
from ..questionnaires.runtime import VersionCache
from .answer_sheet import AnswerSheet, answer_sheet
from .models import AssessmentStatus
from .services import OutcomeView, current_decision, outcome_view, prepare_version


class Copy(enum.StrEnum):
    PERSON = "person"
    FILE = "file"

    @property
    def label(self) -> str:
        return {"person": "The person's copy", "file": "Copy for the file"}[self]


@dataclass(frozen=True)
class Printable:
    sheet: AnswerSheet
    copy: Copy
    outcome: OutcomeView
    printed_at: datetime
    #: How many questions the person's copy leaves out (0 for the file copy).
    left_out: int

    @property
    def running_head(self) -> Markup:
        """The person's name and CHI number as a CSS string for the ``@page`` margin box,
        every character but letters and digits escaped (nothing can end the string or the
        style element; HTML escaping would break it), so each printed page says whose it is."""
        client = self.sheet.assessment.client
        text = f"{client.display_name}, CHI {client.chi_display}"
        escaped = "".join(c if c.isascii() and c.isalnum() else f"\\{ord(c):06x}" for c in text)
        return Markup(f'"{escaped}"')  # noqa: S704 - letters, digits and CSS escapes only

    @property
    def file_name(self) -> str:
        """A name without the CHI number or the person's name (it may be kept or sent on)."""
        return (
            f"assessment-{self.sheet.assessment.submitted_at:%Y-%m-%d}-{self.copy.value}-copy.pdf"
        )


def printable(
    session: DbSession,
    actor: Actor,
    versions: VersionCache,
    assessment_id: uuid.UUID | str,
    copy: Copy,
) -> Printable | None:
    """The copy of a submitted assessment as ``actor`` may see it (audited as a view); None
    for a draft (it has no decision to print yet); RecordNotFound where the sharing rules do
    not allow it."""
    sheet = answer_sheet(session, actor, versions, assessment_id, action="assessment.print")
    assessment = sheet.assessment
    decision = current_decision(assessment)
    if assessment.status is AssessmentStatus.DRAFT or decision is None:
        return None
    left_out = 0
    if copy is Copy.PERSON:
        structure = prepare_version(
            session, versions, assessment.questionnaire_version
        ).questionnaire.structure
        sections = []
        for section in sheet.sections:
            kept = [line for line in section.lines if _for_the_person(structure, line.pointer)]
            left_out += len(section.lines) - len(kept)
            sections.append(replace(section, lines=kept))
        sheet = replace(sheet, sections=sections)
    return Printable(sheet, copy, outcome_view(session, decision), utcnow(), left_out)


def _for_the_person(structure: Any, pointer: str) -> bool:
    """Whether no question at or above ``pointer`` is marked ``x-person-copy: false``."""
    tokens = pointer[1:].split("/")
    for end in range(1, len(tokens) + 1):
        question = structure.question("/" + "/".join(tokens[:end]))
        if question is not None and not question.person_copy:
            return False
    return True


def static_fetcher(static_folder: str, static_url_path: str) -> Callable[[str], dict[str, Any]]:
    """A WeasyPrint URL fetcher that serves the app's static files and refuses anything else
    (another host's URL, ``file:``, ``data:`` too, and any path out of ``static_folder``)."""
    root = Path(static_folder).resolve()
    prefix = static_url_path.rstrip("/") + "/"

    def fetch(url: str) -> dict[str, Any]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.path.startswith(prefix):
            raise ValueError(f"not one of the app's static files: {url}")
        path = (root / unquote(parts.path[len(prefix) :])).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise ValueError(f"not one of the app's static files: {url}")
        return {"string": path.read_bytes(), "mime_type": _mime(path), "redirected_url": url}

    return fetch


def _mime(path: Path) -> str:
    return {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}.get(
        path.suffix, "application/octet-stream"
    )


def pdf_of(html: str, base_url: str, fetcher: Callable[[str], dict[str, Any]]) -> bytes:
    """The print view's HTML as a PDF (WeasyPrint, print media, its own fetcher only)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()
    return pdf
