// The API's description: GET /openapi.json (protocol/openapi.ts) and GET /docs, both built once
// at start from the route table.
import { readFileSync } from "node:fs";
import { openApiDocument } from "../../../protocol/openapi.ts";
import { apiDocsPage, DOCS_CSP } from "../api-docs-page.ts";
import type { Mount } from "../route-table.ts";

const { version } = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

export function apiDocsRoutes(mount: Mount): void {
  const document = openApiDocument({ version });
  const page = apiDocsPage(version);
  mount("openapi", (_req, res) => {
    res.json(document);
  });
  mount("apiDocs", (_req, res) => {
    res.setHeader("Content-Security-Policy", DOCS_CSP);
    res.type("html").send(page);
  });
}
