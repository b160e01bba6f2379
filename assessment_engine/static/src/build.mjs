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
// The API documentation page (/api/v1/docs): Swagger UI from the installed package, never a CDN.
mkdirSync(join(dist, "swagger-ui"), { recursive: true });
for (const name of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
  copyFileSync(join(root, "node_modules", "swagger-ui-dist", name), join(dist, "swagger-ui", name));
}
for (const name of readdirSync(here)) {
  if (name.endsWith(".js")) copyFileSync(join(here, name), join(dist, name));
}
