// Shows a calculated total (the PHQ-9's, the GAD-7's, the carer strain total) as its questions
// are answered, as progressive enhancement: the server renders the total of the saved answers
// and recalculates it on every save, so it stays the authority and the page works without this.
//
// A total is a GOV.UK summary list carrying `data-calculated`: JSON with `of`, the summed
// questions (each an input `name` and the `scores` of its options, or null for a number typed),
// and `empty`, the words shown until every one of them has an answer, as on the server.

function scoreOf(form, item) {
  const inputs = Array.from(form.querySelectorAll("[name]")).filter(
    (element) => element.name === item.name && !element.closest("[hidden]"),
  );
  for (const input of inputs) {
    if ((input.type === "radio" || input.type === "checkbox") && !input.checked) continue;
    const text = input.value.trim();
    if (text === "") continue;
    if (item.scores) {
      const score = item.scores[text];
      return typeof score === "number" ? score : undefined;
    }
    const number = Number(text);
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
}

export function totalOf(form, described) {
  let total = 0;
  for (const item of described.of) {
    const score = scoreOf(form, item);
    if (score === undefined) return undefined;
    total += score;
  }
  return total;
}

function update(form, element) {
  let described;
  try {
    described = JSON.parse(element.dataset.calculated);
  } catch {
    return;
  }
  const value = element.querySelector(".govuk-summary-list__value");
  if (!value) return;
  const total = totalOf(form, described);
  value.textContent = total === undefined ? described.empty : String(Math.round(total * 100) / 100);
}

export function initCalculated(root = document) {
  for (const form of root.querySelectorAll("form")) {
    const totals = form.querySelectorAll("[data-calculated]");
    if (totals.length === 0) continue;
    for (const element of totals) element.setAttribute("aria-live", "polite");
    const refresh = () => totals.forEach((element) => update(form, element));
    form.addEventListener("change", refresh);
    form.addEventListener("input", refresh);
  }
}
