// Finds the error codes production source writes as string literals where an error is built or
// matched, so a test can hold each against its program's catalogue (protocol/api-errors.ts for the
// server, uploader/errors.ts for the uploader). The types already refuse unknown codes at the
// constructors; this also covers comparisons and object literals, which TypeScript cannot check.
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");

export interface CodeRule {
  /** What the rule looks for, for the failure message. */
  name: string;
  /** Global; the capture group that matched is the code. */
  pattern: RegExp;
  /** The codes the catalogue holds for this use. */
  known: ReadonlySet<string>;
}

export interface CodeUse {
  file: string;
  line: number;
  rule: string;
  code: string;
  known: boolean;
}

/** Node's errno names and ERR_ codes (and proper-lockfile's ELOCKED): compared as `err.code`, not ours. */
const notOurs = (code: string) => ERRNO.has(code) || code.startsWith("ERR_");
const ERRNO = new Set([...Object.keys(os.constants.errno), "ELOCKED"]);

/**
 * A `code` (or `errorCode`) compared with an all-capitals literal, or given one: `{ code: "X" }`,
 * `code = "X"` (a member access before `:` is a ternary's, `a ? e.code : "X"`, and not matched).
 */
export const COMPARED =
  /(?:\bcode|\berrorCode)\s*[!=]==?\s*"([A-Z][A-Z_]*[A-Z])"|(?<![.\w])(?:code|errorCode)\s*(?::|=(?!=))\s*"([A-Z][A-Z_]*[A-Z])"/g;
export const COMPARED_REVERSED = /"([A-Z][A-Z_]*[A-Z])"\s*[!=]==?\s*[\w.?]*\bcode\b/g;

export function codeUses(file: string, source: string, rules: readonly CodeRule[]): CodeUse[] {
  const uses: CodeUse[] = [];
  for (const rule of rules) {
    for (const m of source.matchAll(rule.pattern)) {
      const code = m.slice(1).find((g) => g !== undefined)!;
      if (notOurs(code)) continue;
      const line = source.slice(0, m.index).split("\n").length;
      uses.push({ file, line, rule: rule.name, code, known: rule.known.has(code) });
    }
  }
  return uses;
}

/** Every .ts file under `dirs` (relative to the repository), skipping generated code. */
export function sourceFiles(...dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "generated") walk(rel);
      } else if (e.name.endsWith(".ts")) out.push(rel);
    }
  };
  for (const d of dirs) walk(d);
  return out.sort();
}

export function scan(files: readonly string[], rules: readonly CodeRule[]): CodeUse[] {
  return files.flatMap((f) => codeUses(f, readFileSync(path.join(ROOT, f), "utf8"), rules));
}

export const describeUse = (u: CodeUse) => `${u.file}:${u.line}: ${u.rule} "${u.code}"`;
