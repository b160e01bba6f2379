// Copies the JavaScript the pages load into static/dist: GOV.UK Frontend's bundle and our own.
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const dist = join(here, "..", "dist");
mkdirSync(dist, { recursive: true });

copyFileSync(
  join(root, "node_modules", "govuk-frontend", "dist", "govuk", "govuk-frontend.min.js"),
  join(dist, "govuk-frontend.min.js"),
);
for (const name of readdirSync(here)) {
  if (name.endsWith(".js")) copyFileSync(join(here, name), join(dist, name));
}
