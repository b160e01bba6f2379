"""Forms of the question editor: one question (with its options) and one section."""

from __future__ import annotations

import json
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    Form,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import FieldList, FormField, HiddenField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..questionnaires.editing import (
    NAME_PATTERN,
    NAME_RULE,
    OptionEdit,
    QuestionEdit,
    ShowWhen,
    editable_type,
    editable_types,
)
from ..questionnaires.structure import QuestionType

#: The "show when" choice that means "always".
ALWAYS = ""


def _number(field: Any) -> float | None:
    text = (field.data or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationError(f"{field.label.text} must be a number, like 5 or 2.5") from None


class OptionForm(Form):
    """One option: the words shown, the code stored, and its score when the question is scored."""

    label = StringField("Words shown", validators=[Length(max=500)])
    code = StringField("Code stored", validators=[Length(max=100)])
    score = StringField("Score", validators=[Length(max=20)])

    def validate_score(self, field: Any) -> None:
        _number(field)


class QuestionForm(FlaskForm):
    revision = HiddenField()
    name = StringField(
        "Name",
        widget=GovTextInput(),
        description=f"What the answer is stored under: {NAME_RULE}. Renaming changes the "
        "question's id; rules and test cases that use it are changed with it.",
        validators=[InputRequired(message="Enter the question's name"), Length(max=63)],
    )
    title = StringField(
        "Question",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the question"), Length(max=500)],
    )
    hint = StringField("Hint", widget=GovTextInput(), validators=[Length(max=1000)])
    description = TextAreaField(
        "Description",
        widget=GovTextArea(),
        description="Shown beside the hint, under the question.",
        validators=[Length(max=4000)],
    )
    type = RadioField(
        "Type of answer",
        choices=[SelectChoice(t.type.value, t.label) for t in editable_types()],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the type of answer")],
    )
    required = RadioField(
        "Must it be answered?",
        choices=[
            SelectChoice("yes", "Yes, when it is shown"),
            SelectChoice("no", "No, it can be left out"),
        ],
        default="no",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select whether it must be answered")],
    )
    options = FieldList(FormField(OptionForm), min_entries=0, max_entries=500)
    minimum = StringField("Smallest number allowed", widget=GovTextInput())
    maximum = StringField("Largest number allowed", widget=GovTextInput())
    min_length = StringField("Fewest characters (or choices)", widget=GovTextInput())
    max_length = StringField("Most characters (or choices)", widget=GovTextInput())
    not_after = SelectField("May not be after", choices=[], widget=GovSelect())
    item_label = StringField(
        "What one item is called",
        widget=GovTextInput(),
        description="In lower case, for buttons such as \u201cAdd another medicine\u201d",
        validators=[Length(max=60)],
    )
    show_when = SelectField("Show this question when", choices=[], widget=GovSelect())
    section = SelectField(
        "Section",
        choices=[],
        widget=GovSelect(),
        description="Moving it to another section changes its id; rules and test cases follow.",
    )
    submit = SubmitField("Save question", widget=GovSubmitInput())

    def validate_name(self, field: Any) -> None:
        if not NAME_PATTERN.match(field.data or ""):
            raise ValidationError(f"The name must be {NAME_RULE}")

    def validate_minimum(self, field: Any) -> None:
        _number(field)

    def validate_maximum(self, field: Any) -> None:
        _number(field)

    def validate_min_length(self, field: Any) -> None:
        _whole(field)

    def validate_max_length(self, field: Any) -> None:
        _whole(field)

    def edit(self) -> QuestionEdit:
        """What the form says (call after it validated)."""
        kind = QuestionType(self.type.data)
        chosen = editable_type(kind.value)
        has_options = chosen is not None and chosen.options
        options = tuple(
            OptionEdit(
                (entry.form.label.data or "").strip(),
                (entry.form.code.data or "").strip(),
                _number(entry.form.score),
            )
            for entry in self.options
            if (entry.form.label.data or "").strip() or (entry.form.code.data or "").strip()
        )
        return QuestionEdit(
            name=self.name.data.strip(),
            type=kind,
            title=self.title.data or "",
            hint=self.hint.data or "",
            description=self.description.data or "",
            required=self.required.data == "yes",
            options=options if has_options else (),
            minimum=_number(self.minimum),
            maximum=_number(self.maximum),
            min_length=_whole(self.min_length),
            max_length=_whole(self.max_length),
            not_after=self.not_after.data or "",
            show_when=decode_when(self.show_when.data),
            item_label=self.item_label.data or "",
        )


def _whole(field: Any) -> int | None:
    number = _number(field)
    if number is not None and (not number.is_integer() or number < 0):
        raise ValidationError(f"{field.label.text} must be a whole number, like 10")
    return None if number is None else int(number)


def encode_when(when: ShowWhen | None) -> str:
    return ALWAYS if when is None else json.dumps([when.subject, when.value])


def decode_when(text: str | None) -> ShowWhen | None:
    if not text:
        return None
    try:
        subject, value = json.loads(text)
    except (ValueError, TypeError):
        raise ValidationError("Choose an answer from the list") from None
    if not isinstance(subject, str):
        raise ValidationError("Choose an answer from the list")
    return ShowWhen(subject, value)


def form_data(edit: QuestionEdit, section: str) -> dict[str, Any]:
    """The form's data for a question as saved."""

    def text(value: float | None) -> str:
        if value is None:
            return ""
        return str(int(value)) if float(value).is_integer() else str(value)

    return {
        "name": edit.name,
        "title": edit.title,
        "hint": edit.hint,
        "description": edit.description,
        "type": edit.type.value,
        "required": "yes" if edit.required else "no",
        "options": [
            {"label": o.label, "code": o.code, "score": text(o.score)} for o in edit.options
        ],
        "minimum": text(edit.minimum),
        "maximum": text(edit.maximum),
        "min_length": text(edit.min_length),
        "max_length": text(edit.max_length),
        "not_after": edit.not_after,
        "show_when": encode_when(edit.show_when),
        "item_label": edit.item_label,
        "section": section,
    }


class SectionForm(FlaskForm):
    revision = HiddenField()
    name = StringField(
        "Name",
        widget=GovTextInput(),
        description=f"What its answers are stored under: {NAME_RULE}. It cannot change.",
        validators=[Optional(), Length(max=63)],
    )
    title = StringField(
        "Title",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the section's title"), Length(max=300)],
    )
    description = TextAreaField("Description", widget=GovTextArea(), validators=[Length(max=4000)])
    submit = SubmitField("Save section", widget=GovSubmitInput())
