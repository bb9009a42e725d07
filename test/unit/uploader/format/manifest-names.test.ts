// Byte names and canonical order in the manifest body (FORMAT.md §6).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  EntryOrderCheck,
  FormatError,
  decodeEntries,
  encodeEntries,
  entryPathBytes,
  entryTargetBytes,
  pathFromBytes,
  targetFromBytes,
  type ManifestEntry,
} from "../../../../uploader/format/index.ts";
import { compareUtf8 } from "../../../../uploader/format/entry-order.ts";
import { decodeEntriesBeforeByteNames } from "./fixtures/reader-before-byte-names.ts";

const code = (c: string) => (e: unknown) => e instanceof FormatError && e.code === c;
const ID = "ab".repeat(32);
const latin1 = (s: string) => Buffer.from(s, "latin1");
const dir = (path: string): ManifestEntry => ({ path, type: "dir", mode: 0o40755, mtimeMs: 0 });
const file = (path: string): ManifestEntry => ({ path, type: "file", mode: 0o100644, mtimeMs: 0, size: 0, chunks: [] });
const body = (...lines: object[]) => Buffer.from(lines.map((l) => JSON.stringify(l) + "\n").join(""));

// Photos/ÿþ (Latin-1 bytes 0xFF 0xFE, not UTF-8), a file in it, and a link whose target is caf\xE9.
const byteEntries: ManifestEntry[] = [
  dir("Photos"),
  { ...pathFromBytes(latin1("Photos/link")), type: "symlink", mode: 0o120777, mtimeMs: 2, ...targetFromBytes(latin1("caf\xe9")) },
  { ...dir(""), ...pathFromBytes(latin1("Photos/\xff\xfe")) },
  { ...pathFromBytes(latin1("Photos/\xff\xfe/a.jpg")), type: "file", mode: 0o100644, mtimeMs: 1, size: 3, chunks: [ID] },
];

describe("byte names", () => {
  it("round-trip exactly, paths and symlink targets", () => {
    const buf = encodeEntries(byteEntries);
    const back = decodeEntries(buf);
    assert.deepEqual(back, byteEntries);
    assert.deepEqual(back.map(entryPathBytes), [
      latin1("Photos"),
      latin1("Photos/link"),
      latin1("Photos/\xff\xfe"),
      latin1("Photos/\xff\xfe/a.jpg"),
    ]);
    assert.deepEqual(entryTargetBytes(back[1]!), latin1("caf\xe9"));
    assert.equal(back[1]!.target, "caf\ufffd"); // display forms
    assert.equal(back[2]!.path, "Photos/\ufffd\ufffd");
    assert.throws(() => entryTargetBytes(back[0]!), code("BAD_ARGUMENT"));
  });

  it("are written as the test vector of FORMAT.md §6; UTF-8 names exactly as before", () => {
    assert.equal(
      encodeEntries(byteEntries).toString(),
      '{"path":"Photos","type":"dir","mode":16877,"mtimeMs":0}\n' +
        '{"path":"Photos/link","type":"symlink","mode":41471,"mtimeMs":2,"targetBytes":"Y2Fm6Q=="}\n' +
        '{"pathBytes":"UGhvdG9zL//+","type":"dir","mode":16877,"mtimeMs":0}\n' +
        `{"pathBytes":"UGhvdG9zL//+L2EuanBn","type":"file","mode":33188,"mtimeMs":1,"size":3,"chunks":["${ID}"]}\n`,
    );
    assert.deepEqual(pathFromBytes(Buffer.from("Photos/Ünïcødé 😀.jpg")), { path: "Photos/Ünïcødé 😀.jpg" });
    assert.deepEqual(targetFromBytes(Buffer.from("../x")), { target: "../x" });
  });

  it("are refused by a reader from before byte names, not dropped", () => {
    const plain = [dir("Photos"), file("Photos/a.jpg")];
    assert.equal(decodeEntriesBeforeByteNames(encodeEntries(plain)).length, 2); // normal trees still read
    assert.throws(() => decodeEntriesBeforeByteNames(encodeEntries([dir("Photos"), byteEntries[2]!])), /path must be a non-empty string/);
    assert.throws(() => decodeEntriesBeforeByteNames(encodeEntries(byteEntries.slice(0, 2))), /bad target/);
  });

  it("are validated on the bytes", () => {
    const bytePaths = ["/\xff", "\xff/../a", "\xff/./a", "\xff//a", "\xff/", "a/\xff\0b", ".."].map(latin1);
    for (const p of bytePaths) {
      const line = body({ pathBytes: p.toString("base64"), type: "dir", mode: 0o40755, mtimeMs: 0 });
      assert.throws(() => decodeEntries(line), code("BAD_MANIFEST"), p.toString("latin1"));
    }
    const d = { type: "dir", mode: 0o40755, mtimeMs: 0 };
    const refused = [
      { ...d, pathBytes: Buffer.from("café").toString("base64") }, // UTF-8 must be written as path
      { ...d, pathBytes: "UGhvdG9zL//+", path: "Photos/x" }, // both forms
      { ...d, pathBytes: "UGhvdG9zL//+\n" }, // non-canonical base64
      { ...d, pathBytes: "UGhvdG9zL__-" }, // base64url is not base64
      { ...d, pathBytes: "" },
      { ...d, path: "a\ud800b" }, // a lone surrogate has no UTF-8 form
      { path: "l", type: "symlink", mode: 0o120777, mtimeMs: 0, targetBytes: Buffer.from("ok").toString("base64") },
      { path: "l", type: "symlink", mode: 0o120777, mtimeMs: 0, targetBytes: "Y2Fm6Q==", target: "x" },
      { path: "l", type: "symlink", mode: 0o120777, mtimeMs: 0, targetBytes: latin1("\xe9\0").toString("base64") },
      { path: "f", type: "file", mode: 0o100644, mtimeMs: 0, size: 0, chunks: [], targetBytes: "Y2Fm6Q==" },
    ];
    for (const e of refused) assert.throws(() => decodeEntries(body(e)), code("BAD_MANIFEST"), JSON.stringify(e));
    // A writer's entry whose display path does not match its bytes is a bug: refused.
    assert.throws(() => encodeEntries([{ ...byteEntries[1]!, path: "Photos/other" }]), code("BAD_MANIFEST"));
  });
});

describe("canonical entry order", () => {
  const check = (paths: Array<string | ManifestEntry>) => {
    const order = new EntryOrderCheck();
    for (const p of paths) order.accept(typeof p === "string" ? (p.endsWith("/") ? dir(p.slice(0, -1)) : file(p)) : p);
  };

  it("is preorder with siblings by name bytes, not a sort of whole paths", () => {
    check(["a/", "a/x", "a b", "b/", "b/c/", "b/c/d", "b/e"]);
    assert.throws(() => check(["a/", "a b", "a/x"]), code("BAD_MANIFEST")); // a/x after its folder closed
    assert.throws(() => check(["a/x"]), code("BAD_MANIFEST")); // no folder entry
    assert.throws(() => check(["b/", "a/"]), code("BAD_MANIFEST"));
    assert.throws(() => check(["a/", "a/y", "a/x"]), code("BAD_MANIFEST"));
    assert.throws(() => check(["a", "a/x"]), code("BAD_MANIFEST")); // a file has no children
    assert.throws(() => check(["a/", "b/", "a/x"]), code("BAD_MANIFEST"));
  });

  it("refuses duplicates as entries not strictly after the previous sibling", () => {
    assert.throws(() => check(["a/", "a/x", "a/x"]), /not strictly after/);
    assert.throws(() => check(["a/", "a/"]), /not strictly after/);
    assert.throws(() => check(["a/", "a/x/", "a/x/y", "a/x"]), /not strictly after/);
  });

  it("compares byte names by bytes and refuses a byte name out of order", () => {
    const ff = { ...file(""), ...pathFromBytes(latin1("d/\xff")) };
    const fe = { ...file(""), ...pathFromBytes(latin1("d/\xfe")) };
    check(["d/", "d/z", fe, ff]);
    assert.throws(() => check(["d/", ff, fe]), code("BAD_MANIFEST"));
    assert.throws(() => check(["d/", ff, ff]), code("BAD_MANIFEST"));
  });

  // U+FF01 (UTF-8 EF BC 81, UTF-16 FF01) and U+1F600 (UTF-8 F0 9F 98 80, UTF-16 D83D DE00): byte
  // order puts U+FF01 first, JavaScript's string order (code units) U+1F600.
  const fullwidth = "d/\uff01.jpg";
  const emoji = "d/\u{1f600}.jpg";

  it("compares text names as their UTF-8 bytes without encoding them", () => {
    const chars = ["a", "b", "é", "\u07ff", "\ud7ff", "\ue000", "\uff01", "\uffff", "\u{10000}", "\u{1f600}", "\u{10ffff}"];
    const sign = (n: number) => Math.sign(n);
    for (let i = 0; i < 5000; i++) {
      const pick = () => Array.from({ length: 1 + (i % 4) }, () => chars[Math.floor(Math.random() * chars.length)]).join("");
      const [x, y] = [pick(), pick()];
      assert.equal(sign(compareUtf8(x, y)), sign(Buffer.compare(Buffer.from(x), Buffer.from(y))), `${x} ${y}`);
    }
  });

  it("is what encodeEntries writes and decodeEntries reads: bytes, not UTF-16 code units", () => {
    const entries = [dir("d"), file(fullwidth), file(emoji)];
    assert.deepEqual(decodeEntries(encodeEntries(entries)), entries);
  });

  it("accepts a body written before the rule (code-unit order), and refuses a mix of both orders", () => {
    // What uploaders wrote before: siblings sorted by Array.prototype.sort().
    const legacy = [dir("d"), file(emoji), file(fullwidth)];
    assert.deepEqual(decodeEntries(body(...legacy)), legacy);
    const mixed = [dir("d"), dir("d/a"), file(`d/a/${emoji.slice(2)}`), file(`d/a/${fullwidth.slice(2)}`), file(fullwidth), file(emoji)];
    assert.throws(() => decodeEntries(body(...mixed)), /not strictly after/);
    // Code-unit order cannot hold a byte name: that body can only be new, so it must be in byte order.
    const withBytes = [
      ...legacy,
      { pathBytes: latin1("d/\xff").toString("base64"), type: "file", mode: 0o100644, mtimeMs: 0, size: 0, chunks: [] },
    ];
    assert.throws(() => decodeEntries(body(...withBytes)), code("BAD_MANIFEST"));
  });
});
