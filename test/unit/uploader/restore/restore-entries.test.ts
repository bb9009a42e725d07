// restoreEntries() from an in-memory restore point: manifests the format layer would refuse are
// refused again here before anything is written; a case-insensitive target (injected probe) gets
// the link `X` and `x/authorized_keys` under a mapped folder name, never through the link; a
// Windows target (injected) gets mapped, reported names; byte names and link targets are written
// as their exact bytes and found again on a re-run; temporary files a killed restore left are
// removed (only those); planted links are replaced, never followed; a file that
// cannot be written is reported and the rest restored; special mode bits are dropped unless asked.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { windowsOriginalName } from "../../../../uploader/format/index.ts";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { ManifestEntry } from "../../../../uploader/format/index.ts";
import { silentProgress } from "../../../../uploader/progress.ts";
import { restoreEntries, type RestoreEntriesOptions, type RestoreSource } from "../../../../uploader/restore/restore-entries.ts";
import { describeTree } from "../../../support/tree.ts";

type Spec = { path: string | Buffer; type?: "dir" | "symlink"; data?: string; target?: string | Buffer; mode?: number };

const latin1 = (s: string) => Buffer.from(s, "latin1");
/** The manifest fields for a name given as bytes (format/manifest.ts: pathBytes only when not UTF-8). */
const named = (p: string | Buffer) => (typeof p === "string" ? { path: p } : { path: p.toString("utf8"), pathBytes: p });

function source(specs: Spec[]): RestoreSource {
  const chunks = new Map<string, Buffer>();
  const entries = specs.map((s): ManifestEntry => {
    const base = { ...named(s.path), mtimeMs: 1_600_000_000_000 };
    if (s.type === "dir") return { ...base, type: "dir", mode: s.mode ?? 0o755 };
    if (s.type === "symlink") {
      const t = s.target!;
      return {
        ...base,
        type: "symlink",
        mode: 0o777,
        ...(typeof t === "string" ? { target: t } : { target: t.toString("utf8"), targetBytes: t }),
      };
    }
    const data = Buffer.from(s.data ?? "");
    const id = createHash("sha256").update(data).digest("hex");
    chunks.set(id, data);
    return { ...base, type: "file", mode: s.mode ?? 0o644, size: data.length, chunks: data.length ? [id] : [] };
  });
  return { entries, fetchChunk: async (hex) => Buffer.from(chunks.get(hex)!), planFetches: () => undefined, recycle: () => undefined };
}

describe("restoreEntries", () => {
  let dir: string;
  let outside: string;
  let n = 0;
  const target = () => path.join(dir, `to-${n++}`);
  const restore = (src: RestoreSource, to: string, o: Partial<RestoreEntriesOptions> = {}) =>
    restoreEntries(src, { to, paths: [], overwrite: false, keepSpecialBits: false, progress: silentProgress, ...o });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "restore-entries-"));
    outside = path.join(dir, "outside");
    await mkdir(path.join(outside, ".ssh"), { recursive: true });
    await writeFile(path.join(outside, ".ssh", "authorized_keys"), "the owner's key\n");
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it("refuses duplicate, unclean and nested-under-link entries before writing anything", async () => {
    const before = await describeTree(outside);
    for (const specs of [
      [
        { path: "a", data: "1" },
        { path: "a", data: "2" },
      ],
      [
        { path: "ok", data: "fine" },
        { path: "../outside/.ssh/authorized_keys", data: "evil" },
      ],
      [
        { path: "x", type: "symlink", target: path.join(outside, ".ssh") },
        { path: "x/authorized_keys", data: "evil" },
      ],
      [
        { path: "f", data: "file" },
        { path: "f/g", data: "under a file" },
      ],
    ] as Spec[][]) {
      const to = target();
      await assert.rejects(restore(source(specs), to, { overwrite: true }), { code: "UNSAFE_MANIFEST" }, JSON.stringify(specs));
      assert.deepEqual(await readdir(to), [], "nothing written");
    }
    assert.deepEqual(await describeTree(outside), before);
  });

  it("on a case-insensitive target, restores the link X and x/authorized_keys under a mapped name, not through the link", async () => {
    const before = await describeTree(outside);
    const probe = async () => ({ caseInsensitive: true, normalizationInsensitive: true, windows: false });
    // Canonical order puts `X` before `x` (bytes); `ss` before `ß` (upper case: SS) gives the other order.
    const cases = [
      { link: "X", folder: "x", mapped: { path: "x", restoredAs: "x%~2" }, linkAt: "X", folderAt: "x%~2" },
      { link: "\u00df", folder: "ss", mapped: { path: "\u00df", restoredAs: "\u00df%~2" }, linkAt: "\u00df%~2", folderAt: "ss" },
    ];
    for (const c of cases) {
      const to = target();
      const linkEntry: Spec = { path: c.link, type: "symlink", target: path.join(outside, ".ssh") };
      const folder: Spec[] = [
        { path: c.folder, type: "dir" },
        { path: `${c.folder}/authorized_keys`, data: "restored" },
      ];
      const fine: Spec = { path: "fine.txt", data: "ok" };
      const specs: Spec[] = c.link === "X" ? [linkEntry, fine, ...folder] : [fine, ...folder, linkEntry];
      const r = await restore(source(specs), to, { probe });
      assert.deepEqual(r.failed, [], c.link);
      assert.deepEqual(r.mapped, [c.mapped]);
      assert.equal(await readlink(path.join(to, c.linkAt)), path.join(outside, ".ssh"));
      assert.ok((await lstat(path.join(to, c.folderAt))).isDirectory());
      assert.equal(await readFile(path.join(to, c.folderAt, "authorized_keys"), "utf8"), "restored");
      assert.equal(await readFile(path.join(to, "fine.txt"), "utf8"), "ok");
      assert.equal(windowsOriginalName(c.mapped.restoredAs).toString(), c.mapped.path);
    }
    assert.deepEqual(await describeTree(outside), before);
  });

  it("on a Windows target (injected), restores names Windows cannot hold under their reported mapping", async () => {
    const to = target();
    const probe = async () => ({ caseInsensitive: true, normalizationInsensitive: false, windows: true });
    const stored = ["*?", "A.jpg", "a.jpg", "a:b", "con.txt", "dot.", "ok.txt", "space "]; // canonical (byte) order
    const r = await restore(
      source([
        { path: "d", type: "dir" },
        ...stored.map((n) => ({ path: `d/${n}`, data: n })),
        { path: latin1("d/\xff\xfe"), data: "bytes" },
      ]),
      to,
      { probe },
    );
    assert.deepEqual(r.failed, []);
    assert.equal(r.files, stored.length + 1);
    assert.deepEqual(
      r.mapped.map((m) => m.restoredAs),
      ["d/%2A%3F", "d/a%~2.jpg", "d/a%3Ab", "d/%63on.txt", "d/dot%2E", "d/space%20", "d/%FF%FE"],
    );
    const names = (await readdir(path.join(to, "d"))).sort();
    assert.deepEqual(names, ["%2A%3F", "%63on.txt", "%FF%FE", "A.jpg", "a%3Ab", "a%~2.jpg", "dot%2E", "ok.txt", "space%20"]);
    for (const n of names) {
      const original = windowsOriginalName(n);
      const data = await readFile(path.join(to, "d", n), "utf8");
      assert.equal(data, original.equals(latin1("\xff\xfe")) ? "bytes" : original.toString(), n);
    }
  });

  it("writes byte names and link targets as their exact bytes, and finds them again on a re-run", async () => {
    const to = target();
    const specs: Spec[] = [
      { path: `${"n".repeat(251)}.txt`, data: "255 bytes" },
      { path: "x", type: "symlink", target: latin1("\xe9t\xe9/\xff\xfe.txt") },
      { path: latin1("\xe9t\xe9"), type: "dir" },
      { path: latin1("\xe9t\xe9/\xfe\xff.txt"), data: "another name with the same display form" },
      { path: latin1("\xe9t\xe9/\xff\xfe.txt"), data: "latin-1" },
    ];
    const r = await restore(source(specs), to);
    assert.deepEqual(r.failed, []);
    assert.deepEqual(r.mapped, []);
    const dir = Buffer.concat([Buffer.from(to), latin1("/\xe9t\xe9")]);
    assert.deepEqual((await readdir(dir, { encoding: "buffer" })).map((n) => n.toString("latin1")).sort(), [
      "\xfe\xff.txt",
      "\xff\xfe.txt",
    ]);
    assert.equal(await readFile(Buffer.concat([dir, latin1("/\xff\xfe.txt")]), "utf8"), "latin-1");
    assert.deepEqual(await readlink(path.join(to, "x"), { encoding: "buffer" }), latin1("\xe9t\xe9/\xff\xfe.txt"));
    assert.equal(await readFile(path.join(to, "x"), "utf8"), "latin-1", "the link resolves to the byte-named file");
    const again = await restore(source(specs), to);
    assert.deepEqual([again.files, again.failed], [0, []], "everything was already restored: the link's bytes compare equal");
    // --path matches the display form of a byte name (a shell cannot always pass the bytes).
    const one = await restore(source(specs), target(), { paths: ["\u00e9t\u00e9/\ufffd\ufffd.txt".replace(/\u00e9/g, "\ufffd")] });
    assert.equal(one.files, 2, "both names that display as ??.txt");
  });

  it("removes the temporary files a killed restore left, and nothing else", async () => {
    const to = target();
    await mkdir(path.join(to, "d", ".ds-abcdefghijk2"), { recursive: true }); // a folder: kept
    await writeFile(path.join(to, ".ds-abcdefghijkl"), "partial");
    await writeFile(path.join(to, "d", ".ds-234567abcdef"), "partial");
    await symlink(path.join(outside, ".ssh", "authorized_keys"), path.join(to, "d", ".ds-mnopqrstuvwx"));
    await writeFile(path.join(to, ".ds-probeprobepr-\u00e9"), "");
    const kept = [".ds-abc", ".ds-abcdefghijklm", ".ds-ABCDEFGHIJKL", "x.ds-abcdefghijkl", ".ds-abcdefghijk1"];
    for (const k of kept) await writeFile(path.join(to, "d", k), "the user's");
    const before = await describeTree(outside);
    const r = await restore(
      source([
        { path: "d", type: "dir" },
        { path: "d/f", data: "f" },
      ]),
      to,
    );
    assert.deepEqual(r.failed, []);
    assert.deepEqual(await readdir(to), ["d"]);
    assert.deepEqual((await readdir(path.join(to, "d"))).sort(), [".ds-abcdefghijk2", ...kept, "f"].sort());
    assert.deepEqual(await describeTree(outside), before);
  });

  it("replaces planted links with --overwrite and never writes through them", async () => {
    const to = target();
    await mkdir(to);
    await symlink(path.join(outside, ".ssh"), path.join(to, "x"));
    await symlink(path.join(outside, ".ssh", "authorized_keys"), path.join(to, "f"));
    await symlink(path.join(outside, ".ssh", "authorized_keys"), path.join(to, ".f.datasafe-partial"));
    const before = await describeTree(outside);
    const src = source([
      { path: "f", data: "restored f" },
      { path: "x", type: "dir" },
      { path: "x/authorized_keys", data: "restored" },
    ]);
    await assert.rejects(restore(src, to), { code: "TARGET_EXISTS" });
    const r = await restore(src, to, { overwrite: true });
    assert.deepEqual(r.failed, []);
    assert.ok((await lstat(path.join(to, "x"))).isDirectory());
    assert.equal(await readFile(path.join(to, "x", "authorized_keys"), "utf8"), "restored");
    assert.ok((await lstat(path.join(to, "f"))).isFile());
    assert.deepEqual(await describeTree(outside), before);
  });

  it("restores everything else when one file cannot be written", async () => {
    const to = target();
    await mkdir(path.join(to, "top", "b.txt"), { recursive: true }); // a folder where a file goes
    const r = await restore(
      source([
        { path: "top", type: "dir" },
        { path: "top/a.txt", data: "a" },
        { path: "top/b.txt", data: "b" },
        { path: "top/c.txt", data: "c" },
      ]),
      to,
      { overwrite: true },
    );
    assert.deepEqual(
      r.failed.map((f) => f.path),
      ["top/b.txt"],
    );
    assert.equal(r.files, 2);
    assert.equal(await readFile(path.join(to, "top", "c.txt"), "utf8"), "c");
  });

  it("drops setuid, setgid and sticky bits unless asked", async () => {
    const specs: Spec[] = [
      { path: "d", type: "dir", mode: 0o3775 },
      { path: "d/tool", data: "#!/bin/sh\n", mode: 0o4755 },
    ];
    const plain = target();
    await restore(source(specs), plain);
    assert.equal((await stat(path.join(plain, "d", "tool"))).mode & 0o7777, 0o755);
    assert.equal((await stat(path.join(plain, "d"))).mode & 0o7777, 0o775);
    const kept = target();
    await restore(source(specs), kept, { keepSpecialBits: true });
    assert.equal((await stat(path.join(kept, "d", "tool"))).mode & 0o7777, 0o4755);
    assert.equal((await stat(path.join(kept, "d"))).mode & 0o7777, 0o3775);
  });
});
