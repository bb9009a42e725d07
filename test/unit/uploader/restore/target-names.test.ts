// The names restore writes (target-names.ts): the stored bytes on a POSIX target; on a Windows or
// case-insensitive target (injected traits), the reversible mapping of FORMAT.md §6, reported, each
// mapped name giving the stored one back through windowsOriginalName(), and no two written names
// the same file on the target.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { entryPathBytes, windowsOriginalName, type ManifestEntry } from "../../../../uploader/format/index.ts";
import type { TargetTraits } from "../../../../uploader/restore/entry-checks.ts";
import { nameKey, TargetNames } from "../../../../uploader/restore/target-names.ts";

/** Folds more than any target (and than nameKey): distinct under it is distinct on any target. */
const strongFold = (name: string) => name.normalize("NFD").toUpperCase().toLowerCase().normalize("NFD");

const POSIX: TargetTraits = { caseInsensitive: false, normalizationInsensitive: false, windows: false };
const FOLDING: TargetTraits = { caseInsensitive: true, normalizationInsensitive: true, windows: false };
const WINDOWS: TargetTraits = { caseInsensitive: true, normalizationInsensitive: false, windows: true };

const latin1 = (s: string) => Buffer.from(s, "latin1");
const file = (p: string | Buffer): ManifestEntry => {
  const base = { type: "file" as const, mode: 0o644, mtimeMs: 0, size: 0, chunks: [] };
  return typeof p === "string" ? { ...base, path: p } : { ...base, path: p.toString("utf8"), pathBytes: p };
};
const dir = (p: string): ManifestEntry => ({ path: p, type: "dir", mode: 0o755, mtimeMs: 0 });
const link = (p: string): ManifestEntry => ({ path: p, type: "symlink", mode: 0o777, mtimeMs: 0, target: "/home/u/.ssh" });

const written = (names: TargetNames, e: ManifestEntry) =>
  names
    .segments(e)
    .map((s) => s.toString("latin1"))
    .join("/");

/** Each mapped name's last segment maps back to the stored one; no two written paths fold together. */
function assertReversibleAndDistinct(entries: ManifestEntry[], names: TargetNames, traits: TargetTraits) {
  for (const m of names.mapped) {
    const stored = entries.find((e) => e.path === m.path || e.path.startsWith(`${m.path}/`))!;
    const depth = m.path.split("/").length;
    const storedSeg = entryPathBytes(stored).toString("latin1").split("/")[depth - 1]!;
    const restoredSeg = m.restoredAs.split("/")[depth - 1]!;
    assert.deepEqual(windowsOriginalName(restoredSeg), latin1(storedSeg), `${m.path} -> ${m.restoredAs}`);
  }
  const keys = entries.map((e) =>
    names
      .segments(e)
      .map((s) => (traits.caseInsensitive ? strongFold(s.toString("utf8")) : s.toString("utf8").normalize("NFD")))
      .join("/"),
  );
  assert.equal(new Set(keys).size, keys.length, `written names collide: ${keys.join(", ")}`);
}

describe("the names restore writes", () => {
  it("compares names as FORMAT.md §6 says: toUpperCase(NFC(name)), NFC alone without case folding", () => {
    assert.equal(nameKey("straße", FOLDING), nameKey("STRASSE", FOLDING));
    assert.equal(nameKey("caf\u00e9", FOLDING), nameKey("CAFE\u0301", FOLDING));
    assert.equal(nameKey("cafe\u0301", { caseInsensitive: false }), "caf\u00e9");
    assert.equal(nameKey("Ab", POSIX), "Ab");
  });

  it("escapes names that are not UTF-8 on a normalization-insensitive target (APFS refuses them)", () => {
    const apfs: TargetTraits = { caseInsensitive: false, normalizationInsensitive: true, windows: false };
    const entries = [file(latin1("\xff\xfe.txt")), file("a:b"), file("%FF%FE.txt")];
    const names = new TargetNames(entries, apfs);
    assert.deepEqual(
      entries.map((e) => written(names, e)),
      ["%FF%FE.txt", "a:b", "%25FF%25FE.txt"],
    );
    assertReversibleAndDistinct(entries, names, apfs);
  });

  it("writes the stored bytes on a POSIX target, byte names included, and maps nothing", () => {
    const entries = [file(latin1("\xff\xfe.txt")), file("con.txt"), file("a:b"), file("A.jpg"), file("a.jpg")];
    const names = new TargetNames(entries, POSIX);
    assert.deepEqual(
      entries.map((e) => written(names, e)),
      ["\xff\xfe.txt", "con.txt", "a:b", "A.jpg", "a.jpg"],
    );
    assert.deepEqual(names.mapped, []);
  });

  it("maps names Windows cannot hold, reports each one, and gives the stored name back", () => {
    const entries = [
      dir("d"),
      file("d/con.txt"),
      file("d/a:b"),
      file("d/trailing."),
      file("d/space "),
      file("d/*?"),
      file(latin1("d/\xff\xfe.txt")),
      file("d/100% done.jpg"),
      file("d/%41"),
      file("d/plain.txt"),
      file("A.jpg"),
      file("a.jpg"),
      dir("CON"),
      file("CON/x"),
    ];
    const names = new TargetNames(entries, WINDOWS);
    assert.deepEqual(
      entries.map((e) => written(names, e)),
      [
        "d",
        "d/%63on.txt",
        "d/a%3Ab",
        "d/trailing%2E",
        "d/space%20",
        "d/%2A%3F",
        "d/%FF%FE.txt",
        "d/100% done.jpg",
        "d/%2541",
        "d/plain.txt",
        "A.jpg",
        "a%~2.jpg",
        "%43ON",
        "%43ON/x",
      ],
    );
    assert.deepEqual(
      names.mapped.map((m) => `${m.path} -> ${m.restoredAs}`),
      [
        "d/con.txt -> d/%63on.txt",
        "d/a:b -> d/a%3Ab",
        "d/trailing. -> d/trailing%2E",
        "d/space  -> d/space%20",
        "d/*? -> d/%2A%3F",
        "d/\ufffd\ufffd.txt -> d/%FF%FE.txt",
        "d/%41 -> d/%2541",
        "a.jpg -> a%~2.jpg",
        "CON -> %43ON",
      ],
    );
    assertReversibleAndDistinct(entries, names, WINDOWS);
  });

  it("on a case-insensitive target keeps the first name of a folded form and suffixes the others", () => {
    const entries = [
      file("A.jpg"),
      file("a.jpg"),
      file("a%~2.jpg"),
      dir("Photos"),
      file("Photos/1.jpg"),
      dir("photos"),
      file("photos/1.jpg"),
      file("caf\u00e9"),
      file("cafe\u0301"),
      file("STRASSE"),
      file("straße"),
      file(".Profile"),
      file(".profile"),
      file("a:b"),
    ];
    const names = new TargetNames(entries, FOLDING);
    assert.deepEqual(
      entries.map((e) => Buffer.from(written(names, e), "latin1").toString("utf8")),
      [
        "A.jpg",
        "a%~2.jpg",
        "a%25~2.jpg",
        "Photos",
        "Photos/1.jpg",
        "photos%~2",
        "photos%~2/1.jpg",
        "caf\u00e9",
        "cafe\u0301%~2",
        "STRASSE",
        "straße%~2",
        ".Profile",
        ".profile%~2",
        "a:b",
      ],
    );
    assertReversibleAndDistinct(entries, names, FOLDING);
    // Folders are not merged: `photos` and its file are under one mapped name, reported once.
    assert.deepEqual(
      names.mapped.map((m) => m.path),
      ["a.jpg", "a%~2.jpg", "photos", "cafe\u0301", "straße", ".profile"],
    );
  });

  it("never puts an entry below a link of a name the target folds with it, in either order", () => {
    for (const entries of [
      [link("X"), file("x/authorized_keys")],
      [file("x/authorized_keys"), link("X")],
    ]) {
      const names = new TargetNames(entries, FOLDING);
      const [a, b] = entries.map((e) => names.segments(e)[0]!.toString());
      assert.notEqual(strongFold(a!), strongFold(b!), `${a} / ${b}`);
      assertReversibleAndDistinct(entries, names, FOLDING);
    }
  });
});
