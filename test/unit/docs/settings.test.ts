// The settings the documentation lists are the settings the programs read, both ways: an
// environment variable in docs/configuration.md that nothing reads, or one read that it does not
// list, fails; likewise the keys of `datasafe config set` and docs/agent.md's table.
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { SERVER_SETTINGS } from "../../../server/config.ts";
import { SETTABLE } from "../../../uploader/agent/config-edit.ts";
import { ROOT } from "../../support/process.ts";

/** The first cells of a Markdown file's table rows that are one backticked name. */
async function tableNames(file: string): Promise<string[]> {
  const text = await readFile(path.join(ROOT, file), "utf8");
  return [...text.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
}

/** The environment variables a program's source reads directly (process.env.NAME). */
async function envReadIn(dir: string): Promise<Set<string>> {
  const names = new Set<string>();
  for (const f of await readdir(path.join(ROOT, dir), { recursive: true })) {
    if (!f.endsWith(".ts") || f.includes("generated")) continue;
    const text = await readFile(path.join(ROOT, dir, f), "utf8");
    for (const m of text.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)|process\.env\[["']([A-Z][A-Z0-9_]*)["']\]/g)) names.add(m[1] ?? m[2]!);
  }
  return names;
}

const sorted = (s: Iterable<string>) => [...new Set(s)].sort();

describe("docs/configuration.md", () => {
  it("lists exactly the environment variables the server and the uploader read", async () => {
    const documented = await tableNames("docs/configuration.md");
    assert.equal(documented.length, new Set(documented).size, "each setting listed once");
    const read = new Set([
      ...SERVER_SETTINGS,
      ...(await envReadIn("server")),
      ...(await envReadIn("uploader")),
      ...(await envReadIn("protocol")),
    ]);
    assert.ok(SERVER_SETTINGS.length > 25 && read.has("DATASAFE_HOME"), "the programs' settings were found");
    assert.deepEqual(sorted(documented), sorted(read));
  });
});

describe("docs/agent.md", () => {
  it("lists exactly the keys `datasafe config set` accepts", async () => {
    const documented = (await tableNames("docs/agent.md")).filter((k) => /^[a-z][A-Za-z.]*$/.test(k));
    assert.ok(Object.keys(SETTABLE).length > 10);
    assert.deepEqual(sorted(documented), sorted(Object.keys(SETTABLE)));
  });
});
