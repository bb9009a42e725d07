// readFileChunks: a file is cut on the pool's workers exactly as the Chunker cuts it, and a failure
// is classified: a read error (the caller skips the file) is not a PipelineError (the run fails).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { AddedChunk, ChunkSink } from "../../../../uploader/backup/chunk-sink.ts";
import { CryptoPool } from "../../../../uploader/crypto/crypto-pool.ts";
import { PipelineError, readFileChunks } from "../../../../uploader/backup/read-file.ts";
import { poolKeys, secrets } from "../../../support/pool-keys.ts";
import { Chunker, chunkId, HEAD_CHUNKER_PARAMS } from "../../../../uploader/format/index.ts";

/** The sink's side of the contract only: records what it is handed (uploading is tested end to end). */
function recordingSink(): { sink: ChunkSink; added: Array<{ id: string; size: number }> } {
  const added: Array<{ id: string; size: number }> = [];
  const sink = {
    addIdentified: async (id: Buffer, plain: Buffer): Promise<AddedChunk> => {
      added.push({ id: id.toString("hex"), size: plain.length });
      return { hex: Promise.resolve(id.toString("hex")), stored: Promise.resolve() };
    },
  } as unknown as ChunkSink;
  return { sink, added };
}

describe("readFileChunks", () => {
  let dir: string;
  let file: string;
  let data: Buffer;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "read-file-"));
    file = path.join(dir, "IMG_0001.jpg");
    data = randomBytes(5 * 1024 * 1024 + 123);
    await writeFile(file, data);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("hands the sink the Chunker's chunks, in order, with their ids", async () => {
    const pool = new CryptoPool(poolKeys, 2);
    try {
      const { sink, added } = recordingSink();
      const read = await readFileChunks(file, pool, sink, () => undefined);
      const c = new Chunker(secrets.chunkerKey, HEAD_CHUNKER_PARAMS);
      const expected = [...c.push(data), c.finish()!].map((p) => ({ id: chunkId(secrets.chunkIdKey, p).toString("hex"), size: p.length }));
      assert.equal(read.size, data.length);
      assert.deepEqual(added, expected);
      assert.deepEqual(
        await Promise.all(read.chunks.map((x) => x.hex)),
        expected.map((e) => e.id),
      );
    } finally {
      await pool.close();
    }
  });

  it("throws a read error as it is, and a pipeline failure as a PipelineError", async () => {
    const pool = new CryptoPool(poolKeys, 2);
    try {
      const { sink } = recordingSink();
      await assert.rejects(
        readFileChunks(path.join(dir, "gone.jpg"), pool, sink, () => undefined),
        (e: unknown) => !(e instanceof PipelineError) && (e as NodeJS.ErrnoException).code === "ENOENT",
      );
      // Stands in for a worker crash: the pool can no longer chunk anything.
      const workers = (pool as unknown as { workers: Array<{ terminate(): Promise<number> }> }).workers;
      await Promise.all(workers.map((w) => w.terminate()));
      await assert.rejects(
        readFileChunks(file, pool, sink, () => undefined),
        PipelineError,
      );
    } finally {
      await pool.close();
    }
  });
});
