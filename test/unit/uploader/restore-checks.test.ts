// Restore's manifest checks (entry-checks.ts): unclean paths, duplicates and entries under a file
// or a symlink refuse the restore, in either order; names the target folds together (case, NFC/NFD)
// are reported per entry; the probe tells a case-sensitive Linux target apart.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import type { ManifestEntry } from "../../../uploader/format/index.ts";
import { checkEntries, foldKey, pathProblem, type TargetTraits } from "../../../uploader/restore/entry-checks.ts";
import { probeTarget } from "../../../uploader/restore/target-probe.ts";

const POSIX: TargetTraits = { caseInsensitive: false, normalizationInsensitive: false, windows: false };
const FOLDING: TargetTraits = { caseInsensitive: true, normalizationInsensitive: true, windows: false };

const dir = (p: string): ManifestEntry => ({ path: p, type: "dir", mode: 0o755, mtimeMs: 0 });
const file = (p: string): ManifestEntry => ({ path: p, type: "file", mode: 0o644, mtimeMs: 0, size: 0, chunks: [] });
const link = (p: string, target = "/home/u/.ssh"): ManifestEntry => ({ path: p, type: "symlink", mode: 0o777, mtimeMs: 0, target });

const refused = (entries: ManifestEntry[], traits = POSIX) =>
  assert.throws(() => checkEntries(entries, traits), (err: { code?: string; details?: { problems: string[] } }) => {
    assert.equal(err.code, "UNSAFE_MANIFEST");
    assert.ok(err.details!.problems.length > 0);
    return true;
  }, JSON.stringify(entries.map((e) => e.path)));

describe("restore's manifest checks", () => {
  it("refuses paths that are not clean relative paths", () => {
    for (const p of ["", "/etc/passwd", "a/../../b", "..", ".", "a/./b", "a//b", "a/", "a\0b"]) {
      assert.notEqual(pathProblem(p, POSIX), null, JSON.stringify(p));
      refused([file(p)]);
    }
    // Backslash and colon are name bytes on POSIX, separators (or streams) on Windows.
    assert.equal(pathProblem("a\\b:c", POSIX), null);
    for (const p of ["a\\..\\..\\b", "C:/x", "a/b:stream"]) assert.notEqual(pathProblem(p, { windows: true }), null, p);
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

  it("accepts a real tree in any order, with names that only differ in case on a case-sensitive target", () => {
    const tree = [dir("Photos"), dir("Photos/2024"), file("Photos/2024/A.jpg"), file("Photos/2024/a.jpg"), link("Photos/latest", "../x"), file("Photos/latest-db"), dir("X"), link("x")];
    assert.deepEqual(checkEntries(tree, POSIX), []);
    assert.deepEqual(checkEntries([...tree].reverse(), POSIX), []);
    assert.deepEqual(checkEntries([file("a/b/c"), dir("a/b"), dir("a")], POSIX), [], "parents after children");
  });

  it("reports names the target folds together, and what lies under them", () => {
    const collisions = checkEntries(
      [link("X"), file("x/authorized_keys"), file("A.jpg"), file("a.jpg"), dir("Photos"), dir("photos"), file("photos/1.jpg"), file("Photos/1.JPG"), file("caf\u00e9"), file("cafe\u0301"), file("STRASSE"), file("straße")],
      FOLDING,
    );
    assert.deepEqual(collisions, [
      { path: "x/authorized_keys", with: "X" },
      { path: "a.jpg", with: "A.jpg" },
      { path: "Photos/1.JPG", with: "photos/1.jpg" },
      { path: "cafe\u0301", with: "caf\u00e9" },
      { path: "straße", with: "STRASSE" },
    ]);
    // The other order: the folder's files stay, the link that would stand over the folder is reported.
    assert.deepEqual(checkEntries([file("x/authorized_keys"), link("X")], FOLDING), [{ path: "X", with: "x" }]);
    assert.deepEqual(checkEntries([file("A"), dir("a"), file("a/b")], FOLDING), [{ path: "a", with: "A" }, { path: "a/b", with: "A" }]);
    assert.equal(foldKey("Ab", POSIX), "Ab");
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
