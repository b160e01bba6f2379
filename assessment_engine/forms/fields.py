"""The GOV.UK date field (kept here for importers; defined beside the question types, in
:mod:`assessment_engine.questionnaires.types.date_field`)."""

from __future__ import annotations

from ..questionnaires.types.date_field import GovDateField

__all__ = ["GovDateField"]
