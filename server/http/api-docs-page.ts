// GET /docs: the route table as one plain HTML page for people, built on the server from the
// same table and error derivation as GET /openapi.json (protocol/openapi.ts). No script, no
// asset from anywhere: the page works on a server without Internet access, and its CSP says so.
import { API_ERRORS } from "../../protocol/api-errors.ts";
import { audienceKind, errorCodesOf, type AudienceKind } from "../../protocol/openapi.ts";
import { routes, type RouteName, type RouteSpec } from "../../protocol/routes.ts";

export const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECTIONS: Array<[AudienceKind, string]> = [
  ["anonymous", "Anonymous: no credential"],
  ["device", "Devices: a device token (Authorization: Bearer), answers limited to the device's studio"],
  ["people", "People: owners, support and admins (Authorization: Bearer, or the web app's session cookie)"],
];

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function row(name: RouteName, spec: RouteSpec): string {
  const codes = errorCodesOf(spec)
    .map((c) => `<abbr title="${escape(`${API_ERRORS[c].status}: ${API_ERRORS[c].meaning}`)}">${c}</abbr>`)
    .join(" ");
  return (
    `<tr id="${name}"><td>${escape(spec.audience.join(", "))}</td><td><code>${spec.method}</code></td>` +
    `<td><code>${escape(spec.path)}</code></td><td>${escape(spec.summary)}</td><td>${spec.status}</td><td class="codes">${codes}</td></tr>`
  );
}

/** The page, the same for every request (the route table is fixed at start). */
export function apiDocsPage(version: string): string {
  const names = Object.keys(routes) as RouteName[];
  const sections = SECTIONS.map(([kind, title]) => {
    const rows = names.filter((n) => audienceKind(routes[n]) === kind).map((n) => row(n, routes[n]));
    return (
      `<h2>${escape(title)}</h2>\n<table><thead><tr><th>Audience</th><th>Method</th><th>Path</th><th>Summary</th>` +
      `<th>Success</th><th>Error codes</th></tr></thead>\n<tbody>\n${rows.join("\n")}\n</tbody></table>`
    );
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>DataSafe API ${escape(version)}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:80rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:2rem}th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}code{font-size:.92em}.codes{font-size:.8em;color:#555}abbr{text-decoration:none;border-bottom:1px dotted #999}
</style></head>
<body>
<h1>DataSafe API <small>${escape(version)}</small></h1>
<p>Every route the server answers, from its route table. The machine-readable description is
<a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1, request and answer schemas included). Errors answer
<code>{"error": {"code", "message"}}</code>; hover a code for its status and meaning.</p>
${sections.join("\n")}
</body></html>
`;
}
