// ChunkSink's pack order: chunks enter packs in the order they were added, whatever order the
// server answers the batched "which are missing?" queries in, so that a restore reads a file's
// neighbouring chunks with one ranged GET (api/chunk-reader.ts). The API client is a stand-in
// here: the timing that interleaves batches (a later query answered first) cannot be forced on
// a real server; uploading against one is tested end to end.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { ChunkSink } from "../../../../uploader/backup/chunk-sink.ts";
import type { ChunkUploader } from "../../../../uploader/backup/chunk-uploader.ts";
import { CryptoPool } from "../../../../uploader/crypto/crypto-pool.ts";
import type { PackTable, UploadedResult } from "../../../../protocol/schemas.ts";
import { poolKeys } from "../../../support/pool-keys.ts";

describe("ChunkSink", () => {
  it("packs chunks in the order added, although later batches are answered first", async () => {
    const packed: string[][] = [];
    let queries = 0;
    const api: ChunkUploader = {
      // Each query is answered sooner than the one before it: without ordering, the batches'
      // chunks would reach the packer interleaved or in reverse.
      async missing(ids: string[]): Promise<string[]> {
        await sleep(Math.max(0, 60 - 15 * queries++));
        return ids;
      },
      async sendPack(table: PackTable): Promise<{ recorded: Promise<UploadedResult[]> }> {
        packed.push(table.map((c) => c.id));
        return { recorded: Promise.resolve(table.map((c) => ({ id: c.id, stored: true, size: c.size }))) };
      },
    };
    const pool = new CryptoPool(poolKeys, 2);
    try {
      const sink = new ChunkSink(api, pool, randomUUID(), {
        concurrency: 4,
        packBytes: 40_000,
        batchSize: 4,
        maxBufferedBytes: 1024 * 1024,
      });
      const added = [];
      // As files are read: ids computed with the chunking (readFileChunks), chunks in file order.
      for (let i = 0; i < 24; i++) added.push(await sink.addIdentified(randomBytes(32), randomBytes(5_000 + 100 * i)));
      await sink.flush();
      const order = await Promise.all(added.map((a) => a.hex));
      assert.ok(queries >= 4, `several batches (${queries} queries)`);
      assert.ok(packed.length > 1, "several packs");
      assert.deepEqual(packed.flat(), order, "every chunk once, in the order added");
    } finally {
      await pool.close();
    }
  });
});
