// restoreEntries() from an in-memory restore point: manifests the format layer would refuse are
// refused again here before anything is written; a case-insensitive target (injected probe) gets
// the link `X` but not `x/authorized_keys`; planted links are replaced, never followed; a file that
// cannot be written is reported and the rest restored; special mode bits are dropped unless asked.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { ManifestEntry } from "../../../uploader/format/index.ts";
import { silentProgress } from "../../../uploader/progress.ts";
import { restoreEntries, type RestoreEntriesOptions, type RestoreSource } from "../../../uploader/restore/restore-entries.ts";
import { describeTree } from "../../support/tree.ts";

type Spec = { path: string; type?: "dir" | "symlink"; data?: string; target?: string; mode?: number };

function source(specs: Spec[]): RestoreSource {
  const chunks = new Map<string, Buffer>();
  const entries = specs.map((s): ManifestEntry => {
    const base = { path: s.path, mtimeMs: 1_600_000_000_000 };
    if (s.type === "dir") return { ...base, type: "dir", mode: s.mode ?? 0o755 };
    if (s.type === "symlink") return { ...base, type: "symlink", mode: 0o777, target: s.target! };
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
      [{ path: "a", data: "1" }, { path: "a", data: "2" }],
      [{ path: "ok", data: "fine" }, { path: "../outside/.ssh/authorized_keys", data: "evil" }],
      [{ path: "x", type: "symlink", target: path.join(outside, ".ssh") }, { path: "x/authorized_keys", data: "evil" }],
      [{ path: "f", data: "file" }, { path: "f/g", data: "under a file" }],
    ] as Spec[][]) {
      const to = target();
      await assert.rejects(restore(source(specs), to, { overwrite: true }), { code: "UNSAFE_MANIFEST" }, JSON.stringify(specs));
      assert.deepEqual(await readdir(to), [], "nothing written");
    }
    assert.deepEqual(await describeTree(outside), before);
  });

  it("on a case-insensitive target, restores the link X and reports x/authorized_keys", async () => {
    const to = target();
    const before = await describeTree(outside);
    const probe = async () => ({ caseInsensitive: true, normalizationInsensitive: true, windows: false });
    const r = await restore(source([{ path: "X", type: "symlink", target: path.join(outside, ".ssh") }, { path: "x/authorized_keys", data: "evil" }, { path: "fine.txt", data: "ok" }]), to, { probe });
    assert.deepEqual(r.failed.map((f) => f.path), ["x/authorized_keys"]);
    assert.match(r.failed[0]!.error, /^CASE_COLLISION: .*"X"/);
    assert.equal(await readlink(path.join(to, "X")), path.join(outside, ".ssh"));
    assert.equal(await readFile(path.join(to, "fine.txt"), "utf8"), "ok");
    assert.deepEqual(await describeTree(outside), before);
  });

  it("replaces planted links with --overwrite and never writes through them", async () => {
    const to = target();
    await mkdir(to);
    await symlink(path.join(outside, ".ssh"), path.join(to, "x"));
    await symlink(path.join(outside, ".ssh", "authorized_keys"), path.join(to, "f"));
    await symlink(path.join(outside, ".ssh", "authorized_keys"), path.join(to, ".f.datasafe-partial"));
    const before = await describeTree(outside);
    const src = source([{ path: "x", type: "dir" }, { path: "x/authorized_keys", data: "restored" }, { path: "f", data: "restored f" }]);
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
    const r = await restore(source([{ path: "top", type: "dir" }, { path: "top/a.txt", data: "a" }, { path: "top/b.txt", data: "b" }, { path: "top/c.txt", data: "c" }]), to, { overwrite: true });
    assert.deepEqual(r.failed.map((f) => f.path), ["top/b.txt"]);
    assert.equal(r.files, 2);
    assert.equal(await readFile(path.join(to, "top", "c.txt"), "utf8"), "c");
  });

  it("drops setuid, setgid and sticky bits unless asked", async () => {
    const specs: Spec[] = [{ path: "d", type: "dir", mode: 0o3775 }, { path: "d/tool", data: "#!/bin/sh\n", mode: 0o4755 }];
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
