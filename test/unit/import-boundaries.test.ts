// The layer boundaries of DESIGN.md, kept by eslint.config.js (no-restricted-imports): the
// uploader imports nothing under server/, services never import server/http/, protocol/ imports
// neither side, the server never imports the uploader format. Linted as the files would be, so a
// config change that drops a boundary fails here, not only the day someone crosses it.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { ESLint } from "eslint";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const eslint = new ESLint({ cwd: ROOT });

async function restricted(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("import boundaries (eslint.config.js)", () => {
  it("refuses each crossing", async () => {
    const cases: Array<[string, string]> = [
      ["uploader/api/probe.ts", `import type { Ctx } from "../../server/context.ts";`],
      ["uploader/backup/probe.ts", `import { MAX_PACK_BYTES } from "../../server/http/schemas.ts";`],
      ["server/services/probe.ts", `import { errorHandler } from "../http/error-handler.ts";`],
      ["server/services/integrity/probe.ts", `import type { X } from "../../http/presenters.ts";`],
      ["server/services/probe.ts", `import { FormatError } from "../../uploader/format/errors.ts";`],
      ["server/http/probe.ts", `import { FormatError } from "../../uploader/format/errors.ts";`],
      ["protocol/probe.ts", `import type { Ctx } from "../server/context.ts";`],
      ["protocol/probe.ts", `import { CliError } from "../uploader/errors.ts";`],
    ];
    for (const [file, source] of cases) {
      assert.equal((await restricted(file, `${source}\nexport {};\n`)).length, 1, `${file}: ${source}`);
    }
  });

  it("lets each side import protocol/, and routes import server/http/", async () => {
    const cases: Array<[string, string]> = [
      ["uploader/api/probe.ts", `import { MAX_PACK_BYTES } from "../../protocol/limits.ts";`],
      ["server/services/probe.ts", `import { MAX_PACK_BYTES } from "../../protocol/limits.ts";`],
      ["server/http/routes/probe.ts", `import { errorHandler } from "../error-handler.ts";`],
    ];
    for (const [file, source] of cases) {
      assert.deepEqual(await restricted(file, `${source}\nexport {};\n`), [], `${file}: ${source}`);
    }
  });
});
