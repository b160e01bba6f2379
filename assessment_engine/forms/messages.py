"""Error messages that name their question, for the pages.

The validator says what is wrong ("Enter a number", "Must be 1900 or more"); on a page with
several questions, and in an error summary read on its own, that is not enough. :func:`named`
adds the question's title and, inside a repeating group, the item ("condition 2"):
"Enter a number for 'Year of diagnosis' in condition 2",
"'Year of diagnosis' in condition 2 must be 1900 or more". The API keeps the short messages
(its errors carry the pointer already).
"""

from __future__ import annotations

from ..questionnaires.structure import QuestionType
from .versions import Questionnaire, compiled_of

#: Messages that ask for something: the question is named after them ("... for 'Title'").
_ASKING = ("Enter ", "Select ", "Add ", "Answer ", "Complete ")


def named(questionnaire: Questionnaire, pointer: str, message: str) -> str:
    """``message`` (about the answer at ``pointer``) with its question and repeat item named."""
    structure = compiled_of(questionnaire).structure
    question = structure.question(pointer)
    if question is None or question.type in (QuestionType.SECTION, QuestionType.GROUP):
        return message
    items = _items(questionnaire, pointer)
    if question.type is QuestionType.REPEATING_GROUP and pointer.rsplit("/", 1)[-1].isdigit():
        subject = items[-1] if items else question.title
        items = items[:-1]
    else:
        subject = f"\u2018{question.title}\u2019"
    where = "".join(f" in {item}" for item in reversed(items))
    if message.startswith(_ASKING):
        return f"{message} for {subject}{where}"
    if message.startswith("Must "):
        return f"{subject}{where} {message[:1].lower()}{message[1:]}"
    return f"{subject}{where}: {message}"


def _items(questionnaire: Questionnaire, pointer: str) -> list[str]:
    """The repeat items ``pointer`` is inside, outermost first ("condition 2")."""
    structure = compiled_of(questionnaire).structure
    found = []
    tokens = pointer[1:].split("/") if pointer else []
    for index, token in enumerate(tokens):
        if not token.isdigit() or index == 0:
            continue
        parent = structure.question("/" + "/".join(tokens[:index]))
        if parent is not None and parent.type is QuestionType.REPEATING_GROUP:
            found.append(f"{parent.item_label or 'item'} {int(token) + 1}")
    return found
