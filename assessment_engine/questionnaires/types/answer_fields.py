"""WTForms fields for questionnaire answers: one per kind of question.

Each field's ``data`` is the JSON answer itself (``None`` when unanswered) and parsing posted
text only coerces types: "5" becomes ``5``, "true" becomes ``True``, three date boxes become
``"2025-03-27"``. Whether the answer is allowed (in range, a known option, short enough) is
decided by the questionnaire's JSON Schema validator, never here, so a value that parses is
passed through even when it is not one of the options.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import Field
from wtforms.fields import FieldList, FormField
from wtforms.utils import unset_value

from ..model import Question
from .date_field import GovDateField
from .naming import LIST_MARKER

#: What a number typed in a box may look like (no thousands separators, exponent of <= 3 digits).
NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?")
ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
#: Longest number text read (anything longer is refused before any arithmetic).
MAX_NUMBER_TEXT = 40


def encode_value(value: Any) -> str:
    """How an option's value is written in a radio, checkbox or select ``value``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def coerce_unknown(text: str, json_type: str) -> Any:
    """A posted value that is not an option, typed as the options are where it can be.

    The validator then reports it as "not one of the options" (or as the wrong type) at its
    field, exactly as JSON Schema would for the same value.
    """
    if (
        json_type in ("integer", "number")
        and len(text) <= MAX_NUMBER_TEXT
        and NUMBER.fullmatch(text)
    ):
        number = Decimal(text)
        if json_type == "integer" and number == number.to_integral_value():
            return int(number)
        converted = float(number)
        return converted if math.isfinite(converted) else text
    return text


def options_json_type(question: Question) -> str:
    """The JSON type of a choice's option values: ``integer``, ``number`` or ``string``."""
    values = [option.value for option in question.options]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "integer"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "number"
    return "string"


def none_code_for(question: Question) -> str | None:
    """The value of a multiple choice's "None of these" box (``None`` when minItems forbids it)."""
    if question.min_items:
        return None
    codes = {encode_value(option.value) for option in question.options}
    code = "none"
    while code in codes:
        code = "_" + code
    return code


class AnswerField(Field):
    """Base of the answer fields: ``data`` is the answer, ``question`` what it answers."""

    def __init__(
        self, label: str | None = None, validators: Any = None, *, question: Question, **kwargs: Any
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.question = question

    def process_data(self, value: Any) -> None:
        self.data = value

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        self.data = self.parse(valuelist)

    def parse(self, valuelist: list[str]) -> Any:
        """The answer the posted values stand for; ``ValueError`` says why there is none."""
        raise NotImplementedError

    def answer(self) -> Any:
        """The JSON answer, or ``None`` when the question is unanswered."""
        return self.data

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else encode_value(self.data)


class TextAnswerField(AnswerField):
    """Short or long text: line endings made ``\\n`` and outer spaces trimmed; empty is none."""

    def parse(self, valuelist: list[str]) -> Any:
        text = valuelist[0] if valuelist else ""
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
        return text or None


class NumberAnswerField(AnswerField):
    """A whole number (``integer=True``) or a decimal, typed in a text box."""

    def __init__(self, *args: Any, integer: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.integer = integer

    def parse(self, valuelist: list[str]) -> Any:
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            return None
        message = "Enter a whole number" if self.integer else "Enter a number"
        if len(text) > MAX_NUMBER_TEXT or not NUMBER.fullmatch(text):
            raise ValueError(message)
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
            raise ValueError(message) from None
        if self.integer:
            if number != number.to_integral_value():
                raise ValueError(message)
            return int(number)
        converted = float(number)
        if not math.isfinite(converted):
            raise ValueError(message)
        return converted

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        value = self.data
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return "" if value is None else encode_value(value)


class DateAnswerField(GovDateField):
    """A GOV.UK date input whose answer is an ISO date string (``YYYY-MM-DD``)."""

    #: A date; or, shown back from saved answers, a string that is not a real date.
    data: Any

    def __init__(
        self, label: str | None = None, validators: Any = None, *, question: Question, **kwargs: Any
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.question = question

    def process_data(self, value: Any) -> None:
        self.data = value
        if isinstance(value, str) and ISO_DATE.fullmatch(value):
            try:
                self.data = date.fromisoformat(value)
            except ValueError:
                self.data = value  # an impossible date: shown back in the boxes as it is

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        super().process_formdata(valuelist)

    def answer(self) -> Any:
        return self.data.isoformat() if isinstance(self.data, date) else self.data

    def parts(self) -> tuple[str, str, str]:
        """What the day, month and year boxes show."""
        if self.raw_data:
            day, month, year = [*self.raw_data, "", "", ""][:3]
            return str(day), str(month), str(year)
        if isinstance(self.data, date):
            return str(self.data.day), str(self.data.month), str(self.data.year)
        if self.data is None:
            return "", "", ""
        text = encode_value(self.data)
        match = ISO_DATE.fullmatch(text)
        if match:
            return match.group(3), match.group(2), match.group(1)
        return text, "", ""


class ChoiceAnswerField(AnswerField):
    """Radios, yes/no or a select: one of the options, by its encoded value.

    ``codes`` maps each option's encoded value to the option's value; ``json_type`` types a
    posted value that is not an option, for the validator to report.
    """

    def __init__(self, *args: Any, codes: Mapping[str, Any], json_type: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.codes = codes
        self.json_type = json_type

    def parse(self, valuelist: list[str]) -> Any:
        text = valuelist[0] if valuelist else ""
        if text == "":
            return None
        if text in self.codes:
            return self.codes[text]
        return coerce_unknown(text, self.json_type)

    def is_selected(self, code: str) -> bool:
        """Whether the option written ``code`` is the current answer."""
        if self.raw_data:
            return code in self.raw_data[:1]
        return self.data is not None and encode_value(self.data) == code and code in self.codes


class MultiChoiceAnswerField(AnswerField):
    """Checkboxes: a list of options; ``none_code`` is the "None of these" box, when offered.

    Ticking nothing leaves the question unanswered; ticking only "None of these" answers it
    with an empty list. Ticking "None of these" and an option as well (possible only without
    JavaScript, which unticks the others) cannot be read as an answer.
    """

    def __init__(
        self,
        *args: Any,
        codes: Mapping[str, Any],
        json_type: str,
        none_code: str | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.codes = codes
        self.json_type = json_type
        self.none_code = none_code

    def parse(self, valuelist: list[str]) -> Any:
        if not valuelist:
            return None
        if self.none_code is not None and self.none_code in valuelist:
            if any(value != self.none_code for value in valuelist):
                raise ValueError("Select the options that apply, or \u2018None of these\u2019")
            return []
        return [
            self.codes[value] if value in self.codes else coerce_unknown(value, self.json_type)
            for value in valuelist
        ]

    def is_selected(self, code: str) -> bool:
        if self.raw_data:
            return code in self.raw_data
        if not isinstance(self.data, list):
            return False
        if code == self.none_code:
            return self.data == []
        return any(encode_value(value) == code for value in self.data)


class GroupField(FormField):
    """A nested group of questions (a fieldset), or one item of a repeating group."""

    def __init__(self, form_class: Any, *args: Any, question: Question, **kwargs: Any) -> None:
        super().__init__(form_class, *args, **kwargs)
        self.question = question


class RepeatField(FieldList):
    """A repeating group: a list of :class:`GroupField` items, added and removed by buttons.

    ``answered`` says whether the list itself has an answer: true once the saved answers hold a
    list (even an empty one), or the page says so (a hidden input written while it is answered,
    and after any add or remove). So an untouched empty list stays unanswered, while removing
    the last item answers "none".
    """

    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.question = question
        self.answered = False

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        super().process(formdata, data, extra_filters)
        if formdata is not None:
            self.answered = bool(self.entries) or f"{self.name}-{LIST_MARKER}" in formdata
        else:
            self.answered = isinstance(data, list)
