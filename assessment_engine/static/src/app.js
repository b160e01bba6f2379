// Starts GOV.UK Frontend's components on every page.
import { initAll } from "./govuk-frontend.min.js";
import { initConditions } from "./conditions.js";
import { initCalculated } from "./calculated.js";

initAll();
initConditions();
initCalculated();
