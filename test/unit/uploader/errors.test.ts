// The uploader's one error vocabulary (uploader/errors.ts): every code the uploader source builds
// or compares is in a catalogue (its own, the server's for what it answers, the format's), each
// entry says what it means, exits come from the catalogue, and output.ts reports a FormatError
// with its own code.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CommanderError } from "commander";
import { API_ERRORS } from "../../../protocol/api-errors.ts";
import { EXIT } from "../../../protocol/cli-exit.ts";
import { ApiError } from "../../../uploader/api/api-error.ts";
import { CLI_ERRORS, CliError, hasCode, remoteCode } from "../../../uploader/errors.ts";
import { FORMAT_ERRORS, FormatError } from "../../../uploader/format/errors.ts";
import { failureOf } from "../../../uploader/output.ts";
import { COMPARED, COMPARED_REVERSED, codeUses, describeUse, scan, sourceFiles, type CodeRule } from "../../support/error-codes.ts";

const cli = new Set(Object.keys(CLI_ERRORS));
const api = new Set(Object.keys(API_ERRORS));
const format = new Set(Object.keys(FORMAT_ERRORS));
const any = new Set([...cli, ...api, ...format]);
const rules: CodeRule[] = [
  { name: "new CliError", pattern: /new CliError\(\s*"([^"]*)"/g, known: cli },
  { name: "new ApiError", pattern: /new ApiError\(\s*[^,]+,\s*"([^"]*)"/g, known: new Set([...cli, ...api]) },
  { name: "new FormatError", pattern: /new FormatError\(\s*"([^"]*)"/g, known: format },
  { name: "hasCode", pattern: /hasCode\(\s*[^,]+,\s*"([^"]*)"/g, known: new Set([...cli, ...api]) },
  { name: "code compared or set", pattern: COMPARED, known: any },
  { name: "code compared", pattern: COMPARED_REVERSED, known: any },
  // Lists of codes (run-job.ts PERMANENT): every capitals-and-underscore literal in a typed Set of codes.
  { name: "code set", pattern: /new Set<[^>]*Code[^>]*>\(\[[^\]]*?"([A-Z][A-Z_]*)"/g, known: any },
];

describe("uploader error catalogue (uploader/errors.ts)", () => {
  it("holds every code the uploader builds or compares", () => {
    const uses = scan(sourceFiles("uploader"), rules);
    assert.deepEqual(uses.filter((u) => !u.known).map(describeUse), []);
    for (const rule of ["new CliError", "new ApiError", "new FormatError", "hasCode", "code compared or set", "code set"]) {
      assert.ok(
        uses.some((u) => u.rule === rule),
        `no use found for ${rule}`,
      );
    }
    assert.ok(uses.filter((u) => u.rule === "new CliError").length >= 22, "the scan sees every CliError");
  });

  it("the scan flags a code no catalogue lists", () => {
    const src = [
      `throw new CliError("MADE_UP", "x");`,
      `if (hasCode(err, "ALSO_MADE_UP")) return;`,
      `new ApiError(502, "NOPE", "m");`,
    ].join("\n");
    assert.deepEqual(
      codeUses("sample.ts", src, rules)
        .filter((u) => !u.known)
        .map(describeUse),
      ['sample.ts:1: new CliError "MADE_UP"', 'sample.ts:3: new ApiError "NOPE"', 'sample.ts:2: hasCode "ALSO_MADE_UP"'],
    );
  });

  it("documents each code in one line, and derives each exit from the catalogue", () => {
    for (const [code, e] of Object.entries(CLI_ERRORS)) {
      assert.match(e.meaning, /^\S.{10,200}$/, `${code}: a one-line meaning`);
      assert.equal(new CliError(code as keyof typeof CLI_ERRORS, "m").exitCode, EXIT[e.exit], code);
    }
    for (const [code, meaning] of Object.entries(FORMAT_ERRORS)) assert.match(meaning, /^\S.{10,200}$/, code);
    assert.equal(new CliError("PATH_NOT_FOUND", "m").exitCode, 4);
    assert.equal(new CliError("PASSPHRASE_WEAK", "m").exitCode, 3);
    assert.equal(new ApiError(401, "UNAUTHENTICATED", "m").exitCode, 3);
    assert.equal(new ApiError(404, "NOT_FOUND", "m").exitCode, 4);
    assert.equal(new ApiError(503, remoteCode("SlowDown"), "m").exitCode, 1, "an S3 code: exit from the status");
    assert.ok(hasCode(new ApiError(409, "CHUNKS_MISSING", "m"), "CHUNKS_MISSING"));
    assert.ok(!hasCode(new Error("CHUNKS_MISSING"), "CHUNKS_MISSING"));
  });

  it("reports a FormatError with its own code (not INTERNAL), a wrong secret as an authentication failure", () => {
    assert.deepEqual(failureOf(new FormatError("TRUNCATED", "envelope truncated")), {
      code: "TRUNCATED",
      message: "TRUNCATED: envelope truncated",
      exit: 1,
    });
    assert.equal(failureOf(new FormatError("BAD_PASSPHRASE", "wrong passphrase")).exit, EXIT.auth);
    assert.equal(failureOf(new FormatError("BAD_RECOVERY_KEY")).exit, EXIT.auth);
    assert.deepEqual(failureOf(new CliError("TARGET_EXISTS", "in the way", { conflicts: ["a"] })), {
      code: "TARGET_EXISTS",
      message: "in the way",
      details: { conflicts: ["a"] },
      exit: 1,
    });
    assert.deepEqual(failureOf(new CommanderError(1, "commander.unknownOption", "error: unknown option '--x'")), {
      code: "USAGE",
      message: "unknown option '--x'",
      exit: 2,
    });
    assert.deepEqual(failureOf(new TypeError("boom")), { code: "INTERNAL", message: "boom", exit: 1 });
  });
});
