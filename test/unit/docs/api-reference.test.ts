// The documentation points to the API's own reference (GET /docs, GET /openapi.json, generated
// from protocol/routes.ts), and every route it names by method and path is one the route table
// serves: a route renamed or removed in the table cannot live on in the prose.
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { it } from "node:test";
import { routes, type RouteSpec } from "../../../protocol/routes.ts";
import { ROOT } from "../../support/process.ts";

/** Routes the documentation records as removed (how-it-works.md: the single-chunk upload path). */
const REMOVED = ["PUT /v1/chunks/:id", "POST /v1/chunks/:id/upload-url", "POST /v1/chunks/uploaded"];

async function documentation(): Promise<Array<[string, string]>> {
  const files = ["README.md", ...(await readdir(path.join(ROOT, "docs"))).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  return Promise.all(files.map(async (f) => [f, await readFile(path.join(ROOT, f), "utf8")] as [string, string]));
}

/** Whether `METHOD /path` names a route of the table (`:name` or an upper-case word such as ID stands for a parameter). */
function served(method: string, p: string): boolean {
  return (Object.values(routes) as RouteSpec[]).some(
    (r) => r.method === method && new RegExp(`^${r.path.replace(/:[A-Za-z]+/g, "[^/]+")}$`).test(p.replace(/\?.*$/, "")),
  );
}

it("docs/ and the README point to GET /docs and GET /openapi.json", async () => {
  const docs = await documentation();
  for (const name of ["apiDocs", "openapi"] as const) {
    const { path: p } = routes[name];
    const where = docs.filter(([, text]) => text.includes(`\`GET ${p}\``) || text.includes(`\`${p}\``)).map(([f]) => f);
    assert.ok(
      where.some((f) => f.startsWith("docs/")),
      `docs/ does not mention ${p}`,
    );
    assert.ok(where.includes("README.md"), `README.md does not mention ${p}`);
  }
});

it("every route the documentation names is served", async () => {
  let checked = 0;
  for (const [file, text] of await documentation()) {
    for (const [, method, p] of text.matchAll(/\b(GET|POST|PUT|DELETE) (\/[A-Za-z0-9/:._?=-]*)/g)) {
      const mention = `${method} ${p}`;
      if (REMOVED.includes(mention)) {
        assert.ok(!served(method!, p!), `${mention} is recorded as removed but the table serves it`);
        continue;
      }
      assert.ok(served(method!, p!), `${file}: ${mention} is not a route of protocol/routes.ts`);
      checked++;
    }
  }
  assert.ok(checked > 20, `routes named (${checked})`);
});
