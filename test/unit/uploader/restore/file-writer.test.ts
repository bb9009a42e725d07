// FileWriter (restore's disk side): writes land at their offsets whatever order they finish in, a
// file takes its final name, mode and time only when complete, memory in flight stays bounded; one
// failing file is reported and leaves nothing behind while the others are written; a planted link
// at the final name is replaced, never written through; runs of zeros stay holes.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { FileWriter, type FileToWrite } from "../../../../uploader/restore/file-writer.ts";
import { filesystemSync } from "../../../../uploader/restore/sync-filesystem.ts";

const MTIME_SEC = 1_577_934_245.678;
const MiB = 1024 * 1024;

describe("FileWriter", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "file-writer-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const fileIn = (sub: string, name: string, mode = 0o640): FileToWrite => ({ dir: path.join(dir, sub), name, mode, mtimeSec: MTIME_SEC });
  const dest = (f: FileToWrite) => path.join(String(f.dir), String(f.name));
  const temps = async (sub: string) => (await readdir(path.join(dir, sub))).filter((n) => n.startsWith(".ds-"));

  it("writes files piece by piece, then renames them with their mode and time", async () => {
    await mkdir(path.join(dir, "ok"));
    // Small byte budget: the writer must wait for earlier writes rather than hold everything.
    const writer = new FileWriter({ maxWriteBytes: 3000, batchFiles: 2 });
    const expected = new Map<string, Buffer>();
    for (let f = 0; f < 5; f++) {
      const file = fileIn("ok", `f${f}.bin`, f % 2 ? 0o600 : 0o644);
      const pieces = Array.from({ length: 1 + f * 3 }, (_, i) => randomBytes(500 + ((i * 397) % 1500)));
      await writer.begin(file);
      for (const p of pieces) await writer.write(p);
      await writer.end();
      expected.set(dest(file), Buffer.concat(pieces));
    }
    const empty = fileIn("ok", "empty.txt");
    await writer.begin(empty);
    await writer.end();
    expected.set(dest(empty), Buffer.alloc(0));
    assert.deepEqual(await writer.settle(), []);

    for (const [file, data] of expected) {
      assert.deepEqual(await readFile(file), data, file);
      const st = await stat(file);
      assert.ok(Math.abs(st.mtimeMs - MTIME_SEC * 1000) < 0.01, `mtime ${st.mtimeMs}`);
    }
    assert.equal((await stat(path.join(dir, "ok", "f0.bin"))).mode & 0o777, 0o644);
    assert.equal((await stat(path.join(dir, "ok", "f1.bin"))).mode & 0o777, 0o600);
    assert.deepEqual(await temps("ok"), [], "no temporary file left");
  });

  it("writes a 255-byte name through a short temporary name", async () => {
    await mkdir(path.join(dir, "long"));
    const writer = new FileWriter({ maxWriteBytes: 1 << 20 });
    const file = fileIn("long", `${"é".repeat(125)}x.jpg`); // 2 * 125 + 5 bytes
    assert.equal(Buffer.byteLength(file.name), 255);
    await writer.begin(file);
    await writer.write(Buffer.from("long name"));
    await writer.end();
    assert.deepEqual(await writer.settle(), []);
    assert.equal(await readFile(dest(file), "utf8"), "long name");
  });

  it("removes a file that was never ended", async () => {
    await mkdir(path.join(dir, "open"));
    const writer = new FileWriter({ maxWriteBytes: 1 << 20 });
    const file = fileIn("open", "half.bin");
    await writer.begin(file);
    await writer.write(Buffer.from("half of it"));
    // Created in the background: wait until it is there, so that its removal proves something.
    for (let i = 0; i < 200 && (await temps("open")).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await temps("open")).length, 1);
    await writer.settle();
    await assert.rejects(stat(dest(file)), { code: "ENOENT" });
    assert.deepEqual(await temps("open"), []);
  });

  it("reports a failed file from settle() and writes the others", async () => {
    await mkdir(path.join(dir, "fail"));
    await mkdir(path.join(dir, "fail", "a-folder.bin"));
    const writer = new FileWriter({ maxWriteBytes: 1 << 20 });
    // A folder has the final name: the rename fails after the bytes were written.
    const doomed = fileIn("fail", "a-folder.bin");
    await writer.begin(doomed);
    await writer.write(Buffer.from("abc"));
    await writer.end();
    await writer.begin(fileIn("fail", "b.bin"));
    await writer.write(Buffer.from("def"));
    await writer.end();
    // A folder that does not exist: the file cannot be created; its writes are dropped, the
    // writer goes on.
    await writer.begin(fileIn("fail/missing", "c.bin"));
    await writer.write(Buffer.from("ghi"));
    await writer.end();
    await writer.begin(fileIn("fail", "d.bin"));
    await writer.end();
    const failed = await writer.settle();
    const codes = failed.map((f) => [f.file.name, (f.err as NodeJS.ErrnoException).code]).sort();
    assert.deepEqual(codes, [
      ["a-folder.bin", "EISDIR"],
      ["c.bin", "ENOENT"],
    ]);
    assert.equal(await readFile(path.join(dir, "fail", "b.bin"), "utf8"), "def");
    assert.equal((await readFile(path.join(dir, "fail", "d.bin"))).length, 0);
    assert.deepEqual(await temps("fail"), [], "the failed file left nothing behind");
  });

  it("replaces a planted link at the final name without writing through it", async () => {
    await mkdir(path.join(dir, "planted"));
    const outside = path.join(dir, "outside.txt");
    await writeFile(outside, "precious");
    await symlink(outside, path.join(dir, "planted", "f.txt"));
    const writer = new FileWriter({ maxWriteBytes: 1 << 20 });
    await writer.begin(fileIn("planted", "f.txt"));
    await writer.write(Buffer.from("restored"));
    await writer.end();
    assert.deepEqual(await writer.settle(), []);
    assert.equal(await readFile(outside, "utf8"), "precious");
    assert.ok((await lstat(path.join(dir, "planted", "f.txt"))).isFile());
    assert.equal(await readFile(path.join(dir, "planted", "f.txt"), "utf8"), "restored");
    await assert.rejects(readlink(path.join(dir, "planted", "f.txt")), { code: "EINVAL" });
  });

  it("leaves chunks of zeros as holes and keeps the size", async () => {
    await mkdir(path.join(dir, "sparse"));
    const given: Buffer[] = [];
    const sparse = new FileWriter({ maxWriteBytes: 16 * MiB, sparse: true, onWritten: (b) => given.push(b) });
    const pieces = [Buffer.from("head"), Buffer.alloc(4 * MiB), Buffer.alloc(4 * MiB), Buffer.from("tail"), Buffer.alloc(4 * MiB)];
    await sparse.begin(fileIn("sparse", "image.raw"));
    for (const p of pieces) await sparse.write(p);
    await sparse.end();
    assert.deepEqual(await sparse.settle(), []);
    assert.equal(given.length, pieces.length, "every buffer is given back, written or not");
    const file = path.join(dir, "sparse", "image.raw");
    assert.deepEqual(await readFile(file), Buffer.concat(pieces));
    const st = await stat(file);
    assert.equal(st.size, 12 * MiB + 8);
    assert.ok(st.blocks * 512 < 1 * MiB, `${st.blocks} blocks allocated for 12 MiB mostly zeros`);
  });

  for (const works of [true, false]) {
    it(`syncs a batch through its filesystems in one call${works ? "" : ", and each file when that fails"}`, async () => {
      const sub = `fs-${works}`;
      await mkdir(path.join(dir, sub));
      const calls: Array<ReadonlyArray<string | Buffer>> = [];
      const writer = new FileWriter({
        maxWriteBytes: 1 << 20,
        batchFiles: 4,
        syncFilesystems: async (dirs) => {
          // Nothing of this batch has its final name before its sync (earlier batches may).
          const placed = (await readdir(path.join(dir, sub))).filter((n) => !n.startsWith(".ds-")).length;
          assert.ok(placed <= 32 * calls.length, `${placed} placed before sync ${calls.length + 1}`);
          calls.push(dirs);
          return works;
        },
      });
      for (let i = 0; i < 40; i++) {
        await writer.begin(fileIn(sub, `f${String(i).padStart(2, "0")}`));
        await writer.write(Buffer.from(`file ${i}`));
        await writer.end();
      }
      assert.deepEqual(await writer.settle(), []);
      assert.equal(calls.length, 2, "files closed once written: batches of 8 x batchFiles (32, then the last 8)");
      assert.ok(calls.every((dirs) => dirs.every((d) => d === path.join(dir, sub))));
      const names = (await readdir(path.join(dir, sub))).sort();
      assert.equal(names.length, 40);
      assert.equal(await readFile(path.join(dir, sub, "f39"), "utf8"), "file 39");
    });
  }

  it("places files that completed before settle() was called", async () => {
    await mkdir(path.join(dir, "late"));
    const writer = new FileWriter({ maxWriteBytes: 1 << 20, batchFiles: 64 });
    await writer.begin(fileIn("late", "a.txt"));
    await writer.write(Buffer.from("written long before settle"));
    await writer.end();
    await new Promise((r) => setTimeout(r, 200)); // its writes, mode and time done: it waits in a batch
    assert.deepEqual(await writer.settle(), []);
    assert.equal(await readFile(path.join(dir, "late", "a.txt"), "utf8"), "written long before settle");
    assert.deepEqual(await temps("late"), []);
  });

  it("finds the platform's filesystem sync on Linux, and it works", { skip: process.platform !== "linux" }, async () => {
    const sync = filesystemSync();
    assert.ok(sync, "coreutils sync is on every Linux this runs on");
    assert.equal(await sync([dir]), true);
    assert.equal(await sync([Buffer.from([0x2f, 0x74, 0xff])]), false, "a folder name that is not UTF-8: the caller syncs each file");
  });

  it("refuses a second file before the first was ended, and writes without a file", async () => {
    await mkdir(path.join(dir, "misuse"));
    const writer = new FileWriter({ maxWriteBytes: 1 << 20 });
    await assert.rejects(writer.write(Buffer.from("x")), /no file begun/);
    await writer.begin(fileIn("misuse", "a.bin"));
    await assert.rejects(writer.begin(fileIn("misuse", "b.bin")), /not ended/);
    await writer.end();
    await writer.settle();
    assert.equal((await readFile(path.join(dir, "misuse", "a.bin"))).length, 0);
  });
});
