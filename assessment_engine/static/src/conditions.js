// Shows and hides conditional questions as answers change, mirroring the server's rules.
//
// The server renders every question; one whose conditions do not hold carries `hidden` and
// `data-conditions`: a JSON list of conditions, all of which must hold. A condition is a list
// of clauses (all must hold, or, when `negated`, not all) about a sibling question, named by
// its inputs' `name` (`subject`), read as `type`, and tested with one JSON Schema keyword
// (`const`, `enum`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `minItems`,
// `contains`) or `answered`. A sibling that is unanswered, or itself hidden, fails every
// clause, as JSON Schema's `required` does on the server. Without this script the page still
// works: the server decides what is shown when the page is saved.

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d{1,3})?$/;

function typed(text, type) {
  if (type === "boolean") return text === "true" ? true : text === "false" ? false : text;
  if ((type === "integer" || type === "number") && NUMBER.test(text.trim())) return Number(text);
  return text;
}

function equal(a, b) {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => equal(item, b[index]));
  }
  return a === b;
}

/** The subject's answer, or undefined when it has none (or is hidden). */
export function answerOf(form, clause) {
  const inputs = Array.from(form.querySelectorAll("[name]")).filter(
    (element) => element.name === clause.subject && !element.closest("[hidden]"),
  );
  if (clause.type === "list") {
    const prefix = `${clause.subject}-`;
    const items = Array.from(form.querySelectorAll("input[type=hidden][name$='-.item']")).filter(
      (element) => element.name.startsWith(prefix) && !element.closest("[hidden]"),
    );
    return items.length ? items.map(() => ({})) : undefined;
  }
  if (!inputs.length) return undefined;
  const first = inputs[0];
  if (first.type === "checkbox") {
    const ticked = inputs.filter((input) => input.checked).map((input) => input.value);
    if (!ticked.length) return undefined;
    if (ticked.includes(clause.none)) return [];
    return ticked.map((value) => typed(value, clause.items || "string"));
  }
  if (first.type === "radio") {
    const chosen = inputs.find((input) => input.checked);
    return chosen ? typed(chosen.value, clause.type) : undefined;
  }
  const text = first.value.trim();
  return text === "" ? undefined : typed(text, clause.type);
}

/** Whether one clause holds for the subject's answer (JSON Schema semantics). */
export function clauseHolds(clause, value) {
  if (value === undefined) return false;
  const test = clause.value;
  const isNumber = typeof value === "number";
  switch (clause.keyword) {
    case "answered":
      return true;
    case "const":
      return equal(value, test);
    case "enum":
      return test.some((option) => equal(value, option));
    case "minimum":
      return !isNumber || value >= test;
    case "maximum":
      return !isNumber || value <= test;
    case "exclusiveMinimum":
      return !isNumber || value > test;
    case "exclusiveMaximum":
      return !isNumber || value < test;
    case "minItems":
      return !Array.isArray(value) || value.length >= test;
    case "contains": {
      if (!Array.isArray(value)) return true;
      const wanted = "const" in test ? [test.const] : test.enum;
      return value.some((item) => wanted.some((option) => equal(item, option)));
    }
    default:
      return true; // unknown to this script: leave the decision to the server
  }
}

/** Whether a question with these conditions is shown. */
export function shown(form, conditions) {
  return conditions.every((condition) => {
    const all = condition.clauses.every((clause) => clauseHolds(clause, answerOf(form, clause)));
    return condition.negated ? !all : all;
  });
}

function update(form) {
  const wrappers = Array.from(form.querySelectorAll("[data-conditions]"));
  // Showing or hiding one question can change another's subject: repeat until nothing moves.
  for (let pass = 0; pass <= wrappers.length; pass += 1) {
    let changed = false;
    for (const wrapper of wrappers) {
      let conditions;
      try {
        conditions = JSON.parse(wrapper.dataset.conditions);
      } catch {
        continue;
      }
      const hide = !shown(form, conditions);
      if (hide !== wrapper.hidden) {
        wrapper.hidden = hide;
        changed = true;
      }
    }
    if (!changed) return;
  }
}

/** The name of the field that tells the server this page showed and hid questions as it went. */
export const SCRIPTED_FIELD = "conditions_live";

export function initConditions(root = document) {
  for (const form of root.querySelectorAll("form")) {
    if (!form.querySelector("[data-conditions]")) continue;
    // With this script, every question a person's answers reveal was in front of them before
    // they saved, so the server need not show the page again for newly revealed questions.
    const marker = form.ownerDocument.createElement("input");
    marker.type = "hidden";
    marker.name = SCRIPTED_FIELD;
    marker.value = "1";
    form.append(marker);
    form.addEventListener("change", () => update(form));
    form.addEventListener("input", () => update(form));
    update(form);
  }
}
