// Every relative link of the README and docs/ leads to a file of the repository (and to a heading
// of it, when it names one): the documentation was split into files, and links are how a reader
// finds the rest.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { it } from "node:test";
import { ROOT } from "../../support/process.ts";

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchor = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");

it("relative links of README.md and docs/ resolve, headings included", async () => {
  const files = ["README.md", ...(await readdir(path.join(ROOT, "docs"))).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  let checked = 0;
  for (const file of files) {
    const text = await readFile(path.join(ROOT, file), "utf8");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
      const [rel, hash] = target!.split("#") as [string, string | undefined];
      const dest = rel ? path.join(ROOT, path.dirname(file), rel) : path.join(ROOT, file);
      assert.ok(existsSync(dest), `${file}: ${target} does not exist`);
      if (hash) {
        const headings = [...(await readFile(dest, "utf8")).matchAll(/^#+ (.+)$/gm)].map((m) => anchor(m[1]!));
        assert.ok(headings.includes(hash), `${file}: ${target}: no heading #${hash}`);
      }
      checked++;
    }
  }
  assert.ok(checked > 10, `links found (${checked})`);
});
