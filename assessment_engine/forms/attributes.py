"""Where a question's field sits on a WTForms form (its Python attribute)."""

from __future__ import annotations

from typing import Any

from ..questionnaires.structure import Question
from ..questionnaires.types.naming import encode_name

#: Form attributes are this plus the encoded name, so a question called ``data`` or ``meta``
#: cannot clash with WTForms' own attributes; the HTML name drops it (see ``builder._Meta``).
ATTR_PREFIX = "q_"


def child_field(container: Any, question: Question) -> Any:
    """The field answering ``question`` in a section form, group or repeat item (or None)."""
    return container._fields.get(ATTR_PREFIX + encode_name(question.name))
