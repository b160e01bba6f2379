"""Web forms: fields shared by every form, and (built from JSON Schema) the assessment pages.

The questionnaire renderer's public API, importable from here (loaded on first use, so that
``forms.fields`` can be imported without the questionnaire machinery):

* :func:`section_form`, :func:`answers_from_form`, :func:`apply_errors`, :func:`error_summary`,
  :func:`field_id`, :func:`section_form_class` (``builder``, ``naming``);
* :func:`apply_action`, :func:`parse_action` (``actions``: add/remove repeat items);
* :func:`read_section`, :func:`newly_visible` (``pages``: a section page's POST);
* :func:`summary_rows` (``summary``: check your answers);
* the template ``forms/section_fields.html`` (its markup written by ``markup.section_markup``).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "section_form": "builder",
    "section_form_class": "builder",
    "questionnaire_forms": "builder",
    "answers_from_form": "builder",
    "apply_errors": "builder",
    "coercion_errors": "builder",
    "error_summary": "builder",
    "field_anchor": "builder",
    "SectionForm": "builder",
    "field_id": "naming",
    "apply_action": "actions",
    "parse_action": "actions",
    "Action": "actions",
    "read_section": "pages",
    "newly_visible": "pages",
    "SectionPost": "pages",
    "summary_rows": "summary",
    "mark_missing": "summary",
    "named": "messages",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
