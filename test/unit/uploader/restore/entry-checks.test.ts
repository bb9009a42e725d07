// Restore's manifest checks (entry-checks.ts): unclean paths, duplicates and entries under a file
// or a symlink, and any entry out of canonical order, refuse the restore (one path's depth of
// memory, either sibling order: bytes or older UTF-16), compared on the stored bytes; names the target
// folds together are no concern of these checks (target-names.test.ts maps them); the probe tells
// a case-sensitive Linux target apart.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import type { ManifestEntry } from "../../../../uploader/format/index.ts";
import { checkEntries, pathProblem } from "../../../../uploader/restore/entry-checks.ts";
import { probeTarget } from "../../../../uploader/restore/target-probe.ts";

const dir = (p: string): ManifestEntry => ({ path: p, type: "dir", mode: 0o755, mtimeMs: 0 });
const file = (p: string): ManifestEntry => ({ path: p, type: "file", mode: 0o644, mtimeMs: 0, size: 0, chunks: [] });
const link = (p: string, target = "/home/u/.ssh"): ManifestEntry => ({ path: p, type: "symlink", mode: 0o777, mtimeMs: 0, target });

const latin1 = (s: string) => Buffer.from(s, "latin1");
const bytes = (e: ManifestEntry, b: string): ManifestEntry => ({ ...e, path: latin1(b).toString("utf8"), pathBytes: latin1(b) });

const refused = (entries: ManifestEntry[]) =>
  assert.throws(
    () => checkEntries(entries),
    (err: { code?: string; details?: { problems: string[] } }) => {
      assert.equal(err.code, "UNSAFE_MANIFEST");
      assert.ok(err.details!.problems.length > 0);
      return true;
    },
    JSON.stringify(entries.map((e) => e.path)),
  );

describe("restore's manifest checks", () => {
  it("refuses paths that are not clean relative paths", () => {
    for (const p of ["", "/etc/passwd", "a/../../b", "..", ".", "a/./b", "a//b", "a/", "a\0b"]) {
      assert.notEqual(pathProblem(p), null, JSON.stringify(p));
      refused([file(p)]);
    }
    // Backslash and colon are name bytes (escaped by the Windows mapping, target-names.ts).
    assert.equal(pathProblem("C:\\a\\b:c"), null);
    refused([bytes(file(""), "a/../\xff")]);
  });

  it("refuses an entry under a symlink or a file, in either order, and duplicates", () => {
    refused([dir("x"), link("x/ssh"), file("x/ssh/authorized_keys")]);
    refused([file("x/ssh/authorized_keys"), link("x/ssh")]);
    refused([file("a"), file("a/b")]);
    refused([file("a/b/c"), file("a")]);
    refused([link("deep"), dir("deep/er"), file("deep/er/f")]);
    refused([file("a"), file("a")]);
    refused([dir("a"), file("a")]);
    refused([dir("a"), dir("a")]);
    refused([link("a", "x"), link("a", "y")]);
  });

  it("accepts a real tree in canonical order, names that only differ in case included, and refuses other orders", () => {
    const tree = [
      dir("Photos"),
      dir("Photos/2024"),
      file("Photos/2024/A.jpg"),
      file("Photos/2024/a.jpg"),
      link("Photos/latest", "../x"),
      file("Photos/latest-db"),
      dir("X"),
      link("x"),
    ];
    checkEntries(tree);
    refused([...tree].reverse());
    refused([file("a/b/c"), dir("a/b"), dir("a")]); // parents after children
    refused([dir("a"), file("a/b/c")]); // a folder that is not an entry
    // Older bodies: siblings in UTF-16 order (U+FFFD before U+1F600 there, after it in bytes).
    checkEntries([file("\uFFFD"), file("\u{1F600}")]);
    checkEntries([file("\u{1F600}"), file("\uFFFD")]);
  });

  it("compares byte names as bytes: two names with one display form are two entries", () => {
    checkEntries([bytes(file(""), "\xfe.txt"), bytes(file(""), "\xff.txt")]);
    refused([bytes(file(""), "\xff.txt"), bytes(file(""), "\xff.txt")]);
    refused([bytes(link(""), "\xffx"), bytes(file(""), "\xffx/authorized_keys")]);
  });

  it("probes a Linux target as case-sensitive and leaves nothing behind", async () => {
    const target = await mkdtemp(path.join(os.tmpdir(), "probe-"));
    try {
      const traits = await probeTarget(target);
      assert.equal(traits.caseInsensitive, false);
      assert.equal(traits.normalizationInsensitive, false);
      assert.deepEqual(await readdir(target), []);
    } finally {
      await rm(target, { recursive: true });
    }
  });
});
