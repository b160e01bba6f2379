"""What changed between two questionnaire versions, in words an administrator can check.

Pure: compares two question models (:class:`Structure`) and two rules documents. Questions are
matched by their id (JSON Pointer); one that disappears from one place and appears in another
with the same name, type and title is reported as moved (its id changed, so answers to it will
not carry forward); one whose place among its siblings changed is reported as moved too.
Rules are matched by their ``id``.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .structure import Question, Structure

#: At most this many value differences are listed for one changed rule.
MAX_RULE_DETAILS = 12


@dataclass(frozen=True)
class Change:
    """One difference: ``kind`` is added, removed, moved, reworded, options, scores, type,
    required, limits, conditions, rule-added, rule-removed or rule-changed."""

    kind: str
    pointer: str
    summary: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Comparison:
    old_label: str
    new_label: str
    questions: list[Change] = field(default_factory=list)
    rules: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.questions and not self.rules

    def as_text(self) -> str:
        """The comparison as plain text (for notes, e-mails and the closing report)."""
        lines = [f"What changed from {self.old_label} to {self.new_label}"]
        for heading, changes in (("Questions", self.questions), ("Rules", self.rules)):
            lines.append(f"{heading}:")
            if not changes:
                lines.append("  no changes")
            for change in changes:
                lines.append(f"  [{change.kind}] {change.pointer}: {change.summary}")
                lines.extend(f"      {detail}" for detail in change.details)
        return "\n".join(lines)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else f"“{value}”"
    return text if len(text) <= 200 else text[:199] + "…"


def _number(value: float | None) -> str:
    if value is None:
        return "none"
    return str(int(value)) if float(value).is_integer() else str(value)


def _parent(pointer: str) -> str:
    return pointer.rsplit("/", 1)[0]


def compare_questions(old: Structure, new: Structure) -> list[Change]:
    """Questions added, removed, moved, reworded, retyped; options and scores changed."""
    changes: list[Change] = []
    old_q, new_q = dict(old.questions), dict(new.questions)
    removed = [p for p in old_q if p not in new_q]
    added = [p for p in new_q if p not in old_q]
    moved_pairs: list[tuple[str, str]] = []
    for pointer in list(removed):
        before = old_q[pointer]
        match = next(
            (
                p
                for p in added
                if new_q[p].name == before.name
                and new_q[p].type == before.type
                and new_q[p].title == before.title
            ),
            None,
        )
        if match is not None:
            moved_pairs.append((pointer, match))
            removed.remove(pointer)
            added.remove(match)
    if old.title != new.title:
        changes.append(
            Change("reworded", "/", f"questionnaire title {_show(old.title)} → {_show(new.title)}")
        )
    for pointer in added:
        if _parent(pointer) in added:
            continue  # inside a new section or group: listed with it
        question = new_q[pointer]
        inside = sum(1 for p in added if p.startswith(pointer + "/"))
        extra = f" with {inside} question(s) inside" if inside else ""
        changes.append(
            Change("added", pointer, f"{question.type.value} {_show(question.title)}{extra}")
        )
    for pointer in removed:
        if _parent(pointer) in removed:
            continue
        question = old_q[pointer]
        changes.append(
            Change(
                "removed",
                pointer,
                f"{question.type.value} {_show(question.title)} (answers to it are not kept)",
            )
        )
    for old_pointer, new_pointer in moved_pairs:
        changes.append(
            Change(
                "moved",
                new_pointer,
                f"{_show(new_q[new_pointer].title)} moved from {old_pointer} to {new_pointer} "
                "(a new question id: answers do not carry forward)",
            )
        )
    changes += _reordered(old, new)
    for pointer, question in old_q.items():
        counterpart = new_q.get(pointer)
        if counterpart is not None:
            changes += _question_changes(pointer, question, counterpart)
    return changes


def _reordered(old: Structure, new: Structure) -> list[Change]:
    """Questions whose place among their siblings changed (the fewest that explain it)."""
    changes: list[Change] = []
    parents = {"": (old.sections, new.sections)}
    for pointer, question in old.questions.items():
        other = new.questions.get(pointer)
        if other is not None and question.children:
            parents[pointer] = (question.children, other.children)
    for parent, (before, after) in parents.items():
        names_before = [q.name for q in before]
        names_after = [q.name for q in after]
        common = set(names_before) & set(names_after)
        a = [n for n in names_before if n in common]
        b = [n for n in names_after if n in common]
        if a == b:
            continue
        matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
        kept = {
            a[block.a + i] for block in matcher.get_matching_blocks() for i in range(block.size)
        }
        for name in b:
            if name not in kept:
                question = next(q for q in after if q.name == name)
                changes.append(
                    Change(
                        "moved",
                        question.pointer,
                        f"{_show(question.title)} moved from position {a.index(name) + 1} "
                        f"to {b.index(name) + 1} in {parent or 'the questionnaire'}",
                    )
                )
    return changes


def _question_changes(pointer: str, before: Question, after: Question) -> list[Change]:
    changes: list[Change] = []
    wording = [
        f"{label}: {_show(old)} → {_show(new)}"
        for label, old, new in (
            ("title", before.title, after.title),
            ("hint", before.hint, after.hint),
            ("description", before.description, after.description),
            ("guidance", before.guidance, after.guidance),
        )
        if old != new
    ]
    if wording:
        changes.append(Change("reworded", pointer, wording[0], tuple(wording[1:])))
    if before.type != after.type:
        changes.append(Change("type", pointer, f"{before.type.value} → {after.type.value}"))
    if before.required != after.required:
        state = "now required" if after.required else "no longer required"
        changes.append(Change("required", pointer, state))
    limits = [
        f"{name}: {_show(old)} → {_show(new)}"
        for name in (
            "minimum",
            "maximum",
            "exclusive_minimum",
            "exclusive_maximum",
            "min_length",
            "max_length",
            "pattern",
            "min_items",
            "max_items",
        )
        if (old := getattr(before, name)) != (new := getattr(after, name))
    ]
    if limits:
        changes.append(Change("limits", pointer, limits[0], tuple(limits[1:])))
    if [c.source for c in before.conditions] != [c.source for c in after.conditions]:
        changes.append(Change("conditions", pointer, "when it is shown changed"))
    changes += _option_changes(pointer, before, after)
    return changes


def _option_changes(pointer: str, before: Question, after: Question) -> list[Change]:
    old = {json.dumps(o.value): o for o in before.options}
    new = {json.dumps(o.value): o for o in after.options}
    options: list[str] = []
    scores: list[str] = []
    for key, option in new.items():
        if key not in old:
            options.append(f"option {key} added: {_show(option.label)}")
        elif old[key].label != option.label:
            options.append(
                f"option {key} relabelled: {_show(old[key].label)} → {_show(option.label)}"
            )
        if key in old and old[key].score != option.score:
            scores.append(
                f"option {key} ({option.label}) score {_number(old[key].score)} → "
                f"{_number(option.score)}"
            )
    for key, option in old.items():
        if key not in new:
            options.append(f"option {key} removed: {_show(option.label)}")
    changes = []
    if options:
        changes.append(Change("options", pointer, options[0], tuple(options[1:])))
    if scores:
        changes.append(Change("scores", pointer, scores[0], tuple(scores[1:])))
    return changes


def _rules_by_id(rules: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    listed = (rules or {}).get("rules", [])
    if not isinstance(listed, list):
        return {}
    return {
        str(rule.get("id")): rule
        for rule in listed
        if isinstance(rule, Mapping) and isinstance(rule.get("id"), str)
    }


def _leaf_changes(path: str, old: Any, new: Any, out: list[str]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in list(old) + [k for k in new if k not in old]:
            if key not in new:
                out.append(f"{path}/{key} removed (was {_show(old[key])})")
            elif key not in old:
                out.append(f"{path}/{key} added: {_show(new[key])}")
            else:
                _leaf_changes(f"{path}/{key}", old[key], new[key], out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _leaf_changes(f"{path}/{index}", a, b, out)
    elif old != new or type(old) is not type(new):
        out.append(f"{path or '/'}: {_show(old)} → {_show(new)}")


def compare_rules(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[Change]:
    """Rules added, removed and changed, by id, each change listed value by value."""
    before, after = _rules_by_id(old), _rules_by_id(new)
    changes: list[Change] = []
    for rule_id, rule in after.items():
        title = rule.get("title") or rule.get("kind")
        if rule_id not in before:
            changes.append(Change("rule-added", rule_id, f"{rule.get('kind')} rule {_show(title)}"))
        elif before[rule_id] != rule:
            details: list[str] = []
            _leaf_changes("", before[rule_id], rule, details)
            summary = f"{rule.get('kind')} rule {_show(title)}: {len(details)} change(s)"
            if len(details) > MAX_RULE_DETAILS:
                details = [
                    *details[:MAX_RULE_DETAILS],
                    f"… and {len(details) - MAX_RULE_DETAILS} more",
                ]
            changes.append(Change("rule-changed", rule_id, summary, tuple(details)))
    for rule_id, rule in before.items():
        if rule_id not in after:
            title = rule.get("title") or rule.get("kind")
            changes.append(
                Change("rule-removed", rule_id, f"{rule.get('kind')} rule {_show(title)}")
            )
    old_order = [i for i in before if i in after]
    new_order = [i for i in after if i in before]
    if old_order != new_order:
        changes.append(Change("rule-changed", "/rules", "the rules are listed in a new order"))
    return changes


def compare(
    old: Structure,
    new: Structure,
    old_rules: Mapping[str, Any] | None,
    new_rules: Mapping[str, Any] | None,
    *,
    old_label: str,
    new_label: str,
) -> Comparison:
    """The readable comparison of two versions."""
    return Comparison(
        old_label, new_label, compare_questions(old, new), compare_rules(old_rules, new_rules)
    )
