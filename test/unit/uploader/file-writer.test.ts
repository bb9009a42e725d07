// FileWriter (restore's disk side): writes land at their offsets whatever order they finish in, a
// file takes its final name, mode and time only when complete, memory in flight stays bounded, and
// a failure surfaces on the next call and from settle(), after which nothing runs on.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { FileWriter, type FileToWrite } from "../../../uploader/restore/file-writer.ts";

const MTIME_SEC = 1_577_934_245.678;

describe("FileWriter", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "file-writer-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const fileIn = (sub: string, name: string, mode = 0o640): FileToWrite => ({
    dest: path.join(dir, sub, name),
    partial: path.join(dir, sub, `.${name}.partial`),
    mode,
    mtimeSec: MTIME_SEC,
  });

  it("writes files piece by piece, then renames them with their mode and time", async () => {
    await mkdir(path.join(dir, "ok"));
    // Small byte budget: the writer must wait for earlier writes rather than hold everything.
    const writer = new FileWriter({ maxWriteBytes: 3000, maxFinishing: 2 });
    const expected = new Map<string, Buffer>();
    for (let f = 0; f < 5; f++) {
      const file = fileIn("ok", `f${f}.bin`, f % 2 ? 0o600 : 0o644);
      const pieces = Array.from({ length: 1 + f * 3 }, (_, i) => randomBytes(500 + ((i * 397) % 1500)));
      await writer.begin(file);
      for (const p of pieces) await writer.write(p);
      await writer.end();
      expected.set(file.dest, Buffer.concat(pieces));
    }
    const empty = fileIn("ok", "empty.txt");
    await writer.begin(empty);
    await writer.end();
    expected.set(empty.dest, Buffer.alloc(0));
    await writer.settle();

    for (const [dest, data] of expected) {
      assert.deepEqual(await readFile(dest), data, dest);
      const st = await stat(dest);
      assert.ok(Math.abs(st.mtimeMs - MTIME_SEC * 1000) < 0.01, `mtime ${st.mtimeMs}`);
    }
    assert.equal((await stat(path.join(dir, "ok", "f0.bin"))).mode & 0o777, 0o644);
    assert.equal((await stat(path.join(dir, "ok", "f1.bin"))).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(path.join(dir, "ok"))).filter((n) => n.includes("partial")), [], "no partial file left");
  });

  it("leaves a file that was never ended under its partial name, closed", async () => {
    await mkdir(path.join(dir, "open"));
    const writer = new FileWriter({ maxWriteBytes: 1 << 20, maxFinishing: 4 });
    const file = fileIn("open", "half.bin");
    await writer.begin(file);
    await writer.write(Buffer.from("half of it"));
    await writer.settle();
    assert.equal((await readFile(file.partial)).toString(), "half of it");
    await assert.rejects(stat(file.dest), { code: "ENOENT" });
  });

  it("reports a failed finish on the next call and from settle()", async () => {
    await mkdir(path.join(dir, "fail"));
    const writer = new FileWriter({ maxWriteBytes: 1 << 20, maxFinishing: 1 });
    // The final name's folder does not exist: the rename fails after the bytes were written.
    const doomed = { ...fileIn("fail", "a.bin"), dest: path.join(dir, "fail", "missing", "a.bin") };
    await writer.begin(doomed);
    await writer.write(Buffer.from("abc"));
    await writer.end();
    // With one finishing slot, b's end() waits for a's finish to settle; b is complete, so it is finished.
    await writer.begin(fileIn("fail", "b.bin"));
    await writer.write(Buffer.from("def"));
    await writer.end();
    await assert.rejects(writer.settle(), { code: "ENOENT" });
    await assert.rejects(writer.begin(fileIn("fail", "c.bin")), { code: "ENOENT" }, "later calls fail too");
    assert.equal((await readFile(path.join(dir, "fail", "b.bin"))).toString(), "def");
    assert.equal((await readFile(doomed.partial)).toString(), "abc", "the failed file stays partial");
  });

  it("refuses a second file before the first was ended, and writes without a file", async () => {
    await mkdir(path.join(dir, "misuse"));
    const writer = new FileWriter({ maxWriteBytes: 1 << 20, maxFinishing: 1 });
    await assert.rejects(writer.write(Buffer.from("x")), /no file begun/);
    await writer.begin(fileIn("misuse", "a.bin"));
    await assert.rejects(writer.begin(fileIn("misuse", "b.bin")), /not ended/);
    await writer.end();
    await writer.settle();
    assert.equal((await readFile(path.join(dir, "misuse", "a.bin"))).length, 0);
  });
});
