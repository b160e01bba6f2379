"""FHIR R4 mapping: questionnaire versions as Questionnaires, assessments as
QuestionnaireResponses, and back. Pure (no Flask, no database): the JSON API and the admin
pages call it with what they have loaded.
"""

from __future__ import annotations

from .common import (
    CHI_SYSTEM,
    ITEM_WEIGHT,
    NHS_NUMBER_SYSTEM,
    ORDINAL_VALUE,
    ImportNote,
    canonical_url,
    parse_canonical,
)
from .export import questionnaire_resource, response_resource
from .importer import QuestionnaireImport, import_questionnaire, key_for, source_key
from .responses import ResponseImport, answers_from_response, totals_of

__all__ = [
    "CHI_SYSTEM",
    "ITEM_WEIGHT",
    "NHS_NUMBER_SYSTEM",
    "ORDINAL_VALUE",
    "ImportNote",
    "QuestionnaireImport",
    "ResponseImport",
    "answers_from_response",
    "canonical_url",
    "import_questionnaire",
    "key_for",
    "parse_canonical",
    "questionnaire_resource",
    "response_resource",
    "source_key",
    "totals_of",
]
