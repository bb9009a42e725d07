// Bounded memory: backing up and restoring a 2 GB file keeps the uploader and the API each under
// 300 MB RSS: streams, not buffers, whatever the file size.
import assert from "node:assert/strict";
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { enrolledPcs, Pc } from "../support/cli.ts";
import { MB, measured, RssSampler } from "../support/rss.ts";
import { startServer, type TestServer } from "../support/server.ts";

const SIZE = Number(process.env.DATASAFE_MEMORY_TEST_MB ?? 2048) * MB;

/** Incompressible, non-repeating bytes fast: AES-CTR keystream of zeros. */
async function writeBigFile(file: string, size: number): Promise<void> {
  const cipher = createCipheriv("aes-256-ctr", randomBytes(32), randomBytes(16));
  const out = createWriteStream(file);
  const zeros = Buffer.alloc(8 * MB);
  for (let done = 0; done < size; done += zeros.length) {
    if (!out.write(cipher.update(zeros.subarray(0, Math.min(zeros.length, size - done))))) {
      await new Promise<void>((r) => out.once("drain", () => r()));
    }
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

async function sha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const piece of createReadStream(file, { highWaterMark: 4 * MB })) h.update(piece as Buffer);
  return h.digest("hex");
}

describe("memory stays bounded with a 2 GB file", () => {
  let server: TestServer;
  let pc: Pc;
  let restorer: Pc;
  let src: string;

  before(async () => {
    server = await startServer();
    [pc, restorer] = (await enrolledPcs(server, 2)).pcs as [Pc, Pc];
    src = path.join(server.dir, "db-backup");
    await mkdir(src);
    await writeBigFile(path.join(src, "studio-full.bak"), SIZE);
  });
  after(async () => server?.stop());

  it("backs up and restores 2 GB with uploader and API under 300 MB RSS", async () => {
    const api = new RssSampler(server.proc.pid!);
    const backup = await measured(pc, ["backup", src]);
    const apiBackupPeak = api.stop();
    assert.equal(backup.json.bytesRead, SIZE);

    const api2 = new RssSampler(server.proc.pid!);
    const to = path.join(server.dir, "restored");
    const restore = await measured(restorer, ["restore", String(backup.json.restorePointId), "--to", to]);
    const apiRestorePeak = api2.stop();
    assert.equal(restore.json.bytes, SIZE);
    assert.equal(await sha256(path.join(to, "db-backup", "studio-full.bak")), await sha256(path.join(src, "studio-full.bak")));

    const mb = (n: number) => `${(n / MB).toFixed(0)} MB`;
    console.log(
      `# ${SIZE / MB} MB: backup ${backup.json.durationMs} ms, uploader peak ${mb(backup.peak)}, API peak ${mb(apiBackupPeak)}; restore ${restore.json.durationMs} ms, restorer peak ${mb(restore.peak)}, API peak ${mb(apiRestorePeak)}`,
    );
    for (const [what, peak] of [
      ["uploader", backup.peak],
      ["API during backup", apiBackupPeak],
      ["restorer", restore.peak],
      ["API during restore", apiRestorePeak],
    ] as const) {
      assert.ok(peak > 0 && peak < 300 * MB, `${what} peak RSS ${mb(peak)}`);
    }
  });
});
