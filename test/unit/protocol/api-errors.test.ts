// The server's one error vocabulary (protocol/api-errors.ts): every code the server source builds
// or compares is in the catalogue, and each entry says what it means.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { API_ERRORS } from "../../../protocol/api-errors.ts";
import { AppError, errors } from "../../../server/errors.ts";
import { FORMAT_ERRORS } from "../../../uploader/format/errors.ts";
import { COMPARED, COMPARED_REVERSED, codeUses, describeUse, scan, sourceFiles, type CodeRule } from "../../support/error-codes.ts";

const known = new Set(Object.keys(API_ERRORS));
const rules: CodeRule[] = [
  { name: "new AppError", pattern: /new AppError\(\s*"([^"]*)"/g, known },
  { name: "errors.conflict", pattern: /errors\.conflict\(\s*"([^"]*)"/g, known },
  { name: "code compared or set", pattern: COMPARED, known },
  { name: "code compared", pattern: COMPARED_REVERSED, known },
];
// The web app's page (server/web/client/) is a program of its own, in the browser: it reads the
// API's codes and, restoring in the browser, the format's (uploader/format/errors.ts).
const WEB_CLIENT = "server/web/client/";
const pageKnown = new Set([...known, ...Object.keys(FORMAT_ERRORS)]);
const pageRules: CodeRule[] = [
  { name: "code compared or set", pattern: COMPARED, known: pageKnown },
  { name: "code compared", pattern: COMPARED_REVERSED, known: pageKnown },
];

describe("server error catalogue (protocol/api-errors.ts)", () => {
  it("holds every code the server builds or compares", () => {
    const files = sourceFiles("server", "protocol");
    const uses = scan(
      files.filter((f) => !f.startsWith(WEB_CLIENT)),
      rules,
    );
    assert.deepEqual(uses.filter((u) => !u.known).map(describeUse), []);
    const pageUses = scan(
      files.filter((f) => f.startsWith(WEB_CLIENT)),
      pageRules,
    );
    assert.deepEqual(pageUses.filter((u) => !u.known).map(describeUse), [], "the web page's codes are the API's or the format's");
    assert.ok(
      pageUses.some((u) => u.code === "BAD_PASSPHRASE"),
      "the scan sees the page's comparisons",
    );
    // The scan sees the call sites (a pattern that matched nothing would pass vacuously).
    for (const rule of ["new AppError", "errors.conflict", "code compared or set"]) {
      assert.ok(
        uses.some((u) => u.rule === rule),
        `no use found for ${rule}`,
      );
    }
  });

  it("the scan flags a code the catalogue lacks", () => {
    const src = `throw errors.conflict("NOT_A_CODE", "x");\nif (e.code === "ALSO_NOT") return;\nif (e.code === "ENOENT") return;`;
    assert.deepEqual(
      codeUses("sample.ts", src, rules)
        .filter((u) => !u.known)
        .map(describeUse),
      ['sample.ts:1: errors.conflict "NOT_A_CODE"', 'sample.ts:2: code compared or set "ALSO_NOT"'],
    );
  });

  it("documents each code in one line, and its factory answers the catalogue's status", () => {
    for (const [code, e] of Object.entries(API_ERRORS)) {
      assert.match(e.meaning, /^\S.{10,200}$/, `${code}: a one-line meaning`);
      assert.ok(e.status >= 400 && e.status < 600, `${code}: an error status`);
    }
    const built = [errors.validation("x"), errors.blobMissing(), errors.lengthRequired(), errors.storageIntegrity(), errors.busy(1)];
    for (const e of built) assert.equal(e.status, API_ERRORS[e.code].status);
    assert.deepEqual([new AppError("CHUNKS_MISSING", "m").status, errors.conflict("GRANT_EXPIRED", "m").status], [409, 409]);
  });
});
