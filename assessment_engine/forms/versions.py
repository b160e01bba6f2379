"""What the form code is given as "a questionnaire version": prepared (with its rules) or only
compiled. Every form module asks :func:`compiled_of` for the compiled questionnaire."""

from __future__ import annotations

from ..questionnaires.compiled import CompiledQuestionnaire
from ..questionnaires.runtime import PreparedVersion

Questionnaire = PreparedVersion | CompiledQuestionnaire


def compiled_of(questionnaire: Questionnaire) -> CompiledQuestionnaire:
    """The compiled questionnaire of a prepared version (or the compiled one itself)."""
    if isinstance(questionnaire, PreparedVersion):
        return questionnaire.questionnaire
    return questionnaire
