"""A section page's fields as GOV.UK Frontend markup, written by Python functions.

:func:`section_markup` renders the nodes of :mod:`.rendering` into the same HTML that the
GOV.UK Frontend Jinja macros (``govukInput``, ``govukRadios``, ``govukDateInput`` and the
others, from ``govuk-frontend-jinja``) give for the same parameters. The macros were two thirds
of a section page's time (about 30 nested macro calls a question, each building dictionaries and
capturing blocks); these functions do the same work as string joins, about ten times faster.

Only the parameters that :mod:`.rendering` uses are supported. ``tests/forms/test_markup.py``
renders every section of the bundled questionnaires (empty, answered, with every error shown,
with repeat items) both ways and requires identical markup, whitespace runs aside, using the
original macros kept in ``tests/forms/reference_macros.html``; update both together when the
GOV.UK Frontend version changes.

Every text written by a questionnaire author (titles, hints, options, guidance, values typed
by the user) goes through :func:`markupsafe.escape`; nothing is trusted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

try:  # what escape() itself does to a str: MarkupSafe's C escaping, or its pure Python one
    from markupsafe._speedups import _escape_inner as _escape_str
except ImportError:  # pragma: no cover - a build without the C extension
    try:
        from markupsafe._native import _escape_inner as _escape_str
    except ImportError:  # another MarkupSafe release: its public escape(), the same output

        def _escape_str(s: str, /) -> str:
            return str(escape(s))


Node = dict[str, Any]
Params = dict[str, Any]


def _e(value: Any) -> str:
    # A plain str (most values) straight through MarkupSafe's own escaping, without building a
    # Markup to turn back into str; anything else (numbers, Markup, __html__) through escape().
    if type(value) is str:
        return _escape_str(value)
    return str(escape(value))


def _classes(base: str, extra: str | None) -> str:
    return f"{base} {extra}" if extra else base


def _described_by(*ids: str | None) -> str:
    return " ".join(identifier for identifier in ids if identifier)


def _aria(described_by: str) -> str:
    return f' aria-describedby="{_e(described_by)}"' if described_by else ""


def error_message(text: str, identifier: str) -> str:
    """``govukErrorMessage({"text": text, "id": identifier})``."""
    return (
        f'<p id="{_e(identifier)}" class="govuk-error-message">\n'
        f'  <span class="govuk-visually-hidden">Error:</span> {_e(text)}\n'
        "</p>"
    )


def hint(text: str, identifier: str, classes: str | None = None) -> str:
    """``govukHint``."""
    return (
        f'<div id="{_e(identifier)}" class="{_classes("govuk-hint", classes)}">\n'
        f"  {_e(text)}\n"
        "</div>"
    )


def label(text: Any, for_id: str, classes: str | None = None) -> str:
    """``govukLabel`` (nothing when there is no text, as the macro does)."""
    if not text:
        return ""
    return (
        f'<label class="{_classes("govuk-label", classes)}" for="{_e(for_id)}">\n'
        f"  {_e(text)}\n"
        "</label>"
    )


def inset_text(text: str | None = None, identifier: str | None = None, inner: str = "") -> str:
    """``govukInsetText``: ``text`` escaped, or ``inner`` markup built here."""
    id_attribute = f' id="{_e(identifier)}"' if identifier else ""
    body = inner if inner else _e(text)
    return f'<div{id_attribute} class="govuk-inset-text">\n  {body}\n</div>'


def button(params: Params) -> str:
    """``govukButton`` for a submit button with a name and value."""
    value = f' value="{_e(params["value"])}"' if params.get("value") else ""
    name = f' name="{_e(params["name"])}"' if params.get("name") else ""
    identifier = f' id="{_e(params["id"])}"' if params.get("id") else ""
    return (
        f'<button type="submit"{value}{name}'
        f' class="{_classes("govuk-button", params.get("classes"))}" data-module="govuk-button"'
        f"{identifier}>\n  {_e(params['text'])}\n</button>"
    )


def _form_group(inner: str, error: Any, classes: str | None = None, attributes: str = "") -> str:
    group = "govuk-form-group"
    if error:
        group += " govuk-form-group--error"
    if classes:
        group += f" {classes}"
    return f'<div class="{group}"{attributes}>\n{inner}\n</div>'


def _hint_and_error(params: Params, identifier: str) -> tuple[list[str], list[str]]:
    """The hint and error message of a control and the ids they add to aria-describedby."""
    parts: list[str] = []
    ids: list[str] = []
    if params.get("hint"):
        ids.append(f"{identifier}-hint")
        parts.append(hint(params["hint"]["text"], ids[-1]))
    if params.get("errorMessage"):
        ids.append(f"{identifier}-error")
        parts.append(error_message(params["errorMessage"]["text"], ids[-1]))
    return parts, ids


def _labelled(params: Params, identifier: str) -> tuple[list[str], list[str]]:
    """A single control's label, hint and error message, and the ids for aria-describedby."""
    extra, ids = _hint_and_error(params, identifier)
    return [label(params["label"]["text"], identifier, params["label"].get("classes")), *extra], ids


def _input_element(params: Params, identifier: str, described_by: str) -> str:
    classes = _classes("govuk-input", params.get("classes"))
    if params.get("errorMessage"):
        classes += " govuk-input--error"
    attributes = [f'<input class="{_e(classes)}" id="{_e(identifier)}" name="{_e(params["name"])}"']
    attributes.append(' type="text"')
    spellcheck = params.get("spellcheck")
    if spellcheck is True or spellcheck is False:
        attributes.append(f' spellcheck="{str(spellcheck).lower()}"')
    value = params.get("value")
    if value is not None and value is not False:
        attributes.append(f' value="{_e(value)}"')
    if described_by:
        attributes.append(f' aria-describedby="{_e(described_by)}"')
    if params.get("inputmode"):
        attributes.append(f' inputmode="{_e(params["inputmode"])}"')
    if params.get("autocomplete"):
        attributes.append(f' autocomplete="{_e(params["autocomplete"])}"')
    attributes.append(">")
    return "".join(attributes)


def text_input(params: Params) -> str:
    """``govukInput``, with an optional suffix."""
    identifier = params["id"]
    parts, ids = _labelled(params, identifier)
    element = _input_element(params, identifier, _described_by(*ids))
    suffix = params.get("suffix")
    if suffix and suffix.get("text"):
        element = (
            f'<div class="govuk-input__wrapper">\n{element}\n'
            f'<div class="govuk-input__suffix" aria-hidden="true">{_e(suffix["text"])}</div>\n'
            "</div>"
        )
    parts.append(element)
    return _form_group("\n".join(p for p in parts if p), params.get("errorMessage"))


def textarea(params: Params, counted: int | None = None) -> str:
    """``govukTextarea``, or ``govukCharacterCount`` when ``counted`` is its maximum length."""
    identifier = params["id"]
    parts, ids = _labelled(params, identifier)
    classes = "govuk-textarea"
    if params.get("errorMessage"):
        classes += " govuk-textarea--error"
    if counted is not None:
        classes += " govuk-js-character-count"
        ids.insert(0, f"{identifier}-info")
    parts.append(
        f'<textarea class="{classes}" id="{_e(identifier)}" name="{_e(params["name"])}"'
        f' rows="{_e(params.get("rows") or 5)}"{_aria(_described_by(*ids))}>'
        f"{_e(params.get('value') or '')}</textarea>"
    )
    if counted is None:
        return _form_group("\n".join(p for p in parts if p), params.get("errorMessage"))
    parts.append(
        hint(
            f"You can enter up to {counted} characters",
            f"{identifier}-info",
            "govuk-character-count__message",
        )
    )
    return _form_group(
        "\n".join(p for p in parts if p),
        params.get("errorMessage"),
        "govuk-character-count",
        f' data-module="govuk-character-count" data-maxlength="{_e(counted)}"',
    )


def _fieldset(
    legend: Params, inner: str, described_by: str = "", role: str = "", attributes: str = ""
) -> str:
    role_attribute = f' role="{role}"' if role else ""
    return (
        f'<fieldset class="govuk-fieldset"{role_attribute}{_aria(described_by)}{attributes}>\n'
        f'<legend class="{_classes("govuk-fieldset__legend", legend.get("classes"))}">\n'
        f"{_e(legend['text'])}\n"
        "</legend>\n"
        f"{inner}\n"
        "</fieldset>"
    )


def date_input(params: Params) -> str:
    """``govukDateInput`` with a fieldset and the day, month and year items given."""
    identifier = params["id"]
    parts, ids = _hint_and_error(params, identifier)
    items = []
    for item in params["items"]:
        control = text_input(
            {
                "id": item["id"],
                "name": item["name"],
                "label": {"text": item["label"], "classes": "govuk-date-input__label"},
                "classes": f"govuk-date-input__input {item.get('classes') or ''}",
                "value": item.get("value"),
                "inputmode": "numeric",
            }
        )
        items.append(f'<div class="govuk-date-input__item">\n{control}\n</div>')
    parts.append(
        f'<div class="govuk-date-input" id="{_e(identifier)}">\n' + "\n".join(items) + "\n</div>"
    )
    inner = "\n".join(parts)
    fieldset = _fieldset(params["fieldset"]["legend"], inner, _described_by(*ids), role="group")
    return _form_group(fieldset, params.get("errorMessage"))


def _choices(params: Params, kind: str) -> str:
    """``govukRadios`` (kind ``radios``) or ``govukCheckboxes`` (``checkboxes``)."""
    prefix = params["idPrefix"]
    parts, ids = _hint_and_error(params, prefix)
    input_type = "radio" if kind == "radios" else "checkbox"
    name = _e(params["name"])
    items = []
    for index, item in enumerate(params["items"], start=1):
        if not item:
            continue
        if item.get("divider"):
            items.append(f'<div class="govuk-{kind}__divider">{_e(item["divider"])}</div>')
            continue
        item_id = prefix if index == 1 else f"{prefix}-{index}"
        item_hint = item.get("hint")
        hint_id = f"{item_id}-item-hint" if item_hint and item_hint.get("text") else ""
        control = [
            (
                f'<input class="govuk-{kind}__input" id="{_e(item_id)}" name="{name}"'
                f' type="{input_type}" value="{_e(item["value"])}"'
            )
        ]
        if item.get("checked"):
            control.append(" checked")
        if item.get("behaviour"):
            control.append(f' data-behaviour="{_e(item["behaviour"])}"')
        control.append(f"{_aria(hint_id)}>")
        lines = [
            "".join(control),
            label(item.get("text"), item_id, f"govuk-{kind}__label"),
        ]
        if hint_id:
            lines.append(hint(item_hint["text"], hint_id, f"govuk-{kind}__hint"))
        items.append(f'<div class="govuk-{kind}__item">\n' + "\n".join(lines) + "\n</div>")
    parts.append(
        f'<div class="{_classes(f"govuk-{kind}", params.get("classes"))}"'
        f' data-module="govuk-{kind}">\n' + "\n".join(items) + "\n</div>"
    )
    fieldset = _fieldset(params["fieldset"]["legend"], "\n".join(parts), _described_by(*ids))
    return _form_group(fieldset, params.get("errorMessage"))


def select(params: Params) -> str:
    """``govukSelect``."""
    identifier = params["id"]
    parts, ids = _labelled(params, identifier)
    classes = "govuk-select"
    if params.get("errorMessage"):
        classes += " govuk-select--error"
    options = [
        f'<option value="{_e(item["value"])}"{" selected" if item.get("selected") else ""}>'
        f"{_e(item['text'])}</option>"
        for item in params["items"]
    ]
    parts.append(
        f'<select class="{classes}" id="{_e(identifier)}" name="{_e(params["name"])}"'
        f"{_aria(_described_by(*ids))}>\n" + "\n".join(options) + "\n</select>"
    )
    return _form_group("\n".join(parts), params.get("errorMessage"))


def summary_list(params: Params) -> str:
    """``govukSummaryList`` with rows of a key and a value (no actions)."""
    # The id, and any data- attribute (a live total's data-calculated), escaped.
    identifier = "".join(
        f' {_e(name)}="{_e(value)}"'
        for name, value in (params.get("attributes") or {}).items()
        if name == "id" or name.startswith("data-")
    )
    rows = [
        '<div class="govuk-summary-list__row">\n'
        f'<dt class="govuk-summary-list__key">\n{_e(row["key"]["text"])}\n</dt>\n'
        f'<dd class="govuk-summary-list__value">\n{_e(row["value"]["text"])}\n</dd>\n'
        "</div>"
        for row in params["rows"]
    ]
    classes = _classes("govuk-summary-list", params.get("classes"))
    return f'<dl class="{classes}"{identifier}>\n' + "\n".join(rows) + "\n</dl>"


#: Given to the fieldset that takes focus when the page loads (no script needed).
_FOCUSED = ' tabindex="-1" autofocus'


def _group_fieldset(node: Node, body: list[str], group_class: str) -> str:
    """The fieldset of a group or a repeating group, with its own hint and error."""
    identifier = node["id"]
    parts = []
    hint_id = f"{identifier}-hint" if node.get("hint") else ""
    error_id = f"{identifier}-error" if node.get("error") else ""
    if hint_id:
        parts.append(f'<div class="govuk-hint" id="{_e(hint_id)}">{_e(node["hint"]["text"])}</div>')
    if error_id:
        parts.append(error_message(node["error"]["text"], error_id))
    parts += body
    fieldset = _fieldset(
        {"text": node["legend"], "classes": "govuk-fieldset__legend--m"},
        "\n".join(parts),
        _described_by(hint_id, error_id),
        attributes=f' id="{_e(identifier)}"' + (_FOCUSED if node.get("focus") else ""),
    )
    error_class = " govuk-form-group--error" if node.get("error") else ""
    return f'<div class="govuk-form-group {group_class}{error_class}">\n{fieldset}\n</div>'


def _group(node: Node) -> str:
    return _group_fieldset(node, [render_node(child) for child in node["children"]], "app-group")


def _repeat(node: Node) -> str:
    body = []
    if node.get("list_marker"):
        body.append(f'<input type="hidden" name="{_e(node["list_marker"])}" value="1">')
    for item in node["items"]:
        inner = [f'<input type="hidden" name="{_e(item["marker"])}" value="1">']
        if item.get("error"):
            inner.append(error_message(item["error"]["text"], f"{item['id']}-error"))
        inner += [render_node(child) for child in item["children"]]
        inner.append(button(item["remove"]))
        fieldset = _fieldset(
            {"text": item["legend"], "classes": "govuk-fieldset__legend--s"},
            "\n".join(inner),
            attributes=f' id="{_e(item["id"])}"' + (_FOCUSED if item.get("focus") else ""),
        )
        error_class = " govuk-form-group--error" if item.get("error") else ""
        body.append(f'<div class="app-repeat__item{error_class}">\n{fieldset}\n</div>')
    if node.get("add"):
        body.append(button(node["add"]))
    return _group_fieldset(node, body, "app-repeat")


def _guidance(node: Node) -> str:
    inner = (
        f'<h2 class="govuk-heading-s">{_e(node["title"])}</h2>\n'
        f'<p class="govuk-body">{_e(node["text"])}</p>'
    )
    return inset_text(identifier=node["id"], inner=inner)


def _character_count(params: Params) -> str:
    return textarea(params, counted=params["maxlength"])


_BY_MACRO: dict[str, Callable[[Params], str]] = {
    "input": text_input,
    "textarea": textarea,
    "character_count": _character_count,
    "date": date_input,
    "radios": lambda params: _choices(params, "radios"),
    "checkboxes": lambda params: _choices(params, "checkboxes"),
    "select": select,
    "summary": summary_list,
}


def render_node(node: Node) -> str:
    """One question (with its guidance, and the wrapper that shows or hides it)."""
    parts = []
    if node.get("guidance"):
        parts.append(inset_text(node["guidance"]))
    macro = node.get("macro")
    if macro in _BY_MACRO:
        parts.append(_BY_MACRO[macro](node["params"]))
    elif macro == "guidance":
        parts.append(_guidance(node))
    elif macro == "group":
        parts.append(_group(node))
    elif macro == "repeat":
        parts.append(_repeat(node))
    html = "\n".join(parts)
    if node.get("conditions"):
        hidden = " hidden" if node.get("hidden") else ""
        return (
            f'<div class="app-conditional" data-pointer="{_e(node["pointer"])}"'
            f' data-conditions="{_e(node["conditions"])}"{hidden}>\n{html}\n</div>'
        )
    return html


def section_markup(form: Any, default_action: str | None = "save") -> Markup:
    """Every field of ``form`` (a :class:`~.builder.SectionForm`), in page order."""
    section = form.section
    parts = []
    if section.description:
        parts.append(f'<p class="govuk-body">{_e(section.description)}</p>')
    if section.guidance:
        parts.append(inset_text(section.guidance))
    section_errors = form.answer_errors.get(section.pointer)
    if section_errors:
        anchor = form.entries[section.pointer].anchor
        parts.append(error_message(section_errors[0], f"{anchor}-section-error"))
    nodes = form.render_nodes()
    if default_action and form.has_repeats:
        # Pressing Enter in a text box submits with the form's first button: make that "save",
        # not "Remove medicine 1". It is out of sight and out of the tab order.
        parts.append(
            f'<button type="submit" name="action" value="{_e(default_action)}"'
            ' class="govuk-visually-hidden" tabindex="-1" aria-hidden="true">Save</button>'
        )
    parts += [render_node(node) for node in nodes]
    return Markup("\n".join(parts))  # noqa: S704 - every text above went through escape()
